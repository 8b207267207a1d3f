"""Properties of schedules, prepayments and allocation over random terms, rates and dates (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from filon.core.allocation import ALLOCATION_ORDER, Owed, allocate_payment
from filon.core.calendar import days_in_month, next_business_day
from filon.core.prepayment import prepayment_apply
from filon.core.rates import TIIE28, TIIE_FONDEO, RateSeries
from filon.core.schedule import (
    CompoundedInArrearsRate,
    EqualPrincipal,
    FixedRate,
    GrowingPrincipal,
    MonthlyRevisedRate,
    ScheduleTerms,
    schedule_build,
)

pytestmark = pytest.mark.pure

D = Decimal
CENT = D("0.01")
PERIODICITIES = (1, 2, 3, 4, 6, 12)
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cents = st.integers(min_value=100_000, max_value=5_000_000_000).map(lambda c: D(c) / 100)
rates = st.integers(min_value=0, max_value=3000).map(lambda bp: D(bp) / 10_000)
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def rate_sources(draw, disbursed: date, months: int):
    kind = draw(st.sampled_from(["fixed", "tiie28", "fondeo"]))
    if kind == "fixed":
        return FixedRate(draw(rates))
    code = TIIE28 if kind == "tiie28" else TIIE_FONDEO
    # Observations from before the disbursement through part of the term (the rest is projected).
    count = draw(st.integers(min_value=1, max_value=12))
    offsets = draw(st.lists(st.integers(0, 31 * months), min_size=count, max_size=count, unique=True))
    values = draw(st.lists(rates, min_size=count, max_size=count))
    observations = [(disbursed - timedelta(days=1), values[0])]
    observations += [(disbursed + timedelta(days=o), v) for o, v in zip(offsets, values, strict=True)]
    series = RateSeries(code, dict(observations).items())
    spread = draw(rates)
    if code == TIIE_FONDEO:
        return CompoundedInArrearsRate(series, spread)
    return MonthlyRevisedRate(series, spread)


@st.composite
def schedule_terms(draw, max_months: int = 120):
    every = draw(st.sampled_from(PERIODICITIES))
    periods = draw(st.integers(min_value=1, max_value=max_months // every))
    grace = draw(st.integers(min_value=0, max_value=periods - 1))
    disbursed = draw(days)
    growing = draw(st.one_of(st.none(), st.integers(1, 2000).map(lambda bp: D(bp) / 10_000)))
    return ScheduleTerms(
        principal=draw(cents),
        disbursement_date=disbursed,
        term_months=periods * every,
        grace_months=grace * every,
        payment_every_months=every,
        amortization=EqualPrincipal() if growing is None else GrowingPrincipal(growing),
        rate=draw(rate_sources(disbursed, periods * every)),
    )


@FAST
@given(schedule_terms())
def test_schedules_repay_exactly_what_was_lent(terms):
    schedule = schedule_build(terms)
    installments = schedule.installments
    assert len(installments) == terms.term_months // terms.payment_every_months
    assert sum(i.principal for i in installments) == terms.principal
    previous = terms.principal
    for installment in installments:
        assert installment.interest >= 0
        assert installment.principal >= 0
        assert 0 <= installment.balance <= previous
        assert installment.balance == previous - installment.principal
        assert installment.payment == installment.interest + installment.principal
        assert installment.interest == installment.interest.quantize(CENT)
        assert installment.principal == installment.principal.quantize(CENT)
        previous = installment.balance
    assert installments[-1].balance == 0
    grace_periods = terms.grace_months // terms.payment_every_months
    assert all(i.principal == 0 for i in installments[:grace_periods])


@FAST
@given(schedule_terms())
def test_due_dates_follow_c3(terms):
    schedule = schedule_build(terms)
    anchor = terms.disbursement_date.day
    start = terms.disbursement_date
    for installment in schedule.installments:
        assert installment.start == start
        assert installment.due.day == min(anchor, days_in_month(installment.due.year, installment.due.month))
        months = (installment.due.year - start.year) * 12 + installment.due.month - start.month
        assert months == terms.payment_every_months
        assert installment.payable == next_business_day(installment.due)
        start = installment.due


@st.composite
def prepayments(draw):
    terms = draw(schedule_terms(max_months=60))
    schedule = schedule_build(terms)
    first, last = terms.disbursement_date + timedelta(days=1), schedule.maturity - timedelta(days=1)
    if last < first:
        last = first
    on = next_business_day(draw(st.dates(min_value=first, max_value=last)))
    current = schedule.installment_for(on)
    assume(current is not None)  # rolling to a business day may pass the last due date
    standing = current.opening_balance
    fraction = draw(st.integers(min_value=1, max_value=100))
    amount = max(CENT, (standing * fraction / 100).quantize(CENT))
    return schedule, on, amount


@FAST
@given(prepayments())
def test_a_prepayment_never_raises_interest_nor_lengthens_the_term(case):
    schedule, on, amount = case
    result = prepayment_apply(
        schedule, amount=amount, on=on, notified_on=on - timedelta(days=7), notice_business_days=1
    )
    rebuilt = result.schedule
    assert rebuilt.totals.interest <= schedule.totals.interest
    assert len(rebuilt.installments) <= len(schedule.installments)
    assert rebuilt.maturity <= schedule.maturity
    assert sum(i.principal + i.prepaid for i in rebuilt.installments) == schedule.terms.principal
    assert rebuilt.installments[-1].balance == 0
    for before, after in zip(schedule.installments, rebuilt.installments, strict=False):
        assert after.balance <= before.balance
        assert after.interest <= before.interest


owed_amounts = st.integers(min_value=0, max_value=10_000_000).map(lambda c: D(c) / 100)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=20_000_000).map(lambda c: D(c) / 100),
    st.lists(owed_amounts, min_size=len(ALLOCATION_ORDER), max_size=len(ALLOCATION_ORDER)),
    st.lists(owed_amounts, min_size=2, max_size=2),
)
def test_allocation_conserves_every_centavo_in_order(paid, amounts, ivas):
    owed = {concept: Owed(amount) for concept, amount in zip(ALLOCATION_ORDER, amounts, strict=True)}
    for concept, iva in zip(ALLOCATION_ORDER[:2], ivas, strict=True):
        owed[concept] = Owed(owed[concept].amount, iva)
    allocation = allocate_payment(paid, owed)
    assert sum(line.total for line in allocation.lines) + allocation.unapplied == paid
    assert allocation.unapplied >= 0
    fully_paid = True
    for concept in ALLOCATION_ORDER:
        line = allocation.applied(concept)
        assert 0 <= line.amount <= owed[concept].amount
        assert 0 <= line.iva <= owed[concept].iva
        if not fully_paid:
            assert line.total == 0  # nothing reaches a concept before the earlier ones are paid
        fully_paid = fully_paid and line.total == owed[concept].total
    if allocation.unapplied:
        assert fully_paid
