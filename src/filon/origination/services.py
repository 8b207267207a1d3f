"""Writes on credit files: every transition of the file's life is one service (STYLE 4).

Each service checks the role, the office and the file's state by the file's lifecycle table
(`origination.lifecycle.FILE`, which the file page reads too), refuses what the Rules forbid with the rule
cited, writes the change and its audit record in one transaction (`audited`), and re-runs the rules engine whenever the
proposal or its guarantees change, storing the findings with the rule-set version they came from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from filon.accounts.access import require_another_person, require_office, require_role
from filon.accounts.models import RegionalOffice, Role, User
from filon.applicants.models import Applicant
from filon.applicants.selectors import bureau_keys_latest
from filon.audit.services import AuditRecordHolder, audit_record, audited, snapshot
from filon.centavos import amount_check
from filon.core.calendar import today_mx
from filon.core.errors import InputError, InputErrors
from filon.core.evaluation import committee_by_amount, evaluate_document
from filon.core.money import round_money
from filon.errors import DomainError, TransitionRefused, ValidationFailed
from filon.limits import safe_upload_name, upload_size_error
from filon.origination.checks import (
    applicant_facts,
    authorization_checks_run,
    opening_checks_run,
    stage_checks_run,
)
from filon.origination.lifecycle import FILE, REGIONAL, RESOLUTIONS
from filon.origination.models import (
    CreditFile,
    DocumentUpload,
    FileGuarantee,
    FileStatus,
    GuaranteeChange,
    GuaranteeStatus,
    LoanRequest,
    RequirementItem,
    RequirementStatus,
)
from filon.origination.selectors import (
    document_is_stale,
    file_on_agenda,
    file_ruleset,
    market_values_on,
    requirements_missing,
)
from filon.rules import RuleSet, load_ruleset_for_date, load_ruleset_version
from filon.rules.schema import ApplicantKind, CreditType, PersonType, ProgramCode, Stage

ACTIVE_GUARANTEE_STATES = (GuaranteeStatus.OFFERED, GuaranteeStatus.ACTIVE)
FILE_STAGES = (Stage.AUTHORIZATION, Stage.CONTRACTING, Stage.PRE_DISBURSEMENT)
ZERO = Decimal(0)


# ------------------------------------------------------------------------------------------ helpers


def _lock(file: CreditFile) -> CreditFile:
    return CreditFile.objects.select_for_update().select_related("applicant", "office").get(pk=file.pk)


def _file_snapshot(file: CreditFile) -> dict[str, Any]:
    return snapshot(
        file,
        [
            "status",
            "program",
            "credit_type",
            "currency",
            "amount",
            "investment_program",
            "term_months",
            "grace_months",
            "payment_every_months",
            "amortization",
            "growth_rate",
            "new_equipment_option",
            "eligible",
            "committee",
            "ruleset_version",
            "requirements_complete_on",
            "attention_deadline",
            "authorized_on",
            "authorization_expires_on",
            "authorization_extended",
            "contract_signed_on",
            "contract_number",
            "cancel_reason",
            "conditions",
            "observations",
            "signoff_by_id",
            "signoff_at",
            "signoff_note",
            "signoff_return_reason",
        ],
    )


def _audited(
    user: User | None, file: CreditFile, action: str, note: str = ""
) -> AbstractContextManager[AuditRecordHolder]:
    """The file's audited change: its snapshot before the block and after it, in the caller's transaction."""
    return audited(user=user, action=action, obj=file, fields=_file_snapshot, office=file.office, note=note)


# ------------------------------------------------------------------------------------------ proposal


@dataclass
class ProposalData:
    program: str
    credit_type: str
    currency: str
    amount: Decimal
    investment_program: Decimal
    term_months: int
    grace_months: int = 0
    payment_every_months: int = 1
    amortization: str = "equal_principal"
    growth_rate: Decimal | None = None
    new_equipment_option: bool = False
    purpose: str = ""
    application_date: date | None = None


def _validate_proposal(data: ProposalData) -> None:
    errors: list[DomainError] = []
    if data.program not in ProgramCode.__members__.values():
        errors.append(DomainError(f"Programa desconocido «{data.program}».", field="program"))
    if data.credit_type not in CreditType.__members__.values():
        errors.append(DomainError(f"Tipo de crédito desconocido «{data.credit_type}».", field="credit_type"))
    if data.currency not in ("MXN", "USD"):
        errors.append(DomainError("La moneda debe ser MXN o USD.", field="currency"))
    ruleset = load_ruleset_for_date(today_mx())
    for name, label in (("amount", "Monto solicitado"), ("investment_program", "Programa de inversión")):
        amount_check(getattr(data, name), field=name, label=label, ruleset=ruleset, errors=errors, cents=True)
    if data.amount is None or data.amount <= 0:
        errors.append(DomainError("El monto debe ser mayor que cero.", field="amount"))
    if data.investment_program is None or data.investment_program <= 0:
        errors.append(
            DomainError("El programa de inversión debe ser mayor que cero.", field="investment_program")
        )
    if data.term_months is None or data.term_months < 1:
        errors.append(DomainError("El plazo debe ser de al menos un mes.", field="term_months"))
    if data.grace_months is not None and data.term_months and data.grace_months > data.term_months:
        errors.append(DomainError("La gracia no puede exceder el plazo.", field="grace_months"))
    if not 1 <= data.payment_every_months <= 12:
        errors.append(
            DomainError("La periodicidad de pago es de 1 a 12 meses.", field="payment_every_months")
        )
    elif data.term_months and data.term_months % data.payment_every_months:
        errors.append(
            DomainError("El plazo debe ser múltiplo de la periodicidad de pago.", field="term_months")
        )
    elif data.grace_months % data.payment_every_months:
        errors.append(
            DomainError("La gracia debe ser múltiplo de la periodicidad de pago.", field="grace_months")
        )
    if data.amortization == "growing" and (data.growth_rate is None or data.growth_rate <= 0):
        errors.append(
            DomainError(
                "Los pagos crecientes requieren una tasa de crecimiento positiva.", field="growth_rate"
            )
        )
    if errors:
        raise ValidationFailed(errors)


def _next_folio(office: RegionalOffice, year: int) -> str:
    RegionalOffice.objects.select_for_update().get(pk=office.pk)  # serialize numbering per office
    prefix = f"{office.code}-{year}-"
    last = (
        CreditFile.objects.filter(folio__startswith=prefix)
        .order_by("-folio")
        .values_list("folio", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


@transaction.atomic
def file_create(*, user: User, applicant: Applicant, proposal: ProposalData) -> CreditFile:
    """Open a credit file for an applicant: status «capturado», checklist generated, proposal evaluated."""
    require_role(user, REGIONAL, "abrir expedientes")
    require_office(user, applicant.office_id)
    _validate_proposal(proposal)
    today = today_mx()
    opening_checks_run(program=proposal.program, on=today)
    ruleset = load_ruleset_for_date(today)
    file = CreditFile.objects.create(
        folio=_next_folio(applicant.office, today.year),
        applicant=applicant,
        office=applicant.office,
        program=proposal.program,
        credit_type=proposal.credit_type,
        currency=proposal.currency,
        amount=proposal.amount,
        investment_program=proposal.investment_program,
        term_months=proposal.term_months,
        grace_months=proposal.grace_months,
        payment_every_months=proposal.payment_every_months,
        amortization=proposal.amortization,
        growth_rate=proposal.growth_rate,
        new_equipment_option=proposal.new_equipment_option,
        purpose=proposal.purpose,
        application_date=proposal.application_date or today,
        ruleset_version=ruleset.version,
        created_by=user,
    )
    requirements_generate(file=file, ruleset=ruleset)
    file_evaluate(file=file, ruleset=ruleset)
    audit_record(user=user, action="file.create", obj=file, after=_file_snapshot(file), office=file.office)
    return file


@transaction.atomic
def file_update_proposal(*, user: User, file: CreditFile, proposal: ProposalData) -> CreditFile:
    file = _lock(file)
    FILE.require("update_proposal", user, file)
    _validate_proposal(proposal)
    with _audited(user, file, "file.update_proposal"):
        kind = (file.program, file.credit_type)
        for key, value in vars(proposal).items():
            if key == "application_date" and value is None:
                continue
            setattr(file, key, value)
        file.save()
        if kind[0] != file.program:
            opening_checks_run(program=file.program, on=today_mx())
        if kind != (file.program, file.credit_type):
            requirements_generate(file=file, ruleset=file_ruleset(file))
        file_evaluate(file=file)
    return file


# ---------------------------------------------------------------------------------------- evaluation


def _exposure_usd_elsewhere(file: CreditFile, fx: Decimal) -> Decimal:
    """Other authorized, not yet disbursed credits of the company or its group (9.2.2, 17).

    Current loan balances join this figure when the servicing module records them.
    """
    applicant = file.applicant
    peers = CreditFile.objects.exclude(pk=file.pk).filter(
        status__in=[FileStatus.AUTHORIZED, FileStatus.FORMALIZED, FileStatus.READY_TO_DISBURSE]
    )
    peers = (
        peers.filter(applicant__group=applicant.group)
        if applicant.group_id
        else peers.filter(applicant=applicant)
    )
    total = ZERO
    for currency, amount in peers.values_list("currency", "amount"):
        total += amount if currency == "USD" else amount / fx
    return total


def guarantee_item(g: Any) -> dict[str, Any]:
    """A guarantee as the engine's input reads it, from a `FileGuarantee` or a `GuaranteeData`."""
    item: dict[str, Any] = {
        "type": g.type,
        "value": str(g.value),
        "lien_rank": g.lien_rank,
        "insurable": g.insurable,
        "is_transport": g.is_transport,
        "hechizo": g.hechizo,
        "fiduciary": g.fiduciary,
        "reuses_last_appraisal": g.reuses_last_appraisal,
    }
    for name in ("appraisal_date", "first_invoice_date", "net_worth_statement_date"):
        value = getattr(g, name)
        if value:
            item[name] = value.isoformat()
    if g.covers_balance is not None:
        item["covers_balance"] = g.covers_balance
    return item


