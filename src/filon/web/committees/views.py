"""Committee pages (Rules 17): sessions, convening, and the session page with attendance, agenda, votes,
resolutions, hold, close and minutes. Each form posts to a view that calls one committees service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from filon.accounts.access import require_role
from filon.accounts.models import User
from filon.committees.lifecycle import SECRETARY, SESSION
from filon.committees.models import AgendaItem, CommitteeSession, SessionStatus
from filon.committees.selectors import (
    agenda_items_for_user,
    agenda_pending_files,
    agenda_pending_guarantee_changes,
    agenda_pending_loan_requests,
    committee_members,
    committee_name,
    is_committee_member,
    session_get_for_user,
    session_list_for_user,
    session_minutes_for_user,
)
from filon.committees.services import (
    agenda_add_file,
    agenda_add_guarantee_change,
    agenda_add_loan_request,
    agenda_withdraw,
    resolution_record,
    session_attendance,
    session_close,
    session_convene,
    session_hold,
    session_reschedule,
    vote_cast,
)
from filon.core.calendar import today_mx
from filon.core.money import format_money
from filon.errors import DomainError, Forbidden, NotFound
from filon.origination.models import CreditFile, GuaranteeChange, LoanRequest
from filon.web.committees.forms import (
    AgendaAddChangeForm,
    AgendaAddForm,
    AgendaAddLoanRequestForm,
    AttendanceForm,
    ConveneForm,
    HoldForm,
    RescheduleForm,
    ResolutionForm,
    VoteForm,
    WithdrawForm,
)
from filon.web.http import error_text, is_htmx, place_errors, typed_dates, web_view

PAGE_SIZE = 30


def _display(user: User) -> str:
    return user.get_full_name() or user.username


# --------------------------------------------------------------------------------------------- list


@web_view()
def session_list(request: HttpRequest) -> HttpResponse:
    sessions = session_list_for_user(user=request.user).order_by("-date", "-pk")
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("pagina"))
    user = request.user
    pending = []
    if user.role in SECRETARY:
        for code in user.committees or []:
            pending.append((committee_name(code), list(agenda_pending_files(code, user=user))))
    return render(
        request,
        "web/committees/list.html",
        {"page": page, "pending": pending, "can_convene": user.role in SECRETARY},
    )


@web_view(("GET", "POST"))
def session_new(request: HttpRequest) -> HttpResponse:
    require_role(request.user, SECRETARY, "convocar sesiones de comité")
    form = ConveneForm(
        request.POST if request.method == "POST" else None, committees=request.user.committees or None
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = session_convene(
                user=request.user,
                committee=data["committee"],
                date=data["date"],
                place=data["place"],
                quorum=data["quorum"],
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            messages.success(request, f"Se convocó la sesión {session.number}.")
            return redirect("web:session", session.pk)
    return render(request, "web/committees/convene.html", {"form": form}, status=422 if form.errors else 200)


# ------------------------------------------------------------------------------------- session page


def _file_label(file: CreditFile) -> str:
    return f"{file.folio} — {file.applicant.name} — {format_money(file.amount, file.currency)}"


def _change_label(change: GuaranteeChange) -> str:
    file = change.guarantee.file
    return f"{change.get_kind_display()} de {change.guarantee.get_type_display().lower()} — {file.folio}"


def _loan_request_label(request: LoanRequest) -> str:
    return (
        f"{request.get_kind_display()} del crédito {request.loan_number} — {request.file.applicant.name} — "
        f"saldo {format_money(request.principal_balance, request.currency)}"
    )


def session_context(request: HttpRequest, session: CommitteeSession, **extra: Any) -> dict[str, Any]:
    user = request.user
    actions = set(SESSION.allowed(user, session))  # by role, the session's secretary, and its state
    present_ids = set(session.members_present.values_list("pk", flat=True))
    voter = is_committee_member(user, session.committee) and user.pk in present_ids
    item_forms: dict[int, dict[str, forms.Form]] = extra.pop("item_forms", {})
    bound_forms = {
        k: extra.pop(k)
        for k in (
            "attendance_form",
            "agenda_form",
            "change_form",
            "loan_request_form",
            "hold_form",
            "reschedule_form",
        )
        if k in extra
    }
    items = []
    for item in agenda_items_for_user(user=user, session=session).prefetch_related("votes__member"):
        resolution = getattr(item, "resolution", None)
        votes = list(item.votes.all())
        bound = item_forms.get(item.pk, {})
        row: dict[str, Any] = {"item": item, "resolution": resolution, "votes": votes}
        if resolution is None and "vote" in actions and voter and all(v.member_id != user.pk for v in votes):
            row["vote_form"] = bound.get("vote") or VoteForm(prefix=f"a{item.pk}")
        if resolution is None and "resolution_record" in actions:
            row["resolution_form"] = bound.get("resolution") or ResolutionForm(prefix=f"a{item.pk}r")
        if resolution is None and "agenda_withdraw" in actions:
            row["withdraw_form"] = bound.get("withdraw") or WithdrawForm(prefix=f"a{item.pk}w")
        # A refusal whose form is no longer offered (e.g. the matter was resolved meanwhile) shows on the item.
        row["errors"] = [
            e for key, f in bound.items() if f is not row.get(f"{key}_form") for e in f.non_field_errors()
        ]
        items.append(row)
    context: dict[str, Any] = {
        "session": session,
        "committee": committee_name(session.committee, session.date),
        "items": items,
        "present": session.members_present.order_by("username"),
        "session_actions": actions,
    }
    if "attendance" in actions:
        members = committee_members(committee=session.committee)
        context["attendance_form"] = bound_forms.get("attendance_form") or AttendanceForm(
            initial={"members": [str(pk) for pk in present_ids]},
            choices=[(str(m.pk), _display(m)) for m in members],
        )
        files = agenda_pending_files(session.committee, user=user)
        changes = agenda_pending_guarantee_changes(session.committee, user=user)
        context["agenda_form"] = bound_forms.get("agenda_form") or AgendaAddForm(
            choices=[(str(f.pk), _file_label(f)) for f in files]
        )
        context["change_form"] = bound_forms.get("change_form") or AgendaAddChangeForm(
            choices=[(str(c.pk), _change_label(c)) for c in changes]
        )
        loan_requests = agenda_pending_loan_requests(session.committee, user=user)
        context["loan_request_form"] = bound_forms.get("loan_request_form") or AgendaAddLoanRequestForm(
            choices=[(str(r.pk), _loan_request_label(r)) for r in loan_requests]
        )
    if "hold" in actions:
        context["hold_early"] = session.date > today_mx()
        context["hold_form"] = bound_forms.get("hold_form") or HoldForm()
    if "reschedule" in actions:
        context["reschedule_form"] = bound_forms.get("reschedule_form") or typed_dates(RescheduleForm())
    if session.status == SessionStatus.CLOSED and not user.is_regional:
        context["minutes"] = session_minutes_for_user(user=user, session_id=session.pk)
    orphans = [e for k, f in bound_forms.items() if k not in context for e in f.non_field_errors()]
    if orphans:
        extra.setdefault("session_error", " ".join(orphans))
    context.update(extra)
    return context


@web_view()
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = session_get_for_user(user=request.user, session_id=pk)
    return render(request, "web/committees/detail.html", session_context(request, session))


def _respond(
    request: HttpRequest, pk: int, *, status: int = 200, notice: str = "", **extra: Any
) -> HttpResponse:
    session = session_get_for_user(user=request.user, session_id=pk)
    if status == 200 and not is_htmx(request):
        if notice:
            messages.success(request, notice)
        return redirect(reverse("web:session", args=[session.pk]))
    context = session_context(request, session, notice=notice, **extra)
    template = "web/committees/_session.html" if is_htmx(request) else "web/committees/detail.html"
    return render(request, template, context, status=status)


def _refused(request: HttpRequest, pk: int, exc: DomainError) -> HttpResponse:
    if isinstance(exc, NotFound | Forbidden):
        raise exc
    return _respond(request, pk, status=exc.status, session_error=error_text(exc))


@web_view(("POST",))
def session_attendance_view(request: HttpRequest, pk: int) -> HttpResponse:
    session = session_get_for_user(user=request.user, session_id=pk)
    members = committee_members(committee=session.committee)
    form = AttendanceForm(request.POST, choices=[(str(m.pk), _display(m)) for m in members])
    if form.is_valid():
        chosen = {int(pk) for pk in form.cleaned_data["members"]}
        try:
            session_attendance(
                user=request.user, session=session, members=[m for m in members if m.pk in chosen]
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _respond(request, pk, notice="Asistencia registrada.")
    return _respond(request, pk, status=422, attendance_form=form)


@web_view(("POST",))
def session_hold_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Hold the session; before its date, with the reason the minutes record."""
    session = session_get_for_user(user=request.user, session_id=pk)
    form = HoldForm(request.POST)
    if form.is_valid():
        try:
            session_hold(
                user=request.user, session=session, early_reason=form.cleaned_data["held_early_reason"]
            )
        except DomainError as exc:
            if exc.field != "held_early_reason":
                return _refused(request, pk, exc)
            place_errors(form, exc)
        else:
            return _respond(request, pk, notice=f"La sesión {session.number} se celebra.")
    return _respond(request, pk, status=422, hold_form=form)


