"""The committee session pages' small forms: convening, attendance, agenda, votes, resolutions and
withdrawals. They only type the input; the committees services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from filon import numbers
from filon.committees.models import COMMITTEE_CHOICES, Decision, VoteChoice
from filon.web.forms import DATE, NOTE


class ConveneForm(forms.Form):
    committee = forms.ChoiceField(label="Comité", choices=COMMITTEE_CHOICES)
    date = numbers.DateField(label="Fecha de la sesión", **DATE)
    place = forms.CharField(label="Lugar", max_length=200)
    quorum = numbers.IntegerField(
        label="Quórum (vacío: mayoría de los miembros)", min_value=1, max_value=99, required=False
    )

    def __init__(self, *args: Any, committees: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if committees:
            self.fields["committee"].choices = [(c, n) for c, n in COMMITTEE_CHOICES if c in committees]  # type: ignore[attr-defined]


class _ChoicesForm(forms.Form):
    """A form whose one choice field lists what the page offers (members, pending files …)."""

    choice_field = ""

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[self.choice_field].choices = choices  # type: ignore[attr-defined]


class AttendanceForm(_ChoicesForm):
    choice_field = "members"
    members = forms.MultipleChoiceField(
        label="Miembros presentes", required=False, widget=forms.CheckboxSelectMultiple
    )


class AgendaAddForm(_ChoicesForm):
    choice_field = "file"
    file = forms.ChoiceField(label="Expediente propuesto")


class AgendaAddChangeForm(_ChoicesForm):
    choice_field = "change"
    change = forms.ChoiceField(label="Solicitud sobre garantía")


class AgendaAddLoanRequestForm(_ChoicesForm):
    choice_field = "loan_request"
    loan_request = forms.ChoiceField(label="Solicitud sobre un crédito (reestructura o castigo)")


class VoteForm(forms.Form):
    vote = forms.ChoiceField(label="Su voto", choices=VoteChoice.choices, widget=forms.RadioSelect)


class ResolutionForm(forms.Form):
    decision = forms.ChoiceField(label="Resolución", choices=Decision.choices)
    conditions = forms.CharField(label="Condiciones", required=False, **NOTE)
    observations = forms.CharField(label="Observaciones (obligatorias al devolver)", required=False, **NOTE)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="Motivo del retiro", **NOTE)


class HoldForm(forms.Form):
    held_early_reason = forms.CharField(
        label="Motivo para celebrarla antes de la fecha convocada", required=False, **NOTE
    )


class RescheduleForm(forms.Form):
    new_date = numbers.DateField(label="Nueva fecha de la sesión", **DATE)
    reason = forms.CharField(label="Motivo del cambio de fecha", **NOTE)