def proposal_document(
    file: CreditFile, *, as_of: date, fx: Decimal, uma: Decimal | None = None
) -> dict[str, Any]:
    """The engine's input contract, built from the file, its applicant and its guarantees."""
    a = file.applicant
    applicant: dict[str, Any] = {
        "person_type": a.person_type,
        "state": a.state,
        "municipality": a.municipality,
        "activity": a.activity,
        "primary_extraction": a.primary_extraction,
        "mining_class": a.mining_class,
        "sector": a.sector,
        "employees": a.employees,
        "annual_gross_income_mxn": None
        if a.annual_gross_income_mxn is None
        else str(a.annual_gross_income_mxn),
        "production_tons_month": None if a.production_tons_month is None else str(a.production_tons_month),
        "years_of_sales": str(a.years_of_sales),
        "years_satisfactory_with_fifomi": str(a.years_satisfactory_with_fifomi),
        "equity_mxn": str(a.equity_mxn),
        "new_project": a.new_project,
        "bureau_prevention_keys": bureau_keys_latest(a),
        "capital_lost_fraction": str(a.capital_lost_fraction),
        "overdue_debts": a.overdue_debts,
        "strike": a.strike,
        "lawsuits": a.lawsuits,
        "embargo": a.embargo,
        "concurso_mercantil": a.concurso_mercantil,
        "condoned_history": a.condoned_history,
        "group_outstanding_usd": str(_exposure_usd_elsewhere(file, fx).quantize(Decimal("0.01"))),
        "usd_income": a.usd_income,
    }
    applicant.update(applicant_facts(file))  # what the programs record (P-4's NOM-032), `origination.checks`
    request: dict[str, Any] = {
        "program": file.program,
        "credit_type": file.credit_type,
        "currency": file.currency,
        "amount": str(file.amount),
        "investment_program": str(file.investment_program),
        "term_months": file.term_months,
        "grace_months": file.grace_months,
        "new_equipment_option": file.new_equipment_option,
        "application_date": file.application_date.isoformat(),
        "payment_every_months": file.payment_every_months,
    }
    if file.requirements_complete_on:
        request["requirements_complete_date"] = file.requirements_complete_on.isoformat()
    guarantees = [
        guarantee_item(g) for g in file.guarantees.filter(status__in=ACTIVE_GUARANTEE_STATES).order_by("id")
    ]
    doc: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "fx_usd_mxn": str(fx),
        "applicant": applicant,
        "request": request,
        "guarantees": guarantees,
    }
    if uma is not None:
        doc["uma_annual_mxn"] = str(uma)
    return doc


def file_evaluate(
    *, file: CreditFile, ruleset: RuleSet | None = None, as_of: date | None = None
) -> dict[str, Any]:
    """Run the engine on the file as it stands and store its verdict (called inside the writing service)."""
    ruleset = ruleset or file_ruleset(file)
    as_of = as_of or today_mx()
    fx, uma = market_values_on(as_of)
    doc = proposal_document(file, as_of=as_of, fx=fx, uma=uma)
    try:
        result = evaluate_document(doc, ruleset)
    except (InputError, InputErrors) as exc:
        errors = exc.errors if isinstance(exc, InputErrors) else [exc]
        raise ValidationFailed(
            [DomainError(e.message, field=e.field.split(".")[-1], rule=e.rule) for e in errors]
        ) from None
    result["guarantee_ids"] = list(
        file.guarantees.filter(status__in=ACTIVE_GUARANTEE_STATES).order_by("id").values_list("id", flat=True)
    )
    result["fx_usd_mxn"] = str(fx)
    result["as_of"] = as_of.isoformat()
    file.evaluation = result
    file.eligible = bool(result["eligible"])
    file.committee = str(result["committee"])
    file.ruleset_version = ruleset.version
    file.evaluated_at = timezone.now()
    file.save(
        update_fields=["evaluation", "eligible", "committee", "ruleset_version", "evaluated_at", "updated_at"]
    )
    return result


