"""Credit file pages: list, opening, the file page and its small HTMX forms.

Every action posts to a view that validates the input, calls one origination service and re-renders the
section it changed (the other sections of the file page follow out-of-band, since the services re-run the
rules engine). Without JavaScript the same views redirect back to the page, or show it with the error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from filon.accounts.access import require_role
from filon.applicants.selectors import applicant_get_for_user
from filon.errors import DomainError, Forbidden, NotFound
from filon.limits import accepts_upload
from filon.origination.forms import GuaranteeForm, ProposalForm
from filon.origination.lifecycle import FILE, REGIONAL
from filon.origination.models import CreditFile, DocumentUpload, FileGuarantee, FileStatus, RequirementItem
from filon.origination.selectors import (
    attention_clock,
    file_coverage,
    file_findings,
    file_get_for_user,
    file_list_for_user,
    file_ruleset,
)
from filon.origination.services import (
    file_cancel,
    file_create,
    file_extend_authorization,
    file_formalize,
    file_propose,
    file_ready_to_disburse,
    file_requirements_complete,
    file_signoff,
    file_signoff_return,
    file_start_analysis,
    file_update_proposal,
    guarantee_add,
    guarantee_change_request,
    guarantee_remove,
    guarantee_update,
    requirement_legal_opinion,
    requirement_not_applicable,
    requirement_review,
    requirement_upload,
)
from filon.platform.search import search
from filon.web.files import panels
from filon.web.files.audit import file_audit
from filon.web.files.forms import (
    CancelForm,
    FormalizeForm,
    GuaranteeChangeForm,
    LegalOpinionForm,
    NotApplicableForm,
    ReviewForm,
    SignoffForm,
    SignoffReturnForm,
    UploadForm,
)
from filon.web.http import (
    cite,
    error_text,
    place_errors,
    search_query,
    section_response,
    typed_dates,
    web_view,
)

PAGE_SIZE = 50
SECTIONS = ("header", "evaluation", "preview", "coverage", "guarantees", "checklist", "audit")
ANCHORS = {
    "header": "estado",
    "evaluation": "evaluacion",
    "preview": "tabla",
    "coverage": "cobertura",
    "guarantees": "garantias",
    "checklist": "requisitos",
    "audit": "bitacora",
}


def _refusal(exc: DomainError) -> DomainError:
    """A refusal to show on the page; access errors go on to the 404 and 403 pages."""
    if isinstance(exc, NotFound | Forbidden):
        raise exc
    return exc


# --------------------------------------------------------------------------------------------- list


@web_view()
def file_list(request: HttpRequest) -> HttpResponse:
    files = file_list_for_user(user=request.user)
    status = request.GET.get("estado", "")
    if status in FileStatus.values:
        files = files.filter(status=status)
    query = search_query(request)
    if query:
        files = search(files, query, "folio", "applicant__name", "applicant__rfc")
    page = Paginator(files.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("pagina"))
    return render(
        request,
        "web/files/list.html",
        {"page": page, "q": query, "estado": status, "statuses": FileStatus.choices},
    )


# ------------------------------------------------------------------------------------ open / proposal


def _proposal_form(data: Any = None, initial: dict[str, Any] | None = None) -> ProposalForm:
    return typed_dates(ProposalForm(data, initial=initial))


@web_view(("GET", "POST"))
def file_new(request: HttpRequest, pk: int) -> HttpResponse:
    applicant = applicant_get_for_user(user=request.user, applicant_id=pk)
    require_role(request.user, REGIONAL, "abrir expedientes")
    form = _proposal_form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            file = file_create(user=request.user, applicant=applicant, proposal=form.to_data())
        except DomainError as exc:
            place_errors(form, exc)
        else:
            messages.success(request, f"Se abrió el expediente {file.folio}.")
            return redirect("web:file", file.pk)
    return render(
        request,
        "web/files/proposal.html",
        {"form": form, "applicant": applicant, "title": f"Abrir expediente para {applicant.name}"},
        status=422 if form.errors else 200,
    )


@web_view(("GET", "POST"))
def file_proposal(request: HttpRequest, pk: int) -> HttpResponse:
    file = file_get_for_user(user=request.user, file_id=pk)
    FILE.require_actor("update_proposal", request.user, file)
    initial = {name: getattr(file, name) for name in ProposalForm.base_fields}
    form = _proposal_form(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            file_update_proposal(user=request.user, file=file, proposal=form.to_data())
        except DomainError as exc:
            place_errors(form, exc)
        else:
            messages.success(request, "Se guardó la propuesta y se reevaluó el expediente.")
            return redirect("web:file", file.pk)
    return render(
        request,
        "web/files/proposal.html",
        {
            "form": form,
            "applicant": file.applicant,
            "file": file,
            "title": f"Propuesta del expediente {file.folio}",
        },
        status=422 if form.errors else 200,
    )


# ---------------------------------------------------------------------------------------- file page


def _row_forms(overrides: dict[int, dict[str, forms.Form]]) -> Callable[..., dict[str, Any]]:
    def forms_for(item: RequirementItem, actions: panels.Actions) -> dict[str, Any]:
        prefix = f"r{item.pk}"
        bound = overrides.get(item.pk, {})
        row: dict[str, Any] = {}
        if actions.upload:
            row["upload_form"] = bound.get("upload") or UploadForm(prefix=prefix)
            if item.status in ("uploaded", "approved", "rejected"):
                row["review_form"] = bound.get("review") or ReviewForm(prefix=prefix)
            if item.condition and item.status != "not_applicable":
                row["na_form"] = bound.get("na") or NotApplicableForm(prefix=f"{prefix}na")
        if actions.legal and item.legal_review and item.status in ("uploaded", "approved"):
            row["legal_form"] = bound.get("legal") or LegalOpinionForm(prefix=f"{prefix}dj")
        row["open"] = bool(bound)
        # A refusal whose form is not offered any more (e.g. the status changed) shows on the row.
        row["errors"] = [
            e for key, f in bound.items() if f is not row.get(f"{key}_form") for e in f.non_field_errors()
        ]
        return row

    return forms_for


def file_context(request: HttpRequest, file: CreditFile, **extra: Any) -> dict[str, Any]:
    user = request.user
    actions = panels.file_actions(user, file)
    row_overrides = extra.pop("row_forms", {})
    return {
        "file": file,
        "actions": actions,
        "clock": attention_clock(file),
        "findings": file_findings(file),
        "coverage": file_coverage(file),
        "preview": panels.proposal_panel(file),
        "guarantees": panels.guarantees(file),
        "stages": panels.checklist(file, actions, _row_forms(row_overrides)),
        "audit": file_audit(file),
        "guarantee_form": extra.pop("guarantee_form", None)
        or typed_dates(GuaranteeForm(prefix="g", ruleset=file_ruleset(file))),
        "cancel_form": extra.pop("cancel_form", None) or CancelForm(prefix="cancelar"),
        "formalize_form": extra.pop("formalize_form", None) or FormalizeForm(prefix="formalizar"),
        "signoff_form": extra.pop("signoff_form", None) or SignoffForm(prefix="visto-bueno"),
        "signoff_return_form": extra.pop("signoff_return_form", None) or SignoffReturnForm(prefix="devolver"),
        **extra,
    }


@web_view()
def file_detail(request: HttpRequest, pk: int) -> HttpResponse:
    file = file_get_for_user(user=request.user, file_id=pk)
    return render(request, "web/files/detail.html", file_context(request, file))


def _respond(
    request: HttpRequest,
    pk: int,
    section: str,
    *,
    status: int = 200,
    notice: str = "",
    **extra: Any,
) -> HttpResponse:
    """After an action: the section (and the rest out-of-band) for HTMX; otherwise back to the page."""
    file = file_get_for_user(user=request.user, file_id=pk)  # fresh, as the service left it
    return section_response(
        request,
        page="files",
        url=reverse("web:file", args=[file.pk]),
        sections=SECTIONS,
        anchors=ANCHORS,
        section=section,
        context=lambda **values: file_context(request, file, **values),
        status=status,
        notice=notice,
        extra=extra,
    )


# -------------------------------------------------------------------------------------- transitions

# A notice may cite the file's rule set: `{authorization}` reads as the authorization rule's citation.
TRANSITIONS: dict[str, tuple[Callable[..., CreditFile], str]] = {
    "requisitos-completos": (file_requirements_complete, "Se declararon completos los requisitos."),
    "iniciar-analisis": (file_start_analysis, "El expediente está en análisis."),
    "proponer": (file_propose, "El expediente se propuso al comité."),
    "listo-para-disponer": (file_ready_to_disburse, "El expediente está listo para disponer."),
    "prorrogar": (file_extend_authorization, "Se prorrogó la autorización ({authorization})."),
}


@web_view(("POST",))
def file_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in TRANSITIONS:
        raise Http404("Acción desconocida.")
    service, done = TRANSITIONS[action]
    file = file_get_for_user(user=request.user, file_id=pk)
    try:
        service(user=request.user, file=file)
    except DomainError as exc:
        error = _refusal(exc)
        return _respond(request, pk, "header", status=error.status, transition_error=error_text(error))
    authorization = cite(file_ruleset(file).authorization.rule)
    return _respond(request, pk, "header", notice=done.format(authorization=authorization))


@web_view(("POST",))
def file_formalize_view(request: HttpRequest, pk: int) -> HttpResponse:
    file = file_get_for_user(user=request.user, file_id=pk)
    form = FormalizeForm(request.POST, prefix="formalizar")
    if form.is_valid():
        try:
            file_formalize(
                user=request.user,
                file=file,
                signed_on=form.cleaned_data["signed_on"],
                contract_number=form.cleaned_data["contract_number"],
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _respond(request, pk, "header", notice="Contrato formalizado.")
    return _respond(request, pk, "header", status=422, formalize_form=form, show_formalize=True)


@web_view(("POST",))
def file_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    file = file_get_for_user(user=request.user, file_id=pk)
    form = CancelForm(request.POST, prefix="cancelar")
    if form.is_valid():
        try:
            file_cancel(user=request.user, file=file, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _respond(request, pk, "header", notice="Expediente cancelado.")
    return _respond(request, pk, "header", status=422, cancel_form=form, show_cancel=True)


@web_view(("POST",))
def file_signoff_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The regional manager's sign-off: the proposal may go on the committee's agenda."""
    file = file_get_for_user(user=request.user, file_id=pk)
    form = SignoffForm(request.POST, prefix="visto-bueno")
    if form.is_valid():
        try:
            file_signoff(user=request.user, file=file, note=form.cleaned_data["note"])
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _respond(
                request, pk, "header", notice="Visto bueno registrado: el expediente puede ir a comité."
            )
    return _respond(request, pk, "header", status=422, signoff_form=form, show_signoff=True)


