"""Payments: recorded once per idempotency key, allocated by the finance engine, reversed by a reversing entry.

How a payment is applied (`filon.core.allocation`, whose module docstring gives the order):
costs and commissions with their IVA → moratorium (9.2.5) → overdue interest → overdue principal → current
interest → current principal. "Overdue" installments are those payable before the value date, "current"
those payable on it (C-3: a due date on a holiday is payable the next business day). Within a concept the
oldest installment goes first. What is left is either

- a prepayment (`prepayment=True`, Rules 9.2.6): principal applied to the last installments, the term
  shortens, with a new schedule version beside the old one (`filon.core.prepayment`), or
- money held in «pagos por aplicar» (account 2102, per loan), applied by the daily close when installments
  fall due (`unapplied_apply`).

No payment may exceed the loan's payoff amount on its value date (`filon.servicing.selectors.loan_payoff`:
principal, ordinary interest and moratorium accrued through that date, less what is already held in 2102):
a larger one is refused, naming `amount`, the payoff amount and its date (`_payoff_refusal`). What is held
in 2102 is therefore never more than the loan will owe. A payment of exactly the payoff amount settles the
loan (`_liquidation`) when all of it may be paid that day: every installment is payable, or the payment is
a prepayment notified in time (9.2.6) — what is owed today goes in the engine's order, then each later
installment's interest accrued so far and its principal (the interest not yet accrued is never owed: a
prepayment bears no penalty), and the money held in 2102 with it. Without that notice the money beyond
what is payable is held, as any advance. A loan left owing nothing is closed: status «Liquidado» with its
payoff date (`paid_off_on`), every later payment refused; reversing the payment that closed it reopens it.
A revolving line paid to zero stays open while the line is in force (it may draw again); it is closed by
the payment that leaves nothing owed after its expiry, or by the first daily close after its expiry
(`expired_lines_close`, payoff date = the line's expiry).

`Payment.allocation` records where every peso went: a list of {concept, installment, amount} (plus the
installment's status before the payment, so a reversal restores it). A reversal posts the reversing entry of
the payment's entry and undoes exactly that allocation; payments are reversed last-in first-out.

No servicing model carries commissions or costs owed after disbursement (the opening commission is paid
before it and a drawdown's is netted from the deposit, Rules 14), so those two concepts are never owed here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from filon.accounts.access import require_office, require_role
from filon.accounts.models import User
from filon.audit.services import audit_record, audited, snapshot
from filon.centavos import amount_check
from filon.core import schedule as core_schedule
from filon.core.allocation import Concept, allocate_payment
from filon.core.calendar import today_mx
from filon.core.errors import InputErrors
from filon.core.money import format_money, is_cents, round_money
from filon.core.prepayment import prepayment_apply, prepayment_notice_deadline
from filon.errors import DomainError, TransitionRefused, ValidationFailed
from filon.idempotency.services import key_clean, once, scope_of
from filon.ledger import chart
from filon.ledger.models import JournalEntry
from filon.ledger.services import Line, entry_post, entry_reverse, value_date_refusal
from filon.rules import load_ruleset_version
from filon.servicing.accrual import (
    InstallmentState,
    accrual_deltas,
    accrual_lines,
    loan_accrue,
    loan_delay_rate,
)
from filon.servicing.checks import reversal_refusal
from filon.servicing.lifecycle import LOAN
from filon.servicing.models import (
    Classification,
    Installment,
    InstallmentStatus,
    Loan,
    LoanStatus,
    Payment,
    PaymentStatus,
    ScheduleVersion,
)
from filon.servicing.selectors import loan_payoff
from filon.servicing.services import REGIONAL, loan_terms, lock_loan, schedule_store

ZERO = Decimal(0)

# Allocation concepts beyond the engine's own (`Concept`): what is left of a payment.
PREPAID_PRINCIPAL = "capital_anticipado"
UNAPPLIED = "pagos_por_aplicar"
# A payment that settles the loan (`_liquidation`): what the installments not yet payable owe on the day,
# and the money already held in 2102 that goes with it.
PAYOFF_INTEREST = "intereses_al_liquidar"
PAYOFF_PRINCIPAL = "capital_al_liquidar"
UNAPPLIED_USED = "pagos_por_aplicar_usados"

CONCEPT_LABELS: dict[str, str] = {
    Concept.COSTS.value: "Gastos e IVA",
    Concept.COMMISSIONS.value: "Comisiones e IVA",
    Concept.MORATORIUM_INTEREST.value: "Intereses moratorios",
    Concept.OVERDUE_INTEREST.value: "Intereses ordinarios vencidos",
    Concept.OVERDUE_PRINCIPAL.value: "Capital vencido",
    Concept.CURRENT_INTEREST.value: "Intereses ordinarios exigibles",
    Concept.CURRENT_PRINCIPAL.value: "Capital exigible",
    PREPAID_PRINCIPAL: "Pago anticipado a capital (últimas amortizaciones)",
    UNAPPLIED: "Pagos por aplicar",
    PAYOFF_INTEREST: "Intereses ordinarios devengados a la liquidación",
    PAYOFF_PRINCIPAL: "Capital por vencer liquidado",
    UNAPPLIED_USED: "Pagos por aplicar usados en la liquidación",
}

PAYMENT_KIND = "pago"
UNAPPLIED_KIND = "aplicacion_pagos_por_aplicar"

_INTEREST = (Concept.OVERDUE_INTEREST, Concept.CURRENT_INTEREST)
_PRINCIPAL = (Concept.OVERDUE_PRINCIPAL, Concept.CURRENT_PRINCIPAL)
_PAID_FIELD = {
    Concept.MORATORIUM_INTEREST.value: "moratorium_paid",
    Concept.OVERDUE_INTEREST.value: "interest_paid",
    Concept.CURRENT_INTEREST.value: "interest_paid",
    Concept.OVERDUE_PRINCIPAL.value: "principal_paid",
    Concept.CURRENT_PRINCIPAL.value: "principal_paid",
    PAYOFF_INTEREST: "interest_paid",
    PAYOFF_PRINCIPAL: "principal_paid",
}
_STATE_FIELDS = (
    "interest_accrued",
    "moratorium_accrued",
    "principal_paid",
    "interest_paid",
    "moratorium_paid",
    "status",
)
_POSITION_FIELDS = (
    "status",
    "paid_off_on",
    "principal_balance",
    "accrued_interest",
    "accrued_moratorium",
    "unapplied_balance",
    "maturity_date",
)


# ------------------------------------------------------------------------------------------ allocation


@dataclass(frozen=True)
class _Debt:
    concept: Concept
    row: Installment
    amount: Decimal


@dataclass(frozen=True)
class Applied:
    """One piece of an allocation: `amount` of `concept` on installment number `installment`."""

    concept: str
    installment: int | None
    amount: Decimal
    status_before: str = ""

    def as_json(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "concept": self.concept,
            "installment": self.installment,
            "amount": str(self.amount),
        }
        if self.status_before:
            item["status_before"] = self.status_before
        return item

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Applied:
        return cls(
            item["concept"], item.get("installment"), Decimal(item["amount"]), item.get("status_before", "")
        )


def debts_owed(rows: Sequence[Installment], on: date) -> list[_Debt]:
    """What the unpaid installments owe on `on`, concept by concept, oldest installment first."""
    rows = sorted(rows, key=lambda r: (r.payable, r.number))
    debts = [_Debt(Concept.MORATORIUM_INTEREST, r, r.moratorium_accrued - r.moratorium_paid) for r in rows]
    for interest, principal, due in (
        (Concept.OVERDUE_INTEREST, Concept.OVERDUE_PRINCIPAL, [r for r in rows if r.payable < on]),
        (Concept.CURRENT_INTEREST, Concept.CURRENT_PRINCIPAL, [r for r in rows if r.payable == on]),
    ):
        debts += [_Debt(interest, r, r.interest_accrued - r.interest_paid) for r in due]
        debts += [_Debt(principal, r, r.principal - r.principal_paid) for r in due]
    return [d for d in debts if d.amount > 0]


def _allocate(amount: Decimal, rows: Sequence[Installment], on: date) -> tuple[list[Applied], Decimal]:
    """Split `amount` over what is owed on `on` (engine order), installment by installment; returns the
    pieces and what is left. The installments in `rows` are updated in memory (not saved)."""
    debts = debts_owed(rows, on)
    owed: dict[Concept, Decimal] = {}
    for debt in debts:
        owed[debt.concept] = owed.get(debt.concept, ZERO) + debt.amount
    allocation = allocate_payment(amount, owed)
    before = {row.pk: row.status for row in rows}
    pieces: list[Applied] = []
    for line in allocation.lines:
        left = line.total
        for debt in (d for d in debts if d.concept is line.concept):
            if not left:
                break
            take = min(left, debt.amount)
            left -= take
            field = _PAID_FIELD[debt.concept.value]
            setattr(debt.row, field, getattr(debt.row, field) + take)
            pieces.append(Applied(debt.concept.value, debt.row.number, take, before[debt.row.pk]))
    for row in rows:
        if _settled(row):
            row.status = InstallmentStatus.PAID
    return pieces, allocation.unapplied


def _settled(row: Installment) -> bool:
    return (
        row.principal_paid >= row.principal
        and row.interest_paid >= row.interest
        and row.moratorium_paid >= row.moratorium_accrued
    )


def _totals(pieces: Iterable[Applied]) -> dict[str, Decimal]:
    totals = {"principal": ZERO, "interest": ZERO, "moratorium": ZERO, "unapplied": ZERO}
    for piece in pieces:
        if piece.concept == Concept.MORATORIUM_INTEREST.value:
            totals["moratorium"] += piece.amount
        elif piece.concept in _INTEREST or piece.concept == PAYOFF_INTEREST:
            totals["interest"] += piece.amount
        elif piece.concept in _PRINCIPAL or piece.concept in (PREPAID_PRINCIPAL, PAYOFF_PRINCIPAL):
            totals["principal"] += piece.amount
        elif piece.concept == UNAPPLIED:
            totals["unapplied"] += piece.amount
        elif piece.concept == UNAPPLIED_USED:
            totals["unapplied"] -= piece.amount
    return totals


def _receivable_lines(loan: Loan, totals: dict[str, Decimal]) -> list[Line]:
    """Credits to the loan's receivables for what was applied (1304/1302 in cartera vencida)."""
    vencida = loan.classification == Classification.VENCIDA
    cur = loan.currency
    return [
        Line(chart.INTERESES_MORATORIOS, -totals["moratorium"], cur, loan.pk),
        Line(
            chart.INTERESES_VENCIDOS if vencida else chart.INTERESES_DEVENGADOS,
            -totals["interest"],
            cur,
            loan.pk,
        ),
        Line(chart.CARTERA_VENCIDA if vencida else chart.CARTERA_VIGENTE, -totals["principal"], cur, loan.pk),
    ]


