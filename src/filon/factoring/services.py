"""Cadenas Productivas (P-1): EPO admission, supplier adhesion, documents, discounts, collection, platform fee.

Every figure comes from the rule set the EPO was admitted under (`cadenas_productivas`, `programs`,
`commissions`, `rates`). Money moves only through `filon.ledger.services.entry_post`; a discount opens a
servicing `Loan` of the EPO through `servicing.services.loan_open`, as one bullet drawdown at the document's
maturity that passes every disbursement's checks (the program's fund coverage among them), so collection is
an ordinary payment (`servicing.payments.payment_apply`) and a late EPO is handled by the daily close.

Readings recorded here:
- Rate: the EPO's base series (TIIE 28 by P-1 1.5, «la tasa base podrá ser modificada») by the C-5 look-up
  on the discount date, plus the EPO's spread and administration points, fixed for the document's life;
  interest is simple, Actual/360 (C-2), over [discount date, due date).
- Up-front interest is income on the discount date (the chart has no unearned-interest account); the
  installment then carries the period rate (for moratorium) and no interest.
- The MIPYME supplier pays no commission (P-1 1.3, I-9: `programs.cadenas_productivas.commissions` is
  false); were a rule set to charge the per-drawdown one (14, I-6), it and its IVA would be netted from
  the deposit. The supplier gives no guarantee; the EPO's mortgage 1 : 1 is checked by `epo_admit` (1.6).
- Platform fee (P-1 1.5): the Rules give no figure («la tasa que aplique NAFIN»), so the annual rate is
  the setting `FACTORING_PLATFORM_FEE_RATE` (ILLUSTRATIVE default below), applied Actual/360 to the
  average daily balance of the EPO's discounted documents in the month, charged to the EPO with IVA.
- Value dates: the discount, the collection and the platform fee follow the ledger's one value-date rule
  (`ledger.services.value_date_check`: after the last closed day and not after today — the business date),
  with its message.
"""

from __future__ import annotations

from calendar import monthrange
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum

from filon.accounts.access import require_office, require_role
from filon.accounts.models import Role, User
from filon.audit.services import audit_record, audited, snapshot
from filon.centavos import amount_check
from filon.committees.models import Resolution
from filon.core.calendar import add_months, today_mx
from filon.core.daycount import simple_rate
from filon.core.money import is_cents, round_money
from filon.core.rates import TIIE28, MissingRate
from filon.core.schedule import FixedRate
from filon.errors import DomainError, TransitionRefused, ValidationFailed
from filon.factoring.models import (
    Discount,
    DocumentStatus,
    Epo,
    EpoStatus,
    FactoringDocument,
    InterestMode,
    PlatformFee,
    SupplierAdhesion,
    UploadedBy,
)
from filon.factoring.selectors import epo_list_for_user, line_used
from filon.idempotency.services import once, scope_of
from filon.ledger import chart
from filon.ledger.models import Posting
from filon.ledger.services import Line, entry_post, value_date_check
from filon.limits import safe_upload_name, upload_size_error
from filon.marketdata.selectors import rate_series_get
from filon.origination.models import CreditFile, FileStatus
from filon.origination.selectors import file_ruleset
from filon.rules import load_ruleset_version
from filon.rules.schema import CadenasProductivas, CreditType, ProgramCode, RuleSet
from filon.servicing.accrual import loan_accrue
from filon.servicing.models import Loan, LoanStatus, PaymentStatus
from filon.servicing.payments import payment_apply
from filon.servicing.services import Drawdown, LoanOpening, loan_open, lock_loan

REGIONAL = (Role.ANALISTA, Role.GERENTE_REGIONAL)
PROGRAM = ProgramCode.CADENAS_PRODUCTIVAS
CREDIT_TYPE = CreditType("avio_revolvente_proveedores")
CURRENCY = "MXN"
ZERO = Decimal(0)
# ILLUSTRATIVE: the Rules (P-1 1.5) price the platform with NAFIN's rate and give no figure.
PLATFORM_FEE_RATE_ILLUSTRATIVE = Decimal("0.005")


def platform_fee_rate() -> Decimal:
    return Decimal(str(getattr(settings, "FACTORING_PLATFORM_FEE_RATE", PLATFORM_FEE_RATE_ILLUSTRATIVE)))


def epo_ruleset(epo: Epo) -> RuleSet:
    return load_ruleset_version(epo.ruleset_version)


def _money(value: Decimal, field: str, label: str, ruleset: RuleSet) -> None:
    amount_check(value, field=field, label=label, ruleset=ruleset)
    if not isinstance(value, Decimal) or value <= 0 or not is_cents(value):
        raise ValidationFailed([DomainError(f"{label} debe ser positivo y en centavos.", field=field)])


