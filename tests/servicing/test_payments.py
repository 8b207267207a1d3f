"""Payments: allocation order, idempotency, prepayments (9.2.6), money held in «pagos por aplicar», LIFO
reversals, the account statement and `filon ledger`. After every step the books must check clean.

Time is frozen on Wednesday 15/07/2026; the loan (12 M MXN, 36 monthly payments, no grace) was disbursed
on Monday 06/04/2026, so installments 1 (06/05), 2 (due Saturday 06/06, payable Monday 08/06) and 3 (06/07)
are late by today.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from conftest import proposal_data, to_ready
from filon.core.calendar import MEXICO_CITY
from filon.demo.scenarios import loan_disburse, payment_reversal
from filon.errors import Forbidden, TransitionRefused, ValidationFailed
from filon.idempotency.services import IdempotencyConflict, replayed
from filon.ledger import chart
from filon.ledger.models import Account, JournalEntry, LedgerDay, Posting
from filon.ledger.services import Line, entry_post, ledger_check, loan_balances
from filon.servicing.accrual import loan_accrue
from filon.servicing.models import Classification, InstallmentStatus, Loan, LoanStatus, Payment, PaymentStatus
from filon.servicing.payments import payment_apply, unapplied_apply
from filon.servicing.release import reversal_request
from filon.servicing.selectors import loan_positions
from filon.servicing.services import commission_pay, loan_create_from_file
from filon.servicing.statements import loan_statement

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 7, 15)
DISBURSED = dt.date(2026, 4, 6)  # TODAY − 100 days
AMOUNT = Decimal("12000000")
MAY_6, JUN_8, JUL_6 = dt.date(2026, 5, 6), dt.date(2026, 6, 8), dt.date(2026, 7, 6)
ZERO = Decimal(0)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(dt.datetime(2026, 7, 15, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


@pytest.fixture
def loan(cast, applicant, sample_rates):
    from filon.origination.services import file_create

    file = file_create(
        user=cast.ana, applicant=applicant, proposal=proposal_data(term_months=36, grace_months=0)
    )
    to_ready(cast, file)
    loan = loan_create_from_file(user=cast.ana, file=file)
    commission_pay(user=cast.ana, loan=loan, value_date=DISBURSED)
    loan_disburse(
        captured_by=cast.ana, released_by=cast.gerardo, loan=loan, amount=AMOUNT, value_date=DISBURSED
    )
    loan.refresh_from_db()
    return loan


# ------------------------------------------------------------------------------------------- helpers


def accrue(loan: Loan, through: dt.date) -> Loan:
    with transaction.atomic():
        loan_accrue(loan=Loan.objects.select_for_update().get(pk=loan.pk), through=through)
    loan.refresh_from_db()
    return loan


def rows(loan: Loan):
    return list(loan.installments.filter(version__active=True).order_by("number"))


def owed_on(loan: Loan, on: dt.date) -> Decimal:
    """Everything payable on `on` (the loan accrued through it)."""
    return sum(
        (
            (r.moratorium_accrued - r.moratorium_paid)
            + (
                (r.interest_accrued - r.interest_paid) + (r.principal - r.principal_paid)
                if r.payable <= on
                else 0
            )
            for r in rows(loan)
        ),
        ZERO,
    )


def state(loan: Loan) -> dict:
    """The loan's servicing position and its active installments, to compare before and after."""
    loan.refresh_from_db()
    return {
        "loan": [
            loan.status,
            loan.principal_balance,
            loan.accrued_interest,
            loan.accrued_moratorium,
            loan.unapplied_balance,
            loan.maturity_date,
        ],
        "version": loan.schedule_versions.get(active=True).number,
        "rows": [
            (
                r.number,
                r.principal,
                r.interest,
                r.interest_accrued,
                r.moratorium_accrued,
                r.principal_paid,
                r.interest_paid,
                r.moratorium_paid,
                r.status,
            )
            for r in rows(loan)
        ],
    }


