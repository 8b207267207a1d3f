"""Payoff: no payment beyond what a loan can ever owe, and a loan paid in full is closed (liquidado).

The payoff amount of a loan on a value date (`loan_payoff`) is its principal, the ordinary interest and the
moratorium accrued through that date (the accrual engine's own figures), less the money already held in
«pagos por aplicar». A payment larger than it is refused naming `amount`; a payment that leaves nothing
owed closes the loan with its payoff date, after which payments are refused naming `status`; reversing
that payment reopens the loan exactly as it was. A revolving line paid to zero stays open while the line
is in force, and is closed once it has expired with nothing owed.

Time is frozen on Wednesday 15/07/2026; the credits were disbursed on Monday 06/04/2026 and are paid on
Tuesday 14/07/2026, so the close of 15/07 runs after the payments.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.test import Client

from conftest import proposal_data, to_ready
from filon.audit.models import AuditRecord
from filon.core.calendar import MEXICO_CITY
from filon.core.money import format_money
from filon.demo.scenarios import loan_disburse, payment_reversal
from filon.errors import TransitionRefused, ValidationFailed
from filon.ledger.models import JournalEntry, Posting
from filon.ledger.services import ledger_check, loan_balances
from filon.servicing.accrual import loan_accrue
from filon.servicing.close import close_day
from filon.servicing.models import InstallmentStatus, Loan, LoanStatus, Payment
from filon.servicing.payments import payment_apply
from filon.servicing.selectors import loan_payoff, loan_positions
from filon.servicing.services import commission_pay, loan_create_from_file

pytestmark = [pytest.mark.security, pytest.mark.django_db]

DISBURSED = dt.date(2026, 4, 6)
PAY_DAY = dt.date(2026, 7, 14)  # a Tuesday: a prepayment on it is notified by Monday 13/07 (9.2.6)
CLOSE_DAY = dt.date(2026, 7, 15)
NOTIFIED = dt.date(2026, 7, 10)
CENT = Decimal("0.01")
ZERO = Decimal(0)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(dt.datetime(2026, 7, 15, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


def open_loan(cast, applicant, **proposal) -> Loan:
    from filon.origination.services import file_create

    file = file_create(user=cast.ana, applicant=applicant, proposal=proposal_data(**proposal))
    to_ready(cast, file)
    loan = loan_create_from_file(user=cast.ana, file=file)
    commission_pay(user=cast.ana, loan=loan, value_date=DISBURSED)
    return loan


def simple_loan(cast, applicant, *, term_months: int, amount: str) -> Loan:
    loan = open_loan(
        cast,
        applicant,
        amount=Decimal(amount),
        investment_program=Decimal(amount) * Decimal("1.2"),
        term_months=term_months,
        grace_months=0,
    )
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=Decimal(amount),
        value_date=DISBURSED,
    )
    loan.refresh_from_db()
    return loan


def line_with_drawdown(cast, applicant) -> Loan:
    line = open_loan(
        cast,
        applicant,
        credit_type="avio_revolvente",
        amount=Decimal("5000000"),
        investment_program=Decimal("5000000"),
        term_months=12,
        grace_months=0,
    )
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=line,
        amount=Decimal("1000000"),
        value_date=DISBURSED,
        drawdown_days=60,
    )
    line.refresh_from_db()
    return line


def pay(cast, loan, amount, key, on=PAY_DAY, **options) -> Payment:
    return payment_apply(
        user=cast.ana, loan=loan, amount=Decimal(amount), value_date=on, idempotency_key=key, **options
    )


def rows(loan: Loan):
    return list(loan.installments.filter(version__active=True).order_by("number"))


def state(loan: Loan) -> dict:
    loan.refresh_from_db()
    return {
        "loan": [
            loan.status,
            loan.paid_off_on,
            loan.principal_balance,
            loan.accrued_interest,
            loan.accrued_moratorium,
            loan.unapplied_balance,
            loan.maturity_date,
        ],
        "version": loan.schedule_versions.get(active=True).number,
        "rows": [
            (r.number, r.principal_paid, r.interest_paid, r.moratorium_paid, r.interest_accrued, r.status)
            for r in rows(loan)
        ],
    }


def assert_books(loan: Loan) -> None:
    """The ledger checks clean, and the loan's position is the ledger's balance of its accounts."""
    assert ledger_check(loan_positions=loan_positions()) == []
    loan.refresh_from_db()
    assert loan_positions([loan.pk])[loan.pk] == {
        code: amount for code, amount in loan_balances(loan.pk).items() if amount
    }


def accrued_state(loan: Loan, on: dt.date) -> dict:
    """The loan's state once accrued through `on` (what a payment on `on` starts from), rolled back."""
    with transaction.atomic():
        loan_accrue(loan=Loan.objects.select_for_update().get(pk=loan.pk), through=on)
        found = state(loan)
        transaction.set_rollback(True)
    loan.refresh_from_db()
    return found


