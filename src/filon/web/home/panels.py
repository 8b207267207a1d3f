"""What the pages show, read through the scoped selectors: dashboard panels, the file page, the audit trail.

Nothing here writes or decides; the buttons a page offers come from the lifecycle tables the services
refuse by, and the services still refuse on their own.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Count, Q, QuerySet, Sum

from filon.accounts.models import Role, User
from filon.applicants.services import CAPTURE_ROLES
from filon.audit.models import AuditRecord
from filon.centavos import CentavosField
from filon.committees.models import COMMITTEE_CHOICES, AgendaItem, CommitteeSession, SessionStatus
from filon.committees.selectors import (
    agenda_items_for_user,
    agenda_pending_files,
    agenda_pending_guarantee_changes,
    session_list_for_user,
)
from filon.core.calendar import today_mx
from filon.core.money import format_amount
from filon.errors import DomainError
from filon.goals.selectors import scorecard_total, scorecards_for_user
from filon.origination.lifecycle import FILE, TERMINAL
from filon.origination.models import (
    STAGE_CHOICES,
    CreditFile,
    FileGuarantee,
    FileStatus,
    GuaranteeChange,
    GuaranteeStatus,
    RequirementItem,
    RequirementStatus,
)
from filon.origination.selectors import (
    CLOCK_RUNNING,
    attention_clock,
    file_coverage,
    file_findings,
    file_list_for_user,
    files_overdue_attention,
)
from filon.origination.services import requirement_is_met, requirements_missing
from filon.rules.schema import Stage

STATUS_LABELS = dict(FileStatus.choices)
# The file page's verdict panels: the reads live with the file (the dictamen PDF shows the same).
findings = file_findings
coverage = file_coverage
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
    "committee_agenda.add_file": "Integrado al orden del día",
    "committee_agenda.add_guarantee_change": "Solicitud integrada al orden del día",
    "committee_agenda.withdraw": "Retirado del orden del día",
    "committee_vote.cast": "Voto",
    "committee_resolution.authorized": "Acuerdo: autorizado",
    "committee_resolution.rejected": "Acuerdo: rechazado",
    "committee_resolution.returned": "Acuerdo: devuelto",
    "document.file_dictamen_pdf": "Descarga del dictamen (PDF)",
    "document.loan_schedule_pdf": "Descarga de la tabla de amortización (PDF)",
    "document.loan_schedule_xlsx": "Descarga de la tabla de amortización (Excel)",
    "document.loan_statement_pdf": "Descarga del estado de cuenta (PDF)",
    "document.session_minutes_pdf": "Descarga del acta (PDF)",
    "document.scorecard_xlsx": "Descarga de metas y avance (Excel)",
    "partner.create": "Alta de organización aliada",
    "training_event.record": "Registro de curso de capacitación",
    "training_participant.add": "Registro de participante en curso",
    "technical_assistance.record": "Registro de visita de asistencia técnica",
}


# --------------------------------------------------------------------------------------- dashboard


def _by_status(files: QuerySet[CreditFile]) -> list[dict[str, Any]]:
    rows = files.order_by().values("status", "currency").annotate(n=Count("id"), total=Sum("amount"))
    order = {value: i for i, value in enumerate(FileStatus.values)}
    out = [
        {"status": r["status"], "label": STATUS_LABELS.get(r["status"], r["status"]), **r}
        for r in rows
        if r["n"]
    ]
    return sorted(out, key=lambda r: (order.get(r["status"], 99), r["currency"]))


def regional_panel(user: User) -> dict[str, Any]:
    files = file_list_for_user(user=user)
    today = today_mx()
    running = files.filter(status__in=CLOCK_RUNNING).order_by("attention_deadline", "pk")[:30]
    captured = files.filter(status=FileStatus.CAPTURED).prefetch_related("requirements").order_by("pk")[:15]
    return {
        "by_status": _by_status(files),
        "clocks": [(f, attention_clock(f, today)) for f in running],
        "overdue": files_overdue_attention(user=user, today=today),
        "pending": [(f, requirements_missing(f, Stage.AUTHORIZATION, today)) for f in captured],
        "placement": placement_panel(user, today.year),
    }


def _next_sessions(user: User) -> list[CommitteeSession]:
    sessions = session_list_for_user(user=user).filter(
        status__in=[SessionStatus.CONVENED, SessionStatus.HELD]
    )
    if user.role in (Role.SECRETARIO_COMITE, Role.MIEMBRO_COMITE):
        sessions = sessions.filter(committee__in=user.committees or [])
    return list(sessions.order_by("date", "pk")[:10])


def committee_panel(user: User) -> dict[str, Any]:
    sessions = _next_sessions(user)
    agendas = [(s, list(agenda_items_for_user(user=user, session=s))) for s in sessions]
    pending = []
    if user.role == Role.SECRETARIO_COMITE:
        for code in user.committees or []:
            pending.append(
                {
                    "code": code,
                    "name": COMMITTEE_NAMES.get(code, code),
                    "files": list(agenda_pending_files(code, user=user)),
                    "changes": list(agenda_pending_guarantee_changes(code, user=user)),
                }
            )
    return {"agendas": agendas, "pending": pending}


def risk_panel() -> dict[str, Any]:
    from filon.marketdata.selectors import series_summaries
    from filon.rules import available_rulesets

    today = today_mx()
    rulesets = available_rulesets()
    in_force = [r for r in rulesets if r.effective_from <= today]
    return {
        "rulesets": list(reversed(rulesets)),
        "ruleset_in_force": in_force[-1].version if in_force else None,
        "series": series_summaries(),
    }


def direction_panel(user: User) -> dict[str, Any]:
    files = file_list_for_user(user=user)
    rows = (
        files.order_by()
        .values("office__name", "status")
        .annotate(
            n=Count("id"),
            mxn=Sum("amount", filter=Q(currency="MXN")),
            usd=Sum("amount", filter=Q(currency="USD")),
        )
    )
    statuses = [s for s in FileStatus.values if any(r["status"] == s for r in rows)]
    offices: dict[str, dict[str, int]] = {}
    amounts: dict[str, dict[str, Any]] = {}
    for r in rows:
        offices.setdefault(r["office__name"], {})[r["status"]] = r["n"]
        totals = amounts.setdefault(r["office__name"], {"mxn": 0, "usd": 0, "n": 0})
        totals["mxn"] += r["mxn"] or 0
        totals["usd"] += r["usd"] or 0
        totals["n"] += r["n"]
    table = [
        {"office": name, "counts": [counts.get(s, 0) for s in statuses], **amounts[name]}
        for name, counts in sorted(offices.items())
    ]
    return {
        "statuses": [(s, STATUS_LABELS[s]) for s in statuses],
        "table": table,
        "overdue": files_overdue_attention(user=user),
        "placement": placement_panel(user, today_mx().year),
    }


def placement_panel(user: User, year: int) -> dict[str, Any]:
    """Placement of the year against its goal (SPEC G-1): the user's own office, or every office; and the
    technical-assistance and training targets against the visits and courses of the year."""
    try:
        cards = scorecards_for_user(user=user, year=year)
    except DomainError as exc:  # e.g. no FIX to convert a USD loan: say so instead of a wrong figure
        return {"year": year, "rows": [], "error": exc}
    rows = [card.placement for card in cards]
    goals = [row.target for row in rows if row.target is not None]
    total = {
        "target": sum(goals, Decimal(0)) if goals else None,
        "placed": sum((row.placed for row in rows), Decimal(0)),
        "loans": sum(row.loans for row in rows),
    }
    return {
        "year": year,
        "rows": rows,
        "error": None,
        "total": total if len(rows) > 1 else None,
        "cards": cards,
        "cards_total": scorecard_total(cards, year) if len(cards) > 1 else None,
    }


def legal_panel(user: User) -> dict[str, Any]:
    files = file_list_for_user(user=user)
    opinions = (
        RequirementItem.objects.filter(
            file__in=files.exclude(status__in=TERMINAL),
            legal_review=True,
            status__in=[RequirementStatus.UPLOADED, RequirementStatus.APPROVED],
            legal_opinion="",
        )
        .select_related("file__applicant")
        .order_by("file__folio", "code")[:50]
    )
    return {
        "to_formalize": list(files.filter(status=FileStatus.AUTHORIZED).order_by("authorization_expires_on")),
        "opinions": list(opinions),
    }


def portfolio_panel(user: User) -> dict[str, Any]:
    """Loans of the user's offices by classification, and the obligations due or overdue (13, 16.3–16.5)."""
    from django.db.models import Count, Sum

    from filon.servicing.models import LoanStatus, TaskStatus
    from filon.servicing.selectors import loan_list_for_user
    from filon.servicing.tasks import tasks_for_user

    today = today_mx()
    loans = loan_list_for_user(user=user).filter(status=LoanStatus.ACTIVE)
    by_class = list(
        loans.values("classification", "currency")
        .annotate(n=Count("id"), principal=Sum("principal_balance"))
        .order_by("classification", "currency")
    )
    tasks = tasks_for_user(user=user).filter(status=TaskStatus.PENDING).order_by("due_on")
    return {
        "by_class": by_class,
        "overdue_tasks": list(tasks.filter(due_on__lt=today)[:30]),
        "upcoming_tasks": list(tasks.filter(due_on__gte=today)[:15]),
        "late_loans": list(loans.filter(days_past_due__gt=0).order_by("-days_past_due")[:15]),
    }


