"""Guarantee funds move money once per key: a fund paying a defaulted credit, a miner's contribution applied
to the credit's last installments, and `filon funds cover`, whose rerun with the same date pays nothing again."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from money_support import DISBURSED, TODAY, books_clean, frozen_today

from conftest import proposal_data, to_ready
from filon.demo.scenarios import loan_disburse
from filon.funds.models import FundMovement, MovementKind
from filon.funds.selectors import fund_balance
from filon.funds.services import fund_contribute, fund_cover_default, fund_create
from filon.idempotency.services import IdempotencyConflict, replayed
from filon.ledger.models import JournalEntry
from filon.servicing.models import Loan, Payment
from filon.servicing.services import commission_pay, loan_create_from_file

pytestmark = [pytest.mark.django_db, pytest.mark.security]
frozen_time = pytest.fixture(autouse=True)(frozen_today)


def defaulted_loan(cast, applicant, program: str = "pequena_mineria") -> Loan:
    """A credit of 1 M disbursed on 06/04/2026 that has paid nothing: three installments late by today."""
    from filon.origination.services import file_create

    file = file_create(
        user=cast.ana,
        applicant=applicant,
        proposal=proposal_data(
            amount=Decimal("1000000"), investment_program=Decimal("2000000"), term_months=24, grace_months=0
        ),
    )
    to_ready(cast, file)
    loan = loan_create_from_file(user=cast.ana, file=file)
    Loan.objects.filter(pk=loan.pk).update(program=program)
    loan.refresh_from_db()
    commission_pay(user=cast.ana, loan=loan, value_date=DISBURSED)
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=loan.contracted_amount,
        value_date=DISBURSED,
    )
    loan.refresh_from_db()
    return loan


@pytest.fixture
def fund(cast, sample_rates):
    fund = fund_create(
        user=cast.omar,
        code="PM-ZAC",
        name="Fondo estatal",
        program="pequena_mineria",
        contributor="state",
        state="ZAC",
    )
    fund_contribute(user=cast.omar, fund=fund, amount=Decimal("950000"), on=DISBURSED)
    return fund


def test_a_fund_pays_a_default_once_per_key(cast, applicant, fund):
    loan = defaulted_loan(cast, applicant)
    first = fund_cover_default(user=cast.gerardo, fund=fund, loan=loan, on=TODAY, idempotency_key="cubrir-1")
    balance, entries = fund_balance(fund), JournalEntry.objects.count()
    again = fund_cover_default(user=cast.gerardo, fund=fund, loan=loan, on=TODAY, idempotency_key="cubrir-1")
    assert (again.pk, replayed(first), replayed(again)) == (first.pk, False, True)
    with pytest.raises(IdempotencyConflict) as refused:
        fund_cover_default(user=cast.gerardo, fund=fund, loan=loan, on=DISBURSED, idempotency_key="cubrir-1")
    assert "difiere en: on" in refused.value.message
    assert FundMovement.objects.filter(fund=fund, kind=MovementKind.PAYMENT).count() == 1
    assert Payment.objects.filter(loan=loan).count() == 1
    assert (fund_balance(fund), JournalEntry.objects.count()) == (balance, entries)
    books_clean()


def test_rerunning_funds_cover_with_the_same_date_pays_nothing_again(cast, applicant, fund):
    loan = defaulted_loan(cast, applicant)
    command = ("funds", "cover", "--fund", "PM-ZAC", "--date", str(TODAY), "--user", "gerardo.zac")
    out = StringIO()
    call_command(*command, stdout=out)
    assert "1 crédito(s) pagado(s)" in out.getvalue()
    paid = FundMovement.objects.get(fund=fund, kind=MovementKind.PAYMENT)
    # The fund receives more money; the same run again (a rerun after a crash, a second operator) pays
    # nothing and reports the first run's payment.
    fund_contribute(user=cast.omar, fund=fund, amount=Decimal("10000"), on=TODAY)
    entries = JournalEntry.objects.count()
    out = StringIO()
    call_command(*command, stdout=out)
    assert "Esta corrida ya se había aplicado con la misma clave; no se pagó nada de nuevo." in out.getvalue()
    assert f"{paid.description}:" in out.getvalue()
    assert FundMovement.objects.filter(fund=fund, kind=MovementKind.PAYMENT).count() == 1
    assert Payment.objects.filter(loan=loan).count() == 1
    assert JournalEntry.objects.count() == entries
    # A deliberate new run takes its own key.
    out = StringIO()
    call_command(*command, "--clave", "segunda-corrida", stdout=out)
    assert "ya se había aplicado" not in out.getvalue()
    books_clean()
