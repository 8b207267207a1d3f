"""PDF documents: the amortization table and the account statement of a loan (the office's, from the ledger,
and the borrower's «estado de cuenta del acreditado» with its legends), the receipt of each payment, the
dictamen of a credit file and the minutes of a committee session.

Each document is two steps, so tests can read the figures without parsing a PDF: `<document>_html(...)`
renders the template under `templates/documents/` with the data the pages already compute, and
`render_pdf(html)` turns it into bytes with WeasyPrint. Fonts are the system's (DejaVu Sans, Liberation
Sans); the only base URL is the local templates folder, and any URL that is not a local file is refused,
so a document never fetches anything over the network.

Access control is the caller's: pass objects fetched through the scoped selectors.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db.models import Q, Sum
from django.template.loader import render_to_string
from django.utils import timezone

from filon.accounts.models import User
from filon.committees.models import AgendaItem, CommitteeSession, SessionStatus, VoteChoice
from filon.committees.selectors import committee_name
from filon.core.allocation import Concept
from filon.core.money import format_percent
from filon.documents import legends
from filon.documents.legends import legends_text
from filon.errors import TransitionRefused
from filon.ledger import chart
from filon.ledger.models import JournalEntry, Posting
from filon.marketdata.catalog import CATALOG
from filon.origination.models import CreditFile
from filon.origination.selectors import attention_clock, file_coverage, file_findings
from filon.rules import load_ruleset_for_date
from filon.servicing.close import ACCRUAL_KIND
from filon.servicing.models import Installment, Loan, Payment, PaymentStatus
from filon.servicing.payments import (
    CONCEPT_LABELS,
    PAYOFF_INTEREST,
    PAYOFF_PRINCIPAL,
    PREPAID_PRINCIPAL,
    UNAPPLIED,
    UNAPPLIED_USED,
    Applied,
)
from filon.servicing.payoff import loan_guarantees, payoff_summary
from filon.servicing.preview import loan_cat, loan_rate_breakdown
from filon.servicing.statements import loan_statement_kept

if TYPE_CHECKING:
    from weasyprint import Document

ZERO = Decimal(0)
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "documents"
PERIODICITY = {1: "mensual", 2: "bimestral", 3: "trimestral", 6: "semestral", 12: "anual"}
AMORTIZATION: dict[str, str] = dict(
    getattr(CreditFile._meta.get_field("amortization"), "choices", None) or []
)


# ------------------------------------------------------------------------------------------ rendering


# Local files (the templates folder) and inline data only: a document never reaches the network.
LOCAL_PROTOCOLS = ("file", "data")


def local_fetcher() -> Any:
    """WeasyPrint's URL fetcher restricted to LOCAL_PROTOCOLS; any other URL is refused, not fetched."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=LOCAL_PROTOCOLS, timeout=1)


def pdf_document(html: str) -> Document:
    """The laid-out document (its `pages`), before it is written as PDF."""
    from weasyprint import HTML

    return HTML(string=html, base_url=TEMPLATES.as_uri() + "/", url_fetcher=local_fetcher()).render()


def render_pdf(html: str) -> bytes:
    pdf: bytes = pdf_document(html).write_pdf()
    return pdf


def _frame(*, user: User, title: str, subject: str) -> dict[str, Any]:
    """What every document's header and footer say: Filón, the document, when and for whom."""
    return {
        "title": title,
        "subject": subject,
        "generated_at": timezone.localtime(timezone.now()),
        "generated_by": user.get_full_name() or user.username,
    }


def _display(user: Any) -> str:
    return (user.get_full_name() or user.username) if user is not None else "—"


# ------------------------------------------------------------------------------------- loan schedule


def rate_text(loan: Loan) -> str:
    """How the contract prices the loan: a fixed rate, or the base series plus the spread."""
    if loan.fixed_rate is not None:
        return f"Tasa fija de {format_percent(loan.fixed_rate)} anual"
    spec = CATALOG.get(loan.base_series)
    base = spec.name if spec else loan.base_series or "tasa base"
    return f"{base} + {format_percent(loan.spread)} anual"


def periodicity_text(months: int) -> str:
    return PERIODICITY.get(months) or f"cada {months} meses"