# -------------------------------------------------------------------------------------- requirements


def _applies(doc: Any, file: CreditFile) -> bool:
    a = file.applicant
    if doc.credit_types is not None and file.credit_type not in doc.credit_types:
        return False
    person = PersonType(a.person_type)
    if doc.person_types is not None and person not in doc.person_types:
        return False
    if doc.applicant_kinds is not None:
        kind = ApplicantKind.CONCESIONARIO if a.mining_class == "concesible" else ApplicantKind.PLANTA
        if kind not in doc.applicant_kinds:
            return False
    return True


def requirements_generate(*, file: CreditFile, ruleset: RuleSet) -> list[RequirementItem]:
    """The file's checklist from the rule set: program, credit type, person type, applicant kind.

    Items already on the file are kept (with their uploads); items that no longer apply and have
    nothing uploaded are removed, so a change of credit type yields the new checklist.
    """
    wanted: dict[str, RequirementItem] = {}
    for checklist in ruleset.checklists:
        if checklist.stage not in FILE_STAGES or ProgramCode(file.program) not in checklist.programs:
            continue
        if checklist.credit_types is not None and file.credit_type not in checklist.credit_types:
            continue
        for doc in checklist.documents:
            if not _applies(doc, file):
                continue
            wanted[doc.code] = RequirementItem(
                file=file,
                code=doc.code,
                checklist=checklist.code,
                rule=checklist.rule,
                stage=checklist.stage.value,
                number=doc.number,
                name=doc.name,
                notes=doc.notes,
                condition=doc.condition or "",
                validity_months=doc.validity_months,
                legal_review=doc.legal_review,
            )
    existing = {item.code: item for item in file.requirements.all()}
    for code, item in existing.items():
        if code not in wanted and not item.uploads.exists():
            item.delete()
    RequirementItem.objects.bulk_create([item for code, item in wanted.items() if code not in existing])
    return list(file.requirements.all())