def _lock_epo(epo: Epo) -> Epo:
    return Epo.objects.select_for_update(of=("self",)).select_related("applicant", "office").get(pk=epo.pk)


# ------------------------------------------------------------------------------------------ the EPO


def _spread_errors(
    cp: CadenasProductivas, whose: str, spread: Decimal, low: Decimal, high: Decimal, admin_points: Decimal
) -> list[DomainError]:
    """A party's spread within its range and the administration points within their cap (P-1 1.5)."""
    errors = []
    if not low <= spread <= high:
        errors.append(
            DomainError(
                f"La sobretasa {whose} va de {low * 100:.2f} a {high * 100:.2f} puntos.",
                field="spread",
                rule=cp.rule,
            )
        )
    if not ZERO <= admin_points <= cp.admin_points_max:
        errors.append(
            DomainError(
                f"La sobretasa por administración es de hasta {cp.admin_points_max * 100:.2f} puntos.",
                field="admin_points",
                rule=cp.rule,
            )
        )
    return errors


@transaction.atomic
def epo_admit(
    *,
    user: User,
    file: CreditFile,
    line_amount: Decimal,
    line_months: int,
    guarantee_type: str,
    guarantee_value: Decimal,
    spread: Decimal,
    admin_points: Decimal = ZERO,
    admitted_on: date | None = None,
    base_series: str = TIIE28,
) -> Epo:
    """Admit a large buyer to the program with its discount line (P-1 1.5–1.7): its P-1 file must be
    authorized by the committee the rule set names, and its mortgage must cover the line 1 : 1."""
    require_role(user, REGIONAL, "admitir empresas de primer orden")
    file = (
        CreditFile.objects.select_for_update(of=("self",))
        .select_related("applicant", "office")
        .get(pk=file.pk)
    )
    require_office(user, file.office_id, "El expediente")
    ruleset = file_ruleset(file)
    cp = ruleset.cadenas_productivas
    program = ruleset.programs[PROGRAM]
    admitted_on = admitted_on or today_mx()
    if file.program != PROGRAM:
        raise TransitionRefused(
            "La admisión de una EPO requiere su expediente del programa de Cadenas Productivas.",
            field="file",
            rule=program.rule,
        )
    if file.status not in (FileStatus.AUTHORIZED, FileStatus.FORMALIZED, FileStatus.READY_TO_DISBURSE):
        raise TransitionRefused(
            f"El expediente de la EPO no está autorizado por el comité (está «{file.get_status_display()}»).",
            field="file",
            rule=program.rule,
        )
    if file.committee != cp.epo_admitted_by:
        raise TransitionRefused(
            f"La EPO debe autorizarla el {cp.epo_admitted_by}; su expediente lo resolvió «{file.committee}».",
            field="file",
            rule=program.rule,
        )
    if Epo.objects.filter(applicant=file.applicant_id).exists():
        raise TransitionRefused("La empresa ya está admitida como EPO.", field="file")
    errors: list[DomainError] = []
    _money(line_amount, "line_amount", "El monto de la línea", file_ruleset(file))
    _money(guarantee_value, "guarantee_value", "El valor de la garantía", file_ruleset(file))
    if line_amount > file.amount:
        errors.append(
            DomainError(
                f"La línea ({line_amount:,.2f}) excede el monto autorizado del expediente ({file.amount:,.2f}).",
                field="line_amount",
            )
        )
    if not 1 <= line_months <= cp.line_max_months:
        errors.append(
            DomainError(
                f"La vigencia de la línea es de hasta {cp.line_max_months} meses.",
                field="line_months",
                rule=cp.rule,
            )
        )
    # I-9: the EPO's mortgage is checked here, at its admission; the supplier discounting gives none.
    coverage_rule = cp.epo_guarantee_rule
    if guarantee_type not in cp.epo_guarantee_types:
        errors.append(
            DomainError(
                f"Se ofreció «{guarantee_type}»; la garantía de la EPO debe ser hipotecaria industrial o urbana.",
                field="guarantee_type",
                rule=coverage_rule,
            )
        )
    if guarantee_value < line_amount * cp.epo_guarantee_ratio:
        ratio = (guarantee_value / line_amount).quantize(Decimal("0.01"))
        errors.append(
            DomainError(
                f"La garantía hipotecaria cubre {ratio} a 1 la línea; se requiere {cp.epo_guarantee_ratio} a 1.",
                field="guarantee_value",
                rule=coverage_rule,
            )
        )
    errors += _spread_errors(cp, "de la EPO", spread, cp.epo_spread_min, cp.epo_spread_max, admin_points)
    if errors:
        raise ValidationFailed(errors)
    agreement = ""
    resolution = Resolution.objects.filter(item__file=file, decision="authorized").order_by("-pk").first()
    if resolution is not None:
        agreement = resolution.agreement_number
    epo = Epo.objects.create(
        applicant=file.applicant,
        office=file.office,
        file=file,
        committee=file.committee,
        agreement_number=agreement,
        ruleset_version=ruleset.version,
        admitted_on=admitted_on,
        guarantee_type=guarantee_type,
        guarantee_value=guarantee_value,
        line_amount=line_amount,
        line_expires_on=add_months(admitted_on, line_months),
        next_review_on=add_months(admitted_on, cp.review_months),
        base_series=base_series,
        spread=spread,
        admin_points=admin_points,
        created_by=user,
    )
    audit_record(user=user, action="factoring.epo_admit", obj=epo, after=snapshot(epo), office=epo.office)
    return epo


