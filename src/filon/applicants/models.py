"""Applicants (solicitantes): who they are, where they are served, and what the rules need to know."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from filon.centavos import CentavosField
from filon.rules.schema import MiningClass, PersonType, Sector

PERSON_TYPE_CHOICES = [
    (PersonType.FISICA.value, "Persona física con actividad empresarial"),
    (PersonType.MORAL.value, "Persona moral"),
    (PersonType.EJIDO.value, "Ejido"),
    (PersonType.COMUNIDAD.value, "Comunidad agraria"),
]
MINING_CLASS_CHOICES = [
    (MiningClass.CONCESIBLE.value, "Minería concesible"),
    (MiningClass.NO_CONCESIBLE.value, "Minería no concesible y sector productivo"),
]
SECTOR_CHOICES = [
    (Sector.INDUSTRIA.value, "Industria"),
    (Sector.COMERCIO.value, "Comercio"),
    (Sector.SERVICIOS.value, "Servicios"),
]
ZERO = Decimal(0)


class CompanyGroup(models.Model):
    """A group of companies (Rules 3): the USD 5.0 M cap and committee exposure are per group (9.2.2, 17)."""

    name = models.CharField("nombre del grupo", max_length=200, unique=True)
    notes = models.TextField("notas", blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "grupo de empresas"
        verbose_name_plural = "grupos de empresas"

    def __str__(self) -> str:
        return self.name


class Applicant(models.Model):
    office = models.ForeignKey(
        "accounts.RegionalOffice",
        verbose_name="gerencia regional",
        on_delete=models.PROTECT,
        related_name="applicants",
    )
    person_type = models.CharField("tipo de persona", max_length=12, choices=PERSON_TYPE_CHOICES)
    name = models.CharField("nombre o razón social", max_length=250)
    rfc = models.CharField("RFC", max_length=13, unique=True)
    curp = models.CharField("CURP", max_length=18, blank=True)
    rfc_check_digit_ok = models.BooleanField("dígito verificador del RFC correcto", default=True)
    state = models.CharField("estado", max_length=3)
    municipality = models.CharField("municipio", max_length=120)
    address = models.CharField("domicilio", max_length=300, blank=True)
    postal_code = models.CharField("código postal", max_length=5, blank=True)
    group = models.ForeignKey(
        CompanyGroup,
        verbose_name="grupo de empresas",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    # What the size, segment and eligibility rules need (Rules 5–7, 9.2.4)
    activity = models.PositiveSmallIntegerField("actividad (Anexo I)")
    primary_extraction = models.BooleanField("realiza extracción primaria", default=False)
    mining_class = models.CharField("clase de minería", max_length=16, choices=MINING_CLASS_CHOICES)
    sector = models.CharField("sector", max_length=12, choices=SECTOR_CHOICES, default=Sector.INDUSTRIA.value)
    employees = models.PositiveIntegerField("empleos permanentes")
    annual_gross_income_mxn = CentavosField(
        "ingresos brutos anuales (MXN)",
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    production_tons_month = models.DecimalField(
        "producción (t/mes)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    years_of_sales = models.DecimalField("años con ventas", max_digits=5, decimal_places=2, default=ZERO)
    years_satisfactory_with_fifomi = models.DecimalField(
        "años de historial satisfactorio con el FIFOMI", max_digits=5, decimal_places=2, default=ZERO
    )
    equity_mxn = CentavosField("capital contable (MXN)")
    capital_lost_fraction = models.DecimalField(
        "fracción del capital social perdida", max_digits=7, decimal_places=6, default=ZERO
    )
    usd_income = models.BooleanField("cotiza, factura o genera divisas en USD", null=True, blank=True)
    new_project = models.BooleanField("proyecto nuevo", default=False)
    # Selection flags (Rules 6)
    overdue_debts = models.BooleanField("cartera vencida con FIFOMI u otras instituciones", default=False)
    strike = models.BooleanField("huelga", default=False)
    lawsuits = models.BooleanField("demandas", default=False)
    embargo = models.BooleanField("embargos", default=False)
    concurso_mercantil = models.BooleanField("concurso mercantil", default=False)
    condoned_history = models.BooleanField(
        "antecedentes de condonación o quita (COFOMI/FIFOMI)", default=False
    )

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "solicitante"
        verbose_name_plural = "solicitantes"

    def __str__(self) -> str:
        return f"{self.name} ({self.rfc})"


class RelatedPerson(models.Model):
    class Kind(models.TextChoices):
        ACCIONISTA = "accionista", "Accionista"
        REPRESENTANTE = "representante_legal", "Representante legal"
        AVAL = "aval", "Aval u obligado solidario"

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="related_people")
    kind = models.CharField("carácter", max_length=24, choices=Kind.choices)
    name = models.CharField("nombre", max_length=250)
    rfc = models.CharField("RFC", max_length=13, blank=True)
    curp = models.CharField("CURP", max_length=18, blank=True)
    share_fraction = models.DecimalField(
        "participación accionaria", max_digits=7, decimal_places=6, null=True, blank=True
    )

    class Meta:
        verbose_name = "persona relacionada"
        verbose_name_plural = "personas relacionadas"

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class BureauRecord(models.Model):
    """A credit-bureau consultation: its date and the prevention keys it reported (Rules 6)."""

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="bureau_records")
    consulted_on = models.DateField("fecha de consulta")
    prevention_keys = models.JSONField("claves de prevención", default=list, blank=True)
    notes = models.TextField("observaciones", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-consulted_on", "-id"]
        verbose_name = "consulta de buró de crédito"
        verbose_name_plural = "consultas de buró de crédito"

    def __str__(self) -> str:
        return f"Buró {self.consulted_on:%d/%m/%Y}: {', '.join(self.prevention_keys) or 'sin claves'}"
