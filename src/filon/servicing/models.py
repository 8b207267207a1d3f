"""Loans after the contract: disbursements, schedules (versioned), payments, obligations, daily closes.

Money balances shown anywhere come from the ledger (`filon.ledger`); the fields here are the servicing
position that the daily close and payments maintain, which `filon ledger check` compares with the ledger.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models

from filon.centavos import CentavosField
from filon.origination.models import CREDIT_TYPE_CHOICES, CURRENCY_CHOICES, PROGRAM_CHOICES

# The close takes its batch's mark from here; `filon.platform.revision` is where marks are made.
from filon.platform.revision import revision_stamp

ZERO = Decimal(0)


class LoanStatus(models.TextChoices):
    PENDING = "pending", "Por disponer"
    ACTIVE = "active", "Vigente en administración"
    PAID_OFF = "paid_off", "Liquidado"
    CANCELLED = "cancelled", "Cancelado"
    WRITTEN_OFF = "written_off", "Castigado"


class Classification(models.TextChoices):
    VIGENTE = "vigente", "Cartera vigente"
    VENCIDA = "vencida", "Cartera vencida"


class Loan(models.Model):
    """A credit under administration. Pins the rule set, the rate and the terms it was contracted with."""

    number = models.CharField("número de crédito", max_length=32, unique=True)
    file = models.OneToOneField(
        "origination.CreditFile", on_delete=models.PROTECT, null=True, blank=True, related_name="loan"
    )
    applicant = models.ForeignKey("applicants.Applicant", on_delete=models.PROTECT, related_name="loans")
    office = models.ForeignKey("accounts.RegionalOffice", on_delete=models.PROTECT, related_name="loans")
    program = models.CharField("programa", max_length=24, choices=PROGRAM_CHOICES)
    credit_type = models.CharField("tipo de crédito", max_length=32, choices=CREDIT_TYPE_CHOICES)
    currency = models.CharField("moneda", max_length=3, choices=CURRENCY_CHOICES)
    ruleset_version = models.CharField("versión de reglas", max_length=40)
    contracted_amount = CentavosField("monto contratado (límite de la línea)")
    contract_date = models.DateField("fecha del contrato")
    # Pricing: a base series + spread, or a fixed rate (9.2.4, C-9)
    base_series = models.CharField("serie de tasa base", max_length=24, blank=True)
    spread = models.DecimalField("sobretasa", max_digits=9, decimal_places=6, default=ZERO)
    fixed_rate = models.DecimalField("tasa fija", max_digits=9, decimal_places=6, null=True, blank=True)
    moratorium_factor = models.DecimalField("factor moratorio", max_digits=5, decimal_places=3)
    # Terms
    term_months = models.PositiveSmallIntegerField("plazo (meses)")
    grace_months = models.PositiveSmallIntegerField("gracia (meses)", default=0)
    payment_every_months = models.PositiveSmallIntegerField("periodicidad (meses)", default=1)
    amortization = models.CharField("amortización", max_length=16, default="equal_principal")
    growth_rate = models.DecimalField("crecimiento", max_digits=7, decimal_places=6, null=True, blank=True)
    # Revolving lines (9.1.3, 9.1.4, 9.2.3)
    is_revolving = models.BooleanField("línea revolvente", default=False)
    line_expires_on = models.DateField("vencimiento de la línea", null=True, blank=True)
    revolvency_min_days = models.PositiveSmallIntegerField(null=True, blank=True)
    revolvency_max_days = models.PositiveSmallIntegerField(null=True, blank=True)
    per_drawdown_commission_rate = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    # Commission (14): paid before any disbursement
    opening_commission = CentavosField("comisión por apertura", default=ZERO)
    opening_commission_iva = CentavosField("IVA de la comisión", default=ZERO)
    opening_commission_paid_on = models.DateField("comisión pagada el", null=True, blank=True)
    # Servicing position (maintained by disbursements, payments and the daily close)
    status = models.CharField("estado", max_length=12, choices=LoanStatus.choices, default=LoanStatus.PENDING)
    classification = models.CharField(
        "clasificación", max_length=8, choices=Classification.choices, default=Classification.VIGENTE
    )
    principal_balance = CentavosField("saldo de capital", default=ZERO)
    accrued_interest = CentavosField("interés ordinario devengado no pagado", default=ZERO)
    accrued_moratorium = CentavosField("interés moratorio devengado no pagado", default=ZERO)
    unapplied_balance = CentavosField(
        "pagos por aplicar",
        default=ZERO,
        help_text="money received ahead of its payable date, applied by the daily close when it falls due",
    )
    days_past_due = models.PositiveIntegerField("días de atraso", default=0)
    first_disbursed_on = models.DateField("primera disposición", null=True, blank=True)
    maturity_date = models.DateField("vencimiento", null=True, blank=True)
    paid_off_on = models.DateField(
        "liquidado el",
        null=True,
        blank=True,
        help_text="the value date of the payment (or, for a revolving line, the line's expiry) after which "
        "nothing was owed; set with status paid_off and cleared when the loan is reopened",
    )
    accrued_through = models.DateField("intereses devengados hasta", null=True, blank=True)
    written_off_on = models.DateField(
        "castigado el",
        null=True,
        blank=True,
        help_text="the business date of the write-off authorized by the committee (`servicing.writeoff`)",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Changes whenever the loan or anything its pages show changes, always through `filon.platform.revision`:
    # the row itself (`save`), its journal entries (the ledger's listener, `servicing.apps`), the daily close
    # (in its batch update), its obligations and who met them (`loans_touch`). The loan pages keep what they
    # compute from the ledger and the schedule under this mark (`filon.platform.pagecache`).
    revision = models.BigIntegerField("revisión", default=0, editable=False)

    class Meta:
        ordering = ["number"]
        indexes = [models.Index(fields=["status", "id"])]
        constraints = [
            models.CheckConstraint(
                name="loan_principal_not_negative", condition=models.Q(principal_balance__gte=0)
            ),
            models.CheckConstraint(
                name="loan_accrued_not_negative",
                condition=models.Q(
                    accrued_interest__gte=0, accrued_moratorium__gte=0, unapplied_balance__gte=0
                ),
            ),
        ]
        verbose_name = "crédito"
        verbose_name_plural = "créditos"

    def __str__(self) -> str:
        return f"{self.number} — {self.applicant.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Every save is a change of the loan: a new revision mark goes with it (`filon.platform.revision`)."""
        revision_stamp(self, kwargs)
        super().save(*args, **kwargs)


