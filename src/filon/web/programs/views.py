"""Pages of the special programs: the year's budget and each program's allotment and participants, and
the program's steps on the file page (marked by the file's regional office).

Thin: each POST validates a form, calls one programs service and goes back to the page; a refusal is shown
on the page with its rule.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from filon.core.calendar import today_mx
from filon.errors import DomainError, ValidationFailed
from filon.origination.selectors import file_get_for_user
from filon.programs.forms import (
    AllotmentForm,
    ParametricForm,
    ParticipantForm,
    StatementForm,
    StepForm,
    YearBudgetForm,
)
from filon.programs.selectors import (
    budget_overview,
    participants_for,
    program_files_for_user,
    program_get_for_user,
    program_step_lines,
    program_usage,
)
from filon.programs.services import (
    BUDGET_ADMINS,
    PROGRAM_ADMINS,
    ParticipantData,
    StatementData,
    financial_statement_add,
    parametric_evaluation_record,
    participant_add,
    program_allotment_set,
    program_step_mark,
    year_budget_set,
)
from filon.rules import load_ruleset_for_date
from filon.web.files.views import file_context
from filon.web.http import error_text, typed_dates, web_view


def _form_error(form: forms.Form) -> DomainError:
    errors = [
        DomainError(f"{form.fields[name].label}: {' '.join(msgs)}", field=name)
        for name, msgs in form.errors.items()
        if name in form.fields
    ]
    errors += [DomainError(" ".join(msgs)) for name, msgs in form.errors.items() if name not in form.fields]
    return ValidationFailed(errors or [DomainError("Revise los datos.")])


# ------------------------------------------------------------------------------------ programs


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("anio", "")
    return int(raw) if raw.isdigit() and 2010 <= int(raw) <= 2100 else today_mx().year


def _list_context(request: HttpRequest, year: int, **extra: Any) -> dict[str, Any]:
    ruleset = load_ruleset_for_date(today_mx())
    overview = budget_overview(user=request.user, year=year, ruleset=ruleset)
    budget = overview.year.budget
    return {
        "overview": overview,
        "year": year,
        "can_set_budget": request.user.role in BUDGET_ADMINS,
        "budget_form": extra.pop("budget_form", None)
        or YearBudgetForm(
            prefix="presupuesto",
            initial={"year": year, "first_tier_mxn": budget.first_tier_mxn if budget else None},
        ),
        **extra,
    }


@web_view()
def program_list(request: HttpRequest) -> HttpResponse:
    return render(request, "web/programs/list.html", _list_context(request, _year(request)))


@web_view(("POST",))
def year_budget_view(request: HttpRequest) -> HttpResponse:
    form = YearBudgetForm(request.POST, prefix="presupuesto")
    year = today_mx().year
    try:
        if not form.is_valid():
            raise _form_error(form)
        year = form.cleaned_data["year"]
        year_budget_set(
            user=request.user,
            year=year,
            first_tier_mxn=form.cleaned_data["first_tier_mxn"],
            notes=form.cleaned_data["notes"],
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        context = _list_context(request, year, budget_form=form, budget_error=error_text(exc))
        return render(request, "web/programs/list.html", context, status=exc.status)
    messages.success(request, f"Se registró el presupuesto de primer piso de {year}.")
    return redirect(reverse("web:programs") + f"?anio={year}")


def _detail_context(request: HttpRequest, code: str, **extra: Any) -> dict[str, Any]:
    ruleset = load_ruleset_for_date(today_mx())
    program = program_get_for_user(user=request.user, code=code, ruleset=ruleset)
    return {
        "program": program,
        "steps": program_step_lines(program),
        "usage": program_usage(program),
        "participants": list(participants_for(program.code.value)),
        "files": list(
            program_files_for_user(user=request.user, program=program.code.value)
            .select_related("applicant", "office")
            .order_by("-created_at")[:50]
        ),
        "can_add_participant": request.user.role in PROGRAM_ADMINS,
        "participant_form": extra.pop("participant_form", None)
        or typed_dates(ParticipantForm(prefix="part")),
        **extra,
    }


@web_view()
def program_detail(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "web/programs/detail.html", _detail_context(request, code))


@web_view(("POST",))
def participant_new(request: HttpRequest, code: str) -> HttpResponse:
    form = ParticipantForm(request.POST, prefix="part")
    try:
        if not form.is_valid():
            raise _form_error(form)
        participant_add(user=request.user, program=code, data=ParticipantData(**form.cleaned_data))
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        context = _detail_context(request, code, participant_form=form, participant_error=error_text(exc))
        return render(request, "web/programs/detail.html", context, status=exc.status)
    messages.success(request, f"Se registró a {form.cleaned_data['name']} en el programa.")
    return redirect(reverse("web:program", args=[code]) + "#participantes")


@web_view(("POST",))
def allotment_view(request: HttpRequest, code: str) -> HttpResponse:
    form = typed_dates(AllotmentForm(request.POST, prefix="derrama"))
    try:
        if not form.is_valid():
            raise _form_error(form)
        program_allotment_set(user=request.user, program=code, **form.cleaned_data)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        context = _detail_context(request, code, allotment_form=form, allotment_error=error_text(exc))
        return render(request, "web/programs/detail.html", context, status=exc.status)
    messages.success(request, "Se registró la derrama del programa.")
    return redirect(reverse("web:program", args=[code]) + "#derrama")


# ----------------------------------------------------------------------------- the file's steps


def _back_to_file(request: HttpRequest, pk: int, notice: str) -> HttpResponse:
    messages.success(request, notice)
    return redirect(reverse("web:file", args=[pk]) + "#programa")


def _file_refused(request: HttpRequest, file: Any, exc: DomainError, **extra: Any) -> HttpResponse:
    if exc.status in (403, 404):
        raise exc
    context = file_context(request, file, program_error=error_text(exc), **extra)
    return render(request, "web/files/detail.html", context, status=exc.status)


@web_view(("POST",))
def file_step_view(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    file = file_get_for_user(user=request.user, file_id=pk)
    form = StepForm(request.POST, prefix="paso")
    try:
        if not form.is_valid():
            raise _form_error(form)
        step = program_step_mark(user=request.user, file=file, number=number, **form.cleaned_data)
    except DomainError as exc:
        return _file_refused(request, file, exc)
    return _back_to_file(
        request, pk, f"Paso {step.number} del programa: {step.get_status_display().lower()}."
    )


@web_view(("POST",))
def file_parametric_view(request: HttpRequest, pk: int) -> HttpResponse:
    file = file_get_for_user(user=request.user, file_id=pk)
    form = ParametricForm(request.POST, prefix="param")
    try:
        if not form.is_valid():
            raise _form_error(form)
        evaluation = parametric_evaluation_record(
            user=request.user,
            file=file,
            technical_opinion_favorable=form.cleaned_data["technical_opinion_favorable"],
        )
    except DomainError as exc:
        return _file_refused(request, file, exc)
    return _back_to_file(
        request, pk, f"Evaluación paramétrica: {evaluation.result['total']} puntos, {evaluation.verdict}."
    )


@web_view(("POST",))
def file_statement_view(request: HttpRequest, pk: int) -> HttpResponse:
    file = file_get_for_user(user=request.user, file_id=pk)
    form = StatementForm(request.POST, prefix="ef")
    try:
        if not form.is_valid():
            raise _form_error(form)
        financial_statement_add(
            user=request.user, applicant=file.applicant, data=StatementData(**form.cleaned_data)
        )
    except DomainError as exc:
        return _file_refused(request, file, exc, statement_form=typed_dates(form))
    return _back_to_file(request, pk, "Se registraron los estados financieros del solicitante.")