@web_view(("POST",))
def session_reschedule_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a convened session to another date, with the reason."""
    session = session_get_for_user(user=request.user, session_id=pk)
    form = typed_dates(RescheduleForm(request.POST))
    if form.is_valid():
        try:
            session_reschedule(
                user=request.user,
                session=session,
                new_date=form.cleaned_data["new_date"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _respond(
                request,
                pk,
                notice=f"La sesión {session.number} se cambió al {form.cleaned_data['new_date']:%d/%m/%Y}.",
            )
    return _respond(request, pk, status=422, reschedule_form=form)


@web_view(("POST",))
def session_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    session = session_get_for_user(user=request.user, session_id=pk)
    try:
        session_close(user=request.user, session=session)
    except DomainError as exc:
        return _refused(request, pk, exc)
    return _respond(request, pk, notice=f"La sesión {session.number} se cerró y su acta quedó asentada.")


@web_view(("POST",))
def agenda_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    session = session_get_for_user(user=request.user, session_id=pk)
    files = {str(f.pk): f for f in agenda_pending_files(session.committee, user=request.user)}
    form = AgendaAddForm(request.POST, choices=[(k, _file_label(f)) for k, f in files.items()])
    if form.is_valid():
        try:
            agenda_add_file(user=request.user, session=session, file=files[form.cleaned_data["file"]])
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _respond(request, pk, notice="Expediente integrado al orden del día.")
    return _respond(request, pk, status=422, agenda_form=form)


@web_view(("POST",))
def agenda_add_change_view(request: HttpRequest, pk: int) -> HttpResponse:
    session = session_get_for_user(user=request.user, session_id=pk)
    changes = {str(c.pk): c for c in agenda_pending_guarantee_changes(session.committee, user=request.user)}
    form = AgendaAddChangeForm(request.POST, choices=[(k, _change_label(c)) for k, c in changes.items()])
    if form.is_valid():
        try:
            agenda_add_guarantee_change(
                user=request.user, session=session, change=changes[form.cleaned_data["change"]]
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _respond(request, pk, notice="Solicitud integrada al orden del día.")
    return _respond(request, pk, status=422, change_form=form)


def _agenda_item(request: HttpRequest, pk: int, item_id: int) -> AgendaItem:
    session = session_get_for_user(user=request.user, session_id=pk)
    return get_object_or_404(agenda_items_for_user(user=request.user, session=session), pk=item_id)


@web_view(("POST",))
def vote_view(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    item = _agenda_item(request, pk, item_id)
    form = VoteForm(request.POST, prefix=f"a{item.pk}")
    if form.is_valid():
        try:
            vote_cast(user=request.user, item=item, vote=form.cleaned_data["vote"])
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _respond(request, pk, notice="Voto registrado.")
    return _respond(request, pk, status=422, item_forms={item.pk: {"vote": form}})


@web_view(("POST",))
def resolution_view(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    item = _agenda_item(request, pk, item_id)
    form = ResolutionForm(request.POST, prefix=f"a{item.pk}r")
    if form.is_valid():
        data = form.cleaned_data
        try:
            resolution = resolution_record(
                user=request.user,
                item=item,
                decision=data["decision"],
                conditions=data["conditions"],
                observations=data["observations"],
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _respond(request, pk, notice=f"Acuerdo {resolution.agreement_number} registrado.")
    return _respond(request, pk, status=422, item_forms={item.pk: {"resolution": form}})


@web_view(("POST",))
def withdraw_view(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    item = _agenda_item(request, pk, item_id)
    form = WithdrawForm(request.POST, prefix=f"a{item.pk}w")
    if form.is_valid():
        try:
            agenda_withdraw(user=request.user, item=item, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _respond(request, pk, notice="Asunto retirado del orden del día.")
    return _respond(request, pk, status=422, item_forms={item.pk: {"withdraw": form}})


@web_view(("POST",))
def agenda_add_loan_request_view(request: HttpRequest, pk: int) -> HttpResponse:
    session = session_get_for_user(user=request.user, session_id=pk)
    pending = {str(r.pk): r for r in agenda_pending_loan_requests(session.committee, user=request.user)}
    form = AgendaAddLoanRequestForm(
        request.POST, choices=[(k, _loan_request_label(r)) for k, r in pending.items()]
    )
    if form.is_valid():
        try:
            agenda_add_loan_request(
                user=request.user, session=session, request=pending[form.cleaned_data["loan_request"]]
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return _respond(request, pk, notice="Solicitud sobre el crédito integrada al orden del día.")
    return _respond(request, pk, status=422, loan_request_form=form)
