"""Interest accrued over any date range on a balance history, and moratorium interest (Rules 9.2.5).

Histories are step functions: a `Step` holds a value in force from its `start` (inclusive) until the next
step's start. Interest is simple, Actual/360 (C-2): Σ balance(d) × rate(d) / 360 over the calendar days d
of the range, summed exactly and rounded once, half up, to the centavo (C-1).

A schedule's own interest is computed by `filon.core.schedule` (TMIC, C-9); this module answers the
servicing questions in between: how much has accrued up to today (devengo), and how much moratorium
interest an overdue amortization owes.

Moratorium (R-9.2.5 as read by I-8): unpaid principal × factor × the ordinary annual rate *in force on each
day of the delay* × days / 360. The rate of a day is `DelayRate.on(day)`: a fixed-rate credit's fixed
rate; a floating credit's base published for that day's calendar month by C-5 (the latest observation
dated strictly before the month's first day) plus its spread. So a long delay follows the base month by
month; the overdue installment's own (compounded) period rate plays no part. `moratorium_exact` is the one
formula every caller uses (daily close, payments, payoff quote — through `moratorium_increment`);
`moratorium_accrue` is the same over a principal that changes during the delay.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from filon.core.calendar import add_months
from filon.core.daycount import DAY_COUNT_BASIS, simple_rate
from filon.core.money import ZERO, finance_context, round_money
from filon.core.rates import RateSeries


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


class DelayRate:
    """The ordinary annual rate in force on each day of a delay (R-9.2.5, I-8), for moratorium interest.

    Either `fixed` (a fixed-rate credit's rate) or a base `series` + `spread`: the rate of day d is the
    base published for d's calendar month by C-5 — `series.value_before(first day of d's month)` — plus
    the spread. Every series the credit may float on is read this way (TIIE 28, TIIE de Fondeo, the USD
    base of the credit's tenor): one monthly value, simple, not compounded. A month without a published
    observation before it raises `MissingRate` (C-5: never a silent zero); a month not published yet
    takes the last value, as every C-5 look-up does.

    Look-ups are cached on the instance: one per calendar month, and one sum per (after, through) span,
    so a daily close of many loans on the same terms reads each month once.
    """

    __slots__ = ("_fixed", "_months", "_series", "_spread", "_sums")

    def __init__(
        self, *, fixed: Decimal | None = None, series: RateSeries | None = None, spread: Decimal = ZERO
    ) -> None:
        if (fixed is None) == (series is None):
            raise ValueError("la tasa de la mora es una tasa fija o bien una serie base más sobretasa (I-8)")
        self._fixed = fixed
        self._series = series
        self._spread = spread
        self._months: dict[date, Decimal] = {}
        self._sums: dict[tuple[date, date], Decimal] = {}

    def __repr__(self) -> str:
        if self._fixed is not None:
            return f"DelayRate(fija {self._fixed})"
        assert self._series is not None
        return f"DelayRate({self._series.code} + {self._spread})"

    def month_rate(self, month: date) -> Decimal:
        """The annual ordinary rate of the calendar month that starts on `month` (its first day)."""
        if self._fixed is not None:
            return self._fixed
        rate = self._months.get(month)
        if rate is None:
            assert self._series is not None
            rate = self._months[month] = self._series.value_before(month) + self._spread
        return rate

    def on(self, day: date) -> Decimal:
        """The annual ordinary rate in force on `day`."""
        return self.month_rate(day.replace(day=1))

    def steps(self, start: date, end: date) -> list[Step]:
        """The rate over the days [start, end) as a step history: one step per calendar month."""
        if end <= start:
            return []
        if self._fixed is not None:
            return [Step(start, self._fixed)]
        steps = [Step(start, self.on(start))]
        month = add_months(start.replace(day=1), 1)
        while month < end:
            steps.append(Step(month, self.month_rate(month)))
            month = add_months(month, 1)
        return steps

    def day_sum(self, after: date, through: date) -> Decimal:
        """Σ rate(d) over the days after < d ≤ through (exact; zero for an empty span)."""
        if through <= after:
            return ZERO
        key = (after, through)
        total = self._sums.get(key)
        if total is None:
            one_day = timedelta(days=1)
            end = through + one_day
            steps = self.steps(after + one_day, end)
            total = ZERO
            with finance_context():
                for step, next_start in zip(steps, [*(s.start for s in steps[1:]), end], strict=True):
                    total += step.value * (next_start - step.start).days
            self._sums[key] = total
        return total


def moratorium_exact(
    *, principal: Decimal, rate: DelayRate, due: date, until: date, factor: Decimal
) -> Decimal:
    """Moratorium interest (Rules 9.2.5, I-8), unrounded, on a `principal` unpaid all through the delay:
    principal × factor × Σ rate(d) / 360 over the days d with `due` < d ≤ `until`.

    It runs "a partir del día siguiente a la fecha de incumplimiento, hasta cubrir su capital vencido": a
    payment one day late owes one day. `due` is the date the amortization had to be paid — its payable
    date (C-3: a nominal due date on a holiday is payable the next business day without penalty). `until`
    is the payment date (or the date of the calculation). `factor` is the rule set's
    `rates.moratorium_factor`. Only overdue principal bears moratorium interest — the Rules charge it on
    "las amortizaciones de capital".
    """
    if until <= due or not principal:
        return ZERO
    with finance_context():
        return principal * factor * rate.day_sum(due, until) / DAY_COUNT_BASIS


def moratorium_increment(
    *, principal: Decimal, rate: DelayRate, due: date, accrued_until: date, until: date, factor: Decimal
) -> Decimal:
    """The moratorium of the days d with max(`accrued_until`, `due`) < d ≤ `until`, in centavos: the whole
    delay through `until` rounded once (C-1) less the whole delay through `accrued_until` rounded once
    (both `moratorium_exact`). So increments accrued close after close add up to one accrual over the span,
    to the centavo, instead of gaining half a centavo at each close."""
    first = max(accrued_until, due)
    if until <= first or principal <= 0:
        return ZERO
    with finance_context():
        weight = principal * factor
        whole = weight * rate.day_sum(due, until) / DAY_COUNT_BASIS
        before = weight * rate.day_sum(due, first) / DAY_COUNT_BASIS if first > due else ZERO
    return round_money(whole) - round_money(before)


def moratorium_accrue(
    *, overdue_principal: History, rate: DelayRate, due: date, until: date, factor: Decimal
) -> Accrual:
    """`moratorium_exact` over an unpaid principal that changes during the delay (a step history), segment
    by segment: each segment is a span of constant principal and constant monthly rate (I-8)."""
    if until <= due:
        return Accrual(())
    one_day = timedelta(days=1)
    start, end = due + one_day, until + one_day
    penalty = [Step(step.start, step.value * factor) for step in rate.steps(start, end)]
    return interest_accrue(balances=overdue_principal, rates=penalty, start=start, end=end)
