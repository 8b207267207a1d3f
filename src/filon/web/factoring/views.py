"""Cadenas Productivas (P-1) pages: the EPOs with their line, suppliers and documents; publishing a document,
discounting it and collecting it from the EPO. Thin: the forms type the input, `filon.factoring.services`
decides, and its refusals land next to the field they name."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from filon import numbers
from filon.accounts.models import User
from filon.errors import DomainError
from filon.factoring.models import DocumentKind, Epo, InterestMode, UploadedBy
from filon.factoring.selectors import (
    document_get_for_user,
    epo_documents,
    epo_get_for_user,
    epo_line_position,
    epo_list_for_user,
    files_admissible_for_user,
    suppliers_adherable,
)
from filon.factoring.services import (
    document_collect,
    document_discount,
    document_upload,
    epo_admit,
    supplier_adhere,
)
from filon.idempotency.services import replayed
from filon.limits import accepts_upload
from filon.origination.forms import MONEY
from filon.web.forms import DATE, KeyedForm, new_key
from filon.web.http import place_errors, web_view


class DocumentUploadForm(forms.Form):
    supplier = forms.TypedChoiceField(label="Proveedor adherido", coerce=int)
    kind = forms.ChoiceField(label="Tipo de documento", choices=DocumentKind.choices)
    number = forms.CharField(label="Número del documento", max_length=40)
    face_value = numbers.DecimalField(label="Valor nominal", **MONEY)
    issue_date = numbers.DateField(label="Fecha de emisión", **DATE)
    due_date = numbers.DateField(label="Fecha de vencimiento", **DATE)
    uploaded_by = forms.ChoiceField(label="Lo publica", choices=UploadedBy.choices)
    document_file = forms.FileField(label="Archivo del documento (PDF)", required=False)

    def __init__(self, *args: Any, epo: Epo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        adhesions = epo.adhesions.filter(active=True).select_related("supplier")
        self.suppliers = {a.supplier_id: a.supplier for a in adhesions}
        field = self.fields["supplier"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—")] + [(pk, s.name) for pk, s in self.suppliers.items()]


POINTS = {"max_digits": 6, "decimal_places": 2, "min_value": Decimal("0")}
HUNDRED = Decimal(100)
GUARANTEE_TYPES = [
    ("hipoteca_industrial", "Hipoteca industrial"),
    ("hipoteca_urbana", "Hipoteca urbana"),
]


class EpoAdmitForm(forms.Form):
    """Rates in percentage points (3.00 = 3 %), as the Rules write them."""

    file = forms.TypedChoiceField(label="Expediente P-1 autorizado por el comité", coerce=int)
    line_amount = numbers.DecimalField(label="Monto de la línea", **MONEY)
    line_months = numbers.IntegerField(label="Vigencia de la línea (meses)", min_value=1, max_value=120)
    guarantee_type = forms.ChoiceField(label="Garantía de la EPO", choices=GUARANTEE_TYPES)
    guarantee_value = numbers.DecimalField(label="Valor de la garantía hipotecaria", **MONEY)
    spread = numbers.DecimalField(label="Sobretasa de la EPO (puntos)", **POINTS)
    admin_points = numbers.DecimalField(label="Sobretasa por administración (puntos)", initial=0, **POINTS)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.files_by_id = {f.pk: f for f in files_admissible_for_user(user=user)}
        field = self.fields["file"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—")] + [
            (pk, f"{f.folio} — {f.applicant.name}") for pk, f in self.files_by_id.items()
        ]


class AdhesionForm(forms.Form):
    supplier = forms.TypedChoiceField(label="Proveedor", coerce=int)
    agreement_ref = forms.CharField(label="Convenio de adhesión", max_length=60)
    spread = numbers.DecimalField(label="Sobretasa del proveedor sobre Tasa NAFIN (puntos)", **POINTS)
    admin_points = numbers.DecimalField(label="Sobretasa por administración (puntos)", initial=0, **POINTS)

    def __init__(self, *args: Any, user: User, epo: Epo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.suppliers = {a.pk: a for a in suppliers_adherable(user=user, epo=epo)}
        field = self.fields["supplier"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—")] + [(pk, a.name) for pk, a in self.suppliers.items()]


class DiscountForm(KeyedForm):
    interest_mode = forms.ChoiceField(label="Forma de pago", choices=InterestMode.choices)


class CollectForm(KeyedForm):
    """The EPO's payment of a document: only the key minted with the page."""


def _back(epo_id: int, notice: str) -> HttpResponse:
    return redirect(f"{reverse('web:epo', args=[epo_id])}?{urlencode({'aviso': notice})}")


def can_act(user: User, epo: Epo) -> bool:
    return bool(user.is_regional and user.office_id == epo.office_id)


def _list(request: HttpRequest, form: EpoAdmitForm | None = None, status: int = 200) -> HttpResponse:
    epos = list(epo_list_for_user(user=request.user))
    rows = [(epo, epo_line_position(epo)) for epo in epos]
    user = request.user
    admit_form = form
    if admit_form is None and user.is_regional:
        admit_form = EpoAdmitForm(user=user, prefix="epo")
    return render(request, "web/factoring/list.html", {"rows": rows, "admit_form": admit_form}, status=status)


@web_view()
def epo_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


