"""Forms of the program pages: typed input with Spanish field errors; the services decide."""

from __future__ import annotations

from django import forms

from filon import numbers
from filon.programs.models import ParticipantKind, StepStatus

DATE = numbers.DATE
MONEY = {"max_digits": 18, "decimal_places": 2, "min_value": 0}


class StepForm(forms.Form):
    status = forms.ChoiceField(label="Estado", choices=StepStatus.choices)
    document = forms.CharField(label="Documento o referencia", max_length=200, required=False)
    notes = forms.CharField(
        label="Observaciones (obligatorias si no se aprueba)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ParametricForm(forms.Form):
    technical_opinion_favorable = forms.BooleanField(label="Opinión técnica favorable", required=False)


class StatementForm(forms.Form):
    period_end = numbers.DateField(label="Cierre del periodo", **DATE)
    revenue_mxn = numbers.DecimalField(label="Ventas netas (MXN)", **MONEY)
    operating_costs_mxn = numbers.DecimalField(label="Costos y gastos de operación (MXN)", **MONEY)
    ebitda_mxn = numbers.DecimalField(label="EBITDA (MXN)", max_digits=18, decimal_places=2)
    debt_service_mxn = numbers.DecimalField(label="Servicio anual de la deuda vigente (MXN)", **MONEY)
    total_debt_mxn = numbers.DecimalField(label="Pasivo total (MXN)", **MONEY)
    equity_mxn = numbers.DecimalField(label="Capital contable (MXN)", max_digits=18, decimal_places=2)
    audited = forms.BooleanField(label="Dictaminados", required=False)


class ParticipantForm(forms.Form):
    kind = forms.ChoiceField(label="Tipo", choices=ParticipantKind.choices)
    name = forms.CharField(label="Nombre", max_length=250)
    state = forms.CharField(label="Estado (clave de 3 letras)", max_length=3, required=False)
    agreement_date = numbers.DateField(label="Fecha del convenio", **DATE)
    committed_mxn = numbers.DecimalField(label="Monto comprometido (MXN)", **MONEY)


class YearBudgetForm(forms.Form):
    year = numbers.IntegerField(label="Año", min_value=2010, max_value=2100)
    first_tier_mxn = numbers.DecimalField(label="Presupuesto de primer piso (MXN)", **MONEY)
    notes = forms.CharField(label="Notas", required=False, max_length=500)


class AllotmentForm(forms.Form):
    amount_mxn = numbers.DecimalField(label="Derrama (MXN)", **MONEY)
    valid_from = numbers.DateField(label="Vigente desde", required=False, **DATE)
    valid_until = numbers.DateField(label="Vigente hasta", required=False, **DATE)
    agreement = forms.CharField(label="Acuerdo que la establece", max_length=200)