def assert_books(loan: Loan) -> None:
    """The ledger checks clean and the position adds up to its installments."""
    assert ledger_check(loan_positions=loan_positions()) == []
    loan.refresh_from_db()
    active = rows(loan)
    assert loan.principal_balance == sum((r.principal - r.principal_paid for r in active), ZERO)
    assert loan.accrued_interest == sum((r.interest_accrued - r.interest_paid for r in active), ZERO)
    assert loan.accrued_moratorium == sum((r.moratorium_accrued - r.moratorium_paid for r in active), ZERO)


def pay(cast, loan, amount, on, key, **options) -> Payment:
    return payment_apply(
        user=cast.ana, loan=loan, amount=Decimal(amount), value_date=on, idempotency_key=key, **options
    )


def pieces(payment: Payment) -> list[tuple[str, int | None, Decimal]]:
    return [(a["concept"], a["installment"], Decimal(a["amount"])) for a in payment.allocation]


# ---------------------------------------------------------------------------------------- allocation


def test_allocation_order_on_a_late_loan(cast, loan):
    """Moratorium, then overdue interest, overdue principal, then the current installment's interest and
    principal; 1303/1301/1305 credited, 1101 debited; the books check clean."""
    accrue(loan, JUL_6)
    one, two, three = rows(loan)[:3]
    assert one.moratorium_accrued > 0
    assert two.moratorium_accrued > 0
    assert three.moratorium_accrued == 0
    half = Decimal("100000.00")
    amount = owed_on(loan, JUL_6) - three.principal + half
    payment = pay(cast, loan, amount, JUL_6, "late-1")
    assert pieces(payment) == [
        ("intereses_moratorios", 1, one.moratorium_accrued),
        ("intereses_moratorios", 2, two.moratorium_accrued),
        ("intereses_vencidos", 1, one.interest),
        ("intereses_vencidos", 2, two.interest),
        ("capital_vencido", 1, one.principal),
        ("capital_vencido", 2, two.principal),
        ("intereses_vigentes", 3, three.interest),
        ("capital_vigente", 3, half),
    ]
    assert sum(p[2] for p in pieces(payment)) == amount
    one, two, three = rows(loan)[:3]
    assert [one.status, two.status] == [InstallmentStatus.PAID, InstallmentStatus.PAID]
    assert three.status != InstallmentStatus.PAID
    assert three.principal_unpaid == three.principal - half
    loan.refresh_from_db()
    assert loan.principal_balance == AMOUNT - one.principal - two.principal - half
    assert loan.accrued_moratorium == 0
    postings = dict(payment.entry.postings.values_list("account__code", "amount"))
    mora = one.moratorium_accrued + two.moratorium_accrued
    assert postings == {
        chart.BANCOS: amount,
        chart.INTERESES_MORATORIOS: -mora,
        chart.INTERESES_DEVENGADOS: -(one.interest + two.interest + three.interest),
        chart.CARTERA_VIGENTE: -(one.principal + two.principal + half),
    }
    assert payment.entry.business_date == JUL_6
    assert_books(loan)


