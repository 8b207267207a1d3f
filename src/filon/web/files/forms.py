"""The credit file page's small forms: requirement uploads and reviews, legal opinions, the regional
manager's sign-off or return, cancellation, formalization and guarantee change requests. They only type the input; the origination services decide."""

from __future__ import annotations

from django import forms

from filon import numbers
from filon.origination.models import GuaranteeChange
from filon.web.forms import DATE, NOTE


class UploadForm(forms.Form):
    file = forms.FileField(label="Archivo (PDF, JPG, PNG, XLSX o DOCX)")
    document_date = numbers.DateField(label="Fecha del documento", required=False, **DATE)


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


class SignoffForm(forms.Form):
    note = forms.CharField(label="Nota del visto bueno (opcional)", required=False, **NOTE)


class SignoffReturnForm(forms.Form):
    reason = forms.CharField(label="Motivo de la devolución al analista", **NOTE)


class FormalizeForm(forms.Form):
    signed_on = numbers.DateField(label="Fecha de firma del contrato", **DATE)
    contract_number = forms.CharField(label="Número de contrato", max_length=40)


class GuaranteeChangeForm(forms.Form):
    kind = forms.ChoiceField(label="Solicitud", choices=GuaranteeChange.Kind.choices)
    reason = forms.CharField(label="Motivo", **NOTE)
