"""The books balance to the centavo at amounts up to the rule set's ceiling, on SQLite and PostgreSQL:
random drawdowns, payments and closes on loans contracted at the ceiling; and portfolio totals summed in
SQL over 100,000 loans equal the exact Python sum."""

from __future__ import annotations

import contextlib
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filon.core.calendar import MEXICO_CITY, is_business_day
from filon.errors import DomainError
from filon.ledger.services import account_balance, ledger_check, loan_balances, trial_balance
from filon.rules import load_ruleset_for_date
from filon.servicing.models import Loan
from filon.servicing.selectors import loan_position, loan_positions

pytestmark = [pytest.mark.security, pytest.mark.django_db]

START = date(2026, 2, 3)  # a Tuesday, a business day
CENT = Decimal("0.01")
CEILING = load_ruleset_for_date(START).currencies.amount_ceiling.max_amount


def _loan(user, office, applicant, number: str, amount: Decimal, *, revolving: bool = False, **extra) -> Loan:
    ruleset = load_ruleset_for_date(START)
    return Loan.objects.create(
        number=number,
        applicant=applicant,
        office=office,
        program="primer_piso",
        credit_type="avio_revolvente" if revolving else "habilitacion_avio",
        currency="MXN",
        ruleset_version=ruleset.version,
        contracted_amount=amount,
        contract_date=START,
        fixed_rate=Decimal("0.12"),
        moratorium_factor=ruleset.rates.moratorium_factor,
        term_months=12,
        is_revolving=revolving,
        line_expires_on=START + timedelta(days=365) if revolving else None,
        revolvency_min_days=30 if revolving else None,
        revolvency_max_days=180 if revolving else None,
        created_by=user,
        **extra,
    )


def _books_balance() -> None:
    totals: dict[str, Decimal] = {}
    for (_, currency), amount in trial_balance().items():
        totals[currency] = totals.get(currency, Decimal(0)) + amount
    assert all(total == 0 for total in totals.values()), totals
    assert ledger_check(loan_positions=loan_positions()) == []


# a drawdown is a share of what the line allows; a payment any amount in centavos up to the ceiling
shares = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(1), places=6)
amounts = st.one_of(
    st.decimals(min_value=CENT, max_value=CEILING, places=2),
    st.decimals(min_value=CENT, max_value=CEILING / 10_000, places=2),
    st.sampled_from([CEILING, CEILING - CENT, Decimal("0.29"), Decimal("1234567.89")]),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("disburse"), st.integers(0, 1), shares),
        st.tuples(st.just("pay"), st.integers(0, 1), amounts, st.booleans()),
        st.tuples(st.just("close"), st.sampled_from([0, 3, 31])),
    ),
    min_size=3,
    max_size=10,
)


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(first=st.tuples(shares, shares), steps=steps)
def test_books_balance_to_the_centavo_up_to_the_ceiling(cast, applicant, first, steps):
    from filon.demo.scenarios import loan_disburse
    from filon.servicing.close import close_through
    from filon.servicing.payments import payment_apply

    today = START
    traveller = time_machine.travel(datetime.combine(today, time(10), MEXICO_CITY), tick=False)
    traveller.start()
    try:
        with transaction.atomic():
            loans = [
                _loan(cast.ana, cast.zac, applicant, "CR-TOPE-1", CEILING),
                _loan(cast.ana, cast.zac, applicant, "CR-TOPE-2", CEILING - CENT, revolving=True),
            ]
            opening = [("disburse", 0, first[0]), ("disburse", 1, first[1])]
            for number, step in enumerate([*opening, *steps]):
                kind, index = step[0], step[1]
                if kind == "close":
                    target = today + timedelta(days=index)
                    while not is_business_day(target):
                        target += timedelta(days=1)
                    traveller.stop()
                    traveller = time_machine.travel(
                        datetime.combine(target, time(20), MEXICO_CITY), tick=False
                    )
                    traveller.start()
                    close_through(business_date=target)
                    today = target + timedelta(days=1)
                    while not is_business_day(today):
                        today += timedelta(days=1)
                    traveller.stop()
                    traveller = time_machine.travel(
                        datetime.combine(today, time(10), MEXICO_CITY), tick=False
                    )
                    traveller.start()
                else:
                    loan = Loan.objects.get(pk=loans[index].pk)
                    with contextlib.suppress(DomainError):  # past due, line used, nothing owed …
                        if kind == "disburse":
                            room = loan.contracted_amount - loan.principal_balance
                            amount = max((room * step[2]).quantize(CENT), CENT)
                            loan_disburse(
                                captured_by=cast.ana,
                                released_by=cast.gerardo,
                                loan=loan,
                                amount=amount,
                                value_date=today,
                                drawdown_days=90 if loan.is_revolving else None,
                            )
                        else:
                            payment_apply(
                                user=cast.ana,
                                loan=loan,
                                amount=step[2],
                                value_date=today,
                                idempotency_key=f"pago-{number}",
                                prepayment=step[3] and not loan.is_revolving,
                                notified_on=today - timedelta(days=7),
                            )
                _books_balance()
                for loan in Loan.objects.filter(pk__in=[loan.pk for loan in loans]):
                    assert loan_balances(loan.pk) == loan_position(loan), loan.number
                    assert loan.principal_balance <= loan.contracted_amount
            transaction.set_rollback(True)
    finally:
        traveller.stop()


