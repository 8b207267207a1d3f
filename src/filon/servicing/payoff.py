"""A paid-off loan: what was paid over its life (for the carta de finiquito) and the legal release of the
guarantees of its file.

A loan becomes «liquidado» with its date in `servicing.payments` (the payment that leaves nothing owed, the
daily close applying money held in «pagos por aplicar», or a revolving line's expiry). Here:

- `payoff_summary` reads from the ledger what the payments applied to the loan's receivables over its life
  (payments and money applied from 2102, net of reversals), for the carta de finiquito
  (`documents.pdf.payoff_letter_html`). Only a liquidado loan has one.
- `guarantee_release_record` is the legal area's step that frees one guarantee of the file once the loan is
  liquidado: one record per guarantee (date, instrument, notes), the guarantee «Liberada», both audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from filon.accounts.models import User
from filon.audit.services import audit_record, audited, snapshot
from filon.core.calendar import today_mx
from filon.errors import DomainError, TransitionRefused, ValidationFailed
from filon.ledger import chart
from filon.ledger.models import Posting
from filon.origination.models import FileGuarantee, GuaranteeStatus
from filon.servicing.lifecycle import LOAN
from filon.servicing.models import Disbursement, GuaranteeRelease, Loan, LoanStatus, Payment, PaymentStatus
from filon.servicing.payments import PAYMENT_KIND, UNAPPLIED_KIND
from filon.servicing.services import lock_loan

ZERO = Decimal(0)
# The entries that apply money to a loan's receivables, and the reversals of payments.
_APPLYING_KINDS = (PAYMENT_KIND, UNAPPLIED_KIND, f"reversa:{PAYMENT_KIND}")
_CONCEPTS = {
    "principal": (chart.CARTERA_VIGENTE, chart.CARTERA_VENCIDA),
    "interest": (chart.INTERESES_DEVENGADOS, chart.INTERESES_VENCIDOS),
    "moratorium": (chart.INTERESES_MORATORIOS,),
}
_RELEASABLE = (GuaranteeStatus.ACTIVE, GuaranteeStatus.OFFERED)


@dataclass(frozen=True)
class PayoffSummary:
    """What a liquidado loan received and paid over its life."""

    paid_off_on: date
    disbursed: Decimal
    principal: Decimal
    interest: Decimal
    moratorium: Decimal
    payments: int

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.moratorium


def payoff_summary(*, loan: Loan) -> PayoffSummary:
    """The figures of the carta de finiquito, from the ledger. Refused unless the loan is liquidado."""
    if loan.status != LoanStatus.PAID_OFF or loan.paid_off_on is None:
        raise TransitionRefused(
            f"El crédito no está liquidado (está «{loan.get_status_display()}»): no tiene carta de finiquito.",
            field="status",
        )
    paid: dict[str, Decimal] = {}
    for concept, codes in _CONCEPTS.items():
        total = Posting.objects.filter(
            loan_id=loan.pk, account__code__in=codes, entry__kind__in=_APPLYING_KINDS
        ).aggregate(t=Sum("amount"))["t"]
        paid[concept] = -(total or ZERO)
    disbursed = Disbursement.objects.filter(loan=loan).aggregate(t=Sum("amount"))["t"] or ZERO
    return PayoffSummary(
        paid_off_on=loan.paid_off_on,
        disbursed=disbursed,
        principal=paid["principal"],
        interest=paid["interest"],
        moratorium=paid["moratorium"],
        payments=Payment.objects.filter(loan=loan, status=PaymentStatus.APPLIED).count(),
    )


def loan_guarantees(loan: Loan) -> list[FileGuarantee]:
    """The guarantees of the loan's file, each with its release when it has one (`release_or_none`)."""
    if loan.file_id is None:
        return []
    rows = list(FileGuarantee.objects.filter(file_id=loan.file_id).order_by("id"))
    releases = {
        r.guarantee_id: r for r in GuaranteeRelease.objects.filter(loan=loan).select_related("created_by")
    }
    for row in rows:
        row.release_or_none = releases.get(row.pk)  # type: ignore[attr-defined]
    return rows


@transaction.atomic
def guarantee_release_record(
    *, user: User, loan: Loan, guarantee: FileGuarantee, released_on: date, instrument: str, notes: str = ""
) -> GuaranteeRelease:
    """Record the legal release of `guarantee` of a liquidado loan (role jurídico; see the module docstring)."""
    locked = lock_loan(loan)
    LOAN.require("guarantee_release", user, locked)
    guarantee = FileGuarantee.objects.select_for_update().get(pk=guarantee.pk)
    if locked.file_id is None or guarantee.file_id != locked.file_id:
        raise TransitionRefused("La garantía no es del expediente de este crédito.", field="guarantee")
    if GuaranteeRelease.objects.filter(guarantee=guarantee).exists() or guarantee.status not in _RELEASABLE:
        raise TransitionRefused(
            f"La garantía ya no está vigente (está «{guarantee.get_status_display()}»).", field="guarantee"
        )
    errors: list[DomainError] = []
    instrument = (instrument or "").strip()
    if not instrument:
        errors.append(
            DomainError(
                "Indique el instrumento de la liberación (escritura, oficio, cancelación).",
                field="instrument",
            )
        )
    elif len(instrument) > 200:
        errors.append(DomainError("El instrumento admite hasta 200 caracteres.", field="instrument"))
    assert locked.paid_off_on is not None
    if released_on > today_mx():
        errors.append(DomainError("La fecha de liberación no puede ser futura.", field="released_on"))
    elif released_on < locked.paid_off_on:
        errors.append(
            DomainError(
                f"La fecha de liberación es anterior a la liquidación ({locked.paid_off_on:%d/%m/%Y}).",
                field="released_on",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    release = GuaranteeRelease.objects.create(
        loan=locked,
        guarantee=guarantee,
        released_on=released_on,
        instrument=instrument,
        notes=(notes or "").strip(),
        created_by=user,
    )
    with audited(
        user=user, action="guarantee.released", obj=guarantee, fields=["status"], office=locked.office
    ):
        guarantee.status = GuaranteeStatus.RELEASED
        guarantee.save(update_fields=["status"])
    audit_record(
        user=user,
        action="loan.guarantee_release",
        obj=release,
        after=snapshot(release, ["loan_id", "guarantee_id", "released_on", "instrument", "notes"]),
        office=locked.office,
    )
    locked.save(update_fields=["revision"])  # the loan page shows the release: a new revision mark
    return release
