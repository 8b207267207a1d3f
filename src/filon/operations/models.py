"""Batch runs (a long operation split in steps, advanced by the worker) and the worker's schedule of jobs."""

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
    heartbeat_at = models.DateTimeField(
        "última señal del proceso de fondo",
        null=True,
        blank=True,
        help_text="cada paso la renueva; una ejecución activa sin señal reciente se reanuda (el proceso murió)",
    )

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


class ScheduledJob(models.Model):
    """When the worker runs a registered job (`filon.platform.jobs`): a daily time in Mexico City, or every
    so many minutes; on business days only, or every day. One row per job; the administrator turns it on or
    off and changes its time from the operations page."""

    code = models.CharField("tarea", max_length=32, unique=True)
    daily_at = models.TimeField("hora diaria (Ciudad de México)", null=True, blank=True)
    every_minutes = models.PositiveIntegerField("cada cuántos minutos", null=True, blank=True)
    business_days_only = models.BooleanField("solo días hábiles", default=True)
    enabled = models.BooleanField("activa", default=True)
    updated_at = models.DateTimeField("modificada", auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "tarea programada"
        verbose_name_plural = "tareas programadas"
        constraints = [
            models.CheckConstraint(
                name="scheduledjob_has_a_time",
                condition=Q(daily_at__isnull=False) | Q(every_minutes__isnull=False),
            ),
            models.CheckConstraint(
                name="scheduledjob_every_positive",
                condition=Q(every_minutes__isnull=True) | Q(every_minutes__gte=1),
            ),
        ]

    def __str__(self) -> str:
        return self.code


class JobStatus(models.TextChoices):
    PENDING = "pending", "En espera"
    RUNNING = "running", "En proceso"
    DONE = "done", "Terminada"
    FAILED = "failed", "Con error"


class JobRun(models.Model):
    """One execution of a job: for a slot of its schedule (`slot` is the time it was due, unique per job, so
    two workers or a restarted one never run a slot twice) or asked by the administrator («Ejecutar ahora»,
    `slot` is the moment asked)."""

    code = models.CharField("tarea", max_length=32)
    slot = models.DateTimeField("programada para")
    manual = models.BooleanField("a petición", default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="pedida por",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    status = models.CharField("estado", max_length=8, choices=JobStatus.choices, default=JobStatus.PENDING)
    attempts = models.PositiveSmallIntegerField("intentos", default=0)
    enqueued_at = models.DateTimeField("puesta en cola", default=timezone.now)
    started_at = models.DateTimeField("inicio", null=True, blank=True)
    finished_at = models.DateTimeField("fin", null=True, blank=True)
    result = models.JSONField("resultado", default=dict)
    error = models.TextField("error", blank=True)

    class Meta:
        ordering = ["-slot", "-id"]
        verbose_name = "ejecución de tarea"
        verbose_name_plural = "ejecuciones de tareas"
        constraints = [models.UniqueConstraint(fields=["code", "slot"], name="jobrun_one_per_slot")]
        indexes = [models.Index(fields=["status", "started_at"], name="jobrun_status_started")]

    def __str__(self) -> str:
        return f"{self.code} {self.slot:%Y-%m-%d %H:%M}"

    @property
    def seconds(self) -> float | None:
        """How long it took (or has taken so far, while running)."""
        if self.started_at is None:
            return None
        end = self.finished_at or timezone.now()
        return (end - self.started_at).total_seconds()


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
