"""The what-if of a default scenario (`filon.core.fund_whatif`): table-driven cases and properties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from filon.core.allocation import Concept
from filon.core.fund_whatif import Default, FundInput, fund_whatif

pytestmark = pytest.mark.pure

D = Decimal
MORA, INTEREST, PRINCIPAL = Concept.MORATORIUM_INTEREST, Concept.OVERDUE_INTEREST, Concept.OVERDUE_PRINCIPAL
JAN, FEB, MAR = dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31)


def owed(mora: str = "0", interest: str = "0", principal: str = "0") -> dict[Concept, Decimal]:
    return {MORA: D(mora), INTEREST: D(interest), PRINCIPAL: D(principal)}


CASES = [
    pytest.param(
        [FundInput("F", D("1000"))],
        [Default("A", JAN, owed("10", "90", "400"))],
        {"F": D("500")},
        {"A": (D("500"), D("0"))},
        id="a fund that covers all",
    ),
    pytest.param(
        [FundInput("F", D("300"))],
        [Default("B", FEB, owed("0", "0", "500")), Default("A", JAN, owed("50", "100", "500"))],
        {"F": D("300")},
        {"A": (D("300"), D("350")), "B": (D("0"), D("500"))},
        id="the first defaulted credit takes the fund, by date not by list order",
    ),
    pytest.param(
        [FundInput("STATE", D("100")), FundInput("ORG", D("100"))],
        [Default("A", JAN, owed("0", "50", "100")), Default("B", FEB, owed("0", "0", "100"))],
        {"STATE": D("100"), "ORG": D("100")},
        {"A": (D("150"), D("0")), "B": (D("50"), D("50"))},
        id="funds in their order, the second takes over",
    ),
    pytest.param(
        [FundInput("OWN-A", D("80")), FundInput("STATE", D("0"))],
        [
            Default("A", JAN, owed("0", "0", "100"), funds=("OWN-A", "STATE")),
            Default("B", FEB, owed("0", "0", "100"), funds=("STATE",)),
        ],
        {"OWN-A": D("80"), "STATE": D("0")},
        {"A": (D("80"), D("20")), "B": (D("0"), D("100"))},
        id="a miner's own contribution covers only its credit",
    ),
    pytest.param(
        [FundInput("FOCIR", D("6000000"), loss_fraction=D("0.30"))],
        [Default("A", JAN, owed("0", "0", "1000000")), Default("B", FEB, owed("0", "0", "500000"))],
        {"FOCIR": D("450000")},
        {"A": (D("300000"), D("700000")), "B": (D("150000"), D("350000"))},
        id="FOCIR pays 30 % of the losses",
    ),
    pytest.param(
        [FundInput("FOCIR", D("100000"), loss_fraction=D("0.30"))],
        [Default("A", JAN, owed("0", "0", "1000000"))],
        {"FOCIR": D("100000")},
        {"A": (D("100000"), D("900000"))},
        id="FOCIR capped by what it holds",
    ),
    pytest.param(
        [
            FundInput(
                "FOCIR",
                D("6000000"),
                loss_fraction=D("0.30"),
                prior_losses=D("1000000"),
                prior_paid=D("300000"),
            )
        ],
        [Default("A", MAR, owed("0", "0", "100000"), loss=D("0"))],
        {"FOCIR": D("0")},
        {"A": (D("0"), D("100000"))},
        id="FOCIR already paid its share of losses counted before",
    ),
    pytest.param(
        [FundInput("FOCIR", D("6000000"), loss_fraction=D("0.30"))],
        [Default("A", JAN, owed("0", "0", "1000.05"))],
        {"FOCIR": D("300.01")},
        {"A": (D("300.01"), D("700.04"))},
        id="FOCIR's share of 300.015 is cut to the centavo, not rounded up",
    ),
    pytest.param(
        [FundInput("FOGAMICO", D("1000"), credit_fraction=D("0.33"))],
        [Default("A", JAN, owed("0", "0", "1000"), contracted=D("0.05"))],
        {"FOGAMICO": D("0.01")},
        {"A": (D("0.01"), D("999.99"))},
        id="FOGAMICO's 0.33 of 0.05 (0.0165) is cut to the centavo, not rounded up",
    ),
    pytest.param(
        [FundInput("FOGAMICO", D("16660000"), credit_fraction=D("0.33"))],
        [Default("A", JAN, owed("1000", "9000", "600000"), contracted=D("1000000"))],
        {"FOGAMICO": D("330000")},
        {"A": (D("330000"), D("280000"))},
        id="FOGAMICO pays 0.33 of the credit",
    ),
]


@pytest.mark.parametrize(("funds", "defaults", "paid", "loans"), CASES)
def test_what_each_fund_pays(funds, defaults, paid, loans):
    outcome = fund_whatif(funds, defaults)
    assert {f.code: f.paid for f in outcome.funds} == paid
    assert {f.code: f.remaining for f in outcome.funds} == {f.code: f.balance - paid[f.code] for f in funds}
    assert {loan.loan: (loan.covered, loan.uncovered) for loan in outcome.loans} == loans
    assert outcome.covered + outcome.uncovered == outcome.defaulted


def test_concepts_in_the_payment_engine_order():
    """Moratorium, interest, then principal: a short fund leaves principal uncovered."""
    outcome = fund_whatif([FundInput("F", D("150"))], [Default("A", JAN, owed("100", "40", "500"))])
    (loan,) = outcome.loans
    assert loan.by_concept == {MORA: D("100"), INTEREST: D("40"), PRINCIPAL: D("10")}
    assert loan.by_fund == {"F": D("150")}


@pytest.mark.parametrize(
    ("funds", "defaults", "message"),
    [
        ([FundInput("F", D("-1"))], [], "centavos"),
        ([FundInput("F", D("1")), FundInput("F", D("2"))], [], "repetidas"),
        ([FundInput("F", D("1"), loss_fraction=D("1.5"))], [], "fracciones"),
        ([FundInput("F", D("1"))], [Default("A", JAN, owed("0.001"))], "centavos"),
    ],
)
def test_bad_input_is_refused(funds, defaults, message):
    with pytest.raises(ValueError, match=message):
        fund_whatif(funds, defaults)


cents = st.integers(min_value=0, max_value=10_000_000).map(lambda n: D(n) / 100)
fraction = st.one_of(st.none(), st.integers(min_value=0, max_value=100).map(lambda n: D(n) / 100))


@st.composite
def scenarios(draw):
    funds = [
        FundInput(f"F{i}", draw(cents), loss_fraction=draw(fraction), credit_fraction=draw(fraction))
        for i in range(draw(st.integers(min_value=0, max_value=4)))
    ]
    codes = [f.code for f in funds]
    defaults = [
        Default(
            f"L{i}",
            dt.date(2026, 1, 1) + dt.timedelta(days=draw(st.integers(min_value=0, max_value=60))),
            {MORA: draw(cents), INTEREST: draw(cents), PRINCIPAL: draw(cents)},
            funds=draw(st.one_of(st.none(), st.lists(st.sampled_from(codes), unique=True).map(tuple)))
            if codes
            else None,
            contracted=draw(cents),
        )
        for i in range(draw(st.integers(min_value=0, max_value=6)))
    ]
    return funds, defaults


@settings(max_examples=200, deadline=None)
@given(scenarios())
# Half of 0.01 of losses (or of a credit of 0.01) is 0.005: a fund must pay 0.00, not 0.01.
@example(
    ([FundInput("F0", D("0.01"), loss_fraction=D("0.50"))], [Default("L0", JAN, owed(principal="0.01"))])
)
@example(
    (
        [FundInput("F0", D("0.01"), credit_fraction=D("0.50"))],
        [Default("L0", JAN, owed(principal="0.01"), contracted=D("0.01"))],
    )
)
def test_no_fund_pays_more_than_it_holds_and_every_peso_is_covered_or_not(scenario):
    funds, defaults = scenario
    outcome = fund_whatif(funds, defaults)
    for fund, result in zip(funds, outcome.funds, strict=True):
        assert D(0) <= result.paid <= fund.balance
        assert result.paid + result.remaining == fund.balance
        if fund.loss_fraction is not None:
            assert result.paid <= fund.loss_fraction * sum((d.total for d in defaults), D(0))
    for default, loan in zip(sorted(defaults, key=lambda d: d.on), outcome.loans, strict=True):
        for fund in funds:
            if fund.credit_fraction is not None:
                assert loan.by_fund.get(fund.code, D(0)) <= fund.credit_fraction * default.contracted
        assert loan.covered + loan.uncovered == loan.defaulted == default.total
        assert D(0) <= loan.covered
        assert sum(loan.by_concept.values(), D(0)) == loan.covered
        for concept, amount in loan.by_concept.items():
            assert amount <= default.owed[concept]
    assert sum((f.paid for f in outcome.funds), D(0)) == outcome.covered