def dashboard_panels(user: User) -> dict[str, Any]:
    """The panels a role sees on its home page. Loans and portfolio panels join when servicing has pages."""
    role = user.role
    panels: dict[str, Any] = {}
    if user.is_regional:
        panels["regional"] = regional_panel(user)
    if user.is_regional or role in (Role.DIRECCION, Role.ADMINISTRADOR, Role.RIESGOS):
        panels["portfolio"] = portfolio_panel(user)
    if role in (Role.SECRETARIO_COMITE, Role.MIEMBRO_COMITE):
        panels["committee"] = committee_panel(user)
    if role in (Role.RIESGOS, Role.ADMINISTRADOR):
        panels["risk"] = risk_panel()
    if role in (Role.DIRECCION, Role.ADMINISTRADOR):
        panels["direction"] = direction_panel(user)
    if role == Role.JURIDICO:
        panels["legal"] = legal_panel(user)
    return panels


# -------------------------------------------------------------------------------------- file page


@dataclass
class Actions:
    """Which buttons and forms the page offers this user for this file: the file lifecycle's `allowed`."""

    requirements_complete: bool = False
    start_analysis: bool = False
    propose: bool = False
    formalize: bool = False
    extend: bool = False
    ready_to_disburse: bool = False
    cancel: bool = False
    edit: bool = False
    upload: bool = False
    legal: bool = False
    change_request: bool = False

    @property
    def any_transition(self) -> bool:
        return any(
            (
                self.requirements_complete,
                self.start_analysis,
                self.propose,
                self.formalize,
                self.extend,
                self.ready_to_disburse,
                self.cancel,
            )
        )


