"""Four eyes on a loan's money (`servicing.release`): a ministración is captured by one user and released by
another; a payment's reversal is requested by one user and approved by another. Each refusal says why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from conftest import _user, proposal_data, to_ready
from filon.audit.models import AuditRecord
from filon.core.calendar import MEXICO_CITY
from filon.demo.scenarios import loan_disburse
from filon.errors import Forbidden, TransitionRefused, ValidationFailed
from filon.idempotency.services import replayed
from filon.ledger.models import JournalEntry
from filon.ledger.services import day_close, ledger_check
from filon.servicing.duties import FOUR_EYES
from filon.servicing.models import (
    Disbursement,
    DisbursementOrder,
    Loan,
    LoanTask,
    OrderStatus,
    PaymentStatus,
    ReversalStatus,
)
from filon.servicing.payments import payment_apply
from filon.servicing.release import (
    disbursement_cancel,
    disbursement_capture,
    disbursement_release,
    reversal_approve,
    reversal_reject,
    reversal_request,
)
from filon.servicing.selectors import disbursements_to_release, reversals_to_approve
from filon.servicing.services import commission_pay, loan_create_from_file

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 7, 15)  # a Wednesday
YESTERDAY = dt.date(2026, 7, 14)
AMOUNT = Decimal("12000000")


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
    return commission_pay(user=cast.ana, loan=loan, value_date=YESTERDAY)


@pytest.fixture
def hector(cast):
    """The Hermosillo manager: a releasing role, of another office."""
    return _user("hector.son", "gerente_regional", cast.hmo)


def _capture(user, loan, amount=AMOUNT, on=TODAY, key=None):
    return disbursement_capture(user=user, loan=loan, amount=amount, value_date=on, idempotency_key=key)


def _actions(obj) -> list[str]:
    return list(
        AuditRecord.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


# ------------------------------------------------------------------------------------- disbursements


def test_a_capture_posts_nothing_and_creates_no_obligations(cast, loan):
    entries = JournalEntry.objects.count()
    order = _capture(cast.ana, loan)
    assert order.status == OrderStatus.CAPTURED
    assert order.captured_by == cast.ana
    assert JournalEntry.objects.count() == entries
    assert not Disbursement.objects.filter(loan=loan).exists()
    assert not LoanTask.objects.filter(loan=loan).exists()
    loan.refresh_from_db()
    assert loan.principal_balance == 0
    assert loan.first_disbursed_on is None
    assert _actions(order) == ["disbursement_order.capture"]


def test_the_capture_is_checked_as_a_disbursement_is(cast, loan):
    with pytest.raises(ValidationFailed, match="excede el monto contratado"):
        _capture(cast.ana, loan, amount=AMOUNT + 1)
    with pytest.raises(ValidationFailed, match="16/07/2026 no se admite"):
        _capture(cast.ana, loan, on=TODAY + dt.timedelta(days=1))
    with pytest.raises(Forbidden):
        _capture(cast.sofia, loan)
    with pytest.raises(Forbidden):
        _capture(cast.omar, loan)  # the Dirección releases, it does not capture
    assert not DisbursementOrder.objects.exists()


@pytest.mark.parametrize("capturer", ["ana", "gerardo"])
def test_the_capturer_cannot_release_and_is_told_why(cast, loan, capturer):
    user = getattr(cast, capturer)
    order = _capture(user, loan)
    with pytest.raises(TransitionRefused) as refused:
        disbursement_release(user=user, order=order)
    assert refused.value.field == "released_by"
    assert refused.value.message == (
        f"Usted capturó esta orden de ministración: otra persona debe liberarla ({FOUR_EYES})."
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.CAPTURED
    assert not Disbursement.objects.filter(loan=loan).exists()


def test_another_user_releases_posts_once_and_the_books_balance(cast, loan):
    order = _capture(cast.ana, loan)
    released = disbursement_release(user=cast.gerardo, order=order, idempotency_key="liberar-1")
    assert not replayed(released)
    assert released.status == OrderStatus.RELEASED
    assert released.released_by == cast.gerardo
    assert released.released_at is not None
    disbursement = Disbursement.objects.get(loan=loan)
    assert released.disbursement == disbursement
    assert released.entry_id == disbursement.entry_id
    assert disbursement.amount == AMOUNT
    assert disbursement.value_date == TODAY
    assert JournalEntry.objects.filter(loan_id=loan.pk, kind="ministracion").count() == 1
    loan.refresh_from_db()
    assert loan.principal_balance == AMOUNT
    assert loan.first_disbursed_on == TODAY
    assert LoanTask.objects.filter(loan=loan).exists()  # the first disbursement's obligations, at release
    assert ledger_check() == []
    assert _actions(order) == ["disbursement_order.capture", "disbursement_order.release"]

    again = disbursement_release(user=cast.gerardo, order=order, idempotency_key="liberar-1")
    assert replayed(again)
    assert again.pk == order.pk
    with pytest.raises(TransitionRefused, match="ya está liberada"):
        disbursement_release(user=cast.omar, order=order, idempotency_key="liberar-2")
    assert Disbursement.objects.filter(loan=loan).count() == 1
    assert JournalEntry.objects.filter(loan_id=loan.pk, kind="ministracion").count() == 1


def test_the_release_checks_everything_again(cast, loan):
    first = _capture(cast.ana, loan, amount=Decimal("7000000"))
    second = _capture(cast.ana, loan, amount=Decimal("7000000"))  # each fits alone; both do not
    disbursement_release(user=cast.gerardo, order=first)
    with pytest.raises(ValidationFailed, match="excede el monto contratado"):
        disbursement_release(user=cast.gerardo, order=second)
    second.refresh_from_db()
    assert second.status == OrderStatus.CAPTURED

    late = _capture(cast.ana, loan, amount=Decimal("1000000"), on=YESTERDAY)
    day_close(YESTERDAY)  # the value date is closed meanwhile
    with pytest.raises(ValidationFailed, match="14/07/2026 no se admite"):
        disbursement_release(user=cast.gerardo, order=late)
    assert Disbursement.objects.filter(loan=loan).count() == 1


def test_a_captured_order_is_cancelled_with_its_reason(cast, loan, hector):
    order = _capture(cast.ana, loan)
    with pytest.raises(ValidationFailed, match="motivo de la cancelación"):
        disbursement_cancel(user=cast.ana, order=order, reason="  ")
    with pytest.raises(Forbidden):
        disbursement_cancel(user=hector, order=order, reason="Otra oficina")
    cancelled = disbursement_cancel(user=cast.ana, order=order, reason="Cuenta equivocada")
    assert (cancelled.status, cancelled.cancelled_by, cancelled.cancel_reason) == (
        OrderStatus.CANCELLED,
        cast.ana,
        "Cuenta equivocada",
    )
    with pytest.raises(TransitionRefused, match="ya está cancelada; no se puede liberar"):
        disbursement_release(user=cast.gerardo, order=order)
    assert _actions(order) == ["disbursement_order.capture", "disbursement_order.cancel"]

    other = _capture(cast.ana, loan)
    disbursement_cancel(user=cast.gerardo, order=other, reason="Sin soporte")  # a releaser cancels too
    third = _capture(cast.gerardo, loan)
    with pytest.raises(Forbidden):
        disbursement_cancel(user=cast.ana, order=third, reason="No es mía")  # an analyst, not the capturer


def test_wrong_role_or_office_cannot_release(cast, loan, hector):
    order = _capture(cast.gerardo, loan)
    with pytest.raises(Forbidden, match="no puede liberar ministraciones"):
        disbursement_release(user=cast.ana, order=order)  # an analyst
    with pytest.raises(Forbidden, match="no puede liberar ministraciones"):
        disbursement_release(user=cast.julia, order=order)
    with pytest.raises(Forbidden, match="otra gerencia regional"):
        disbursement_release(user=hector, order=order)
    assert not Disbursement.objects.filter(loan=loan).exists()
    disbursement_release(user=cast.omar, order=order)  # the Dirección, central
    assert Disbursement.objects.filter(loan=loan).count() == 1


def test_a_line_drawdown_is_captured_and_released_too(cast, loan):
    Loan.objects.filter(pk=loan.pk).update(
        is_revolving=True,
        line_expires_on=dt.date(2027, 7, 15),
        revolvency_min_days=30,
        revolvency_max_days=180,
    )
    loan.refresh_from_db()
    with pytest.raises(ValidationFailed, match="Cada disposición es de 30 a 180 días"):
        disbursement_capture(
            user=cast.ana, loan=loan, amount=Decimal("1000000"), value_date=TODAY, drawdown_days=5
        )
    order = disbursement_capture(
        user=cast.ana, loan=loan, amount=Decimal("1000000"), value_date=TODAY, drawdown_days=90
    )
    assert order.drawdown_days == 90
    released = disbursement_release(user=cast.gerardo, order=order)
    assert released.disbursement.due_date == TODAY + dt.timedelta(days=90)
    assert ledger_check() == []


# ------------------------------------------------------------------------------------------ reversals


@pytest.fixture
def paid(cast, loan):
    loan_disburse(loan, amount=AMOUNT, value_date=YESTERDAY, captured_by=cast.ana, released_by=cast.gerardo)
    return payment_apply(
        user=cast.ana, loan=loan, amount=Decimal("50000"), value_date=TODAY, idempotency_key="pago-1"
    )


def test_a_reversal_request_posts_nothing_and_the_requester_cannot_approve(cast, paid):
    entries = JournalEntry.objects.count()
    row = reversal_request(user=cast.gerardo, payment=paid, reason="Cheque devuelto")
    assert row.status == ReversalStatus.REQUESTED
    assert row.requested_by == cast.gerardo
    assert JournalEntry.objects.count() == entries
    with pytest.raises(TransitionRefused) as refused:
        reversal_approve(user=cast.gerardo, request=row)
    assert refused.value.message == (
        f"Usted solicitó esta reversa: otra persona debe aprobarla ({FOUR_EYES})."
    )
    assert refused.value.field == "decided_by"
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.APPLIED
    with pytest.raises(TransitionRefused, match="pendiente"):
        reversal_request(user=cast.ana, payment=paid, reason="Otra vez")


def test_another_user_approves_and_the_reversal_posts_once(cast, paid):
    row = reversal_request(user=cast.ana, payment=paid, reason="Cheque devuelto")
    with pytest.raises(Forbidden, match="no puede aprobar reversas"):
        reversal_approve(user=cast.julia, request=row)
    approved = reversal_approve(user=cast.gerardo, request=row, idempotency_key="aprobar-1")
    assert (approved.status, approved.decided_by) == (ReversalStatus.APPROVED, cast.gerardo)
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.REVERSED
    assert paid.reversal_reason == "Cheque devuelto"
    assert ledger_check() == []
    again = reversal_approve(user=cast.gerardo, request=row, idempotency_key="aprobar-1")
    assert replayed(again)
    with pytest.raises(TransitionRefused, match="ya está aprobada"):
        reversal_approve(user=cast.omar, request=row, idempotency_key="aprobar-2")
    assert JournalEntry.objects.filter(reverses=paid.entry).count() == 1
    assert _actions(row) == ["reversal_request.create", "reversal_request.approve"]


def test_a_reversal_request_is_rejected_with_its_reason(cast, paid, hector):
    row = reversal_request(user=cast.ana, payment=paid, reason="Depósito duplicado")
    with pytest.raises(ValidationFailed, match="motivo del rechazo"):
        reversal_reject(user=cast.gerardo, request=row, reason="")
    with pytest.raises(Forbidden):
        reversal_reject(user=hector, request=row, reason="Otra oficina")
    rejected = reversal_reject(user=cast.gerardo, request=row, reason="El depósito sí llegó")
    assert (rejected.status, rejected.rejection_reason) == (ReversalStatus.REJECTED, "El depósito sí llegó")
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.APPLIED
    with pytest.raises(TransitionRefused, match="ya está rechazada"):
        reversal_approve(user=cast.gerardo, request=row)
    # rejected, a new request may be made and approved
    again = reversal_request(user=cast.ana, payment=paid, reason="Ahora sí, devuelto")
    reversal_approve(user=cast.omar, request=again)
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.REVERSED


def test_a_reversal_is_checked_again_when_approved(cast, loan, paid):
    row = reversal_request(user=cast.ana, payment=paid, reason="Error de captura")
    payment_apply(
        user=cast.ana, loan=loan, amount=Decimal("1000"), value_date=TODAY, idempotency_key="pago-2"
    )
    with pytest.raises(TransitionRefused, match="Sólo se reversa el último pago"):
        reversal_approve(user=cast.gerardo, request=row)
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.APPLIED


# ------------------------------------------------------------------------------------------ selectors


def test_the_pending_queues_show_what_each_user_may_decide(cast, loan, hector):
    mine = _capture(cast.gerardo, loan, amount=Decimal("1000000"))
    theirs = _capture(cast.ana, loan, amount=Decimal("2000000"))
    assert list(disbursements_to_release(cast.gerardo)) == [theirs]
    assert list(disbursements_to_release(cast.omar)) == [mine, theirs]
    assert list(disbursements_to_release(cast.ana)) == []  # an analyst releases nothing
    assert list(disbursements_to_release(hector)) == []  # another office
    disbursement_release(user=cast.gerardo, order=theirs)
    assert list(disbursements_to_release(cast.gerardo)) == []

    payment = payment_apply(
        user=cast.ana, loan=loan, amount=Decimal("1000"), value_date=TODAY, idempotency_key="pago-s"
    )
    row = reversal_request(user=cast.ana, payment=payment, reason="Duplicado")
    assert list(reversals_to_approve(cast.gerardo)) == [row]
    assert list(reversals_to_approve(cast.omar)) == [row]
    assert list(reversals_to_approve(cast.ana)) == []
    assert list(reversals_to_approve(hector)) == []
    reversal_reject(user=cast.ana, request=row, reason="Me equivoqué")  # the requester withdraws it
    assert list(reversals_to_approve(cast.gerardo)) == []
