"""Amortization schedules: known answers worked by hand, dates (C-3), each kind of rate, rebuilding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest

from filon.core.errors import InputErrors
from filon.core.money import finance_context
from filon.core.rates import TERM_SOFR, TIIE28, TIIE_FONDEO, MissingRate, RateSeries, compounded_in_arrears
from filon.core.schedule import (
    CompoundedInArrearsRate,
    EqualPrincipal,
    FixedRate,
    GrowingPrincipal,
    MonthlyRevisedRate,
    PeriodRevisedRate,
    ScheduleTerms,
    principal_plan,
    schedule_build,
    schedule_rebuild,
)
from filon.core.tmic import tmic_factor

pytestmark = pytest.mark.pure

D = Decimal


def close(a: Decimal, b: Decimal) -> bool:
    """Equal but for the last of FINANCE_CONTEXT's 40 digits (the order of operations may move it)."""
    return abs(a - b) < D("1e-30")


def terms(**changes) -> ScheduleTerms:
    base = {
        "principal": D("1000000.00"),
        "disbursement_date": date(2026, 1, 15),
        "term_months": 12,
        "grace_months": 0,
        "payment_every_months": 1,
        "amortization": EqualPrincipal(),
        "rate": FixedRate(D("0.12")),
    }
    return ScheduleTerms(**{**base, **changes})


def test_quarterly_schedule_worked_by_hand():
    """300,000.00 at a fixed 12 % from 2026-01-31, six months, paid quarterly, equal principal.

    Period 1: Jan 31 → Feb 28 → Mar 31 → Apr 30 (C-3 clamping), sub-periods of 28, 31 and 30 days.
      factor = (1 + .12·28/360)(1 + .12·31/360)(1 + .12·30/360)
             = 1.0093333… × 1.0103333… × 1.01
             = 1.0197631111… × 1.01 = 1.0299607422…
      interest = 300,000 × 0.0299607422… = 8,988.2227 → 8,988.22; principal 300,000 / 2 = 150,000.00
    Period 2: Apr 30 → May 31 → Jun 30 → Jul 31 (the anchor day 31 comes back), 31, 30, 31 days.
      factor = 1.0103333…² × 1.01 = 1.0207734444… × 1.01 = 1.0309811789…
      interest = 150,000 × 0.0309811789… = 4,647.1768 → 4,647.18; principal 150,000.00
    Totals: interest 13,635.40; payments 158,988.22 + 154,647.18 = 313,635.40.
    """
    schedule = schedule_build(
        terms(
            principal=D("300000.00"),
            disbursement_date=date(2026, 1, 31),
            term_months=6,
            payment_every_months=3,
        )
    )
    first, second = schedule.installments
    assert (first.start, first.due, first.days) == (date(2026, 1, 31), date(2026, 4, 30), 89)
    assert [(p.start, p.end) for p in first.period_rate.pieces] == [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2026, 2, 28), date(2026, 3, 31)),
        (date(2026, 3, 31), date(2026, 4, 30)),
    ]
    assert first.rate.quantize(D("0.0000000001")) == D("0.0299607422")
    assert (first.interest, first.principal, first.payment, first.balance) == (
        D("8988.22"),
        D("150000.00"),
        D("158988.22"),
        D("150000.00"),
    )
    assert (second.start, second.due, second.days) == (date(2026, 4, 30), date(2026, 7, 31), 92)
    assert second.rate.quantize(D("0.0000000001")) == D("0.0309811789")
    assert (second.interest, second.principal, second.balance) == (D("4647.18"), D("150000.00"), D("0.00"))
    totals = schedule.totals
    assert (totals.interest, totals.principal, totals.payment) == (
        D("13635.40"),
        D("300000.00"),
        D("313635.40"),
    )


@pytest.mark.parametrize(
    ("disbursed", "expected"),
    [
        (date(2026, 1, 31), [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]),
        (date(2024, 1, 31), [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31)]),
        (date(2026, 1, 30), [date(2026, 2, 28), date(2026, 3, 30), date(2026, 4, 30), date(2026, 5, 30)]),
    ],
)
def test_due_dates_keep_the_disbursement_day_clamped_to_month_end(disbursed, expected):
    schedule = schedule_build(terms(disbursement_date=disbursed, term_months=4))
    assert [i.due for i in schedule.installments] == expected
    assert [i.start for i in schedule.installments] == [disbursed, *expected[:-1]]


def test_a_due_date_on_a_holiday_is_payable_next_business_day_with_interest_to_the_nominal_date():
    schedule = schedule_build(terms(disbursement_date=date(2026, 2, 15), term_months=2))
    march = schedule.installments[0]
    # Sunday 15 March 2026; Monday 16 is a bank holiday (Benito Juárez) → payable Tuesday 17.
    assert (march.due, march.payable, march.days) == (date(2026, 3, 15), date(2026, 3, 17), 28)
    assert march.interest == D("9333.33")  # 1,000,000 × .12 × 28/360: to the nominal date


def test_spec_example_grace_then_equal_principal():
    schedule = schedule_build(
        terms(
            term_months=24,
            grace_months=6,
            rate=MonthlyRevisedRate(RateSeries(TIIE28, [(date(2026, 1, 14), D("0.0725"))]), D("0.035")),
        )
    )
    installments = schedule.installments
    assert len(installments) == 24
    assert all(i.principal == 0 and i.balance == D("1000000.00") for i in installments[:6])
    # 1,000,000 / 18 = 55,555.555… → 55,555.56; the last absorbs the remainder: 1,000,000 − 17 × 55,555.56
    assert {i.principal for i in installments[6:-1]} == {D("55555.56")}
    assert installments[-1].principal == D("55555.48")
    # First month: (7.25 % + 3.5 %) × 31/360 on 1,000,000 = 9,256.944… → 9,256.94
    assert installments[0].interest == D("9256.94")
    assert not installments[0].projected
    assert all(i.projected for i in installments[1:])


