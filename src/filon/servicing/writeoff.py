"""Write-off (castigo) of an unrecoverable loan authorized by the committee, and the recoveries booked on it.

`write_off_apply` takes the committee's authorized write-off request for the loan and, under the loan's lock
and once per key:

1. accrues the loan through the write-off date (as a payment does, `loan_accrue`);
2. lets the guarantee funds pay first (P-2 2.4, P-3, P-4 4.2): each cover registered here
   (`write_off_cover_register`; `funds` registers the program's funds from its `AppConfig.ready`, servicing
   never imports it) pays through the payment engine what it would pay on a defaulted credit;
3. posts the write-off: the money held for the loan in «pagos por aplicar» (2102) is applied first, in the
   engine's order (moratorium, interest, principal), and what is left of the receivables goes to the loss
   account 6101 «Quebrantos por castigo de cartera de crédito». The ledger books no preventive reserve
   (estimación preventiva), so the loss is taken directly. The written-off amount is kept in the memo pair
   7101/7102 (cuentas de orden) until it is recovered;
4. leaves the loan «castigado» with its date and its position at zero, and the request applied.

`recovery_record` books money recovered later: Bancos ← 5105 «Recuperación de cartera castigada» (income of
the period). The receivables are never reopened; the memo is reduced by what is recovered, and no recovery
may exceed what remains written off.

The memo and loss postings carry no loan id (as the income lines of a payment): the loan's ledger balances
remain its servicing position (`ledger check`); the entries themselves name the loan.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Protocol

from django.db import transaction
from django.utils import timezone

from filon.accounts.models import User
from filon.audit.services import audit_record, audited, snapshot
from filon.centavos import amount_check
from filon.core.calendar import today_mx
from filon.core.money import format_money, is_cents, round_money
from filon.errors import DomainError, TransitionRefused, ValidationFailed
from filon.idempotency.services import once, scope_of
from filon.ledger import chart
from filon.ledger.services import Line, entry_post, value_date_check
from filon.origination.models import LoanRequest
from filon.origination.services import loan_request_create, loan_request_mark_applied
from filon.rules import load_ruleset_version
from filon.servicing.accrual import loan_accrue
from filon.servicing.lifecycle import LOAN
from filon.servicing.models import Classification, Loan, LoanStatus, Recovery, WriteOff
from filon.servicing.services import lock_loan

ZERO = Decimal(0)
WRITE_OFF_KIND = "castigo"
RECOVERY_KIND = "recuperacion_castigo"
REQUEST_KIND = LoanRequest.Kind.WRITE_OFF
REQUEST_AUTHORIZED = LoanRequest.Status.AUTHORIZED
_POSITION = (
    "status",
    "written_off_on",
    "principal_balance",
    "accrued_interest",
    "accrued_moratorium",
    "unapplied_balance",
)


# ------------------------------------------------------------------------------------ the funds' cover


class WriteOffCover(Protocol):
    def __call__(self, *, user: User, loan: Loan, on: date) -> Decimal: ...


_covers: dict[str, WriteOffCover] = {}


def write_off_cover_register(name: str, cover: WriteOffCover) -> None:
    """Let `cover` pay a loan about to be written off (a guarantee fund); it returns what it paid. A name
    registers once (a second registration replaces the first)."""
    _covers[name] = cover


def write_off_covers() -> Mapping[str, WriteOffCover]:
    return dict(_covers)


# ------------------------------------------------------------------------------------------- write-off


def request_refusal(*, loan: Loan, request: LoanRequest | None) -> DomainError | None:
    """Why `request` does not authorize writing off `loan`, or None: it must be the committee's authorized
    write-off request of this loan's file."""
    if request is None or request.kind != REQUEST_KIND:
        return TransitionRefused(
            "Se requiere la solicitud de castigo autorizada por el comité.", field="request"
        )
    if request.file_id != loan.file_id or request.loan_number != loan.number:
        return TransitionRefused("La solicitud de castigo es de otro crédito.", field="request")
    if request.status != REQUEST_AUTHORIZED:
        return TransitionRefused(
            f"La solicitud de castigo no está autorizada por el comité (está «{request.get_status_display()}»).",
            field="request",
        )
    return None


@transaction.atomic
def write_off_apply(
    *, user: User, loan: Loan, request: LoanRequest, idempotency_key: str | None, on: date | None = None
) -> WriteOff:
    """Write off `loan` as the committee authorized in `request` (see the module docstring). Once per key."""
    locked = lock_loan(loan)
    LOAN.require_actor("write_off", user, locked)
    on = on or today_mx()
    result: WriteOff = once(
        operation="write_off_apply",
        scope=scope_of(locked),
        key=idempotency_key,
        request={"request": request.pk, "on": on},
        user=user,
        what="otro castigo de este crédito",
        perform=lambda: _write_off(user=user, loan=locked, request=request, on=on),
    )
    loan.refresh_from_db()
    return result


