"""PDF documents: the amortization table and the account statement of a loan, the dictamen of a credit file
and the minutes of a committee session.

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

from django.template.loader import render_to_string
from django.utils import timezone

from filon.accounts.models import User
from filon.committees.models import AgendaItem, CommitteeSession, SessionStatus, VoteChoice
from filon.committees.selectors import committee_name
from filon.core.money import format_percent
from filon.errors import TransitionRefused
from filon.marketdata.catalog import CATALOG
from filon.origination.models import CreditFile
from filon.origination.selectors import attention_clock, file_coverage, file_findings
from filon.rules import load_ruleset_for_date
from filon.servicing.models import Installment, Loan
from filon.servicing.payoff import loan_guarantees, payoff_summary
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


def loan_statement_html(
    *, loan: Loan, user: User, period_from: dt.date | None = None, period_to: dt.date | None = None
) -> str:
    """The statement of the period given (the whole history without bounds)."""
    statement = loan_statement_kept(loan=loan, period_from=period_from, period_to=period_to)
    context = {
        **_frame(user=user, title="Estado de cuenta", subject=f"Crédito {loan.number}"),
        **loan_terms_context(loan),
        "st": statement,
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
