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
from filon.core.money import round_money
from filon.core.rates import MissingRate
from filon.errors import DomainError, NotFound
from filon.ledger import chart
from filon.marketdata.selectors import rate_series_get
from filon.origination.models import LoanRequest
from filon.platform.lookups import KEY, fetch_row, instance_from_row, lookup_statement
from filon.rules import load_ruleset_for_date
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


# ------------------------------------------------------------------------- portfolio quality (dashboards)

# Days-past-due buckets of the aging report and the PAR thresholds: report conventions of the portfolio's
# quality (portfolio at risk), not numbers of the Rules.
AGING_BUCKETS: tuple[tuple[int, int | None, str], ...] = (
    (1, 30, "1–30 días"),
    (31, 60, "31–60 días"),
    (61, 90, "61–90 días"),
    (91, None, "Más de 90 días"),
)
PAR_DAYS = (30, 90)


@dataclass(frozen=True)
class Bucket:
    label: str
    loans: int
    principal: Decimal


@dataclass(frozen=True)
class PortfolioQuality:
    """The active loans' principal balance in MXN (USD at the FIX published before `on`, C-5/C-6): by
    classification, by days past due (current, then `AGING_BUCKETS`), and PAR30/PAR90, the share of the
    principal of loans more than 30 / 90 days past due."""

    loans: int
    principal: Decimal
    by_class: list[Bucket]
    aging: list[Bucket]  # «Al corriente» first
    par30: Decimal | None
    par90: Decimal | None


def _principal_mxn(rows: list[tuple], on: date) -> list[tuple]:
    """(…, currency, principal, …) rows with the principal in MXN: the currency is the row's 2nd item and the
    principal its 3rd."""
    if all(row[1] == "MXN" for row in rows):
        return rows
    try:
        fx = rate_series_get("FIX").value_before(on)
    except (MissingRate, LookupError) as exc:
        raise DomainError(
            f"No se puede convertir a pesos la cartera en dólares: {exc}", field="fx_usd_mxn", rule="C-6"
        ) from None
    return [(*row[:2], row[2] if row[1] == "MXN" else round_money(row[2] * fx), *row[3:]) for row in rows]


def _quality(rows: list[tuple]) -> PortfolioQuality:
    """Rows of (office_id, currency, principal_mxn, days_past_due, classification)."""
    total = sum((row[2] for row in rows), ZERO)
    by_class = [
        Bucket(
            label,
            sum(1 for row in rows if row[4] == value),
            sum((row[2] for row in rows if row[4] == value), ZERO),
        )
        for value, label in Classification.choices
    ]
    aging = [
        Bucket(
            "Al corriente",
            sum(1 for row in rows if row[3] == 0),
            sum((row[2] for row in rows if row[3] == 0), ZERO),
        )
    ]
    for low, high, label in AGING_BUCKETS:
        inside = [row for row in rows if row[3] >= low and (high is None or row[3] <= high)]
        aging.append(Bucket(label, len(inside), sum((row[2] for row in inside), ZERO)))

    def par(days: int) -> Decimal | None:
        if not total:
            return None
        late = sum((row[2] for row in rows if row[3] > days), ZERO)
        return (late / total).quantize(Decimal("0.0001"))

    return PortfolioQuality(len(rows), total, by_class, aging, par(PAR_DAYS[0]), par(PAR_DAYS[1]))


def _active_rows(user: User, on: date) -> list[tuple]:
    loans = loan_list_for_user(user=user).filter(status=LoanStatus.ACTIVE).order_by()
    rows = list(
        loans.values_list("office_id", "currency", "principal_balance", "days_past_due", "classification")
    )
    return _principal_mxn(rows, on)


def portfolio_quality(*, user: User, on: date) -> PortfolioQuality:
    """The quality of the active portfolio the user sees (its office's, or every office's)."""
    return _quality(_active_rows(user, on))


def portfolio_quality_by_office(*, user: User, on: date) -> dict[int, PortfolioQuality]:
    """`portfolio_quality` of each office with active loans, by office id."""
    rows = _active_rows(user, on)
    return {
        office_id: _quality([row for row in rows if row[0] == office_id])
        for office_id in sorted({row[0] for row in rows})
    }


@dataclass(frozen=True)
class Share:
    key: str
    label: str
    loans: int
    principal: Decimal
    share: Decimal  # of the portfolio's principal


CONCENTRATION_BY = {
    "activity": "applicant__activity",
    "state": "applicant__state",
    "group": "applicant__group__name",
}


def portfolio_concentration(*, user: User, by: str, on: date) -> list[Share]:
    """The active portfolio's principal (MXN) by the applicants' activity (Anexo I), state or group of
    companies, largest first; applicants without a group count as «Sin grupo»."""
    field = CONCENTRATION_BY[by]
    loans = loan_list_for_user(user=user).filter(status=LoanStatus.ACTIVE).order_by()
    rows = _principal_mxn(list(loans.values_list(field, "currency", "principal_balance")), on)
    ruleset = load_ruleset_for_date(on)
    if by == "activity":
        names = {str(a.number): a.description for a in ruleset.activity_lists["anexo_i"].activities}
    elif by == "state":
        names = dict(ruleset.offices.states)
    else:
        names = {}
    totals: dict[str, tuple[int, Decimal]] = {}
    for key, _currency, principal in rows:
        key = "" if key is None else str(key)
        n, amount = totals.get(key, (0, ZERO))
        totals[key] = (n + 1, amount + principal)
    whole = sum((amount for _n, amount in totals.values()), ZERO)
    out = [
        Share(
            key,
            names.get(key, key) or "Sin grupo",
            n,
            amount,
            (amount / whole).quantize(Decimal("0.0001")) if whole else ZERO,
        )
        for key, (n, amount) in totals.items()
    ]
    return sorted(out, key=lambda s: (-s.principal, s.label))
