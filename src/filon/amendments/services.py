"""Writes of amendments (SPEC I-10): the Risk area proposes an acuerdo; another user approves or rejects it.

A proposal is validated by building the new version (`filon.rules.amend.amendment_apply`): a change whose
path does not exist, or whose value the schema refuses, is refused naming its path. Approval builds it again
(the base must still be there), gives the row its random mark — the rule loader's cache key — and makes it
immutable. Every change leaves its audit record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from filon.accounts.access import require_role
from filon.accounts.models import User
from filon.amendments.models import Amendment, AmendmentStatus
from filon.amendments.selectors import APPROVERS, PROPOSERS, as_rules, new_mark
from filon.audit.services import audit_record, audited, snapshot
from filon.errors import DomainError, TransitionRefused, ValidationFailed
from filon.rules import NoRuleSetInForce, available_rulesets, load_ruleset_for_date, load_ruleset_version
from filon.rules.amend import AmendmentError, amended_version, amendment_apply, changes_from_data, jsonable

RULE = "I-10"
FIELDS = [
    "number",
    "agreed_on",
    "body",
    "effective_from",
    "base_version",
    "version",
    "changes",
    "summary",
    "illustrative",
    "status",
    "decided_by_id",
    "decided_at",
    "rejection_reason",
]


@dataclass(frozen=True)
class AmendmentData:
    number: str
    agreed_on: date | None
    body: str
    effective_from: date | None
    changes: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None
    summary: str = ""
    base_version: str = ""
    illustrative: bool = False


def _problems(exc: AmendmentError) -> ValidationFailed:
    return ValidationFailed(
        [DomainError(f"{p.path}: {p.message}", field=p.path.split(".")[0], rule=RULE) for p in exc.problems]
    )


def _validated(data: AmendmentData) -> tuple[Amendment, str]:
    errors: list[DomainError] = []
    number = data.number.strip()
    if not number:
        errors.append(DomainError("El número del acuerdo es obligatorio.", field="number"))
    if data.agreed_on is None:
        errors.append(DomainError("La fecha del acuerdo es obligatoria.", field="agreed_on"))
    if not data.body.strip():
        errors.append(DomainError("Falta el órgano que aprobó el acuerdo.", field="body"))
    if data.effective_from is None:
        errors.append(DomainError("La fecha de entrada en vigor es obligatoria.", field="effective_from"))
    elif data.agreed_on is not None and data.effective_from < data.agreed_on:
        errors.append(
            DomainError("La entrada en vigor no puede ser anterior al acuerdo.", field="effective_from")
        )
    if data.changes is None:
        errors.append(DomainError("Faltan los cambios del acuerdo.", field="changes"))
    if errors:
        raise ValidationFailed(errors)
    effective_from, changes_raw = data.effective_from, data.changes
    if effective_from is None or changes_raw is None:  # pragma: no cover - refused above
        raise ValidationFailed([DomainError("Faltan datos del acuerdo.")])
    try:
        base = (
            load_ruleset_version(data.base_version.strip())
            if data.base_version.strip()
            else load_ruleset_for_date(effective_from)
        )
    except NoRuleSetInForce as exc:
        raise ValidationFailed([DomainError(str(exc), field="base_version", rule=RULE)]) from None
    try:
        changes = changes_from_data(changes_raw)
    except AmendmentError as exc:
        raise _problems(exc) from None
    row = Amendment(
        number=number,
        agreed_on=data.agreed_on,
        body=data.body.strip(),
        effective_from=effective_from,
        base_version=base.version,
        version=amended_version(base.version, number),
        changes=[{"path": c.path, "value": jsonable(c.value)} for c in changes],
        summary=data.summary.strip(),
        illustrative=data.illustrative,
    )
    try:
        amendment_apply(base, as_rules(row))
    except AmendmentError as exc:
        raise _problems(exc) from None
    return row, base.version


@transaction.atomic
def amendment_propose(*, user: User, data: AmendmentData) -> Amendment:
    """Record an acuerdo as a proposed amendment, validated against the version it amends."""
    require_role(user, PROPOSERS, "proponer modificaciones a las reglas")
    row, _ = _validated(data)
    if Amendment.objects.filter(number=row.number).exists():
        raise ValidationFailed([DomainError(f"Ya existe el acuerdo {row.number}.", field="number")])
    if Amendment.objects.filter(version=row.version).exists():
        raise ValidationFailed(
            [DomainError(f"Ya existe la versión {row.version}; use otro número de acuerdo.", field="number")]
        )
    row.proposed_by = user
    row.save()
    # A creation has no before: the whole proposal is the record.
    audit_record(user=user, action="amendment.propose", obj=row, after=snapshot(row, FIELDS))
    return row


def _lock(amendment: Amendment) -> Amendment:
    return Amendment.objects.select_for_update().get(pk=amendment.pk)


def _decidable(user: User, row: Amendment, action: str) -> None:
    require_role(user, APPROVERS, f"{action} modificaciones a las reglas")
    if row.status != AmendmentStatus.PROPOSED:
        raise TransitionRefused(
            f"El acuerdo {row.number} ya está {row.get_status_display().lower()}; no se puede {action}."
        )
    if row.proposed_by_id == user.pk:
        raise TransitionRefused(
            f"Usted propuso el acuerdo {row.number}: otra persona debe {action}lo (quien propone no aprueba).",
            rule=RULE,
        )


def _refuse_out_of_line(row: Amendment) -> None:
    """Versions form one line in time: an amendment must amend the version in force on its date, and no
    later version may exist (it would not carry this change)."""
    in_force = load_ruleset_for_date(row.effective_from)
    if in_force.version != row.base_version:
        raise TransitionRefused(
            f"Al {row.effective_from:%d/%m/%Y} ya rige la versión {in_force.version}, no {row.base_version}: "
            "proponga el acuerdo sobre ella.",
            rule=RULE,
        )
    later = [r for r in available_rulesets() if r.effective_from > row.effective_from]
    if later:
        raise TransitionRefused(
            f"Ya existe la versión {later[0].version}, en vigor desde el {later[0].effective_from:%d/%m/%Y}, "
            "que no llevaría este cambio: proponga el acuerdo con fecha posterior o sobre ella.",
            rule=RULE,
        )


@transaction.atomic
def amendment_approve(*, user: User, amendment: Amendment) -> Amendment:
    """Approve a proposed amendment (not by its proposer): its version joins the rule sets in force."""
    row = _lock(amendment)
    _decidable(user, row, "aprobar")
    try:
        base = load_ruleset_version(row.base_version)
    except NoRuleSetInForce as exc:
        raise TransitionRefused(str(exc), rule=RULE) from None
    _refuse_out_of_line(row)
    try:
        amendment_apply(base, as_rules(row))
    except AmendmentError as exc:
        raise _problems(exc) from None
    with audited(user=user, action="amendment.approve", obj=row, fields=FIELDS):
        row.status = AmendmentStatus.APPROVED
        row.decided_by = user
        row.decided_at = timezone.now()
        row.mark = new_mark()
        row.save()
    return row


@transaction.atomic
def amendment_reject(*, user: User, amendment: Amendment, reason: str) -> Amendment:
    """Reject a proposed amendment (not by its proposer), saying why."""
    row = _lock(amendment)
    _decidable(user, row, "rechazar")
    if not reason.strip():
        raise ValidationFailed([DomainError("Indique el motivo del rechazo.", field="reason")])
    with audited(user=user, action="amendment.reject", obj=row, fields=FIELDS):
        row.status = AmendmentStatus.REJECTED
        row.decided_by = user
        row.decided_at = timezone.now()
        row.rejection_reason = reason.strip()
        row.save()
    return row
