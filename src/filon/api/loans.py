"""Loans under administration: creation from a file, terms and position, schedule, statement, commission,
disbursements, payments, reversals and post-disbursement obligations.

Every read goes through `loan_get_for_user` (another office's loan is a 404); every write is one servicing
service, the same the web pages call, so roles, office checks and the ledger are theirs.

Every request that moves money (commission, disbursement or drawdown, payment, reversal) requires an
`Idempotency-Key` header: the service decides under the loan's lock whether it performs the request (201),
replays the first one with that key (200) or refuses other data under it (409); see `filon.idempotency`.

Four eyes (`servicing.release`): a disbursement is captured as an order and released by another user; a
reversal is requested and approved by another user. The capturer or requester is refused the second step.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Header, Router, Schema, Status
from pydantic import BeforeValidator, ConfigDict, WithJsonSchema

from filon.core.calendar import today_mx
from filon.core.money import CENT, format_money
from filon.errors import DomainError, NotFound, ValidationFailed
from filon.idempotency.models import KEY_MAX
from filon.idempotency.services import HEADER, key_clean, replayed
from filon.ledger import chart
from filon.numbers import ascii_number
from filon.origination.selectors import file_get_for_user
from filon.servicing.models import (
    Classification,
    DisbursementOrder,
    Loan,
    LoanStatus,
    LoanTask,
    Payment,
    ReversalRequest,
)
from filon.servicing.payments import CONCEPT_LABELS, Applied, payment_apply
from filon.servicing.release import (
    disbursement_cancel,
    disbursement_capture,
    disbursement_release,
    order_get,
    reversal_approve,
    reversal_reject,
    reversal_request,
    reversal_request_get,
)
from filon.servicing.selectors import loan_get_for_user, loan_list_for_user, loan_payoff, loan_position
from filon.servicing.services import commission_pay, loan_create_from_file
from filon.servicing.statements import loan_statement_kept
from filon.servicing.tasks import task_complete

router = Router(tags=["créditos"])

IDEMPOTENCY_HEADER = HEADER

# Input guards that keep absurd values away from the database (the services decide everything else):
# a money amount fits the ledger's columns, a date is one a loan can carry.
MoneyIn = Annotated[
    Decimal,
    BeforeValidator(ascii_number),
    Field(max_digits=16),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([0-9]{1,14}|[0-9]{1,3}(,[0-9]{3}){1,4})(\.[0-9]{1,2})?$",
            "description": 'Importe en la moneda del crédito, como texto con punto decimal: "150000.00" o '
            '"150,000.00"',
        }
    ),
]
DateIn = Annotated[dt.date, Field(ge=dt.date(2000, 1, 1), le=dt.date(2099, 12, 31))]


def _money(amount: Decimal) -> Decimal:
    """Amounts leave the API with two decimals ("1234.50"), as the ledger keeps them."""
    return amount.quantize(CENT)


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Schema):
    field: str | None
    message: str
    rule: str | None


class ErrorOut(Schema):
    detail: list[ErrorDetail]


# Every request that moves money carries an Idempotency-Key (`filon.idempotency`): the first call performs
# it (201), the same call again returns its result (200), the same key with other data is refused (409).
IDEMPOTENCY_KEY = Header(
    ...,
    alias=IDEMPOTENCY_HEADER,
    min_length=1,
    max_length=KEY_MAX,
    description="Una clave única por operación: repetir la solicitud con la misma clave no mueve el dinero "
    "dos veces (200 con el primer resultado); la misma clave con otros datos es un conflicto (409)",
)
ONCE = (
    "Una vez por clave (encabezado Idempotency-Key): 201 al registrarla, 200 con el mismo resultado si se "
    "repite la solicitud; la misma clave con otros datos es un conflicto (409)"
)


def _idempotency_key(raw: str) -> str:
    return key_clean(raw, field=IDEMPOTENCY_HEADER)


def _created(result: Any) -> int:
    """201 for what this request performed, 200 for the replay of an earlier one with the same key."""
    return 200 if replayed(result) else 201


# ------------------------------------------------------------------------------------------- output


class PositionLine(Schema):
    account: str
    name: str
    amount: Decimal = Field(..., description="Saldo por cuenta del crédito, cargo positivo")


class LoanOut(Schema):
    id: int
    number: str
    file_id: int | None
    applicant_id: int
    borrower: str
    office: str
    program: str
    credit_type: str
    currency: str
    ruleset_version: str
    contracted_amount: Decimal
    contract_date: dt.date
    base_series: str
    spread: Decimal
    fixed_rate: Decimal | None
    moratorium_factor: Decimal
    term_months: int
    grace_months: int
    payment_every_months: int
    amortization: str
    is_revolving: bool
    line_expires_on: dt.date | None
    opening_commission: Decimal
    opening_commission_iva: Decimal
    opening_commission_paid_on: dt.date | None
    status: str
    status_label: str
    classification: str
    principal_balance: Decimal
    accrued_interest: Decimal
    accrued_moratorium: Decimal
    unapplied_balance: Decimal
    days_past_due: int
    first_disbursed_on: dt.date | None
    maturity_date: dt.date | None
    accrued_through: dt.date | None
    paid_off_on: dt.date | None = Field(..., description="Fecha de liquidación (estado «Liquidado»)")
    written_off_on: dt.date | None = Field(None, description="Fecha del castigo (estado «Castigado»)")
    position: list[PositionLine]


def _loan_out(loan: Loan) -> LoanOut:
    names = {spec.code: spec.name for spec in chart.CHART}
    return LoanOut(
        id=loan.pk,
        number=loan.number,
        file_id=loan.file_id,
        applicant_id=loan.applicant_id,
        borrower=loan.applicant.name,
        office=loan.office.code,
        program=loan.program,
        credit_type=loan.credit_type,
        currency=loan.currency,
        ruleset_version=loan.ruleset_version,
        contracted_amount=_money(loan.contracted_amount),
        contract_date=loan.contract_date,
        base_series=loan.base_series,
        spread=loan.spread,
        fixed_rate=loan.fixed_rate,
        moratorium_factor=loan.moratorium_factor,
        term_months=loan.term_months,
        grace_months=loan.grace_months,
        payment_every_months=loan.payment_every_months,
        amortization=loan.amortization,
        is_revolving=loan.is_revolving,
        line_expires_on=loan.line_expires_on,
        opening_commission=_money(loan.opening_commission),
        opening_commission_iva=_money(loan.opening_commission_iva),
        opening_commission_paid_on=loan.opening_commission_paid_on,
        status=loan.status,
        status_label=loan.get_status_display(),
        classification=loan.classification,
        principal_balance=_money(loan.principal_balance),
        accrued_interest=_money(loan.accrued_interest),
        accrued_moratorium=_money(loan.accrued_moratorium),
        unapplied_balance=_money(loan.unapplied_balance),
        days_past_due=loan.days_past_due,
        first_disbursed_on=loan.first_disbursed_on,
        maturity_date=loan.maturity_date,
        accrued_through=loan.accrued_through,
        paid_off_on=loan.paid_off_on,
        written_off_on=loan.written_off_on,
        position=[
            PositionLine(account=code, name=names.get(code, code), amount=_money(amount))
            for code, amount in loan_position(loan).items()
        ],
    )


def _loan(request: HttpRequest, loan_id: int) -> Loan:
    return loan_get_for_user(user=request.user, loan_id=loan_id)  # type: ignore[arg-type]


def _fresh(request: HttpRequest, loan: Loan) -> LoanOut:
    return _loan_out(_loan(request, loan.pk))


# ------------------------------------------------------------------------------------- loans: reads


@router.post(
    "/files/{file_id}/loan",
    response={201: LoanOut},
    summary="Da de alta el crédito de un expediente listo para disponer",
)
def loan_create(request: HttpRequest, file_id: int) -> Status:
    file = file_get_for_user(user=request.user, file_id=file_id)  # type: ignore[arg-type]
    loan = loan_create_from_file(user=request.user, file=file)  # type: ignore[arg-type]
    return Status(201, _fresh(request, loan))


@router.get("/loans", response=list[LoanOut], summary="Créditos de su gerencia (o de todas, roles centrales)")
def loan_list(
    request: HttpRequest,
    status: LoanStatus | None = None,
    classification: Classification | None = None,
) -> list[LoanOut]:
    qs = loan_list_for_user(user=request.user)  # type: ignore[arg-type]
    if status:
        qs = qs.filter(status=status)
    if classification:
        qs = qs.filter(classification=classification)
    return [_loan_out(loan) for loan in qs.order_by("number")[:500]]


@router.get("/loans/{loan_id}", response=LoanOut, summary="Un crédito: condiciones pactadas y posición")
def loan_detail(request: HttpRequest, loan_id: int) -> LoanOut:
    return _loan_out(_loan(request, loan_id))


class PayoffOut(Schema):
    on: dt.date
    principal: Decimal
    interest: Decimal = Field(..., description="Intereses ordinarios devengados a la fecha")
    moratorium: Decimal = Field(..., description="Intereses moratorios devengados a la fecha (9.2.5)")
    charges: Decimal = Field(..., description="Comisiones y gastos adeudados")
    unapplied: Decimal = Field(..., description="Pagos por aplicar ya recibidos, que se descuentan")
    total: Decimal = Field(..., description="Saldo para liquidar: ningún pago puede excederlo")
    label: str


@router.get(
    "/loans/{loan_id}/payoff",
    response=PayoffOut,
    summary="Saldo para liquidar el crédito a una fecha valor (por omisión, hoy): el máximo que admite un pago",
)
def loan_payoff_get(request: HttpRequest, loan_id: int, on: DateIn | None = None) -> PayoffOut:
    loan = _loan(request, loan_id)
    day = on or today_mx()
    if loan.accrued_through is not None and day < loan.accrued_through:
        raise ValidationFailed(
            [
                DomainError(
                    f"Los intereses del crédito ya están devengados al {loan.accrued_through:%d/%m/%Y}; "
                    "indique esa fecha o una posterior.",
                    field="on",
                )
            ]
        )
    payoff = loan_payoff(loan=loan, on=day)
    return PayoffOut(
        on=day,
        principal=_money(payoff.principal),
        interest=_money(payoff.interest),
        moratorium=_money(payoff.moratorium),
        charges=_money(payoff.charges),
        unapplied=_money(payoff.unapplied),
        total=_money(payoff.total),
        label=f"Saldo para liquidar al {day:%d/%m/%Y}: {format_money(payoff.total, loan.currency)}",
    )


class InstallmentOut(Schema):
    number: int
    start: dt.date
    due: dt.date
    payable: dt.date
    rate: Decimal
    projected: bool = Field(..., description="La tasa del periodo aún es proyectada")
    opening_balance: Decimal
    principal: Decimal
    interest: Decimal
    projected_interest: Decimal
    interest_accrued: Decimal
    moratorium_accrued: Decimal
    principal_paid: Decimal
    interest_paid: Decimal
    moratorium_paid: Decimal
    status: str


class ScheduleOut(Schema):
    loan_id: int
    version: int | None = Field(..., description="La versión vigente de la tabla (vacía antes de disponer)")
    reason: str | None
    created_at: dt.datetime | None
    installments: list[InstallmentOut]


@router.get(
    "/loans/{loan_id}/schedule",
    response=ScheduleOut,
    summary="La tabla de amortización vigente: lo proyectado y lo pagado de cada amortización",
)
def loan_schedule(request: HttpRequest, loan_id: int) -> ScheduleOut:
    loan = _loan(request, loan_id)
    version = loan.schedule_versions.filter(active=True).first()
    rows = version.installments.order_by("number") if version is not None else []
    return ScheduleOut(
        loan_id=loan.pk,
        version=version.number if version else None,
        reason=version.reason if version else None,
        created_at=version.created_at if version else None,
        installments=[
            InstallmentOut(
                number=r.number,
                start=r.start,
                due=r.due,
                payable=r.payable,
                rate=r.rate,
                projected=r.projected,
                opening_balance=_money(r.opening_balance),
                principal=_money(r.principal),
                interest=_money(r.interest),
                projected_interest=_money(r.projected_interest),
                interest_accrued=_money(r.interest_accrued),
                moratorium_accrued=_money(r.moratorium_accrued),
                principal_paid=_money(r.principal_paid),
                interest_paid=_money(r.interest_paid),
                moratorium_paid=_money(r.moratorium_paid),
                status=r.status,
            )
            for r in rows
        ],
    )


class BalanceOut(Schema):
    account: str
    name: str
    ledger: Decimal
    position: Decimal
    matches: bool


class MovementLineOut(Schema):
    account: str
    name: str
    debit: Decimal
    credit: Decimal


class MovementOut(Schema):
    entry_id: int
    date: dt.date
    kind: str
    concept: str
    lines: list[MovementLineOut]
    principal_balance: Decimal
    reverses: int | None


class NextPaymentOut(Schema):
    number: int
    due: dt.date
    payable: dt.date
    principal: Decimal
    interest: Decimal
    moratorium: Decimal
    total: Decimal
    status: str


class AppliedOut(Schema):
    concept: str
    label: str
    installment: int | None
    amount: Decimal


class StatementPaymentOut(Schema):
    id: int
    value_date: dt.date
    amount: Decimal
    currency: str
    status: str
    is_prepayment: bool
    allocation: list[AppliedOut]
    reversal_reason: str


class StatementOut(Schema):
    as_of: dt.date
    loan_id: int
    number: str
    borrower: str
    office: str
    currency: str
    status: str
    classification: str
    contracted_amount: Decimal
    first_disbursed_on: dt.date | None
    maturity_date: dt.date | None
    accrued_through: dt.date | None
    days_past_due: int
    period_from: dt.date | None = Field(
        ..., description="Inicio del periodo (vacío: desde el primer movimiento)"
    )
    period_to: dt.date | None = Field(..., description="Fin del periodo (vacío: hasta el último movimiento)")
    opening_principal: Decimal = Field(..., description="Saldo de capital antes del periodo")
    principal_balance: Decimal
    total_due: Decimal
    balanced: bool = Field(..., description="Cada saldo del mayor coincide con la posición del crédito")
    balances: list[BalanceOut]
    movements: list[MovementOut]
    next_payments: list[NextPaymentOut]
    payments: list[StatementPaymentOut]


@router.get(
    "/loans/{loan_id}/statement",
    response=StatementOut,
    summary="Estado de cuenta: saldos del mayor junto a la posición, próximos pagos, y los movimientos y pagos "
    "del periodo (todo el historial si no se indica)",
)
def loan_statement_get(
    request: HttpRequest, loan_id: int, period_from: dt.date | None = None, period_to: dt.date | None = None
) -> StatementOut:
    s = loan_statement_kept(loan=_loan(request, loan_id), period_from=period_from, period_to=period_to)
    return StatementOut(
        as_of=s.as_of,
        loan_id=s.loan_id,
        number=s.number,
        borrower=s.borrower,
        office=s.office,
        currency=s.currency,
        status=s.status,
        classification=s.classification,
        contracted_amount=_money(s.contracted_amount),
        first_disbursed_on=s.first_disbursed_on,
        maturity_date=s.maturity_date,
        accrued_through=s.accrued_through,
        days_past_due=s.days_past_due,
        period_from=s.period_from,
        period_to=s.period_to,
        opening_principal=_money(s.opening_principal),
        principal_balance=_money(s.principal_balance),
        total_due=_money(s.total_due),
        balanced=s.balanced,
        balances=[
            BalanceOut(
                account=b.account,
                name=b.name,
                ledger=_money(b.ledger),
                position=_money(b.position),
                matches=b.matches,
            )
            for b in s.balances
        ],
        movements=[
            MovementOut(
                entry_id=m.entry_id,
                date=m.date,
                kind=m.kind,
                concept=m.concept,
                lines=[
                    MovementLineOut(
                        account=ln.account, name=ln.name, debit=_money(ln.debit), credit=_money(ln.credit)
                    )
                    for ln in m.lines
                ],
                principal_balance=_money(m.principal_balance),
                reverses=m.reverses,
            )
            for m in s.movements
        ],
        next_payments=[
            NextPaymentOut(
                number=p.number,
                due=p.due,
                payable=p.payable,
                principal=_money(p.principal),
                interest=_money(p.interest),
                moratorium=_money(p.moratorium),
                total=_money(p.total),
                status=p.status,
            )
            for p in s.next_payments
        ],
        payments=[
            StatementPaymentOut(
                id=p.id,
                value_date=p.value_date,
                amount=_money(p.amount),
                currency=p.currency,
                status=p.status,
                is_prepayment=p.is_prepayment,
                allocation=[
                    AppliedOut(
                        concept=a.concept, label=a.label, installment=a.installment, amount=_money(a.amount)
                    )
                    for a in p.allocation
                ],
                reversal_reason=p.reversal_reason,
            )
            for p in s.payments
        ],
    )


# --------------------------------------------------------------------- commission and disbursements


class CommissionIn(_In):
    value_date: DateIn


@router.post(
    "/loans/{loan_id}/commission",
    response={200: LoanOut, 201: LoanOut, 409: ErrorOut},
    summary="Registra el pago de la comisión por apertura y su IVA (antes de disponer)",
    description=ONCE,
)
def loan_commission(
    request: HttpRequest, loan_id: int, payload: CommissionIn, idempotency_key: str = IDEMPOTENCY_KEY
) -> Status:
    loan = commission_pay(
        user=request.user,  # type: ignore[arg-type]
        loan=_loan(request, loan_id),
        value_date=payload.value_date,
        idempotency_key=_idempotency_key(idempotency_key),
    )
    return Status(_created(loan), _fresh(request, loan))


class DisbursementIn(_In):
    amount: MoneyIn
    value_date: DateIn
    drawdown_days: int | None = Field(
        None, ge=1, le=9999, description="Plazo de la disposición en días (líneas revolventes)"
    )


class DisbursementOut(Schema):
    id: int
    loan_id: int
    amount: Decimal
    value_date: dt.date
    due_date: dt.date | None
    commission: Decimal
    commission_iva: Decimal
    entry_id: int


class DisbursementOrderOut(Schema):
    id: int
    loan_id: int
    amount: Decimal
    value_date: dt.date
    drawdown_days: int | None
    status: str = Field(..., description="captured (capturada), released (liberada), cancelled (cancelada)")
    captured_by: str
    captured_at: dt.datetime
    released_by: str | None
    released_at: dt.datetime | None
    disbursement: DisbursementOut | None = Field(..., description="La ministración registrada al liberarla")
    cancelled_by: str | None
    cancel_reason: str


def _order_out(o: DisbursementOrder) -> DisbursementOrderOut:
    o = DisbursementOrder.objects.select_related(
        "captured_by", "released_by", "cancelled_by", "disbursement"
    ).get(pk=o.pk)
    d = o.disbursement
    return DisbursementOrderOut(
        id=o.pk,
        loan_id=o.loan_id,
        amount=_money(o.amount),
        value_date=o.value_date,
        drawdown_days=o.drawdown_days,
        status=o.status,
        captured_by=o.captured_by.username,
        captured_at=o.captured_at,
        released_by=o.released_by.username if o.released_by else None,
        released_at=o.released_at,
        disbursement=DisbursementOut(
            id=d.pk,
            loan_id=d.loan_id,
            amount=_money(d.amount),
            value_date=d.value_date,
            due_date=d.due_date,
            commission=_money(d.commission),
            commission_iva=_money(d.commission_iva),
            entry_id=d.entry_id,
        )
        if d is not None
        else None,
        cancelled_by=o.cancelled_by.username if o.cancelled_by else None,
        cancel_reason=o.cancel_reason,
    )


@router.post(
    "/loans/{loan_id}/disbursements",
    response={200: DisbursementOrderOut, 201: DisbursementOrderOut, 409: ErrorOut},
    summary="Captura una orden de ministración (o de disposición de la línea revolvente); otra persona la "
    "libera",
    description=ONCE + ". No registra nada en la contabilidad hasta que otro usuario la libera.",
)
def loan_disburse(
    request: HttpRequest, loan_id: int, payload: DisbursementIn, idempotency_key: str = IDEMPOTENCY_KEY
) -> Status:
    order = disbursement_capture(
        user=request.user,  # type: ignore[arg-type]
        loan=_loan(request, loan_id),
        amount=payload.amount,
        value_date=payload.value_date,
        drawdown_days=payload.drawdown_days,
        idempotency_key=_idempotency_key(idempotency_key),
    )
    return Status(_created(order), _order_out(order))


@router.get(
    "/loans/{loan_id}/disbursement-orders",
    response=list[DisbursementOrderOut],
    summary="Órdenes de ministración del crédito",
)
def disbursement_order_list(request: HttpRequest, loan_id: int) -> list[DisbursementOrderOut]:
    loan = _loan(request, loan_id)
    return [_order_out(o) for o in loan.disbursement_orders.order_by("captured_at", "id")]


@router.post(
    "/loans/{loan_id}/disbursement-orders/{order_id}/release",
    response={200: DisbursementOrderOut, 201: DisbursementOrderOut, 409: ErrorOut},
    summary="Libera una orden de ministración capturada (no quien la capturó) y la registra",
    description=ONCE,
)
def disbursement_order_release(
    request: HttpRequest, loan_id: int, order_id: int, idempotency_key: str = IDEMPOTENCY_KEY
) -> Status:
    order = order_get(loan=_loan(request, loan_id), order_id=order_id)
    order = disbursement_release(
        user=request.user,  # type: ignore[arg-type]
        order=order,
        idempotency_key=_idempotency_key(idempotency_key),
    )
    return Status(_created(order), _order_out(order))


class DeclineIn(_In):
    reason: str = Field(..., max_length=5000)


@router.post(
    "/loans/{loan_id}/disbursement-orders/{order_id}/cancel",
    response=DisbursementOrderOut,
    summary="Cancela una orden de ministración capturada, con su motivo",
)
def disbursement_order_cancel(
    request: HttpRequest, loan_id: int, order_id: int, payload: DeclineIn
) -> DisbursementOrderOut:
    order = order_get(loan=_loan(request, loan_id), order_id=order_id)
    order = disbursement_cancel(user=request.user, order=order, reason=payload.reason)  # type: ignore[arg-type]
    return _order_out(order)


# ------------------------------------------------------------------------------------------ payments


class PaymentOut(Schema):
    id: int
    loan_id: int
    idempotency_key: str
    value_date: dt.date
    amount: Decimal
    currency: str
    is_prepayment: bool
    notified_on: dt.date | None
    status: str
    allocation: list[AppliedOut]
    entry_id: int
    reversal_entry_id: int | None
    reversal_reason: str
    schedule_version: int | None = Field(..., description="La versión de tabla que creó un pago anticipado")
    created_at: dt.datetime


def _payment_out(p: Payment) -> PaymentOut:
    return PaymentOut(
        id=p.pk,
        loan_id=p.loan_id,
        idempotency_key=p.idempotency_key,
        value_date=p.value_date,
        amount=_money(p.amount),
        currency=p.currency,
        is_prepayment=p.is_prepayment,
        notified_on=p.notified_on,
        status=p.status,
        allocation=[
            AppliedOut(
                concept=a.concept,
                label=CONCEPT_LABELS.get(a.concept, a.concept),
                installment=a.installment,
                amount=_money(a.amount),
            )
            for a in map(Applied.from_json, p.allocation)
        ],
        entry_id=p.entry_id,
        reversal_entry_id=p.reversal_entry_id,
        reversal_reason=p.reversal_reason,
        schedule_version=p.schedule_version.number if p.schedule_version_id else None,
        created_at=p.created_at,
    )


@router.get("/loans/{loan_id}/payments", response=list[PaymentOut], summary="Pagos del crédito")
def payment_list(request: HttpRequest, loan_id: int) -> list[PaymentOut]:
    loan = _loan(request, loan_id)
    qs = loan.payments.select_related("schedule_version").order_by("value_date", "id")
    return [_payment_out(p) for p in qs]


class PaymentIn(_In):
    amount: MoneyIn
    value_date: DateIn
    currency: str | None = Field(None, max_length=3, description="Por omisión, la moneda del crédito")
    prepayment: bool = Field(False, description="Pago anticipado a capital (9.2.6)")
    notified_on: DateIn | None = Field(None, description="Fecha del aviso del pago anticipado")


@router.post(
    "/loans/{loan_id}/payments",
    response={200: PaymentOut, 201: PaymentOut, 409: ErrorOut},
    summary="Aplica un pago una sola vez por clave (encabezado Idempotency-Key): 201 al aplicarlo, 200 con "
    "el mismo pago si se repite la solicitud; la misma clave con otros datos es un conflicto (409)",
)
def payment_post(
    request: HttpRequest, loan_id: int, payload: PaymentIn, idempotency_key: str = IDEMPOTENCY_KEY
) -> Status:
    # The replay (200) or conflict (409) is decided by the service under the loan's lock, never here.
    payment = payment_apply(
        user=request.user,  # type: ignore[arg-type]
        loan=_loan(request, loan_id),
        amount=payload.amount,
        value_date=payload.value_date,
        idempotency_key=_idempotency_key(idempotency_key),
        currency=payload.currency,
        prepayment=payload.prepayment,
        notified_on=payload.notified_on,
    )
    return Status(_created(payment), _payment_out(payment))


class ReversalIn(_In):
    reason: str = Field(..., max_length=5000)


class ReversalRequestOut(Schema):
    id: int
    loan_id: int
    payment_id: int
    reason: str
    status: str = Field(..., description="requested (solicitada), approved (aprobada), rejected (rechazada)")
    requested_by: str
    requested_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    rejection_reason: str
    payment: PaymentOut


def _reversal_out(r: ReversalRequest) -> ReversalRequestOut:
    r = ReversalRequest.objects.select_related(
        "requested_by", "decided_by", "payment", "payment__schedule_version"
    ).get(pk=r.pk)
    return ReversalRequestOut(
        id=r.pk,
        loan_id=r.loan_id,
        payment_id=r.payment_id,
        reason=r.reason,
        status=r.status,
        requested_by=r.requested_by.username,
        requested_at=r.requested_at,
        decided_by=r.decided_by.username if r.decided_by else None,
        decided_at=r.decided_at,
        rejection_reason=r.rejection_reason,
        payment=_payment_out(r.payment),
    )


@router.post(
    "/loans/{loan_id}/payments/{payment_id}/reversal",
    response={200: ReversalRequestOut, 201: ReversalRequestOut, 409: ErrorOut},
    summary="Solicita la reversa del último pago aplicado; otra persona la aprueba",
    description=ONCE + ". No registra nada en la contabilidad hasta que otro usuario la aprueba.",
)
def payment_reversal(
    request: HttpRequest,
    loan_id: int,
    payment_id: int,
    payload: ReversalIn,
    idempotency_key: str = IDEMPOTENCY_KEY,
) -> Status:
    loan = _loan(request, loan_id)
    payment = loan.payments.filter(pk=payment_id).first()
    if payment is None:
        raise NotFound("No existe el pago en este crédito.", field="payment_id")
    row = reversal_request(
        user=request.user,  # type: ignore[arg-type]
        payment=payment,
        reason=payload.reason,
        idempotency_key=_idempotency_key(idempotency_key),
    )
    return Status(_created(row), _reversal_out(row))


@router.get(
    "/loans/{loan_id}/reversal-requests",
    response=list[ReversalRequestOut],
    summary="Solicitudes de reversa de pagos del crédito",
)
def reversal_request_list(request: HttpRequest, loan_id: int) -> list[ReversalRequestOut]:
    loan = _loan(request, loan_id)
    return [_reversal_out(r) for r in loan.reversal_requests.order_by("requested_at", "id")]


@router.post(
    "/loans/{loan_id}/reversal-requests/{request_id}/approve",
    response={200: ReversalRequestOut, 201: ReversalRequestOut, 409: ErrorOut},
    summary="Aprueba una solicitud de reversa (no quien la solicitó) y registra la póliza de reversa",
    description=ONCE,
)
def reversal_request_approve(
    request: HttpRequest, loan_id: int, request_id: int, idempotency_key: str = IDEMPOTENCY_KEY
) -> Status:
    row = reversal_request_get(loan=_loan(request, loan_id), request_id=request_id)
    row = reversal_approve(
        user=request.user,  # type: ignore[arg-type]
        request=row,
        idempotency_key=_idempotency_key(idempotency_key),
    )
    return Status(_created(row), _reversal_out(row))


@router.post(
    "/loans/{loan_id}/reversal-requests/{request_id}/reject",
    response=ReversalRequestOut,
    summary="Rechaza una solicitud de reversa, con su motivo",
)
def reversal_request_reject(
    request: HttpRequest, loan_id: int, request_id: int, payload: DeclineIn
) -> ReversalRequestOut:
    row = reversal_request_get(loan=_loan(request, loan_id), request_id=request_id)
    row = reversal_reject(user=request.user, request=row, reason=payload.reason)  # type: ignore[arg-type]
    return _reversal_out(row)


# -------------------------------------------------------------------------------------------- tasks


class TaskOut(Schema):
    id: int
    loan_id: int
    kind: str
    label: str
    rule: str
    due_on: dt.date
    status: str
    done_on: dt.date | None
    done_by: str | None
    note: str
    blocks_drawdowns: bool


def _task_out(t: LoanTask) -> TaskOut:
    return TaskOut(
        id=t.pk,
        loan_id=t.loan_id,
        kind=t.kind,
        label=t.get_kind_display(),
        rule=t.rule,
        due_on=t.due_on,
        status=t.status,
        done_on=t.done_on,
        done_by=t.done_by.username if t.done_by_id else None,
        note=t.note,
        blocks_drawdowns=t.blocks_drawdowns,
    )


@router.get(
    "/loans/{loan_id}/tasks",
    response=list[TaskOut],
    summary="Obligaciones posteriores a la disposición (13, 16.3–16.5)",
)
def task_list(request: HttpRequest, loan_id: int) -> list[TaskOut]:
    loan = _loan(request, loan_id)
    return [_task_out(t) for t in loan.tasks.select_related("done_by").order_by("due_on", "id")]


class TaskCompleteIn(_In):
    done_on: DateIn | None = Field(None, description="Por omisión, hoy")
    note: str = Field("", max_length=5000)


@router.post(
    "/loans/{loan_id}/tasks/{task_id}/complete",
    response=TaskOut,
    summary="Registra cumplida una obligación; las periódicas programan la siguiente",
)
def task_done(request: HttpRequest, loan_id: int, task_id: int, payload: TaskCompleteIn) -> TaskOut:
    loan = _loan(request, loan_id)
    task = loan.tasks.filter(pk=task_id).first()
    if task is None:
        raise NotFound("No existe la obligación en este crédito.", field="task_id")
    task = task_complete(user=request.user, task=task, done_on=payload.done_on, note=payload.note)  # type: ignore[arg-type]
    return _task_out(LoanTask.objects.select_related("done_by").get(pk=task.pk))