def active_installments(loan: Loan, *, unpaid_only: bool = False) -> list[Installment]:
    """The installments of the loan's active schedule version, by number (also read by the guarantee funds)."""
    rows = Installment.objects.filter(version__loan=loan, version__active=True)
    if unpaid_only:
        rows = rows.exclude(status=InstallmentStatus.PAID)
    return list(rows.order_by("number"))


def _save_rows(rows: Iterable[Installment]) -> None:
    Installment.objects.bulk_update(list(rows), list(_STATE_FIELDS))


def _owes_nothing(loan: Loan) -> bool:
    """No principal, interest or moratorium owed, no money held for it, every installment paid."""
    position = (
        loan.principal_balance,
        loan.accrued_interest,
        loan.accrued_moratorium,
        loan.unapplied_balance,
    )
    if any(position):
        return False
    return not Installment.objects.filter(version__loan=loan, version__active=True).exclude(
        status=InstallmentStatus.PAID
    )


def _line_in_force(loan: Loan, on: date) -> bool:
    """A revolving line may draw again until it expires: paid to zero, it is not closed before then."""
    return loan.is_revolving and (loan.line_expires_on is None or on <= loan.line_expires_on)


def _paid_off_set(*, loan: Loan, on: date | None, user: User | None) -> None:
    """Close the loan (status «Liquidado», `paid_off_on = on`) or, with `on=None`, reopen it; the audit
    record goes with it. The caller saves the loan (`_POSITION_FIELDS`)."""
    action = "loan.paid_off" if on is not None else "loan.reopened"
    with audited(user=user, action=action, obj=loan, fields=["status", "paid_off_on"], office=loan.office):
        if on is None:
            loan.status, loan.paid_off_on = LOAN.target("reopen"), None
        else:
            loan.status, loan.paid_off_on = LOAN.target("pay_off"), on