class Disbursement(models.Model):
    """A ministración (12). For a revolving line, a drawdown with its own term and due date."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="disbursements")
    amount = CentavosField("importe")
    value_date = models.DateField("fecha valor")
    due_date = models.DateField("vencimiento de la disposición", null=True, blank=True)
    entry = models.OneToOneField("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    commission = CentavosField("comisión por disposición", default=ZERO)
    commission_iva = CentavosField("IVA de la comisión", default=ZERO)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["value_date", "id"]
        constraints = [models.CheckConstraint(name="disbursement_positive", condition=models.Q(amount__gt=0))]
        verbose_name = "ministración"
        verbose_name_plural = "ministraciones"

    def __str__(self) -> str:
        return f"Ministración {self.amount} {self.value_date:%d/%m/%Y}"


class ScheduleVersion(models.Model):
    """One version of a loan's amortization table; a prepayment or a new disbursement makes a new one,
    kept beside the old (issue: prepayments keep the old schedule)."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="schedule_versions")
    number = models.PositiveSmallIntegerField()
    reason = models.CharField("motivo", max_length=120)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["loan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="one_schedule_number_per_loan"),
            models.UniqueConstraint(
                fields=["loan"], condition=models.Q(active=True), name="one_active_schedule"
            ),
        ]

    def __str__(self) -> str:
        return f"Tabla v{self.number} de {self.loan.number}"


class InstallmentStatus(models.TextChoices):
    PENDING = "pending", "Por vencer"
    DUE = "due", "Exigible"
    OVERDUE = "overdue", "Vencida"
    PAID = "paid", "Pagada"


class Installment(models.Model):
    """An installment of a schedule version, with what has been paid of it."""

    version = models.ForeignKey(ScheduleVersion, on_delete=models.CASCADE, related_name="installments")
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="installments")
    number = models.PositiveSmallIntegerField()
    start = models.DateField("inicio del periodo")
    due = models.DateField("vencimiento nominal")
    payable = models.DateField("fecha de pago (día hábil)")
    rate = models.DecimalField("tasa efectiva del periodo", max_digits=12, decimal_places=9)
    projected = models.BooleanField("tasa proyectada", default=False)
    opening_balance = CentavosField("saldo inicial")
    principal = CentavosField("capital")
    interest = CentavosField("interés")
    projected_interest = CentavosField(
        "interés proyectado al crear la tabla",
        help_text="the interest first computed (with projected base rates); `interest` is revised when the "
        "period's rates are published, so the schedule shows projected and actual",
    )
    interest_accrued = CentavosField("interés devengado de la amortización", default=ZERO)
    moratorium_accrued = CentavosField("moratorio devengado de la amortización", default=ZERO)
    principal_paid = CentavosField(default=ZERO)
    interest_paid = CentavosField(default=ZERO)
    moratorium_paid = CentavosField(default=ZERO)
    status = models.CharField(
        max_length=8, choices=InstallmentStatus.choices, default=InstallmentStatus.PENDING
    )

    class Meta:
        ordering = ["version", "number"]
        indexes = [models.Index(fields=["loan", "status", "payable"])]
        constraints = [models.UniqueConstraint(fields=["version", "number"], name="one_installment_number")]

    def __str__(self) -> str:
        return f"Amortización {self.number} ({self.due:%d/%m/%Y})"

    @property
    def principal_unpaid(self) -> Decimal:
        return self.principal - self.principal_paid

    @property
    def interest_unpaid(self) -> Decimal:
        return self.interest - self.interest_paid


