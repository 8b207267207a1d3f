"""Pages of the offices' goals (SPEC G-1): training events with their participants, technical-assistance
visits, partner organizations, and the scorecard of a year with its Excel export.

Thin views: the forms turn input into typed values, one service records, the scoped selectors read (another
office's event is a 404 for a regional user).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from filon import numbers
from filon.accounts.access import require_role
from filon.accounts.models import User
from filon.applicants.selectors import applicant_list_for_user
from filon.core.calendar import today_mx
from filon.documents.excel import workbook_bytes
from filon.documents.services import document_issued
from filon.errors import DomainError, ValidationFailed
from filon.goals.exports import scorecard_workbook
from filon.goals.models import (
    AssistanceKind,
    Modality,
    ParticipantRole,
    PartnerKind,
    PartnerOrganization,
    TrainingEvent,
)
from filon.goals.selectors import (
    assistance_visits_for_user,
    partner_list,
    scorecard_total,
    scorecards_for_user,
    training_event_get_for_user,
    training_events_for_user,
    training_participants,
)
from filon.goals.services import (
    FIRST_YEAR,
    PARTNER_ROLES,
    RECORD_ROLES,
    YEARS_AHEAD,
    partner_create,
    technical_assistance_record,
    training_event_record,
    training_participant_add,
)
from filon.rules import load_ruleset_for_date
from filon.web.http import is_htmx, place_errors, typed_dates, web_view

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOTE = {"widget": forms.Textarea(attrs={"rows": 3})}


def _state_choices(blank: str = "— Seleccione —") -> list[tuple[str, str]]:
    states = load_ruleset_for_date(today_mx()).offices.states
    return [("", blank)] + [
        (code, f"{name} ({code})") for code, name in sorted(states.items(), key=lambda kv: kv[1])
    ]


def _partner_field(label: str) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=label,
        queryset=PartnerOrganization.objects.filter(active=True).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class TrainingEventForm(forms.Form):
    title = forms.CharField(label="Título", max_length=200)
    topic = forms.CharField(label="Tema", max_length=200, required=False)
    start_date = numbers.DateField(label="Fecha de inicio")
    end_date = numbers.DateField(label="Fecha de término", required=False, help_text="Vacía: un solo día.")
    municipality = forms.CharField(label="Municipio", max_length=120)
    state = forms.ChoiceField(label="Estado")
    modality = forms.ChoiceField(label="Modalidad", choices=Modality.choices)
    hours = numbers.DecimalField(label="Horas", max_digits=5, decimal_places=1, min_value=0)
    notes = forms.CharField(label="Notas", required=False, **NOTE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = _state_choices()
        self.fields["partners"] = _partner_field("Organizaciones que lo promueven")
        typed_dates(self)


class ParticipantForm(forms.Form):
    applicant = forms.ModelChoiceField(
        label="Solicitante registrado",
        queryset=None,
        required=False,
        empty_label="— Ninguno: anote el nombre —",
    )
    name = forms.CharField(label="Nombre", max_length=200, required=False)
    organization = forms.CharField(label="Organización o empresa", max_length=200, required=False)
    role = forms.ChoiceField(
        label="Carácter", choices=ParticipantRole.choices, initial=ParticipantRole.SUPPLIER
    )
    attended = forms.BooleanField(label="Asistió", required=False, initial=True)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["applicant"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = applicant_list_for_user(user=user).order_by("name")


class VisitForm(forms.Form):
    applicant = forms.ModelChoiceField(label="Solicitante", queryset=None)
    date = numbers.DateField(label="Fecha de la visita")
    kind = forms.ChoiceField(
        label="Tipo de asistencia", choices=[("", "— Seleccione —"), *AssistanceKind.choices]
    )
    advisor = forms.CharField(label="Asesor", max_length=150)
    findings = forms.CharField(label="Hallazgos", **NOTE)
    recommendations = forms.CharField(label="Recomendaciones", required=False, **NOTE)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["applicant"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = applicant_list_for_user(user=user).order_by("name")
        self.fields["partners"] = _partner_field("Organizaciones que la promueven")
        typed_dates(self)


class PartnerForm(forms.Form):
    name = forms.CharField(label="Nombre", max_length=200)
    kind = forms.ChoiceField(label="Tipo", choices=[("", "— Seleccione —"), *PartnerKind.choices])
    state = forms.ChoiceField(label="Estado", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = _state_choices("— Nacional o varios estados —")


def _can_record(user: User) -> bool:
    return user.role in RECORD_ROLES


def _year(request: HttpRequest) -> int:
    """The year asked for (`?anio=`), this year by default; anything else is a field error."""
    raw = request.GET.get("anio", "").strip()
    this_year = today_mx().year
    if not raw:
        return this_year
    last = this_year + YEARS_AHEAD
    if not raw.isdigit() or not FIRST_YEAR <= int(raw) <= last:
        raise ValidationFailed([DomainError(f"El año debe estar entre {FIRST_YEAR} y {last}.", field="anio")])
    return int(raw)


# ---------------------------------------------------------------------------------- training events


@web_view()
def training_event_list(request: HttpRequest) -> HttpResponse:
    year = _year(request) if request.GET.get("anio") else None
    events = training_events_for_user(user=request.user).prefetch_related("partners")
    if year is not None:
        events = events.filter(start_date__year=year)
    page = Paginator(events.order_by("-start_date", "-pk"), PAGE_SIZE).get_page(request.GET.get("pagina"))
    return render(
        request,
        "web/goals/events.html",
        {
            "page": page,
            "year": year,
            "pager_query": f"anio={year}" if year else "",
            "can_record": _can_record(request.user),
        },
    )


@web_view(("GET", "POST"))
def training_event_new(request: HttpRequest) -> HttpResponse:
    require_role(request.user, RECORD_ROLES, "registrar cursos de capacitación")
    form = TrainingEventForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = training_event_record(
                user=request.user,
                office=request.user.office,
                title=data["title"],
                topic=data["topic"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                municipality=data["municipality"],
                state=data["state"],
                modality=data["modality"],
                hours=data["hours"],
                partners=list(data["partners"]),
                notes=data["notes"],
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            messages.success(request, f"Se registró el curso «{event.title}».")
            return redirect("web:training_event", event.pk)
    return render(request, "web/goals/event_form.html", {"form": form}, status=422 if form.errors else 200)


def _event_context(request: HttpRequest, event: TrainingEvent, **extra: Any) -> dict[str, Any]:
    return {
        "event": event,
        "participants": training_participants(event),
        "can_record": _can_record(request.user),
        "participant_form": extra.pop("participant_form", None)
        or ParticipantForm(prefix="p", user=request.user),
        **extra,
    }


@web_view()
def training_event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = training_event_get_for_user(user=request.user, event_id=pk)
    return render(request, "web/goals/event_detail.html", _event_context(request, event))


@web_view(("POST",))
def training_participant_new(request: HttpRequest, pk: int) -> HttpResponse:
    event = training_event_get_for_user(user=request.user, event_id=pk)
    form = ParticipantForm(request.POST, prefix="p", user=request.user)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            participant = training_participant_add(
                user=request.user,
                event=event,
                applicant=data["applicant"],
                name=data["name"],
                organization=data["organization"],
                role=data["role"],
                attended=data["attended"],
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            notice = f"Se registró a {participant.display_name}."
            if not is_htmx(request):
                messages.success(request, notice)
                return redirect(reverse("web:training_event", args=[event.pk]) + "#participantes")
            event = training_event_get_for_user(user=request.user, event_id=pk)  # fresh counts
            return render(
                request, "web/goals/_participants.html", _event_context(request, event, notice=notice)
            )
    template = "web/goals/_participants.html" if is_htmx(request) else "web/goals/event_detail.html"
    return render(request, template, _event_context(request, event, participant_form=form), status=status)


# ----------------------------------------------------------------------------- technical assistance


@web_view()
def visit_list(request: HttpRequest) -> HttpResponse:
    year = _year(request) if request.GET.get("anio") else None
    visits = assistance_visits_for_user(user=request.user)
    if year is not None:
        visits = visits.filter(date__year=year)
    page = Paginator(visits.order_by("-date", "-pk"), PAGE_SIZE).get_page(request.GET.get("pagina"))
    return render(
        request,
        "web/goals/visits.html",
        {
            "page": page,
            "year": year,
            "pager_query": f"anio={year}" if year else "",
            "can_record": _can_record(request.user),
        },
    )


@web_view(("GET", "POST"))
def visit_new(request: HttpRequest) -> HttpResponse:
    require_role(request.user, RECORD_ROLES, "registrar visitas de asistencia técnica")
    initial = {"date": today_mx()}
    if request.GET.get("solicitante", "").isdigit():
        initial["applicant"] = int(request.GET["solicitante"])
    form = VisitForm(request.POST if request.method == "POST" else None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = technical_assistance_record(
                user=request.user,
                office=request.user.office,
                applicant=data["applicant"],
                date=data["date"],
                kind=data["kind"],
                advisor=data["advisor"],
                findings=data["findings"],
                recommendations=data["recommendations"],
                partners=list(data["partners"]),
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            messages.success(request, f"Se registró la visita a {visit.applicant.name}.")
            return redirect("web:ta_visits")
    return render(request, "web/goals/visit_form.html", {"form": form}, status=422 if form.errors else 200)


# ------------------------------------------------------------------------------------------ partners


@web_view(("GET", "POST"))
def partner_list_view(request: HttpRequest) -> HttpResponse:
    can_create = request.user.role in PARTNER_ROLES
    form = PartnerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        require_role(request.user, PARTNER_ROLES, "registrar organizaciones aliadas")
        if form.is_valid():
            data = form.cleaned_data
            try:
                partner = partner_create(
                    user=request.user, name=data["name"], kind=data["kind"], state=data["state"]
                )
            except DomainError as exc:
                place_errors(form, exc)
            else:
                messages.success(request, f"Se registró la organización {partner.name}.")
                return redirect("web:goal_partners")
    return render(
        request,
        "web/goals/partners.html",
        {"partners": partner_list().order_by("name"), "form": form, "can_create": can_create},
        status=422 if form.errors else 200,
    )


# ----------------------------------------------------------------------------------------- scorecard


@web_view()
def scorecard(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    cards = scorecards_for_user(user=request.user, year=year)
    this_year = today_mx().year
    return render(
        request,
        "web/goals/scorecard.html",
        {
            "year": year,
            "cards": cards,
            "total": scorecard_total(cards, year) if len(cards) > 1 else None,
            "years": list(range(this_year - 3, this_year + 2)),
            "today": today_mx(),
        },
    )


@web_view()
def scorecard_xlsx(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    cards = scorecards_for_user(user=request.user, year=year)
    events = training_events_for_user(user=request.user).filter(start_date__year=year)
    visits = assistance_visits_for_user(user=request.user).filter(date__year=year)
    wb, count = scorecard_workbook(
        cards=cards,
        total=scorecard_total(cards, year) if len(cards) > 1 else None,
        events=events.prefetch_related("partners").order_by("office__name", "start_date", "pk"),
        visits=visits.order_by("office__name", "date", "pk"),
    )
    filename = f"metas-{year}.xlsx"
    document_issued(
        user=request.user,
        document="scorecard_xlsx",
        obj=request.user,
        filename=filename,
        office=request.user.office,
        note=f"{count} gerencia{'s' if count != 1 else ''}",
    )
    response = HttpResponse(workbook_bytes(wb), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