def _settle_position(loan: Loan, *, on: date, user: User | None) -> None:
    """Closed (liquidado on `on`) when nothing is owed and no line is in force; open again when a reversal
    leaves something owed on a closed loan."""
    if loan.status == LoanStatus.ACTIVE and not _line_in_force(loan, on) and _owes_nothing(loan):
        _paid_off_set(loan=loan, on=on, user=user)
    elif loan.status == LoanStatus.PAID_OFF and not _owes_nothing(loan):
        _paid_off_set(loan=loan, on=None, user=user)
    loan.maturity_date = (
        Installment.objects.filter(version__loan=loan, version__active=True)
        .order_by("-due")
        .values_list("due", flat=True)
        .first()
    ) or loan.maturity_date


# ------------------------------------------------------------------------------------------ prepayment


def _core_schedule(loan: Loan, rows: Sequence[Installment]) -> core_schedule.Schedule:
    """The active schedule version as the pure core's `Schedule`, for `prepayment_apply`.

    Each period's rate is recomputed from the loan's terms; prepayments already made inside a period come
    from the applied payments (a stored row's opening balance is net of them, as `schedule_store` keeps it).
    """
    assert loan.first_disbursed_on is not None
    terms = loan_terms(
        loan,
        principal=loan.contracted_amount,
        start=loan.first_disbursed_on,
        term_months=loan.term_months,
        grace_months=loan.grace_months,
    )
    cuts = terms.period_boundaries()
    earlier = _prepayments_by_installment(loan)
    installments = []
    for row in rows:
        bounds = cuts[row.number - 1] if row.number <= len(cuts) else None
        if bounds is None or (bounds[0], bounds[-1]) != (row.start, row.due):
            raise TransitionRefused(
                f"La amortización {row.number} no coincide con los periodos del contrato; "
                "el pago anticipado no puede recalcular la tabla.",
                field="prepayment",
            )
        early = earlier.get(row.number, ())
        installments.append(
            core_schedule.Installment(
                number=row.number,
                start=row.start,
                due=row.due,
                payable=row.payable,
                rate=row.rate,
                opening_balance=row.opening_balance + sum((a for _, a in early), ZERO),
                interest=row.interest,
                principal=row.principal,
                balance=row.opening_balance - row.principal,
                period_rate=terms.rate.period_rate(bounds),
                prepayments=early,
            )
        )
    return core_schedule.Schedule(terms, tuple(installments))