@web_view(("POST",))
def epo_admit_view(request: HttpRequest) -> HttpResponse:
    form = EpoAdmitForm(request.POST, user=request.user, prefix="epo")
    if form.is_valid():
        data = form.cleaned_data
        try:
            epo = epo_admit(
                user=request.user,
                file=form.files_by_id[data["file"]],
                line_amount=data["line_amount"],
                line_months=data["line_months"],
                guarantee_type=data["guarantee_type"],
                guarantee_value=data["guarantee_value"],
                spread=data["spread"] / HUNDRED,
                admin_points=data["admin_points"] / HUNDRED,
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _back(epo.pk, f"Se admitió la EPO {epo.applicant.name}.")
    return _list(request, form, status=422)


@web_view(("POST",))
def supplier_adhere_view(request: HttpRequest, pk: int) -> HttpResponse:
    epo = epo_get_for_user(user=request.user, epo_id=pk)
    form = AdhesionForm(request.POST, user=request.user, epo=epo, prefix="adh")
    if form.is_valid():
        data = form.cleaned_data
        try:
            adhesion = supplier_adhere(
                user=request.user,
                epo=epo,
                supplier=form.suppliers[data["supplier"]],
                agreement_ref=data["agreement_ref"],
                spread=data["spread"] / HUNDRED,
                admin_points=data["admin_points"] / HUNDRED,
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _back(epo.pk, f"Se adhirió el proveedor {adhesion.supplier.name}.")
    return _detail(request, epo, adhesion_form=form, status=422)


def _detail(
    request: HttpRequest,
    epo: Epo,
    *,
    upload_form: DocumentUploadForm | None = None,
    adhesion_form: AdhesionForm | None = None,
    status: int = 200,
    notice: str = "",
    refusal: DomainError | None = None,
) -> HttpResponse:
    return render(
        request,
        "web/factoring/detail.html",
        {
            "epo": epo,
            "line": epo_line_position(epo),
            "adhesions": epo.adhesions.select_related("supplier").order_by("supplier__name"),
            "documents": epo_documents(epo),
            "can_act": can_act(request.user, epo),
            "upload_form": upload_form or DocumentUploadForm(epo=epo, prefix="doc"),
            "adhesion_form": adhesion_form or AdhesionForm(user=request.user, epo=epo, prefix="adh"),
            "notice": notice or request.GET.get("aviso", ""),
            "refusal": refusal,
            # one key per rendering for the documents' discount and collect forms: each document keeps its
            # own requests apart (`filon.idempotency`)
            "form_key": new_key(),
        },
        status=status,
    )


@web_view()
def epo_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, epo_get_for_user(user=request.user, epo_id=pk))


@accepts_upload
@web_view(("POST",))
def document_upload_view(request: HttpRequest, pk: int) -> HttpResponse:
    epo = epo_get_for_user(user=request.user, epo_id=pk)
    form = DocumentUploadForm(request.POST, request.FILES, epo=epo, prefix="doc")
    if form.is_valid():
        data = form.cleaned_data
        try:
            document = document_upload(
                user=request.user,
                epo=epo,
                supplier=form.suppliers[data["supplier"]],
                kind=data["kind"],
                number=data["number"],
                face_value=data["face_value"],
                issue_date=data["issue_date"],
                due_date=data["due_date"],
                uploaded_by=data["uploaded_by"],
                uploaded_file=data.get("document_file"),
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _back(epo.pk, f"Se publicó el documento {document.number}.")
    return _detail(request, epo, upload_form=form, status=422)


@web_view(("POST",))
def document_discount_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = document_get_for_user(user=request.user, document_id=pk)
    form = DiscountForm(request.POST, prefix="descuento")
    if not form.is_valid():
        refusal = (
            DomainError("Indique la forma de pago de los intereses.", field="interest_mode")
            if "interest_mode" in form.errors
            else DomainError(" ".join(form.non_field_errors()), field="key")
        )
        return _detail(request, document.epo, status=422, refusal=refusal)
    discount = document_discount(
        user=request.user,
        document=document,
        interest_mode=form.cleaned_data["interest_mode"],
        idempotency_key=form.cleaned_data["key"],
    )
    if replayed(discount):
        notice = f"El documento {document.number} ya estaba descontado (crédito {discount.loan.number}); no se duplicó."
    else:
        notice = f"Se descontó el documento {document.number}: crédito {discount.loan.number}."
    return _back(document.epo_id, notice)


@web_view(("POST",))
def document_collect_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = document_get_for_user(user=request.user, document_id=pk)
    form = CollectForm(request.POST, prefix="cobro")
    if not form.is_valid():
        refusal = DomainError(" ".join(form.non_field_errors()), field="key")
        return _detail(request, document.epo, status=422, refusal=refusal)
    discount = document_collect(
        user=request.user, document=document, idempotency_key=form.cleaned_data["key"]
    )
    document.refresh_from_db()
    status = document.get_status_display().lower()
    if replayed(discount):
        notice = f"El pago de la EPO del documento {document.number} ya estaba registrado ({status}); no se duplicó."
    else:
        notice = f"Se registró el pago de la EPO del documento {document.number} ({status})."
    return _back(document.epo_id, notice)


@web_view()
def document_file_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = document_get_for_user(user=request.user, document_id=pk)
    if not document.document_file:
        raise Http404("El documento no tiene archivo.")
    try:
        handle = document.document_file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("El archivo ya no está disponible.") from exc
    name = f"{document.get_kind_display()}-{document.number}.pdf".replace(" ", "-")
    return FileResponse(handle, as_attachment=True, filename=name, content_type="application/pdf")