ALLOWED_UPLOADS = {
    ".pdf": ("application/pdf", b"%PDF"),
    ".png": ("image/png", b"\x89PNG"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04"),
}


def _check_upload(uploaded: UploadedFile) -> tuple[str, str]:
    name = uploaded.name or ""
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if extension not in ALLOWED_UPLOADS:
        raise ValidationFailed(
            [
                DomainError(
                    f"Tipo de archivo no admitido «{extension or name}»; se aceptan PDF, JPG, PNG, XLSX y DOCX.",
                    field="file",
                )
            ]
        )
    too_big = upload_size_error(uploaded.size)
    if too_big:
        raise ValidationFailed([DomainError(too_big, field="file")])
    if uploaded.size == 0:
        raise ValidationFailed([DomainError("El archivo está vacío.", field="file")])
    content_type, magic = ALLOWED_UPLOADS[extension]
    uploaded.seek(0)
    head = uploaded.read(len(magic))
    uploaded.seek(0)
    if head != magic:
        raise ValidationFailed(
            [
                DomainError(
                    f"El contenido del archivo no corresponde a un {extension.upper().lstrip('.')}.",
                    field="file",
                )
            ]
        )
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return content_type, digest.hexdigest()


def _item_for_update(item: RequirementItem, user: User, action: str) -> RequirementItem:
    """Lock a checklist item; `action` is the file lifecycle's (the file must be open)."""
    item = RequirementItem.objects.select_for_update().select_related("file").get(pk=item.pk)
    FILE.require(action, user, item.file)
    return item


def _refuse_own_upload(user: User, item: RequirementItem, refusal: str, field: str) -> None:
    """Four eyes on a document: whoever uploaded its current version does not accept it."""
    latest = item.uploads.order_by("-uploaded_at", "-id").first()
    if latest is not None:
        require_another_person(
            user, (latest.uploaded_by_id,), f"Usted cargó el documento «{item.short_name}»: {refusal}", field
        )


def _item_audited(
    user: User, item: RequirementItem, action: str
) -> AbstractContextManager[AuditRecordHolder]:
    """A checklist item's audited change, recorded on its file with the item's code."""
    return audited(
        user=user,
        action=action,
        obj=item.file,
        fields=lambda _file: {**snapshot(item, ["status", "review_note"]), "code": item.code},
        office=item.file.office,
    )


@transaction.atomic
def requirement_upload(
    *, user: User, item: RequirementItem, uploaded: UploadedFile, document_date: date | None = None
) -> DocumentUpload:
    item = _item_for_update(item, user, "requirement_upload")
    today = today_mx()
    if item.validity_months and document_date is None:
        raise ValidationFailed(
            [
                DomainError(
                    f"Indique la fecha del documento: su vigencia máxima es de {item.validity_months} meses.",
                    field="document_date",
                    rule=item.rule,
                )
            ]
        )
    if document_date and document_date > today:
        raise ValidationFailed(
            [DomainError("La fecha del documento no puede ser futura.", field="document_date")]
        )
    if document_date:
        item.document_date = document_date
    if document_is_stale(item, today):
        raise ValidationFailed(
            [
                DomainError(
                    f"El documento del {document_date:%d/%m/%Y} excede la vigencia de {item.validity_months} meses.",
                    field="document_date",
                    rule=item.rule,
                )
            ]
        )
    content_type, sha = _check_upload(uploaded)
    with audited(
        user=user,
        action="requirement.upload",
        obj=item.file,
        # the item's change on the file's trail; taken after the date set above, before it is saved
        fields=lambda _file: snapshot(item, ["status", "document_date"]),
        office=item.file.office,
    ) as change:
        upload = DocumentUpload(
            item=item,
            original_name=safe_upload_name(uploaded.name)[:200],
            content_type=content_type,
            size=uploaded.size or 0,
            sha256=sha,
            uploaded_by=user,
        )
        upload.file.save(safe_upload_name(uploaded.name), uploaded, save=False)
        upload.save()
        item.status = RequirementStatus.UPLOADED
        item.legal_opinion = ""
        item.save(update_fields=["status", "document_date", "legal_opinion"])
        change.facts.update(code=item.code, sha256=sha)
    return upload


@transaction.atomic
def requirement_review(
    *, user: User, item: RequirementItem, approve: bool, note: str = ""
) -> RequirementItem:
    """The regional office checks an uploaded document (approve, or reject with the reason). Whoever
    uploaded the document does not approve it (four eyes); they may reject their own upload."""
    item = _item_for_update(item, user, "requirement_review")
    if item.status not in (
        RequirementStatus.UPLOADED,
        RequirementStatus.APPROVED,
        RequirementStatus.REJECTED,
    ):
        raise TransitionRefused("Sólo se revisa un documento cargado.", field="status")
    if not approve and not note.strip():
        raise ValidationFailed([DomainError("Indique el motivo del rechazo.", field="note")])
    if approve:
        _refuse_own_upload(user, item, "otra persona debe aprobarlo", "decision")
    if approve and document_is_stale(item, today_mx()):
        raise ValidationFailed(
            [
                DomainError(
                    f"El documento excede la vigencia de {item.validity_months} meses; cargue uno actualizado.",
                    field="document_date",
                    rule=item.rule,
                )
            ]
        )
    with _item_audited(user, item, "requirement.review"):
        item.status = RequirementStatus.APPROVED if approve else RequirementStatus.REJECTED
        item.review_note, item.reviewed_by, item.reviewed_at = note, user, timezone.now()
        item.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at"])
    return item


@transaction.atomic
def requirement_not_applicable(*, user: User, item: RequirementItem, note: str) -> RequirementItem:
    """A conditional document («en su caso») that does not apply to this file, with the reason."""
    item = _item_for_update(item, user, "requirement_not_applicable")
    if not item.condition:
        raise TransitionRefused(
            f"«{item.short_name}» es obligatorio ({item.rule}); sólo los documentos condicionales pueden no aplicar.",
            field="status",
            rule=item.rule,
        )
    if not note.strip():
        raise ValidationFailed([DomainError("Explique por qué no aplica.", field="note")])
    with _item_audited(user, item, "requirement.not_applicable"):
        item.status, item.review_note, item.reviewed_by, item.reviewed_at = (
            RequirementStatus.NOT_APPLICABLE,
            note,
            user,
            timezone.now(),
        )
        item.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at"])
    return item


@transaction.atomic
def requirement_legal_opinion(
    *, user: User, item: RequirementItem, favorable: bool, note: str = ""
) -> RequirementItem:
    """The legal area's dictamen on a legal document (Anexo II note *, Anexo III doc 15)."""
    item = _item_for_update(item, user, "requirement_legal_opinion")
    if not item.legal_review:
        raise TransitionRefused("Este documento no requiere dictamen jurídico.", field="legal_opinion")
    if item.status not in (RequirementStatus.UPLOADED, RequirementStatus.APPROVED):
        raise TransitionRefused("El dictamen se emite sobre un documento cargado.", field="status")
    if not favorable and not note.strip():
        raise ValidationFailed(
            [DomainError("Indique el fundamento del dictamen desfavorable.", field="note")]
        )
    if favorable:
        _refuse_own_upload(user, item, "otra persona debe dictaminarlo", "opinion")
    with audited(
        user=user,
        action="requirement.legal_opinion",
        obj=item.file,
        fields=lambda _file: snapshot(item, ["legal_opinion"]),  # the item's change on the file's trail
        office=item.file.office,
    ) as change:
        item.legal_opinion = "favorable" if favorable else "desfavorable"
        item.legal_by, item.legal_at = user, timezone.now()
        if note:
            item.review_note = note
        if not favorable:
            item.status = RequirementStatus.REJECTED
        item.save(update_fields=["legal_opinion", "legal_by", "legal_at", "review_note", "status"])
        change.facts["status"] = item.status  # in "after" only, as the trail has always shown it
    return item


def _refuse_missing(file: CreditFile, stage: Stage, action: str) -> None:
    missing = requirements_missing(file, stage)
    if missing:
        listed = "; ".join(
            f"«{m.short_name}» ({RequirementStatus(m.status).label.lower()}"
            + (", vencido" if document_is_stale(m, today_mx()) else "")
            + (
                ", sin dictamen jurídico"
                if m.legal_review
                and m.legal_opinion != "favorable"
                and m.status == RequirementStatus.APPROVED
                else ""
            )
            + ")"
            for m in missing[:8]
        )
        more = f" y {len(missing) - 8} más" if len(missing) > 8 else ""
        raise TransitionRefused(
            f"No se puede {action}: faltan {len(missing)} requisito(s): {listed}{more}.",
            field="requirements",
            rule=missing[0].rule,
        )


# --------------------------------------------------------------------------------------- transitions


@transaction.atomic
def file_requirements_complete(*, user: User, file: CreditFile) -> CreditFile:
    """All authorization requirements are met: the attention-time clock starts (Rules 8)."""
    file = _lock(file)
    move = FILE.require("requirements_complete", user, file)
    _refuse_missing(file, Stage.AUTHORIZATION, move.verb)
    with _audited(user, file, "file.requirements_complete"):
        file.status = FILE.target(move.action)
        file.requirements_complete_on = today_mx()
        file.save()
        result = file_evaluate(file=file)
        attention = result.get("attention_time") or {}
        deadline = attention.get("deadline")
        file.attention_deadline = (
            date.fromisoformat(str(deadline)) if attention.get("applies") and deadline else None
        )
        file.save(update_fields=["attention_deadline"])
    return file


@transaction.atomic
def file_start_analysis(*, user: User, file: CreditFile) -> CreditFile:
    file = _lock(file)
    move = FILE.require("start_analysis", user, file)
    with _audited(user, file, "file.start_analysis"):
        file.status = FILE.target(move.action)
        file.save()
    return file


@transaction.atomic
def file_propose(*, user: User, file: CreditFile) -> CreditFile:
    """Send the file to the committee the engine routes it to; refused while any finding is an error."""
    file = _lock(file)
    move = FILE.require("propose", user, file)
    _refuse_missing(file, Stage.AUTHORIZATION, "proponer a comité")
    stage_checks_run(file=file, stage=Stage.AUTHORIZATION, action="proponer a comité")
    result = file_evaluate(file=file)
    errors = [f for f in result["findings"] if f["severity"] == "error"]
    if errors:
        first = errors[0]
        raise TransitionRefused(
            f"La propuesta tiene {len(errors)} hallazgo(s) que la impiden; el primero: {first['message']}",
            field="evaluation",
            rule=first["rule"],
        )
    with _audited(user, file, "file.propose"):
        file.status = FILE.target(move.action)
        file.proposed_by, file.proposed_at = user, timezone.now()
        # Every proposal waits for its own sign-off; a returned one keeps the reason on the trail only.
        file.signoff_by, file.signoff_at, file.signoff_note = None, None, ""
        file.signoff_return_reason = ""
        file.save()
    return file


@transaction.atomic
def file_signoff(*, user: User, file: CreditFile, note: str = "") -> CreditFile:
    """The regional manager of the file's office signs off the proposal so it may go on a committee's
    agenda; never the one who captured or proposed it (four eyes, see the lifecycle's actor check).

    The Rules give the Gerencia Regional the file's integration (copies «cotejadas», the guarantees'
    verification report, Anexo III 16) and the Gerente Regional the validation of the parametric evaluation
    (P-2, P-3); they do not say who presents a file to the Comité Interno, Externo or Técnico. The reading
    recorded in docs/architecture.md: every file reaches whichever committee routes it through its own
    office's manager.
    """
    file = _lock(file)
    FILE.require("signoff", user, file)
    if file.signoff_by_id:
        assert file.signoff_at is not None
        raise TransitionRefused(
            f"El expediente {file.folio} ya tiene el visto bueno del gerente regional "
            f"({file.signoff_at.astimezone(timezone.get_current_timezone()):%d/%m/%Y}).",
            field="signoff_by",
        )
    with _audited(user, file, "file.signoff", note=note.strip()):
        file.signoff_by, file.signoff_at, file.signoff_note = user, timezone.now(), note.strip()
        file.save()
    return file


@transaction.atomic
def file_signoff_return(*, user: User, file: CreditFile, reason: str) -> CreditFile:
    """The regional manager sends a proposed file back to analysis, with the reason, instead of signing it
    off. Refused once the file is on a committee's agenda (the secretary withdraws it first)."""
    file = _lock(file)
    move = FILE.require("signoff_return", user, file)
    if not reason.strip():
        raise ValidationFailed(
            [DomainError("Indique el motivo de la devolución al analista.", field="reason")]
        )
    if file_on_agenda(file):
        raise TransitionRefused(
            f"El expediente {file.folio} ya está en el orden del día de un comité; el secretario debe "
            "retirarlo antes de devolverlo.",
            field="status",
        )
    with _audited(user, file, "file.signoff_return", note=reason.strip()):
        file.status = FILE.target(move.action)
        file.signoff_by, file.signoff_at, file.signoff_note = None, None, ""
        file.signoff_return_reason = reason.strip()
        file.save()
    return file


def authorization_validity_days(file: CreditFile) -> int:
    ruleset = file_ruleset(file)
    program = ruleset.programs[ProgramCode(file.program)]
    return program.authorization_validity_calendar_days or ruleset.authorization.validity_calendar_days


@transaction.atomic
def file_resolve(
    *,
    user: User,
    file: CreditFile,
    decision: str,
    resolved_on: date,
    conditions: str = "",
    observations: str = "",
) -> CreditFile:
    """Apply a committee's resolution to the file. Called by the committee's resolution service only."""
    file = _lock(file)
    # Every resolution leaves from «propuesto»; an unknown decision is refused after the state, as always.
    move = FILE.require_state(RESOLUTIONS.get(decision, "authorize"), file)
    before = _file_snapshot(file)
    if decision == "authorized":
        authorization_checks_run(file=file, on=resolved_on)
        file.status = FILE.target(move.action)
        file.authorized_on = resolved_on
        file.authorization_expires_on = resolved_on + timedelta(days=authorization_validity_days(file))
        file.conditions = conditions
        for g in file.guarantees.filter(status=GuaranteeStatus.OFFERED):
            g.status = GuaranteeStatus.ACTIVE
            g.save(update_fields=["status"])
    elif decision == "rejected":
        file.status = FILE.target(move.action)
        file.observations = observations
    elif decision == "returned":
        if not observations.strip():
            raise ValidationFailed(
                [DomainError("La devolución requiere observaciones.", field="observations")]
            )
        file.status = FILE.target(move.action)
        file.observations = observations
    else:
        raise ValidationFailed([DomainError(f"Resolución desconocida «{decision}».", field="decision")])
    file.save()
    # Not `audited`: the budget check above stays where the programs' hook calls it.
    audit_record(
        user=user,
        action=f"file.resolve.{decision}",
        obj=file,
        before=before,
        after=_file_snapshot(file),
        office=file.office,
    )
    return file


@transaction.atomic
def file_extend_authorization(*, user: User, file: CreditFile) -> CreditFile:
    """One extension of the authorization, with updated bureau information (Rules 11)."""
    file = _lock(file)
    FILE.require("extend_authorization", user, file)
    ruleset = file_ruleset(file)
    rule = ruleset.authorization.rule
    today = today_mx()
    if file.authorization_expires_on and file.authorization_expires_on < today:
        raise TransitionRefused("La autorización ya venció.", field="authorization_expires_on", rule=rule)
    if file.authorization_extended:
        raise TransitionRefused(
            "La autorización ya fue prorrogada una vez.", field="authorization_extended", rule=rule
        )
    latest = file.applicant.bureau_records.order_by("-consulted_on").first()
    if latest is None or file.authorized_on is None or latest.consulted_on < file.authorized_on:
        raise TransitionRefused(
            "La prórroga requiere actualizar la consulta al buró de crédito posterior a la autorización.",
            field="bureau",
            rule=rule,
        )
    assert file.authorization_expires_on is not None
    with _audited(user, file, "file.extend_authorization"):
        file.authorization_expires_on += timedelta(days=ruleset.authorization.extension_calendar_days)
        file.authorization_extended = True
        file.save()
    return file


@transaction.atomic
def file_formalize(*, user: User, file: CreditFile, signed_on: date, contract_number: str) -> CreditFile:
    """The contract is signed within the authorization's validity, with the contracting documents (16.2.1)."""
    file = _lock(file)
    move = FILE.require("formalize", user, file)
    rule = file_ruleset(file).authorization.rule
    if not contract_number.strip():
        raise ValidationFailed([DomainError("Indique el número de contrato.", field="contract_number")])
    if file.authorized_on and signed_on < file.authorized_on:
        raise ValidationFailed(
            [DomainError("La firma no puede ser anterior a la autorización.", field="signed_on")]
        )
    if signed_on > today_mx():
        raise ValidationFailed([DomainError("La fecha de firma no puede ser futura.", field="signed_on")])
    if file.authorization_expires_on and signed_on > file.authorization_expires_on:
        raise TransitionRefused(
            f"La autorización venció el {file.authorization_expires_on:%d/%m/%Y}.",
            field="signed_on",
            rule=rule,
        )
    _refuse_missing(file, Stage.CONTRACTING, "formalizar")
    stage_checks_run(file=file, stage=Stage.CONTRACTING, action="formalizar")
    with _audited(user, file, "file.formalize"):
        file.status = FILE.target(move.action)
        file.contract_signed_on, file.contract_number = signed_on, contract_number.strip()
        file.save()
    return file


@transaction.atomic
def file_ready_to_disburse(*, user: User, file: CreditFile) -> CreditFile:
    """Pre-disbursement documents are complete (16.2.2): the file can be disbursed."""
    file = _lock(file)
    move = FILE.require("ready_to_disburse", user, file)
    _refuse_missing(file, Stage.PRE_DISBURSEMENT, "liberar para disposición")
    stage_checks_run(file=file, stage=Stage.PRE_DISBURSEMENT, action="liberar para disposición")
    with _audited(user, file, "file.ready_to_disburse"):
        file.status = FILE.target(move.action)
        file.save()
    return file


@transaction.atomic
def file_cancel(*, user: User, file: CreditFile, reason: str) -> CreditFile:
    """Cancel a file at any point before disbursement; an authorization can be cancelled too (Rules 11)."""
    file = _lock(file)
    move = FILE.require("cancel", user, file)
    if not reason.strip():
        raise ValidationFailed([DomainError("Indique el motivo de la cancelación.", field="reason")])
    with _audited(user, file, "file.cancel"):
        file.status, file.cancel_reason = FILE.target(move.action), reason.strip()
        file.save()
    return file


def files_expire(*, today: date | None = None) -> int:
    """Authorizations past their validity become «vencido» (Rules 11). Idempotent; one transaction per file."""
    today = today or today_mx()
    count = 0
    ids = list(
        CreditFile.objects.filter(
            status=FileStatus.AUTHORIZED, authorization_expires_on__lt=today
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            file = CreditFile.objects.select_for_update().select_related("office").get(pk=pk)
            if (
                FILE.refusal("expire", None, file) is not None
                or not file.authorization_expires_on
                or (file.authorization_expires_on >= today)
            ):
                continue
            with _audited(None, file, "file.expire", note=f"Vencimiento al {today:%d/%m/%Y}"):
                file.status = FILE.target("expire")
                file.save()
            count += 1
    return count


# ---------------------------------------------------------------------------------------- guarantees


@dataclass
class GuaranteeData:
    type: str
    owner: str
    description: str
    value: Decimal
    appraisal_date: date | None = None
    appraiser: str = ""
    reuses_last_appraisal: bool = False
    lien_rank: int = 1
    insurer: str = ""
    policy_number: str = ""
    policy_expires_on: date | None = None
    fifomi_preferred_beneficiary: bool = False
    insurable: bool = True
    first_invoice_date: date | None = None
    is_transport: bool = False
    hechizo: bool = False
    fiduciary: bool = False
    net_worth_statement_date: date | None = None
    covers_balance: bool | None = None


def _validate_guarantee(data: GuaranteeData) -> None:
    from filon.origination.models import GUARANTEE_TYPE_CHOICES

    errors: list[DomainError] = []
    if data.type not in dict(GUARANTEE_TYPE_CHOICES):
        errors.append(DomainError(f"Tipo de garantía desconocido «{data.type}».", field="type"))
    if data.value is None or data.value <= 0:
        errors.append(DomainError("El valor debe ser mayor que cero.", field="value"))
    if not data.owner.strip():
        errors.append(DomainError("Indique el propietario.", field="owner"))
    if not data.description.strip():
        errors.append(DomainError("Describa el bien o la garantía.", field="description"))
    if data.lien_rank < 1:
        errors.append(DomainError("El grado de gravamen empieza en 1.", field="lien_rank"))
    today = today_mx()
    for name in ("appraisal_date", "first_invoice_date", "net_worth_statement_date"):
        value = getattr(data, name)
        if value and value > today:
            errors.append(DomainError("La fecha no puede ser futura.", field=name))
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def guarantee_add(*, user: User, file: CreditFile, data: GuaranteeData) -> FileGuarantee:
    file = _lock(file)
    FILE.require("guarantee_add", user, file)
    _validate_guarantee(data)
    guarantee = FileGuarantee.objects.create(file=file, created_by=user, **vars(data))
    file_evaluate(file=file)
    audit_record(
        user=user, action="guarantee.add", obj=guarantee, after=snapshot(guarantee), office=file.office
    )
    return guarantee


@transaction.atomic
def guarantee_update(*, user: User, guarantee: FileGuarantee, data: GuaranteeData) -> FileGuarantee:
    file = _lock(guarantee.file)
    FILE.require("guarantee_update", user, file)
    _validate_guarantee(data)
    guarantee = FileGuarantee.objects.select_for_update().get(pk=guarantee.pk)
    with audited(user=user, action="guarantee.update", obj=guarantee, office=file.office):
        for key, value in vars(data).items():
            setattr(guarantee, key, value)
        guarantee.save()
        file_evaluate(file=file)
    return guarantee


@transaction.atomic
def guarantee_remove(*, user: User, guarantee: FileGuarantee) -> None:
    """Withdraw an offered guarantee before authorization; afterwards it needs a release request (10.4)."""
    file = _lock(guarantee.file)
    FILE.require("guarantee_remove", user, file)
    guarantee = FileGuarantee.objects.select_for_update().get(pk=guarantee.pk)
    # Not `audited`: a removal is recorded before the delete, with no "after".
    audit_record(
        user=user, action="guarantee.remove", obj=guarantee, before=snapshot(guarantee), office=file.office
    )
    guarantee.delete()
    file_evaluate(file=file)


@transaction.atomic
def guarantee_change_request(
    *, user: User, guarantee: FileGuarantee, kind: str, reason: str, replacement: GuaranteeData | None = None
) -> GuaranteeChange:
    """Ask to release or substitute an active guarantee: it goes to the committee with power over the
    amount (10.4, 17.2 c, 17.3 c) and needs a current appraisal of the replacement (10.5 f)."""
    file = _lock(guarantee.file)
    # Role and office from the table; the state is not checked here (the file page offers the request only
    # on an open file).
    FILE.require_actor("guarantee_change_request", user, file)
    ruleset = file_ruleset(file)
    rule = ruleset.guarantees.policies.rule
    guarantee = FileGuarantee.objects.select_for_update().get(pk=guarantee.pk)
    if guarantee.status != GuaranteeStatus.ACTIVE:
        raise TransitionRefused(
            "Sólo se libera o sustituye una garantía vigente.", field="guarantee", rule=rule
        )
    if kind not in GuaranteeChange.Kind.values:
        raise ValidationFailed([DomainError(f"Tipo de solicitud desconocido «{kind}».", field="kind")])
    if not reason.strip():
        raise ValidationFailed([DomainError("Indique el motivo.", field="reason")])
    if GuaranteeChange.objects.filter(guarantee=guarantee, status=GuaranteeChange.Status.REQUESTED).exists():
        raise TransitionRefused("Ya hay una solicitud en trámite para esta garantía.", field="guarantee")
    new = None
    if kind == GuaranteeChange.Kind.SUBSTITUTION:
        if replacement is None:
            raise ValidationFailed(
                [DomainError("La sustitución requiere la garantía que la reemplaza.", field="replacement")]
            )
        _validate_guarantee(replacement)
        if (
            replacement.appraisal_date is None
            and ruleset.guarantees.types[replacement.type].appraisal_validity_months
        ):  # type: ignore[index]
            raise ValidationFailed(
                [
                    DomainError(
                        "La garantía sustituta requiere avalúo vigente.",
                        field="appraisal_date",
                        rule=ruleset.guarantees.types[replacement.type].appraisal_rule,  # type: ignore[index]
                    )
                ]
            )
        new = FileGuarantee.objects.create(
            file=file, created_by=user, status=GuaranteeStatus.OFFERED, **vars(replacement)
        )
    change = GuaranteeChange.objects.create(
        guarantee=guarantee,
        kind=kind,
        replacement=new,
        reason=reason.strip(),
        committee=file.committee,
        requested_by=user,
    )
    audit_record(
        user=user,
        action=f"guarantee.change_request.{kind}",
        obj=guarantee,
        after=snapshot(change),
        office=file.office,
    )
    return change


@transaction.atomic
def guarantee_change_resolve(*, user: User, change: GuaranteeChange, authorized: bool) -> GuaranteeChange:
    """Apply the committee's resolution on a release or substitution. Called by the committee service."""
    change = GuaranteeChange.objects.select_for_update().select_related("guarantee__file").get(pk=change.pk)
    if change.status != GuaranteeChange.Status.REQUESTED:
        raise TransitionRefused("La solicitud ya fue resuelta.", field="status")
    with audited(
        user=user,
        action="guarantee.change_resolve",
        obj=change.guarantee,
        fields=lambda _guarantee: snapshot(change, ["status"]),
        office=change.guarantee.file.office,
    ):
        change.status = GuaranteeChange.Status.AUTHORIZED if authorized else GuaranteeChange.Status.REJECTED
        change.save(update_fields=["status"])
        if authorized:
            old = change.guarantee
            old.status = (
                GuaranteeStatus.RELEASED
                if change.kind == GuaranteeChange.Kind.RELEASE
                else GuaranteeStatus.SUBSTITUTED
            )
            old.save(update_fields=["status"])
            if change.replacement_id:
                FileGuarantee.objects.filter(pk=change.replacement_id).update(status=GuaranteeStatus.ACTIVE)
        elif change.replacement_id:
            FileGuarantee.objects.filter(pk=change.replacement_id).update(status=GuaranteeStatus.RELEASED)
    return change


# ------------------------------------------------------------------- requests on a disbursed credit

LOAN_REQUEST_OPEN = (LoanRequest.Status.REQUESTED, LoanRequest.Status.AUTHORIZED)
LOAN_REQUEST_FIELDS = ["status", "agreement_number", "resolved_at", "applied_by_id", "applied_at"]


def loan_request_route(
    *, currency: str, principal_balance: Decimal, as_of: date
) -> tuple[str, str, Decimal, Decimal]:
    """R-17 (17.2 b, 17.3 b): the committee with power over a loan's principal balance, in USD at the FIX
    of `as_of` (C-5 look-up), by the committee bands of the rule set in force that day.

    Returns the committee, its rule, the balance in USD and the FIX used."""
    ruleset = load_ruleset_for_date(as_of)
    fx, _uma = market_values_on(as_of)
    amount_usd = principal_balance if currency == "USD" else principal_balance / fx
    committee, rule = committee_by_amount(ruleset, amount_usd)
    return committee.value, rule, round_money(amount_usd), fx


@transaction.atomic
def loan_request_create(
    *,
    user: User,
    file: CreditFile,
    loan_number: str,
    kind: str,
    currency: str,
    principal_balance: Decimal,
    as_of: date,
    reason: str,
    proposal: dict[str, Any] | None = None,
    evaluation: dict[str, Any] | None = None,
) -> LoanRequest:
    """File a restructuring or write-off request on a disbursed credit, routed to the committee with power
    over its principal balance (R-17). The servicing service that calls it has checked the role and the
    loan's state and built the proposal and its evaluation; here the office, the request and the routing."""
    file = _lock(file)
    require_office(user, file.office_id, "El expediente")
    errors: list[DomainError] = []
    if kind not in LoanRequest.Kind.values:
        errors.append(DomainError(f"Tipo de solicitud desconocido «{kind}».", field="kind"))
    if not reason.strip():
        errors.append(DomainError("Indique el motivo de la solicitud.", field="reason"))
    if principal_balance < ZERO:
        errors.append(DomainError("El saldo de capital no puede ser negativo.", field="principal_balance"))
    if errors:
        raise ValidationFailed(errors)
    open_request = (
        LoanRequest.objects.select_for_update()
        .filter(file=file, kind=kind, status__in=LOAN_REQUEST_OPEN)
        .first()
    )
    if open_request is not None:
        raise TransitionRefused(
            f"Ya hay una solicitud de {open_request.get_kind_display().lower()} del crédito {loan_number} "
            f"«{open_request.get_status_display().lower()}»; resuélvala, aplíquela o retírela primero.",
            field="kind",
        )
    try:
        committee, rule, amount_usd, fx = loan_request_route(
            currency=currency, principal_balance=principal_balance, as_of=as_of
        )
    except DomainError as exc:
        raise ValidationFailed([exc]) from exc
    request = LoanRequest.objects.create(
        file=file,
        loan_number=loan_number,
        kind=kind,
        committee=committee,
        committee_rule=rule,
        currency=currency,
        principal_balance=principal_balance,
        principal_balance_usd=amount_usd,
        fx_usd_mxn=fx,
        as_of=as_of,
        proposal=proposal or {},
        evaluation=evaluation or {},
        reason=reason.strip(),
        requested_by=user,
    )
    audit_record(
        user=user,
        action=f"loan_request.create.{kind}",
        obj=request,
        after=snapshot(
            request,
            ["kind", "loan_number", "committee", "committee_rule", "currency", "principal_balance", "as_of"],
        ),
        office=file.office,
        note=request.reason,
    )
    return request


def _lock_loan_request(request: LoanRequest) -> LoanRequest:
    return (
        LoanRequest.objects.select_for_update(of=("self",)).select_related("file__office").get(pk=request.pk)
    )


@transaction.atomic
def loan_request_resolve(
    *, user: User, request: LoanRequest, authorized: bool, agreement_number: str = ""
) -> LoanRequest:
    """Apply the committee's resolution on the request. Called by the committee service."""
    request = _lock_loan_request(request)
    if request.status != LoanRequest.Status.REQUESTED:
        raise TransitionRefused("La solicitud ya fue resuelta.", field="status")
    with audited(
        user=user,
        action="loan_request.resolve",
        obj=request,
        fields=LOAN_REQUEST_FIELDS,
        office=request.file.office,
    ):
        request.status = LoanRequest.Status.AUTHORIZED if authorized else LoanRequest.Status.REJECTED
        request.agreement_number = agreement_number
        request.resolved_at = timezone.now()
        request.save(update_fields=["status", "agreement_number", "resolved_at"])
    return request


@transaction.atomic
def loan_request_mark_applied(*, user: User, request: LoanRequest) -> LoanRequest:
    """Record that servicing applied an authorized request (inside the servicing transaction that applies it)."""
    request = _lock_loan_request(request)
    if request.status != LoanRequest.Status.AUTHORIZED:
        raise TransitionRefused(
            f"La solicitud está «{request.get_status_display().lower()}»; sólo se aplica una solicitud "
            "autorizada por el comité.",
            field="status",
        )
    with audited(
        user=user,
        action="loan_request.apply",
        obj=request,
        fields=LOAN_REQUEST_FIELDS,
        office=request.file.office,
    ):
        request.status = LoanRequest.Status.APPLIED
        request.applied_by = user
        request.applied_at = timezone.now()
        request.save(update_fields=["status", "applied_by", "applied_at"])
    return request


@transaction.atomic
def loan_request_withdraw(*, user: User, request: LoanRequest, reason: str) -> LoanRequest:
    """The requester (or the office's regional manager) withdraws a request not yet applied. A withdrawn
    request still on an agenda is refused by the committee as a stale matter."""
    request = _lock_loan_request(request)
    require_office(user, request.file.office_id, "El expediente")
    if user.pk != request.requested_by_id:
        require_role(user, (Role.GERENTE_REGIONAL,), "retirar solicitudes de otro usuario")
    if request.status not in LOAN_REQUEST_OPEN:
        raise TransitionRefused(
            f"La solicitud está «{request.get_status_display().lower()}» y ya no puede retirarse.",
            field="status",
        )
    if not reason.strip():
        raise ValidationFailed([DomainError("Indique el motivo del retiro.", field="reason")])
    with audited(
        user=user,
        action="loan_request.withdraw",
        obj=request,
        fields=LOAN_REQUEST_FIELDS,
        office=request.file.office,
        note=reason.strip(),
    ):
        request.status = LoanRequest.Status.WITHDRAWN
        request.save(update_fields=["status"])
    return request


def restructuring_evaluate(
    *,
    file: CreditFile,
    ruleset_version: str,
    as_of: date,
    principal_balance: Decimal,
    term_months: int,
    grace_months: int,
    payment_every_months: int,
    release_guarantee_ids: Sequence[int] = (),
    new_guarantees: Sequence[GuaranteeData] = (),
) -> dict[str, Any]:
    """The rules engine on the restructured credit (Rules 15, 10): the file's proposal with the principal
    balance as the amount, the proposed term, grace and periodicity, and the guarantees that would remain
    (the active ones less those to release, plus the new ones), under the rule set the loan was contracted
    with. Its coverage is the changed guarantees against the coverage rule on the principal balance."""
    ruleset = load_ruleset_version(ruleset_version)
    active = list(file.guarantees.filter(status=GuaranteeStatus.ACTIVE).order_by("id"))
    unknown = sorted(set(release_guarantee_ids) - {g.pk for g in active})
    if unknown:
        raise ValidationFailed(
            [
                DomainError(
                    f"Las garantías {', '.join(str(pk) for pk in unknown)} no están vigentes en el expediente "
                    f"{file.folio}.",
                    field="release_guarantee_ids",
                    rule=ruleset.guarantees.policies.rule,
                )
            ]
        )
    for data in new_guarantees:
        _validate_guarantee(data)
    try:
        fx, uma = market_values_on(as_of)
    except DomainError as exc:
        raise ValidationFailed([exc]) from exc
    doc = proposal_document(file, as_of=as_of, fx=fx, uma=uma)
    doc["request"].update(
        amount=str(principal_balance),
        term_months=term_months,
        grace_months=grace_months,
        payment_every_months=payment_every_months,
    )
    doc["guarantees"] = [guarantee_item(g) for g in active if g.pk not in set(release_guarantee_ids)] + [
        guarantee_item(g) for g in new_guarantees
    ]
    try:
        result = evaluate_document(doc, ruleset)
    except (InputError, InputErrors) as exc:
        errors = exc.errors if isinstance(exc, InputErrors) else [exc]
        raise ValidationFailed(
            [DomainError(e.message, field=e.field.split(".")[-1], rule=e.rule) for e in errors]
        ) from None
    result["fx_usd_mxn"] = str(fx)
    result["as_of"] = as_of.isoformat()
    return result


@transaction.atomic
def restructuring_guarantees_apply(*, user: User, request: LoanRequest) -> list[FileGuarantee]:
    """The guarantee changes of an authorized restructuring (10.4): the listed guarantees are released and
    the new ones become active. Called by servicing when it applies the restructuring."""
    request = _lock_loan_request(request)
    changes = request.proposal.get("guarantees", {})
    released = list(
        FileGuarantee.objects.select_for_update().filter(
            file=request.file, pk__in=changes.get("release", []), status=GuaranteeStatus.ACTIVE
        )
    )
    added: list[FileGuarantee] = []
    for g in released:
        with audited(user=user, action="guarantee.restructuring_release", obj=g, fields=["status"]):
            g.status = GuaranteeStatus.RELEASED
            g.save(update_fields=["status"])
    for raw in changes.get("add", []):
        data = guarantee_data_from_json(raw)
        g = FileGuarantee.objects.create(
            file=request.file, created_by=user, status=GuaranteeStatus.ACTIVE, **vars(data)
        )
        audit_record(
            user=user,
            action="guarantee.restructuring_add",
            obj=g,
            after=snapshot(g),
            office=request.file.office,
            note=f"Reestructura, acuerdo {request.agreement_number}",
        )
        added.append(g)
    return added


def guarantee_data_json(data: GuaranteeData) -> dict[str, Any]:
    """A `GuaranteeData` as JSON (amounts as text, dates in ISO)."""
    out: dict[str, Any] = {}
    for key, value in vars(data).items():
        out[key] = (
            value.isoformat()
            if isinstance(value, date)
            else str(value)
            if isinstance(value, Decimal)
            else value
        )
    return out


def guarantee_data_from_json(raw: dict[str, Any]) -> GuaranteeData:
    values = dict(raw)
    values["value"] = Decimal(values["value"])
    for name in ("appraisal_date", "policy_expires_on", "first_invoice_date", "net_worth_statement_date"):
        if values.get(name):
            values[name] = date.fromisoformat(values[name])
    return GuaranteeData(**values)
