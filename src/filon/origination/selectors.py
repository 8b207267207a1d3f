"""Reads on credit files, scoped by role and regional office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet

from filon.accounts.access import scope_to_office
from filon.accounts.models import Role, User
from filon.core.calendar import add_months, business_days_between, today_mx
from filon.core.rates import MissingRate
from filon.errors import DomainError, NotFound
from filon.marketdata.selectors import rate_series_get
from filon.origination.models import CreditFile, FileStatus, LoanRequest, RequirementItem, RequirementStatus
from filon.rules import RuleSet, load_ruleset_for_date, load_ruleset_version
from filon.rules.schema import Stage


def file_ruleset(file: CreditFile) -> RuleSet:
    """The rule set a file is evaluated under: the one it was last evaluated with, else today's."""
    if file.ruleset_version:
        return load_ruleset_version(file.ruleset_version)
    return load_ruleset_for_date(today_mx())


def document_is_stale(item: RequirementItem, today: date) -> bool:
    """A document older than its validity (months) on `today`."""
    return bool(
        item.validity_months
        and item.document_date
        and item.document_date < add_months(today, -item.validity_months)
    )


def requirement_is_met(item: RequirementItem, today: date) -> bool:
    """Not applicable, or approved, in force on `today` and with a favourable legal opinion if it needs one."""
    if item.status == RequirementStatus.NOT_APPLICABLE:
        return True
    if item.status != RequirementStatus.APPROVED or document_is_stale(item, today):
        return False
    return not item.legal_review or item.legal_opinion == "favorable"


def requirements_missing(file: CreditFile, stage: Stage, today: date | None = None) -> list[RequirementItem]:
    """The file's requirements of `stage` not met on `today` (the pages list them; the services refuse by them)."""
    today = today or today_mx()
    return [
        item for item in file.requirements.filter(stage=stage.value) if not requirement_is_met(item, today)
    ]


def market_values_on(day: date) -> tuple[Decimal, Decimal | None]:
    """FIX USD/MXN by the C-5 look-up (latest before `day`), and the annual UMA if stored."""
    try:
        fx = rate_series_get("FIX").value_before(day)
    except (MissingRate, LookupError) as exc:
        raise DomainError(
            f"No hay tipo de cambio FIX publicado antes del {day:%d/%m/%Y}; importe la serie FIX.",
            field="fx_usd_mxn",
            rule="C-6",
        ) from exc
    return fx, None


def file_list_for_user(*, user: User) -> QuerySet[CreditFile]:
    return scope_to_office(CreditFile.objects.select_related("applicant", "office"), user)


def files_to_sign_off(user: User) -> QuerySet[CreditFile]:
    """The proposed files waiting for this regional manager's sign-off before a committee's agenda: of
    the manager's own office, not yet signed off, and not captured or proposed by the manager (four eyes:
    another manager of the office signs those). Empty for every other role."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return CreditFile.objects.none()
    if user.role != Role.GERENTE_REGIONAL or user.office_id is None:
        return CreditFile.objects.none()
    return (
        CreditFile.objects.select_related("applicant", "office", "proposed_by")
        .filter(office_id=user.office_id, status=FileStatus.PROPOSED, signoff_by__isnull=True)
        .exclude(created_by=user)
        .exclude(proposed_by=user)
        .order_by("proposed_at", "pk")
    )


def file_on_agenda(file: CreditFile) -> bool:
    """Whether the file is on a committee's agenda, still unresolved (read through the agenda's reverse
    relation: the committees app sits above this one)."""
    return CreditFile.objects.filter(
        pk=file.pk, agenda_items__isnull=False, agenda_items__resolution__isnull=True
    ).exists()


def file_get_for_user(*, user: User, file_id: int) -> CreditFile:
    """Another office's file does not exist for a regional user: 404, never 403."""
    found = file_list_for_user(user=user).filter(pk=file_id).first()
    if found is None:
        raise NotFound("No existe el expediente.")
    return found


@dataclass(frozen=True)
class AttentionClock:
    """Rules 8: business days since requirements were complete, against the deadline."""

    applies: bool
    started_on: date | None
    deadline: date | None
    elapsed_business_days: int
    remaining_business_days: int | None
    overdue: bool


CLOCK_RUNNING = (
    FileStatus.REQUIREMENTS_COMPLETE,
    FileStatus.UNDER_ANALYSIS,
    FileStatus.PROPOSED,
    FileStatus.RETURNED,
)


def attention_clock(file: CreditFile, today: date | None = None) -> AttentionClock:
    today = today or today_mx()
    if file.requirements_complete_on is None or file.attention_deadline is None:
        return AttentionClock(False, file.requirements_complete_on, None, 0, None, False)
    stop = today if file.status in CLOCK_RUNNING else (file.authorized_on or today)
    elapsed = business_days_between(file.requirements_complete_on, stop)
    remaining = (
        business_days_between(stop, file.attention_deadline)
        if stop < file.attention_deadline
        else -business_days_between(file.attention_deadline, stop)
    )
    return AttentionClock(
        True,
        file.requirements_complete_on,
        file.attention_deadline,
        elapsed,
        remaining,
        overdue=file.status in CLOCK_RUNNING and today > file.attention_deadline,
    )