def _prepayments_by_installment(loan: Loan) -> dict[int, tuple[tuple[date, Decimal], ...]]:
    found: dict[int, list[tuple[date, Decimal]]] = {}
    applied = Payment.objects.filter(
        loan=loan, status=PaymentStatus.APPLIED, schedule_version__isnull=False
    ).order_by("value_date", "id")
    for payment in applied:
        for piece in map(Applied.from_json, payment.allocation):
            if piece.concept == PREPAID_PRINCIPAL and piece.installment is not None:
                found.setdefault(piece.installment, []).append((payment.value_date, piece.amount))
    return {number: tuple(items) for number, items in found.items()}


def _notice_refusal(loan: Loan, value_date: date, notified_on: date | None) -> DomainError | None:
    """9.2.6: the borrower notifies a prepayment at least N business days ahead (N from the rule set)."""
    rates = load_ruleset_version(loan.ruleset_version).rates
    days = rates.prepayment_notice_business_days
    deadline = prepayment_notice_deadline(value_date, days)
    if notified_on is None or notified_on > deadline:
        given = f"; el aviso se dio el {notified_on:%d/%m/%Y}" if notified_on else "; no hay aviso"
        return DomainError(
            f"El pago anticipado debe notificarse con al menos {days} día(s) hábil(es) de anticipación: "
            f"a más tardar el {deadline:%d/%m/%Y}{given}.",
            field="notified_on",
            rule=rates.prepayment_rule,
        )
    return None


def _prepay(
    *, user: User, loan: Loan, amount: Decimal, on: date, notified_on: date
) -> tuple[ScheduleVersion, Applied]:
    """Apply `amount` of principal to the last installments: a new active version, the old one kept."""
    rows = active_installments(loan)
    ruleset = load_ruleset_version(loan.ruleset_version)
    try:
        result = prepayment_apply(
            _core_schedule(loan, rows),
            amount=amount,
            on=on,
            notified_on=notified_on,
            notice_business_days=ruleset.rates.prepayment_notice_business_days,
        )
    except InputErrors as exc:
        raise ValidationFailed(
            [DomainError(f"Pago anticipado: {e.message}.", field=e.field, rule=e.rule) for e in exc.errors]
        ) from None
    current = result.schedule.installment_for(on)
    assert current is not None
    version = schedule_store(
        loan=loan,
        schedule=result.schedule,
        reason=f"Pago anticipado de {amount} el {on:%d/%m/%Y}: {result.installments_removed} "
        "amortización(es) menos",
        user=user,
    )
    old = {row.number: row for row in rows}
    new_rows = list(version.installments.order_by("number"))
    for row in new_rows:
        previous = old.get(row.number)
        if previous is not None:
            for field in _STATE_FIELDS:
                setattr(row, field, getattr(previous, field))
            if row.due <= on:
                row.projected_interest = previous.projected_interest
        if row.principal == 0 and row.interest == 0:
            row.status = InstallmentStatus.PAID  # nothing left to pay in it (a prepayment on its first day)
    Installment.objects.bulk_update(new_rows, [*_STATE_FIELDS, "projected_interest"])
    return version, Applied(PREPAID_PRINCIPAL, current.number, amount)


# -------------------------------------------------------------------------------------------- payments


def _payment_for_key(loan: Loan, key: str) -> Payment | None:
    return Payment.objects.filter(loan=loan, idempotency_key=key).first()


def _payment_request(
    *, amount: Decimal, value_date: date, currency: str, prepayment: bool, notified_on: date | None
) -> dict[str, Any]:
    """What a payment request asks, as its key's record compares it (a notice counts only for a prepayment)."""
    return {
        "amount": amount,
        "value_date": value_date,
        "currency": currency,
        "prepayment": prepayment,
        "notified_on": notified_on if prepayment else None,
    }


@transaction.atomic
def payment_apply(
    *,
    user: User,
    loan: Loan,
    amount: Decimal,
    value_date: date,
    idempotency_key: str,
    currency: str | None = None,
    prepayment: bool = False,
    notified_on: date | None = None,
) -> Payment:
    """Record a payment once per (loan, key), decided under the loan's lock (`filon.idempotency.once`): the
    same key with the same data returns the first payment unchanged (`replayed(payment)`), with other data
    it is a conflict (409).

    The loan is accrued through the value date, the money allocated in the engine's order and what is left
    prepaid (9.2.6) or held in «pagos por aplicar»; one balanced entry, the installments, the loan position
    and the audit record change together.
    """
    require_role(user, REGIONAL, "registrar pagos")
    key = key_clean(idempotency_key)
    loan = lock_loan(loan)
    require_office(user, loan.office_id, "El crédito")
    currency = currency or loan.currency

    def earlier() -> tuple[Payment, dict[str, Any]] | None:
        # a payment keyed on its own column before requests were recorded by `once`
        first = _payment_for_key(loan, key)
        if first is None:
            return None
        return first, _payment_request(
            amount=first.amount,
            value_date=first.value_date,
            currency=first.currency,
            prepayment=first.is_prepayment,
            notified_on=first.notified_on,
        )

    return once(
        operation="payment",
        scope=scope_of(loan),
        key=key,
        request=_payment_request(
            amount=amount,
            value_date=value_date,
            currency=currency,
            prepayment=prepayment,
            notified_on=notified_on,
        ),
        user=user,
        what="otro pago de este crédito",
        earlier=earlier,
        perform=lambda: _payment_post(
            user=user,
            loan=loan,
            amount=amount,
            value_date=value_date,
            key=key,
            currency=currency,
            prepayment=prepayment,
            notified_on=notified_on,
        ),
    )


