"""The credit file's audit trail as its page shows it: each record's action in words, who, and what changed
field by field, with values read through the fields' choices and formats."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q

from filon.audit.models import AuditRecord
from filon.centavos import CentavosField
from filon.committees.models import COMMITTEE_CHOICES, AgendaItem
from filon.core.money import format_amount
from filon.origination.models import CreditFile, FileGuarantee, LoanRequest, RequirementItem

COMMITTEE_NAMES = dict(COMMITTEE_CHOICES)

ACTION_LABELS = {
    "applicant.create": "Alta del solicitante",
    "applicant.update": "Modificación del solicitante",
    "file.create": "Alta del expediente",
    "file.update_proposal": "Modificación de la propuesta",
    "file.requirements_complete": "Requisitos completos",
    "file.start_analysis": "Inicio del análisis",
    "file.propose": "Propuesto a comité",
    "file.resolve.authorized": "Autorizado por el comité",
    "file.resolve.rejected": "Rechazado por el comité",
    "file.resolve.returned": "Devuelto con observaciones",
    "file.extend_authorization": "Prórroga de la autorización",
    "file.formalize": "Formalización del contrato",
    "file.ready_to_disburse": "Listo para disponer",
    "file.cancel": "Cancelación",
    "file.expire": "Vencimiento de la autorización",
    "requirement.upload": "Carga de documento",
    "requirement.review": "Revisión de documento",
    "requirement.not_applicable": "Documento no aplicable",
    "requirement.legal_opinion": "Dictamen jurídico",
    "guarantee.add": "Alta de garantía",
    "guarantee.update": "Modificación de garantía",
    "guarantee.remove": "Retiro de garantía",
    "guarantee.change_request.release": "Solicitud de liberación de garantía",
    "guarantee.change_request.substitution": "Solicitud de sustitución de garantía",
    "guarantee.change_resolve": "Resolución sobre garantía",
    "guarantee.released": "Liberación de garantía (crédito liquidado)",
    "committee_agenda.add_file": "Integrado al orden del día",
    "committee_agenda.add_guarantee_change": "Solicitud integrada al orden del día",
    "committee_agenda.withdraw": "Retirado del orden del día",
    "committee_vote.cast": "Voto",
    "committee_resolution.authorized": "Acuerdo: autorizado",
    "committee_resolution.rejected": "Acuerdo: rechazado",
    "committee_resolution.returned": "Acuerdo: devuelto",
    "document.file_dictamen_pdf": "Descarga del dictamen (PDF)",
    "document.loan_schedule_pdf": "Descarga de la tabla de amortización (PDF)",
    "document.payoff_letter_pdf": "Descarga de la carta de finiquito (PDF)",
    "document.loan_schedule_xlsx": "Descarga de la tabla de amortización (Excel)",
    "document.loan_statement_pdf": "Descarga del estado de cuenta (PDF)",
    "document.borrower_statement_pdf": "Descarga del estado de cuenta del acreditado (PDF)",
    "document.payment_receipt_pdf": "Descarga del recibo de pago (PDF)",
    "document.session_minutes_pdf": "Descarga del acta (PDF)",
    "document.scorecard_xlsx": "Descarga de metas y avance (Excel)",
    "partner.create": "Alta de organización aliada",
    "training_event.record": "Registro de curso de capacitación",
    "training_participant.add": "Registro de participante en curso",
    "technical_assistance.record": "Registro de visita de asistencia técnica",
    "loan_request.create.restructuring": "Solicitud de reestructura del crédito",
    "loan_request.create.write_off": "Solicitud de castigo del crédito",
    "loan_request.resolve": "Resolución sobre la solicitud del crédito",
    "loan_request.apply": "Solicitud del crédito aplicada",
    "loan_request.withdraw": "Solicitud del crédito retirada",
    "loan_request.sustained_payment": "Pago sostenido tras la reestructura",
    "committee_agenda.add_loan_request.restructuring": "Reestructura integrada al orden del día",
    "committee_agenda.add_loan_request.write_off": "Castigo integrado al orden del día",
    "guarantee.restructuring_release": "Garantía liberada por reestructura",
    "guarantee.restructuring_add": "Garantía otorgada por reestructura",
}


HIDDEN_AUDIT_KEYS = {"id", "file_id", "created_by_id", "created_at", "updated_at", "evaluation"}
# Records about requirements are written on the file; their keys are the requirement's fields.
AUDIT_MODEL_BY_ACTION = {"requirement.": "origination.requirementitem"}


def _value(field_obj: Any, key: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if key == "committee":
        return COMMITTEE_NAMES.get(str(value), str(value))
    if field_obj is not None and getattr(field_obj, "flatchoices", None):
        return str(dict(field_obj.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "sí" if value else "no"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(field_obj, models.DateTimeField):
        return str(value)[:16].replace("T", " ")
    if isinstance(field_obj, models.DateField):
        try:
            return dt.date.fromisoformat(str(value)).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    if isinstance(field_obj, CentavosField) or (
        isinstance(field_obj, models.DecimalField) and field_obj.decimal_places == 2
    ):
        try:
            return format_amount(Decimal(str(value)))
        except ArithmeticError:
            return str(value)
    return str(value)


def _audit_fields(record: AuditRecord) -> dict[str, Any]:
    label = next(
        (model for prefix, model in AUDIT_MODEL_BY_ACTION.items() if record.action.startswith(prefix)),
        record.object_type,
    )
    try:
        return {f.attname: f for f in apps.get_model(label)._meta.concrete_fields}
    except (LookupError, ValueError):
        return {}


def _changes(record: AuditRecord, documents: dict[str, str]) -> list[tuple[str, str, str]]:
    """(field label, before, after) for a record; a creation lists only the values it set. A requirement's
    record names its document (`documents`: the file's names by code), not the checklist's code."""
    fields = _audit_fields(record)
    before, after = dict(record.before or {}), dict(record.after or {})
    if record.action.startswith("requirement.") and "code" in after:
        after["documento"] = documents.get(str(after.pop("code")), "")
    rows = []
    for key in dict.fromkeys([*before, *after]):
        if key in HIDDEN_AUDIT_KEYS:
            continue
        f = fields.get(key)
        old, new = _value(f, key, before.get(key)), _value(f, key, after.get(key))
        if not old and not new:
            continue
        label = (
            str(f.verbose_name)
            if f is not None
            else {"sha256": "huella SHA-256", "votes": "votos"}.get(key, key)
        )
        rows.append((label, old, new))
    return rows


def file_audit(file: CreditFile, limit: int = 200) -> list[dict[str, Any]]:
    """The file's trail: the file itself, its guarantees and its agenda items (votes, resolutions)."""
    guarantee_ids = [str(pk) for pk in FileGuarantee.objects.filter(file=file).values_list("pk", flat=True)]
    item_ids = [
        str(pk)
        for pk in AgendaItem.objects.filter(Q(file=file) | Q(loan_request__file=file)).values_list(
            "pk", flat=True
        )
    ]
    request_ids = [str(pk) for pk in LoanRequest.objects.filter(file=file).values_list("pk", flat=True)]
    documents = dict(RequirementItem.objects.filter(file=file).values_list("code", "name"))
    records = (
        AuditRecord.objects.filter(
            Q(object_type="origination.creditfile", object_id=str(file.pk))
            | Q(object_type="origination.fileguarantee", object_id__in=guarantee_ids)
            | Q(object_type="committees.agendaitem", object_id__in=item_ids)
            | Q(object_type="origination.loanrequest", object_id__in=request_ids)
        )
        .select_related("user")
        .order_by("-at", "-id")[:limit]
    )
    return [
        {
            "record": r,
            "action": ACTION_LABELS.get(r.action, r.action),
            "who": (r.user.get_full_name() or r.user.username) if r.user else "Sistema",
            "changes": _changes(r, documents),
        }
        for r in records
    ]