@transaction.atomic
def supplier_adhere(
    *,
    user: User,
    epo: Epo,
    supplier: Any,
    agreement_ref: str,
    spread: Decimal,
    admin_points: Decimal = ZERO,
    adhered_on: date | None = None,
) -> SupplierAdhesion:
    """A MIPYME supplier signs the adhesion agreement to the EPO's chain (P-1 1.4); its rate is Tasa NAFIN
    + 2–4 points (+ up to 3 of administration), never above Tasa NAFIN + 7 (1.5)."""
    require_role(user, REGIONAL, "adherir proveedores")
    epo = _lock_epo(epo)
    require_office(user, epo.office_id, "La EPO")
    cp = epo_ruleset(epo).cadenas_productivas
    program = epo_ruleset(epo).programs[PROGRAM]
    if epo.status != EpoStatus.ADMITTED:
        raise TransitionRefused(
            "La EPO está suspendida: no adhiere proveedores.", field="epo", rule=program.rule
        )
    if supplier.pk == epo.applicant_id:
        raise ValidationFailed([DomainError("La EPO no puede ser su propio proveedor.", field="supplier")])
    errors: list[DomainError] = []
    if not agreement_ref.strip():
        errors.append(
            DomainError("Indique el convenio de adhesión.", field="agreement_ref", rule=program.rule)
        )
    spread_errors = _spread_errors(
        cp, "del proveedor", spread, cp.supplier_spread_min, cp.supplier_spread_max, admin_points
    )
    errors += spread_errors
    if (
        not any(e.field == "admin_points" for e in spread_errors)
        and spread + admin_points > cp.supplier_max_over_nafin
    ):
        errors.append(
            DomainError(
                f"La tasa final del proveedor es de hasta Tasa NAFIN + {cp.supplier_max_over_nafin * 100:.2f} puntos.",
                field="admin_points",
                rule=cp.rule,
            )
        )
    if errors:
        raise ValidationFailed(errors)
    adhesion, created = SupplierAdhesion.objects.get_or_create(
        epo=epo,
        supplier=supplier,
        defaults={
            "adhered_on": adhered_on or today_mx(),
            "agreement_ref": agreement_ref.strip(),
            "spread": spread,
            "admin_points": admin_points,
            "created_by": user,
        },
    )
    if not created:
        if adhesion.active:
            raise TransitionRefused("El proveedor ya está adherido a esta EPO.", field="supplier")
        adhesion.active = True
        adhesion.adhered_on = adhered_on or today_mx()
        adhesion.agreement_ref, adhesion.spread, adhesion.admin_points = (
            agreement_ref.strip(),
            spread,
            admin_points,
        )
        adhesion.save()
    audit_record(
        user=user,
        action="factoring.supplier_adhere",
        obj=adhesion,
        after=snapshot(adhesion),
        office=epo.office,
    )
    return adhesion


@transaction.atomic
def epo_review(*, user: User, epo: Epo, reviewed_on: date | None = None, note: str = "") -> Epo:
    """The line's annual review and qualification (P-1 1.5) is recorded by the regional manager: the next
    one falls `review_months` later (never past the line's expiry). A lapsed review stops new documents."""
    require_role(user, (Role.GERENTE_REGIONAL,), "registrar la revisión anual de la línea")
    epo = _lock_epo(epo)
    require_office(user, epo.office_id, "La EPO")
    cp = epo_ruleset(epo).cadenas_productivas
    reviewed_on = reviewed_on or today_mx()
    if reviewed_on > today_mx():
        raise ValidationFailed(
            [DomainError("La fecha de revisión no puede ser futura.", field="reviewed_on")]
        )
    with audited(
        user=user,
        action="factoring.epo_review",
        obj=epo,
        fields=["next_review_on"],
        office=epo.office,
        note=note.strip() or f"Revisión anual del {reviewed_on:%d/%m/%Y}",
    ):
        epo.next_review_on = min(add_months(reviewed_on, cp.review_months), epo.line_expires_on)
        epo.save(update_fields=["next_review_on"])
    return epo