def test_partial_payments_accrue_first_and_add_up(cast, loan):
    """A payment accrues the loan through its value date itself; two partial payments fill the same
    concepts in order; a payment in the wrong currency, in the future or on a closed day is refused."""
    first = pay(cast, loan, "50000.00", TODAY, "parcial-1")
    loan.refresh_from_db()
    assert loan.accrued_through == TODAY
    concepts = [p[0] for p in pieces(first)]
    assert concepts[:3] == ["intereses_moratorios"] * 3  # installments 1, 2 and 3 are all late
    assert concepts[3:] == ["intereses_vencidos"]
    assert pieces(first)[-1][1] == 1
    assert_books(loan)
    one = rows(loan)[0]
    second = pay(cast, loan, "200000.00", TODAY, "parcial-2")
    assert pieces(second)[0] == ("intereses_vencidos", 1, one.interest - one.interest_paid)
    assert [p[0] for p in pieces(second)][1:] == ["intereses_vencidos", "intereses_vencidos"]
    assert loan.payments.count() == 2
    assert_books(loan)
    assert all(r.status != InstallmentStatus.PAID for r in rows(loan)[:3])

    with pytest.raises(ValidationFailed, match="La moneda del pago \\(USD\\) no es la del crédito"):
        pay(cast, loan, "10.00", TODAY, "usd", currency="USD")
    with pytest.raises(ValidationFailed, match="no puede ser posterior a hoy"):
        pay(cast, loan, "10.00", TODAY + dt.timedelta(days=1), "futuro")
    with pytest.raises(ValidationFailed, match="positivo y en centavos"):
        pay(cast, loan, "10.001", TODAY, "fraccion")
    with pytest.raises(TransitionRefused, match="orden de fecha valor"):
        pay(cast, loan, "10.00", JUL_6, "atrasado")
    with pytest.raises(Forbidden):
        payment_apply(
            user=cast.sofia, loan=loan, amount=Decimal(10), value_date=TODAY, idempotency_key="otra-oficina"
        )
    with pytest.raises(Forbidden):
        payment_apply(
            user=cast.julia, loan=loan, amount=Decimal(10), value_date=TODAY, idempotency_key="juridico"
        )
    LedgerDay.objects.create(business_date=TODAY, closed_at=dt.datetime(2026, 7, 15, 23, tzinfo=MEXICO_CITY))
    with pytest.raises(ValidationFailed, match="debe ser posterior al último cierre \\(15/07/2026\\)"):
        pay(cast, loan, "10.00", TODAY, "cerrado")
    assert loan.payments.count() == 2


def test_the_same_key_twice_posts_once(cast, loan):
    first = pay(cast, loan, "150000.00", TODAY, "clave-única")
    before = state(loan)
    entries = JournalEntry.objects.count()
    again = pay(cast, loan, "150000", TODAY, "clave-única")  # a retry returns the first result as is
    assert again.pk == first.pk
    assert (replayed(first), replayed(again)) == (False, True)
    assert (again.amount, again.allocation, again.entry_id) == (
        first.amount,
        first.allocation,
        first.entry_id,
    )
    with pytest.raises(IdempotencyConflict) as refused:  # the same key with another amount: nothing moves
        pay(cast, loan, "999999.00", TODAY, "clave-única")
    assert (refused.value.status, refused.value.field) == (409, "Idempotency-Key")
    assert "difiere en: amount" in refused.value.message
    assert Payment.objects.filter(loan=loan).count() == 1
    assert JournalEntry.objects.count() == entries
    assert JournalEntry.objects.filter(loan=loan, kind="pago").count() == 1
    assert state(loan) == before
    assert_books(loan)


def test_a_racing_twin_is_caught_by_the_unique_key(cast, loan, monkeypatch):
    """Had a twin with the same key committed unseen, the insert hits the unique constraint: everything of
    the second attempt rolls back to its savepoint and the first payment is returned."""
    from filon.idempotency import services as idempotency
    from filon.servicing import payments

    first = pay(cast, loan, "1000.00", TODAY, "gemelo")
    before, entries = state(loan), JournalEntry.objects.count()
    looked: list[str] = []
    find = idempotency._find

    def blind_once(operation, scope, key):
        looked.append(key)
        return None if len(looked) == 1 else find(operation, scope, key)

    monkeypatch.setattr(idempotency, "_find", blind_once)
    monkeypatch.setattr(payments, "_payment_for_key", lambda loan, key: None)
    again = pay(cast, loan, "1000.00", TODAY, "gemelo")
    assert again.pk == first.pk
    assert replayed(again)
    assert looked == ["gemelo", "gemelo"]
    assert Payment.objects.filter(loan=loan).count() == 1
    assert JournalEntry.objects.count() == entries
    assert state(loan) == before
    assert_books(loan)