def _write_off(*, user: User, loan: Loan, request: LoanRequest, on: date) -> WriteOff:
    if loan.status == LoanStatus.WRITTEN_OFF:
        raise TransitionRefused(
            f"El crédito ya está castigado desde el {loan.written_off_on:%d/%m/%Y}.", field="status"
        )
    LOAN.require_state("write_off", loan)
    refusal = request_refusal(loan=loan, request=request)
    if refusal is not None:
        raise refusal
    value_date_check(on, field="on")
    if request.resolved_at is not None and on < timezone.localdate(request.resolved_at):
        raise TransitionRefused(
            f"El castigo no puede aplicarse antes de su autorización ({timezone.localdate(request.resolved_at):%d/%m/%Y}).",
            field="on",
            rule=request.committee_rule,
        )
    loan_accrue(loan=loan, through=on)
    covered = ZERO
    for cover in _covers.values():
        covered += cover(user=user, loan=loan, on=on)
        loan.refresh_from_db()
    if loan.status != LoanStatus.ACTIVE:
        raise TransitionRefused(
            f"Los fondos de garantía cubrieron el adeudo y el crédito quedó «{loan.get_status_display()}»: "
            "no hay saldo que castigar.",
            field="status",
        )
    # The money held for the loan goes first, in the engine's order; the rest of each concept is lost.
    held = loan.unapplied_balance
    parts = {
        "moratorium": loan.accrued_moratorium,
        "interest": loan.accrued_interest,
        "principal": loan.principal_balance,
    }
    written = dict(parts)
    left = held
    for concept in parts:
        used = min(left, written[concept])
        written[concept] -= used
        left -= used
    total = sum(written.values(), ZERO)
    if total <= 0:
        raise TransitionRefused("El crédito no tiene saldo que castigar.", field="loan")
    entry = entry_post(
        kind=WRITE_OFF_KIND,
        business_date=on,
        loan_id=loan.pk,
        user=user,
        description=f"Castigo del crédito {loan.number} autorizado por el comité, {on:%d/%m/%Y}",
        lines=_write_off_lines(loan, parts, held=held, written=total),
    )
    write_off = WriteOff.objects.create(
        loan=loan,
        request=request,
        business_date=on,
        fund_cover=covered,
        unapplied_used=held,
        principal=written["principal"],
        interest=written["interest"],
        moratorium=written["moratorium"],
        entry=entry,
        created_by=user,
    )
    with audited(
        user=user, action="loan.written_off", obj=loan, fields=list(_POSITION), office=loan.office
    ) as rec:
        loan.status = LOAN.target("write_off")
        loan.written_off_on = on
        loan.principal_balance = loan.accrued_interest = loan.accrued_moratorium = ZERO
        loan.unapplied_balance = ZERO
        loan.save(update_fields=list(_POSITION))
        rec.facts = {
            "request": request.pk,
            "fund_cover": covered,
            "unapplied_used": held,
            "written_off": total,
            "entry": entry.pk,
        }
    loan_request_mark_applied(user=user, request=request)
    return write_off


def _write_off_lines(loan: Loan, parts: dict[str, Decimal], *, held: Decimal, written: Decimal) -> list[Line]:
    """Credit every receivable of the loan; debit the money held (2102) and the loss (6101); memo 7101/7102."""
    vencida = loan.classification == Classification.VENCIDA
    cur = loan.currency
    return [
        Line(chart.INTERESES_MORATORIOS, -parts["moratorium"], cur, loan.pk),
        Line(
            chart.INTERESES_VENCIDOS if vencida else chart.INTERESES_DEVENGADOS,
            -parts["interest"],
            cur,
            loan.pk,
        ),
        Line(chart.CARTERA_VENCIDA if vencida else chart.CARTERA_VIGENTE, -parts["principal"], cur, loan.pk),
        Line(chart.PAGOS_POR_APLICAR, held, cur, loan.pk),
        Line(chart.QUEBRANTOS_CASTIGOS, written, cur),
        Line(chart.CARTERA_CASTIGADA, written, cur),
        Line(chart.CARTERA_CASTIGADA_CONTRA, -written, cur),
    ]


# ------------------------------------------------------------------------------------------- recoveries


def written_off_outstanding(loan: Loan) -> Decimal:
    """What remains written off of `loan` (in the memo accounts): the write-off less what was recovered."""
    write_off = WriteOff.objects.filter(loan=loan).first()
    if write_off is None:
        return ZERO
    recovered = sum(loan.recoveries.values_list("amount", flat=True), ZERO)
    return write_off.total - recovered


