"""Moratorium interest at the ordinary rate in force on each day of the delay (R-9.2.5 as read by I-8).

Every case: unpaid principal 100,000.00, moratorium factor 1.5 (rule-set data), spread 3.5 % unless
stated. The TIIE 28 observations (C-5: a month takes the latest observation dated strictly before its
first day):
- 7.25 %, dated 31/12/2025: the base published for January 2026 → ordinary 10.75 %, moratorium 16.125 %;
- 7.00 %, dated 30/01/2026: the base published for February → ordinary 10.50 %, moratorium 15.75 %;
- 7.10 %, dated 27/02/2026: the base published for March → ordinary 10.60 %, moratorium 15.90 %.
The expected amounts are worked by hand in each row's comment: Σ over months of 100,000 × 1.5 × rate ×
days / 360, rounded once, half up, to the centavo (C-1).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest

from filon.core.accrual import DelayRate, Step, moratorium_accrue, moratorium_exact, moratorium_increment
from filon.core.money import round_money
from filon.core.rates import TERM_SOFR, TIIE28, TIIE_FONDEO, MissingRate, RateSeries

pytestmark = pytest.mark.pure

D = Decimal
PRINCIPAL = D("100000.00")
SPREAD = D("0.035")

TIIE = RateSeries(
    TIIE28,
    [
        (date(2025, 12, 31), D("0.0725")),  # for January
        (date(2026, 1, 30), D("0.0700")),  # for February
        (date(2026, 2, 27), D("0.0710")),  # for March
    ],
)
FONDEO = RateSeries(
    TIIE_FONDEO,
    [(date(2026, 1, 29), D("0.0710")), (date(2026, 1, 30), D("0.0702")), (date(2026, 2, 10), D("0.0650"))],
)
SOFR_3M = RateSeries(TERM_SOFR[3], [(date(2026, 1, 30), D("0.0430"))])

CASES = [
    pytest.param(
        DelayRate(series=TIIE, spread=SPREAD),
        date(2026, 1, 31),
        date(2026, 2, 28),
        # 1–28 Feb, 28 days at 1.5 × (7.00 % + 3.5 %) = 15.75 %: 100,000 × 0.1575 × 28 / 360 = 1,225.00
        D("1225.00"),
        id="overdue-31-jan-whole-february",
    ),
    pytest.param(
        DelayRate(series=TIIE, spread=SPREAD),
        date(2026, 1, 15),
        date(2026, 2, 15),
        # 16–31 Jan, 16 days at 1.5 × 10.75 % = 16.125 %: 100,000 × 0.16125 × 16 / 360 = 716.666…
        # 1–15 Feb, 15 days at 15.75 %: 100,000 × 0.1575 × 15 / 360 = 656.25
        # 716.666… + 656.25 = 1,372.9166… → 1,372.92
        D("1372.92"),
        id="january-into-february",
    ),
    pytest.param(
        DelayRate(series=TIIE, spread=SPREAD),
        date(2026, 1, 31),
        date(2026, 3, 31),
        # February 1,225.00 (above); 1–31 Mar, 31 days at 1.5 × 10.60 % = 15.90 %:
        # 100,000 × 0.159 × 31 / 360 = 1,369.1666…; total 2,594.1666… → 2,594.17
        D("2594.17"),
        id="february-and-march",
    ),
    pytest.param(
        DelayRate(series=TIIE, spread=SPREAD),
        date(2026, 1, 15),
        date(2026, 3, 31),
        # three months: January 716.666… + February 1,225.00 + March 1,369.1666… = 3,310.8333… → 3,310.83
        D("3310.83"),
        id="three-months",
    ),
    pytest.param(
        DelayRate(fixed=D("0.12")),
        date(2026, 1, 31),
        date(2026, 3, 31),
        # a fixed-rate credit keeps its rate whatever the base does: 59 days (1 Feb – 31 Mar) at
        # 1.5 × 12 % = 18 %: 100,000 × 0.18 × 59 / 360 = 2,950.00
        D("2950.00"),
        id="fixed-rate",
    ),
    pytest.param(
        DelayRate(series=FONDEO, spread=D("0.01")),
        date(2026, 2, 5),
        date(2026, 2, 15),
        # TIIE de Fondeo read the same way: February takes the value of 30/01 (7.02 %), also after the
        # 6.50 % of 10/02: 10 days at 1.5 × 8.02 % = 12.03 %: 100,000 × 0.1203 × 10 / 360 = 334.1666… → 334.17
        D("334.17"),
        id="tiie-de-fondeo-monthly",
    ),
    pytest.param(
        DelayRate(series=SOFR_3M, spread=D("0.02")),
        date(2026, 2, 10),
        date(2026, 2, 20),
        # USD: the credit's configured base (Term SOFR 3M, I-3) by C-5: 4.30 % + 2 % = 6.30 %, × 1.5 =
        # 9.45 %: 100,000 × 0.0945 × 10 / 360 = 262.50
        D("262.50"),
        id="usd-term-sofr",
    ),
    pytest.param(
        DelayRate(series=TIIE, spread=SPREAD),
        date(2026, 1, 31),
        date(2026, 1, 31),
        # paid on its payable date: no day of delay
        D("0.00"),
        id="paid-on-time",
    ),
    pytest.param(
        DelayRate(series=TIIE, spread=SPREAD),
        date(2026, 1, 31),
        date(2026, 2, 1),
        # one day late owes one day: 100,000 × 0.1575 / 360 = 43.75
        D("43.75"),
        id="one-day",
    ),
]


@pytest.mark.parametrize(("rate", "due", "until", "expected"), CASES)
def test_moratorium_follows_the_base_of_each_month_of_the_delay(ruleset, rate, due, until, expected):
    """R-9.2.5 / I-8, table above: one formula, and the history form agrees with it."""
    factor = ruleset.rates.moratorium_factor
    assert factor == D("1.5")
    exact = moratorium_exact(principal=PRINCIPAL, rate=rate, due=due, until=until, factor=factor)
    assert round_money(exact) == expected
    accrual = moratorium_accrue(overdue_principal=PRINCIPAL, rate=rate, due=due, until=until, factor=factor)
    assert accrual.amount == expected
    assert accrual.days == max((until - due).days, 0)


def test_the_rate_of_each_day_is_the_base_published_for_its_month_plus_spread():
    """I-8 with C-5: a month's base is the latest observation dated strictly before its first day."""
    rate = DelayRate(series=TIIE, spread=SPREAD)
    assert rate.on(date(2026, 1, 31)) == D("0.1075")
    assert rate.on(date(2026, 2, 1)) == D("0.1050")  # the value of 30/01, not the one of 31/12
    assert rate.on(date(2026, 2, 27)) == D("0.1050")  # published that day: it serves March
    assert rate.on(date(2026, 3, 1)) == D("0.1060")
    assert rate.on(date(2026, 6, 15)) == D("0.1060")  # not published yet: the last value (C-5)
    assert [(s.start, s.value) for s in rate.steps(date(2026, 1, 16), date(2026, 4, 1))] == [
        (date(2026, 1, 16), D("0.1075")),
        (date(2026, 2, 1), D("0.1050")),
        (date(2026, 3, 1), D("0.1060")),
    ]
    fixed = DelayRate(fixed=D("0.12"))
    assert fixed.steps(date(2026, 1, 16), date(2026, 4, 1)) == [Step(date(2026, 1, 16), D("0.12"))]