def _refuse_payment(
    *,
    loan: Loan,
    amount: Decimal,
    value_date: date,
    currency: str,
    prepayment: bool,
    notified_on: date | None,
) -> None:
    errors: list[DomainError] = []
    ruleset = load_ruleset_version(loan.ruleset_version)
    amount_check(amount, field="amount", label="Importe del pago", ruleset=ruleset, errors=errors)
    if not errors and (not isinstance(amount, Decimal) or amount <= 0 or not is_cents(amount)):
        errors.append(DomainError("El importe debe ser positivo y en centavos.", field="amount"))
    if currency != loan.currency:
        errors.append(
            DomainError(
                f"La moneda del pago ({currency}) no es la del crédito ({loan.currency}).", field="currency"
            )
        )
    refusal = value_date_refusal(value_date)
    if refusal is not None:
        errors.extend(refusal.errors)
    if errors:
        raise ValidationFailed(errors)
    if loan.status == LoanStatus.PAID_OFF:
        since = f" desde el {loan.paid_off_on:%d/%m/%Y}" if loan.paid_off_on else ""
        raise TransitionRefused(f"El crédito está liquidado{since}; no admite más pagos.", field="status")
    if loan.status != LoanStatus.ACTIVE:
        raise TransitionRefused(
            f"El crédito no admite pagos: está «{loan.get_status_display()}».", field="status"
        )
    if loan.first_disbursed_on and value_date < loan.first_disbursed_on:
        raise ValidationFailed(
            [DomainError("La fecha valor es anterior a la primera ministración.", field="value_date")]
        )
    if loan.accrued_through and value_date < loan.accrued_through:
        raise TransitionRefused(
            f"Los intereses del crédito ya están devengados al {loan.accrued_through:%d/%m/%Y}; los pagos "
            "se aplican en orden de fecha valor: registre este con esa fecha o una posterior.",
            field="value_date",
        )
    if prepayment:
        if loan.is_revolving:
            raise TransitionRefused(
                "Las disposiciones de una línea revolvente se pagan a su vencimiento; no hay tabla que "
                "acortar con un pago anticipado.",
                field="prepayment",
            )
        refusal = _notice_refusal(loan, value_date, notified_on)
        if refusal is not None:
            raise ValidationFailed([refusal])
    refusal = _payoff_refusal(loan, amount, value_date)
    if refusal is not None:
        raise ValidationFailed([refusal])


def _payoff_refusal(loan: Loan, amount: Decimal, value_date: date) -> DomainError | None:
    """No payment beyond what settles the loan on its value date: the loan can never owe it back."""
    payoff = loan_payoff(loan=loan, on=value_date)
    if amount <= payoff.total:
        return None
    held = (
        f", menos {format_money(payoff.unapplied, loan.currency)} ya recibidos en pagos por aplicar"
        if payoff.unapplied
        else ""
    )
    return DomainError(
        f"El importe ({format_money(amount, loan.currency)}) excede el saldo para liquidar el crédito al "
        f"{value_date:%d/%m/%Y}: {format_money(payoff.total, loan.currency)} (capital, intereses ordinarios y "
        f"moratorios devengados a esa fecha{held}). No se reciben pagos por más de lo que se adeuda.",
        field="amount",
    )


def _settles(loan: Loan, amount: Decimal, rows: Sequence[Installment], on: date, prepayment: bool) -> bool:
    """Whether the payment (the loan accrued through `on`) settles the loan on `on`: it is the payoff
    amount, and all of it may be paid today — every installment is payable, or it is a prepayment (9.2.6)."""
    if amount != loan_payoff(loan=loan, on=on).total:
        return False
    return prepayment or all(row.payable <= on for row in rows)


def _liquidation(loan: Loan, amount: Decimal, rows: Sequence[Installment], on: date) -> list[Applied]:
    """Settle every unpaid installment with the payment and the money held in 2102: what is owed on `on`
    in the engine's order, then each later installment's interest accrued through `on` and its principal.
    The interest of days not yet run is not owed (a prepayment bears no penalty, 9.2.6); the schedule is
    kept as contracted. The installments in `rows` are updated in memory (not saved)."""
    held = loan.unapplied_balance
    before = {row.pk: row.status for row in rows}
    pieces, left = _allocate(amount + held, rows, on)
    for row in sorted(rows, key=lambda r: r.number):
        if row.status == InstallmentStatus.PAID:
            continue
        interest = row.interest_accrued - row.interest_paid
        principal = row.principal - row.principal_paid
        status = before[row.pk]
        if interest:
            pieces.append(Applied(PAYOFF_INTEREST, row.number, interest, status))
        if principal or not interest:  # a piece per installment: its status comes back on a reversal
            pieces.append(Applied(PAYOFF_PRINCIPAL, row.number, principal, status))
        row.interest_paid += interest
        row.principal_paid += principal
        row.status = InstallmentStatus.PAID
        left -= interest + principal
    if left or any(row.moratorium_paid != row.moratorium_accrued for row in rows):
        raise TransitionRefused(
            f"La posición del crédito {loan.number} no coincide con sus amortizaciones; no puede liquidarse.",
            field="amount",
        )
    if held:
        pieces.append(Applied(UNAPPLIED_USED, None, held))
    return pieces