@transaction.atomic
def epo_status_set(*, user: User, epo: Epo, status: str, reason: str) -> Epo:
    """Suspend an EPO (no new documents or discounts; what is discounted is still collected) or admit it
    again; the regional manager records why."""
    require_role(user, (Role.GERENTE_REGIONAL,), "suspender o reactivar una EPO")
    epo = _lock_epo(epo)
    require_office(user, epo.office_id, "La EPO")
    if status not in EpoStatus.values:
        raise ValidationFailed([DomainError(f"Estado desconocido «{status}».", field="status")])
    if not reason.strip():
        raise ValidationFailed([DomainError("Indique el motivo.", field="reason")])
    if epo.status == status:
        raise TransitionRefused(f"La EPO ya está «{epo.get_status_display()}».", field="status")
    with audited(
        user=user,
        action="factoring.epo_status",
        obj=epo,
        fields=["status"],
        office=epo.office,
        note=reason.strip(),
    ):
        epo.status = status
        epo.save(update_fields=["status"])
    return epo


@transaction.atomic
def supplier_withdraw(*, user: User, adhesion: SupplierAdhesion, reason: str) -> SupplierAdhesion:
    """End a supplier's adhesion: it publishes no new documents; those already discounted run their course."""
    require_role(user, REGIONAL, "dar de baja proveedores")
    adhesion = (
        SupplierAdhesion.objects.select_for_update(of=("self",)).select_related("epo").get(pk=adhesion.pk)
    )
    require_office(user, adhesion.epo.office_id, "La EPO")
    if not adhesion.active:
        raise TransitionRefused("El proveedor ya no está adherido.", field="supplier")
    if not reason.strip():
        raise ValidationFailed([DomainError("Indique el motivo de la baja.", field="reason")])
    with audited(
        user=user,
        action="factoring.supplier_withdraw",
        obj=adhesion,
        fields=["active"],
        office=adhesion.epo.office,
        note=reason.strip(),
    ):
        adhesion.active = False
        adhesion.save(update_fields=["active"])
    return adhesion


# ------------------------------------------------------------------------------------------ documents


