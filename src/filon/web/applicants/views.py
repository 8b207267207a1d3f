"""Applicant pages: list, capture, edit, the applicant page with its related people and bureau records.
Thin views: validate the input, call one service, show the result."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from filon.accounts.access import require_role
from filon.accounts.models import User
from filon.applicants.forms import ApplicantForm
from filon.applicants.models import Applicant
from filon.applicants.selectors import applicant_get_for_user, applicant_list_for_user
from filon.applicants.services import (
    CAPTURE_ROLES,
    applicant_create,
    applicant_update,
    bureau_record_add,
    related_person_add,
)
from filon.core.calendar import today_mx
from filon.errors import DomainError
from filon.origination.selectors import file_list_for_user
from filon.platform.search import search
from filon.rules import load_ruleset_for_date
from filon.web.applicants.forms import BureauRecordForm, RelatedPersonForm
from filon.web.http import is_htmx, place_errors, search_query, web_view

PAGE_SIZE = 50


def _can_capture(user: User) -> bool:
    return user.role in CAPTURE_ROLES


def _capture_form(data: Any = None, initial: dict[str, Any] | None = None) -> ApplicantForm:
    """The apps' ApplicantForm, with the state and the activity offered as lists from the rule set."""
    form = ApplicantForm(data, initial=initial)
    ruleset = load_ruleset_for_date(today_mx())
    states = sorted(ruleset.offices.states.items(), key=lambda kv: kv[1])
    form.fields["state"].widget = forms.Select(
        choices=[("", "— Seleccione —")] + [(code, f"{name} ({code})") for code, name in states]
    )
    activities = ruleset.activity_lists["anexo_i"].activities
    form.fields["activity"].widget = forms.Select(
        choices=[("", "— Seleccione —")] + [(a.number, f"{a.number}. {a.description}") for a in activities]
    )
    return form


@web_view()
def applicant_list(request: HttpRequest) -> HttpResponse:
    applicants = applicant_list_for_user(user=request.user)
    query = search_query(request)
    if query:
        applicants = search(applicants, query, "name", "rfc")
    page = Paginator(applicants.order_by("name"), PAGE_SIZE).get_page(request.GET.get("pagina"))
    return render(
        request,
        "web/applicants/list.html",
        {"page": page, "q": query, "can_capture": _can_capture(request.user)},
    )


@web_view(("GET", "POST"))
def applicant_new(request: HttpRequest) -> HttpResponse:
    require_role(request.user, CAPTURE_ROLES, "capturar solicitantes")
    form = _capture_form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = applicant_create(user=request.user, data=form.to_data())
        except DomainError as exc:
            place_errors(form, exc)
        else:
            for warning in saved.warnings:
                messages.warning(request, warning)
            messages.success(request, f"Se registró el solicitante {saved.obj.name}.")
            return redirect("web:applicant", saved.obj.pk)
    return render(
        request,
        "web/applicants/form.html",
        {"form": form, "title": "Capturar solicitante"},
        status=422 if form.errors else 200,
    )


@web_view(("GET", "POST"))
def applicant_edit(request: HttpRequest, pk: int) -> HttpResponse:
    applicant = applicant_get_for_user(user=request.user, applicant_id=pk)
    require_role(request.user, CAPTURE_ROLES, "modificar solicitantes")
    initial = {name: getattr(applicant, name) for name in ApplicantForm.base_fields}
    form = _capture_form(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = applicant_update(user=request.user, applicant=applicant, data=form.to_data())
        except DomainError as exc:
            place_errors(form, exc)
        else:
            for warning in saved.warnings:
                messages.warning(request, warning)
            messages.success(request, "Se guardaron los cambios del solicitante.")
            return redirect("web:applicant", applicant.pk)
    return render(
        request,
        "web/applicants/form.html",
        {"form": form, "applicant": applicant, "title": f"Modificar {applicant.name}"},
        status=422 if form.errors else 200,
    )


def _applicant_context(request: HttpRequest, applicant: Applicant, **extra: Any) -> dict[str, Any]:
    return {
        "applicant": applicant,
        "people": applicant.related_people.order_by("kind", "name"),
        "bureau": applicant.bureau_records.order_by("-consulted_on", "-id"),
        "files": file_list_for_user(user=request.user).filter(applicant=applicant).order_by("-created_at"),
        "can_capture": _can_capture(request.user),
        "person_form": extra.pop("person_form", None) or RelatedPersonForm(prefix="persona"),
        "bureau_form": extra.pop("bureau_form", None) or BureauRecordForm(prefix="buro"),
        **extra,
    }


@web_view()
def applicant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    applicant = applicant_get_for_user(user=request.user, applicant_id=pk)
    return render(request, "web/applicants/detail.html", _applicant_context(request, applicant))


def _applicant_section(
    request: HttpRequest, applicant: Applicant, section: str, status: int = 200, **extra: Any
) -> HttpResponse:
    if status == 200 and not is_htmx(request):
        messages.success(request, extra.get("notice", "Listo."))
        return redirect(reverse("web:applicant", args=[applicant.pk]) + f"#{section}")
    context = _applicant_context(request, applicant, **extra)
    template = f"web/applicants/_{section}.html" if is_htmx(request) else "web/applicants/detail.html"
    return render(request, template, context, status=status)


@web_view(("POST",))
def related_person_new(request: HttpRequest, pk: int) -> HttpResponse:
    applicant = applicant_get_for_user(user=request.user, applicant_id=pk)
    form = RelatedPersonForm(request.POST, prefix="persona")
    if form.is_valid():
        data = form.cleaned_data
        try:
            related_person_add(
                user=request.user,
                applicant=applicant,
                kind=data["kind"],
                name=data["name"],
                rfc=data["rfc"],
                curp=data["curp"],
                share_fraction=data["share_fraction"],
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _applicant_section(request, applicant, "personas", notice="Persona registrada.")
    return _applicant_section(request, applicant, "personas", status=422, person_form=form)


@web_view(("POST",))
def bureau_record_new(request: HttpRequest, pk: int) -> HttpResponse:
    applicant = applicant_get_for_user(user=request.user, applicant_id=pk)
    form = BureauRecordForm(request.POST, prefix="buro")
    if form.is_valid():
        try:
            bureau_record_add(
                user=request.user,
                applicant=applicant,
                consulted_on=form.cleaned_data["consulted_on"],
                prevention_keys=form.keys(),
                notes=form.cleaned_data["notes"],
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _applicant_section(request, applicant, "buro", notice="Consulta registrada.")
    return _applicant_section(request, applicant, "buro", status=422, bureau_form=form)