@dataclass(frozen=True)
class ScheduleTotals:
    principal: Decimal
    interest: Decimal
    projected_interest: Decimal
    payment: Decimal
    paid: Decimal


def active_installments(loan: Loan) -> list[Installment]:
    return list(Installment.objects.filter(loan=loan, version__active=True).order_by("number"))


@dataclass(frozen=True)
class ScheduleRow:
    installment: Installment

    @property
    def payment(self) -> Decimal:
        """The installment as scheduled: principal plus ordinary interest."""
        return self.installment.principal + self.installment.interest

    @property
    def paid(self) -> Decimal:
        i = self.installment
        return i.principal_paid + i.interest_paid + i.moratorium_paid


def schedule_totals(rows: list[Installment]) -> ScheduleTotals:
    def total(attr: str) -> Decimal:
        return sum((getattr(r, attr) for r in rows), ZERO)

    return ScheduleTotals(
        principal=total("principal"),
        interest=total("interest"),
        projected_interest=total("projected_interest"),
        payment=total("principal") + total("interest"),
        paid=total("principal_paid") + total("interest_paid") + total("moratorium_paid"),
    )


def loan_terms_context(loan: Loan) -> dict[str, Any]:
    return {
        "loan": loan,
        "rate": rate_text(loan),
        "periodicity": periodicity_text(loan.payment_every_months),
        "amortization": AMORTIZATION.get(loan.amortization, loan.amortization),
        "moratorium_factor": format(loan.moratorium_factor.normalize(), "f"),
    }


def loan_schedule_context(*, loan: Loan, user: User) -> dict[str, Any]:
    version = loan.schedule_versions.filter(active=True).first()
    rows = active_installments(loan)
    return {
        **_frame(user=user, title="Tabla de amortización", subject=f"Crédito {loan.number}"),
        **loan_terms_context(loan),
        "version": version,
        "rows": [ScheduleRow(r) for r in rows],
        "totals": schedule_totals(rows),
        "any_projected": any(r.projected for r in rows),
    }


def loan_schedule_html(*, loan: Loan, user: User) -> str:
    return render_to_string("documents/loan_schedule.html", loan_schedule_context(loan=loan, user=user))


# ------------------------------------------------------------------------------------ loan statement


@dataclass(frozen=True)
class EarlierPayments:
    """The payments a statement's period leaves out, so an empty period never reads as «no payments»."""

    count: int
    last: Payment | None


def payments_before(loan: Loan, period_from: dt.date | None) -> EarlierPayments:
    if period_from is None:
        return EarlierPayments(0, None)
    earlier = loan.payments.filter(value_date__lt=period_from, status=PaymentStatus.APPLIED)
    return EarlierPayments(earlier.count(), earlier.order_by("-value_date", "-id").first())


def loan_statement_html(
    *, loan: Loan, user: User, period_from: dt.date | None = None, period_to: dt.date | None = None
) -> str:
    """The statement of the period given (the whole history without bounds)."""
    statement = loan_statement_kept(loan=loan, period_from=period_from, period_to=period_to)
    context = {
        **_frame(user=user, title="Estado de cuenta", subject=f"Crédito {loan.number}"),
        **loan_terms_context(loan),
        "st": statement,
        "earlier": payments_before(loan, period_from),
    }
    return render_to_string("documents/loan_statement.html", context)


# ------------------------------------------------------------------------------------- file dictamen


def _votes(item: AgendaItem) -> list[dict[str, Any]]:
    """Votes grouped by choice, in the order the minutes list them."""
    groups: dict[str, list[str]] = {choice.value: [] for choice in VoteChoice}
    for vote in item.votes.select_related("member").order_by("member__username"):
        groups[vote.vote].append(_display(vote.member))
    return [{"label": c.label, "count": len(groups[c.value]), "names": groups[c.value]} for c in VoteChoice]


def _committee_rule(code: str, on: dt.date) -> str:
    found = next((c for c in load_ruleset_for_date(on).committees.committees if c.code == code), None)
    return str(found.rule) if found else ""


