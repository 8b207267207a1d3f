"""The credit file (expediente): proposal, requirements, guarantees, evaluation and its state."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from filon.centavos import CentavosField
from filon.rules.schema import CreditType, Currency, GuaranteeType, ProgramCode, Stage

ZERO = Decimal(0)
SHORT_NAME_CHARS = 60  # a requirement named in a message or a notice

PROGRAM_CHOICES = [
    (ProgramCode.PRIMER_PISO.value, "Crédito de primer piso"),
    (ProgramCode.CADENAS_PRODUCTIVAS.value, "Cadenas Productivas FIFOMI–NAFIN"),
    (ProgramCode.PEQUENA_MINERIA.value, "Programa Nacional para la Pequeña Minería"),
    (ProgramCode.CANANEA.value, "Programa Especial Cananea, Sonora"),
    (ProgramCode.CARBON_COAHUILA.value, "Programa Especial Carbón de Coahuila"),
]
CREDIT_TYPE_CHOICES = [
    (CreditType.REFACCIONARIO.value, "Refaccionario"),
    (CreditType.HABILITACION_AVIO.value, "Habilitación o avío"),
    (CreditType.AVIO_REVOLVENTE.value, "Avío revolvente"),
    (CreditType.AVIO_REVOLVENTE_PROVEEDORES.value, "Avío revolvente para apoyo de proveedores"),
    (CreditType.AVIO_REVOLVENTE_INTRODUCTORES.value, "Avío revolvente para introductores y/o beneficiadores"),
    (CreditType.PAGO_PASIVOS.value, "Simple para pago de pasivos"),
]
CURRENCY_CHOICES = [(Currency.MXN.value, "Pesos (MXN)"), (Currency.USD.value, "Dólares (USD)")]
GUARANTEE_TYPE_CHOICES = [
    (GuaranteeType.HIPOTECA_INDUSTRIAL.value, "Hipoteca industrial"),
    (GuaranteeType.HIPOTECA_URBANA.value, "Hipoteca urbana"),
    (GuaranteeType.HIPOTECA_SEMIURBANA.value, "Hipoteca semiurbana"),
    (GuaranteeType.HIPOTECA_RUSTICA.value, "Hipoteca rústica"),
    (GuaranteeType.PRENDA_NUEVA.value, "Prenda sobre maquinaria y equipo nuevo"),
    (GuaranteeType.PRENDA_USADA.value, "Prenda sobre maquinaria y equipo usado"),
    (GuaranteeType.CONCESION_MINERA.value, "Hipoteca sobre concesión minera"),
    (GuaranteeType.AVAL.value, "Aval u obligado solidario"),
    (GuaranteeType.CARTA_RETENCION.value, "Carta de retención de liquidaciones"),
    (GuaranteeType.FIANZA.value, "Fianza"),
    (GuaranteeType.PRENDA_MINERAL.value, "Prenda sobre mineral"),
    (GuaranteeType.GARANTIA_LIQUIDA.value, "Garantía líquida"),
    (GuaranteeType.CARTA_CREDITO.value, "Carta de crédito"),
]
STAGE_CHOICES = [
    (Stage.AUTHORIZATION.value, "Para autorización"),
    (Stage.CONTRACTING.value, "Para contratación"),
    (Stage.PRE_DISBURSEMENT.value, "Previos a la disposición"),
    (Stage.POST_DISBURSEMENT.value, "Posteriores a la disposición"),
    (Stage.MONITORING_QUARTERLY.value, "Seguimiento trimestral"),
    (Stage.MONITORING_ANNUAL.value, "Seguimiento anual"),
    (Stage.LINE_QUALIFICATION.value, "Calificación anual de la línea"),
]


class FileStatus(models.TextChoices):
    CAPTURED = "captured", "Capturado"
    REQUIREMENTS_COMPLETE = "requirements_complete", "Requisitos completos"
    UNDER_ANALYSIS = "under_analysis", "En análisis"
    PROPOSED = "proposed", "Propuesto a comité"
    AUTHORIZED = "authorized", "Autorizado"
    REJECTED = "rejected", "Rechazado"
    RETURNED = "returned", "Devuelto con observaciones"
    FORMALIZED = "formalized", "Formalizado"
    READY_TO_DISBURSE = "ready_to_disburse", "Listo para disponer"
    EXPIRED = "expired", "Autorización vencida"
    CANCELLED = "cancelled", "Cancelado"


class CreditFile(models.Model):
    folio = models.CharField("folio", max_length=24, unique=True)
    applicant = models.ForeignKey("applicants.Applicant", on_delete=models.PROTECT, related_name="files")
    office = models.ForeignKey("accounts.RegionalOffice", on_delete=models.PROTECT, related_name="files")
    status = models.CharField(
        "estado", max_length=24, choices=FileStatus.choices, default=FileStatus.CAPTURED
    )
    # The proposal
    program = models.CharField("programa", max_length=24, choices=PROGRAM_CHOICES)
    credit_type = models.CharField("tipo de crédito", max_length=32, choices=CREDIT_TYPE_CHOICES)
    currency = models.CharField("moneda", max_length=3, choices=CURRENCY_CHOICES, default=Currency.MXN.value)
    amount = CentavosField("monto solicitado")
    investment_program = CentavosField("programa de inversión sin IVA")
    term_months = models.PositiveSmallIntegerField("plazo (meses)")
    grace_months = models.PositiveSmallIntegerField("gracia de capital (meses)", default=0)
    payment_every_months = models.PositiveSmallIntegerField("periodicidad de pago (meses)", default=1)
    amortization = models.CharField(
        "amortización",
        max_length=16,
        default="equal_principal",
        choices=[("equal_principal", "Capital en pagos iguales"), ("growing", "Pagos crecientes")],
    )
    growth_rate = models.DecimalField(
        "crecimiento de pagos", max_digits=7, decimal_places=6, null=True, blank=True
    )
    new_equipment_option = models.BooleanField("opción equipo nuevo 1.5 a 1 (+1 punto)", default=False)
    purpose = models.TextField("destino del crédito", blank=True)
    application_date = models.DateField("fecha de solicitud")
    # What the engine said, with the rule set it said it under
    ruleset_version = models.CharField("versión de reglas", max_length=40, blank=True)
    evaluation = models.JSONField("evaluación", null=True, blank=True)
    evaluated_at = models.DateTimeField("evaluado el", null=True, blank=True)
    eligible = models.BooleanField("elegible", null=True)
    committee = models.CharField("instancia de decisión", max_length=24, blank=True)
    # Life
    requirements_complete_on = models.DateField("requisitos completos el", null=True, blank=True)
    attention_deadline = models.DateField("fecha límite de atención", null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    # The regional manager's sign-off before the file goes to the committee's agenda (four eyes)
    signoff_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="visto bueno de",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    signoff_at = models.DateTimeField("visto bueno el", null=True, blank=True)
    signoff_note = models.TextField("nota del visto bueno", blank=True)
    signoff_return_reason = models.TextField("motivo de la devolución del gerente regional", blank=True)
    authorized_on = models.DateField("fecha de autorización", null=True, blank=True)
    authorization_expires_on = models.DateField("vigencia de la autorización", null=True, blank=True)
    authorization_extended = models.BooleanField("prórroga concedida", default=False)
    conditions = models.TextField("condiciones de la autorización", blank=True)
    observations = models.TextField("observaciones", blank=True)
    contract_signed_on = models.DateField("contrato firmado el", null=True, blank=True)
    contract_number = models.CharField("número de contrato", max_length=40, blank=True)
    cancel_reason = models.TextField("motivo de cancelación", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "expediente de crédito"
        verbose_name_plural = "expedientes de crédito"
        constraints = [
            models.CheckConstraint(name="file_amount_positive", condition=models.Q(amount__gt=0)),
            models.CheckConstraint(
                name="file_grace_below_term", condition=models.Q(grace_months__lte=models.F("term_months"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.folio} — {self.applicant.name}"


class RequirementStatus(models.TextChoices):
    PENDING = "pending", "Pendiente"
    UPLOADED = "uploaded", "Cargado, por revisar"
    APPROVED = "approved", "Aprobado"
    REJECTED = "rejected", "Rechazado"
    NOT_APPLICABLE = "not_applicable", "No aplica"


class RequirementItem(models.Model):
    """One document of a checklist of the rule set, for one file."""

    file = models.ForeignKey(CreditFile, on_delete=models.CASCADE, related_name="requirements")
    code = models.CharField("clave", max_length=32)
    checklist = models.CharField("lista", max_length=32)
    rule = models.CharField("regla", max_length=40)
    stage = models.CharField("etapa", max_length=24, choices=STAGE_CHOICES)
    number = models.PositiveSmallIntegerField("número")
    name = models.TextField("documento")
    notes = models.TextField("observaciones de la regla", blank=True)
    condition = models.TextField("condición", blank=True)
    validity_months = models.PositiveSmallIntegerField("vigencia máxima (meses)", null=True, blank=True)
    legal_review = models.BooleanField("requiere dictamen jurídico", default=False)
    status = models.CharField(
        "estado", max_length=16, choices=RequirementStatus.choices, default=RequirementStatus.PENDING
    )
    document_date = models.DateField("fecha del documento", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField("nota de revisión", blank=True)
    legal_opinion = models.CharField(
        "dictamen jurídico",
        max_length=16,
        blank=True,
        choices=[("favorable", "Favorable"), ("desfavorable", "Desfavorable")],
    )
    legal_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    legal_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["stage", "checklist", "number", "code"]
        constraints = [models.UniqueConstraint(fields=["file", "code"], name="one_requirement_per_code")]
        verbose_name = "requisito"
        verbose_name_plural = "requisitos"

    def __str__(self) -> str:
        return f"{self.code} {self.name[:60]}"

    @property
    def is_conditional(self) -> bool:
        return bool(self.condition)

    @property
    def short_name(self) -> str:
        """The document's name as a message names it: whole up to 60 characters, else cut at a word (…)."""
        if len(self.name) <= SHORT_NAME_CHARS:
            return self.name
        return self.name[:SHORT_NAME_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def upload_path(instance: DocumentUpload, filename: str) -> str:
    return f"expedientes/{instance.item.file.folio}/{instance.item.code}/{instance.sha256[:16]}-{filename}"


class DocumentUpload(models.Model):
    item = models.ForeignKey(RequirementItem, on_delete=models.PROTECT, related_name="uploads")
    file = models.FileField("archivo", upload_to=upload_path, max_length=300)
    original_name = models.CharField("nombre original", max_length=200)
    content_type = models.CharField("tipo", max_length=100)
    size = models.PositiveIntegerField("tamaño (bytes)")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = "documento cargado"
        verbose_name_plural = "documentos cargados"

    def __str__(self) -> str:
        return self.original_name


class GuaranteeStatus(models.TextChoices):
    OFFERED = "offered", "Ofrecida"
    ACTIVE = "active", "Vigente"
    RELEASED = "released", "Liberada"
    SUBSTITUTED = "substituted", "Sustituida"


class FileGuarantee(models.Model):
    """A guarantee offered for a file, with what Rules 10.4–10.6 ask to know about it."""

    file = models.ForeignKey(CreditFile, on_delete=models.CASCADE, related_name="guarantees")
    type = models.CharField("tipo", max_length=24, choices=GUARANTEE_TYPE_CHOICES)
    status = models.CharField(
        "estado", max_length=12, choices=GuaranteeStatus.choices, default=GuaranteeStatus.OFFERED
    )
    owner = models.CharField("propietario", max_length=250)
    description = models.TextField("descripción")
    value = CentavosField("valor de avalúo, factura o nominal (MXN)")
    appraisal_date = models.DateField("fecha del avalúo", null=True, blank=True)
    appraiser = models.CharField("valuador", max_length=200, blank=True)
    reuses_last_appraisal = models.BooleanField("renovación: usa el último avalúo (10.5 e)", default=False)
    lien_rank = models.PositiveSmallIntegerField("grado de gravamen", default=1)
    insurer = models.CharField("aseguradora", max_length=200, blank=True)
    policy_number = models.CharField("número de póliza", max_length=60, blank=True)
    policy_expires_on = models.DateField("vencimiento de la póliza", null=True, blank=True)
    fifomi_preferred_beneficiary = models.BooleanField("FIFOMI beneficiario preferente", default=False)
    insurable = models.BooleanField("asegurable", default=True)
    first_invoice_date = models.DateField("fecha de primera factura", null=True, blank=True)
    is_transport = models.BooleanField("equipo de transporte", default=False)
    hechizo = models.BooleanField("equipo hechizo", default=False)
    fiduciary = models.BooleanField("constituida en fideicomiso", default=False)
    net_worth_statement_date = models.DateField(
        "fecha de la relación patrimonial (aval)", null=True, blank=True
    )
    covers_balance = models.BooleanField("la fianza cubre el saldo insoluto", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "garantía"
        verbose_name_plural = "garantías"
        constraints = [
            models.CheckConstraint(name="guarantee_value_positive", condition=models.Q(value__gt=0))
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} — {self.owner}"


class GuaranteeChange(models.Model):
    """A request to release or substitute a guarantee; it goes to the committee with power (10.4)."""

    class Kind(models.TextChoices):
        RELEASE = "release", "Liberación"
        SUBSTITUTION = "substitution", "Sustitución"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Solicitada"
        AUTHORIZED = "authorized", "Autorizada"
        REJECTED = "rejected", "Rechazada"

    guarantee = models.ForeignKey(FileGuarantee, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField("tipo", max_length=16, choices=Kind.choices)
    replacement = models.ForeignKey(
        FileGuarantee, on_delete=models.PROTECT, null=True, blank=True, related_name="replaces"
    )
    reason = models.TextField("motivo")
    committee = models.CharField("instancia de decisión", max_length=24)
    status = models.CharField("estado", max_length=12, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "solicitud de liberación o sustitución de garantía"
        verbose_name_plural = "solicitudes de liberación o sustitución de garantías"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} de {self.guarantee}"


class LoanRequest(models.Model):
    """A request on a disbursed credit that only a committee may authorize: a restructuring (Rules 15,
    17.2 b, 17.3 b) or a write-off. Routed by the loan's principal balance in USD at FIX (R-17).

    It hangs from the credit's file: the loan lives in servicing, a higher layer, so the request carries
    the loan's number and the balance it was routed by, and servicing reads its own requests by the file.
    """

    class Kind(models.TextChoices):
        RESTRUCTURING = "restructuring", "Reestructura"
        WRITE_OFF = "write_off", "Castigo"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Solicitada"
        AUTHORIZED = "authorized", "Autorizada"
        REJECTED = "rejected", "Rechazada"
        APPLIED = "applied", "Aplicada"
        WITHDRAWN = "withdrawn", "Retirada"

    file = models.ForeignKey(
        CreditFile, verbose_name="expediente", on_delete=models.PROTECT, related_name="loan_requests"
    )
    loan_number = models.CharField("número de crédito", max_length=32)
    kind = models.CharField("tipo", max_length=16, choices=Kind.choices)
    committee = models.CharField("instancia de decisión", max_length=24)
    committee_rule = models.CharField("regla de la instancia", max_length=40)
    currency = models.CharField("moneda", max_length=3, choices=CURRENCY_CHOICES)
    principal_balance = CentavosField("saldo de capital")
    principal_balance_usd = models.DecimalField(
        "saldo de capital en USD (FIX)", max_digits=20, decimal_places=2
    )
    fx_usd_mxn = models.DecimalField("tipo de cambio FIX", max_digits=12, decimal_places=6)
    as_of = models.DateField("saldo al")
    proposal = models.JSONField("propuesta", default=dict)
    evaluation = models.JSONField("evaluación", default=dict)
    reason = models.TextField("motivo")
    status = models.CharField("estado", max_length=12, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField("resuelta el", null=True, blank=True)
    agreement_number = models.CharField("número de acuerdo", max_length=32, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    applied_at = models.DateTimeField("aplicada el", null=True, blank=True)
    application = models.JSONField("aplicación", default=dict, blank=True)
    sustained_payment_pending = models.BooleanField(
        "pendiente de pago sostenido",
        default=False,
        help_text="a credit restructured while in cartera vencida stays vencida until sustained payment",
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = "solicitud sobre un crédito"
        verbose_name_plural = "solicitudes sobre créditos"
        constraints = [
            models.UniqueConstraint(
                fields=["file", "kind"],
                condition=models.Q(status__in=["requested", "authorized"]),
                name="one_open_loan_request_per_file_and_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} del crédito {self.loan_number}"
