"""Reads on committee sessions, scoped by role and regional office (STYLE 6)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet

from filon.accounts.models import Role, User
from filon.committees.models import COMMITTEE_CHOICES, AgendaItem, CommitteeSession
from filon.core.calendar import today_mx
from filon.errors import NotFound
from filon.origination.models import CreditFile, FileStatus, GuaranteeChange, LoanRequest
from filon.rules import RuleSet, load_ruleset_for_date
from filon.rules.schema import Committee


def committee_rules(ruleset: RuleSet, code: str) -> Committee | None:
    """The rule set's entry for the committee `code`, if it names one."""
    return next((c for c in ruleset.committees.committees if c.code == code), None)


def committee_name(code: str, on: dt.date | None = None) -> str:
    """The committee's name as the rule set in force on `on` gives it."""
    found = committee_rules(load_ruleset_for_date(on or today_mx()), code)
    return found.name if found else dict(COMMITTEE_CHOICES).get(code, code)


def is_committee_member(user: User, committee: str) -> bool:
    """A voting member: an active user with the member role whose committees include `committee`."""
    return bool(user.is_active and user.role == Role.MIEMBRO_COMITE and committee in (user.committees or []))


def committee_members(*, committee: str) -> list[User]:
    """The committee's voting members. Filtered in Python: JSON `contains` is not portable to SQLite."""
    candidates = User.objects.filter(is_active=True, role=Role.MIEMBRO_COMITE).order_by("username")
    return [u for u in candidates if is_committee_member(u, committee)]


def _office_items(user: User) -> Q:
    return (
        Q(file__office=user.office_id)
        | Q(guarantee_change__guarantee__file__office=user.office_id)
        | Q(loan_request__file__office=user.office_id)
    )


def session_list_for_user(*, user: User) -> QuerySet[CommitteeSession]:
    """Committee members, secretaries and central roles see every session; a regional user sees only the
    sessions that dealt with a file of their office."""
    sessions = CommitteeSession.objects.select_related("secretary")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return sessions.none()
    if user.is_regional:
        ids = AgendaItem.objects.filter(_office_items(user)).values("session_id")
        return sessions.filter(pk__in=ids)
    return sessions


def session_get_for_user(*, user: User, session_id: int) -> CommitteeSession:
    """A session with nothing of the user's office does not exist for a regional user: 404, never 403."""
    found = session_list_for_user(user=user).filter(pk=session_id).first()
    if found is None:
        raise NotFound("No existe la sesión de comité.")
    return found


def agenda_items_for_user(*, user: User, session: CommitteeSession) -> QuerySet[AgendaItem]:
    """The session's agenda; a regional user sees only the items of their own office's files."""
    items = (
        AgendaItem.objects.filter(session=session)
        .select_related(
            "file__applicant",
            "guarantee_change__guarantee__file__applicant",
            "loan_request__file__applicant",
            "resolution",
        )
        .order_by("order")
    )
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return items.none()
    if user.is_regional:
        return items.filter(_office_items(user))
    return items


def session_minutes_for_user(*, user: User, session_id: int) -> str:
    """The minutes list every office's matters, so a regional user gets a 404 for them."""
    session = session_get_for_user(user=user, session_id=session_id)
    if user.is_regional:
        raise NotFound("No existe el acta de la sesión.")
    return session.minutes


def _unresolved_on_an_agenda(field: str) -> QuerySet[AgendaItem]:
    return AgendaItem.objects.filter(resolution__isnull=True, **{f"{field}__isnull": False}).values(field)


def agenda_pending_files(committee: str, *, user: User | None = None) -> QuerySet[CreditFile]:
    """Files proposed, signed off by their regional manager and routed to `committee` that no session has on
    its agenda awaiting resolution."""
    files = (
        CreditFile.objects.filter(status=FileStatus.PROPOSED, committee=committee, signoff_by__isnull=False)
        .exclude(pk__in=_unresolved_on_an_agenda("file"))
        .select_related("applicant", "office")
        .order_by("proposed_at", "pk")
    )
    if user is not None and user.is_regional:
        files = files.filter(office=user.office_id)
    return files


def agenda_pending_guarantee_changes(
    committee: str, *, user: User | None = None
) -> QuerySet[GuaranteeChange]:
    """Release or substitution requests for `committee` not yet on an agenda awaiting resolution."""
    changes = (
        GuaranteeChange.objects.filter(status=GuaranteeChange.Status.REQUESTED, committee=committee)
        .exclude(pk__in=_unresolved_on_an_agenda("guarantee_change"))
        .select_related("guarantee__file__applicant")
        .order_by("requested_at", "pk")
    )
    if user is not None and user.is_regional:
        changes = changes.filter(guarantee__file__office=user.office_id)
    return changes


def agenda_pending_loan_requests(committee: str, *, user: User | None = None) -> QuerySet[LoanRequest]:
    """Restructuring or write-off requests for `committee` not yet on an agenda awaiting resolution."""
    requests = (
        LoanRequest.objects.filter(status=LoanRequest.Status.REQUESTED, committee=committee)
        .exclude(pk__in=_unresolved_on_an_agenda("loan_request"))
        .select_related("file__applicant", "file__office")
        .order_by("requested_at", "pk")
    )
    if user is not None and user.is_regional:
        requests = requests.filter(file__office=user.office_id)
    return requests


def resolutions_by_committee(*, user: User, year: int | None = None) -> list[tuple[str, str, dict[str, int]]]:
    """(committee code, committee name, {decision: number of resolutions}) for the sessions the user sees
    (a regional user: only the matters of their office), of the sessions dated in `year` if given, in the
    committees' order; only committees with resolutions."""
    items = AgendaItem.objects.filter(session__in=session_list_for_user(user=user), resolution__isnull=False)
    if user.is_regional:
        items = items.filter(_office_items(user))
    if year is not None:
        items = items.filter(session__date__year=year)
    rows = items.order_by().values("session__committee", "resolution__decision").annotate(n=Count("id"))
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["session__committee"], {})[row["resolution__decision"]] = row["n"]
    return [
        (code, committee_name(code), counts[code]) for code, _label in COMMITTEE_CHOICES if code in counts
    ]