def _payment_post(
    *,
    user: User,
    loan: Loan,
    amount: Decimal,
    value_date: date,
    key: str,
    currency: str,
    prepayment: bool,
    notified_on: date | None,
) -> Payment:
    _refuse_payment(
        loan=loan,
        amount=amount,
        value_date=value_date,
        currency=currency,
        prepayment=prepayment,
        notified_on=notified_on,
    )
    amount = round_money(amount)  # already in centavos: only fixes the exponent (2 decimals on record)
    # Not `audited`: the record is on the payment, created below, with no "before"; the loan's go in "after".
    before = snapshot(loan, _POSITION_FIELDS)
    loan_accrue(loan=loan, through=value_date)
    rows = active_installments(loan, unpaid_only=True)
    settles = _settles(loan, amount, rows, value_date, prepayment)
    if settles:
        pieces, left = _liquidation(loan, amount, rows, value_date), ZERO
    else:
        pieces, left = _allocate(amount, rows, value_date)
    _save_rows(rows)
    version = None
    if left and prepayment:
        assert notified_on is not None
        version, prepaid = _prepay(user=user, loan=loan, amount=left, on=value_date, notified_on=notified_on)
        pieces.append(prepaid)
    elif left:
        pieces.append(Applied(UNAPPLIED, None, left))
    totals = _totals(pieces)
    cur = loan.currency
    entry = entry_post(
        kind=PAYMENT_KIND,
        business_date=value_date,
        loan_id=loan.pk,
        user=user,
        description=f"Pago del crédito {loan.number}, fecha valor {value_date:%d/%m/%Y}",
        lines=[
            Line(chart.BANCOS, amount, cur),
            *_receivable_lines(loan, totals),
            Line(chart.PAGOS_POR_APLICAR, -totals["unapplied"], cur, loan.pk),
        ],
    )
    payment = Payment.objects.create(
        loan=loan,
        idempotency_key=key,
        value_date=value_date,
        amount=amount,
        currency=cur,
        is_prepayment=version is not None or (settles and prepayment),
        notified_on=notified_on if prepayment else None,
        allocation=[piece.as_json() for piece in pieces],
        entry=entry,
        schedule_version=version,
        created_by=user,
    )
    loan.principal_balance -= totals["principal"]
    loan.accrued_interest -= totals["interest"]
    loan.accrued_moratorium -= totals["moratorium"]
    loan.unapplied_balance += totals["unapplied"]
    _settle_position(loan, on=value_date, user=user)
    loan.save(update_fields=list(_POSITION_FIELDS))
    audit_record(
        user=user,
        action="payment.apply",
        obj=payment,
        before=None,
        after={
            **snapshot(
                payment, ["loan_id", "idempotency_key", "value_date", "amount", "currency", "is_prepayment"]
            ),
            "allocation": payment.allocation,
            "loan_before": before,
            "loan_after": snapshot(loan, _POSITION_FIELDS),
        },
        office=loan.office,
    )
    return payment


@transaction.atomic
def unapplied_apply(*, loan: Loan, on: date) -> Decimal:
    """Apply money held in «pagos por aplicar» to installments payable on or before `on`, in the engine's
    order: Dr 2102 / Cr receivables. Returns what was applied.

    Called by the daily close inside its transaction, after the day's accrual (the loan is accrued through
    `on` here too, which is a no-op when that is done). The loan row is locked and saved here; the caller's
    `loan` object is refreshed with the new position.
    """
    locked = lock_loan(loan)
    if locked.unapplied_balance <= 0 or locked.status != LoanStatus.ACTIVE:
        return ZERO
    # Not `audited`: when the accrued loan has nothing payable, it returns below without a record.
    before = snapshot(locked, _POSITION_FIELDS)
    loan_accrue(loan=locked, through=on)
    rows = active_installments(locked, unpaid_only=True)
    pieces, _left = _allocate(locked.unapplied_balance, rows, on)
    totals = _totals(pieces)
    applied = totals["principal"] + totals["interest"] + totals["moratorium"]
    if not applied:
        loan.refresh_from_db(fields=[*list(_POSITION_FIELDS), "accrued_through"])
        return ZERO
    _save_rows(rows)
    cur = locked.currency
    entry_post(
        kind=UNAPPLIED_KIND,
        business_date=on,
        loan_id=locked.pk,
        description=f"Aplicación de pagos por aplicar del crédito {locked.number} al {on:%d/%m/%Y}",
        lines=[Line(chart.PAGOS_POR_APLICAR, applied, cur, locked.pk), *_receivable_lines(locked, totals)],
    )
    locked.principal_balance -= totals["principal"]
    locked.accrued_interest -= totals["interest"]
    locked.accrued_moratorium -= totals["moratorium"]
    locked.unapplied_balance -= applied
    _settle_position(locked, on=on, user=None)
    locked.save(update_fields=list(_POSITION_FIELDS))
    audit_record(
        user=None,
        action="loan.unapplied_apply",
        obj=locked,
        before=before,
        after={
            **snapshot(locked, _POSITION_FIELDS),
            "on": on.isoformat(),
            "allocation": [piece.as_json() for piece in pieces],
        },
        office=locked.office,
    )
    loan.refresh_from_db(fields=[*list(_POSITION_FIELDS), "accrued_through"])
    return applied


