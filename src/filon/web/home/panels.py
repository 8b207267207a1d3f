"""What the dashboard shows, read through the scoped selectors: one panel per role's concern.

Nothing here writes or decides.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from filon.accounts.models import Role, User
from filon.committees.models import COMMITTEE_CHOICES, CommitteeSession, SessionStatus
from filon.committees.selectors import (
    agenda_items_for_user,
    agenda_pending_files,
    agenda_pending_guarantee_changes,
    agenda_pending_loan_requests,
    session_list_for_user,
)
from filon.core.calendar import today_mx
from filon.errors import DomainError
from filon.goals.selectors import scorecard_total, scorecards_for_user
from filon.marketdata.selectors import series_summaries
from filon.origination.lifecycle import TERMINAL
from filon.origination.models import CreditFile, FileStatus, RequirementItem, RequirementStatus
from filon.origination.selectors import (
    CLOCK_RUNNING,
    attention_clock,
    file_list_for_user,
    files_overdue_attention,
    requirements_missing,
)
from filon.rules import available_rulesets
from filon.rules.schema import Stage
from filon.servicing.models import LoanStatus, TaskStatus
from filon.servicing.selectors import loan_list_for_user
from filon.servicing.tasks import tasks_for_user
from filon.web.home import pictures

STATUS_LABELS = dict(FileStatus.choices)
COMMITTEE_NAMES = dict(COMMITTEE_CHOICES)


def _by_status(files: QuerySet[CreditFile]) -> list[dict[str, Any]]:
    rows = files.order_by().values("status", "currency").annotate(n=Count("id"), total=Sum("amount"))
    order = {value: i for i, value in enumerate(FileStatus.values)}
    out = [
        {"status": r["status"], "label": STATUS_LABELS.get(r["status"], r["status"]), **r}
        for r in rows
        if r["n"]
    ]
    return sorted(out, key=lambda r: (order.get(r["status"], 99), r["currency"]))


def regional_panel(user: User) -> dict[str, Any]:
    files = file_list_for_user(user=user)
    today = today_mx()
    running = files.filter(status__in=CLOCK_RUNNING).order_by("attention_deadline", "pk")[:30]
    captured = files.filter(status=FileStatus.CAPTURED).prefetch_related("requirements").order_by("pk")[:15]
    return {
        "by_status": _by_status(files),
        "clocks": [(f, attention_clock(f, today)) for f in running],
        "overdue": files_overdue_attention(user=user, today=today),
        "pending": [(f, requirements_missing(f, Stage.AUTHORIZATION, today)) for f in captured],
        "placement": placement_panel(user, today.year),
    }


def _next_sessions(user: User) -> list[CommitteeSession]:
    sessions = session_list_for_user(user=user).filter(
        status__in=[SessionStatus.CONVENED, SessionStatus.HELD]
    )
    if user.role in (Role.SECRETARIO_COMITE, Role.MIEMBRO_COMITE):
        sessions = sessions.filter(committee__in=user.committees or [])
    return list(sessions.order_by("date", "pk")[:10])


def committee_panel(user: User) -> dict[str, Any]:
    sessions = _next_sessions(user)
    agendas = [(s, list(agenda_items_for_user(user=user, session=s))) for s in sessions]
    pending = []
    if user.role == Role.SECRETARIO_COMITE:
        for code in user.committees or []:
            pending.append(
                {
                    "code": code,
                    "name": COMMITTEE_NAMES.get(code, code),
                    "files": list(agenda_pending_files(code, user=user)),
                    "changes": list(agenda_pending_guarantee_changes(code, user=user)),
                    "loan_requests": list(agenda_pending_loan_requests(code, user=user)),
                }
            )
    return {"agendas": agendas, "pending": pending}


def risk_panel() -> dict[str, Any]:
    today = today_mx()
    rulesets = available_rulesets()
    in_force = [r for r in rulesets if r.effective_from <= today]
    return {
        "rulesets": list(reversed(rulesets)),
        "ruleset_in_force": in_force[-1].version if in_force else None,
        "series": series_summaries(),
    }


def direction_panel(user: User) -> dict[str, Any]:
    files = file_list_for_user(user=user)
    rows = (
        files.order_by()
        .values("office__name", "status")
        .annotate(
            n=Count("id"),
            mxn=Sum("amount", filter=Q(currency="MXN")),
            usd=Sum("amount", filter=Q(currency="USD")),
        )
    )
    statuses = [s for s in FileStatus.values if any(r["status"] == s for r in rows)]
    offices: dict[str, dict[str, int]] = {}
    amounts: dict[str, dict[str, Any]] = {}
    for r in rows:
        offices.setdefault(r["office__name"], {})[r["status"]] = r["n"]
        totals = amounts.setdefault(r["office__name"], {"mxn": 0, "usd": 0, "n": 0})
        totals["mxn"] += r["mxn"] or 0
        totals["usd"] += r["usd"] or 0
        totals["n"] += r["n"]
    table = [
        {"office": name, "counts": [counts.get(s, 0) for s in statuses], **amounts[name]}
        for name, counts in sorted(offices.items())
    ]
    return {
        "statuses": [(s, STATUS_LABELS[s]) for s in statuses],
        "table": table,
        "overdue": files_overdue_attention(user=user),
        "placement": placement_panel(user, today_mx().year),
    }


def placement_panel(user: User, year: int) -> dict[str, Any]:
    """Placement of the year against its goal (SPEC G-1): the user's own office, or every office; and the
    technical-assistance and training targets against the visits and courses of the year."""
    try:
        cards = scorecards_for_user(user=user, year=year)
    except DomainError as exc:  # e.g. no FIX to convert a USD loan: say so instead of a wrong figure
        return {"year": year, "rows": [], "error": exc}
    rows = [card.placement for card in cards]
    goals = [row.target for row in rows if row.target is not None]
    total = {
        "target": sum(goals, Decimal(0)) if goals else None,
        "placed": sum((row.placed for row in rows), Decimal(0)),
        "loans": sum(row.loans for row in rows),
    }
    return {
        "year": year,
        "rows": rows,
        "with_goal": [row for row in rows if row.goal is not None],
        "without_goal": [row for row in rows if row.goal is None],
        "cards_with_goal": [card for card in cards if card.goal is not None],
        "error": None,
        "total": total if len(rows) > 1 else None,
        "cards": cards,
        "cards_total": scorecard_total(cards, year) if len(cards) > 1 else None,
    }


def legal_panel(user: User) -> dict[str, Any]:
    files = file_list_for_user(user=user)
    opinions = (
        RequirementItem.objects.filter(
            file__in=files.exclude(status__in=TERMINAL),
            legal_review=True,
            status__in=[RequirementStatus.UPLOADED, RequirementStatus.APPROVED],
            legal_opinion="",
        )
        .select_related("file__applicant")
        .order_by("file__folio", "code")[:50]
    )
    return {
        "to_formalize": list(files.filter(status=FileStatus.AUTHORIZED).order_by("authorization_expires_on")),
        "opinions": list(opinions),
    }


def portfolio_panel(user: User) -> dict[str, Any]:
    """Loans of the user's offices by classification, and the obligations due or overdue (13, 16.3–16.5)."""
    today = today_mx()
    loans = loan_list_for_user(user=user).filter(status=LoanStatus.ACTIVE)
    by_class = list(
        loans.values("classification", "currency")
        .annotate(n=Count("id"), principal=Sum("principal_balance"))
        .order_by("classification", "currency")
    )
    tasks = tasks_for_user(user=user).filter(status=TaskStatus.PENDING).order_by("due_on")
    return {
        "by_class": by_class,
        "overdue_tasks": list(tasks.filter(due_on__lt=today)[:30]),
        "upcoming_tasks": list(tasks.filter(due_on__gte=today)[:15]),
        "late_loans": list(loans.filter(days_past_due__gt=0).order_by("-days_past_due")[:15]),
    }


