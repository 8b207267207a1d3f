"""Forms that turn raw input (web or API) into the services' typed data, with Spanish field errors.

Amounts are `DecimalField`s (never floats); a value such as "12 millones" is refused on its field.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms

from filon import numbers
from filon.origination.models import (
    CREDIT_TYPE_CHOICES,
    CURRENCY_CHOICES,
    GUARANTEE_TYPE_CHOICES,
    PROGRAM_CHOICES,
)
from filon.origination.services import GuaranteeData, ProposalData

MONEY = {"max_digits": 18, "decimal_places": 2, "min_value": Decimal("0.01")}


class ProposalForm(forms.Form):
    program = forms.ChoiceField(label="Programa", choices=PROGRAM_CHOICES)
    credit_type = forms.ChoiceField(label="Tipo de crédito", choices=CREDIT_TYPE_CHOICES)
    currency = forms.ChoiceField(label="Moneda", choices=CURRENCY_CHOICES, initial="MXN")
    amount = numbers.DecimalField(label="Monto solicitado", **MONEY)
    investment_program = numbers.DecimalField(label="Programa de inversión sin IVA", **MONEY)
    term_months = numbers.IntegerField(label="Plazo (meses)", min_value=1, max_value=240)
    grace_months = numbers.IntegerField(
        label="Gracia de capital (meses)", min_value=0, max_value=120, initial=0
    )
    payment_every_months = numbers.IntegerField(
        label="Periodicidad de pago (meses)", min_value=1, max_value=12, initial=1
    )
    amortization = forms.ChoiceField(
        label="Amortización",
        choices=[("equal_principal", "Capital en pagos iguales"), ("growing", "Pagos crecientes")],
        initial="equal_principal",
    )
    growth_rate = numbers.DecimalField(
        label="Crecimiento de cada pago", max_digits=7, decimal_places=6, required=False, min_value=Decimal(0)
    )
    new_equipment_option = forms.BooleanField(label="Opción equipo nuevo 1.5 a 1 (+1 punto)", required=False)
    purpose = forms.CharField(label="Destino del crédito", widget=forms.Textarea, required=False)
    application_date = numbers.DateField(label="Fecha de solicitud", required=False)

    def to_data(self) -> ProposalData:
        data = dict(self.cleaned_data)
        data["grace_months"] = data.get("grace_months") or 0
        data["payment_every_months"] = data.get("payment_every_months") or 1
        return ProposalData(**data)


class GuaranteeForm(forms.Form):
    type = forms.ChoiceField(label="Tipo de garantía", choices=GUARANTEE_TYPE_CHOICES)
    owner = forms.CharField(label="Propietario", max_length=250)
    description = forms.CharField(label="Descripción", widget=forms.Textarea)
    value = numbers.DecimalField(label="Valor (avalúo, factura sin IVA o nominal) en pesos", **MONEY)
    appraisal_date = numbers.DateField(label="Fecha del avalúo", required=False)
    appraiser = forms.CharField(label="Valuador", required=False, max_length=200)
    reuses_last_appraisal = forms.BooleanField(label="Renovación: usa el último avalúo", required=False)
    lien_rank = numbers.IntegerField(
        label="Grado de gravamen", min_value=1, max_value=numbers.SMALL_INTEGER_COLUMN_MAX, initial=1
    )
    insurer = forms.CharField(label="Aseguradora", required=False, max_length=200)
    policy_number = forms.CharField(label="Número de póliza", required=False, max_length=60)
    policy_expires_on = numbers.DateField(label="Vencimiento de la póliza", required=False)
    fifomi_preferred_beneficiary = forms.BooleanField(label="FIFOMI beneficiario preferente", required=False)
    insurable = forms.BooleanField(label="Asegurable", required=False, initial=True)
    first_invoice_date = numbers.DateField(label="Fecha de primera factura", required=False)
    is_transport = forms.BooleanField(label="Equipo de transporte", required=False)
    hechizo = forms.BooleanField(label="Equipo hechizo", required=False)
    fiduciary = forms.BooleanField(label="Constituida en fideicomiso", required=False)
    net_worth_statement_date = numbers.DateField(
        label="Fecha de la relación patrimonial del aval", required=False
    )
    covers_balance = forms.NullBooleanField(label="La fianza cubre el saldo insoluto", required=False)

    def to_data(self) -> GuaranteeData:
        data = dict(self.cleaned_data)
        for text in ("appraiser", "insurer", "policy_number"):
            data[text] = data.get(text) or ""
        return GuaranteeData(**data)