@pytest.mark.slow
def test_portfolio_totals_over_100000_loans_are_exact(cast, applicant):
    """100,000 active loans with balances up to the ceiling, each with its centavos: the portfolio panel's
    sums (in SQL) and the ledger's trial balance equal the exact Python sums."""
    from filon.accounts.models import User
    from filon.ledger.models import JournalEntry, Posting
    from filon.ledger.services import account_ids
    from filon.servicing.models import LoanStatus
    from filon.web.home.panels import portfolio_panel

    count = 100_000
    draw = random.Random(20260203)
    balances = [CEILING - Decimal(draw.randrange(0, 10**9)) / 100 for _ in range(count)]
    balances[:3] = [CEILING, CEILING - CENT, Decimal("0.29")]
    template = _loan(cast.ana, cast.zac, applicant, "CR-PLANTILLA", CEILING)
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Loan._meta.concrete_fields
        if f.attname not in ("id", "number", "principal_balance", "status", "revision")
    }
    Loan.objects.filter(pk=template.pk).delete()
    created = Loan.objects.bulk_create(
        [
            Loan(**fields, number=f"CR-MASA-{n:06d}", principal_balance=b, status=LoanStatus.ACTIVE)
            for n, b in enumerate(balances)
        ],
        batch_size=5000,
    )
    expected = sum(balances)

    direccion = User.objects.get(username="omar.direccion")
    rows = portfolio_panel(direccion)["by_class"]
    assert sum(r["n"] for r in rows) == count
    assert sum(r["principal"] for r in rows) == expected
    assert all(r["principal"].as_tuple().exponent == -2 for r in rows)

    ids = [loan.pk for loan in Loan.objects.filter(number__startswith="CR-MASA-").order_by("number")]
    assert len(ids) == len(created) == count
    entry = JournalEntry.objects.create(business_date=START, kind="prueba", description="Cartera masiva")
    accounts = account_ids()
    Posting.objects.bulk_create(
        [
            Posting(
                entry=entry, account_id=accounts[(code, "MXN")], loan_id=pk, currency="MXN", amount=sign * b
            )
            for pk, b in zip(ids, balances, strict=True)
            for code, sign in (("1301", 1), ("1101", -1))
        ],
        batch_size=10000,
    )
    assert account_balance("1301", "MXN") == expected
    assert trial_balance() == {("1301", "MXN"): expected, ("1101", "MXN"): -expected}
    assert ledger_check() == []
    for pk, b in list(zip(ids, balances, strict=True))[:: count // 50]:
        assert loan_balances(pk) == {"1301": b, "1101": -b}
