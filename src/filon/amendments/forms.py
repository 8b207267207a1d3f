"""The amendment forms, shared by the pages and the API: the acuerdo with its changes as YAML text (JSON
is YAML too), and the rejection's reason."""

from __future__ import annotations

from typing import Any

import yaml
from django import forms

from filon import numbers

DATE = numbers.DATE
NOTE = {"widget": forms.Textarea(attrs={"rows": 2})}

CHANGES_HELP = (
    "Un cambio por elemento, con la ruta dentro de las reglas y su valor nuevo, p. ej.:\n"
    "- path: programs.pequena_mineria.valid_until\n  value: 2026-12-31"
)


class AmendmentForm(forms.Form):
    number = forms.CharField(label="Número de acuerdo", max_length=40)
    agreed_on = numbers.DateField(label="Fecha del acuerdo", **DATE)
    body = forms.CharField(label="Órgano que lo aprobó", max_length=200, initial="Comité Técnico")
    effective_from = numbers.DateField(label="En vigor desde", **DATE)
    base_version = forms.CharField(
        label="Versión que modifica",
        max_length=40,
        required=False,
        help_text="Vacío: la versión vigente en la fecha de entrada en vigor.",
    )
    summary = forms.CharField(label="Resumen", required=False, max_length=2000, **NOTE)
    changes = forms.CharField(
        label="Cambios (YAML)",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=CHANGES_HELP,
    )
    illustrative = forms.BooleanField(label="Ilustrativa (demostración, no un acuerdo real)", required=False)

    def clean_changes(self) -> Any:
        text = self.cleaned_data["changes"]
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (renglón {mark.line + 1})" if mark is not None else ""
            raise forms.ValidationError(f"El texto no es YAML válido{where}.") from None
        if not isinstance(value, list | dict):
            raise forms.ValidationError("Escriba una lista de cambios con «path» y «value».")
        return value


class RejectForm(forms.Form):
    reason = forms.CharField(label="Motivo del rechazo", max_length=2000, **NOTE)