def test_growing_principal_grows_by_the_agreed_percentage():
    schedule = schedule_build(terms(amortization=GrowingPrincipal(D("0.05")), term_months=12))
    principal = [i.principal for i in schedule.installments]
    assert sum(principal) == D("1000000.00")
    # a1 = P·g / ((1+g)^n − 1) = 1,000,000 × 0.05 / 0.795856… = 62,825.41
    assert principal[0] == D("62825.41")
    for previous, current in pairwise(principal[:-1]):
        assert abs(current - previous * D("1.05")) <= D("0.01")


def test_the_plan_never_pays_more_than_is_owed():
    plan = principal_plan(terms(principal=D("0.05"), term_months=10))
    assert sum(plan) == D("0.05")
    assert min(plan) >= 0


def test_monthly_subperiods_each_take_their_own_rate_tmic():
    series = RateSeries(
        TIIE28,
        [
            (date(2026, 1, 14), D("0.0700")),
            (date(2026, 2, 13), D("0.0710")),
            (date(2026, 3, 13), D("0.0720")),
        ],
    )
    schedule = schedule_build(
        terms(term_months=3, payment_every_months=3, rate=MonthlyRevisedRate(series, D("0.03")))
    )
    (quarter,) = schedule.installments
    with finance_context():
        expected = tmic_factor([(D("0.1000"), 31), (D("0.1010"), 28), (D("0.1020"), 31)]) - 1
    assert quarter.rate == expected
    assert quarter.interest == (D("1000000.00") * expected).quantize(D("0.01"))


def test_tiie_de_fondeo_is_compounded_in_arrears_plus_the_spread():
    observations = [(date(2025, 12, 31), D("0.0700")), (date(2026, 1, 20), D("0.0690"))]
    series = RateSeries(TIIE_FONDEO, observations)
    schedule = schedule_build(terms(term_months=1, rate=CompoundedInArrearsRate(series, D("0.03"))))
    (month,) = schedule.installments
    with finance_context():
        expected = (
            compounded_in_arrears(series, date(2026, 1, 15), date(2026, 2, 15)) - 1 + D("0.03") * 31 / 360
        )
    assert close(month.rate, expected)
    assert month.projected  # the last value was published on the 20th; the 22nd onward is projected


def test_usd_term_rate_is_set_at_the_period_start_and_simple():
    series = RateSeries(TERM_SOFR[3], [(date(2026, 1, 14), D("0.0430")), (date(2026, 2, 20), D("0.0500"))])
    schedule = schedule_build(
        terms(
            currency="USD",
            term_months=6,
            payment_every_months=3,
            rate=PeriodRevisedRate(series, D("0.04")),
        )
    )
    first, second = schedule.installments
    assert first.rate == D("0.0830") * 90 / 360  # 4.30 % + 4 % for Jan 15 → Apr 15, simple
    assert second.rate == D("0.0900") * 91 / 360  # revised at the next period's start


def test_bad_terms_name_their_fields():
    with pytest.raises(InputErrors) as caught:
        schedule_build(terms(principal=D("0"), term_months=10, payment_every_months=3, grace_months=12))
    fields = {e.field: e for e in caught.value.errors}
    assert set(fields) == {"principal", "term_months", "grace_months"}
    assert fields["term_months"].rule == "9.2.6"
    assert "múltiplo de la periodicidad" in fields["term_months"].message
    with pytest.raises(InputErrors, match="payment_every_months"):
        schedule_build(terms(payment_every_months=13))
    with pytest.raises(InputErrors, match="fracciones de centavo"):
        schedule_build(terms(principal=D("100.005")))


def test_a_date_before_the_series_is_a_missing_rate():
    series = RateSeries(TIIE28, [(date(2026, 2, 2), D("0.07"))])
    with pytest.raises(MissingRate, match="TIIE28 anterior al 15/01/2026"):
        schedule_build(terms(rate=MonthlyRevisedRate(series, D("0.03"))))


def test_rebuild_reprices_projected_periods_with_published_values():
    projected = RateSeries(TIIE28, [(date(2026, 1, 14), D("0.0700"))])
    published = RateSeries(
        TIIE28,
        [(date(2026, 1, 14), D("0.0700")), (date(2026, 3, 13), D("0.0800")), (date(2026, 6, 1), D("0.08"))],
    )
    schedule = schedule_build(terms(rate=MonthlyRevisedRate(projected, D("0.03"))))
    repriced = schedule_rebuild(schedule, on=date(2026, 3, 15), rate=MonthlyRevisedRate(published, D("0.03")))
    assert repriced.installments[:2] == schedule.installments[:2]
    third = repriced.installments[2]
    assert third.period_rate.pieces[0].rate == D("0.1100")
    assert not third.projected
    assert third.interest > schedule.installments[2].interest
    assert [i.principal for i in repriced.installments] == [i.principal for i in schedule.installments]


def test_rate_steps_give_the_ordinary_rate_of_each_day():
    series = RateSeries(TIIE28, [(date(2026, 1, 14), D("0.07")), (date(2026, 2, 13), D("0.08"))])
    schedule = schedule_build(terms(term_months=2, rate=MonthlyRevisedRate(series, D("0.03"))))
    steps = schedule.rate_steps()
    assert [(s.start, s.value) for s in steps] == [
        (date(2026, 1, 15), D("0.10")),
        (date(2026, 2, 15), D("0.11")),
    ]
