"""Accrual on balance histories, moratorium interest (9.2.5), payment allocation, prepayments (9.2.6), CAT."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from filon.core.accrual import DelayRate, Step, interest_accrue, moratorium_accrue
from filon.core.allocation import ALLOCATION_ORDER, Concept, Owed, allocate_payment
from filon.core.cat import CashFlow, cat_percent, schedule_cat
from filon.core.errors import InputErrors
from filon.core.prepayment import prepayment_apply, prepayment_notice_deadline
from filon.core.rates import TIIE28, RateSeries
from filon.core.schedule import EqualPrincipal, FixedRate, MonthlyRevisedRate, ScheduleTerms, schedule_build

pytestmark = pytest.mark.pure

D = Decimal


def monthly_schedule(principal="120000.00", rate=None, months=12):
    return schedule_build(
        ScheduleTerms(
            principal=D(principal),
            disbursement_date=date(2026, 1, 15),
            term_months=months,
            grace_months=0,
            payment_every_months=1,
            amortization=EqualPrincipal(),
            rate=rate or FixedRate(D("0.12")),
        )
    )


# --- accrual ---------------------------------------------------------------------------------------


def test_accrual_is_simple_actual_360_rounded_once():
    accrual = interest_accrue(
        balances=D("1000000.00"), rates=D("0.12"), start=date(2026, 1, 1), end=date(2026, 1, 31)
    )
    assert (accrual.days, accrual.amount) == (30, D("10000.00"))


def test_accrual_follows_balance_and_rate_changes():
    accrual = interest_accrue(
        balances=[Step(date(2026, 1, 1), D("100000.00")), Step(date(2026, 1, 11), D("40000.00"))],
        rates=[Step(date(2025, 12, 1), D("0.10")), Step(date(2026, 1, 21), D("0.19"))],
        start=date(2026, 1, 1),
        end=date(2026, 1, 31),
    )
    # 100,000 × .10 × 10/360 = 277.777…; 40,000 × .10 × 10/360 = 111.111…; 40,000 × .19 × 10/360 = 211.111…
    assert [(s.start, s.days) for s in accrual.segments] == [
        (date(2026, 1, 1), 10),
        (date(2026, 1, 11), 10),
        (date(2026, 1, 21), 10),
    ]
    assert accrual.amount == D("600.00")


def test_a_history_must_cover_the_start():
    with pytest.raises(ValueError, match="no cubre"):
        interest_accrue(
            balances=[Step(date(2026, 2, 1), D("1"))],
            rates=D("0.1"),
            start=date(2026, 1, 1),
            end=date(2026, 3, 1),
        )


def test_moratorium_runs_from_the_day_after_due_at_the_factor_times_the_ordinary_rate(ruleset):
    factor = ruleset.rates.moratorium_factor
    # 100,000 overdue since 2 March, paid 12 March: 10 days × 100,000 × (1.5 × 12 %) / 360 = 500.00
    late = moratorium_accrue(
        overdue_principal=D("100000.00"),
        rate=DelayRate(fixed=D("0.12")),
        due=date(2026, 3, 2),
        until=date(2026, 3, 12),
        factor=factor,
    )
    assert (late.days, late.amount) == (10, D("500.00"))
    assert late.segments[0].start == date(2026, 3, 3)
    one_day = moratorium_accrue(
        overdue_principal=D("100000.00"),
        rate=DelayRate(fixed=D("0.12")),
        due=date(2026, 3, 2),
        until=date(2026, 3, 3),
        factor=factor,
    )
    assert (one_day.days, one_day.amount) == (1, D("50.00"))
    on_time = moratorium_accrue(
        overdue_principal=D("100000.00"),
        rate=DelayRate(fixed=D("0.12")),
        due=date(2026, 3, 2),
        until=date(2026, 3, 2),
        factor=factor,
    )
    assert (on_time.days, on_time.amount) == (0, D("0.00"))


def test_moratorium_uses_the_ordinary_rate_in_force_each_day_not_the_period_rate(ruleset):
    """R-9.2.5 / I-8: the days of the delay take the base published for their own month (C-5), not the
    overdue period's rate. The period from 15 Feb is priced at 9 % + 3 % (the base published 13 Feb), but
    the February days of the delay take the base published before 1 February (7 %, of 14 Jan): 40,000 ×
    (1.5 × 10 %) × 10/360 = 166.67 (the frozen period rate gave 200.00)."""
    series = RateSeries(TIIE28, [(date(2026, 1, 14), D("0.07")), (date(2026, 2, 13), D("0.09"))])
    schedule = monthly_schedule(rate=MonthlyRevisedRate(series, D("0.03")), months=3)
    first = schedule.installments[0]  # due 15 Feb, payable Monday 16 Feb
    late = moratorium_accrue(
        overdue_principal=first.principal,
        rate=DelayRate(series=series, spread=D("0.03")),
        due=first.payable,
        until=date(2026, 2, 26),
        factor=ruleset.rates.moratorium_factor,
    )
    assert (late.days, late.amount) == (10, D("166.67"))
    # into March the days take the base published before 1 March (9 %): 8 days at 1.5 × 12 % = 160.00
    longer = moratorium_accrue(
        overdue_principal=first.principal,
        rate=DelayRate(series=series, spread=D("0.03")),
        due=first.payable,
        until=date(2026, 3, 8),
        factor=ruleset.rates.moratorium_factor,
    )
    # 12 February days (17–28) at 15 %: 200.00; 8 March days at 18 %: 160.00
    assert [(s.start, s.days, s.rate) for s in longer.segments] == [
        (date(2026, 2, 17), 12, D("0.150")),
        (date(2026, 3, 1), 8, D("0.180")),
    ]
    assert longer.amount == D("360.00")


# --- allocation ------------------------------------------------------------------------------------

OWED = {
    Concept.COSTS: Owed(D("1000.00"), D("160.00")),
    Concept.COMMISSIONS: Owed(D("500.00"), D("80.00")),
    Concept.MORATORIUM_INTEREST: D("300.00"),
    Concept.OVERDUE_INTEREST: D("2000.00"),
    Concept.OVERDUE_PRINCIPAL: D("10000.00"),
    Concept.CURRENT_INTEREST: D("1500.00"),
    Concept.CURRENT_PRINCIPAL: D("10000.00"),
}


def test_allocation_order_is_documented_and_fixed():
    assert [c.value for c in ALLOCATION_ORDER] == [
        "gastos",
        "comisiones",
        "intereses_moratorios",
        "intereses_vencidos",
        "capital_vencido",
        "intereses_vigentes",
        "capital_vigente",
    ]


def test_a_partial_payment_pays_concepts_in_order():
    allocation = allocate_payment(D("5000.00"), OWED)
    assert [(line.concept, line.amount, line.iva) for line in allocation.lines] == [
        (Concept.COSTS, D("1000.00"), D("160.00")),
        (Concept.COMMISSIONS, D("500.00"), D("80.00")),
        (Concept.MORATORIUM_INTEREST, D("300.00"), D("0")),
        (Concept.OVERDUE_INTEREST, D("2000.00"), D("0")),
        (Concept.OVERDUE_PRINCIPAL, D("960.00"), D("0")),
    ]
    assert allocation.unapplied == 0
    assert allocation.applied(Concept.CURRENT_PRINCIPAL).total == 0


def test_a_partial_commission_splits_base_and_iva_in_proportion():
    allocation = allocate_payment(D("100.00"), {Concept.COMMISSIONS: Owed(D("500.00"), D("80.00"))})
    line = allocation.applied(Concept.COMMISSIONS)
    # 100 × 80/580 = 13.793… → 13.79 IVA, 86.21 commission
    assert (line.amount, line.iva) == (D("86.21"), D("13.79"))


def test_an_overpayment_is_left_unapplied():
    allocation = allocate_payment(D("30000.00"), OWED)
    assert sum(line.total for line in allocation.lines) == D("25540.00")
    assert allocation.unapplied == D("4460.00")


def test_allocation_refuses_fractions_of_a_centavo():
    with pytest.raises(ValueError, match="centavos"):
        allocate_payment(D("1.001"), OWED)


# --- prepayment ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "deadline"),
    [
        (date(2026, 3, 3), date(2026, 3, 2)),  # Tuesday → Monday
        (date(2026, 3, 2), date(2026, 2, 27)),  # Monday → Friday
        (date(2026, 3, 17), date(2026, 3, 13)),  # Tuesday after the Monday 16 March holiday → Friday 13
    ],
)
def test_notice_deadline_is_business_days_before(ruleset, on, deadline):
    assert prepayment_notice_deadline(on, ruleset.rates.prepayment_notice_business_days) == deadline


def test_prepayment_goes_to_the_last_installments_and_shortens_the_term(ruleset):
    """120,000 at 12 % fixed, 12 monthly payments of 10,000 from 15 Jan 2026; 25,000 prepaid Tue 3 March.

    Period 2 (15 Feb → 15 Mar, 28 days) opens at 110,000:
      110,000 × .12 × 16/360 (15 Feb → 3 Mar) = 586.666…
    +  85,000 × .12 × 12/360 (3 Mar → 15 Mar) = 340.000
    = 926.67. The 25,000 cancels installments 12 and 11 and 5,000 of installment 10: ten installments.
    """
    schedule = monthly_schedule()
    result = prepayment_apply(
        schedule,
        amount=D("25000.00"),
        on=date(2026, 3, 3),
        notified_on=date(2026, 3, 2),
        notice_business_days=ruleset.rates.prepayment_notice_business_days,
    )
    rebuilt = result.schedule.installments
    assert len(rebuilt) == 10
    assert result.installments_removed == 2
    assert rebuilt[0] == schedule.installments[0]
    assert (rebuilt[1].interest, rebuilt[1].prepaid, rebuilt[1].balance) == (
        D("926.67"),
        D("25000.00"),
        D("75000.00"),
    )
    assert [i.principal for i in rebuilt] == [D("10000.00")] * 9 + [D("5000.00")]
    assert rebuilt[2].interest == D("775.00")  # 75,000 × .12 × 31/360
    assert result.interest_saved > 0
    assert sum(i.principal + i.prepaid for i in rebuilt) == D("120000.00")


def test_prepayment_needs_notice_and_a_business_day(ruleset):
    with pytest.raises(InputErrors) as caught:
        prepayment_apply(
            monthly_schedule(),
            amount=D("1000.00"),
            on=date(2026, 3, 16),  # a bank holiday
            notified_on=date(2026, 3, 16),
            notice_business_days=ruleset.rates.prepayment_notice_business_days,
        )
    errors = {e.field: e for e in caught.value.errors}
    assert set(errors) == {"on", "notified_on"}
    assert errors["notified_on"].rule == "9.2.6"
    assert "13/03/2026" in errors["notified_on"].message


def test_prepayment_cannot_exceed_the_balance(ruleset):
    with pytest.raises(InputErrors, match="excede el saldo insoluto"):
        prepayment_apply(
            monthly_schedule(),
            amount=D("200000.00"),
            on=date(2026, 3, 3),
            notified_on=date(2026, 3, 1),
            notice_business_days=ruleset.rates.prepayment_notice_business_days,
        )


def test_paying_everything_ahead_leaves_only_the_accrued_interest(ruleset):
    result = prepayment_apply(
        monthly_schedule(),
        amount=D("110000.00"),
        on=date(2026, 3, 3),
        notified_on=date(2026, 3, 2),
        notice_business_days=ruleset.rates.prepayment_notice_business_days,
    )
    last = result.schedule.installments[-1]
    assert len(result.schedule.installments) == 2
    assert (last.interest, last.principal, last.balance) == (D("586.67"), D("0.00"), D("0.00"))


# --- CAT -------------------------------------------------------------------------------------------


def test_cat_of_a_single_payment():
    assert cat_percent(disbursements=[CashFlow(0, D("100"))], payments=[CashFlow(12, D("110"))]) == D("10.0")


def test_cat_of_a_monthly_annuity_is_the_effective_annual_rate():
    # 1 % a month: payment = 1000 × .01 / (1 − 1.01^−12) = 88.8487886…; CAT = 1.01^12 − 1 = 12.68 % → 12.7
    payment = D(1000) * D("0.01") / (1 - D("1.01") ** -12)
    payments = [CashFlow(month, payment) for month in range(1, 13)]
    assert cat_percent(disbursements=[CashFlow(0, D(1000))], payments=payments) == D("12.7")


def test_cat_includes_commissions_without_iva(ruleset):
    schedule = monthly_schedule(principal="1000000.00")
    plain = schedule_cat(schedule)
    opening = (D("1000000.00") * ruleset.commissions.opening_rate).quantize(D("0.01"))
    with_commission = schedule_cat(schedule, upfront_commissions=opening)
    # 12 % nominal paid monthly on Actual/360: effective ≈ 12.9 %; the opening commission adds to it.
    assert D("12.5") < plain < D("13.5")
    assert with_commission > plain