def test_a_payment_keyed_before_requests_were_recorded_is_adopted(cast, loan):
    """A payment whose key lives only on its own column (recorded before `filon.idempotency`) is the first
    result of its key: the same request replays it, another is a conflict."""
    from filon.idempotency.models import IdempotentRequest

    first = pay(cast, loan, "1000.00", TODAY, "antiguo")
    IdempotentRequest.objects.all().delete()
    again = pay(cast, loan, "1000.00", TODAY, "antiguo")
    assert (again.pk, replayed(again)) == (first.pk, True)
    with pytest.raises(IdempotencyConflict):
        pay(cast, loan, "2000.00", TODAY, "antiguo")
    assert Payment.objects.filter(loan=loan).count() == 1
    assert IdempotentRequest.objects.filter(operation="payment", key="antiguo").count() == 1


def test_cartera_vencida_is_credited_on_its_own_accounts(cast, loan):
    """Interest to 1304 and principal to 1302 while the loan is in cartera vencida; once the close moves
    it back, the payment's mirror entry no longer fits the portfolio and the reversal is refused."""

    def transfer(to_vencida: bool) -> None:
        loan.refresh_from_db()
        sign = 1 if to_vencida else -1
        with transaction.atomic():
            entry_post(
                kind="traspaso",
                business_date=TODAY,
                loan_id=loan.pk,
                description="Traspaso de cartera (prueba)",
                lines=[
                    Line(chart.CARTERA_VENCIDA, sign * loan.principal_balance, "MXN", loan.pk),
                    Line(chart.CARTERA_VIGENTE, -sign * loan.principal_balance, "MXN", loan.pk),
                    Line(chart.INTERESES_VENCIDOS, sign * loan.accrued_interest, "MXN", loan.pk),
                    Line(chart.INTERESES_DEVENGADOS, -sign * loan.accrued_interest, "MXN", loan.pk),
                ],
            )
            Loan.objects.filter(pk=loan.pk).update(
                classification=Classification.VENCIDA if to_vencida else Classification.VIGENTE
            )

    accrue(loan, TODAY)
    transfer(to_vencida=True)
    assert_books(loan)
    payment = pay(cast, loan, "500000.00", TODAY, "vencida")
    codes = set(payment.entry.postings.values_list("account__code", flat=True))
    assert codes == {
        chart.BANCOS,
        chart.INTERESES_MORATORIOS,
        chart.INTERESES_VENCIDOS,
        chart.CARTERA_VENCIDA,
    }
    assert_books(loan)
    transfer(to_vencida=False)
    assert_books(loan)
    with pytest.raises(TransitionRefused, match="cambió de clasificación"):
        payment_reversal(
            requested_by=cast.ana, approved_by=cast.gerardo, payment=payment, reason="Error de captura"
        )


# ---------------------------------------------------------------------------------------- prepayment


def test_prepayment_goes_to_the_last_installments_and_shortens_the_term(cast, loan):
    accrue(loan, JUL_6)
    old_rows = rows(loan)
    old_version = loan.schedule_versions.get(active=True)
    due = owed_on(loan, JUL_6)
    extra = Decimal("1200000.00")
    payment = pay(
        cast, loan, due + extra, JUL_6, "anticipado", prepayment=True, notified_on=dt.date(2026, 7, 3)
    )
    assert payment.is_prepayment
    assert payment.notified_on == dt.date(2026, 7, 3)
    assert pieces(payment)[-1] == ("capital_anticipado", 4, extra)  # 4 is the period running on 06/07
    loan.refresh_from_db()
    old_version.refresh_from_db()
    new_version = loan.schedule_versions.get(active=True)
    assert new_version == payment.schedule_version
    assert new_version.number == old_version.number + 1
    assert not old_version.active
    assert old_version.installments.count() == 36
    new_rows = rows(loan)
    assert len(new_rows) == 33  # 1.2 M = 3.6 installments: the last three go, the one before shrinks
    assert [r.principal for r in new_rows[:32]] == [r.principal for r in old_rows[:32]]
    assert new_rows[-1].principal == sum((r.principal for r in old_rows[32:]), ZERO) - extra
    assert loan.maturity_date == new_rows[-1].due < old_rows[-1].due
    assert sum((r.interest for r in new_rows), ZERO) < sum((r.interest for r in old_rows), ZERO)
    assert all(new.interest <= old.interest for new, old in zip(new_rows, old_rows, strict=False))
    assert [r.status for r in new_rows[:3]] == [InstallmentStatus.PAID] * 3  # paid state carried over
    assert loan.principal_balance == AMOUNT - sum((r.principal for r in old_rows[:3]), ZERO) - extra
    assert loan.unapplied_balance == 0
    assert_books(loan)


