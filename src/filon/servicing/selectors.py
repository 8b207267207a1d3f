"""Reads on loans, scoped to the user's regional office, and the loan's position as the ledger must show it."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from filon.accounts.access import office_in_scope, scope_to_office
from filon.accounts.models import User
from filon.errors import NotFound
from filon.ledger import chart
from filon.origination.models import LoanRequest
from filon.platform.lookups import KEY, fetch_row, instance_from_row, lookup_statement
from filon.servicing.accrual import loan_accrual_deltas
from filon.servicing.duties import RELEASERS
from filon.servicing.models import (
    Classification,
    DisbursementOrder,
    Loan,
    LoanStatus,
    OrderStatus,
    ReversalRequest,
    ReversalStatus,
)

ZERO = Decimal(0)
LOAN_RELATED = ("applicant", "office")  # what a loan is read with: every loan page shows both


def loan_list_for_user(*, user: User) -> QuerySet[Loan]:
    return scope_to_office(Loan.objects.select_related(*LOAN_RELATED), user)


def loan_get_for_user(*, user: User, loan_id: int) -> Loan:
    """Another office's loan does not exist for a regional user (404, not 403). The loan with its applicant
    and office, as `loan_list_for_user` has them, by a statement compiled once per process
    (`filon.platform.lookups`): every page and action on a loan reads it."""
    row = fetch_row(_loan_statement(), Loan, loan_id)
    if row is None:
        raise NotFound("No existe el crédito.")
    loan = instance_from_row(Loan, LOAN_RELATED, row)
    if not office_in_scope(user, loan.office_id):
        raise NotFound("No existe el crédito.")
    return loan


@functools.cache
def _loan_statement() -> str:
    return lookup_statement(Loan.objects.select_related(*LOAN_RELATED).filter(pk=KEY).order_by())


@dataclass(frozen=True)
class LoanMark:
    """What names one state of a loan for the pages kept under it (`filon.platform.pagecache`), read in one light query:
    the loan row's revision mark, and a digest of the applicant's name and RFC and the office's name (rows of
    their own, shown on the pages)."""

    pk: int
    number: str
    revision: int
    office_id: int
    names: str


def loan_mark_for_user(*, user: User, loan_id: int) -> LoanMark:
    """The loan's mark, scoped like `loan_get_for_user` (another office's loan does not exist: 404)."""
    row = fetch_row(_mark_statement(), Loan, loan_id)
    if row is None or not office_in_scope(user, row[3]):
        raise NotFound("No existe el crédito.")
    pk, number, revision, office_id, *names = row
    digest = hashlib.blake2b("\x00".join(names).encode(), digest_size=8).hexdigest()
    return LoanMark(pk, number, revision, office_id, digest)


@functools.cache
def _mark_statement() -> str:
    """Compiled once per process (`filon.platform.lookups`); the office scope is `office_in_scope`, applied to the
    row read."""
    loans = Loan.objects.order_by().filter(pk=KEY)
    return lookup_statement(
        loans.values_list(
            "pk", "number", "revision", "office_id", "applicant__name", "applicant__rfc", "office__name"
        )
    )


def loan_position(loan: Loan) -> dict[str, Decimal]:
    """The servicing position as ledger balances per account (debit positive), for `ledger check`."""
    vencida = loan.classification == Classification.VENCIDA
    position = {
        chart.CARTERA_VENCIDA if vencida else chart.CARTERA_VIGENTE: loan.principal_balance,
        chart.INTERESES_VENCIDOS if vencida else chart.INTERESES_DEVENGADOS: loan.accrued_interest,
        chart.INTERESES_MORATORIOS: loan.accrued_moratorium,
        chart.PAGOS_POR_APLICAR: -loan.unapplied_balance,
    }
    return {code: amount for code, amount in position.items() if amount}


def loan_status_label(loan: Loan) -> str:
    """The loan's status as people read it, with its payoff date once closed: «Liquidado el 14/07/2026»."""
    label = loan.get_status_display()
    if loan.status == LoanStatus.PAID_OFF and loan.paid_off_on is not None:
        return f"{label} el {loan.paid_off_on:%d/%m/%Y}"
    if loan.status == LoanStatus.WRITTEN_OFF and loan.written_off_on is not None:
        return f"{label} el {loan.written_off_on:%d/%m/%Y}"
    return label


@dataclass(frozen=True)
class Payoff:
    """What settles a loan in full on `on` («saldo para liquidar»): its principal, the ordinary interest and
    the moratorium accrued through `on`, and the charges owed (none: no servicing model carries commissions
    or costs after disbursement, see `filon.servicing.payments`), less the money already held for it in
    «pagos por aplicar». No payment may exceed `total`."""

    on: date
    principal: Decimal
    interest: Decimal
    moratorium: Decimal
    charges: Decimal
    unapplied: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.moratorium + self.charges - self.unapplied


def loan_payoff(*, loan: Loan, on: date) -> Payoff:
    """The loan's payoff amount on `on`: its position plus what accruing it through `on` would add (the
    accrual engine's own deltas, `loan_accrual_deltas`; nothing is written). A date the loan is already
    accrued past adds nothing: payments are applied in value-date order from `accrued_through`."""
    deltas = loan_accrual_deltas(loan=loan, through=on)
    return Payoff(
        on=on,
        principal=loan.principal_balance,
        interest=loan.accrued_interest + sum((d.interest for d in deltas), ZERO),
        moratorium=loan.accrued_moratorium + sum((d.moratorium for d in deltas), ZERO),
        charges=ZERO,
        unapplied=loan.unapplied_balance,
    )


def loan_positions(loan_ids: list[int] | None = None) -> dict[int, dict[str, Decimal]]:
    qs = Loan.objects.all() if loan_ids is None else Loan.objects.filter(pk__in=loan_ids)
    return {loan.pk: loan_position(loan) for loan in qs.iterator(chunk_size=2000)}


def loan_requests_for_loan(loan: Loan) -> list[LoanRequest]:
    """The loan's requests to committee (restructurings, write-offs), newest first. They hang from the
    loan's file; a loan without a file has none."""
    if loan.file_id is None:
        return []
    return list(
        LoanRequest.objects.filter(file_id=loan.file_id, loan_number=loan.number)
        .select_related("requested_by", "applied_by")
        .order_by("-requested_at", "-pk")
    )


# ------------------------------------------------------------------------------ four eyes: pending work


def _releaser(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.role in RELEASERS)


def disbursements_to_release(user: User) -> QuerySet[DisbursementOrder]:
    """The captured disbursement orders `user` may release: of its office (all, for a central role), of a
    releasing role, never the ones it captured itself (`servicing.release`). Oldest first, with the loan,
    its applicant and the capturer."""
    if not _releaser(user):
        return DisbursementOrder.objects.none()
    orders = DisbursementOrder.objects.filter(status=OrderStatus.CAPTURED).exclude(captured_by=user)
    return scope_to_office(orders, user, "loan__office").select_related(
        "loan", "loan__applicant", "captured_by"
    )


def reversals_to_approve(user: User) -> QuerySet[ReversalRequest]:
    """The pending reversal requests `user` may approve: of its office (all, for a central role), of an
    approving role, never the ones it asked for itself. Oldest first, with the loan, the payment and the
    requester."""
    if not _releaser(user):
        return ReversalRequest.objects.none()
    rows = ReversalRequest.objects.filter(status=ReversalStatus.REQUESTED).exclude(requested_by=user)
    return scope_to_office(rows, user, "loan__office").select_related(
        "loan", "loan__applicant", "payment", "requested_by"
    )
