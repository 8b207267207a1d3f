"""The closing of a loan: the write-off request to the committee, the committee's write-off applied (the
guarantee funds pay first), recoveries on a written-off loan, the carta de finiquito of a liquidado loan and
the legal release of its guarantees.

Reads go through `loan_get_for_user` (another office's loan is a 404); writes are the servicing services the
closing page calls (`servicing.writeoff`, `servicing.payoff`). The write-off and the recoveries move money:
they require an `Idempotency-Key` header (201 performed, 200 the replay, 409 other data under the key).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from filon.api.loans import (
    IDEMPOTENCY_KEY,
    ONCE,
    DateIn,
    ErrorOut,
    MoneyIn,
    _created,
    _idempotency_key,
    _In,
    _loan,
    _money,
)
from filon.documents import pdf
from filon.documents.services import document_issued
from filon.errors import NotFound
from filon.origination.models import FileGuarantee, LoanRequest
from filon.servicing.models import GuaranteeRelease, Recovery, WriteOff
from filon.servicing.payoff import guarantee_release_record
from filon.servicing.writeoff import (
    recovery_record,
    write_off_apply,
    write_off_request_create,
    write_off_request_get,
    written_off_outstanding,
)

router = Router(tags=["cierre de créditos"])


class WriteOffRequestIn(_In):
    reason: str = Field(..., max_length=5000, description="Por qué el crédito es incobrable")


class WriteOffRequestOut(Schema):
    id: int
    loan_number: str
    committee: str
    committee_rule: str
    principal_balance: Decimal
    status: str


@router.post(
    "/loans/{loan_id}/write-off-requests",
    response={201: WriteOffRequestOut},
    summary="Solicita al comité con facultades (R-17) el castigo del crédito",
)
def write_off_request_post(request: HttpRequest, loan_id: int, payload: WriteOffRequestIn) -> Status:
    asked: LoanRequest = write_off_request_create(
        user=request.user,  # type: ignore[arg-type]
        loan=_loan(request, loan_id),
        reason=payload.reason,
    )
    return Status(
        201,
        WriteOffRequestOut(
            id=asked.pk,
            loan_number=asked.loan_number,
            committee=asked.committee,
            committee_rule=asked.committee_rule,
            principal_balance=_money(asked.principal_balance),
            status=asked.status,
        ),
    )


class WriteOffIn(_In):
    request_id: int = Field(..., description="La solicitud de castigo autorizada por el comité")
    on: DateIn | None = Field(None, description="Fecha del castigo (por omisión, hoy)")


class WriteOffOut(Schema):
    loan_id: int
    request_id: int
    business_date: dt.date
    fund_cover: Decimal = Field(..., description="Pagado antes por los fondos de garantía")
    unapplied_used: Decimal = Field(..., description="Pagos por aplicar usados")
    principal: Decimal
    interest: Decimal
    moratorium: Decimal
    total: Decimal = Field(..., description="Total castigado")
    outstanding: Decimal = Field(..., description="Castigado pendiente de recuperar")


def _write_off_out(done: WriteOff) -> WriteOffOut:
    return WriteOffOut(
        loan_id=done.loan_id,
        request_id=done.request_id,
        business_date=done.business_date,
        fund_cover=_money(done.fund_cover),
        unapplied_used=_money(done.unapplied_used),
        principal=_money(done.principal),
        interest=_money(done.interest),
        moratorium=_money(done.moratorium),
        total=_money(done.total),
        outstanding=_money(written_off_outstanding(done.loan)),
    )


@router.post(
    "/loans/{loan_id}/write-off",
    response={200: WriteOffOut, 201: WriteOffOut, 409: ErrorOut},
    summary="Aplica el castigo autorizado por el comité (los fondos de garantía pagan primero)",
    description=ONCE,
)
def write_off_post(
    request: HttpRequest, loan_id: int, payload: WriteOffIn, idempotency_key: str = IDEMPOTENCY_KEY
) -> Status:
    loan = _loan(request, loan_id)
    done = write_off_apply(
        user=request.user,  # type: ignore[arg-type]
        loan=loan,
        request=write_off_request_get(loan, payload.request_id),
        idempotency_key=_idempotency_key(idempotency_key),
        on=payload.on,
    )
    return Status(_created(done), _write_off_out(done))


class RecoveryIn(_In):
    amount: MoneyIn
    value_date: DateIn


class RecoveryOut(Schema):
    id: int
    loan_id: int
    value_date: dt.date
    amount: Decimal
    outstanding: Decimal = Field(..., description="Castigado pendiente de recuperar")


@router.post(
    "/loans/{loan_id}/recoveries",
    response={200: RecoveryOut, 201: RecoveryOut, 409: ErrorOut},
    summary="Registra una recuperación de cartera castigada (ingreso; no reabre el adeudo)",
    description=ONCE,
)
def recovery_post(
    request: HttpRequest, loan_id: int, payload: RecoveryIn, idempotency_key: str = IDEMPOTENCY_KEY
) -> Status:
    loan = _loan(request, loan_id)
    recovery: Recovery = recovery_record(
        user=request.user,  # type: ignore[arg-type]
        loan=loan,
        amount=payload.amount,
        value_date=payload.value_date,
        idempotency_key=_idempotency_key(idempotency_key),
    )
    return Status(
        _created(recovery),
        RecoveryOut(
            id=recovery.pk,
            loan_id=loan.pk,
            value_date=recovery.value_date,
            amount=_money(recovery.amount),
            outstanding=_money(written_off_outstanding(loan)),
        ),
    )


@router.get(
    "/loans/{loan_id}/payoff-letter",
    response={200: None},
    summary="Carta de finiquito (PDF) de un crédito liquidado",
)
def payoff_letter(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = _loan(request, loan_id)
    content = pdf.render_pdf(pdf.payoff_letter_html(loan=loan, user=request.user))  # type: ignore[arg-type]
    filename = f"carta-de-finiquito-{''.join(c for c in loan.number if c.isalnum() or c == '-')}.pdf"
    document_issued(
        user=request.user,  # type: ignore[arg-type]
        document="payoff_letter_pdf",
        obj=loan,
        filename=filename,
        office=loan.office,
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get(
    "/loans/{loan_id}/payments/{payment_id}/receipt",
    response={200: None},
    summary="Recibo de pago (PDF): importe, aplicación, saldo de capital después del pago; «Cancelado» si se "
    "reversó",
)
def payment_receipt(request: HttpRequest, loan_id: int, payment_id: int) -> HttpResponse:
    loan = _loan(request, loan_id)
    payment = loan.payments.filter(pk=payment_id).first()
    if payment is None:
        raise NotFound("No existe el pago en este crédito.", field="payment_id")
    content = pdf.render_pdf(pdf.payment_receipt_html(payment=payment, user=request.user))  # type: ignore[arg-type]
    filename = f"recibo-{''.join(c for c in pdf.payment_folio(payment) if c.isalnum() or c == '-')}.pdf"
    document_issued(
        user=request.user,  # type: ignore[arg-type]
        document="payment_receipt_pdf",
        obj=payment,
        filename=filename,
        office=loan.office,
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ReleaseIn(_In):
    released_on: DateIn
    instrument: str = Field(..., max_length=200)
    notes: str = Field("", max_length=2000)


class ReleaseOut(Schema):
    id: int
    loan_id: int
    guarantee_id: int
    released_on: dt.date
    instrument: str
    notes: str


@router.post(
    "/loans/{loan_id}/guarantees/{guarantee_id}/release",
    response={201: ReleaseOut},
    summary="Registra la liberación de una garantía de un crédito liquidado (área jurídica)",
)
def guarantee_release_post(
    request: HttpRequest, loan_id: int, guarantee_id: int, payload: ReleaseIn
) -> Status:
    loan = _loan(request, loan_id)
    guarantee = FileGuarantee.objects.filter(pk=guarantee_id, file_id=loan.file_id).first()
    if guarantee is None:
        raise NotFound("No existe la garantía en el expediente del crédito.")
    release: GuaranteeRelease = guarantee_release_record(
        user=request.user,  # type: ignore[arg-type]
        loan=loan,
        guarantee=guarantee,
        released_on=payload.released_on,
        instrument=payload.instrument,
        notes=payload.notes,
    )
    return Status(
        201,
        ReleaseOut(
            id=release.pk,
            loan_id=loan.pk,
            guarantee_id=guarantee.pk,
            released_on=release.released_on,
            instrument=release.instrument,
            notes=release.notes,
        ),
    )