def file_dictamen_context(*, file: CreditFile, user: User) -> dict[str, Any]:
    """The file as the committee sees it: the proposal, the engine's findings and coverage, the routing,
    and the resolution once one is recorded."""
    file = CreditFile.objects.select_related("applicant", "office").get(pk=file.pk)
    resolved = (
        AgendaItem.objects.filter(file=file, resolution__isnull=False)
        .select_related("session", "resolution", "resolution__recorded_by")
        .order_by("-resolution__recorded_at", "-pk")
        .first()
    )
    evaluation = file.evaluation or {}
    on = file.application_date
    return {
        **_frame(user=user, title="Dictamen del expediente", subject=f"Expediente {file.folio}"),
        "file": file,
        "applicant": file.applicant,
        "evaluation": evaluation,
        "findings": file_findings(file),
        "coverage": file_coverage(file),
        "clock": attention_clock(file),
        "committee": committee_name(file.committee, on) if file.committee else "",
        "committee_rule": _committee_rule(file.committee, on) if file.committee else "",
        "resolved": resolved,
        "votes": _votes(resolved) if resolved else [],
    }


def file_dictamen_html(*, file: CreditFile, user: User) -> str:
    return render_to_string("documents/file_dictamen.html", file_dictamen_context(file=file, user=user))


# ------------------------------------------------------------------------------------ session minutes


def session_minutes_context(*, session: CommitteeSession, user: User) -> dict[str, Any]:
    """The minutes as the closed session left them: attendance, each matter with its votes and resolution.
    Only a closed session has minutes (they are laid down when it closes)."""
    if session.status != SessionStatus.CLOSED:
        raise TransitionRefused(
            f"La sesión {session.number} aún no se cierra; el acta se asienta al cerrarla.", field="status"
        )
    items = (
        session.items.select_related(
            "file__applicant",
            "guarantee_change__guarantee__file__applicant",
            "guarantee_change__replacement",
            "resolution",
        )
        .prefetch_related("votes__member")
        .order_by("order")
    )
    return {
        **_frame(user=user, title="Acta de sesión de comité", subject=f"Sesión {session.number}"),
        "session": session,
        "committee": committee_name(session.committee, session.date),
        "committee_rule": _committee_rule(session.committee, session.date),
        "secretary": _display(session.secretary),
        "present": [_display(m) for m in session.members_present.order_by("username")],
        "items": [
            {
                "item": item,
                "file": item.file or item.guarantee_change.guarantee.file,
                "change": item.guarantee_change,
                "resolution": getattr(item, "resolution", None),
                "votes": _votes(item),
            }
            for item in items
        ],
    }


def session_minutes_html(*, session: CommitteeSession, user: User) -> str:
    return render_to_string(
        "documents/session_minutes.html", session_minutes_context(session=session, user=user)
    )


# ------------------------------------------------------------------------------------- payoff letter


def payoff_letter_context(*, loan: Loan, user: User) -> dict[str, Any]:
    """The carta de finiquito of a liquidado loan: what it received and paid, that nothing remains owed,
    and the guarantees of its file with their release when recorded (`servicing.payoff`)."""
    return {
        **_frame(user=user, title="Carta de finiquito", subject=f"Crédito {loan.number}"),
        **loan_terms_context(loan),
        "summary": payoff_summary(loan=loan),
        "guarantees": loan_guarantees(loan),
    }


def payoff_letter_html(*, loan: Loan, user: User) -> str:
    return render_to_string("documents/payoff_letter.html", payoff_letter_context(loan=loan, user=user))


# ------------------------------------------------------------------------------------- payment receipt


RECEIPT_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Gastos y comisiones (con su IVA)", (Concept.COSTS.value, Concept.COMMISSIONS.value)),
    ("Intereses moratorios", (Concept.MORATORIUM_INTEREST.value,)),
    (
        "Intereses ordinarios",
        (Concept.OVERDUE_INTEREST.value, Concept.CURRENT_INTEREST.value, PAYOFF_INTEREST),
    ),
    (
        "Capital",
        (
            Concept.OVERDUE_PRINCIPAL.value,
            Concept.CURRENT_PRINCIPAL.value,
            PAYOFF_PRINCIPAL,
            PREPAID_PRINCIPAL,
        ),
    ),
    ("Excedente en pagos por aplicar", (UNAPPLIED,)),
)
"""How a receipt sums a payment's allocation (`Payment.allocation`), in the order of application. Money
already held in «pagos por aplicar» and used at a liquidation is shown apart: it is not this payment's."""


@dataclass(frozen=True)
class ReceiptLine:
    label: str
    installment: int | None
    amount: Decimal