@transaction.atomic
def recovery_record(
    *, user: User, loan: Loan, amount: Decimal, value_date: date, idempotency_key: str | None
) -> Recovery:
    """Book money recovered on a written-off loan (see the module docstring). Once per key."""
    locked = lock_loan(loan)
    LOAN.require_actor("recover", user, locked)
    return once(
        operation="recovery_record",
        scope=scope_of(locked),
        key=idempotency_key,
        request={"amount": amount, "value_date": value_date},
        user=user,
        what="otra recuperación de este crédito",
        perform=lambda: _recovery(user=user, loan=locked, amount=amount, value_date=value_date),
    )


def _recovery(*, user: User, loan: Loan, amount: Decimal, value_date: date) -> Recovery:
    errors: list[DomainError] = []
    ruleset = load_ruleset_version(loan.ruleset_version)
    amount_check(amount, field="amount", label="Importe recuperado", ruleset=ruleset, errors=errors)
    if not errors and (not isinstance(amount, Decimal) or amount <= 0 or not is_cents(amount)):
        errors.append(DomainError("El importe debe ser positivo y en centavos.", field="amount"))
    if errors:
        raise ValidationFailed(errors)
    LOAN.require_state("recover", loan)
    value_date_check(value_date)
    assert loan.written_off_on is not None
    if value_date < loan.written_off_on:
        raise ValidationFailed(
            [
                DomainError(
                    f"La fecha valor es anterior al castigo ({loan.written_off_on:%d/%m/%Y}).",
                    field="value_date",
                )
            ]
        )
    amount = round_money(amount)
    outstanding = written_off_outstanding(loan)
    if amount > outstanding:
        raise ValidationFailed(
            [
                DomainError(
                    f"El importe ({format_money(amount)}) excede lo castigado pendiente de recuperar "
                    f"({format_money(outstanding)}).",
                    field="amount",
                )
            ]
        )
    cur = loan.currency
    entry = entry_post(
        kind=RECOVERY_KIND,
        business_date=value_date,
        loan_id=loan.pk,
        user=user,
        description=f"Recuperación de cartera castigada del crédito {loan.number}, {value_date:%d/%m/%Y}",
        lines=[
            Line(chart.BANCOS, amount, cur),
            Line(chart.RECUPERACION_CASTIGADA, -amount, cur),
            Line(chart.CARTERA_CASTIGADA_CONTRA, amount, cur),
            Line(chart.CARTERA_CASTIGADA, -amount, cur),
        ],
    )
    recovery = Recovery.objects.create(
        loan=loan, value_date=value_date, amount=amount, entry=entry, created_by=user
    )
    audit_record(
        user=user,
        action="loan.recovery",
        obj=recovery,
        after={
            **snapshot(recovery, ["loan_id", "value_date", "amount", "entry_id"]),
            "outstanding": str(outstanding - amount),
        },
        office=loan.office,
    )
    return recovery


def write_off_requests(loan: Loan, *, applied: bool = False) -> list[LoanRequest]:
    """The committee's authorized write-off requests of `loan` (its file's, for its number); with
    `applied`, also the one already applied (a form posted again is then replayed, not refused)."""
    statuses = [LoanRequest.Status.AUTHORIZED, *([LoanRequest.Status.APPLIED] if applied else [])]
    return list(
        LoanRequest.objects.filter(
            file_id=loan.file_id,
            loan_number=loan.number,
            kind=LoanRequest.Kind.WRITE_OFF,
            status__in=statuses,
        ).order_by("id")
    )


def write_off_request_get(loan: Loan, request_id: int) -> LoanRequest:
    """The write-off request `request_id` of `loan`, authorized or already applied (`write_off_apply`
    decides), or a refusal naming `request`."""
    for request in write_off_requests(loan, applied=True):
        if request.pk == request_id:
            return request
    raise TransitionRefused(
        "No hay una solicitud de castigo autorizada por el comité con ese número para este crédito.",
        field="request",
    )


@transaction.atomic
def write_off_request_create(*, user: User, loan: Loan, reason: str, on: date | None = None) -> LoanRequest:
    """Ask the committee to write off `loan`: a write-off request routed by its principal balance on `on`
    (today by default; R-17), filed by the office's regional manager on a loan under administration."""
    locked = lock_loan(loan)
    LOAN.require("write_off", user, locked)
    if locked.file_id is None:
        raise TransitionRefused(
            "El crédito no tiene expediente: no puede solicitarse su castigo.", field="loan"
        )
    on = on or today_mx()
    return loan_request_create(
        user=user,
        file=locked.file,
        loan_number=locked.number,
        kind=LoanRequest.Kind.WRITE_OFF,
        currency=locked.currency,
        principal_balance=locked.principal_balance,
        as_of=on,
        reason=reason,
        proposal={
            "principal": str(locked.principal_balance),
            "interest": str(locked.accrued_interest),
            "moratorium": str(locked.accrued_moratorium),
            "days_past_due": locked.days_past_due,
            "classification": locked.classification,
        },
    )