def _cards(panels: dict[str, Any]) -> list[Any]:
    """The goals' scorecards already read for the regional or the direction panel."""
    for name in ("regional", "direction"):
        placement = panels.get(name, {}).get("placement") or {}
        if placement.get("cards"):
            return list(placement["cards"])
    return []


CHART_ROLES = (Role.DIRECCION, Role.ADMINISTRADOR, Role.RIESGOS)
COMMITTEE_ROLES = (*CHART_ROLES, Role.SECRETARIO_COMITE, Role.MIEMBRO_COMITE)


def charts_panel(user: User, panels: dict[str, Any]) -> dict[str, Any]:
    """The pictures of the role's home (`pictures`), its first question first (`first`)."""
    today = today_mx()
    year = today.year
    role = user.role
    cards = _cards(panels)
    out: dict[str, Any] = {"first": pictures.first_question(user), "year": year}
    if user.is_regional:
        out["placement_by_month"] = pictures.placement_by_month(user, year, today)
        out["queue"] = pictures.queue(user, today)
    if role in (Role.DIRECCION, Role.ADMINISTRADOR):
        out["offices"] = pictures.offices(user, year, today, cards)
        out["placement_by_month"] = pictures.placement_by_month(user, year, today)
    if user.is_regional or role in CHART_ROLES:
        out["portfolio"] = pictures.portfolio(user, today)
        out["pipeline"] = pictures.pipeline(user, today)
    if role in (Role.RIESGOS, Role.ADMINISTRADOR):
        out["concentration"] = pictures.concentration(user, today)
    if user.is_regional or role in COMMITTEE_ROLES:
        out["committees"] = pictures.committees(user, year)
    out["funds"] = pictures.funds(user)
    if cards:
        out["training"] = pictures.training(cards)
    return out


def dashboard_panels(user: User) -> dict[str, Any]:
    """The panels a role sees on its home page. Loans and portfolio panels join when servicing has pages."""
    role = user.role
    panels: dict[str, Any] = {}
    if user.is_regional:
        panels["regional"] = regional_panel(user)
    if user.is_regional or role in (Role.DIRECCION, Role.ADMINISTRADOR, Role.RIESGOS):
        panels["portfolio"] = portfolio_panel(user)
    if role in (Role.SECRETARIO_COMITE, Role.MIEMBRO_COMITE):
        panels["committee"] = committee_panel(user)
    if role in (Role.RIESGOS, Role.ADMINISTRADOR):
        panels["risk"] = risk_panel()
    if role in (Role.DIRECCION, Role.ADMINISTRADOR):
        panels["direction"] = direction_panel(user)
    if role == Role.JURIDICO:
        panels["legal"] = legal_panel(user)
    panels["charts"] = charts_panel(user, panels)
    return panels
