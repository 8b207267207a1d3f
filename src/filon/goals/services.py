"""Writes on the offices' yearly goals (SPEC G-1): one service sets them, with its audit record."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from filon.accounts.access import require_role
from filon.accounts.models import RegionalOffice, Role, User
from filon.audit.services import audit_record, snapshot
from filon.core.calendar import today_mx
from filon.core.money import format_money, is_cents, round_money
from filon.errors import DomainError, ValidationFailed
from filon.goals.models import OfficeGoal

GOAL_ROLES = (Role.DIRECCION, Role.ADMINISTRADOR)
GOALS_RULE = "G-1"  # SPEC: each regional office has yearly targets; no Rules section sets them
FIRST_YEAR = 2000
YEARS_AHEAD = 10
MAX_PLACEMENT = Decimal(10) ** 16  # OfficeGoal.placement_mxn holds 16 integer digits
GOAL_FIELDS = [
    "office_id",
    "year",
    "placement_mxn",
    "technical_assistance_services",
    "training_courses",
    "training_participants",
    "notes",
]
COUNT_LABELS = {
    "technical_assistance_services": "servicios de asistencia técnica",
    "training_courses": "cursos de capacitación",
    "training_participants": "participantes en capacitación",
}


def _validate(
    *, year: Any, placement_mxn: Any, counts: dict[str, Any], office: RegionalOffice | None
) -> Decimal:
    errors: list[DomainError] = []
    last_year = today_mx().year + YEARS_AHEAD
    if office is None or office.pk is None:
        errors.append(DomainError("Indique la gerencia regional.", field="office"))
    if not isinstance(year, int) or isinstance(year, bool) or not FIRST_YEAR <= year <= last_year:
        errors.append(DomainError(f"El año debe estar entre {FIRST_YEAR} y {last_year}.", field="year"))
    amount = Decimal(0)
    try:
        amount = placement_mxn if isinstance(placement_mxn, Decimal) else Decimal(str(placement_mxn))
    except (InvalidOperation, ValueError):
        errors.append(
            DomainError("La meta de colocación debe ser un importe en pesos.", field="placement_mxn")
        )
    else:
        if not amount.is_finite() or amount <= 0:
            errors.append(
                DomainError(
                    "La meta de colocación debe ser mayor que cero.", field="placement_mxn", rule=GOALS_RULE
                )
            )
        elif not is_cents(amount):
            errors.append(DomainError("La meta de colocación va en pesos y centavos.", field="placement_mxn"))
        elif amount >= MAX_PLACEMENT:
            errors.append(DomainError("La meta de colocación es demasiado grande.", field="placement_mxn"))
    for name, value in counts.items():
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors.append(
                DomainError(
                    f"La meta de {COUNT_LABELS[name]} debe ser un número entero no negativo.", field=name
                )
            )
    if errors:
        raise ValidationFailed(errors)
    return round_money(amount)  # already in centavos: only fixes the exponent (2 decimals on record)


@transaction.atomic
def goal_set(
    *,
    user: User | None,
    office: RegionalOffice,
    year: int,
    placement_mxn: Decimal,
    technical_assistance_services: int | None = None,
    training_courses: int | None = None,
    training_participants: int | None = None,
    notes: str | None = None,
) -> OfficeGoal:
    """Set an office's goals for a year, creating them or changing them (one row per office and year).

    Counts and notes left as None keep what is stored (0 and empty for a new goal). Only the direction and
    the administrator set goals; `user=None` is the server's command line (`filon goals set`), an operator
    with access to the database, recorded as «Sistema». Setting the same values again writes nothing.
    """
    if user is not None:
        require_role(user, GOAL_ROLES, "fijar las metas de las gerencias regionales")
    counts = {
        "technical_assistance_services": technical_assistance_services,
        "training_courses": training_courses,
        "training_participants": training_participants,
    }
    amount = _validate(year=year, placement_mxn=placement_mxn, counts=counts, office=office)
    goal = OfficeGoal.objects.select_for_update().filter(office=office, year=year).first()
    values: dict[str, Any] = {"placement_mxn": amount}
    values.update({name: value for name, value in counts.items() if value is not None})
    if notes is not None:
        values["notes"] = notes.strip()
    acting = user if getattr(user, "pk", None) else None
    if goal is None:
        goal = OfficeGoal.objects.create(
            office=office, year=year, created_by=acting, updated_by=acting, **values
        )
        audit_record(
            user=acting,
            action="goal.create",
            obj=goal,
            after=snapshot(goal, GOAL_FIELDS),
            office=office,
            note=f"Meta de colocación {year}: {format_money(amount)}",
        )
        return goal
    if all(getattr(goal, name) == value for name, value in values.items()):
        return goal
    before = snapshot(goal, GOAL_FIELDS)
    for name, value in values.items():
        setattr(goal, name, value)
    goal.updated_by = acting
    goal.save()
    audit_record(
        user=acting,
        action="goal.update",
        obj=goal,
        before=before,
        after=snapshot(goal, GOAL_FIELDS),
        office=office,
    )
    return goal
