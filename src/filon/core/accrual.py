"""Interest accrued over any date range on a balance history, and moratorium interest (Rules 9.2.5).

Histories are step functions: a `Step` holds a value in force from its `start` (inclusive) until the next
step's start. Interest is simple, Actual/360 (C-2): Σ balance(d) × rate(d) / 360 over the calendar days d
of the range, summed exactly and rounded once, half up, to the centavo (C-1).

A schedule's own interest is computed by `filon.core.schedule` (TMIC, C-9); this module answers the
servicing questions in between: how much has accrued up to today (devengo), and how much moratorium
interest an overdue amortization owes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from filon.core.daycount import simple_rate
from filon.core.money import ZERO, finance_context, round_money


@dataclass(frozen=True, slots=True)
class Step:
    """`value` is in force from `start` (inclusive) until the next step of its history."""

    start: date
    value: Decimal


History = Decimal | Sequence[Step]


@dataclass(frozen=True, slots=True)
class AccrualSegment:
    """Days [start, end) over which balance and rate did not change; `amount` is unrounded."""

    start: date
    end: date
    days: int
    balance: Decimal
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Accrual:
    segments: tuple[AccrualSegment, ...]

    @property
    def exact(self) -> Decimal:
        return sum((segment.amount for segment in self.segments), ZERO)

    @property
    def amount(self) -> Decimal:
        """The accrued interest rounded to the centavo, half up (C-1)."""
        return round_money(self.exact)

    @property
    def days(self) -> int:
        return sum(segment.days for segment in self.segments)


def _steps(history: History, start: date) -> list[Step]:
    if isinstance(history, Decimal):
        return [Step(start, history)]
    steps = sorted(history, key=lambda step: step.start)
    if not steps or steps[0].start > start:
        raise ValueError(f"la historia no cubre el {start:%d/%m/%Y}")
    return steps


def _value_on(steps: list[Step], starts: list[date], day: date) -> Decimal:
    return steps[bisect_right(starts, day) - 1].value


def interest_accrue(*, balances: History, rates: History, start: date, end: date) -> Accrual:
    """Simple interest on the days [start, end): Σ balance × rate × days / 360, segment by segment.

    `balances` and `rates` are step histories (or one constant `Decimal`) that must cover `start`.
    Rates are annual decimals.
    """
    if end < start:
        raise ValueError("el periodo termina antes de empezar")
    balance_steps = _steps(balances, start)
    rate_steps = _steps(rates, start)
    cuts = sorted(
        {start, end}
        | {step.start for step in balance_steps if start < step.start < end}
        | {step.start for step in rate_steps if start < step.start < end}
    )
    balance_starts = [step.start for step in balance_steps]
    rate_starts = [step.start for step in rate_steps]
    segments: list[AccrualSegment] = []
    with finance_context():
        for seg_start, seg_end in pairwise(cuts):
            balance = _value_on(balance_steps, balance_starts, seg_start)
            rate = _value_on(rate_steps, rate_starts, seg_start)
            days = (seg_end - seg_start).days
            amount = balance * simple_rate(rate, days)
            segments.append(AccrualSegment(seg_start, seg_end, days, balance, rate, amount))
    return Accrual(tuple(segments))


def moratorium_accrue(
    *, overdue_principal: History, ordinary_rates: History, due: date, until: date, factor: Decimal
) -> Accrual:
    """Moratorium interest (Rules 9.2.5): unpaid principal × (`factor` × ordinary rate) × days / 360.

    It runs "a partir del día siguiente a la fecha de incumplimiento, hasta cubrir su capital vencido":
    the days d with `due` < d ≤ `until`, so a payment one day late owes one day. `due` is the date the
    amortization had to be paid — its payable date (C-3: a nominal due date on a holiday is payable the next
    business day without penalty). `until` is the payment date (or the date of the calculation). The
    ordinary rate is the one in force each day (`Schedule.rate_steps()`); `factor` is the rule set's
    `rates.moratorium_factor`. Only overdue principal bears moratorium interest — the Rules charge it on
    "las amortizaciones de capital".
    """
    if until <= due:
        return Accrual(())
    if isinstance(ordinary_rates, Decimal):
        penalty_rates: History = ordinary_rates * factor
    else:
        penalty_rates = [Step(step.start, step.value * factor) for step in ordinary_rates]
    one_day = timedelta(days=1)
    return interest_accrue(
        balances=overdue_principal, rates=penalty_rates, start=due + one_day, end=until + one_day
    )