def test_a_prepayment_notified_too_late_is_refused_citing_9_2_6(cast, loan):
    for notified in (JUL_6, None):
        with pytest.raises(ValidationFailed) as exc:
            pay(cast, loan, "5000000.00", JUL_6, f"aviso-{notified}", prepayment=True, notified_on=notified)
        assert exc.value.errors[0].rule == "9.2.6"
        assert exc.value.errors[0].field == "notified_on"
        assert "a más tardar el 03/07/2026" in exc.value.message
    assert loan.payments.count() == 0
    assert loan.schedule_versions.count() == 1
    assert_books(loan)


# ------------------------------------------------------------------------------ pagos por aplicar


def test_overpayment_is_held_in_2102_and_applied_when_due(cast, loan):
    accrue(loan, MAY_6)
    held = Decimal("150000.00")
    payment = pay(cast, loan, owed_on(loan, MAY_6) + held, MAY_6, "de-más")
    assert pieces(payment)[-1] == ("pagos_por_aplicar", None, held)
    loan.refresh_from_db()
    assert loan.unapplied_balance == held
    assert loan_balances(loan.pk)[chart.PAGOS_POR_APLICAR] == -held
    assert_books(loan)

    with transaction.atomic():
        assert unapplied_apply(loan=loan, on=dt.date(2026, 5, 20)) == 0  # nothing payable yet
    with transaction.atomic():
        applied = unapplied_apply(loan=loan, on=JUN_8)
    assert applied == held
    assert loan.unapplied_balance == 0
    assert loan.accrued_through == JUN_8
    two = rows(loan)[1]
    assert two.interest_paid == two.interest
    assert two.principal_paid == held - two.interest
    assert JournalEntry.objects.filter(loan=loan, kind="aplicacion_pagos_por_aplicar").count() == 1
    assert chart.PAGOS_POR_APLICAR not in loan_balances(loan.pk)
    assert_books(loan)
    with pytest.raises(TransitionRefused, match="pagos por aplicar"):
        payment_reversal(
            requested_by=cast.ana, approved_by=cast.gerardo, payment=payment, reason="Captura duplicada"
        )


# ------------------------------------------------------------------------------------------ reversal


def test_reversal_restores_the_exact_position_last_in_first_out(cast, loan):
    accrue(loan, TODAY)
    before = state(loan)
    entries = JournalEntry.objects.count()
    first = pay(cast, loan, "300000.00", TODAY, "r-1")
    middle = state(loan)
    second = pay(cast, loan, owed_on(loan, TODAY) + Decimal("1000.00"), TODAY, "r-2")
    assert all(r.status == InstallmentStatus.PAID for r in rows(loan)[:3])
    original = list(second.entry.postings.values_list("account_id", "amount"))

    with pytest.raises(TransitionRefused, match="Sólo se reversa el último pago"):
        payment_reversal(
            requested_by=cast.ana, approved_by=cast.gerardo, payment=first, reason="Error de captura"
        )
    reversed_ = payment_reversal(
        second, reason="Cheque devuelto", requested_by=cast.gerardo, approved_by=cast.omar
    )
    assert reversed_.status == PaymentStatus.REVERSED
    assert reversed_.reversal_reason == "Cheque devuelto"
    assert reversed_.reversal_entry.reverses_id == second.entry_id
    assert list(second.entry.postings.values_list("account_id", "amount")) == original  # never edited
    assert state(loan) == middle
    assert_books(loan)
    with pytest.raises(TransitionRefused, match="ya fue reversado"):
        payment_reversal(requested_by=cast.ana, approved_by=cast.gerardo, payment=second, reason="Otra vez")
    with pytest.raises(Forbidden):
        reversal_request(user=cast.sofia, payment=first, reason="Otra oficina")
    with pytest.raises(ValidationFailed, match="motivo"):
        payment_reversal(requested_by=cast.ana, approved_by=cast.gerardo, payment=first, reason="  ")
    payment_reversal(
        requested_by=cast.ana, approved_by=cast.gerardo, payment=first, reason="Error de captura"
    )
    assert state(loan) == before
    assert JournalEntry.objects.count() == entries + 4
    assert_books(loan)