@transaction.atomic
def document_upload(
    *,
    user: User,
    epo: Epo,
    supplier: Any,
    kind: str,
    number: str,
    face_value: Decimal,
    issue_date: date,
    due_date: date,
    uploaded_by: str,
    uploaded_file: UploadedFile | None = None,
    uploaded_on: date | None = None,
) -> FactoringDocument:
    """Publish a document the EPO owes an adhered supplier (9.1.4): at most `max_document_days` to its
    due date (P-1 1.5) and within the EPO's line. It is published today unless `uploaded_on` dates it
    earlier (a document recorded after the fact, as the demo portfolio does); its terms count from then."""
    require_role(user, REGIONAL, "publicar documentos de cadenas productivas")
    epo = _lock_epo(epo)
    require_office(user, epo.office_id, "La EPO")
    ruleset = epo_ruleset(epo)
    cp, program = ruleset.cadenas_productivas, ruleset.programs[PROGRAM]
    today = uploaded_on or today_mx()
    if today > today_mx():
        raise ValidationFailed(
            [DomainError("La fecha de publicación no puede ser futura.", field="uploaded_on")]
        )
    if today < epo.admitted_on:
        raise ValidationFailed(
            [DomainError("La fecha de publicación es anterior a la admisión de la EPO.", field="uploaded_on")]
        )
    if epo.status != EpoStatus.ADMITTED:
        raise TransitionRefused(
            "La EPO está suspendida: no publica documentos.", field="epo", rule=program.rule
        )
    if today > epo.line_expires_on:
        raise TransitionRefused(
            f"La línea de la EPO venció el {epo.line_expires_on:%d/%m/%Y}.", field="epo", rule=cp.rule
        )
    if today > epo.next_review_on:
        raise TransitionRefused(
            f"La revisión anual de la línea venció el {epo.next_review_on:%d/%m/%Y}: regístrela antes de "
            "publicar documentos.",
            field="epo",
            rule=cp.rule,
        )
    adhered = SupplierAdhesion.objects.filter(epo=epo, supplier=supplier, active=True).exists()
    if not adhered:
        raise TransitionRefused(
            f"El proveedor {supplier.name} no está adherido a las Cadenas Productivas de esta EPO.",
            field="supplier",
            rule=program.rule,
        )
    errors: list[DomainError] = []
    if kind not in dict(FactoringDocument._meta.get_field("kind").choices or []):
        errors.append(DomainError("Tipo de documento desconocido.", field="kind"))
    if uploaded_by not in UploadedBy.values:
        errors.append(DomainError("Indique si publica la EPO o el proveedor.", field="uploaded_by"))
    if not number.strip():
        errors.append(DomainError("Indique el número del documento.", field="number"))
    amount_check(face_value, field="face_value", label="Valor nominal", ruleset=ruleset, errors=errors)
    if not errors and (not isinstance(face_value, Decimal) or face_value <= 0 or not is_cents(face_value)):
        errors.append(DomainError("El valor nominal debe ser positivo y en centavos.", field="face_value"))
    if issue_date > today:
        errors.append(DomainError("La fecha de emisión no puede ser futura.", field="issue_date"))
    if uploaded_file is not None:
        too_big = upload_size_error(uploaded_file.size)
        if too_big:
            errors.append(DomainError(too_big, field="document_file"))
    if due_date <= today:
        errors.append(DomainError("El documento ya venció o vence hoy.", field="due_date"))
    latest = today + timedelta(days=cp.max_document_days)
    if due_date > latest:
        errors.append(
            DomainError(
                f"El plazo de cada documento es de hasta {cp.max_document_days} días: vence el "
                f"{due_date:%d/%m/%Y}, a {(due_date - today).days} días (a más tardar {latest:%d/%m/%Y}).",
                field="due_date",
                rule=cp.rule,
            )
        )
    elif due_date > epo.line_expires_on:
        errors.append(
            DomainError(
                f"El documento vence después de la línea de la EPO ({epo.line_expires_on:%d/%m/%Y}).",
                field="due_date",
                rule=cp.rule,
            )
        )
    if errors:
        raise ValidationFailed(errors)
    available = epo.line_amount - line_used(epo)
    if face_value > available:
        raise ValidationFailed(
            [
                DomainError(
                    f"El documento ({face_value:,.2f}) excede el disponible de la línea de la EPO "
                    f"({available:,.2f}).",
                    field="face_value",
                    rule=cp.rule,
                )
            ]
        )
    if FactoringDocument.objects.filter(
        epo=epo, supplier=supplier, kind=kind, number=number.strip()
    ).exists():
        raise ValidationFailed([DomainError("Ese documento ya está publicado.", field="number")])
    document = FactoringDocument.objects.create(
        epo=epo,
        supplier=supplier,
        kind=kind,
        number=number.strip(),
        face_value=face_value,
        issue_date=issue_date,
        due_date=due_date,
        uploaded_by=uploaded_by,
        uploaded_by_user=user,
        uploaded_on=today,
    )
    if uploaded_file is not None:
        document.document_file.save(safe_upload_name(uploaded_file.name), uploaded_file, save=True)
    audit_record(
        user=user,
        action="factoring.document_upload",
        obj=document,
        after=snapshot(document),
        office=epo.office,
    )
    return document


# ------------------------------------------------------------------------------------------ discount


def discount_terms(
    *, epo: Epo, face_value: Decimal, value_date: date, due_date: date, mode: str
) -> dict[str, Any]:
    """The figures of a discount (pure over the rule set and the stored base series)."""
    ruleset = epo_ruleset(epo)
    cp, commissions = ruleset.cadenas_productivas, ruleset.commissions
    try:
        base = rate_series_get(epo.base_series).value_before(value_date)
    except MissingRate as exc:
        raise DomainError(str(exc), field="base_series", rule=exc.rule) from None
    rate = base + epo.spread + epo.admin_points
    advance = round_money(face_value * cp.max_advance_fraction)
    period = FixedRate(rate).period_rate([value_date, due_date])
    period_rate = period.factor() - 1
    interest = round_money(advance * period_rate)
    # I-9: the supplier discounts «sin comisiones» (P-1 1.3); the program's data says whether it charges any.
    commission_rate = (
        commissions.per_drawdown_rate.get(CURRENCY, ZERO)
        if ruleset.programs[PROGRAM].commissions and CREDIT_TYPE in commissions.per_drawdown_credit_types
        else ZERO
    )
    commission = round_money(advance * commission_rate)
    iva = round_money(commission * commissions.iva_rate)
    up_front = mode == InterestMode.UP_FRONT
    return {
        "base": base,
        "rate": rate,
        "period_rate": period_rate,
        "days": (due_date - value_date).days,
        "advance": advance,
        "interest": interest,
        "commission": commission,
        "iva": iva,
        "disbursed": advance - commission - iva - (interest if up_front else ZERO),
    }


