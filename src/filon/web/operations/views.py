"""Operations pages: the daily close, the import of a rate series, (training mode) the advance of the
business date, and the worker's schedule.

Starting a run hands it to the background worker (`filon worker`); the run page only shows its progress,
asking for it again every second (`hx-get`) until the run ends — closing the page stops nothing. Without
JavaScript an «Actualizar» link reloads the page. The operations page also shows the schedule of the
worker's jobs and their latest runs; the administrador changes a job's time and asks for a run now.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from filon import numbers
from filon.errors import DomainError, Forbidden, NotFound, TransitionRefused, ValidationFailed
from filon.limits import accepts_upload
from filon.marketdata.catalog import CATALOG
from filon.operations.business_date import business_date_status, training_mode
from filon.operations.models import BatchRun, RunKind
from filon.operations.schedule import (
    can_schedule,
    job_run_request,
    job_runs_recent,
    schedule_overview,
    schedule_require_role,
    schedule_row_for_code,
    schedule_update,
)
from filon.operations.selectors import (
    close_run_active,
    close_run_days,
    closing_run_active,
    run_get_for_user,
    run_kinds_for_user,
    run_list_for_user,
    run_progress,
    run_require_kind,
    run_worker_note,
)
from filon.operations.services import (
    TRAINING_MODE_OFF,
    advance_run_start,
    advance_target,
    close_run_start,
    rate_import_start,
)
from filon.platform.jobs import job_get
from filon.servicing.close import close_default_date, dates_to_close, last_close_date
from filon.web.http import error_text, is_htmx, place_errors, typed_dates, web_view

RECENT_RUNS = 30


class CloseForm(forms.Form):
    through = numbers.DateField(
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


ADVANCE_CHOICES = [("day", "+1 día hábil"), ("month", "+1 mes"), ("date", "A la fecha")]


class AdvanceForm(forms.Form):
    """The business date's advance: each button posts `how`; `to` is read only for «A la fecha». `seen` is the
    business date the page showed, so that a second click does not advance twice."""

    how = forms.ChoiceField(label="Avance", choices=ADVANCE_CHOICES, widget=forms.HiddenInput)
    to = numbers.DateField(label="Nueva fecha de negocio", required=False)
    seen = numbers.DateField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("how") == "date" and not data.get("to"):
            self.add_error("to", "Indique la nueva fecha de negocio.")
        return data


def _advance_panel(user: Any, form: AdvanceForm | None = None) -> dict[str, Any] | None:
    """The training mode's panel (the administrator's only): business and calendar dates, and the form."""
    if not training_mode() or RunKind.ADVANCE not in run_kinds_for_user(user):
        return None
    status = business_date_status()
    if form is None:
        form = typed_dates(AdvanceForm())
    return {"status": status, "form": form, "active": closing_run_active()}


def _operations_page(request: HttpRequest, advance: AdvanceForm | None = None) -> HttpResponse:
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
            "schedule": schedule_overview(user=request.user),
            "job_runs": job_runs_recent(user=request.user, limit=RECENT_RUNS),
            "can_schedule": can_schedule(request.user),
            "advance": _advance_panel(request.user, advance),
        },
        status=422 if advance is not None and advance.errors else 200,
    )


@web_view()
def operations(request: HttpRequest) -> HttpResponse:
    return _operations_page(request)


@web_view(("POST",))
def business_date_advance(request: HttpRequest) -> HttpResponse:
    """Start an advance of the business date (+1 business day, +1 month or to a date) and show its run."""
    run_require_kind(request.user, RunKind.ADVANCE)
    if not training_mode():
        raise TransitionRefused(TRAINING_MODE_OFF)
    form = typed_dates(AdvanceForm(request.POST))
    if form.is_valid():
        data = form.cleaned_data
        try:
            how = data["how"]
            target = (
                advance_target(days=1)
                if how == "day"
                else advance_target(months=1)
                if how == "month"
                else advance_target(to=data["to"])
            )
            run = advance_run_start(user=request.user, to=target, seen=data["seen"])
        except DomainError as exc:
            if how == "date":
                place_errors(form, exc)
            elif isinstance(exc, Forbidden | NotFound):
                raise
            else:  # the buttons have no field to carry the refusal: above the form
                for error in getattr(exc, "errors", None) or [exc]:
                    form.add_error(None, error_text(error))
        else:
            return redirect("web:run", run.pk)
    return _operations_page(request, form)


@web_view(("GET", "POST"))
def close_new(request: HttpRequest) -> HttpResponse:
    run_require_kind(request.user, RunKind.CLOSE)
    through = close_default_date()  # a day is closed after it ends: today stays open
    form = typed_dates(CloseForm(request.POST or None, initial={"through": through}))
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
    return {
        "run": run,
        "progress": run_progress(run),
        "days": close_run_days(run),
        "worker_note": run_worker_note(run),
    }


@web_view()
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = run_get_for_user(user=request.user, run_id=pk)
    return render(request, "web/operations/run.html", _run_context(run))


@web_view()
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Where the run stands, for the run page's polling (the worker advances it; this only reads)."""
    run = run_get_for_user(user=request.user, run_id=pk)
    if not is_htmx(request):
        return redirect("web:run", run.pk)
    return render(request, "web/operations/_step.html", _run_context(run))


# -------------------------------------------------------------------------------------- the schedule


class ScheduleForm(forms.Form):
    enabled = forms.BooleanField(label="Activa", required=False)
    daily_at = forms.TimeField(
        label="Hora diaria (Ciudad de México)",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Deje vacío si la tarea se repite cada cierto número de minutos.",
    )
    every_minutes = forms.IntegerField(
        label="Cada cuántos minutos",
        required=False,
        min_value=1,
        max_value=1440,
        help_text="Deje vacío si la tarea corre una vez al día.",
    )
    business_days_only = forms.BooleanField(label="Solo días hábiles", required=False)


@web_view(("GET", "POST"))
def schedule_edit(request: HttpRequest, code: str) -> HttpResponse:
    schedule_require_role(request.user)
    row = schedule_row_for_code(code)
    job = job_get(code)
    initial = {
        "enabled": row.enabled,
        "daily_at": row.daily_at,
        "every_minutes": row.every_minutes,
        "business_days_only": row.business_days_only,
    }
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            schedule_update(user=request.user, code=code, **form.cleaned_data)
        except DomainError as exc:
            place_errors(form, exc)
        else:
            messages.success(request, f"Se guardó el horario de «{job.label if job else code}».")
            return redirect("web:operations")
    return render(
        request,
        "web/operations/schedule_edit.html",
        {"form": form, "job": job, "row": row},
        status=422 if form.errors else 200,
    )


@web_view(("POST",))
def job_run_now(request: HttpRequest, code: str) -> HttpResponse:
    job = job_get(code)
    job_run_request(user=request.user, code=code)
    messages.success(
        request,
        f"Se pidió una ejecución de «{job.label if job else code}»: el proceso de fondo la toma en breve.",
    )
    return redirect("web:operations")