def payment_folio(payment: Payment) -> str:
    """The receipt's folio: the loan's number and the payment's order among the loan's payments."""
    order = Payment.objects.filter(loan_id=payment.loan_id, pk__lte=payment.pk).count()
    return f"{payment.loan.number}-P{order:03d}"


def _principal_after(payment: Payment) -> Decimal:
    """The loan's principal (vigente + vencida) right after the payment's entry, in ledger order."""
    on = payment.entry.business_date
    amounts = Posting.objects.filter(
        loan_id=payment.loan_id, account__code__in=(chart.CARTERA_VIGENTE, chart.CARTERA_VENCIDA)
    ).filter(Q(entry__business_date__lt=on) | Q(entry__business_date=on, entry_id__lte=payment.entry_id))
    return sum(amounts.values_list("amount", flat=True), ZERO)


def payment_receipt_context(*, payment: Payment, user: User) -> dict[str, Any]:
    """The «Recibo de pago» of one payment: what was received, where every peso went (the allocation the
    payment recorded), the principal left after it and who registered it; a reversed payment's receipt is
    marked cancelled with its reversal."""
    payment = Payment.objects.select_related(
        "loan__applicant", "loan__office", "entry", "created_by", "reversal_entry__created_by"
    ).get(pk=payment.pk)
    loan = payment.loan
    applied = [Applied.from_json(item) for item in payment.allocation]
    lines = [ReceiptLine(CONCEPT_LABELS.get(a.concept, a.concept), a.installment, a.amount) for a in applied]
    groups = []
    for label, concepts in RECEIPT_GROUPS:
        amount = sum((a.amount for a in applied if a.concept in concepts), ZERO)
        if amount:
            groups.append(ReceiptLine(label, None, amount))
    held_used = sum((a.amount for a in applied if a.concept == UNAPPLIED_USED), ZERO)
    cancelled = payment.status == PaymentStatus.REVERSED
    reversal = payment.reversal_entry
    folio = payment_folio(payment)
    return {
        **_frame(user=user, title="Recibo de pago", subject=f"Folio {folio}"),
        "loan": loan,
        "payment": payment,
        "folio": folio,
        "lines": lines,
        "groups": groups,
        "applied_total": sum((g.amount for g in groups), ZERO),
        "held_used": held_used,
        "principal_after": _principal_after(payment),
        "registered_by": _display(payment.created_by),
        "cancelled": cancelled,
        "reversed_on": reversal.business_date if reversal else None,
        "reversed_by": _display(reversal.created_by) if reversal else "",
        "legends": legends_text(
            ((legends.RECEIPT_CANCELLED,) if cancelled else ()) + legends.RECEIPT_LEGENDS,
            office=str(loan.office),
            reversed_on=f"{reversal.business_date:%d/%m/%Y}" if reversal else "",
        ),
    }


def payment_receipt_html(*, payment: Payment, user: User) -> str:
    return render_to_string(
        "documents/payment_receipt.html", payment_receipt_context(payment=payment, user=user)
    )


# ------------------------------------------------------------------------- the borrower's statement


def borrower_period_default(loan: Loan, today: dt.date) -> tuple[dt.date, dt.date]:
    """The borrower's statement shows the current month unless asked otherwise (from the first
    ministración when it was this month)."""
    start = today.replace(day=1)
    if loan.first_disbursed_on and start < loan.first_disbursed_on <= today:
        start = loan.first_disbursed_on
    return start, today


@dataclass(frozen=True)
class BalanceLine:
    label: str
    opening: Decimal
    closing: Decimal


BALANCE_ROWS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("Capital", (chart.CARTERA_VIGENTE, chart.CARTERA_VENCIDA), 1),
    ("Intereses ordinarios", (chart.INTERESES_DEVENGADOS, chart.INTERESES_VENCIDOS), 1),
    ("Intereses moratorios", (chart.INTERESES_MORATORIOS,), 1),
    ("Pagos por aplicar a su favor", (chart.PAGOS_POR_APLICAR,), -1),
)
"""The borrower's balances: label, the loan's accounts and their sign in what the borrower owes."""