def test_a_month_without_a_published_base_is_an_error_not_a_zero():
    """C-5: no observation before 1 January → `MissingRate`, never a silent zero."""
    late_series = RateSeries(TIIE28, [(date(2026, 1, 5), D("0.0725"))])
    rate = DelayRate(series=late_series, spread=SPREAD)
    with pytest.raises(MissingRate, match="TIIE28"):
        moratorium_exact(
            principal=PRINCIPAL, rate=rate, due=date(2026, 1, 15), until=date(2026, 1, 20), factor=D("1.5")
        )


def test_a_delay_rate_is_fixed_or_floating_never_both():
    with pytest.raises(ValueError, match="fija"):
        DelayRate(fixed=D("0.12"), series=TIIE)
    with pytest.raises(ValueError, match="fija"):
        DelayRate()


def test_increments_close_by_close_add_up_to_the_whole_delay():
    """R-9.2.5 / I-8: accrued at three closes (15/02, 28/02, 31/03) the "february-and-march" case still
    comes to 2,594.17: each increment is the whole delay through its close rounded once, less the same
    through the previous close (1,225.00 through 28/02; 15 Feb alone: 100,000 × 0.1575 × 15 / 360 = 656.25)."""
    rate = DelayRate(series=TIIE, spread=SPREAD)
    closes = [date(2026, 1, 30), date(2026, 2, 15), date(2026, 2, 28), date(2026, 3, 31)]
    steps = [
        moratorium_increment(
            principal=PRINCIPAL, rate=rate, due=date(2026, 1, 31), accrued_until=a, until=b, factor=D("1.5")
        )
        for a, b in pairwise(closes)
    ]
    assert steps == [D("656.25"), D("568.75"), D("1369.17")]
    assert sum(steps) == D("2594.17")
