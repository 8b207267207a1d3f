"""Forms of the loan pages: they turn raw input into typed values with Spanish field errors; the servicing
services decide. Field names match the services' `field=` so their refusals land next to the input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms

from filon import numbers
from filon.origination.forms import MONEY
from filon.servicing.restructuring import RestructuringTerms
from filon.servicing.statements import statement_period_default
from filon.web.forms import DATE, NOTE, KeyedForm


class DisbursementForm(KeyedForm):
    same_unbound = True  # see filon_web.form_fields
    amount = numbers.DecimalField(label="Importe de la ministración", **MONEY)
    value_date = numbers.DateField(label="Fecha valor", **DATE)
    drawdown_days = numbers.IntegerField(
        label="Plazo de la disposición (días)", min_value=1, max_value=3660, required=False
    )

    def __init__(self, *args: Any, revolving: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.variant = {"revolving": revolving}
        if revolving:
            self.fields["amount"].label = "Importe de la disposición"
            self.fields["drawdown_days"].required = True
        else:
            del self.fields["drawdown_days"]


class CommissionForm(KeyedForm):
    same_unbound = True
    value_date = numbers.DateField(label="Fecha del pago de la comisión", **DATE)


class PaymentForm(KeyedForm):
    """A payment capture, once per form (`KeyedForm`): posting the same form twice records one payment."""

    same_unbound = True  # see filon_web.form_fields
    amount = numbers.DecimalField(label="Importe recibido", **MONEY)
    value_date = numbers.DateField(label="Fecha valor", **DATE)
    prepayment = forms.BooleanField(
        label="Pago anticipado: el excedente se abona a capital (últimas amortizaciones)", required=False
    )
    notified_on = numbers.DateField(
        label="Fecha del aviso de pago anticipado",
        required=False,
        help_text="Sólo para pago anticipado.",
        **DATE,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("prepayment"):
            data["notified_on"] = None
        return data


class ReverseForm(KeyedForm):
    same_unbound = True
    reason = forms.CharField(label="Motivo de la reversa", max_length=500, **NOTE)


class ReleaseForm(KeyedForm):
    """Release a captured disbursement order, or approve a reversal request: once per form (its key)."""

    same_unbound = True


class DeclineForm(forms.Form):
    """Cancel a captured disbursement order, or reject a reversal request: with its reason."""

    same_unbound = True
    reason = forms.CharField(label="Motivo", max_length=500, **NOTE)


class TaskCompleteForm(forms.Form):
    same_unbound = True
    done_on = numbers.DateField(label="Fecha de cumplimiento (vacío: hoy)", required=False, **DATE)
    note = forms.CharField(label="Nota", required=False, max_length=1000, **NOTE)


class StatementPeriodForm(forms.Form):
    """The period of an account statement (GET). Empty bounds take the default period."""

    desde = numbers.DateField(label="Desde", required=False, **DATE)
    hasta = numbers.DateField(label="Hasta", required=False, **DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("desde"), data.get("hasta")
        if start and end and start > end:
            self.add_error("hasta", "La fecha final del periodo es anterior a la inicial.")
        return data


def statement_period(query: Any, today: date) -> tuple[StatementPeriodForm, date, date]:
    """The period asked for in `query` (the page's or the PDF's GET), or the default one: a bad bound is a
    field error on the form and the default period is shown meanwhile."""
    form = StatementPeriodForm(query or None)
    start, end = statement_period_default(today)
    if form.is_bound and form.is_valid():
        start = form.cleaned_data["desde"] or start
        end = form.cleaned_data["hasta"] or end
        if start > end:
            form.add_error("desde", "La fecha inicial del periodo es posterior a la final.")
            start, end = statement_period_default(today)
    return form, start, end


# ------------------------------------------------------------------- closing: write-off, recovery, release


class WriteOffForm(KeyedForm):
    """Apply the committee's authorized write-off (`servicing.writeoff`); the choices are the loan's
    authorized write-off requests."""

    request = forms.TypedChoiceField(label="Solicitud de castigo autorizada", coerce=int)
    on = numbers.DateField(label="Fecha del castigo (vacío: hoy)", required=False, **DATE)

    def __init__(self, *args: Any, requests: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["request"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(r.pk, str(r)) for r in requests]


class RecoveryForm(KeyedForm):
    same_unbound = True
    amount = numbers.DecimalField(label="Importe recuperado", **MONEY)
    value_date = numbers.DateField(label="Fecha valor", **DATE)


class GuaranteeReleaseForm(forms.Form):
    released_on = numbers.DateField(label="Fecha de liberación", **DATE)
    instrument = forms.CharField(label="Instrumento (escritura, oficio de cancelación)", max_length=200)
    notes = forms.CharField(label="Notas", required=False, max_length=2000, **NOTE)


# ------------------------------------------------------------------------------------ restructuring

HUNDRED = Decimal(100)
PERIODICITY = [(1, "Mensual"), (2, "Bimestral"), (3, "Trimestral"), (6, "Semestral"), (12, "Anual")]
RATE_MODES = [
    ("keep", "Conservar la tasa contratada"),
    ("spread", "Nueva sobretasa sobre la tasa base (puntos)"),
    ("fixed", "Tasa fija anual (%)"),
]


class RestructuringForm(forms.Form):
    """The proposed conditions. Rates are typed in percent points (2.5 = 2.5 %)."""

    term_months = numbers.IntegerField(
        label="Plazo desde la reestructura (meses)", min_value=1, max_value=360
    )
    grace_months = numbers.IntegerField(label="Gracia (meses)", min_value=0, max_value=120, initial=0)
    payment_every_months = forms.TypedChoiceField(
        label="Periodicidad de pago", choices=PERIODICITY, coerce=int, initial=1
    )
    amortization = forms.ChoiceField(
        label="Amortización",
        choices=[("equal_principal", "Capital constante"), ("growing", "Capital creciente")],
        initial="equal_principal",
    )
    growth_rate = numbers.DecimalField(
        label="Crecimiento del capital por periodo (%)",
        max_digits=7,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        required=False,
    )
    rate_mode = forms.ChoiceField(label="Tasa", choices=RATE_MODES, initial="keep")
    rate_value = numbers.DecimalField(
        label="Sobretasa o tasa fija (%)",
        max_digits=7,
        decimal_places=4,
        min_value=Decimal(0),
        required=False,
    )
    release_guarantee_ids = forms.TypedMultipleChoiceField(
        label="Garantías a liberar", coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(label="Motivo de la reestructura", max_length=2000, **NOTE)

    def __init__(self, *args: Any, guarantees: list[tuple[int, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["release_guarantee_ids"].choices = guarantees  # type: ignore[attr-defined]
        if not guarantees:
            del self.fields["release_guarantee_ids"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        mode, value = data.get("rate_mode"), data.get("rate_value")
        if mode in ("spread", "fixed") and value is None:
            self.add_error("rate_value", "Indique la sobretasa o la tasa fija.")
        return data

    def terms(self) -> RestructuringTerms:
        data = self.cleaned_data
        value = data.get("rate_value")
        rate = None if value is None else value / HUNDRED
        growth = data.get("growth_rate")
        return RestructuringTerms(
            term_months=data["term_months"],
            grace_months=data["grace_months"] or 0,
            payment_every_months=data["payment_every_months"],
            amortization=data["amortization"],
            growth_rate=None if growth is None else growth / HUNDRED,
            spread=rate if data["rate_mode"] == "spread" else None,
            fixed_rate=rate if data["rate_mode"] == "fixed" else None,
            release_guarantee_ids=tuple(data.get("release_guarantee_ids") or ()),
        )


class ApplyForm(KeyedForm):
    """Applying the authorized restructuring, once per form (`KeyedForm`)."""

    value_date = numbers.DateField(label="Fecha de aplicación", **DATE)


class WithdrawRequestForm(forms.Form):
    """Withdrawing a request to committee not yet applied, with its reason (recorded in the audit trail)."""

    reason = forms.CharField(label="Motivo del retiro", max_length=1000, **NOTE)
