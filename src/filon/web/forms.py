"""Small forms for the page actions that have no form of their own in the apps.

They only turn raw input into typed values with Spanish field errors; the services decide.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from filon import numbers
from filon.applicants.models import RelatedPerson
from filon.committees.models import COMMITTEE_CHOICES, Decision, VoteChoice
from filon.origination.models import GuaranteeChange

DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
NOTE = {"widget": forms.Textarea(attrs={"rows": 2})}
# What a keyed form's page may render in place of the key and then replace with a fresh one (the kept loan
# page); no input can hold a NUL character (filon.guards refuses it), so no data on a page is taken for it.
KEY_MARK = "\x00key\x00"


def new_key() -> str:
    return uuid.uuid4().hex


class KeyedForm(forms.Form):
    """A form that moves money carries the idempotency key minted when it is shown: posting the same form
    twice (double click, back and resubmit) carries the same key, and the service performs it once
    (`filon.idempotency`). The key is a hidden field rendered each time; after success the page shows a
    fresh form with a new key. Not named like the services' `idempotency_key`: a refusal of the key shows
    on top of the form, since a hidden field shows no errors of its own."""

    key = forms.CharField(max_length=80, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["key"] = new_key()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("key"):
            raise forms.ValidationError(
                "El formulario no trae su clave; recargue la página y capture la operación de nuevo."
            )
        return data


class UploadForm(forms.Form):
    file = forms.FileField(label="Archivo (PDF, JPG, PNG, XLSX o DOCX)")
    document_date = forms.DateField(label="Fecha del documento", required=False, **DATE)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label="Revisión",
        choices=[("approve", "Aprobar"), ("reject", "Rechazar")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="Nota (obligatoria al rechazar)", required=False, **NOTE)


class NotApplicableForm(forms.Form):
    note = forms.CharField(label="Por qué no aplica", **NOTE)


class LegalOpinionForm(forms.Form):
    opinion = forms.ChoiceField(
        label="Dictamen jurídico",
        choices=[("favorable", "Favorable"), ("desfavorable", "Desfavorable")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="Fundamento (obligatorio si es desfavorable)", required=False, **NOTE)


class CancelForm(forms.Form):
    reason = forms.CharField(label="Motivo de la cancelación", **NOTE)


class FormalizeForm(forms.Form):
    signed_on = forms.DateField(label="Fecha de firma del contrato", **DATE)
    contract_number = forms.CharField(label="Número de contrato", max_length=40)


class GuaranteeChangeForm(forms.Form):
    kind = forms.ChoiceField(label="Solicitud", choices=GuaranteeChange.Kind.choices)
    reason = forms.CharField(label="Motivo", **NOTE)


class RelatedPersonForm(forms.Form):
    kind = forms.ChoiceField(label="Carácter", choices=RelatedPerson.Kind.choices)
    name = forms.CharField(label="Nombre", max_length=250)
    rfc = forms.CharField(label="RFC", max_length=15, required=False)
    curp = forms.CharField(label="CURP", max_length=18, required=False)
    share_fraction = numbers.DecimalField(
        label="Participación accionaria (fracción, p. ej. 0.25)",
        max_digits=7,
        decimal_places=6,
        min_value=0,
        max_value=1,
        required=False,
    )


class BureauRecordForm(forms.Form):
    consulted_on = forms.DateField(label="Fecha de consulta", **DATE)
    prevention_keys = forms.CharField(
        label="Claves de prevención (separadas por comas)", required=False, max_length=200
    )
    notes = forms.CharField(label="Observaciones", required=False, **NOTE)

    def keys(self) -> list[str]:
        return [
            k for k in self.cleaned_data.get("prevention_keys", "").replace(";", ",").split(",") if k.strip()
        ]


class ConveneForm(forms.Form):
    committee = forms.ChoiceField(label="Comité", choices=COMMITTEE_CHOICES)
    date = forms.DateField(label="Fecha de la sesión", **DATE)
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


class VoteForm(forms.Form):
    vote = forms.ChoiceField(label="Su voto", choices=VoteChoice.choices, widget=forms.RadioSelect)


class ResolutionForm(forms.Form):
    decision = forms.ChoiceField(label="Resolución", choices=Decision.choices)
    conditions = forms.CharField(label="Condiciones", required=False, **NOTE)
    observations = forms.CharField(label="Observaciones (obligatorias al devolver)", required=False, **NOTE)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="Motivo del retiro", **NOTE)