def _lock_document(document: FactoringDocument) -> FactoringDocument:
    return (
        FactoringDocument.objects.select_for_update(of=("self",))
        .select_related("epo", "epo__applicant", "epo__office", "supplier")
        .get(pk=document.pk)
    )


@transaction.atomic
def document_discount(
    *,
    user: User,
    document: FactoringDocument,
    interest_mode: str,
    value_date: date | None = None,
    idempotency_key: str | None = None,
) -> Discount:
    """Discount a published document: the advance (up to `max_advance_fraction` of face value) is deposited
    to the supplier less the commission and its IVA (14, I-6), and less the interest when it is charged up
    front (P-1 1.5); the EPO owes the advance (and the interest, at maturity) on the due date. Once per key,
    decided under the document's lock (`filon.idempotency.once`)."""
    require_role(user, REGIONAL, "descontar documentos")
    document = _lock_document(document)
    epo = _lock_epo(document.epo)
    require_office(user, epo.office_id, "El documento")
    value_date = value_date or today_mx()
    return once(
        operation="document_discount",
        scope=scope_of(document),
        key=idempotency_key,
        request={"interest_mode": interest_mode, "value_date": value_date},
        user=user,
        what="otro descuento de este documento",
        perform=lambda: _discount_post(
            user=user, document=document, epo=epo, interest_mode=interest_mode, value_date=value_date
        ),
    )


def _discount_post(
    *, user: User, document: FactoringDocument, epo: Epo, interest_mode: str, value_date: date
) -> Discount:
    ruleset = epo_ruleset(epo)
    cp, program = ruleset.cadenas_productivas, ruleset.programs[PROGRAM]
    if interest_mode not in InterestMode.values:
        raise ValidationFailed(
            [DomainError("Indique la forma de pago de los intereses.", field="interest_mode")]
        )
    value_date_check(value_date)
    if document.status != DocumentStatus.UPLOADED:
        raise TransitionRefused(
            f"El documento está «{document.get_status_display()}»: sólo se descuenta uno publicado.",
            field="status",
        )
    if epo.status != EpoStatus.ADMITTED:
        raise TransitionRefused("La EPO está suspendida: no se descuentan sus documentos.", field="epo")
    if value_date > epo.line_expires_on:
        raise TransitionRefused(
            f"La línea de la EPO venció el {epo.line_expires_on:%d/%m/%Y}.", field="value_date", rule=cp.rule
        )
    if not SupplierAdhesion.objects.filter(epo=epo, supplier=document.supplier, active=True).exists():
        raise TransitionRefused(
            f"El proveedor {document.supplier.name} no está adherido a las Cadenas Productivas de esta EPO.",
            field="supplier",
            rule=program.rule,
        )
    days = (document.due_date - value_date).days
    if days <= 0 or days > cp.max_document_days:
        raise TransitionRefused(
            f"El plazo del descuento es de 1 a {cp.max_document_days} días; este sería de {days}.",
            field="due_date",
            rule=cp.rule,
        )
    terms = discount_terms(
        epo=epo,
        face_value=document.face_value,
        value_date=value_date,
        due_date=document.due_date,
        mode=interest_mode,
    )
    up_front = interest_mode == InterestMode.UP_FRONT
    loan = loan_open(
        user=user,
        opening=LoanOpening(
            number=f"CP-{epo.pk:04d}-{document.pk:06d}",
            applicant=epo.applicant,
            office=epo.office,
            program=PROGRAM.value,
            credit_type=CREDIT_TYPE.value,
            currency=CURRENCY,
            ruleset_version=epo.ruleset_version,
            contracted_amount=terms["advance"],
            contract_date=value_date,
            base_series=epo.base_series,
            spread=epo.spread + epo.admin_points,
            fixed_rate=terms["rate"],
            moratorium_factor=ruleset.rates.moratorium_factor,
            # One payment of principal (and interest) at maturity: the close reads term ≤ periodicity as a
            # single-payment credit (CNBV 30 days to cartera vencida) and prices the period in one piece.
            term_months=1,
            payment_every_months=1,
            amortization="equal_principal",
        ),
        drawdown=Drawdown(
            amount=terms["advance"],
            value_date=value_date,
            due=document.due_date,
            kind="descuento_documento",
            description=f"Descuento de {document} de {document.supplier.name} a cargo de {epo.applicant.name}",
            schedule_reason=f"Descuento de {document}",
            commission=terms["commission"],
            commission_iva=terms["iva"],
            interest_up_front=terms["interest"] if up_front else ZERO,
            net_deposit=True,
        ),
    )
    discount = Discount.objects.create(
        document=document,
        loan=loan,
        advance=terms["advance"],
        base_rate=terms["base"],
        rate=terms["rate"],
        interest_mode=interest_mode,
        days=terms["days"],
        interest=terms["interest"],
        commission=terms["commission"],
        commission_iva=terms["iva"],
        disbursed_amount=terms["disbursed"],
        disbursed_on=value_date,
        created_by=user,
    )
    document.status = DocumentStatus.DISCOUNTED
    document.save(update_fields=["status"])
    audit_record(
        user=user,
        action="factoring.document_discount",
        obj=discount,
        after=snapshot(discount),
        office=epo.office,
    )
    return discount