# ------------------------------------------------------------------------------------------- reversal


def payment_reversal_check(*, loan: Loan, payment: Payment, reason: str) -> None:
    """Whether `payment` may be reversed now (a reason, still applied, no fund's payment, the latest one,
    nothing built on it since): asked when the reversal is requested and again when it is approved."""
    if not reason.strip():
        raise ValidationFailed([DomainError("Indique el motivo de la reversa.", field="reason")])
    if payment.status == PaymentStatus.REVERSED:
        raise TransitionRefused("El pago ya fue reversado.", field="status")
    refusal = reversal_refusal(payment=payment)  # a guarantee fund's payment (`servicing.checks`)
    if refusal is not None:
        raise refusal
    latest = Payment.objects.filter(loan=loan, status=PaymentStatus.APPLIED).order_by("-id").first()
    if latest is not None and latest.pk != payment.pk:
        raise TransitionRefused(
            f"Sólo se reversa el último pago aplicado del crédito (el de {latest.amount} {latest.currency} "
            f"con fecha valor {latest.value_date:%d/%m/%Y}); reverse primero los posteriores.",
            field="payment",
        )
    if JournalEntry.objects.filter(loan=loan, kind=UNAPPLIED_KIND, pk__gt=payment.entry_id).exists():
        raise TransitionRefused(
            "Después de este pago se aplicaron pagos por aplicar a las amortizaciones; el pago ya no puede "
            "reversarse.",
            field="payment",
        )
    codes = set(payment.entry.postings.filter(loan=loan).values_list("account__code", flat=True))
    posted_vencida = bool(codes & {chart.CARTERA_VENCIDA, chart.INTERESES_VENCIDOS})
    posted_vigente = bool(codes & {chart.CARTERA_VIGENTE, chart.INTERESES_DEVENGADOS})
    now_vencida = loan.classification == Classification.VENCIDA
    if (posted_vencida and not now_vencida) or (posted_vigente and now_vencida):
        raise TransitionRefused(
            "El crédito cambió de clasificación (cartera vigente / vencida) después del pago; la reversa "
            "exacta de su póliza ya no corresponde a la cartera.",
            field="payment",
        )
    if (
        payment.schedule_version_id
        and not ScheduleVersion.objects.filter(pk=payment.schedule_version_id, active=True).exists()
    ):
        raise TransitionRefused(
            "La tabla de amortización cambió después de este pago anticipado; no puede reversarse.",
            field="payment",
        )


def _reactivate_previous(loan: Loan, version: ScheduleVersion) -> None:
    """Undo a prepayment's schedule: the previous version is active again, carrying what happened since
    (accruals, statuses) on the installments both versions share; the prepayment's version is kept."""
    previous = ScheduleVersion.objects.get(loan=loan, number=version.number - 1)
    now = {row.number: row for row in version.installments.all()}
    rows = list(previous.installments.order_by("number"))
    for row in rows:
        newer = now.get(row.number)
        if newer is None:
            continue
        status = row.status
        for field in _STATE_FIELDS:
            setattr(row, field, getattr(newer, field))
        if row.status == InstallmentStatus.PAID and not _settled(row):
            row.status = status
    _save_rows(rows)
    ScheduleVersion.objects.filter(pk=version.pk).update(active=False)
    ScheduleVersion.objects.filter(pk=previous.pk).update(active=True)


def _accrual_catch_up(
    *, user: User, loan: Loan, payment: Payment, pieces: Sequence[Applied], rows: dict[int, Installment]
) -> tuple[Decimal, Decimal]:
    """What the accrual would hold had the payment never been made, when the loan was accrued past its
    value date meanwhile: the late principal it restores bears the moratorium of those days (R-9.2.5: until
    paid), and a period re-priced by a reversed prepayment accrues its original interest. Posted as an
    accrual of its own; returns (interest, moratorium)."""
    through = loan.accrued_through
    if through is None or through <= payment.value_date:
        return ZERO, ZERO
    restored: dict[int, Decimal] = {}
    for piece in pieces:
        if piece.concept in _PRINCIPAL and piece.installment is not None:
            restored[piece.installment] = restored.get(piece.installment, ZERO) + piece.amount
    unpaid = {row.pk: row for row in rows.values() if row.status != InstallmentStatus.PAID}
    owed = [
        InstallmentState(
            row.pk,
            row.start,
            row.due,
            row.payable,
            row.rate,
            row.interest,
            row.interest_accrued,
            restored.get(row.number, ZERO),
            row.moratorium_accrued,
        )
        for row in unpaid.values()
    ]
    deltas = accrual_deltas(
        owed,
        accrued_through=payment.value_date,
        through=through,
        moratorium_factor=loan.moratorium_factor,
        delay_rate=lambda: loan_delay_rate(loan),
    )
    interest = mora = ZERO
    for delta in deltas:
        row = unpaid[delta.installment_id]
        row.interest_accrued += delta.interest
        row.moratorium_accrued += delta.moratorium
        interest += delta.interest
        mora += delta.moratorium
    if interest or mora:
        entry_post(
            kind="devengo",
            business_date=today_mx(),
            loan_id=loan.pk,
            user=user,
            description=f"Devengo del {payment.value_date:%d/%m/%Y} al {through:%d/%m/%Y} por la reversa de "
            f"un pago del crédito {loan.number}",
            lines=accrual_lines(
                loan_id=loan.pk,
                currency=loan.currency,
                vencida=loan.classification == Classification.VENCIDA,
                interest=interest,
                moratorium=mora,
            ),
        )
    return interest, mora


