"""Reads on the offices' goals: placement of the year against its goal (SPEC G-1).

Placement is the sum of the contracted amounts of the office's loans whose contract date falls in the
year (cancelled loans do not count); a USD loan counts in pesos at the FIX of its contract date, read by
the C-5 look-up as C-6 converts every USD figure (the latest FIX published before that date).

The scorecard adds the other targets: technical-assistance services are the visits dated in the year;
courses, the training events that started in the year up to today (those scheduled later in the year are
shown apart); participants, those who attended them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from filon.accounts.access import scope_to_office
from filon.accounts.models import RegionalOffice, User
from filon.core.calendar import today_mx
from filon.core.money import round_money
from filon.core.rates import MissingRate, RateSeries
from filon.errors import DomainError, NotFound
from filon.goals.models import (
    OfficeGoal,
    PartnerOrganization,
    TechnicalAssistanceVisit,
    TrainingEvent,
    TrainingParticipant,
)

ZERO = Decimal(0)
FIX = "FIX"
RATIO_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class PlacementProgress:
    office: RegionalOffice
    year: int
    goal: OfficeGoal | None
    placed: Decimal  # MXN
    loans: int

    @property
    def target(self) -> Decimal | None:
        return self.goal.placement_mxn if self.goal else None

    @property
    def ratio(self) -> Decimal | None:
        """Placed over the goal (0.5 = half way), 4 decimals; None without a goal."""
        if self.goal is None:
            return None
        return (self.placed / self.goal.placement_mxn).quantize(RATIO_PLACES)

    @property
    def remaining(self) -> Decimal | None:
        """What is left to place to reach the goal (never negative); None without a goal."""
        if self.goal is None:
            return None
        return max(self.goal.placement_mxn - self.placed, ZERO)

    @property
    def percent_bar(self) -> int:
        """The ratio as a whole percentage capped at 100, for a progress bar."""
        ratio = self.ratio
        return 0 if ratio is None else int(min(ratio, Decimal(1)) * 100)


def _fix_series() -> RateSeries:
    from filon.marketdata.selectors import rate_series_get

    try:
        return rate_series_get(FIX)
    except (MissingRate, LookupError) as exc:
        raise DomainError(
            f"No se puede convertir a pesos la colocación en dólares: {exc}", field="fx_usd_mxn", rule="C-6"
        ) from None


def _placed_by_office(year: int, office_ids: list[int] | None) -> dict[int, tuple[Decimal, int]]:
    from filon.servicing.models import Loan, LoanStatus

    loans = Loan.objects.filter(contract_date__gte=date(year, 1, 1), contract_date__lte=date(year, 12, 31))
    loans = loans.exclude(status=LoanStatus.CANCELLED)
    if office_ids is not None:
        loans = loans.filter(office_id__in=office_ids)
    rows = list(loans.values_list("office_id", "currency", "contracted_amount", "contract_date"))
    fix = _fix_series() if any(currency != "MXN" for _, currency, _, _ in rows) else None
    totals: dict[int, tuple[Decimal, int]] = {}
    for office_id, currency, amount, contract_date in rows:
        if currency == "MXN":
            mxn = amount
        else:
            assert fix is not None
            try:
                mxn = round_money(amount * fix.value_before(contract_date))
            except MissingRate as exc:
                raise DomainError(str(exc), field="fx_usd_mxn", rule="C-6") from None
        placed, count = totals.get(office_id, (ZERO, 0))
        totals[office_id] = (placed + mxn, count + 1)
    return totals


def placement_progress(*, office: RegionalOffice, year: int) -> PlacementProgress:
    """The office's placement in `year` (MXN) against its placement goal, if one is set."""
    goal = OfficeGoal.objects.filter(office=office, year=year).first()
    placed, count = _placed_by_office(year, [office.pk]).get(office.pk, (ZERO, 0))
    return PlacementProgress(office=office, year=year, goal=goal, placed=placed, loans=count)


def placement_progress_for_user(*, user: User, year: int) -> list[PlacementProgress]:
    """Placement against goal for the offices the user sees, in name order: a regional user's own office;
    every office for the central roles (an office without a goal shows as such)."""
    offices = scope_to_office(RegionalOffice.objects.all(), user, "pk").order_by("name")
    ids = [o.pk for o in offices] if user.is_regional else None
    placed = _placed_by_office(year, ids)
    goals = {g.office_id: g for g in OfficeGoal.objects.filter(year=year, office__in=offices)}
    rows = []
    for office in offices:
        total, count = placed.get(office.pk, (ZERO, 0))
        rows.append(
            PlacementProgress(office=office, year=year, goal=goals.get(office.pk), placed=total, loans=count)
        )
    return rows


@dataclass(frozen=True)
class MonthlyPlacement:
    """An office's placement of the year month by month, cumulative, in MXN: `contracted` counts the loans
    by their contract date (what `placement_progress` calls placement, SPEC G-1); `disbursed` counts the
    ministraciones by their value date (the money that left). One figure per month from January through
    `months`."""

    office: RegionalOffice
    year: int
    goal: OfficeGoal | None
    contracted: list[Decimal]
    disbursed: list[Decimal]

    @property
    def target(self) -> Decimal | None:
        return self.goal.placement_mxn if self.goal else None