def amount_owed(*, loan: Loan) -> Decimal:
    """What the EPO owes on a discounted document as the loan's position stands (after accrual)."""
    return loan.principal_balance + loan.accrued_interest + loan.accrued_moratorium - loan.unapplied_balance


@transaction.atomic
def document_collect(
    *,
    user: User,
    document: FactoringDocument,
    value_date: date | None = None,
    amount: Decimal | None = None,
    idempotency_key: str | None = None,
) -> Discount:
    """The EPO pays the document (P-1 1.5: at maturity): an ordinary payment of the discount's loan, so a
    late EPO pays its moratorium too. Without `amount`, everything owed on the value date. Once per key,
    decided under the document's lock (`filon.idempotency.once`)."""
    require_role(user, REGIONAL, "registrar cobros de cadenas productivas")
    document = _lock_document(document)
    require_office(user, document.epo.office_id, "El documento")
    return once(
        operation="document_collect",
        scope=scope_of(document),
        key=idempotency_key,
        request={"value_date": value_date or today_mx(), "amount": amount},
        user=user,
        what="otro cobro de este documento",
        perform=lambda: _collect_post(user=user, document=document, value_date=value_date, amount=amount),
    )


def _collect_post(
    *, user: User, document: FactoringDocument, value_date: date | None, amount: Decimal | None
) -> Discount:
    if document.status not in (DocumentStatus.DISCOUNTED, DocumentStatus.OVERDUE):
        raise TransitionRefused(
            f"El documento está «{document.get_status_display()}»: no hay nada que cobrar.", field="status"
        )
    discount = Discount.objects.select_for_update(of=("self",)).get(document=document)
    value_date = value_date or today_mx()
    loan = lock_loan(discount.loan)
    value_date_check(value_date)
    if amount is None:
        loan_accrue(loan=loan, through=value_date)
        amount = amount_owed(loan=loan)
    with audited(
        user=user,
        action="factoring.document_collect",
        obj=document,
        fields=["status"],
        office=document.epo.office,
    ) as change:
        payment_apply(
            user=user,
            loan=loan,
            amount=amount,
            value_date=value_date,
            idempotency_key=f"cadena-{document.pk}-{value_date.isoformat()}-{amount}",
        )
        loan.refresh_from_db()
        if loan.status == LoanStatus.PAID_OFF:
            document.status = DocumentStatus.COLLECTED
            discount.collected_on = value_date
            discount.save(update_fields=["collected_on"])
        elif loan.days_past_due > 0:
            document.status = DocumentStatus.OVERDUE
        else:
            document.status = DocumentStatus.DISCOUNTED
        document.save(update_fields=["status"])
        change.facts.update(amount=str(amount), value_date=value_date.isoformat())
    return discount


@transaction.atomic
def documents_overdue_sync(*, user: Any = None) -> int:
    """Mirror the loans on the documents after the daily close or a payment made on the loan's own page: a
    document whose loan is past due reads «vencido», one regularized «descontado» again, one paid off
    «cobrado» (on its last payment's date). Idempotent; returns the documents changed."""
    changed = 0
    rows = FactoringDocument.objects.select_for_update(of=("self",)).filter(
        status__in=(DocumentStatus.DISCOUNTED, DocumentStatus.OVERDUE)
    )
    for document in rows.select_related("discount", "discount__loan", "epo__office"):
        discount = document.discount
        loan = discount.loan
        if loan.status == LoanStatus.PAID_OFF:
            target = DocumentStatus.COLLECTED
        elif loan.days_past_due > 0:
            target = DocumentStatus.OVERDUE
        else:
            target = DocumentStatus.DISCOUNTED
        if document.status == target:
            continue
        with audited(
            user=user,
            action="factoring.document_sync",
            obj=document,
            fields=["status"],
            office=document.epo.office,
        ) as change:
            document.status = target
            document.save(update_fields=["status"])
            if target == DocumentStatus.COLLECTED:
                last = loan.payments.filter(status=PaymentStatus.APPLIED).order_by("-value_date").first()
                discount.collected_on = last.value_date if last else today_mx()
                discount.save(update_fields=["collected_on"])
            change.facts["days_past_due"] = loan.days_past_due
        changed += 1
    return changed


