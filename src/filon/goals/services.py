"""Writes on the offices' yearly goals (SPEC G-1): the goals themselves, and what counts toward them —
training events with their participants, technical-assistance visits and the partner organizations that
promote them. Each service checks its role and office and writes its audit record."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from filon.accounts.access import require_role
from filon.accounts.models import REGIONAL_ROLES, RegionalOffice, Role, User
from filon.applicants.models import Applicant
from filon.audit.services import audit_record, audited, snapshot
from filon.core.calendar import today_mx
from filon.core.money import format_money, is_cents, round_money
from filon.errors import DomainError, Forbidden, NotFound, ValidationFailed
from filon.goals.models import (
    AssistanceKind,
    Modality,
    OfficeGoal,
    ParticipantRole,
    PartnerKind,
    PartnerOrganization,
    TechnicalAssistanceVisit,
    TrainingEvent,
    TrainingParticipant,
)
from filon.rules import load_ruleset_for_date

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
    with audited(user=acting, action="goal.update", obj=goal, fields=GOAL_FIELDS, office=office):
        for name, value in values.items():
            setattr(goal, name, value)
        goal.updated_by = acting
        goal.save()
    return goal


# ------------------------------------------------------------------ training and technical assistance

RECORD_ROLES = tuple(sorted(REGIONAL_ROLES))  # a regional office records what it does itself
PARTNER_ROLES = (*RECORD_ROLES, Role.DIRECCION, Role.ADMINISTRADOR)
MAX_HOURS = Decimal(1000)
EVENT_FIELDS = [
    "office_id",
    "title",
    "topic",
    "start_date",
    "end_date",
    "municipality",
    "state",
    "modality",
    "hours",
    "notes",
]
PARTICIPANT_FIELDS = ["event_id", "applicant_id", "name", "organization", "role", "attended"]
VISIT_FIELDS = [
    "office_id",
    "applicant_id",
    "date",
    "kind",
    "advisor",
    "findings",
    "recommendations",
]
PARTNER_FIELDS = ["name", "kind", "state", "active"]


def _clean(value: Any) -> str:
    return " ".join(str(value or "").split())


def _same(a: str, b: str) -> bool:
    """The same name whatever its case and spacing (in Python: SQLite folds the case of ASCII only)."""
    return _clean(a).casefold() == _clean(b).casefold()


def _require_own_office(user: User, office: RegionalOffice | None, action: str) -> None:
    """Only the office's own analysts and manager record its training and technical assistance."""
    require_role(user, RECORD_ROLES, action)
    if office is None or office.pk is None:
        raise ValidationFailed([DomainError("Indique la gerencia regional.", field="office")])
    if office.pk != user.office_id:
        raise Forbidden(
            f"Solo puede registrar la capacitación y la asistencia técnica de su gerencia, no de la {office}.",
            field="office",
        )


def _state_error(state: str, label: str) -> DomainError | None:
    states = load_ruleset_for_date(today_mx()).offices.states
    if state not in states:
        return DomainError(f"«{state}» no es una clave de estado (ISO 3166-2:MX) {label}.", field="state")
    return None


def _partners(partners: Iterable[PartnerOrganization] | None, errors: list[DomainError]) -> list[Any]:
    chosen = list(partners or [])
    for partner in chosen:
        if not isinstance(partner, PartnerOrganization) or partner.pk is None:
            errors.append(DomainError("Elija organizaciones registradas.", field="partners"))
            return []
        if not partner.active:
            errors.append(DomainError(f"La organización {partner.name} ya no está activa.", field="partners"))
    return chosen


def _applicant_of(user: User, applicant: Applicant | None, office: RegionalOffice) -> Applicant:
    """The applicant, if the acting user may see it and it belongs to `office` (else it does not exist)."""
    if applicant is None or applicant.pk is None:
        raise ValidationFailed([DomainError("Indique el solicitante.", field="applicant")])
    if applicant.office_id != office.pk or (user.is_regional and applicant.office_id != user.office_id):
        raise NotFound("No existe el solicitante en esta gerencia.", field="applicant")
    return applicant