# A centavo more than the payoff is refused; exactly the payoff closes the loan — when it can be paid on
# the day: at maturity, or before it as a prepayment notified in time (9.2.6). Without the notice, money
# beyond what is payable is held in «pagos por aplicar», within the payoff by construction.
CASES = {
    "vencido": ({"term_months": 3, "amount": "3000000"}, {}, "liquidado"),
    "anticipado_con_aviso": (
        {"term_months": 36, "amount": "12000000"},
        {"prepayment": True, "notified_on": NOTIFIED},
        "liquidado",
    ),
    "adelantado_sin_aviso": ({"term_months": 36, "amount": "12000000"}, {}, "retenido"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_payoff_is_the_ceiling_and_paying_it_closes_the_loan(cast, applicant, sample_rates, case):
    terms, options, outcome = CASES[case]
    loan = simple_loan(cast, applicant, **terms)
    entries = JournalEntry.objects.count()
    payoff = loan_payoff(loan=loan, on=PAY_DAY)
    assert JournalEntry.objects.count() == entries  # a read: nothing posted, nothing accrued
    before = accrued_state(loan, PAY_DAY)
    assert payoff.on == PAY_DAY
    assert payoff.total == sum(
        (before["loan"][i] for i in (2, 3, 4)), ZERO
    )  # principal, interest and moratorium accrued through the day, nothing held yet
    assert payoff.total > 0

    with pytest.raises(ValidationFailed) as refused:
        pay(cast, loan, payoff.total + CENT, "un-centavo-de-mas", **options)
    error = refused.value.errors[0]
    assert error.field == "amount"
    assert format_money(payoff.total) in error.message
    assert "14/07/2026" in error.message
    assert "saldo para liquidar" in error.message
    assert Payment.objects.filter(loan=loan).count() == 0
    assert JournalEntry.objects.count() == entries
    assert_books(loan)

    payment = pay(cast, loan, payoff.total, "liquidacion", **options)
    loan.refresh_from_db()
    assert_books(loan)
    if outcome == "retenido":
        assert loan.status == LoanStatus.ACTIVE
        assert loan.paid_off_on is None
        assert 0 < loan.unapplied_balance < payoff.total
        assert loan_payoff(loan=loan, on=PAY_DAY).total == 0  # nothing more can be paid on the day
        with pytest.raises(ValidationFailed, match="saldo para liquidar"):
            pay(cast, loan, "0.01", "otro-centavo")
        return
    assert (loan.status, loan.get_status_display(), loan.paid_off_on) == (
        LoanStatus.PAID_OFF,
        "Liquidado",
        PAY_DAY,
    )
    assert (loan.principal_balance, loan.accrued_interest, loan.accrued_moratorium) == (0, 0, 0)
    assert loan.unapplied_balance == 0
    assert not any(loan_balances(loan.pk).values())
    assert {r.status for r in rows(loan)} == {InstallmentStatus.PAID}
    assert sum(Decimal(piece["amount"]) for piece in payment.allocation) == payoff.total
    closing = AuditRecord.objects.get(action="loan.paid_off", object_id=str(loan.pk))
    assert closing.after["paid_off_on"] == PAY_DAY.isoformat()

    with pytest.raises(TransitionRefused) as after:
        pay(cast, loan, "1.00", "despues-de-liquidar", on=CLOSE_DAY)
    assert after.value.field == "status"
    assert after.value.message == "El crédito está liquidado desde el 14/07/2026; no admite más pagos."
    assert Payment.objects.filter(loan=loan).count() == 1

    payment_reversal(
        requested_by=cast.ana,
        approved_by=cast.gerardo,
        payment=payment,
        reason="Transferencia devuelta por el banco",
    )
    assert state(loan) == before  # open again, exactly as it was before the payment
    assert_books(loan)
    assert AuditRecord.objects.filter(action="payment.reverse", object_id=str(payment.pk)).exists()
    again = pay(cast, loan, "1000.00", "reabierto")
    assert again.amount == Decimal("1000.00")
    assert_books(loan)


def test_a_liquidated_loan_is_left_out_of_the_daily_close(cast, applicant, sample_rates):
    paid = simple_loan(cast, applicant, term_months=3, amount="3000000")
    running = simple_loan(cast, applicant, term_months=36, amount="12000000")
    pay(cast, paid, loan_payoff(loan=paid, on=PAY_DAY).total, "liquidacion")
    paid.refresh_from_db()
    assert paid.status == LoanStatus.PAID_OFF
    revision = paid.revision

    record = close_day(business_date=CLOSE_DAY)
    assert record.loans == 1  # the running loan only
    assert sum(bucket["loans"] for bucket in record.aging.values()) == 1
    paid.refresh_from_db()
    running.refresh_from_db()
    assert (paid.status, paid.paid_off_on, paid.accrued_through, paid.revision) == (
        LoanStatus.PAID_OFF,
        PAY_DAY,
        PAY_DAY,
        revision,
    )
    assert running.accrued_through == CLOSE_DAY
    assert not Posting.objects.filter(loan=paid, entry__business_date=CLOSE_DAY).exists()
    assert_books(paid)
    assert_books(running)


def test_a_revolving_line_paid_to_zero_stays_open_while_it_is_in_force(cast, applicant, sample_rates):
    line = line_with_drawdown(cast, applicant)
    assert line.line_expires_on > CLOSE_DAY
    pay(cast, line, loan_payoff(loan=line, on=PAY_DAY).total, "pago-de-la-disposicion")
    line.refresh_from_db()
    assert (line.status, line.paid_off_on, line.principal_balance) == (LoanStatus.ACTIVE, None, 0)
    assert_books(line)
    # it can draw again
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=line,
        amount=Decimal("500000"),
        value_date=PAY_DAY,
        drawdown_days=30,
    )
    line.refresh_from_db()
    assert (line.status, line.principal_balance) == (LoanStatus.ACTIVE, Decimal("500000"))
    assert_books(line)


def test_an_expired_revolving_line_paid_to_zero_is_closed(cast, applicant, sample_rates):
    line = line_with_drawdown(cast, applicant)
    Loan.objects.filter(pk=line.pk).update(line_expires_on=dt.date(2026, 6, 30))
    line.refresh_from_db()
    pay(cast, line, loan_payoff(loan=line, on=PAY_DAY).total, "pago-final")
    line.refresh_from_db()
    assert (line.status, line.paid_off_on) == (LoanStatus.PAID_OFF, PAY_DAY)
    assert_books(line)


def test_a_line_paid_to_zero_on_its_last_day_is_closed_by_the_next_close(cast, applicant, sample_rates):
    line = line_with_drawdown(cast, applicant)
    Loan.objects.filter(pk=line.pk).update(line_expires_on=PAY_DAY)
    line.refresh_from_db()
    pay(cast, line, loan_payoff(loan=line, on=PAY_DAY).total, "pago-del-ultimo-dia")
    line.refresh_from_db()
    assert (line.status, line.paid_off_on) == (LoanStatus.ACTIVE, None)  # in force through 14/07
    close_day(business_date=CLOSE_DAY)
    line.refresh_from_db()
    assert (line.status, line.paid_off_on) == (LoanStatus.PAID_OFF, PAY_DAY)
    assert AuditRecord.objects.filter(action="loan.paid_off", object_id=str(line.pk)).exists()
    assert_books(line)


# ------------------------------------------------------------------------------------ API and page


@pytest.fixture
def api(cast):
    from filon.accounts.services import api_token_create

    token = api_token_create(actor=None, user=cast.ana, name="pruebas")[1]
    client = Client()

    def call(method, path, body=None, **headers):
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        kwargs = {"data": json.dumps(body), "content_type": "application/json"} if body is not None else {}
        return getattr(client, method)(f"/api/v1{path}", **kwargs, **headers)

    return call


def test_the_api_refuses_an_overpayment_and_a_payment_after_payoff(cast, applicant, sample_rates, api):
    loan = simple_loan(cast, applicant, term_months=3, amount="3000000")
    payoff = api("get", f"/loans/{loan.pk}/payoff?on={PAY_DAY}")
    assert payoff.status_code == 200, payoff.content
    total = Decimal(payoff.json()["total"])
    assert total == loan_payoff(loan=loan, on=PAY_DAY).total
    assert payoff.json()["on"] == PAY_DAY.isoformat()

    body = {"amount": str(total + CENT), "value_date": str(PAY_DAY)}
    over = api("post", f"/loans/{loan.pk}/payments", body, HTTP_IDEMPOTENCY_KEY="de-mas")
    assert over.status_code == 422, over.content
    detail = over.json()["detail"]
    assert [e["field"] for e in detail] == ["amount"]
    assert format_money(total) in detail[0]["message"]
    assert "saldo para liquidar el crédito al 14/07/2026" in detail[0]["message"]

    body = {"amount": str(total), "value_date": str(PAY_DAY)}
    done = api("post", f"/loans/{loan.pk}/payments", body, HTTP_IDEMPOTENCY_KEY="exacto")
    assert done.status_code == 201, done.content
    shown = api("get", f"/loans/{loan.pk}").json()
    assert (shown["status"], shown["status_label"], shown["paid_off_on"]) == (
        "paid_off",
        "Liquidado",
        "2026-07-14",
    )
    listed = api("get", "/loans?status=paid_off").json()
    assert [item["id"] for item in listed] == [loan.pk]

    body = {"amount": "1.00", "value_date": str(CLOSE_DAY)}
    late = api("post", f"/loans/{loan.pk}/payments", body, HTTP_IDEMPOTENCY_KEY="tarde")
    assert late.status_code == 409, late.content
    assert [(e["field"], e["message"]) for e in late.json()["detail"]] == [
        ("status", "El crédito está liquidado desde el 14/07/2026; no admite más pagos.")
    ]
    assert Payment.objects.filter(loan=loan).count() == 1
    assert ledger_check(loan_positions=loan_positions()) == []


def test_the_loan_page_shows_the_payoff_and_the_liquidation(cast, applicant, sample_rates):
    loan = simple_loan(cast, applicant, term_months=3, amount="3000000")
    client = Client()
    client.force_login(cast.ana)
    page = client.get(f"/creditos/{loan.pk}/").content.decode()
    today = loan_payoff(loan=loan, on=CLOSE_DAY)
    assert f"Saldo para liquidar al 15/07/2026: {format_money(today.total)}" in page
    pay(cast, loan, loan_payoff(loan=loan, on=PAY_DAY).total, "liquidacion")
    page = client.get(f"/creditos/{loan.pk}/").content.decode()
    assert "Liquidado el 14/07/2026" in page
    assert "Saldo para liquidar" not in page
    listed = client.get("/creditos/?estado=paid_off").content.decode()
    assert loan.number in listed
    assert "Liquidado el 14/07/2026" in listed
    assert loan.number not in client.get("/creditos/?estado=active").content.decode()
    assert "Liquidado el 14/07/2026" in client.get(f"/creditos/{loan.pk}/estado-de-cuenta/").content.decode()


def test_a_miners_contribution_beyond_the_payoff_settles_the_loan_and_the_rest_is_refunded(
    cast, applicant, sample_rates
):
    """P-2 2.5: a miner's own contribution applied to the last payments pays no more than the payoff; it
    settles the credit, and what is left of it goes back to the miner."""
    from filon.funds.selectors import funds_check
    from filon.funds.services import (
        fund_apply_to_last_installments,
        fund_balance,
        fund_contribute,
        fund_create,
        fund_refund,
    )

    loan = simple_loan(cast, applicant, term_months=24, amount="1000000")
    Loan.objects.filter(pk=loan.pk).update(program="pequena_mineria")
    loan.refresh_from_db()
    own = fund_create(
        user=cast.omar,
        code="PM-MINERO-9",
        name="Aportación propia",
        program="pequena_mineria",
        contributor="miner",
        loan=loan,
    )
    fund_contribute(user=cast.omar, fund=own, amount=Decimal("2000000"), on=DISBURSED)
    payoff = loan_payoff(loan=loan, on=PAY_DAY).total
    movement = fund_apply_to_last_installments(user=cast.gerardo, fund=own, on=PAY_DAY, notified_on=NOTIFIED)
    assert movement.amount == movement.payment.amount == payoff
    loan.refresh_from_db()
    assert (loan.status, loan.paid_off_on) == (LoanStatus.PAID_OFF, PAY_DAY)
    assert fund_balance(own) == Decimal("2000000") - payoff
    refund = fund_refund(user=cast.omar, fund=own, on=CLOSE_DAY)
    assert refund.amount == Decimal("2000000") - payoff
    assert fund_balance(own) == ZERO
    assert funds_check() == []
    assert_books(loan)
