"""Moratorium accrued close by close adds up to one accrual over the span (R-9.2.5, I-8), also when the base
rate changes from month to month during the delay; the rate is only read when some principal is late."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filon.core.accrual import DelayRate, moratorium_accrue, moratorium_exact
from filon.core.calendar import add_months
from filon.core.money import round_money
from filon.core.rates import TIIE28, RateSeries
from filon.servicing.accrual import InstallmentState, accrual_deltas, moratorium_delta

pytestmark = pytest.mark.pure

D = Decimal
ZERO = D(0)
FACTOR = D("1.5")
FIRST_MONTH = date(2025, 12, 1)


def late_row(principal: Decimal, payable: date) -> InstallmentState:
    return InstallmentState(
        id=1,
        start=payable - timedelta(days=31),
        due=payable,
        payable=payable,
        rate=D("0.01"),
        interest=D("1000.00"),
        interest_accrued=D("1000.00"),
        principal_unpaid=principal,
        moratorium_accrued=ZERO,
    )


@st.composite
def delays(draw):
    """A late installment, a base that changes every month of the delay (or a fixed rate), and the dates
    of the closes that accrue it (business days and catch-ups: any increasing dates)."""
    months = draw(st.integers(min_value=1, max_value=14))
    bases = draw(
        st.lists(
            st.decimals(min_value=D("0.01"), max_value=D("0.15"), places=4), min_size=months, max_size=months
        )
    )
    # each month's base published on some day of the month before (C-5)
    observations = [
        (add_months(FIRST_MONTH, k) - timedelta(days=draw(st.integers(1, 20))), base)
        for k, base in enumerate(bases)
    ]
    series = RateSeries(TIIE28, observations)
    if draw(st.booleans()):
        rate = DelayRate(
            series=series, spread=draw(st.decimals(min_value=ZERO, max_value=D("0.06"), places=4))
        )
    else:
        rate = DelayRate(fixed=draw(st.decimals(min_value=D("0.05"), max_value=D("0.25"), places=4)))
    principal = draw(st.decimals(min_value=D("0.01"), max_value=D("50000000"), places=2))
    payable = FIRST_MONTH + timedelta(days=draw(st.integers(0, 60)))
    gaps = draw(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=120))
    closes = [payable - timedelta(days=draw(st.integers(0, 3)))]
    for gap in gaps:
        closes.append(closes[-1] + timedelta(days=gap))
    return principal, payable, rate, closes


@settings(max_examples=150, deadline=None)
@given(delays())
def test_daily_closes_add_up_to_one_accrual_over_the_span(case):
    """Σ of the close-by-close deltas = the whole delay rounded once = the history form (R-9.2.5, I-8)."""
    principal, payable, rate, closes = case
    row = late_row(principal, payable)
    daily = sum((moratorium_delta(row, a, b, FACTOR, rate) for a, b in pairwise(closes)), ZERO)
    span = moratorium_delta(row, closes[0], closes[-1], FACTOR, rate)
    exact = moratorium_exact(principal=principal, rate=rate, due=payable, until=closes[-1], factor=FACTOR)
    whole = moratorium_accrue(
        overdue_principal=principal, rate=rate, due=payable, until=closes[-1], factor=FACTOR
    )
    assert daily == span == round_money(exact) == whole.amount


@settings(max_examples=100, deadline=None)
@given(delays())
def test_each_day_takes_the_rate_of_its_own_month(case):
    """Day by day from first principles: Σ principal × 1.5 × (base of the day's month + spread) / 360."""
    principal, payable, rate, closes = case
    total, day = ZERO, payable + timedelta(days=1)
    while day <= closes[-1]:
        total += principal * FACTOR * rate.on(day) / 360
        day += timedelta(days=1)
    exact = moratorium_exact(principal=principal, rate=rate, due=payable, until=closes[-1], factor=FACTOR)
    assert round_money(exact) == round_money(total)


def test_the_rate_is_read_only_when_some_principal_is_late():
    """A loan with nothing late does not need its base series (no read, no MissingRate)."""

    def unreadable() -> DelayRate:
        raise AssertionError("la tasa no debía leerse")

    current = late_row(D("1000.00"), date(2026, 3, 2))
    deltas = accrual_deltas(
        [current],
        accrued_through=date(2026, 2, 20),
        through=date(2026, 3, 2),
        moratorium_factor=FACTOR,
        delay_rate=unreadable,
    )
    assert [d.moratorium for d in deltas] == []
    paid = late_row(ZERO, date(2026, 2, 2))
    assert (
        accrual_deltas(
            [paid],
            accrued_through=date(2026, 2, 20),
            through=date(2026, 3, 2),
            moratorium_factor=FACTOR,
            delay_rate=unreadable,
        )
        == []
    )


def test_a_delay_month_without_a_published_base_is_a_clear_error():
    """C-5: no TIIE 28 before 1 February → a Spanish error on `base_series` citing C-5, not a zero."""
    from filon.errors import DomainError

    series = RateSeries(TIIE28, [(date(2026, 2, 3), D("0.07"))])
    with pytest.raises(DomainError, match="TIIE28") as refused:
        accrual_deltas(
            [late_row(D("1000.00"), date(2026, 2, 2))],
            accrued_through=date(2026, 2, 2),
            through=date(2026, 2, 5),
            moratorium_factor=FACTOR,
            delay_rate=lambda: DelayRate(series=series, spread=D("0.035")),
        )
    assert (refused.value.field, refused.value.rule) == ("base_series", "C-5")
