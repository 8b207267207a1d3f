"""Write-off (castigo) of an unrecoverable loan authorized by the committee, and the recoveries booked on it.

The posting table (each amount to its account), the guarantee fund paying first on a P-2 credit, a recovery
booked as income (never a receivable again), the refusals (no authorized request, already written off, a
paid-off loan, another role or office) and one posting per key. After every step the books check clean.

Time is frozen on Wednesday 15/07/2026; the credits (1 M MXN, 24 monthly payments, no grace) were disbursed
on Monday 06/04/2026 and nothing was paid since: three installments are late.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from filon.audit.models import AuditRecord
from filon.core.calendar import MEXICO_CITY
from filon.errors import Forbidden, TransitionRefused, ValidationFailed
from filon.funds.models import FundMovement
from filon.funds.services import fund_contribute, fund_create
from filon.ledger import chart
from filon.ledger.models import Posting
from filon.ledger.services import ledger_check, loan_balances, trial_balance
from filon.origination.models import LoanRequest
from filon.servicing.models import LoanStatus, Recovery, WriteOff
from filon.servicing.payments import payment_apply
from filon.servicing.selectors import loan_payoff, loan_positions
from filon.servicing.writeoff import (
    recovery_record,
    write_off_apply,
    write_off_covers,
    write_off_request_create,
    written_off_outstanding,
)
from servicing.closing_support import DISBURSED, MILLION, TODAY, authorized, defaulted_loan

pytestmark = pytest.mark.django_db

ZERO = Decimal(0)


@pytest.fixture(autouse=True)
def frozen_time(sample_rates):
    with time_machine.travel(dt.datetime(2026, 7, 15, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


def assert_books() -> None:
    totals: dict[str, Decimal] = {}
    for (_, currency), amount in trial_balance().items():
        totals[currency] = totals.get(currency, ZERO) + amount
    assert all(total == 0 for total in totals.values()), totals
    assert ledger_check(loan_positions=loan_positions()) == []


def entry_lines(entry) -> dict[str, Decimal]:
    return dict(entry.postings.values_list("account__code", "amount"))


def test_the_funds_register_their_cover_before_a_write_off():
    from filon.funds.services import write_off_fund_cover

    assert write_off_covers() == {"funds.cover": write_off_fund_cover}


def test_write_off_posts_each_receivable_to_the_loss_and_the_memo(cast, applicant):
    loan = defaulted_loan(cast, applicant)
    request = authorized(cast, loan)
    owed = loan_payoff(loan=loan, on=TODAY)
    done = write_off_apply(user=cast.gerardo, loan=loan, request=request, idempotency_key="castigo-1")

    assert (done.fund_cover, done.unapplied_used) == (ZERO, ZERO)
    assert (done.principal, done.interest, done.moratorium) == (
        owed.principal,
        owed.interest,
        owed.moratorium,
    )
    assert done.principal == MILLION
    assert done.interest > 0
    assert done.moratorium > 0
    total = done.principal + done.interest + done.moratorium
    vencida = loan.classification == "vencida"
    expected = {
        (chart.CARTERA_VENCIDA if vencida else chart.CARTERA_VIGENTE): -done.principal,
        (chart.INTERESES_VENCIDOS if vencida else chart.INTERESES_DEVENGADOS): -done.interest,
        chart.INTERESES_MORATORIOS: -done.moratorium,
        chart.QUEBRANTOS_CASTIGOS: total,
        chart.CARTERA_CASTIGADA: total,
        chart.CARTERA_CASTIGADA_CONTRA: -total,
    }
    assert entry_lines(done.entry) == expected
    assert done.entry.kind == "castigo"
    assert done.entry.loan_id == loan.pk

    loan.refresh_from_db()
    assert (loan.status, loan.written_off_on) == (LoanStatus.WRITTEN_OFF, TODAY)
    assert (loan.principal_balance, loan.accrued_interest, loan.accrued_moratorium) == (ZERO, ZERO, ZERO)
    assert loan_balances(loan.pk) == {}  # no receivable of the loan is left on the books
    request.refresh_from_db()
    assert (request.status, request.applied_by) == (LoanRequest.Status.APPLIED, cast.gerardo)
    record = AuditRecord.objects.get(action="loan.written_off", object_id=str(loan.pk))
    assert record.after["status"] == "written_off"
    assert record.after["written_off"] == str(total)
    assert_books()


def test_a_p2_fund_pays_first_and_the_rest_is_written_off(cast, applicant):
    fund = fund_create(
        user=cast.omar,
        code="PM-ZAC",
        name="Fondo del Gobierno de Zacatecas",
        program="pequena_mineria",
        contributor="state",
        state="zac",
    )
    fund_contribute(user=cast.omar, fund=fund, amount=MILLION, on=DISBURSED)
    loan = defaulted_loan(cast, applicant, "pequena_mineria")
    request = authorized(cast, loan)
    owed = loan_payoff(loan=loan, on=TODAY)

    done = write_off_apply(user=cast.gerardo, loan=loan, request=request, idempotency_key="castigo-p2")

    movement = FundMovement.objects.get(fund=fund, loan=loan)
    assert done.fund_cover == movement.amount > 0  # the fund paid the three late installments first
    assert movement.payment.entry.business_date == TODAY
    written = done.principal + done.interest + done.moratorium
    assert written + done.fund_cover == owed.total  # what the fund did not pay is written off
    assert done.principal < MILLION
    assert_books()


def test_recovery_is_income_and_never_a_receivable(cast, applicant):
    loan = defaulted_loan(cast, applicant)
    done = write_off_apply(user=cast.gerardo, loan=loan, request=authorized(cast, loan), idempotency_key="c")
    total = done.total

    recovery = recovery_record(
        user=cast.ana, loan=loan, amount=Decimal("150000"), value_date=TODAY, idempotency_key="r-1"
    )
    assert entry_lines(recovery.entry) == {
        chart.BANCOS: Decimal("150000"),
        chart.RECUPERACION_CASTIGADA: Decimal("-150000"),
        chart.CARTERA_CASTIGADA_CONTRA: Decimal("150000"),
        chart.CARTERA_CASTIGADA: Decimal("-150000"),
    }
    loan.refresh_from_db()
    assert loan.status == LoanStatus.WRITTEN_OFF
    assert loan.principal_balance == loan.accrued_interest == ZERO
    assert loan_balances(loan.pk) == {}  # no receivable reopened
    assert not Posting.objects.filter(entry=recovery.entry, loan__isnull=False).exists()
    assert written_off_outstanding(loan) == total - Decimal("150000")
    assert AuditRecord.objects.filter(action="loan.recovery", object_id=str(recovery.pk)).exists()

    again = recovery_record(
        user=cast.ana, loan=loan, amount=Decimal("150000"), value_date=TODAY, idempotency_key="r-1"
    )
    assert again.pk == recovery.pk
    assert Recovery.objects.count() == 1
    with pytest.raises(ValidationFailed) as refused:
        recovery_record(user=cast.ana, loan=loan, amount=total, value_date=TODAY, idempotency_key="r-2")
    assert refused.value.errors[0].field == "amount"
    with pytest.raises(Forbidden):
        recovery_record(
            user=cast.sofia, loan=loan, amount=Decimal("1"), value_date=TODAY, idempotency_key="r-3"
        )
    assert_books()


def test_a_recovery_needs_a_written_off_loan(cast, applicant):
    loan = defaulted_loan(cast, applicant)
    with pytest.raises(TransitionRefused, match="castigado"):
        recovery_record(
            user=cast.ana, loan=loan, amount=Decimal("100"), value_date=TODAY, idempotency_key="r"
        )
    assert not Recovery.objects.exists()


def test_same_key_twice_writes_off_once(cast, applicant):
    loan = defaulted_loan(cast, applicant)
    request = authorized(cast, loan)
    first = write_off_apply(user=cast.gerardo, loan=loan, request=request, idempotency_key="una-vez")
    request.refresh_from_db()
    again = write_off_apply(user=cast.gerardo, loan=loan, request=request, idempotency_key="una-vez")
    assert again.pk == first.pk
    assert WriteOff.objects.count() == 1
    assert Posting.objects.filter(entry__kind="castigo").values("entry").distinct().count() == 1
    with pytest.raises(TransitionRefused, match="ya está castigado"):
        write_off_apply(user=cast.gerardo, loan=loan, request=request, idempotency_key="otra")
    assert_books()


def test_write_off_refusals(cast, applicant):
    loan = defaulted_loan(cast, applicant)
    # No authorized request: only requested, then rejected by the committee.
    requested = write_off_request_create(user=cast.gerardo, loan=loan, reason="Incobrable")
    with pytest.raises(TransitionRefused, match="no está autorizada"):
        write_off_apply(user=cast.gerardo, loan=loan, request=requested, idempotency_key="k1")
    LoanRequest.objects.filter(pk=requested.pk).update(status=LoanRequest.Status.WITHDRAWN)
    rejected = authorized(cast, loan, decision="rejected")
    with pytest.raises(TransitionRefused, match="no está autorizada"):
        write_off_apply(user=cast.gerardo, loan=loan, request=rejected, idempotency_key="k2")
    # A restructuring request is no write-off.
    restructuring = LoanRequest.objects.create(
        file=loan.file,
        loan_number=loan.number,
        kind=LoanRequest.Kind.RESTRUCTURING,
        committee="comite_interno",
        committee_rule="17.3",
        currency="MXN",
        principal_balance=MILLION,
        principal_balance_usd=MILLION,
        fx_usd_mxn=Decimal(1),
        as_of=TODAY,
        reason="r",
        status=LoanRequest.Status.AUTHORIZED,
        requested_by=cast.gerardo,
    )
    with pytest.raises(TransitionRefused, match="solicitud de castigo autorizada"):
        write_off_apply(user=cast.gerardo, loan=loan, request=restructuring, idempotency_key="k3")
    request = authorized(cast, loan)
    with pytest.raises(TransitionRefused, match="antes de su autorización"):
        write_off_apply(
            user=cast.gerardo,
            loan=loan,
            request=request,
            idempotency_key="k6",
            on=TODAY - dt.timedelta(days=1),
        )
    # Another role, another office.
    with pytest.raises(Forbidden):
        write_off_apply(user=cast.ana, loan=loan, request=request, idempotency_key="k4")
    with pytest.raises(Forbidden):
        write_off_apply(user=cast.sofia, loan=loan, request=request, idempotency_key="k5")
    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACTIVE
    assert not WriteOff.objects.exists()
    assert_books()


def test_a_paid_off_loan_is_not_written_off(cast, applicant):
    loan = defaulted_loan(cast, applicant)
    request = authorized(cast, loan)
    payment_apply(
        user=cast.ana,
        loan=loan,
        amount=loan_payoff(loan=loan, on=TODAY).total,
        value_date=TODAY,
        idempotency_key="liquida",
        prepayment=True,
        notified_on=TODAY - dt.timedelta(days=30),
    )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.PAID_OFF
    with pytest.raises(TransitionRefused, match=r"[Ll]iquidado"):
        write_off_apply(user=cast.gerardo, loan=loan, request=request, idempotency_key="k")
    assert not WriteOff.objects.exists()


def test_money_held_for_the_loan_is_applied_before_the_loss(cast, applicant):
    from filon.demo.scenarios import installment_owed, installments_unpaid
    from filon.servicing.accrual import loan_accrue

    loan = defaulted_loan(cast, applicant)
    loan_accrue(loan=loan, through=TODAY)
    late = sum((installment_owed(row) for row in installments_unpaid(loan, TODAY)), ZERO)
    payment_apply(
        user=cast.ana, loan=loan, amount=late + Decimal("25000"), value_date=TODAY, idempotency_key="adelanto"
    )
    loan.refresh_from_db()
    assert loan.unapplied_balance == Decimal("25000")  # ahead of its payable date: held in 2102
    position = loan.principal_balance + loan.accrued_interest + loan.accrued_moratorium
    done = write_off_apply(user=cast.gerardo, loan=loan, request=authorized(cast, loan), idempotency_key="k")
    assert done.unapplied_used == Decimal("25000")
    assert done.total == position - Decimal("25000")
    assert done.moratorium == ZERO
    lines = entry_lines(done.entry)
    assert lines[chart.PAGOS_POR_APLICAR] == Decimal("25000")
    assert lines[chart.QUEBRANTOS_CASTIGOS] == done.total
    loan.refresh_from_db()
    assert loan.unapplied_balance == ZERO
    assert_books()