def test_reversing_a_prepayment_reactivates_the_previous_schedule(cast, loan):
    """Reversed after the loan kept accruing on the new table: the old table is active again and the
    accrual is what it would be had the payment never been made (moratorium on the restored late principal
    since the value date, the running period's original interest)."""
    accrue(loan, JUL_6)
    with transaction.atomic():  # what the loan looks like on 15/07 without the payment
        accrue(loan, TODAY)
        never_paid = state(loan)
        transaction.set_rollback(True)
    payment = pay(
        cast,
        loan,
        owed_on(loan, JUL_6) + Decimal("2000000.00"),
        JUL_6,
        "anticipado",
        prepayment=True,
        notified_on=dt.date(2026, 7, 2),
    )
    assert state(loan)["version"] == 2
    accrue(loan, TODAY)  # the close keeps accruing on the new table before the reversal
    payment_reversal(
        requested_by=cast.ana, approved_by=cast.gerardo, payment=payment, reason="Transferencia rechazada"
    )
    assert state(loan) == {**never_paid, "version": 1}
    assert loan.schedule_versions.count() == 2
    assert_books(loan)
    # the next payment is applied on the original table again
    again = pay(cast, loan, "1000.00", TODAY, "después")
    assert again.allocation[0] == {
        "concept": "intereses_moratorios",
        "installment": 1,
        "amount": "1000.00",
        "status_before": "pending",
    }
    assert_books(loan)


def test_paying_everything_off(cast, applicant, sample_rates):
    from filon.origination.services import file_create

    file = file_create(
        user=cast.ana,
        applicant=applicant,
        proposal=proposal_data(
            amount=Decimal("3000000"), investment_program=Decimal("3500000"), term_months=3, grace_months=0
        ),
    )
    to_ready(cast, file)
    loan = loan_create_from_file(user=cast.ana, file=file)
    commission_pay(user=cast.ana, loan=loan, value_date=DISBURSED)
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=Decimal("3000000"),
        value_date=DISBURSED,
    )
    accrue(loan, TODAY)
    payment = pay(cast, loan, owed_on(loan, TODAY), TODAY, "liquidación")
    loan.refresh_from_db()
    assert (loan.status, loan.paid_off_on) == (LoanStatus.PAID_OFF, TODAY)
    assert (loan.principal_balance, loan.accrued_interest, loan.accrued_moratorium) == (0, 0, 0)
    assert loan_balances(loan.pk) == {}
    assert_books(loan)
    with pytest.raises(TransitionRefused, match="liquidado desde el 15/07/2026; no admite más pagos"):
        pay(cast, loan, "1.00", TODAY, "otro")
    payment_reversal(
        requested_by=cast.ana, approved_by=cast.gerardo, payment=payment, reason="Depósito no identificado"
    )
    loan.refresh_from_db()
    assert (loan.status, loan.paid_off_on) == (LoanStatus.ACTIVE, None)
    assert_books(loan)


# ------------------------------------------------------------------------------ statement and command


