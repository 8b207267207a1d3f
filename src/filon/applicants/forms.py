"""Applicant capture form: raw input → ApplicantData, with Spanish messages on each field."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from filon import numbers
from filon.applicants.models import MINING_CLASS_CHOICES, PERSON_TYPE_CHOICES, SECTOR_CHOICES
from filon.applicants.services import ApplicantData


class ApplicantForm(forms.Form):
    person_type = forms.ChoiceField(label="Tipo de persona", choices=PERSON_TYPE_CHOICES)
    name = forms.CharField(label="Nombre o razón social", max_length=250)
    rfc = forms.CharField(label="RFC", max_length=15)
    curp = forms.CharField(label="CURP (personas físicas)", max_length=18, required=False)
    state = forms.CharField(label="Estado (clave de 3 letras)", max_length=3)
    municipality = forms.CharField(label="Municipio", max_length=120)
    address = forms.CharField(label="Domicilio", max_length=300, required=False)
    postal_code = forms.RegexField(
        label="Código postal",
        regex=r"^\d{5}$",
        required=False,
        error_messages={"invalid": "El código postal tiene 5 dígitos."},
    )
    activity = numbers.IntegerField(
        label="Actividad (Anexo I)", min_value=1, max_value=numbers.SMALL_INTEGER_COLUMN_MAX
    )
    primary_extraction = forms.BooleanField(label="Realiza extracción primaria", required=False)
    mining_class = forms.ChoiceField(label="Clase de minería", choices=MINING_CLASS_CHOICES)
    sector = forms.ChoiceField(label="Sector", choices=SECTOR_CHOICES, initial="industria")
    employees = numbers.IntegerField(label="Empleos permanentes", min_value=0)
    annual_gross_income_mxn = numbers.DecimalField(
        label="Ingresos brutos anuales (MXN)",
        max_digits=18,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
    )
    production_tons_month = numbers.DecimalField(
        label="Producción (t/mes)", max_digits=12, decimal_places=2, min_value=Decimal(0), required=False
    )
    years_of_sales = numbers.DecimalField(
        label="Años con ventas",
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        initial=0,
        required=False,
    )
    years_satisfactory_with_fifomi = numbers.DecimalField(
        label="Años de historial satisfactorio con el FIFOMI",
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        initial=0,
        required=False,
    )
    equity_mxn = numbers.DecimalField(label="Capital contable (MXN)", max_digits=18, decimal_places=2)
    capital_lost_fraction = numbers.DecimalField(
        label="Fracción del capital social perdida",
        max_digits=7,
        decimal_places=6,
        min_value=Decimal(0),
        max_value=Decimal(1),
        initial=0,
        required=False,
    )
    usd_income = forms.NullBooleanField(label="Cotiza, factura o genera divisas en dólares", required=False)
    new_project = forms.BooleanField(label="Proyecto nuevo", required=False)
    overdue_debts = forms.BooleanField(
        label="Cartera vencida con FIFOMI u otras instituciones", required=False
    )
    strike = forms.BooleanField(label="Huelga", required=False)
    lawsuits = forms.BooleanField(label="Demandas", required=False)
    embargo = forms.BooleanField(label="Embargos", required=False)
    concurso_mercantil = forms.BooleanField(label="Concurso mercantil", required=False)
    condoned_history = forms.BooleanField(label="Antecedentes de condonación o quita", required=False)

    def clean_state(self) -> str:
        return str(self.cleaned_data["state"]).strip().upper()

    def to_data(self) -> ApplicantData:
        data = dict(self.cleaned_data)
        for name in ("curp", "address", "postal_code"):
            data[name] = data.get(name) or ""
        for name in ("years_of_sales", "years_satisfactory_with_fifomi", "capital_lost_fraction"):
            data[name] = data.get(name) or Decimal(0)
        return ApplicantData(**data)
