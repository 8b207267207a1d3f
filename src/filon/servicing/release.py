"""Four eyes on the money of a loan: one user captures or asks, another releases or approves.

- A ministración (or a revolving line's drawdown) is CAPTURED as a `DisbursementOrder`, checked as a
  disbursement is (`services.disbursement_validate`, the value-date rule included) and posting nothing. A
  user of a releasing role other than the capturer RELEASES it: everything is checked again under the
  loan's lock (the balance, the limits, the checks and the value date may have changed since the capture)
  and only then it is posted (`services.disbursement_post`: the ledger entry, the schedule, the first
  disbursement's obligations). The capturer or a releaser may CANCEL a captured order, with its reason.
- A payment's reversal is REQUESTED with its reason as a `ReversalRequest` (checked as a reversal is,
  posting nothing); a user of an approving role other than the requester APPROVES it (checked again and
  posted under the loan's lock, `payments.payment_reverse_post`) or either of them REJECTS it with a reason.

Who releases and approves (our reading of the roles: money leaves on a manager's word): the regional
manager of the loan's office or the central Dirección; an analyst captures and asks, never releases.
Every step is audited and money-moving steps are once per idempotency key, decided under the loan's lock.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from filon.accounts.access import require_another_person, require_office, require_role
from filon.accounts.models import User
from filon.audit.services import audit_record, audited, snapshot
from filon.errors import DomainError, NotFound, TransitionRefused, ValidationFailed
from filon.idempotency.services import once, scope_of
from filon.servicing.duties import CAPTURERS, FOUR_EYES, RELEASERS
from filon.servicing.models import (
    DisbursementOrder,
    Loan,
    OrderStatus,
    Payment,
    ReversalRequest,
    ReversalStatus,
)
from filon.servicing.payments import payment_reversal_check, payment_reverse_post
from filon.servicing.services import disbursement_post, disbursement_validate, lock_loan

ORDER_FIELDS = [
    "status",
    "amount",
    "value_date",
    "drawdown_days",
    "released_by",
    "released_at",
    "disbursement",
    "entry",
    "cancelled_by",
    "cancelled_at",
    "cancel_reason",
]
REQUEST_FIELDS = ["status", "payment", "reason", "decided_by", "decided_at", "rejection_reason"]


def four_eyes_refuse(*, user: User, actor_id: int | None, what: str, field: str) -> None:
    """Refuse `user` the second step of an operation it took the first step of: «Usted {what}» with the
    reason (`FOUR_EYES`), through the one segregation-of-duties check (`require_another_person`). Asked
    before the role, so whoever took the first step always hears why."""
    require_another_person(
        user, [actor_id], f"Usted {what}", field, control=FOUR_EYES, error=TransitionRefused
    )


def _reason(text: str, field: str, label: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise ValidationFailed([DomainError(f"Indique el {label}.", field=field)])
    return reason


# ------------------------------------------------------------------------------- disbursement orders


@transaction.atomic
def disbursement_capture(
    *,
    user: User,
    loan: Loan,
    amount: Decimal,
    value_date: date,
    drawdown_days: int | None = None,
    idempotency_key: str | None = None,
) -> DisbursementOrder:
    """Capture a ministración (a line's drawdown) to be released by another user: checked as a
    disbursement is, nothing posted. Once per key, decided under the loan's lock."""
    require_role(user, CAPTURERS, "capturar ministraciones")
    loan = lock_loan(loan)
    require_office(user, loan.office_id, "El crédito")
    days = drawdown_days if loan.is_revolving else None
    return once(
        operation="disbursement_capture",
        scope=scope_of(loan),
        key=idempotency_key,
        request={"amount": amount, "value_date": value_date, "drawdown_days": days},
        user=user,
        what="otra disposición de este crédito" if loan.is_revolving else "otra ministración de este crédito",
        perform=lambda: _capture(
            user=user, loan=loan, amount=amount, value_date=value_date, days=days, key=idempotency_key
        ),
    )


def _capture(
    *, user: User, loan: Loan, amount: Decimal, value_date: date, days: int | None, key: str | None
) -> DisbursementOrder:
    disbursement_validate(loan=loan, amount=amount, value_date=value_date, drawdown_days=days)
    order = DisbursementOrder.objects.create(
        loan=loan,
        amount=amount,
        value_date=value_date,
        drawdown_days=days,
        captured_by=user,
        idempotency_key=key or "",
    )
    audit_record(
        user=user,
        action="disbursement_order.capture",
        obj=order,
        after={**snapshot(order, ORDER_FIELDS), "loan": loan.number},
        office=loan.office,
    )
    return order


def _order_locked(order: DisbursementOrder, loan: Loan) -> DisbursementOrder:
    locked = DisbursementOrder.objects.select_for_update().filter(pk=order.pk, loan=loan).first()
    if locked is None:
        raise NotFound("No existe la orden de ministración en este crédito.", field="order")
    return locked


def _order_captured(order: DisbursementOrder, action: str) -> None:
    if order.status != OrderStatus.CAPTURED:
        raise TransitionRefused(
            f"La orden de ministración ya está {order.get_status_display().lower()}; no se puede {action}.",
            field="status",
        )


@transaction.atomic
def disbursement_release(
    *, user: User, order: DisbursementOrder, idempotency_key: str | None = None
) -> DisbursementOrder:
    """Release a captured order: another user than its capturer, of a releasing role and the loan's office,
    re-checks everything under the loan's lock and posts the disbursement. Once per key: the same request
    again returns the released order (`replayed`); an order already released is refused."""
    four_eyes_refuse(
        user=user,
        actor_id=order.captured_by_id,
        what="capturó esta orden de ministración: otra persona debe liberarla",
        field="released_by",
    )
    require_role(user, RELEASERS, "liberar ministraciones")
    loan = lock_loan(order.loan)
    require_office(user, loan.office_id, "El crédito")
    return once(
        operation="disbursement_release",
        scope=scope_of(loan),
        key=idempotency_key,
        request={"order": order.pk},
        user=user,
        what="otra liberación de este crédito",
        perform=lambda: _release(user=user, loan=loan, order=order),
    )


def _release(*, user: User, loan: Loan, order: DisbursementOrder) -> DisbursementOrder:
    order = _order_locked(order, loan)
    _order_captured(order, "liberar")
    with audited(
        user=user, action="disbursement_order.release", obj=order, fields=ORDER_FIELDS, office=loan.office
    ) as change:
        disbursement = disbursement_post(
            user=user,
            loan=loan,
            amount=order.amount,
            value_date=order.value_date,
            drawdown_days=order.drawdown_days,
        )
        order.status = OrderStatus.RELEASED
        order.released_by = user
        order.released_at = timezone.now()
        order.disbursement = disbursement
        order.entry_id = disbursement.entry_id
        order.save(update_fields=["status", "released_by", "released_at", "disbursement", "entry"])
        change.facts.update(loan=loan.number, captured_by=order.captured_by_id)
    return order


@transaction.atomic
def disbursement_cancel(*, user: User, order: DisbursementOrder, reason: str) -> DisbursementOrder:
    """Cancel a captured order with its reason: its capturer, or a user who could release it."""
    reason = _reason(reason, "reason", "motivo de la cancelación")
    loan = lock_loan(order.loan)
    require_office(user, loan.office_id, "El crédito")
    order = _order_locked(order, loan)
    if order.captured_by_id != user.pk:
        require_role(user, RELEASERS, "cancelar órdenes de ministración capturadas por otra persona")
    _order_captured(order, "cancelar")
    with audited(
        user=user, action="disbursement_order.cancel", obj=order, fields=ORDER_FIELDS, office=loan.office
    ):
        order.status = OrderStatus.CANCELLED
        order.cancelled_by = user
        order.cancelled_at = timezone.now()
        order.cancel_reason = reason
        order.save(update_fields=["status", "cancelled_by", "cancelled_at", "cancel_reason"])
    return order


# ------------------------------------------------------------------------------- reversal requests


@transaction.atomic
def reversal_request(
    *, user: User, payment: Payment, reason: str, idempotency_key: str | None = None
) -> ReversalRequest:
    """Ask for the reversal of the loan's latest applied payment, with its reason: checked as a reversal is,
    nothing posted; another user approves it. Once per key, decided under the loan's lock."""
    require_role(user, CAPTURERS, "solicitar reversas de pagos")
    loan = lock_loan(payment.loan)
    require_office(user, loan.office_id, "El crédito")
    return once(
        operation="reversal_request",
        scope=scope_of(loan),
        key=idempotency_key,
        request={"payment": payment.pk, "reason": reason},
        user=user,
        what="otra solicitud de reversa de este crédito",
        perform=lambda: _request(user=user, loan=loan, payment=payment, reason=reason, key=idempotency_key),
    )


def _request(*, user: User, loan: Loan, payment: Payment, reason: str, key: str | None) -> ReversalRequest:
    payment = Payment.objects.select_for_update().select_related("entry").get(pk=payment.pk)
    payment_reversal_check(loan=loan, payment=payment, reason=reason)
    if ReversalRequest.objects.filter(payment=payment, status=ReversalStatus.REQUESTED).exists():
        raise TransitionRefused(
            "Ya hay una solicitud de reversa pendiente de este pago: apruébela o recháquela primero.",
            field="payment",
        )
    row = ReversalRequest.objects.create(
        loan=loan, payment=payment, reason=reason.strip(), requested_by=user, idempotency_key=key or ""
    )
    audit_record(
        user=user,
        action="reversal_request.create",
        obj=row,
        after={**snapshot(row, REQUEST_FIELDS), "loan": loan.number},
        office=loan.office,
    )
    return row


def _request_locked(row: ReversalRequest, loan: Loan, action: str) -> ReversalRequest:
    locked = ReversalRequest.objects.select_for_update().filter(pk=row.pk, loan=loan).first()
    if locked is None:
        raise NotFound("No existe la solicitud de reversa en este crédito.", field="request")
    if locked.status != ReversalStatus.REQUESTED:
        raise TransitionRefused(
            f"La solicitud de reversa ya está {locked.get_status_display().lower()}; no se puede {action}.",
            field="status",
        )
    return locked


@transaction.atomic
def reversal_approve(
    *, user: User, request: ReversalRequest, idempotency_key: str | None = None
) -> ReversalRequest:
    """Approve a reversal request: another user than the requester, of an approving role and the loan's
    office; the reversal is checked again and posted under the loan's lock. Once per key."""
    four_eyes_refuse(
        user=user,
        actor_id=request.requested_by_id,
        what="solicitó esta reversa: otra persona debe aprobarla",
        field="decided_by",
    )
    require_role(user, RELEASERS, "aprobar reversas de pagos")
    loan = lock_loan(request.loan)
    require_office(user, loan.office_id, "El crédito")
    return once(
        operation="reversal_approve",
        scope=scope_of(loan),
        key=idempotency_key,
        request={"request": request.pk},
        user=user,
        what="otra aprobación de reversa de este crédito",
        perform=lambda: _approve(user=user, loan=loan, row=request),
    )


def _approve(*, user: User, loan: Loan, row: ReversalRequest) -> ReversalRequest:
    row = _request_locked(row, loan, "aprobar")
    with audited(
        user=user, action="reversal_request.approve", obj=row, fields=REQUEST_FIELDS, office=loan.office
    ) as change:
        payment = payment_reverse_post(user=user, loan=loan, payment=row.payment, reason=row.reason)
        row.status = ReversalStatus.APPROVED
        row.decided_by = user
        row.decided_at = timezone.now()
        row.save(update_fields=["status", "decided_by", "decided_at"])
        change.facts.update(loan=loan.number, reversal_entry=payment.reversal_entry_id)
    return row


@transaction.atomic
def reversal_reject(*, user: User, request: ReversalRequest, reason: str) -> ReversalRequest:
    """Reject a reversal request with its reason: a user who could approve it, or its requester (who
    withdraws it). Nothing is posted."""
    reason = _reason(reason, "rejection_reason", "motivo del rechazo")
    loan = lock_loan(request.loan)
    require_office(user, loan.office_id, "El crédito")
    if request.requested_by_id != user.pk:
        require_role(user, RELEASERS, "rechazar reversas solicitadas por otra persona")
    row = _request_locked(request, loan, "rechazar")
    with audited(
        user=user, action="reversal_request.reject", obj=row, fields=REQUEST_FIELDS, office=loan.office
    ):
        row.status = ReversalStatus.REJECTED
        row.decided_by = user
        row.decided_at = timezone.now()
        row.rejection_reason = reason
        row.save(update_fields=["status", "decided_by", "decided_at", "rejection_reason"])
    return row


def order_get(*, loan: Loan, order_id: int) -> DisbursementOrder:
    """The loan's order `order_id` (404 when it is another loan's)."""
    order = DisbursementOrder.objects.filter(pk=order_id, loan=loan).select_related("loan").first()
    if order is None:
        raise NotFound("No existe la orden de ministración en este crédito.", field="order")
    return order


def reversal_request_get(*, loan: Loan, request_id: int) -> ReversalRequest:
    """The loan's reversal request `request_id` (404 when it is another loan's)."""
    row = ReversalRequest.objects.filter(pk=request_id, loan=loan).select_related("loan", "payment").first()
    if row is None:
        raise NotFound("No existe la solicitud de reversa en este crédito.", field="request")
    return row
