"""A loan's account statement (estado de cuenta) as data for the UI: the header, the balances from the ledger
beside the servicing position, the movements of a period with a running principal balance that starts from
the period's opening balance, the next payments and the period's payments with how each was applied.
Amounts are Decimal; formatting for people is the UI's job.

A loan posts one accrual entry per daily close, so a whole history runs to thousands of movements: pages
ask for a period (`statement_period_default`), and only that period's entries are read.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q

from filon.core.calendar import add_months, today_mx
from filon.core.money import round_money
from filon.ledger import chart
from filon.ledger.models import JournalEntry, Posting
from filon.ledger.services import loan_balances
from filon.platform.pagecache import loan_kept
from filon.servicing.models import Installment, InstallmentStatus, Loan
from filon.servicing.payments import CONCEPT_LABELS, Applied
from filon.servicing.selectors import loan_position, loan_status_label

ZERO = Decimal(0)
PRINCIPAL_ACCOUNTS = (chart.CARTERA_VIGENTE, chart.CARTERA_VENCIDA)
# The loan's own accounts, in the order a statement shows them.
LOAN_ACCOUNTS = (
    chart.CARTERA_VIGENTE,
    chart.CARTERA_VENCIDA,
    chart.INTERESES_DEVENGADOS,
    chart.INTERESES_VENCIDOS,
    chart.INTERESES_MORATORIOS,
    chart.PAGOS_POR_APLICAR,
)


@dataclass(frozen=True)
class Balance:
    """One account of the loan, on its normal side: the ledger's figure and the servicing position's."""

    account: str
    name: str
    ledger: Decimal
    position: Decimal

    @property
    def matches(self) -> bool:
        return self.ledger == self.position


@dataclass(frozen=True)
class MovementLine:
    account: str
    name: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class Movement:
    entry_id: int
    date: date
    kind: str
    concept: str
    lines: tuple[MovementLine, ...]
    principal_balance: Decimal  # the loan's principal (vigente + vencida) after this entry
    reverses: int | None


@dataclass(frozen=True)
class NextPayment:
    number: int
    due: date
    payable: date
    principal: Decimal
    interest: Decimal
    moratorium: Decimal
    status: str

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.moratorium


@dataclass(frozen=True)
class AppliedLine:
    concept: str
    label: str
    installment: int | None
    amount: Decimal


@dataclass(frozen=True)
class PaymentLine:
    id: int
    value_date: date
    amount: Decimal
    currency: str
    status: str
    is_prepayment: bool
    allocation: tuple[AppliedLine, ...]
    reversal_reason: str


@dataclass(frozen=True)
class LoanStatement:
    as_of: date
    loan_id: int
    number: str
    borrower: str
    office: str
    currency: str
    status: str
    classification: str
    contracted_amount: Decimal
    first_disbursed_on: date | None
    maturity_date: date | None
    accrued_through: date | None
    days_past_due: int
    period_from: date | None  # None: from the first movement
    period_to: date | None  # None: through the last movement
    opening_principal: Decimal  # the principal balance before the period's first day
    balances: tuple[Balance, ...]
    movements: tuple[Movement, ...]
    next_payments: tuple[NextPayment, ...]
    payments: tuple[PaymentLine, ...]

    @property
    def balanced(self) -> bool:
        """True when every ledger balance equals the servicing position."""
        return all(b.matches for b in self.balances)

    @property
    def principal_balance(self) -> Decimal:
        return sum((b.ledger for b in self.balances if b.account in PRINCIPAL_ACCOUNTS), ZERO)

    @property
    def total_due(self) -> Decimal:
        """What is payable today: the installments whose payment date has come."""
        return sum((p.total for p in self.next_payments if p.payable <= self.as_of), ZERO)


def _normal(code: str, amount: Decimal) -> Decimal:
    """A signed ledger amount (debit positive) on the account's normal side."""
    spec = next((s for s in chart.CHART if s.code == code), None)
    return -amount if spec is not None and spec.normal == "credit" else amount


def statement_period_default(today: date) -> tuple[date, date]:
    """The period a statement shows unless asked otherwise: the current month and the two before it."""
    return add_months(today.replace(day=1), -2), today


def _opening_principal(loan: Loan, period_from: date | None) -> Decimal:
    """The loan's principal (vigente + vencida) before `period_from`: only disbursements, payments and
    reclassifications touch those accounts, so the rows read stay few however old the loan is."""
    if period_from is None:
        return ZERO
    amounts = Posting.objects.filter(
        loan=loan, account__code__in=PRINCIPAL_ACCOUNTS, entry__business_date__lt=period_from
    ).values_list("amount", flat=True)
    return sum(amounts, ZERO)