def _in_mxn(fix: RateSeries | None, currency: str, amount: Decimal, on: date) -> Decimal:
    if currency == "MXN":
        return amount
    assert fix is not None
    try:
        return round_money(amount * fix.value_before(on))
    except MissingRate as exc:
        raise DomainError(str(exc), field="fx_usd_mxn", rule="C-6") from None


def _cumulative(by_month: dict[int, Decimal], months: int) -> list[Decimal]:
    out, running = [], ZERO
    for month in range(1, months + 1):
        running += by_month.get(month, ZERO)
        out.append(running)
    return out


def placement_monthly_for_user(*, user: User, year: int, today: date | None = None) -> list[MonthlyPlacement]:
    """Cumulative contracted and disbursed placement per month of `year` (through today's month in the
    current year) for the offices the user sees, in name order, with each office's goal."""
    from filon.servicing.models import Disbursement, Loan, LoanStatus

    today = today or today_mx()
    months = 12 if year < today.year else (today.month if year == today.year else 0)
    offices = list(scope_to_office(RegionalOffice.objects.all(), user, "pk").order_by("name"))
    start, end = date(year, 1, 1), date(year, 12, 31)
    loans = Loan.objects.exclude(status=LoanStatus.CANCELLED).filter(office__in=offices)
    contracts = list(
        loans.filter(contract_date__gte=start, contract_date__lte=end).values_list(
            "office_id", "currency", "contracted_amount", "contract_date"
        )
    )
    draws = list(
        Disbursement.objects.filter(loan__in=loans, value_date__gte=start, value_date__lte=end).values_list(
            "loan__office_id", "loan__currency", "amount", "value_date"
        )
    )
    fix = _fix_series() if any(row[1] != "MXN" for row in [*contracts, *draws]) else None
    contracted: dict[int, dict[int, Decimal]] = {}
    disbursed: dict[int, dict[int, Decimal]] = {}
    for target, rows in ((contracted, contracts), (disbursed, draws)):
        for office_id, currency, amount, on in rows:
            months_of = target.setdefault(office_id, {})
            months_of[on.month] = months_of.get(on.month, ZERO) + _in_mxn(fix, currency, amount, on)
    goals = {g.office_id: g for g in OfficeGoal.objects.filter(year=year, office__in=offices)}
    return [
        MonthlyPlacement(
            office=office,
            year=year,
            goal=goals.get(office.pk),
            contracted=_cumulative(contracted.get(office.pk, {}), months),
            disbursed=_cumulative(disbursed.get(office.pk, {}), months),
        )
        for office in offices
    ]


def goal_list(*, year: int | None = None) -> list[OfficeGoal]:
    goals = OfficeGoal.objects.select_related("office").order_by("year", "office__name")
    if year is not None:
        goals = goals.filter(year=year)
    return list(goals)


# ------------------------------------------------------------------ training and technical assistance


def training_events_for_user(*, user: User) -> QuerySet[TrainingEvent]:
    """The training events of the user's office (every office's for the central roles)."""
    events = TrainingEvent.objects.select_related("office", "recorded_by")
    return scope_to_office(events, user).annotate(
        attended=Count("participants", filter=Q(participants__attended=True)),
        enrolled=Count("participants"),
    )


def training_event_get_for_user(*, user: User, event_id: int) -> TrainingEvent:
    """Another office's event does not exist for a regional user (404, not 403)."""
    event = training_events_for_user(user=user).filter(pk=event_id).first()
    if event is None:
        raise NotFound("No existe el curso de capacitación.")
    return event


def training_participants(event: TrainingEvent) -> QuerySet[TrainingParticipant]:
    return event.participants.select_related("applicant").order_by("pk")


def assistance_visits_for_user(*, user: User) -> QuerySet[TechnicalAssistanceVisit]:
    visits = TechnicalAssistanceVisit.objects.select_related("office", "applicant", "recorded_by")
    return scope_to_office(visits, user).prefetch_related("partners")


def partner_list(*, active_only: bool = False) -> QuerySet[PartnerOrganization]:
    """The partner organizations (shared by every office, so not scoped), with what they promoted."""
    partners = PartnerOrganization.objects.annotate(
        n_events=Count("events", distinct=True), n_visits=Count("visits", distinct=True)
    )
    return partners.filter(active=True) if active_only else partners


@dataclass(frozen=True)
class TargetProgress:
    """One target of an office's year: the goal (None without goals for the year) and what was done."""

    key: str
    label: str
    goal: Decimal | int | None
    actual: Decimal | int
    money: bool = False

    @property
    def ratio(self) -> Decimal | None:
        """Actual over goal, 4 decimals; None without a goal (or a goal of zero)."""
        if not self.goal:
            return None
        return (Decimal(self.actual) / Decimal(self.goal)).quantize(RATIO_PLACES)

    @property
    def percent_bar(self) -> int:
        ratio = self.ratio
        return 0 if ratio is None else int(min(ratio, Decimal(1)) * 100)


