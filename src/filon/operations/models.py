"""A batch run: a long operation split in steps, persisted so that page requests can advance it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from filon.accounts.models import Role


class RunKind(models.TextChoices):
    CLOSE = "close", "Cierre diario"
    RATE_IMPORT = "rate_import", "Importación de tasas"
    ADVANCE = "advance", "Avance de la fecha de negocio"


class RunStatus(models.TextChoices):
    PENDING = "pending", "Por iniciar"
    RUNNING = "running", "En proceso"
    DONE = "done", "Terminada"
    FAILED = "failed", "Detenida por un error"


ACTIVE = (RunStatus.PENDING, RunStatus.RUNNING)

CLOSE_ROLES = (Role.ADMINISTRADOR, Role.DIRECCION)
"""Who runs the daily close. It posts the accrual and reclassification entries of the whole portfolio,
every regional office at once, so it is a central task, not a regional one: dirección answers for the
institution's books and the portfolio's classification, and the administrador operates the system's
scheduled processes (the same close `filon close` runs from the command line). Riesgos reads the portfolio
but does not post to the books; regional, legal and committee roles take no part in the close."""

RATE_IMPORT_ROLES = (Role.RIESGOS, Role.ADMINISTRADOR)
"""Who imports rate series: the Risk area keeps the figures credits are priced with (SPEC: «the Risk area
changes them»; base rates, C-5, C-9), and the administrador operates the market-data store
(`filon rates import`)."""

ADVANCE_ROLES = (Role.ADMINISTRADOR,)
"""Who moves the business date forward in training mode: the administrador, who operates the system's
scheduled processes; the advance runs the daily closes in between, as `filon close` would."""

RUN_ROLES: dict[str, tuple[Role, ...]] = {
    RunKind.CLOSE: CLOSE_ROLES,
    RunKind.RATE_IMPORT: RATE_IMPORT_ROLES,
    RunKind.ADVANCE: ADVANCE_ROLES,
}
RUN_ACTIONS = {
    RunKind.CLOSE: "ejecutar el cierre diario",
    RunKind.RATE_IMPORT: "importar series de tasas",
    RunKind.ADVANCE: "mover la fecha de negocio",
}


class BatchRun(models.Model):
    """One run of a long operation.

    `params` holds what was asked (the close's end date; the series and file name of an import); `items` the
    work list fixed at the start (the business dates to close; the parsed `[date, value]` rows to store);
    `steps_done` counts the items already done, so the next step starts at `items[steps_done]`.
    """

    kind = models.CharField("operación", max_length=16, choices=RunKind.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="iniciada por", on_delete=models.PROTECT, related_name="+"
    )
    params = models.JSONField("parámetros", default=dict)
    items = models.JSONField("trabajo por hacer", default=list)
    total_steps = models.PositiveIntegerField("pasos")
    steps_done = models.PositiveIntegerField("pasos hechos", default=0)
    status = models.CharField("estado", max_length=8, choices=RunStatus.choices, default=RunStatus.PENDING)
    started_at = models.DateTimeField("inicio", default=timezone.now)
    finished_at = models.DateTimeField("fin", null=True, blank=True)
    result = models.JSONField("resultado", default=dict)
    error = models.TextField("error", blank=True)
    error_rule = models.CharField("regla del error", max_length=32, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "ejecución por lotes"
        verbose_name_plural = "ejecuciones por lotes"
        constraints = [
            models.CheckConstraint(
                name="batchrun_done_within_total", condition=Q(steps_done__lte=F("total_steps"))
            ),
            # One daily close at a time: a second one is refused even when two requests race.
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind="close", status__in=["pending", "running"]),
                name="batchrun_one_active_close",
            ),
            # One advance of the business date at a time, likewise.
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind="advance", status__in=["pending", "running"]),
                name="batchrun_one_active_advance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def percent(self) -> int:
        return 100 if not self.total_steps else self.steps_done * 100 // self.total_steps


class BusinessDate(models.Model):
    """The stored business date of the training mode (one row at most; `filon.operations.business_date`).

    Without the training mode, or without this row, the business date is the calendar's. It only moves
    forward, and only through an advance run (`operations.services.advance_run_start`)."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON, editable=False)
    date = models.DateField("fecha de negocio")
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="fijada por",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    set_at = models.DateTimeField("fijada el", default=timezone.now)
    reason = models.CharField("motivo", max_length=200, blank=True)

    class Meta:
        verbose_name = "fecha de negocio"
        verbose_name_plural = "fecha de negocio"
        constraints = [models.CheckConstraint(name="businessdate_singleton", condition=Q(id=1))]

    def __str__(self) -> str:
        return f"Fecha de negocio {self.date:%d/%m/%Y}"
