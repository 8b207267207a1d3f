"""Operations pages: the daily close and the import of a rate series, run in steps with visible progress.

There is no background worker: the run page posts one step at a time (`hx-post` on load, again after each
answer) until the run ends; without JavaScript a «Continuar» button posts the same step. Each view calls one
service of `filon.operations`, which checks the role and claims the step.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from filon.errors import DomainError, ValidationFailed
from filon.limits import accepts_upload
from filon.marketdata.catalog import CATALOG
from filon.operations.models import BatchRun, RunKind
from filon.operations.selectors import (
    close_run_active,
    close_run_days,
    run_get_for_user,
    run_kinds_for_user,
    run_list_for_user,
    run_progress,
    run_require_kind,
)
from filon.operations.services import close_run_start, rate_import_start, run_step
from filon.servicing.close import close_default_date, dates_to_close, last_close_date
from filon.web.http import error_text, html5_dates, is_htmx, place_errors, web_view

RECENT_RUNS = 30


class CloseForm(forms.Form):
    through = forms.DateField(
        label="Cerrar hasta el día",
        help_text="Se cierran, en orden, todos los días hábiles pendientes desde el último cierre.",
    )


class RateImportForm(forms.Form):
    series = forms.ChoiceField(
        label="Serie", choices=[(code, f"{code} — {spec.name}") for code, spec in CATALOG.items()]
    )
    file = forms.FileField(
        label="Archivo CSV",
        help_text="Columnas «date,value» (o «fecha,valor»); fechas AAAA-MM-DD o dd/mm/aaaa; tasas en decimal "
        "anual (0.0725 = 7.25 %); «N/E» o vacío = sin dato.",
    )


@web_view()
def operations(request: HttpRequest) -> HttpResponse:
    runs = list(run_list_for_user(user=request.user)[:RECENT_RUNS])
    kinds = run_kinds_for_user(request.user)
    return render(
        request,
        "web/operations/list.html",
        {
            "runs": [(run, run_progress(run)) for run in runs],
            "can_close": RunKind.CLOSE in kinds,
            "can_import": RunKind.RATE_IMPORT in kinds,
            "active_close": close_run_active() if RunKind.CLOSE in kinds else None,
        },
    )


@web_view(("GET", "POST"))
def close_new(request: HttpRequest) -> HttpResponse:
    run_require_kind(request.user, RunKind.CLOSE)
    through = close_default_date()  # a day is closed after it ends: today stays open
    form = html5_dates(CloseForm(request.POST or None, initial={"through": through}))
    if request.method == "POST" and form.is_valid():
        try:
            run = close_run_start(user=request.user, through=form.cleaned_data["through"])
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return redirect("web:run", run.pk)
    context = {
        "form": form,
        "last_close": last_close_date(),
        "pending": dates_to_close(through),
        "active": close_run_active(),
    }
    return render(request, "web/operations/close_new.html", context, status=422 if form.errors else 200)


@accepts_upload
@web_view(("GET", "POST"))
def rate_import_new(request: HttpRequest) -> HttpResponse:
    run_require_kind(request.user, RunKind.RATE_IMPORT)
    posted = request.method == "POST"
    form = RateImportForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            run = rate_import_start(user=request.user, series=data["series"], file=data["file"])
        except ValidationFailed as exc:
            _place_file_errors(form, exc)
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return redirect("web:run", run.pk)
    return render(
        request, "web/operations/rate_import_new.html", {"form": form}, status=422 if form.errors else 200
    )


def _place_file_errors(form: RateImportForm, refused: ValidationFailed) -> None:
    """The file's bad lines as a list above the form, one line each; a short note on the file field."""
    lines = [e for e in refused.errors if e.field == "file"]
    for error in lines:
        form.add_error(None, error_text(error))
    if lines:
        many = f"{len(lines)} errores" if len(lines) > 1 else "un error"
        form.add_error("file", f"El archivo tiene {many} (vea la lista arriba); no se guardó nada.")
    others = [e for e in refused.errors if e.field != "file"]
    if others:
        place_errors(form, ValidationFailed(others))


def _run_context(run: BatchRun) -> dict[str, Any]:
    return {"run": run, "progress": run_progress(run), "days": close_run_days(run)}


@web_view()
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = run_get_for_user(user=request.user, run_id=pk)
    return render(request, "web/operations/run.html", _run_context(run))


@web_view(("POST",))
def run_step_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One step of the run. `done` is how many steps the page showed: when another tab has moved the run
    on since, nothing is done and the page gets the current state."""
    run = run_get_for_user(user=request.user, run_id=pk)
    raw = request.POST.get("done", "")
    seen = int(raw) if raw.isdigit() else run.steps_done
    run = run_step(run=run, user=request.user, seen=seen)
    if not is_htmx(request):
        return redirect("web:run", run.pk)
    return render(request, "web/operations/_step.html", _run_context(run))