def _balances_before(loan: Loan, day: dt.date) -> dict[str, Decimal]:
    """Each of the loan's accounts, signed (debit positive), from the entries dated before `day`."""
    rows = (
        Posting.objects.filter(loan=loan, entry__business_date__lt=day)
        .values("account__code")
        .annotate(total=Sum("amount"))
        .values_list("account__code", "total")
    )
    return {code: total or ZERO for code, total in rows}


def _period_sums(loan: Loan, start: dt.date, end: dt.date) -> dict[str, Decimal]:
    """What the period's entries added: ordinary and moratorium interest accrued (the daily close posts one
    accrual entry for every loan, so the loan's own postings are read), commissions with their IVA."""

    def total(qs: Any) -> Decimal:
        return qs.aggregate(total=Sum("amount"))["total"] or ZERO

    accrued = Posting.objects.filter(
        loan=loan,
        entry__kind=ACCRUAL_KIND,
        entry__business_date__gte=start,
        entry__business_date__lte=end,
        amount__gt=0,
    )
    entries = JournalEntry.objects.filter(loan=loan, business_date__gte=start, business_date__lte=end)
    commissions = Posting.objects.filter(
        entry__in=entries, account__code__in=(chart.COMISIONES_COBRADAS, chart.IVA_TRASLADADO)
    )
    return {
        "interest": total(
            accrued.filter(account__code__in=(chart.INTERESES_DEVENGADOS, chart.INTERESES_VENCIDOS))
        ),
        "moratorium": total(accrued.filter(account__code=chart.INTERESES_MORATORIOS)),
        "commissions": -total(commissions),
    }


def borrower_statement_context(
    *, loan: Loan, user: User, period_from: dt.date, period_to: dt.date
) -> dict[str, Any]:
    """The «Estado de cuenta del acreditado»: what the borrower reads (not the office's ledger view) —
    the borrower and the terms with the rate broken down and the CAT, balances at the period's start and
    end, the period's ministraciones, payments with their allocation, interest accrued and commissions,
    the next payments, days past due and the regulatory legends (`documents.legends`)."""
    statement = loan_statement_kept(loan=loan, period_from=period_from, period_to=period_to)
    before = _balances_before(loan, period_from)
    after = _balances_before(loan, period_to + dt.timedelta(days=1))
    balances = [
        BalanceLine(
            label,
            sign * sum((before.get(c, ZERO) for c in codes), ZERO),
            sign * sum((after.get(c, ZERO) for c in codes), ZERO),
        )
        for label, codes, sign in BALANCE_ROWS
    ]
    owed = BalanceLine(
        "Total a cargo del acreditado",
        sum((b.opening for b in balances), ZERO),
        sum((b.closing for b in balances), ZERO),
    )
    rate = loan_rate_breakdown(loan, period_to)
    cat = loan_cat(loan)
    disbursements = list(
        loan.disbursements.filter(value_date__gte=period_from, value_date__lte=period_to).order_by(
            "value_date"
        )
    )
    issued = timezone.localtime(timezone.now())
    values = {
        "moratorium_factor": format(loan.moratorium_factor.normalize(), "f"),
        "period_from": f"{period_from:%d/%m/%Y}",
        "period_to": f"{period_to:%d/%m/%Y}",
        "cut_date": f"{period_to:%d/%m/%Y}",
        "issued": f"{issued:%d/%m/%Y}",
        "office": str(loan.office),
    }
    if cat is not None:  # without a schedule there is no CAT, and its legend is left out
        values |= {"cat": f"{cat} %", "cat_date": f"{period_to:%d/%m/%Y}"}
    return {
        **_frame(user=user, title="Estado de cuenta del acreditado", subject=f"Crédito {loan.number}"),
        **loan_terms_context(loan),
        "st": statement,
        "applicant": loan.applicant,
        "period_from": period_from,
        "period_to": period_to,
        "rate_breakdown": rate,
        "cat": cat,
        "balances": balances,
        "owed": owed,
        "disbursements": disbursements,
        "sums": _period_sums(loan, period_from, period_to),
        "legends": legends_text(legends.STATEMENT_LEGENDS, **values),
    }


def borrower_statement_html(*, loan: Loan, user: User, period_from: dt.date, period_to: dt.date) -> str:
    return render_to_string(
        "documents/borrower_statement.html",
        borrower_statement_context(loan=loan, user=user, period_from=period_from, period_to=period_to),
    )
