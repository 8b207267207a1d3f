"""Forms that turn raw input (web or API) into the services' typed data, with Spanish field errors.

Amounts are `DecimalField`s (never floats); a value such as "12 millones" is refused on its field.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from django import forms

from filon import numbers
from filon.core.calendar import today_mx
from filon.origination.models import (
    CREDIT_TYPE_CHOICES,
    CURRENCY_CHOICES,
    GUARANTEE_TYPE_CHOICES,
    PROGRAM_CHOICES,
)
from filon.origination.services import GuaranteeData, ProposalData
from filon.rules.loader import load_ruleset_for_date
from filon.rules.schema import GuaranteeTypeRule, RuleSet

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


GUARANTEE_COMMON = ("type", "owner", "description", "value", "fiduciary")
"""The fields every guarantee type asks for."""


@dataclasses.dataclass(frozen=True)
class GuaranteeGroup:
    """Fields that only some guarantee types ask for: those whose rule (guarantees.types) `applies`."""

    key: str
    legend: str
    fields: tuple[str, ...]
    applies: Any  # Callable[[GuaranteeTypeRule], bool]


GUARANTEE_GROUPS = (
    GuaranteeGroup(
        "avaluo",
        "Avalúo",
        ("appraisal_date", "appraiser", "reuses_last_appraisal"),
        lambda rule: rule.appraisal_validity_months is not None,
    ),
    GuaranteeGroup("gravamen", "Gravamen", ("lien_rank",), lambda rule: rule.is_mortgage),
    GuaranteeGroup(
        "seguro",
        "Seguro",
        ("insurable", "insurer", "policy_number", "policy_expires_on", "fifomi_preferred_beneficiary"),
        lambda rule: rule.insurable,
    ),
    GuaranteeGroup(
        "equipo",
        "Maquinaria y equipo",
        ("first_invoice_date", "is_transport", "hechizo"),
        lambda rule: rule.is_equipment,
    ),
    GuaranteeGroup(
        "aval",
        "Relación patrimonial",
        ("net_worth_statement_date",),
        lambda rule: rule.needs_net_worth_statement,
    ),
    GuaranteeGroup(
        "fianza", "Fianza", ("covers_balance",), lambda rule: rule.sole_requires == "covers_balance"
    ),
)
_GUARANTEE_DEFAULTS = {
    field.name: field.default
    for field in dataclasses.fields(GuaranteeData)
    if field.default is not dataclasses.MISSING
}


def guarantee_group_types(ruleset: RuleSet) -> dict[str, list[str]]:
    """Each group's guarantee types, from the rule set's guarantee types."""
    types: dict[str, GuaranteeTypeRule] = {str(key): rule for key, rule in ruleset.guarantees.types.items()}
    return {
        group.key: [key for key, rule in types.items() if group.applies(rule)] for group in GUARANTEE_GROUPS
    }


class GuaranteeForm(forms.Form):
    """A guarantee's data. Only the fields of the chosen type count: the others (shown when the page runs
    without script) are set back to their defaults, so a lien rank typed for an aval is not recorded. Which
    fields belong to which type follows the rule set's guarantee types (`GUARANTEE_GROUPS`)."""

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

    def __init__(self, *args: Any, ruleset: RuleSet | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_types = guarantee_group_types(ruleset or load_ruleset_for_date(today_mx()))

    def fields_of(self, guarantee_type: str) -> set[str]:
        """The fields the type asks for."""
        names = set(GUARANTEE_COMMON)
        for group in GUARANTEE_GROUPS:
            if guarantee_type in self.group_types[group.key]:
                names.update(group.fields)
        return names

    def groups(self) -> list[dict[str, Any]]:
        """For the page: each group's legend, bound fields and the types that ask for it."""
        return [
            {
                "key": group.key,
                "legend": group.legend,
                "fields": [self[name] for name in group.fields],
                "types": " ".join(self.group_types[group.key]),
            }
            for group in GUARANTEE_GROUPS
        ]

    def common_fields(self) -> list[Any]:
        return [self[name] for name in GUARANTEE_COMMON]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "type" in data:
            kept = self.fields_of(data["type"])
            for name in self.fields:
                if name not in kept:
                    self.errors.pop(name, None)  # a field the type does not ask for cannot refuse the form
                    data[name] = _GUARANTEE_DEFAULTS.get(name)
        return data

    def to_data(self) -> GuaranteeData:
        data = dict(self.cleaned_data)
        for text in ("appraiser", "insurer", "policy_number"):
            data[text] = data.get(text) or ""
        return GuaranteeData(**data)