def _movements(
    loan: Loan, period_from: date | None, period_to: date | None, opening: Decimal
) -> list[Movement]:
    """The loan's entries, and its own lines of the entries it shares with other loans (the nightly close
    posts one accrual entry for the whole portfolio: of that entry the statement shows this loan's lines)."""
    names = {spec.code: spec.name for spec in chart.CHART}
    entries = JournalEntry.objects.filter(Q(loan=loan) | Q(loan__isnull=True, postings__loan=loan)).distinct()
    if period_from is not None:
        entries = entries.filter(business_date__gte=period_from)
    if period_to is not None:
        entries = entries.filter(business_date__lte=period_to)
    lines: dict[int, list[tuple[str, Decimal, int | None]]] = defaultdict(list)
    for entry_id, code, amount, loan_id in (
        Posting.objects.filter(entry__in=entries)
        .filter(Q(entry__loan=loan) | Q(loan=loan))
        .order_by("entry_id", "id")
        .values_list("entry_id", "account__code", "amount", "loan_id")
    ):
        lines[entry_id].append((code, amount, loan_id))
    running = opening
    movements = []
    for entry in entries.order_by("business_date", "id"):
        rows = lines.get(entry.pk, [])
        running += sum(
            (amount for code, amount, owner in rows if code in PRINCIPAL_ACCOUNTS and owner == loan.pk), ZERO
        )
        movements.append(
            Movement(
                entry_id=entry.pk,
                date=entry.business_date,
                kind=entry.kind,
                concept=entry.description,
                lines=tuple(
                    MovementLine(
                        code,
                        names.get(code, code),
                        amount if amount > 0 else ZERO,
                        -amount if amount < 0 else ZERO,
                    )
                    for code, amount, _ in rows
                ),
                principal_balance=running,
                reverses=entry.reverses_id,
            )
        )
    return movements


def _next_payments(loan: Loan, today: date, upcoming: int) -> list[NextPayment]:
    """Every unpaid installment already payable, then the next `upcoming` ones."""
    rows = Installment.objects.filter(loan=loan, version__active=True).exclude(status=InstallmentStatus.PAID)
    found = []
    ahead = 0
    for row in rows.order_by("payable", "number"):
        if row.payable > today:
            if ahead >= upcoming:
                break
            ahead += 1
        found.append(
            NextPayment(
                number=row.number,
                due=row.due,
                payable=row.payable,
                principal=row.principal - row.principal_paid,
                interest=row.interest - row.interest_paid,
                moratorium=row.moratorium_accrued - row.moratorium_paid,
                status=row.get_status_display(),
            )
        )
    return found


def loan_statement(
    *, loan: Loan, period_from: date | None = None, period_to: date | None = None, upcoming: int = 3
) -> LoanStatement:
    """The statement of one loan: balances as of today, the movements and payments of the period (the whole
    history when no bound is given). Access control is the caller's selector (`loan_get_for_user`)."""
    if not (Loan.applicant.is_cached(loan) and Loan.office.is_cached(loan)):
        # the callers' selectors read it with both (loan_get_for_user): no second read of the same row
        loan = Loan.objects.select_related("applicant", "office").get(pk=loan.pk)
    today = today_mx()
    ledger = loan_balances(loan.pk)
    position = loan_position(loan)
    names = {spec.code: spec.name for spec in chart.CHART}
    codes = [c for c in LOAN_ACCOUNTS if c in ledger or c in position]
    codes += sorted((set(ledger) | set(position)) - set(codes))
    balances = tuple(
        Balance(
            code,
            names.get(code, code),
            round_money(_normal(code, ledger.get(code, ZERO))),
            round_money(_normal(code, position.get(code, ZERO))),
        )
        for code in codes
    )
    opening = _opening_principal(loan, period_from)
    paid = loan.payments.all()
    if period_from is not None:
        paid = paid.filter(value_date__gte=period_from)
    if period_to is not None:
        paid = paid.filter(value_date__lte=period_to)
    payments = tuple(
        PaymentLine(
            id=p.pk,
            value_date=p.value_date,
            amount=p.amount,
            currency=p.currency,
            status=p.get_status_display(),
            is_prepayment=p.is_prepayment,
            allocation=tuple(
                AppliedLine(a.concept, CONCEPT_LABELS.get(a.concept, a.concept), a.installment, a.amount)
                for a in map(Applied.from_json, p.allocation)
            ),
            reversal_reason=p.reversal_reason,
        )
        for p in paid.order_by("value_date", "id")
    )
    return LoanStatement(
        as_of=today,
        loan_id=loan.pk,
        number=loan.number,
        borrower=loan.applicant.name,
        office=str(loan.office),
        currency=loan.currency,
        status=loan_status_label(loan),
        classification=loan.get_classification_display(),
        contracted_amount=loan.contracted_amount,
        first_disbursed_on=loan.first_disbursed_on,
        maturity_date=loan.maturity_date,
        accrued_through=loan.accrued_through,
        days_past_due=loan.days_past_due,
        period_from=period_from,
        period_to=period_to,
        opening_principal=opening,
        balances=balances,
        movements=tuple(_movements(loan, period_from, period_to, opening)),
        next_payments=tuple(_next_payments(loan, today, upcoming)),
        payments=payments,
    )


def loan_statement_kept(
    *, loan: Loan, period_from: date | None = None, period_to: date | None = None
) -> LoanStatement:
    """`loan_statement` kept for this state of the loan, the day and the period (`loan_kept`): a statement
    seen again reads nothing but the loan. The borrower's and the office's names, from other rows than the
    loan's, are taken from `loan` as it was read now."""
    statement = loan_kept(
        loan,
        "statement",
        lambda: loan_statement(loan=loan, period_from=period_from, period_to=period_to),
        today_mx().isoformat(),
        period_from,
        period_to,
    )
    return dataclasses.replace(statement, borrower=loan.applicant.name, office=str(loan.office))