class PaymentStatus(models.TextChoices):
    APPLIED = "applied", "Aplicado"
    REVERSED = "reversed", "Reversado"


class Payment(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="payments")
    idempotency_key = models.CharField("clave de idempotencia", max_length=80)
    value_date = models.DateField("fecha valor")
    amount = CentavosField("importe")
    currency = models.CharField(max_length=3)
    is_prepayment = models.BooleanField("pago anticipado", default=False)
    notified_on = models.DateField("aviso de pago anticipado", null=True, blank=True)
    allocation = models.JSONField("aplicación", default=list)
    entry = models.OneToOneField("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.APPLIED)
    reversal_entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reversal_reason = models.TextField(blank=True)
    schedule_version = models.ForeignKey(
        ScheduleVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="the schedule version a prepayment created",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["value_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "idempotency_key"], name="one_payment_per_key"),
            models.CheckConstraint(name="payment_positive", condition=models.Q(amount__gt=0)),
        ]
        verbose_name = "pago"
        verbose_name_plural = "pagos"

    def __str__(self) -> str:
        return f"Pago {self.amount} {self.currency} {self.value_date:%d/%m/%Y}"


class TaskKind(models.TextChoices):
    PROOF_OF_USE = "proof_of_use", "Comprobación del 100 % de los recursos (13)"
    INSURANCE = "insurance", "Póliza de seguro y recibo de pago (16.3, 16.4)"
    QUARTERLY_VISIT = "quarterly_visit", "Visita trimestral de supervisión (16.4)"
    ANNUAL_STATEMENTS = "annual_statements", "Estados financieros anuales (16.4)"
    LINE_QUALIFICATION = "line_qualification", "Calificación anual de la línea (16.5)"


class TaskStatus(models.TextChoices):
    PENDING = "pending", "Pendiente"
    DONE = "done", "Cumplida"


class LoanTask(models.Model):
    """A dated obligation of the regional office on a loan (13, 16.3–16.5)."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField("obligación", max_length=24, choices=TaskKind.choices)
    rule = models.CharField("regla", max_length=40)
    due_on = models.DateField("vence")
    status = models.CharField(max_length=8, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    done_on = models.DateField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    blocks_drawdowns = models.BooleanField("bloquea disposiciones si vence", default=False)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"])]
        verbose_name = "obligación"
        verbose_name_plural = "obligaciones"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.due_on:%d/%m/%Y}"


class DailyClose(models.Model):
    """One business date's close: idempotent per date, one transaction (a crash leaves nothing half done)."""

    business_date = models.DateField("fecha de cierre", unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    loans = models.PositiveIntegerField("créditos procesados", default=0)
    interest_accrued = models.JSONField("interés devengado por moneda", default=dict)
    moratorium_accrued = models.JSONField("moratorio devengado por moneda", default=dict)
    moved_to_overdue = models.PositiveIntegerField("amortizaciones que vencieron", default=0)
    reclassified = models.PositiveIntegerField("créditos traspasados a cartera vencida", default=0)
    aging = models.JSONField("antigüedad de saldos", default=dict)

    class Meta:
        ordering = ["business_date"]
        verbose_name = "cierre diario"
        verbose_name_plural = "cierres diarios"

    def __str__(self) -> str:
        return f"Cierre {self.business_date:%d/%m/%Y}"


class WriteOff(models.Model):
    """The write-off (castigo) of a loan authorized by the committee (`servicing.writeoff`): what the
    guarantee funds paid first, the money held for it that was applied, and what was written off, concept
    by concept, with its journal entry."""

    loan = models.OneToOneField(Loan, on_delete=models.PROTECT, related_name="write_off")
    request = models.OneToOneField(
        "origination.LoanRequest",
        on_delete=models.PROTECT,
        related_name="write_off",
        verbose_name="solicitud de castigo autorizada por el comité",
    )
    business_date = models.DateField("fecha del castigo")
    fund_cover = CentavosField("pagado por fondos de garantía antes del castigo", default=ZERO)
    unapplied_used = CentavosField("pagos por aplicar usados", default=ZERO)
    principal = CentavosField("capital castigado", default=ZERO)
    interest = CentavosField("interés ordinario castigado", default=ZERO)
    moratorium = CentavosField("interés moratorio castigado", default=ZERO)
    entry = models.OneToOneField("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "castigo de cartera"
        verbose_name_plural = "castigos de cartera"

    def __str__(self) -> str:
        return f"Castigo de {self.loan.number} ({self.business_date:%d/%m/%Y})"

    @property
    def total(self) -> Decimal:
        """What was written off: principal, interest and moratorium left after the funds and 2102."""
        return self.principal + self.interest + self.moratorium


class Recovery(models.Model):
    """Money recovered on a written-off loan: income of the period, never a receivable again."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="recoveries")
    value_date = models.DateField("fecha valor")
    amount = CentavosField("importe recuperado")
    entry = models.OneToOneField("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["value_date", "id"]
        constraints = [models.CheckConstraint(name="recovery_positive", condition=models.Q(amount__gt=0))]
        verbose_name = "recuperación de cartera castigada"
        verbose_name_plural = "recuperaciones de cartera castigada"

    def __str__(self) -> str:
        return f"Recuperación {self.amount} {self.value_date:%d/%m/%Y}"


class GuaranteeRelease(models.Model):
    """The legal step that frees a guarantee of the file once the loan is liquidado (`servicing.payoff`)."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="guarantee_releases")
    guarantee = models.OneToOneField(
        "origination.FileGuarantee", on_delete=models.PROTECT, related_name="release"
    )
    released_on = models.DateField("fecha de liberación")
    instrument = models.CharField("instrumento", max_length=200)
    notes = models.TextField("notas", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["released_on", "id"]
        verbose_name = "liberación de garantía"
        verbose_name_plural = "liberaciones de garantías"

    def __str__(self) -> str:
        return f"Liberación de {self.guarantee} ({self.released_on:%d/%m/%Y})"


# ------------------------------------------------------------------------- four eyes: orders and requests


class OrderStatus(models.TextChoices):
    CAPTURED = "captured", "Capturada"
    RELEASED = "released", "Liberada"
    CANCELLED = "cancelled", "Cancelada"


class DisbursementOrder(models.Model):
    """A ministración (or a line's drawdown) captured and waiting to be released by another user
    (`servicing.release`): nothing is posted to the ledger until it is released."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="disbursement_orders")
    amount = CentavosField("importe")
    value_date = models.DateField("fecha valor")
    drawdown_days = models.PositiveSmallIntegerField("plazo de la disposición (días)", null=True, blank=True)
    status = models.CharField(
        "estado", max_length=10, choices=OrderStatus.choices, default=OrderStatus.CAPTURED
    )
    idempotency_key = models.CharField("clave de idempotencia de la captura", max_length=80, blank=True)
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="capturó"
    )
    captured_at = models.DateTimeField("capturada el", auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="liberó",
    )
    released_at = models.DateTimeField("liberada el", null=True, blank=True)
    disbursement = models.OneToOneField(
        Disbursement, on_delete=models.PROTECT, null=True, blank=True, related_name="order"
    )
    entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="canceló",
    )
    cancelled_at = models.DateTimeField("cancelada el", null=True, blank=True)
    cancel_reason = models.TextField("motivo de la cancelación", blank=True)

    class Meta:
        ordering = ["captured_at", "id"]
        constraints = [
            models.CheckConstraint(name="disbursement_order_positive", condition=models.Q(amount__gt=0)),
        ]
        indexes = [models.Index(fields=["status", "loan"], name="disb_order_status_loan")]
        verbose_name = "orden de ministración"
        verbose_name_plural = "órdenes de ministración"

    def __str__(self) -> str:
        return f"Orden de ministración {self.amount} {self.value_date:%d/%m/%Y}"


class ReversalStatus(models.TextChoices):
    REQUESTED = "requested", "Solicitada"
    APPROVED = "approved", "Aprobada"
    REJECTED = "rejected", "Rechazada"


class ReversalRequest(models.Model):
    """A payment's reversal asked for with its reason, posted only when another user approves it
    (`servicing.release`)."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="reversal_requests")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="reversal_requests")
    reason = models.TextField("motivo de la reversa")
    status = models.CharField(
        "estado", max_length=10, choices=ReversalStatus.choices, default=ReversalStatus.REQUESTED
    )
    idempotency_key = models.CharField("clave de idempotencia de la solicitud", max_length=80, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="solicitó"
    )
    requested_at = models.DateTimeField("solicitada el", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="resolvió",
    )
    decided_at = models.DateTimeField("resuelta el", null=True, blank=True)
    rejection_reason = models.TextField("motivo del rechazo", blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment"],
                condition=models.Q(status="requested"),
                name="one_pending_reversal_per_payment",
            )
        ]
        indexes = [models.Index(fields=["status", "loan"], name="reversal_req_status_loan")]
        verbose_name = "solicitud de reversa"
        verbose_name_plural = "solicitudes de reversa"

    def __str__(self) -> str:
        return f"Solicitud de reversa del pago {self.payment_id}"