FILE_BUTTONS = {
    "requirements_complete": "requirements_complete",
    "start_analysis": "start_analysis",
    "propose": "propose",
    "formalize": "formalize",
    "extend": "extend_authorization",
    "ready_to_disburse": "ready_to_disburse",
    "cancel": "cancel",
    "edit": "update_proposal",
    "upload": "requirement_upload",
    "legal": "requirement_legal_opinion",
    "change_request": "guarantee_change_request",
}
"""`Actions` field → the file lifecycle's action it offers."""


def file_actions(user: User, file: CreditFile) -> Actions:
    allowed = set(FILE.allowed(user, file))
    return Actions(**{name: action in allowed for name, action in FILE_BUTTONS.items()})


def can_capture(user: User) -> bool:
    return user.role in CAPTURE_ROLES


@dataclass
class StageGroup:
    code: str
    label: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    met: int = 0
    open: bool = False


CURRENT_STAGE = {
    FileStatus.AUTHORIZED: Stage.CONTRACTING.value,
    FileStatus.FORMALIZED: Stage.PRE_DISBURSEMENT.value,
    FileStatus.READY_TO_DISBURSE: Stage.PRE_DISBURSEMENT.value,
}


def checklist(file: CreditFile, actions: Actions, forms_for: Any) -> list[StageGroup]:
    """The file's requirements by stage; `forms_for(item, actions)` gives each row's forms."""
    today = today_mx()
    groups = {code: StageGroup(code, label) for code, label in STAGE_CHOICES}
    current = CURRENT_STAGE.get(FileStatus(file.status), Stage.AUTHORIZATION.value)
    items = file.requirements.prefetch_related("uploads").order_by("stage", "checklist", "number", "code")
    for item in items:
        group = groups[item.stage]
        met = requirement_is_met(item, today)
        uploads = list(item.uploads.all())
        group.rows.append(
            {"item": item, "met": met, "upload": uploads[0] if uploads else None, **forms_for(item, actions)}
        )
        group.met += met
    for group in groups.values():
        group.open = group.code == current
    return [g for g in groups.values() if g.rows]


def guarantees(file: CreditFile) -> list[dict[str, Any]]:
    pending = {
        c.guarantee_id: c
        for c in GuaranteeChange.objects.filter(guarantee__file=file, status=GuaranteeChange.Status.REQUESTED)
    }
    return [
        {
            "g": g,
            "active": g.status == GuaranteeStatus.ACTIVE,
            "counts": g.status in (GuaranteeStatus.OFFERED, GuaranteeStatus.ACTIVE),
            "pending_change": pending.get(g.pk),
        }
        for g in file.guarantees.order_by("id")
    ]


# ------------------------------------------------------------------------------------- audit trail


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


def _changes(record: AuditRecord) -> list[tuple[str, str, str]]:
    """(field label, before, after) for a record; a creation lists only the values it set."""
    fields = _audit_fields(record)
    before, after = record.before or {}, record.after or {}
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
    item_ids = [str(pk) for pk in AgendaItem.objects.filter(file=file).values_list("pk", flat=True)]
    records = (
        AuditRecord.objects.filter(
            Q(object_type="origination.creditfile", object_id=str(file.pk))
            | Q(object_type="origination.fileguarantee", object_id__in=guarantee_ids)
            | Q(object_type="committees.agendaitem", object_id__in=item_ids)
        )
        .select_related("user")
        .order_by("-at", "-id")[:limit]
    )
    return [
        {
            "record": r,
            "action": ACTION_LABELS.get(r.action, r.action),
            "who": (r.user.get_full_name() or r.user.username) if r.user else "Sistema",
            "changes": _changes(r),
        }
        for r in records
    ]