TARGET_LABELS = {
    "placement": "Colocación (MXN)",
    "technical_assistance": "Servicios de asistencia técnica",
    "courses": "Cursos de capacitación",
    "participants": "Participantes en capacitación",
}


@dataclass(frozen=True)
class OfficeScorecard:
    office: RegionalOffice | None  # None: the total of several offices
    year: int
    goal: OfficeGoal | None
    placement: PlacementProgress | None
    targets: list[TargetProgress]
    scheduled_courses: int  # training events later in the year, not counted yet

    def target(self, key: str) -> TargetProgress:
        return next(t for t in self.targets if t.key == key)

    @property
    def name(self) -> str:
        return self.office.name if self.office else "Total"


@dataclass(frozen=True)
class _Activity:
    visits: int = 0
    courses: int = 0
    participants: int = 0
    scheduled: int = 0


def _activity_by_office(year: int, office_ids: list[int] | None) -> dict[int, _Activity]:
    """Visits, courses held, attended participants and courses still to come in `year`, per office."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    held_until = min(end, today_mx())
    visits = TechnicalAssistanceVisit.objects.filter(date__gte=start, date__lte=end)
    events = TrainingEvent.objects.filter(start_date__gte=start, start_date__lte=end)
    if office_ids is not None:
        visits, events = visits.filter(office_id__in=office_ids), events.filter(office_id__in=office_ids)
    counts: dict[int, dict[str, int]] = {}
    for row in visits.order_by().values("office_id").annotate(n=Count("id")):
        counts.setdefault(row["office_id"], {})["visits"] = row["n"]
    held = events.filter(start_date__lte=held_until)
    for row in held.order_by().values("office_id").annotate(n=Count("id")):
        counts.setdefault(row["office_id"], {})["courses"] = row["n"]
    attended = TrainingParticipant.objects.filter(event__in=held, attended=True)
    for row in attended.order_by().values("event__office_id").annotate(n=Count("id")):
        counts.setdefault(row["event__office_id"], {})["participants"] = row["n"]
    later = events.filter(start_date__gt=held_until)
    for row in later.order_by().values("office_id").annotate(n=Count("id")):
        counts.setdefault(row["office_id"], {})["scheduled"] = row["n"]
    return {office_id: _Activity(**values) for office_id, values in counts.items()}


def _scorecard(progress: PlacementProgress, activity: _Activity) -> OfficeScorecard:
    goal = progress.goal
    targets = [
        TargetProgress("placement", TARGET_LABELS["placement"], progress.target, progress.placed, money=True),
        TargetProgress(
            "technical_assistance",
            TARGET_LABELS["technical_assistance"],
            goal.technical_assistance_services if goal else None,
            activity.visits,
        ),
        TargetProgress(
            "courses", TARGET_LABELS["courses"], goal.training_courses if goal else None, activity.courses
        ),
        TargetProgress(
            "participants",
            TARGET_LABELS["participants"],
            goal.training_participants if goal else None,
            activity.participants,
        ),
    ]
    return OfficeScorecard(
        office=progress.office,
        year=progress.year,
        goal=goal,
        placement=progress,
        targets=targets,
        scheduled_courses=activity.scheduled,
    )


def office_scorecard(*, office: RegionalOffice, year: int) -> OfficeScorecard:
    """The office's four targets of `year` against what it placed, visited and trained (SPEC G-1)."""
    progress = placement_progress(office=office, year=year)
    activity = _activity_by_office(year, [office.pk]).get(office.pk, _Activity())
    return _scorecard(progress, activity)


def scorecards_for_user(*, user: User, year: int) -> list[OfficeScorecard]:
    """The scorecards of the offices the user sees, in name order: a regional user's own office; every
    office for the central roles."""
    rows = placement_progress_for_user(user=user, year=year)
    ids = [row.office.pk for row in rows] if user.is_regional else None
    activity = _activity_by_office(year, ids)
    return [_scorecard(row, activity.get(row.office.pk, _Activity())) for row in rows]


def scorecard_total(cards: list[OfficeScorecard], year: int) -> OfficeScorecard:
    """The sum of several offices' scorecards; a target's goal is the sum of the goals that are set."""
    targets = []
    for key, label in TARGET_LABELS.items():
        parts = [card.target(key) for card in cards]
        goals = [t.goal for t in parts if t.goal is not None]
        zero: Decimal | int = ZERO if key == "placement" else 0
        targets.append(
            TargetProgress(
                key,
                label,
                sum(goals, zero) if goals else None,
                sum((t.actual for t in parts), zero),
                money=key == "placement",
            )
        )
    return OfficeScorecard(
        office=None,
        year=year,
        goal=None,
        placement=None,
        targets=targets,
        scheduled_courses=sum(card.scheduled_courses for card in cards),
    )
