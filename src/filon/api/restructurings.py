"""Restructurings of a loan (Rules 15; committee powers 17.2 b, 17.3 b): the loan's requests to committee,
proposing a restructuring (the new schedule preview and the engine's evaluation come back), and applying it
once the committee authorized it (once per Idempotency-Key). Every write is one servicing service, as on
the web pages; the committee votes it through the committees endpoints (`/committees/sessions/{id}/loan-requests`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from filon.api.loans import IDEMPOTENCY_KEY, ONCE, DateIn, ErrorOut, _created, _idempotency_key, _In
from filon.errors import NotFound
from filon.origination.models import LoanRequest
from filon.origination.services import GuaranteeData, loan_request_withdraw
from filon.servicing.restructuring import RestructuringTerms, restructuring_apply, restructuring_propose
from filon.servicing.selectors import loan_get_for_user, loan_requests_for_loan

router = Router(tags=["créditos"])

RateIn = Field(None, ge=0, le=1, description="Tasa anual como fracción: 0.035 = 3.5 %")


class NewGuaranteeIn(_In):
    type: str = Field(..., max_length=40)
    owner: str = Field(..., max_length=200)
    description: str = Field(..., max_length=500)
    value: Decimal = Field(..., gt=0, max_digits=16, decimal_places=2)
    appraisal_date: DateIn | None = None
    appraiser: str = Field("", max_length=200)
    lien_rank: int = Field(1, ge=1, le=9)


class RestructuringIn(_In):
    term_months: int = Field(..., ge=1, le=360)
    grace_months: int = Field(0, ge=0, le=120)
    payment_every_months: int = Field(1, ge=1, le=12)
    amortization: str = Field("equal_principal", json_schema_extra={"enum": ["equal_principal", "growing"]})
    growth_rate: Decimal | None = RateIn
    spread: Decimal | None = RateIn
    fixed_rate: Decimal | None = RateIn
    release_guarantee_ids: list[int] = Field(default_factory=list, max_length=50)
    new_guarantees: list[NewGuaranteeIn] = Field(default_factory=list, max_length=20)
    reason: str = Field(..., min_length=1, max_length=2000)


class LoanRequestOut(Schema):
    id: int
    kind: str
    kind_label: str
    loan_number: str
    file_id: int
    status: str
    status_label: str
    committee: str
    committee_rule: str
    currency: str
    principal_balance: Decimal
    principal_balance_usd: Decimal
    fx_usd_mxn: Decimal
    as_of: dt.date
    reason: str
    proposal: dict[str, Any]
    evaluation: dict[str, Any]
    agreement_number: str
    requested_by: str
    requested_at: dt.datetime
    applied_at: dt.datetime | None
    application: dict[str, Any]
    sustained_payment_pending: bool


def _out(r: LoanRequest) -> LoanRequestOut:
    return LoanRequestOut(
        id=r.pk,
        kind=r.kind,
        kind_label=r.get_kind_display(),
        loan_number=r.loan_number,
        file_id=r.file_id,
        status=r.status,
        status_label=r.get_status_display(),
        committee=r.committee,
        committee_rule=r.committee_rule,
        currency=r.currency,
        principal_balance=r.principal_balance,
        principal_balance_usd=r.principal_balance_usd,
        fx_usd_mxn=r.fx_usd_mxn,
        as_of=r.as_of,
        reason=r.reason,
        proposal=r.proposal,
        evaluation=r.evaluation,
        agreement_number=r.agreement_number,
        requested_by=r.requested_by.username,
        requested_at=r.requested_at,
        applied_at=r.applied_at,
        application=r.application,
        sustained_payment_pending=r.sustained_payment_pending,
    )


@router.get(
    "/loans/{loan_id}/requests",
    response=list[LoanRequestOut],
    summary="Solicitudes a comité del crédito (reestructuras y castigos)",
)
def loan_requests(request: HttpRequest, loan_id: int) -> list[LoanRequestOut]:
    loan = loan_get_for_user(user=request.user, loan_id=loan_id)  # type: ignore[arg-type]
    return [_out(r) for r in loan_requests_for_loan(loan)]


@router.post(
    "/loans/{loan_id}/restructurings",
    response={201: LoanRequestOut},
    summary="Propone una reestructura al comité con facultades sobre el saldo de capital (17.2 b, 17.3 b)",
)
def restructuring_new(request: HttpRequest, loan_id: int, payload: RestructuringIn) -> Status:
    loan = loan_get_for_user(user=request.user, loan_id=loan_id)  # type: ignore[arg-type]
    terms = RestructuringTerms(
        term_months=payload.term_months,
        grace_months=payload.grace_months,
        payment_every_months=payload.payment_every_months,
        amortization=payload.amortization,
        growth_rate=payload.growth_rate,
        spread=payload.spread,
        fixed_rate=payload.fixed_rate,
        release_guarantee_ids=tuple(payload.release_guarantee_ids),
        new_guarantees=tuple(GuaranteeData(**g.dict()) for g in payload.new_guarantees),
    )
    created = restructuring_propose(
        user=request.user,  # type: ignore[arg-type]
        loan=loan,
        terms=terms,
        reason=payload.reason,
    )
    return Status(201, _out(created))


class ApplyIn(_In):
    value_date: DateIn | None = None


@router.post(
    "/loans/{loan_id}/restructurings/{request_id}/apply",
    response={200: LoanRequestOut, 201: LoanRequestOut, 409: ErrorOut},
    summary="Aplica la reestructura autorizada: nueva tabla de amortización (sin capitalizar intereses)",
    description=ONCE,
)
def restructuring_apply_now(
    request: HttpRequest,
    loan_id: int,
    request_id: int,
    payload: ApplyIn,
    idempotency_key: str = IDEMPOTENCY_KEY,
) -> Status:
    loan = loan_get_for_user(user=request.user, loan_id=loan_id)  # type: ignore[arg-type]
    found = next((r for r in loan_requests_for_loan(loan) if r.pk == request_id), None)
    if found is None:
        raise NotFound("No existe la solicitud sobre este crédito.", field="request_id")
    applied = restructuring_apply(
        user=request.user,  # type: ignore[arg-type]
        loan=loan,
        request=found,
        value_date=payload.value_date,
        idempotency_key=_idempotency_key(idempotency_key),
    )
    status = _created(applied)
    found.refresh_from_db()
    return Status(status, _out(found))


class WithdrawIn(_In):
    reason: str = Field(..., min_length=1, max_length=2000)


@router.post(
    "/loans/{loan_id}/requests/{request_id}/withdraw",
    response=LoanRequestOut,
    summary="Retira una solicitud a comité aún no aplicada (quien la pidió o el gerente regional)",
)
def loan_request_withdraw_now(
    request: HttpRequest, loan_id: int, request_id: int, payload: WithdrawIn
) -> LoanRequestOut:
    loan = loan_get_for_user(user=request.user, loan_id=loan_id)  # type: ignore[arg-type]
    found = next((r for r in loan_requests_for_loan(loan) if r.pk == request_id), None)
    if found is None:
        raise NotFound("No existe la solicitud sobre este crédito.", field="request_id")
    return _out(loan_request_withdraw(user=request.user, request=found, reason=payload.reason))  # type: ignore[arg-type]