# ------------------------------------------------------------------------------------------ platform fee


def average_daily_balance(*, epo: Epo, month: date) -> Decimal:
    """The average of the EPO's discounted principal (cartera vigente + vencida of its discounts, read from
    the ledger) at the end of each calendar day of the month."""
    first = month.replace(day=1)
    days = monthrange(first.year, first.month)[1]
    last = first.replace(day=days)
    loan_ids = list(Discount.objects.filter(document__epo=epo).values_list("loan_id", flat=True))
    postings = Posting.objects.filter(
        loan_id__in=loan_ids, account__code__in=(chart.CARTERA_VIGENTE, chart.CARTERA_VENCIDA)
    )
    opening = postings.filter(entry__business_date__lt=first).aggregate(total=Sum("amount"))["total"] or ZERO
    moves: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for day, amount in postings.filter(entry__business_date__range=(first, last)).values_list(
        "entry__business_date", "amount"
    ):
        moves[day] += amount
    balance, total = round_money(opening), ZERO
    for offset in range(days):
        balance += moves.get(first + timedelta(days=offset), ZERO)
        total += balance
    return round_money(total / days)


@transaction.atomic
def platform_fee_charge(*, user: User, epo: Epo, month: date, value_date: date | None = None) -> PlatformFee:
    """Charge the EPO the platform fee of a finished month on its average daily balance (P-1 1.5), once."""
    require_role(user, REGIONAL, "cobrar la contraprestación por plataforma")
    epo = _lock_epo(epo)
    require_office(user, epo.office_id, "La EPO")
    ruleset = epo_ruleset(epo)
    first = month.replace(day=1)
    days = monthrange(first.year, first.month)[1]
    value_date = value_date or today_mx()
    value_date_check(value_date)
    if first.replace(day=days) >= value_date:
        raise TransitionRefused(
            f"El mes {first:%m/%Y} no ha terminado: la contraprestación se calcula sobre el saldo promedio "
            "del mes completo.",
            field="month",
            rule=ruleset.cadenas_productivas.rule,
        )
    if PlatformFee.objects.filter(epo=epo, month=first).exists():
        raise TransitionRefused(f"La contraprestación de {first:%m/%Y} ya se cobró.", field="month")
    average = average_daily_balance(epo=epo, month=first)
    rate = platform_fee_rate()
    fee = round_money(average * simple_rate(rate, days))
    if fee <= 0:
        raise TransitionRefused(
            f"La EPO no tuvo saldo descontado en {first:%m/%Y}: no hay contraprestación.", field="month"
        )
    iva = round_money(fee * ruleset.commissions.iva_rate)
    entry = entry_post(
        kind="contraprestacion_plataforma",
        business_date=value_date,
        user=user,
        description=f"Contraprestación por plataforma {first:%m/%Y} de {epo.applicant.name}",
        lines=[
            Line(chart.BANCOS, fee + iva, CURRENCY),
            Line(chart.COMISIONES_COBRADAS, -fee, CURRENCY),
            Line(chart.IVA_TRASLADADO, -iva, CURRENCY),
        ],
    )
    charge = PlatformFee.objects.create(
        epo=epo,
        month=first,
        average_balance=average,
        rate=rate,
        fee=fee,
        iva=iva,
        entry=entry,
        created_by=user,
    )
    audit_record(
        user=user, action="factoring.platform_fee", obj=charge, after=snapshot(charge), office=epo.office
    )
    return charge


def platform_fees_charge_month(*, user: User, month: date) -> list[PlatformFee]:
    """The month's platform fee of every admitted EPO of the user's office that carried a balance and has
    not been charged: rerunnable (each EPO is charged once per month, in its own transaction)."""
    first = month.replace(day=1)
    charged = []
    for epo in epo_list_for_user(user=user).exclude(platform_fees__month=first):
        if average_daily_balance(epo=epo, month=first) <= 0:
            continue
        charged.append(platform_fee_charge(user=user, epo=epo, month=first))
    return charged
