"""Cadenas Productivas FIFOMI–NAFIN (P-1): the large buyer (EPO) and its line, its adhered suppliers, the
documents they upload and each document's discount.

Reading recorded here: every discount is a servicing `Loan` of the EPO (program `cadenas_productivas`,
credit type `avio_revolvente_proveedores`, 9.1.4) with one bullet installment due at the document's
maturity. The EPO is the obligor at maturity, so its late payment is an ordinary overdue installment: the
daily close accrues moratorium, ages it and reclassifies it exactly as for any other credit, and the ledger
holds the principal per loan as it does for every credit.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from filon.centavos import CentavosField

ZERO = Decimal(0)
RATE = {"max_digits": 9, "decimal_places": 6}


class EpoStatus(models.TextChoices):
    ADMITTED = "admitted", "Admitida"
    SUSPENDED = "suspended", "Suspendida"


class Epo(models.Model):
    """An Empresa de Primer Orden admitted to the program (P-1 1.4, 1.7) with its discount line (1.5).

    The admission is authorized by the Comité Interno through the EPO's own P-1 credit file: the file
    records the committee that resolved it and the resolution's agreement number is copied here."""

    applicant = models.OneToOneField(
        "applicants.Applicant", on_delete=models.PROTECT, related_name="epo", verbose_name="empresa"
    )
    office = models.ForeignKey("accounts.RegionalOffice", on_delete=models.PROTECT, related_name="epos")
    file = models.OneToOneField(
        "origination.CreditFile",
        on_delete=models.PROTECT,
        related_name="epo",
        verbose_name="expediente de autorización",
    )
    committee = models.CharField("instancia que autorizó", max_length=24)
    agreement_number = models.CharField("acuerdo del comité", max_length=32, blank=True)
    ruleset_version = models.CharField("versión de reglas", max_length=40)
    status = models.CharField(max_length=10, choices=EpoStatus.choices, default=EpoStatus.ADMITTED)
    admitted_on = models.DateField("admitida el")
    guarantee_type = models.CharField("tipo de garantía", max_length=32)
    guarantee_value = CentavosField("valor de la garantía hipotecaria")
    line_amount = CentavosField("monto de la línea")
    line_expires_on = models.DateField("vencimiento de la línea")
    next_review_on = models.DateField("próxima revisión anual")
    base_series = models.CharField("serie de tasa base", max_length=24)
    spread = models.DecimalField("sobretasa de la EPO", **RATE)
    admin_points = models.DecimalField("sobretasa por administración", default=ZERO, **RATE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["applicant__name"]
        constraints = [
            models.CheckConstraint(name="epo_line_positive", condition=models.Q(line_amount__gt=0)),
        ]
        verbose_name = "empresa de primer orden"
        verbose_name_plural = "empresas de primer orden"

    def __str__(self) -> str:
        return f"EPO {self.applicant.name}"


class SupplierAdhesion(models.Model):
    """A MIPYME supplier adhered to an EPO's chain (convenio de adhesión, P-1 1.4)."""

    epo = models.ForeignKey(Epo, on_delete=models.PROTECT, related_name="adhesions")
    supplier = models.ForeignKey(
        "applicants.Applicant", on_delete=models.PROTECT, related_name="adhesions", verbose_name="proveedor"
    )
    adhered_on = models.DateField("adherido el")
    agreement_ref = models.CharField("convenio de adhesión", max_length=60)
    active = models.BooleanField("activo", default=True)
    spread = models.DecimalField("sobretasa del proveedor", **RATE)
    admin_points = models.DecimalField("sobretasa por administración", default=ZERO, **RATE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["epo", "supplier__name"]
        constraints = [models.UniqueConstraint(fields=["epo", "supplier"], name="one_adhesion_per_supplier")]
        verbose_name = "adhesión de proveedor"
        verbose_name_plural = "adhesiones de proveedores"

    def __str__(self) -> str:
        return f"{self.supplier.name} en {self.epo}"


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", "Factura"
    CONTRA_RECIBO = "contra_recibo", "Contrarrecibo"


class UploadedBy(models.TextChoices):
    EPO = "epo", "La EPO"
    SUPPLIER = "supplier", "El proveedor"


class DocumentStatus(models.TextChoices):
    UPLOADED = "uploaded", "Publicado"
    DISCOUNTED = "discounted", "Descontado"
    COLLECTED = "collected", "Cobrado"
    OVERDUE = "overdue", "Vencido"


class FactoringDocument(models.Model):
    """A document with collection rights the EPO owes its supplier (factura, contrarrecibo; 9.1.4)."""

    epo = models.ForeignKey(Epo, on_delete=models.PROTECT, related_name="documents")
    supplier = models.ForeignKey(
        "applicants.Applicant", on_delete=models.PROTECT, related_name="+", verbose_name="proveedor"
    )
    kind = models.CharField("tipo de documento", max_length=16, choices=DocumentKind.choices)
    number = models.CharField("número", max_length=40)
    face_value = CentavosField("valor nominal")
    issue_date = models.DateField("fecha de emisión")
    due_date = models.DateField("fecha de vencimiento")
    uploaded_by = models.CharField("publicado por", max_length=10, choices=UploadedBy.choices)
    uploaded_by_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_on = models.DateField("publicado el")
    document_file = models.FileField("archivo", upload_to="factoring/%Y/%m/", blank=True)
    status = models.CharField(max_length=12, choices=DocumentStatus.choices, default=DocumentStatus.UPLOADED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["epo", "supplier", "kind", "number"], name="one_document_number"),
            models.CheckConstraint(name="document_face_positive", condition=models.Q(face_value__gt=0)),
        ]
        verbose_name = "documento"
        verbose_name_plural = "documentos"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class InterestMode(models.TextChoices):
    AT_MATURITY = "at_maturity", "Capital e interés al vencimiento"
    UP_FRONT = "up_front", "Interés al descontar y capital al vencimiento"


class Discount(models.Model):
    """The discount of one document: the advance paid to the supplier, collected from the EPO at maturity."""

    document = models.OneToOneField(FactoringDocument, on_delete=models.PROTECT, related_name="discount")
    loan = models.OneToOneField("servicing.Loan", on_delete=models.PROTECT, related_name="factoring_discount")
    advance = CentavosField("importe descontado")
    base_rate = models.DecimalField("tasa base", **RATE)
    rate = models.DecimalField("tasa anual", **RATE)
    interest_mode = models.CharField("forma de pago", max_length=12, choices=InterestMode.choices)
    days = models.PositiveSmallIntegerField("días")
    interest = CentavosField("interés")
    commission = CentavosField("comisión por disposición")
    commission_iva = CentavosField("IVA de la comisión")
    disbursed_amount = CentavosField("depositado al proveedor")
    disbursed_on = models.DateField("descontado el")
    collected_on = models.DateField("cobrado el", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["disbursed_on", "id"]
        constraints = [
            models.CheckConstraint(name="discount_advance_positive", condition=models.Q(advance__gt=0))
        ]
        verbose_name = "descuento"
        verbose_name_plural = "descuentos"

    def __str__(self) -> str:
        return f"Descuento de {self.document}"


class PlatformFee(models.Model):
    """The platform fee of a month on the EPO's average daily balance (P-1 1.5), charged once per month."""

    epo = models.ForeignKey(Epo, on_delete=models.PROTECT, related_name="platform_fees")
    month = models.DateField("mes (primer día)")
    average_balance = CentavosField("saldo promedio diario")
    rate = models.DecimalField("tasa anual", **RATE)
    fee = CentavosField("contraprestación")
    iva = CentavosField("IVA")
    entry = models.OneToOneField("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["epo", "month"]
        constraints = [models.UniqueConstraint(fields=["epo", "month"], name="one_platform_fee_per_month")]
        verbose_name = "contraprestación por plataforma"
        verbose_name_plural = "contraprestaciones por plataforma"

    def __str__(self) -> str:
        return f"Contraprestación {self.month:%m/%Y} de {self.epo}"
