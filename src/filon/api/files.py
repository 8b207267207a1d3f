"""Credit files: list, open, detail with the evaluation, transitions, guarantees."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from filon.api.common import JSON_OBJECT_BODY, form_data, json_object
from filon.applicants.selectors import applicant_get_for_user
from filon.errors import DomainError, ValidationFailed
from filon.origination import services
from filon.origination.forms import GuaranteeForm, ProposalForm
from filon.origination.selectors import attention_clock, file_get_for_user, file_list_for_user

router = Router(tags=["expedientes"])


class FileOut(Schema):
    id: int
    folio: str
    applicant_id: int
    office: str
    status: str
    program: str
    credit_type: str
    currency: str
    amount: Decimal
    term_months: int
    grace_months: int
    committee: str
    eligible: bool | None
    ruleset_version: str
    attention_deadline: date | None
    attention_overdue: bool
    authorization_expires_on: date | None
    evaluation: dict[str, Any] | None
    signoff_by: str | None = None
    signoff_at: datetime | None = None
    signoff_note: str = ""
    signoff_return_reason: str = ""


def _out(file: Any) -> FileOut:
    clock = attention_clock(file)
    return FileOut(
        id=file.pk,
        folio=file.folio,
        applicant_id=file.applicant_id,
        office=file.office.code,
        status=file.status,
        program=file.program,
        credit_type=file.credit_type,
        currency=file.currency,
        amount=file.amount,
        term_months=file.term_months,
        grace_months=file.grace_months,
        committee=file.committee,
        eligible=file.eligible,
        ruleset_version=file.ruleset_version,
        attention_deadline=file.attention_deadline,
        attention_overdue=clock.overdue,
        authorization_expires_on=file.authorization_expires_on,
        evaluation=file.evaluation,
        signoff_by=file.signoff_by.username if file.signoff_by_id else None,
        signoff_at=file.signoff_at,
        signoff_note=file.signoff_note,
        signoff_return_reason=file.signoff_return_reason,
    )


@router.get("", response=list[FileOut], summary="Expedientes de su gerencia")
def file_list(request: HttpRequest, status: str | None = None) -> list[FileOut]:
    qs = file_list_for_user(user=request.user)  # type: ignore[arg-type]
    if status:
        qs = qs.filter(status=status)
    return [_out(f) for f in qs[:500]]


@router.post(
    "",
    response={201: FileOut},
    openapi_extra=JSON_OBJECT_BODY,
    summary="Abre un expediente: {applicant_id, ...propuesta}",
)
def file_open(request: HttpRequest) -> Status:
    payload = json_object(request)
    applicant_id = payload.pop("applicant_id", None)
    if not isinstance(applicant_id, int) or isinstance(applicant_id, bool):
        raise ValidationFailed(
            [DomainError("es obligatorio y debe ser un número entero", field="applicant_id")]
        )
    applicant = applicant_get_for_user(user=request.user, applicant_id=applicant_id)  # type: ignore[arg-type]
    form = form_data(ProposalForm, payload)
    file = services.file_create(user=request.user, applicant=applicant, proposal=form.to_data())  # type: ignore[attr-defined,arg-type]
    return Status(201, _out(file))


@router.get("/{file_id}", response=FileOut, summary="Un expediente con su evaluación (hallazgos con regla)")
def file_detail(request: HttpRequest, file_id: int) -> FileOut:
    return _out(file_get_for_user(user=request.user, file_id=file_id))  # type: ignore[arg-type]


def _text(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name) or ""
    if not isinstance(value, str) or len(value) > 2000:
        raise ValidationFailed([DomainError("debe ser un texto de hasta 2000 caracteres", field=name)])
    return value


TRANSITIONS = {
    "requirements-complete": services.file_requirements_complete,
    "start-analysis": services.file_start_analysis,
    "propose": services.file_propose,
    "ready-to-disburse": services.file_ready_to_disburse,
    "extend-authorization": services.file_extend_authorization,
}


@router.post(
    "/{file_id}/transitions/{action}",
    response=FileOut,
    openapi_extra=JSON_OBJECT_BODY,
    summary="Transición del expediente: requirements-complete, start-analysis, propose, signoff {note} "
    "(gerente regional), signoff-return {reason}, formalize, ready-to-disburse, extend-authorization, cancel",
)
def file_transition(request: HttpRequest, file_id: int, action: str) -> FileOut:
    file = file_get_for_user(user=request.user, file_id=file_id)  # type: ignore[arg-type]
    user: Any = request.user
    payload = json_object(request) if request.body else {}
    if action in TRANSITIONS:
        file = TRANSITIONS[action](user=user, file=file)
    elif action == "formalize":
        signed = payload.get("signed_on")
        try:
            signed_on = date.fromisoformat(str(signed))
        except ValueError:
            raise ValidationFailed(
                [DomainError("debe ser una fecha AAAA-MM-DD", field="signed_on")]
            ) from None
        file = services.file_formalize(
            user=user,
            file=file,
            signed_on=signed_on,
            contract_number=str(payload.get("contract_number") or ""),
        )
    elif action == "signoff":
        file = services.file_signoff(user=user, file=file, note=_text(payload, "note"))
    elif action == "signoff-return":
        file = services.file_signoff_return(user=user, file=file, reason=_text(payload, "reason"))
    elif action == "cancel":
        file = services.file_cancel(user=user, file=file, reason=str(payload.get("reason") or ""))
    else:
        raise ValidationFailed([DomainError(f"Transición desconocida «{action}».", field="action")])
    return _out(file)


class GuaranteeOut(Schema):
    id: int
    type: str
    status: str
    owner: str
    value: Decimal
    appraisal_date: date | None
    counted: Decimal | None
    limited_by: str | None


@router.get("/{file_id}/guarantees", response=list[GuaranteeOut], summary="Garantías con su valor computado")
def guarantee_list(request: HttpRequest, file_id: int) -> list[GuaranteeOut]:
    file = file_get_for_user(user=request.user, file_id=file_id)  # type: ignore[arg-type]
    evaluation = file.evaluation or {}
    lines = dict(
        zip(
            evaluation.get("guarantee_ids", []),
            (evaluation.get("coverage") or {}).get("guarantees", []),
            strict=False,
        )
    )
    out = []
    for g in file.guarantees.all():
        line = lines.get(g.pk) or {}
        out.append(
            GuaranteeOut(
                id=g.pk,
                type=g.type,
                status=g.status,
                owner=g.owner,
                value=g.value,
                appraisal_date=g.appraisal_date,
                counted=Decimal(line["counted"]) if "counted" in line else None,
                limited_by=line.get("limited_by"),
            )
        )
    return out


@router.post(
    "/{file_id}/guarantees",
    response={201: FileOut},
    openapi_extra=JSON_OBJECT_BODY,
    summary="Registra una garantía; el expediente se reevalúa",
)
def guarantee_add(request: HttpRequest, file_id: int) -> Status:
    file = file_get_for_user(user=request.user, file_id=file_id)  # type: ignore[arg-type]
    form = form_data(GuaranteeForm, json_object(request))
    services.guarantee_add(user=request.user, file=file, data=form.to_data())  # type: ignore[attr-defined,arg-type]
    file.refresh_from_db()
    return Status(201, _out(file))