def test_statement_shows_the_ledger_beside_the_position(cast, loan):
    pay(cast, loan, "250000.00", TODAY, "edo-1")
    statement = loan_statement(loan=loan)
    loan.refresh_from_db()
    ledger = loan_balances(loan.pk)
    assert statement.balanced
    by_account = {b.account: b for b in statement.balances}
    assert by_account[chart.CARTERA_VIGENTE].ledger == ledger[chart.CARTERA_VIGENTE] == loan.principal_balance
    assert by_account[chart.INTERESES_DEVENGADOS].ledger == ledger[chart.INTERESES_DEVENGADOS]
    assert chart.INTERESES_MORATORIOS not in by_account  # paid first, nothing left
    assert statement.principal_balance == loan.principal_balance
    assert [m.kind for m in statement.movements] == ["comision_apertura", "ministracion", "devengo", "pago"]
    assert [m.principal_balance for m in statement.movements] == [0, AMOUNT, AMOUNT, loan.principal_balance]
    payment_move = statement.movements[-1]
    assert sum(line.debit for line in payment_move.lines) == sum(line.credit for line in payment_move.lines)
    assert [p.number for p in statement.next_payments] == [1, 2, 3, 4, 5, 6]  # late ones, then the next 3
    late = statement.next_payments[0]
    assert late.total == late.principal + late.interest + late.moratorium
    assert late.payable == MAY_6
    assert statement.total_due == sum((p.total for p in statement.next_payments[:3]), ZERO)
    (line,) = statement.payments
    assert line.allocation[0].label == "Intereses moratorios"
    assert sum((a.amount for a in line.allocation), ZERO) == Decimal("250000.00")
    assert (statement.number, statement.currency) == (loan.number, "MXN")


def test_ledger_command_checks_the_books(cast, loan, capsys):
    pay(cast, loan, "250000.00", TODAY, "cmd-1")
    call_command("ledger", "check")
    out = capsys.readouterr().out
    assert f"Libros cuadrados: {JournalEntry.objects.count()} pólizas, 1 créditos" in out
    call_command("ledger", "balance")
    assert "Sumas iguales" in capsys.readouterr().out

    entry = JournalEntry.objects.create(
        business_date=TODAY, kind="manual", description="Póliza rota a propósito", loan=loan
    )
    Posting.objects.create(
        entry=entry,
        account=Account.objects.get(code=chart.BANCOS, currency="MXN"),
        currency="MXN",
        amount=Decimal("1.00"),
    )
    with pytest.raises(CommandError) as exc:
        call_command("ledger", "check")
    assert exc.value.returncode == 1
    out = capsys.readouterr().out
    assert f"Póliza descuadrada: la póliza {entry.pk} no cuadra en MXN: 1" in out


# ------------------------------------------------------------------------------------- concurrency


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql  # row locks and concurrent connections; SQLite serializes writers anyway
def test_twenty_simultaneous_payments_on_one_loan(cast, loan):
    assert connection.vendor == "postgresql", "run this test only on the PostgreSQL tier (marker postgresql)"
    accrue(loan, TODAY)

    def owed() -> Decimal:
        loan.refresh_from_db()
        return loan.principal_balance + loan.accrued_interest + loan.accrued_moratorium

    def post_all(keys: list[str]) -> tuple[list[int], list[BaseException]]:
        barrier = threading.Barrier(len(keys))
        ids: list[int] = []
        errors: list[BaseException] = []

        def post(key: str) -> None:
            try:
                barrier.wait()
                ids.append(pay(cast, Loan.objects.get(pk=loan.pk), "1000.00", TODAY, key).pk)
            except BaseException as exc:
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=post, args=(key,)) for key in keys]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return ids, errors

    start = owed()
    ids, errors = post_all([f"simultáneo-{n}" for n in range(20)])
    assert errors == []
    assert len(set(ids)) == 20
    assert Payment.objects.filter(loan=loan).count() == 20
    assert start - owed() == Decimal("20000.00")
    assert_books(loan)

    ids, errors = post_all(["la-misma-clave"] * 20)
    assert errors == []
    assert len(set(ids)) == 1
    assert Payment.objects.filter(loan=loan).count() == 21
    assert start - owed() == Decimal("21000.00")
    assert JournalEntry.objects.filter(loan=loan, kind="pago").count() == 21
    assert_books(loan)
