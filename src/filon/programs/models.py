"""The special programs of Chapter II in operation (SPEC P-1..P-4, G-2).

The programs themselves (their overrides, allotment, steps and funds) are rule-set data; what is stored
here is what happens to them: the first-tier budget of each year, an allotment (derrama) changed from
the rule set's by agreement, the state governments and organisms that join a program, the program's
steps on each file, and the parametric evaluation with its scoring model and the applicant's financial
statements.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from filon.centavos import CentavosField
from filon.origination.models import PROGRAM_CHOICES

ZERO = Decimal(0)


class YearBudget(models.Model):
    """The first-tier budget of a year (G-2) and the large-company share of it (R-5.3)."""

    year = models.PositiveSmallIntegerField("año", unique=True)
    first_tier_mxn = CentavosField("presupuesto de primer piso (MXN)")
    large_company_max_fraction = models.DecimalField(
        "proporción máxima para grandes empresas", max_digits=7, decimal_places=6
    )
    notes = models.TextField("notas", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = "presupuesto anual de primer piso"
        verbose_name_plural = "presupuestos anuales de primer piso"
        constraints = [
            models.CheckConstraint(
                name="budget_first_tier_positive", condition=models.Q(first_tier_mxn__gt=0)
            ),
            models.CheckConstraint(
                name="budget_large_fraction_range",
                condition=models.Q(large_company_max_fraction__gte=0, large_company_max_fraction__lte=1),
            ),
        ]

    def __str__(self) -> str:
        return f"Presupuesto {self.year}"


class ProgramAllotment(models.Model):
    """A program's allotment (derrama) and validity as agreed, replacing the rule set's defaults."""

    program = models.CharField("programa", max_length=24, choices=PROGRAM_CHOICES, unique=True)
    amount_mxn = CentavosField("derrama (MXN)")
    valid_from = models.DateField("vigente desde", null=True, blank=True)
    valid_until = models.DateField("vigente hasta", null=True, blank=True)
    agreement = models.CharField("acuerdo que la establece", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["program"]
        verbose_name = "derrama del programa"
        verbose_name_plural = "derramas de los programas"
        constraints = [
            models.CheckConstraint(name="allotment_positive", condition=models.Q(amount_mxn__gt=0)),
        ]

    def __str__(self) -> str:
        return f"Derrama {self.get_program_display()}"


class ParticipantKind(models.TextChoices):
    STATE_GOVERNMENT = "state_government", "Gobierno estatal"
    ORGANISM = "organism", "Otro organismo"
    MINER = "miner", "Pequeño minero"


class ProgramParticipant(models.Model):
    """A state government, organism or miner that joins a program by agreement (P-2 2.3)."""

    program = models.CharField("programa", max_length=24, choices=PROGRAM_CHOICES)
    kind = models.CharField("tipo", max_length=20, choices=ParticipantKind.choices)
    name = models.CharField("nombre", max_length=250)
    state = models.CharField("estado", max_length=3, blank=True)
    agreement_date = models.DateField("fecha del convenio")
    committed_mxn = CentavosField("monto comprometido (MXN)")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "agreement_date", "name"]
        verbose_name = "participante del programa"
        verbose_name_plural = "participantes de los programas"
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="one_participant_per_program_name"),
            models.CheckConstraint(
                name="participant_committed_positive", condition=models.Q(committed_mxn__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pendiente"
    DONE = "done", "Cumplido"
    NOT_APPROVED = "not_approved", "No aprobado"


class StepKind(models.TextChoices):
    GENERAL = "general", "Paso"
    PARAMETRIC = "parametric", "Evaluación paramétrica"
    NOM_032 = "nom_032", "Verificación NOM-032-STPS-2008"


# The stages a program step can be due before (rule set `programs.<code>.steps[].due`), in file order.
STEP_DUE_CHOICES = [
    ("authorization", "Proponer a comité"),
    ("contracting", "Formalizar el contrato"),
    ("pre_disbursement", "Liberar para disposición"),
]


class ProgramStep(models.Model):
    """One step of a program (rule set `programs.<code>.steps`) on one credit file."""

    file = models.ForeignKey("origination.CreditFile", on_delete=models.CASCADE, related_name="program_steps")
    program = models.CharField("programa", max_length=24, choices=PROGRAM_CHOICES)
    number = models.PositiveSmallIntegerField("número")
    code = models.CharField("clave", max_length=40)
    text = models.TextField("paso")
    kind = models.CharField("tipo", max_length=12, choices=StepKind.choices, default=StepKind.GENERAL)
    due = models.CharField(
        "se cumple antes de", max_length=24, choices=STEP_DUE_CHOICES, default=STEP_DUE_CHOICES[0][0]
    )
    rule = models.CharField("regla", max_length=40)
    status = models.CharField("estado", max_length=16, choices=StepStatus.choices, default=StepStatus.PENDING)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField("registrado el", null=True, blank=True)
    document = models.CharField("documento o referencia", max_length=200, blank=True)
    notes = models.TextField("observaciones", blank=True)

    class Meta:
        ordering = ["file", "number"]
        verbose_name = "paso del programa"
        verbose_name_plural = "pasos del programa"
        constraints = [models.UniqueConstraint(fields=["file", "code"], name="one_program_step_per_code")]

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"


class ScoringModel(models.Model):
    """A parametric evaluation model approved by the Comité Interno (factors, weights, bands, pass mark)."""

    code = models.CharField("clave", max_length=40)
    version = models.CharField("versión", max_length=20)
    name = models.CharField("nombre", max_length=200)
    committee_agreement = models.CharField("acuerdo del Comité Interno", max_length=200)
    approved_on = models.DateField("aprobado el")
    factors = models.JSONField("factores")
    pass_mark = models.DecimalField("calificación aprobatoria", max_digits=6, decimal_places=2)
    active = models.BooleanField("vigente", default=True)
    notes = models.TextField("notas", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "-approved_on", "-version"]
        verbose_name = "modelo de evaluación paramétrica"
        verbose_name_plural = "modelos de evaluación paramétrica"
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="one_scoring_model_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class FinancialStatement(models.Model):
    """The applicant's financial statements for a period (annual figures, MXN)."""

    applicant = models.ForeignKey(
        "applicants.Applicant", on_delete=models.PROTECT, related_name="financial_statements"
    )
    period_end = models.DateField("cierre del periodo")
    revenue_mxn = CentavosField("ventas netas")
    operating_costs_mxn = CentavosField("costos y gastos de operación")
    ebitda_mxn = CentavosField("EBITDA")
    debt_service_mxn = CentavosField("servicio anual de la deuda vigente", default=ZERO)
    total_debt_mxn = CentavosField("pasivo total")
    equity_mxn = CentavosField("capital contable")
    audited = models.BooleanField("dictaminados", default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["applicant", "-period_end"]
        verbose_name = "estado financiero"
        verbose_name_plural = "estados financieros"
        constraints = [
            models.UniqueConstraint(fields=["applicant", "period_end"], name="one_statement_per_period"),
            models.CheckConstraint(
                name="statement_debt_service_nonneg", condition=models.Q(debt_service_mxn__gte=0)
            ),
            models.CheckConstraint(
                name="statement_total_debt_nonneg", condition=models.Q(total_debt_mxn__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return f"Estados financieros al {self.period_end:%d/%m/%Y}"


class ParametricEvaluation(models.Model):
    """A parametric evaluation of a file: the inputs measured, the score and its verdict."""

    file = models.ForeignKey(
        "origination.CreditFile", on_delete=models.CASCADE, related_name="parametric_evaluations"
    )
    step = models.ForeignKey(ProgramStep, on_delete=models.PROTECT, related_name="evaluations")
    model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="evaluations")
    statement = models.ForeignKey(FinancialStatement, on_delete=models.PROTECT, related_name="evaluations")
    inputs = models.JSONField("valores medidos")
    result = models.JSONField("resultado")
    total = models.DecimalField("puntos", max_digits=6, decimal_places=2)
    approved = models.BooleanField("aprobatoria")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "evaluación paramétrica"
        verbose_name_plural = "evaluaciones paramétricas"

    def __str__(self) -> str:
        return f"Evaluación paramétrica {self.file_id}: {self.total}"

    @property
    def verdict(self) -> str:
        return "Aprobatorio" if self.approved else "No aprobatorio"