def payment_reverse_post(*, user: User, loan: Loan, payment: Payment, reason: str) -> Payment:
    """Reverse the loan's latest applied payment: the reversing entry of its entry (never an edit), the
    installments and the loan position restored exactly; a prepayment's previous schedule is active again.
    When the loan was accrued past the value date meanwhile, the late principal restored also bears the
    moratorium of those days (`_accrual_catch_up`). Only the approval of a reversal request calls it
    (`servicing.release.reversal_approve`: another user than the one who asked, the loan already locked)."""
    payment = Payment.objects.select_for_update().select_related("entry").get(pk=payment.pk)
    payment_reversal_check(loan=loan, payment=payment, reason=reason)

    def reversal_state(p: Payment) -> dict[str, Any]:
        # An applied payment has no reversal entry nor reason: both read None before.
        return {
            "status": p.status,
            "loan": snapshot(loan, _POSITION_FIELDS),
            "reversal_entry": p.reversal_entry_id,
            "reason": p.reversal_reason or None,
        }

    with audited(user=user, action="payment.reverse", obj=payment, fields=reversal_state, office=loan.office):
        pieces = [Applied.from_json(item) for item in payment.allocation]
        totals = _totals(pieces)
        if totals["unapplied"] > loan.unapplied_balance:
            raise TransitionRefused(
                "El dinero de este pago que quedó en pagos por aplicar ya se usó; no puede reversarse.",
                field="payment",
            )
        reversal = entry_reverse(
            entry=payment.entry,
            business_date=today_mx(),
            description=f"Reversa del pago del crédito {loan.number} del {payment.value_date:%d/%m/%Y}: "
            f"{reason.strip()}",
            user=user,
        )
        if payment.schedule_version_id:
            assert payment.schedule_version is not None
            _reactivate_previous(loan, payment.schedule_version)
        rows = {row.number: row for row in active_installments(loan)}
        for piece in reversed(pieces):
            field = _PAID_FIELD.get(piece.concept)
            if field is None or piece.installment is None:
                continue
            row = rows[piece.installment]
            setattr(row, field, getattr(row, field) - piece.amount)
            if row.status == InstallmentStatus.PAID and not _settled(row):
                # paid off by this payment: back to its status before it (a later close keeps its own)
                row.status = piece.status_before or InstallmentStatus.PENDING
        caught_up = _accrual_catch_up(user=user, loan=loan, payment=payment, pieces=pieces, rows=rows)
        _save_rows(rows.values())
        loan.accrued_interest += caught_up[0]
        loan.accrued_moratorium += caught_up[1]
        loan.principal_balance += totals["principal"]
        loan.accrued_interest += totals["interest"]
        loan.accrued_moratorium += totals["moratorium"]
        loan.unapplied_balance -= totals["unapplied"]
        _settle_position(loan, on=payment.value_date, user=user)
        loan.save(update_fields=list(_POSITION_FIELDS))
        payment.status = PaymentStatus.REVERSED
        payment.reversal_entry = reversal
        payment.reversal_reason = reason.strip()
        payment.save(update_fields=["status", "reversal_entry", "reversal_reason"])
    return payment


# ------------------------------------------------------------------------------------ expired lines


def expired_lines_close(*, on: date) -> int:
    """Close every revolving line that expired before `on` owing nothing (a line paid to zero while in
    force stays open, `_settle_position`): «Liquidado» on the line's expiry. Called by the daily close of
    `on` inside its transaction, before the portfolio walk. Returns how many lines were closed."""
    lines = Loan.objects.filter(
        status=LoanStatus.ACTIVE,
        is_revolving=True,
        line_expires_on__lt=on,
        principal_balance=0,
        accrued_interest=0,
        accrued_moratorium=0,
        unapplied_balance=0,
    )
    closed = 0
    for line in lines.order_by("pk"):
        locked = lock_loan(line)
        if locked.status == LoanStatus.ACTIVE and _owes_nothing(locked):
            assert locked.line_expires_on is not None
            _paid_off_set(loan=locked, on=locked.line_expires_on, user=None)
            locked.save(update_fields=["status", "paid_off_on"])
            closed += 1
    return closed
