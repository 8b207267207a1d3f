"""The applicant page's small forms: related people and credit bureau consultations (the applicant's own
form is the applicants app's). They only type the input; the applicants services decide."""

from __future__ import annotations

from django import forms

from filon import numbers
from filon.applicants.models import RelatedPerson
from filon.web.forms import DATE, NOTE


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
    consulted_on = numbers.DateField(label="Fecha de consulta", **DATE)
    prevention_keys = forms.CharField(
        label="Claves de prevención (separadas por comas)", required=False, max_length=200
    )
    notes = forms.CharField(label="Observaciones", required=False, **NOTE)

    def keys(self) -> list[str]:
        return [
            k for k in self.cleaned_data.get("prevention_keys", "").replace(";", ",").split(",") if k.strip()
        ]