@web_view(("POST",))
def file_signoff_return_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The regional manager sends the proposal back to the analyst, with the reason."""
    file = file_get_for_user(user=request.user, file_id=pk)
    form = SignoffReturnForm(request.POST, prefix="devolver")
    if form.is_valid():
        try:
            file_signoff_return(user=request.user, file=file, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _respond(request, pk, "header", notice="El expediente volvió a análisis.")
    return _respond(request, pk, "header", status=422, signoff_return_form=form, show_signoff_return=True)


# ------------------------------------------------------------------------------------- requirements


def _item(request: HttpRequest, pk: int, item_id: int) -> tuple[CreditFile, RequirementItem]:
    file = file_get_for_user(user=request.user, file_id=pk)
    return file, get_object_or_404(RequirementItem, pk=item_id, file=file)


def _item_refused(
    request: HttpRequest, pk: int, item: RequirementItem, key: str, form: forms.Form
) -> HttpResponse:
    return _respond(request, pk, "checklist", status=422, row_forms={item.pk: {key: form}})


@accepts_upload
@web_view(("POST",))
def requirement_upload_view(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    _, item = _item(request, pk, item_id)
    form = UploadForm(request.POST, request.FILES, prefix=f"r{item.pk}")
    if form.is_valid():
        try:
            requirement_upload(
                user=request.user,
                item=item,
                uploaded=form.cleaned_data["file"],
                document_date=form.cleaned_data["document_date"],
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _respond(request, pk, "checklist", notice=f"Documento «{item.short_name}» cargado.")
    return _item_refused(request, pk, item, "upload", form)


@web_view(("POST",))
def requirement_review_view(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    _, item = _item(request, pk, item_id)
    form = ReviewForm(request.POST, prefix=f"r{item.pk}")
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            requirement_review(user=request.user, item=item, approve=approve, note=form.cleaned_data["note"])
        except DomainError as exc:
            place_errors(form, exc)
        else:
            done = "aprobado" if approve else "rechazado"
            return _respond(request, pk, "checklist", notice=f"Documento «{item.short_name}» {done}.")
    return _item_refused(request, pk, item, "review", form)


@web_view(("POST",))
def requirement_not_applicable_view(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    _, item = _item(request, pk, item_id)
    form = NotApplicableForm(request.POST, prefix=f"r{item.pk}na")
    if form.is_valid():
        try:
            requirement_not_applicable(user=request.user, item=item, note=form.cleaned_data["note"])
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _respond(request, pk, "checklist", notice=f"Documento «{item.short_name}»: no aplica.")
    return _item_refused(request, pk, item, "na", form)


@web_view(("POST",))
def requirement_legal_view(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    _, item = _item(request, pk, item_id)
    form = LegalOpinionForm(request.POST, prefix=f"r{item.pk}dj")
    if form.is_valid():
        favorable = form.cleaned_data["opinion"] == "favorable"
        try:
            requirement_legal_opinion(
                user=request.user, item=item, favorable=favorable, note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _respond(
                request, pk, "checklist", notice=f"Dictamen jurídico registrado para «{item.short_name}»."
            )
    return _item_refused(request, pk, item, "legal", form)


@web_view()
def document_download(request: HttpRequest, pk: int, upload_id: int) -> HttpResponse:
    file = file_get_for_user(user=request.user, file_id=pk)
    upload = get_object_or_404(DocumentUpload, pk=upload_id, item__file=file)
    try:
        handle = upload.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("El archivo ya no está disponible.") from exc
    return FileResponse(
        handle, as_attachment=True, filename=upload.original_name, content_type=upload.content_type
    )


# --------------------------------------------------------------------------------------- guarantees


def _guarantee(request: HttpRequest, pk: int, guarantee_id: int) -> tuple[CreditFile, FileGuarantee]:
    file = file_get_for_user(user=request.user, file_id=pk)
    return file, get_object_or_404(FileGuarantee, pk=guarantee_id, file=file)


@web_view(("POST",))
def guarantee_new(request: HttpRequest, pk: int) -> HttpResponse:
    file = file_get_for_user(user=request.user, file_id=pk)
    form = typed_dates(GuaranteeForm(request.POST, prefix="g", ruleset=file_ruleset(file)))
    if form.is_valid():
        try:
            guarantee_add(user=request.user, file=file, data=form.to_data())
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _respond(
                request, pk, "guarantees", notice="Garantía registrada; el expediente se reevaluó."
            )
    return _respond(request, pk, "guarantees", status=422, guarantee_form=form, show_guarantee_form=True)


@web_view(("GET", "POST"))
def guarantee_edit(request: HttpRequest, pk: int, guarantee_id: int) -> HttpResponse:
    file, guarantee = _guarantee(request, pk, guarantee_id)
    FILE.require_actor("guarantee_update", request.user, file)
    initial = {name: getattr(guarantee, name) for name in GuaranteeForm.base_fields}
    form = typed_dates(
        GuaranteeForm(
            request.POST if request.method == "POST" else None, initial=initial, ruleset=file_ruleset(file)
        )
    )
    if request.method == "POST" and form.is_valid():
        try:
            guarantee_update(user=request.user, guarantee=guarantee, data=form.to_data())
        except DomainError as exc:
            place_errors(form, exc)
        else:
            messages.success(request, "Se guardó la garantía; el expediente se reevaluó.")
            return redirect(reverse("web:file", args=[file.pk]) + "#garantias")
    return render(
        request,
        "web/files/guarantee.html",
        {"file": file, "guarantee": guarantee, "form": form},
        status=422 if form.errors else 200,
    )


@web_view(("POST",))
def guarantee_remove_view(request: HttpRequest, pk: int, guarantee_id: int) -> HttpResponse:
    _, guarantee = _guarantee(request, pk, guarantee_id)
    try:
        guarantee_remove(user=request.user, guarantee=guarantee)
    except DomainError as exc:
        error = _refusal(exc)
        return _respond(request, pk, "guarantees", status=error.status, guarantee_error=error_text(error))
    return _respond(request, pk, "guarantees", notice="Garantía retirada; el expediente se reevaluó.")


@web_view(("GET", "POST"))
def guarantee_change(request: HttpRequest, pk: int, guarantee_id: int) -> HttpResponse:
    """Ask to release or substitute an active guarantee (10.4); a substitution brings its replacement."""
    file, guarantee = _guarantee(request, pk, guarantee_id)
    FILE.require_actor("guarantee_change_request", request.user, file)
    posted = request.POST if request.method == "POST" else None
    form = GuaranteeChangeForm(posted, prefix="solicitud")
    replacement = typed_dates(GuaranteeForm(prefix="sustituta", ruleset=file_ruleset(file)))
    if request.method == "POST" and form.is_valid():
        substitution = form.cleaned_data["kind"] == "substitution"
        if substitution:
            replacement = typed_dates(GuaranteeForm(posted, prefix="sustituta", ruleset=file_ruleset(file)))
        if not substitution or replacement.is_valid():
            try:
                guarantee_change_request(
                    user=request.user,
                    guarantee=guarantee,
                    kind=form.cleaned_data["kind"],
                    reason=form.cleaned_data["reason"],
                    replacement=replacement.to_data() if substitution else None,
                )
            except DomainError as exc:
                place_errors(replacement if substitution and exc.field in replacement.fields else form, exc)
            else:
                rule = cite(file_ruleset(file).guarantees.policies.rule)
                messages.success(request, f"La solicitud se turnó al comité con facultades ({rule}).")
                return redirect(reverse("web:file", args=[file.pk]) + "#garantias")
    has_errors = bool(form.errors) or (replacement.is_bound and bool(replacement.errors))
    return render(
        request,
        "web/files/guarantee_change.html",
        {"file": file, "guarantee": guarantee, "form": form, "replacement": replacement},
        status=422 if has_errors else 200,
    )
