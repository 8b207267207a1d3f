"""Reads on the offices' goals: placement of the year against its goal (SPEC G-1).

Placement is the sum of the contracted amounts of the office's loans whose contract date falls in the
year (cancelled loans do not count); a USD loan counts in pesos at the FIX of its contract date, read by
the C-5 look-up as C-6 converts every USD figure (the latest FIX published before that date).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from filon.accounts.access import scope_to_office
from filon.accounts.models import RegionalOffice, User
from filon.core.money import round_money
from filon.core.rates import MissingRate, RateSeries
from filon.errors import DomainError
from filon.goals.models import OfficeGoal

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


def goal_list(*, year: int | None = None) -> list[OfficeGoal]:
    goals = OfficeGoal.objects.select_related("office").order_by("year", "office__name")
    if year is not None:
        goals = goals.filter(year=year)
    return list(goals)
