"""Amortization schedules (Rules 9.2.4, 9.2.6; SPEC C-1, C-2, C-3, C-5, C-9 and the `filon schedule` contract).

Dates (C-3). Due dates fall on the disbursement's day of the month every `p` months, clamped to the end of
shorter months (Jan 31 → Feb 28/29 → Mar 31). Interest runs to the nominal due date; a due date that is not a
bank business day is *payable* the next business day without changing the interest.

Interest. A payment period of `p` months is cut into `p` monthly sub-periods starting on the same day of the
month. How each sub-period earns interest depends on the rate (`RateSource`):

- `MonthlyRevisedRate` (MXN, TIIE 28 + spread, "revisable mensualmente", R-9.2.4): sub-period k takes
  i_k = base by C-5 at its start + spread, and the period factor is the TMIC's Π(1 + i_k·nd_k/360) (R-9.2.6).
- `FixedRate` in MXN: the same Π with i_k the fixed rate, as the contract says.
- `CompoundedInArrearsRate` (MXN, TIIE de Fondeo, C-9): Π over each calendar day of (1 + r(d)/360) + spread·D/360.
- `PeriodRevisedRate` (USD base of the payment tenor + spread, "revisable según el periodo de pago",
  R-9.2.4 / I-3) and `FixedRate(monthly_compounding=False)` in USD: one rate for the whole period, simple
  interest i·D/360. The TMIC is the Rules' formula for *moneda nacional* (9.2.6 "Intereses ordinarios");
  for dollars the Rules only say capital and interest follow the agreed 1–12 month tenor, and a term rate
  fixed for the tenor is what a USD credit officer expects.

interest = round(opening balance × (factor − 1), 2). The factor is never rounded; only money is (C-1).

Principal (R-9.2.6). Grace periods pay interest only; then `(term − grace) / p` payments, either equal
(round(P/n, 2), the last absorbing the remainder) or growing by a fixed percentage over the previous one.
No payment is ever larger than the balance it repays, so balances never go negative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import NamedTuple, Protocol

from filon.core.accrual import Step
from filon.core.calendar import MONTHS_PER_YEAR, add_months, next_business_day
from filon.core.daycount import daily_compounded_growth, simple_growth, simple_rate
from filon.core.errors import InputError, InputErrors
from filon.core.money import ONE, ZERO, finance_context, is_cents, round_money
from filon.core.rates import RateSeries

PAYMENT_RULE = "9.2.6"
TERMS_RULE = "9.2.3"


# ------------------------------------------------------------------------------------------- rates


class RatePiece(NamedTuple):
    """Calendar days [start, end) at one annual `rate`: simple over the piece, or compounded each day (C-9)."""

    start: date
    end: date
    rate: Decimal
    daily: bool = False
    projected: bool = False

    def growth(self, start: date | None = None, end: date | None = None) -> Decimal:
        """The growth factor of the part of this piece inside [start, end) (default: all of it)."""
        if start is None and end is None:
            days = (self.end - self.start).days
        else:
            first = self.start if start is None or start < self.start else start
            last = self.end if end is None or end > self.end else end
            days = (last - first).days
            if days <= 0:
                return ONE
        return daily_compounded_growth(self.rate, days) if self.daily else simple_growth(self.rate, days)


class PeriodRate(NamedTuple):
    """How one payment period earns interest: its pieces compounded together, plus a simple spread (C-9)."""

    start: date
    end: date
    pieces: tuple[RatePiece, ...]
    simple_spread: Decimal = ZERO

    def factor(self, start: date | None = None, end: date | None = None) -> Decimal:
        """The unrounded growth factor over [start, end) (default: the whole period)."""
        whole = start is None and end is None  # the hot path of every schedule: no clipping
        first = self.start if start is None or start < self.start else start
        last = self.end if end is None or end > self.end else end
        if last <= first:
            return ONE
        factor = ONE
        for piece in self.pieces:
            factor *= piece.growth() if whole else piece.growth(first, last)
        if self.simple_spread:
            factor += simple_rate(self.simple_spread, (last - first).days)
        return factor

    @property
    def projected(self) -> bool:
        return any(piece.projected for piece in self.pieces)

    def steps(self) -> list[Step]:
        """The annual ordinary rate in force on each day of the period."""
        return [Step(piece.start, piece.rate + self.simple_spread) for piece in self.pieces]


class RateSource(Protocol):
    def period_rate(self, boundaries: Sequence[date]) -> PeriodRate:
        """The rate of the period cut at `boundaries`: its start, each monthly cut, its nominal due date."""
        ...


@dataclass(frozen=True, slots=True)
class FixedRate:
    rate: Decimal
    monthly_compounding: bool = True

    def period_rate(self, boundaries: Sequence[date]) -> PeriodRate:
        start, end = boundaries[0], boundaries[-1]
        if not self.monthly_compounding:
            return PeriodRate(start, end, (RatePiece(start, end, self.rate),))
        pieces = [RatePiece(first, last, self.rate) for first, last in pairwise(boundaries)]
        return PeriodRate(start, end, tuple(pieces))


@dataclass(frozen=True, slots=True)
class MonthlyRevisedRate:
    """Base (C-5 at each monthly sub-period's start) + spread, compounded as the TMIC (R-9.2.4, R-9.2.6)."""

    series: RateSeries
    spread: Decimal

    def period_rate(self, boundaries: Sequence[date]) -> PeriodRate:
        series, spread = self.series, self.spread
        if len(boundaries) == 2:  # monthly payments: one sub-period, the common case
            start, end = boundaries
            rate = series.value_before(start) + spread
            piece = RatePiece(start, end, rate, False, series.is_projection_before(start))
            return PeriodRate(start, end, (piece,))
        pieces = tuple(
            RatePiece(
                start, end, series.value_before(start) + spread, False, series.is_projection_before(start)
            )
            for start, end in pairwise(boundaries)
        )
        return PeriodRate(boundaries[0], boundaries[-1], pieces)


@dataclass(frozen=True, slots=True)
class PeriodRevisedRate:
    """Base (C-5 at the period's start) + spread for the whole period, simple interest (USD, R-9.2.4)."""

    series: RateSeries
    spread: Decimal

    def period_rate(self, boundaries: Sequence[date]) -> PeriodRate:
        start, end = boundaries[0], boundaries[-1]
        rate = self.series.value_before(start) + self.spread
        piece = RatePiece(start, end, rate, projected=self.series.is_projection_before(start))
        return PeriodRate(start, end, (piece,))


@dataclass(frozen=True, slots=True)
class CompoundedInArrearsRate:
    """Overnight base compounded each calendar day of the period, plus spread × D/360 (C-9)."""

    series: RateSeries
    spread: Decimal

    def period_rate(self, boundaries: Sequence[date]) -> PeriodRate:
        start, end = boundaries[0], boundaries[-1]
        pieces = tuple(
            RatePiece(run.start, run.end, run.value, daily=True, projected=run.projected)
            for run in self.series.overnight_runs(start, end)
        )
        return PeriodRate(start, end, pieces, simple_spread=self.spread)


# ------------------------------------------------------------------------------------------- terms


@dataclass(frozen=True, slots=True)
class EqualPrincipal:
    """Equal consecutive amortizations of principal (R-9.2.6)."""


@dataclass(frozen=True, slots=True)
class GrowingPrincipal:
    """Growing payments (R-9.2.6): each principal payment `growth` (e.g. 0.05) larger than the previous."""

    growth: Decimal


Amortization = EqualPrincipal | GrowingPrincipal


@dataclass(frozen=True, slots=True)
class ScheduleTerms:
    """What a schedule is built from. Field names are the `filon schedule` contract's."""

    principal: Decimal
    disbursement_date: date
    term_months: int
    grace_months: int
    payment_every_months: int
    amortization: Amortization
    rate: RateSource
    currency: str = "MXN"

    def problems(self) -> list[InputError]:
        """Every reason these terms cannot make a schedule, each naming its field (Spanish)."""
        found: list[InputError] = []
        if self.principal <= 0:
            found.append(InputError("principal", "debe ser mayor que cero"))
        elif not is_cents(self.principal):
            found.append(InputError("principal", "no puede tener fracciones de centavo (C-1)"))
        every = self.payment_every_months
        if not 1 <= every <= MONTHS_PER_YEAR:  # from monthly to yearly payments
            found.append(
                InputError(
                    "payment_every_months", f"la periodicidad va de 1 a {MONTHS_PER_YEAR} meses", PAYMENT_RULE
                )
            )
            every = 0
        if self.term_months < 1:
            found.append(InputError("term_months", "el plazo debe ser de al menos un mes"))
        elif every and self.term_months % every:
            found.append(
                InputError(
                    "term_months",
                    f"el plazo ({self.term_months} meses) debe ser múltiplo de la periodicidad ({every})",
                    PAYMENT_RULE,
                )
            )
        if self.grace_months < 0:
            found.append(InputError("grace_months", "no puede ser negativo"))
        elif self.grace_months >= self.term_months >= 1:
            found.append(
                InputError(
                    "grace_months",
                    f"la gracia ({self.grace_months} meses) debe ser menor que el plazo "
                    f"({self.term_months} meses)",
                    TERMS_RULE,
                )
            )
        elif every and self.grace_months % every:
            found.append(
                InputError(
                    "grace_months",
                    f"la gracia ({self.grace_months} meses) debe ser múltiplo de la periodicidad ({every})",
                    PAYMENT_RULE,
                )
            )
        if isinstance(self.amortization, GrowingPrincipal) and self.amortization.growth <= 0:
            found.append(InputError("amortization.growing", "el crecimiento debe ser mayor que cero"))
        return found

    @property
    def periods(self) -> int:
        return self.term_months // self.payment_every_months

    @property
    def grace_periods(self) -> int:
        return self.grace_months // self.payment_every_months

    def month_boundaries(self) -> list[date]:
        """The disbursement date and each month after it, to the end of the term (C-3: Jan 31, Feb 28/29,
        Mar 31 …): the cuts of the monthly sub-periods and, every `payment_every_months`, the due dates."""
        start = self.disbursement_date
        return [add_months(start, month) for month in range(self.term_months + 1)]

    def period_boundaries(self) -> list[Sequence[date]]:
        """For each payment period: its start, monthly cuts and nominal due date."""
        months = self.month_boundaries()
        every = self.payment_every_months
        return [months[first : first + every + 1] for first in range(0, self.term_months, every)]


# ------------------------------------------------------------------------------------------- schedule


class Installment(NamedTuple):
    """One payment period. `rate` is the period's effective rate (factor − 1), unrounded.

    `prepayments` are principal amounts repaid ahead of schedule on dates inside the period (R-9.2.6);
    they lower the balance that bears interest from their date on. balance = opening − prepaid − principal.
    """

    number: int
    start: date
    due: date
    payable: date
    rate: Decimal
    opening_balance: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal
    period_rate: PeriodRate
    prepayments: tuple[tuple[date, Decimal], ...] = ()

    @property
    def days(self) -> int:
        return (self.due - self.start).days

    @property
    def payment(self) -> Decimal:
        return self.interest + self.principal

    @property
    def prepaid(self) -> Decimal:
        return sum((amount for _, amount in self.prepayments), ZERO)

    @property
    def projected(self) -> bool:
        """True when some base-rate value of the period is not published yet (a flat projection)."""
        return self.period_rate.projected


@dataclass(frozen=True, slots=True)
class Totals:
    interest: Decimal
    principal: Decimal
    payment: Decimal
    prepaid: Decimal


@dataclass(frozen=True, slots=True)
class Schedule:
    terms: ScheduleTerms
    installments: tuple[Installment, ...]

    @property
    def totals(self) -> Totals:
        interest = sum((i.interest for i in self.installments), ZERO)
        principal = sum((i.principal for i in self.installments), ZERO)
        prepaid = sum((i.prepaid for i in self.installments), ZERO)
        return Totals(interest, principal, interest + principal, prepaid)

    @property
    def maturity(self) -> date:
        return self.installments[-1].due

    def installment_for(self, day: date) -> Installment | None:
        """The installment whose period [start, due) contains `day`."""
        for installment in self.installments:
            if installment.start <= day < installment.due:
                return installment
        return None

    def rate_steps(self) -> list[Step]:
        """The ordinary annual rate in force on each day of the schedule."""
        return [step for installment in self.installments for step in installment.period_rate.steps()]


def principal_plan(terms: ScheduleTerms) -> list[Decimal]:
    """The principal due in each period: zero during grace, then equal or growing payments (R-9.2.6)."""
    count = terms.periods - terms.grace_periods
    principal = terms.principal
    with finance_context():
        if isinstance(terms.amortization, GrowingPrincipal):
            step = ONE + terms.amortization.growth
            first = principal * terms.amortization.growth / (step**count - ONE)
            raw = [round_money(first * step**k) for k in range(count)]
        else:
            raw = [round_money(principal / count)] * count
    return [ZERO] * terms.grace_periods + _capped(raw, principal)


def _capped(amounts: Sequence[Decimal], total: Decimal) -> list[Decimal]:
    """`amounts` with none exceeding what is left of `total`, and the last one taking the remainder."""
    left = total
    capped: list[Decimal] = []
    for amount in amounts[:-1]:
        amount = min(amount, left)
        capped.append(amount)
        left -= amount
    capped.append(left)
    return capped


def _amortize(
    first_number: int,
    period_rates: Sequence[PeriodRate],
    opening: Decimal,
    plan: Sequence[Decimal],
    prepayments: tuple[tuple[date, Decimal], ...] = (),
) -> list[Installment]:
    """Installments numbered from `first_number` for `period_rates`, starting from the balance `opening`
    and paying `plan`'s principal; `prepayments` fall inside the first period. Stops once the balance is 0.
    """
    installments: list[Installment] = []
    balance = opening
    last = len(period_rates) - 1
    for index, (period_rate, planned) in enumerate(zip(period_rates, plan, strict=True)):
        rate = period_rate.factor() - ONE
        start_balance = balance
        repaid_early = prepayments if index == 0 else ()
        if repaid_early:
            exact_interest = ZERO
            since = period_rate.start
            for day, amount in repaid_early:
                exact_interest += balance * (period_rate.factor(since, day) - ONE)
                balance -= amount
                since = day
            exact_interest += balance * (period_rate.factor(since, None) - ONE)
        else:
            exact_interest = balance * rate
        principal = balance if index == last else min(planned, balance)
        balance -= principal
        due = period_rate.end
        installments.append(
            Installment(
                first_number + index,
                period_rate.start,
                due,
                next_business_day(due),
                rate,
                start_balance,
                round_money(exact_interest),
                principal,
                balance,
                period_rate,
                repaid_early,
            )
        )
        if not balance:
            break
    return installments


def schedule_build(terms: ScheduleTerms) -> Schedule:
    """The amortization table for `terms`. Raises `InputErrors` naming each bad field, `MissingRate`."""
    problems = terms.problems()
    if problems:
        raise InputErrors(problems)
    with finance_context():
        period_rates = [terms.rate.period_rate(cuts) for cuts in terms.period_boundaries()]
        installments = _amortize(1, period_rates, terms.principal, principal_plan(terms))
    return Schedule(terms, tuple(installments))


def reduce_from_last(plan: Sequence[Decimal], amount: Decimal) -> list[Decimal]:
    """`plan` with `amount` taken off its last payments first (R-9.2.6: prepayments go to the last ones)."""
    reduced = list(plan)
    left = amount
    for index in range(len(reduced) - 1, -1, -1):
        if not left:
            break
        cut = min(reduced[index], left)
        reduced[index] -= cut
        left -= cut
    if left:
        raise ValueError("el monto excede el capital pendiente de las amortizaciones")
    return reduced


def schedule_rebuild(
    schedule: Schedule,
    *,
    on: date,
    balance: Decimal | None = None,
    rate: RateSource | None = None,
    plan: Sequence[Decimal] | None = None,
) -> Schedule:
    """The schedule as it stands when the outstanding principal becomes `balance` on `on`.

    - Installments due on or before `on` are kept as they are.
    - The period containing `on` accrues interest on its balance until `on` and on `balance` from `on` on
      (the principal repaid on `on` is recorded as a prepayment of that installment; its accrued interest
      stays in the installment, payable on its regular date).
    - Later periods are recomputed from the lower balance with `plan`'s principal (default: the schedule's
      own, reduced from the last installments — R-9.2.6), and installments left with nothing to repay are
      dropped: the term shortens.
    - `rate` re-prices the recomputed periods, e.g. with a series that now holds published values where the
      schedule had projections; `balance=None` keeps the balance as it is.
    """
    kept = [i for i in schedule.installments if i.due <= on]
    rest = [i for i in schedule.installments if i.due > on]
    if not rest or on < rest[0].start:
        raise ValueError(f"no hay un periodo del calendario que contenga el {on:%d/%m/%Y}")
    current = rest[0]
    if any(i.prepayments for i in rest[1:]) or (current.prepayments and on < current.prepayments[-1][0]):
        raise ValueError("los cambios de saldo deben aplicarse en orden de fecha")
    standing = current.opening_balance - current.prepaid
    repaid = ZERO if balance is None else standing - balance
    if repaid < 0:
        raise ValueError("el saldo nuevo no puede ser mayor que el saldo vigente")
    if plan is None:
        plan = reduce_from_last([i.principal for i in rest], repaid)
    elif len(plan) != len(rest):
        raise ValueError(f"el plan debe tener {len(rest)} montos de capital")
    terms = schedule.terms
    cuts = terms.period_boundaries()
    prepayments = (*current.prepayments, (on, repaid)) if repaid else current.prepayments
    with finance_context():
        period_rates = [i.period_rate if rate is None else rate.period_rate(cuts[i.number - 1]) for i in rest]
        recomputed = _amortize(current.number, period_rates, current.opening_balance, plan, prepayments)
    return Schedule(terms, (*kept, *recomputed))