@transaction.atomic
def partner_create(
    *, user: User, name: str, kind: str, state: str = "", active: bool = True
) -> PartnerOrganization:
    """Register an organization that promotes training or technical assistance (shared by every office)."""
    require_role(user, PARTNER_ROLES, "registrar organizaciones aliadas")
    name, state = _clean(name), _clean(state).upper()
    errors: list[DomainError] = []
    if not name:
        errors.append(DomainError("Indique el nombre de la organización.", field="name"))
    elif any(_same(name, other) for other in PartnerOrganization.objects.values_list("name", flat=True)):
        errors.append(DomainError(f"Ya está registrada la organización «{name}».", field="name"))
    elif len(name) > PartnerOrganization._meta.get_field("name").max_length:
        errors.append(DomainError("El nombre de la organización es demasiado largo.", field="name"))
    if kind not in PartnerKind.values:
        errors.append(DomainError("Elija el tipo de organización.", field="kind"))
    if state and (error := _state_error(state, "de la organización")):
        errors.append(error)
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():  # a concurrent registration of the same name meets the unique index
            partner = PartnerOrganization.objects.create(
                name=name, kind=kind, state=state, active=bool(active), created_by=user
            )
    except IntegrityError:
        raise ValidationFailed(
            [DomainError(f"Ya está registrada la organización «{name}».", field="name")]
        ) from None
    audit_record(
        user=user,
        action="partner.create",
        obj=partner,
        after=snapshot(partner, PARTNER_FIELDS),
        office=user.office,
        note=f"{partner.name} ({partner.get_kind_display()})",
    )
    return partner


@transaction.atomic
def training_event_record(
    *,
    user: User,
    office: RegionalOffice,
    title: str,
    start_date: date,
    end_date: date | None = None,
    municipality: str,
    state: str,
    modality: str = Modality.IN_PERSON,
    hours: Decimal,
    topic: str = "",
    partners: Iterable[PartnerOrganization] | None = None,
    notes: str = "",
) -> TrainingEvent:
    """Record a course or workshop of the user's office (held or scheduled); one day if no end date."""
    _require_own_office(user, office, "registrar cursos de capacitación")
    title, topic, municipality = _clean(title), _clean(topic), _clean(municipality)
    state = _clean(state).upper()
    errors: list[DomainError] = []
    if not title:
        errors.append(DomainError("Indique el título del curso.", field="title"))
    if not isinstance(start_date, date):
        errors.append(DomainError("Indique la fecha de inicio del curso.", field="start_date"))
    else:
        end_date = end_date or start_date
        if not isinstance(end_date, date) or end_date < start_date:
            errors.append(
                DomainError(
                    f"La fecha de término no puede ser anterior a la de inicio ({start_date:%d/%m/%Y}).",
                    field="end_date",
                )
            )
    if not municipality:
        errors.append(DomainError("Indique el municipio donde se imparte el curso.", field="municipality"))
    if error := _state_error(state, "del curso"):
        errors.append(error)
    if modality not in Modality.values:
        errors.append(DomainError("Elija la modalidad del curso.", field="modality"))
    try:
        hours = hours if isinstance(hours, Decimal) else Decimal(str(hours))
        valid_hours = hours.is_finite() and 0 < hours <= MAX_HOURS and hours == hours.quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        valid_hours = False
    if not valid_hours:
        errors.append(
            DomainError(f"Las horas del curso van de 0.5 a {MAX_HOURS:,.0f}, con un decimal.", field="hours")
        )
    chosen = _partners(partners, errors)
    if errors:
        raise ValidationFailed(errors)
    event = TrainingEvent.objects.create(
        office=office,
        title=title,
        topic=topic,
        start_date=start_date,
        end_date=end_date,
        municipality=municipality,
        state=state,
        modality=modality,
        hours=hours,
        notes=(notes or "").strip(),
        recorded_by=user,
    )
    event.partners.set(chosen)
    after = snapshot(event, EVENT_FIELDS)
    after["partners"] = sorted(p.name for p in chosen)
    audit_record(
        user=user,
        action="training_event.record",
        obj=event,
        after=after,
        office=office,
        note=f"{event.title}, {event.municipality} ({event.start_date:%d/%m/%Y})",
    )
    return event