def files_overdue_attention(*, user: User, today: date | None = None) -> list[CreditFile]:
    today = today or today_mx()
    qs = file_list_for_user(user=user).filter(status__in=CLOCK_RUNNING, attention_deadline__lt=today)
    return list(qs.order_by("attention_deadline"))


# -------------------------------------------------------------------------- the engine's verdict, as shown

SEVERITY = {"error": ("Error", 0), "warning": ("Advertencia", 1), "info": ("Información", 2)}


@dataclass
class Finding:
    rule: str
    severity: str
    label: str
    message: str


def file_findings(file: CreditFile) -> list[Finding]:
    """The findings of the file's last evaluation, errors first (the file page and its dictamen)."""
    rows = (file.evaluation or {}).get("findings") or []
    out = [
        Finding(
            str(f.get("rule") or ""),
            str(f.get("severity") or "info"),
            SEVERITY.get(str(f.get("severity")), ("Información", 2))[0],
            str(f.get("message") or ""),
        )
        for f in rows
    ]
    return sorted(out, key=lambda f: SEVERITY.get(f.severity, ("", 3))[1])


def file_coverage(file: CreditFile) -> dict[str, Any] | None:
    """The engine's coverage per guarantee, matched to the file's guarantees by `guarantee_ids`."""
    evaluation = file.evaluation or {}
    cov = evaluation.get("coverage")
    if not cov:
        return None
    ids = evaluation.get("guarantee_ids") or []
    by_id = {g.pk: g for g in file.guarantees.all()}
    lines = []
    for line in cov.get("guarantees") or []:
        index = line.get("index")
        guarantee = by_id.get(ids[index]) if isinstance(index, int) and index < len(ids) else None
        lines.append({**line, "guarantee": guarantee})
    return {**cov, "lines": lines}


def loan_request_list_for_user(*, user: User) -> QuerySet[LoanRequest]:
    """Restructuring and write-off requests, scoped to the user's office by their file."""
    requests = LoanRequest.objects.select_related("file__applicant", "file__office", "requested_by")
    return scope_to_office(requests, user, "file__office")


def loan_request_get_for_user(*, user: User, request_id: int) -> LoanRequest:
    """Another office's request does not exist for a regional user: 404, never 403."""
    found = loan_request_list_for_user(user=user).filter(pk=request_id).first()
    if found is None:
        raise NotFound("No existe la solicitud sobre el crédito.")
    return found


# ------------------------------------------------------------------------------ time in stage (dashboards)


def median(values: list[int]) -> Decimal | None:
    """The middle value (the mean of the two middle ones for an even count); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[mid])
    return (Decimal(ordered[mid - 1]) + Decimal(ordered[mid])) / 2


@dataclass(frozen=True)
class StageTime:
    """How long the files that went through a stage spent in it: the median of the days between the two
    dates the file records (business days where the Rules' clock counts them), against that clock."""

    key: str
    label: str
    files: int
    median_days: Decimal | None
    business_days: bool
    clock_days: int | None
    rule: str


def stage_times(*, user: User, today: date | None = None) -> list[StageTime]:
    """The median time in each stage of the files the user sees, from the dates each file records: the
    application (`application_date`), requirements complete (`requirements_complete_on`, where the
    attention clock of R-8 starts), the authorization (`authorized_on`) and the signed contract
    (`contract_signed_on`). The clocks are the rule set's: the attention time in business days and the
    authorization's validity in calendar days."""
    ruleset = load_ruleset_for_date(today or today_mx())
    files = file_list_for_user(user=user).order_by()
    captured = files.filter(requirements_complete_on__isnull=False).values_list(
        "application_date", "requirements_complete_on"
    )
    attended = files.filter(
        requirements_complete_on__isnull=False, authorized_on__isnull=False, attention_deadline__isnull=False
    ).values_list("requirements_complete_on", "authorized_on")
    formalized = files.filter(authorized_on__isnull=False, contract_signed_on__isnull=False).values_list(
        "authorized_on", "contract_signed_on"
    )
    integration = [max((end - start).days, 0) for start, end in captured]
    attention = [business_days_between(start, end) for start, end in attended]
    formalization = [max((end - start).days, 0) for start, end in formalized]
    return [
        StageTime(
            "captured",
            "Integración (solicitud a requisitos completos)",
            len(integration),
            median(integration),
            False,
            None,
            "",
        ),
        StageTime(
            "attention",
            "Atención (requisitos completos a autorización)",
            len(attention),
            median(attention),
            True,
            ruleset.attention_time.business_days,
            ruleset.attention_time.rule,
        ),
        StageTime(
            "formalization",
            "Formalización (autorización a contrato firmado)",
            len(formalization),
            median(formalization),
            False,
            ruleset.authorization.validity_calendar_days,
            ruleset.authorization.rule,
        ),
    ]


def files_by_status(*, user: User) -> list[tuple[str, str, int]]:
    """(status, label, number of files) of the files the user sees, in the lifecycle's order, only the
    statuses that have files."""
    counts = dict(
        file_list_for_user(user=user)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return [(value, label, counts[value]) for value, label in FileStatus.choices if counts.get(value)]