@transaction.atomic
def training_participant_add(
    *,
    user: User,
    event: TrainingEvent,
    applicant: Applicant | None = None,
    name: str = "",
    organization: str = "",
    role: str = ParticipantRole.SUPPLIER,
    attended: bool = True,
) -> TrainingParticipant:
    """Enrol an applicant on record, or a person named with their organization, in a training event."""
    event = TrainingEvent.objects.select_for_update().select_related("office").get(pk=event.pk)
    _require_own_office(user, event.office, "registrar participantes en cursos")
    name, organization = _clean(name), _clean(organization)
    errors: list[DomainError] = []
    if applicant is not None:
        applicant = _applicant_of(user, applicant, event.office)
        if event.participants.filter(applicant=applicant).exists():
            errors.append(
                DomainError(f"{applicant.name} ya está registrado en este curso.", field="applicant")
            )
    elif not name:
        errors.append(DomainError("Indique el solicitante o el nombre del participante.", field="name"))
    elif any(
        _same(name, other_name) and _same(organization, other_organization)
        for other_name, other_organization in event.participants.filter(applicant__isnull=True).values_list(
            "name", "organization"
        )
    ):
        errors.append(DomainError(f"{name} ya está registrado en este curso.", field="name"))
    if role not in ParticipantRole.values:
        errors.append(DomainError("Elija el carácter del participante.", field="role"))
    if attended and event.start_date > today_mx():
        errors.append(
            DomainError(
                f"El curso empieza el {event.start_date:%d/%m/%Y}: aún no puede registrarse la asistencia.",
                field="attended",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    participant = TrainingParticipant.objects.create(
        event=event,
        applicant=applicant,
        name=name,
        organization=organization,
        role=role,
        attended=bool(attended),
    )
    audit_record(
        user=user,
        action="training_participant.add",
        obj=participant,
        after=snapshot(participant, PARTICIPANT_FIELDS),
        office=event.office,
        note=f"{participant.display_name} en {event.title}",
    )
    return participant


@transaction.atomic
def technical_assistance_record(
    *,
    user: User,
    office: RegionalOffice,
    applicant: Applicant,
    date: date,
    kind: str,
    advisor: str,
    findings: str,
    recommendations: str = "",
    partners: Iterable[PartnerOrganization] | None = None,
) -> TechnicalAssistanceVisit:
    """Record a technical-assistance visit already made to an applicant of the user's office."""
    _require_own_office(user, office, "registrar visitas de asistencia técnica")
    applicant = _applicant_of(user, applicant, office)
    advisor, findings, recommendations = (
        _clean(advisor),
        (findings or "").strip(),
        (recommendations or "").strip(),
    )
    errors: list[DomainError] = []
    today = today_mx()
    if not isinstance(date, type(today)):
        errors.append(DomainError("Indique la fecha de la visita.", field="date"))
    elif date > today:
        errors.append(
            DomainError(
                f"La visita ya se realizó: su fecha no puede ser posterior a hoy ({today:%d/%m/%Y}).",
                field="date",
            )
        )
    if kind not in AssistanceKind.values:
        errors.append(DomainError("Elija el tipo de asistencia técnica.", field="kind"))
    if not advisor:
        errors.append(DomainError("Indique quién dio la asistencia.", field="advisor"))
    if not findings:
        errors.append(DomainError("Anote los hallazgos de la visita.", field="findings"))
    chosen = _partners(partners, errors)
    if errors:
        raise ValidationFailed(errors)
    visit = TechnicalAssistanceVisit.objects.create(
        office=office,
        applicant=applicant,
        date=date,
        kind=kind,
        advisor=advisor,
        findings=findings,
        recommendations=recommendations,
        recorded_by=user,
    )
    visit.partners.set(chosen)
    after = snapshot(visit, VISIT_FIELDS)
    after["partners"] = sorted(p.name for p in chosen)
    audit_record(
        user=user,
        action="technical_assistance.record",
        obj=visit,
        after=after,
        office=office,
        note=f"{visit.get_kind_display()} a {applicant.name} ({visit.date:%d/%m/%Y})",
    )
    return visit
