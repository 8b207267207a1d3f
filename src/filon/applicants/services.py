"""Writes on applicants. Each use case is one function, in one transaction, with its audit record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from filon.accounts.access import office_in_scope, require_role
from filon.accounts.models import Role, User
from filon.accounts.services import office_for_state
from filon.applicants.models import Applicant, BureauRecord, CompanyGroup, RelatedPerson
from filon.applicants.selectors import REFERRAL_ACTION
from filon.applicants.validation import check_curp, check_rfc
from filon.audit.services import audit_record, audited, snapshot
from filon.centavos import amount_check
from filon.core.calendar import today_mx
from filon.errors import DomainError, Forbidden, ValidationFailed
from filon.rules import load_ruleset_for_date

CAPTURE_ROLES = (Role.ANALISTA, Role.GERENTE_REGIONAL)
ZERO = Decimal(0)


@dataclass
class ApplicantData:
    person_type: str
    name: str
    rfc: str
    state: str
    municipality: str
    activity: int
    mining_class: str
    employees: int
    equity_mxn: Decimal
    curp: str = ""
    address: str = ""
    postal_code: str = ""
    primary_extraction: bool = False
    sector: str = "industria"
    annual_gross_income_mxn: Decimal | None = None
    production_tons_month: Decimal | None = None
    years_of_sales: Decimal = ZERO
    years_satisfactory_with_fifomi: Decimal = ZERO
    capital_lost_fraction: Decimal = ZERO
    usd_income: bool | None = None
    new_project: bool = False
    overdue_debts: bool = False
    strike: bool = False
    lawsuits: bool = False
    embargo: bool = False
    concurso_mercantil: bool = False
    condoned_history: bool = False
    group: CompanyGroup | None = None


@dataclass
class Saved:
    """A saved object and the warnings a person should see (never blocking)."""

    obj: Any
    warnings: list[str]


def _validate(data: ApplicantData) -> tuple[str, bool, str | None, str]:
    ruleset = load_ruleset_for_date(today_mx())
    errors: list[DomainError] = []
    rfc, rfc_ok, rfc_warning = data.rfc, True, None
    try:
        check = check_rfc(data.rfc, person_type=data.person_type)
        rfc, rfc_ok, rfc_warning = check.rfc, check.check_digit_ok, check.warning
    except DomainError as exc:
        errors.append(exc)
    curp = ""
    if data.person_type == "fisica":
        if not data.curp:
            errors.append(DomainError("La CURP es obligatoria para personas físicas.", field="curp"))
        else:
            try:
                curp = check_curp(data.curp)
            except DomainError as exc:
                errors.append(exc)
    if data.state not in ruleset.offices.states:
        errors.append(
            DomainError(
                f"«{data.state}» no es una clave de estado (ISO 3166-2:MX).",
                field="state",
                rule=ruleset.offices.rule,
            )
        )
    activities = {a.number for a in ruleset.activity_lists["anexo_i"].activities}
    if data.activity not in activities:
        rule = ruleset.activity_lists["anexo_i"].rule
        errors.append(
            DomainError(f"La actividad {data.activity} no está en el {rule}.", field="activity", rule=rule)
        )
    for name in (
        "equity_mxn",
        "annual_gross_income_mxn",
        "production_tons_month",
        "years_of_sales",
        "years_satisfactory_with_fifomi",
    ):
        value = getattr(data, name)
        if name.endswith("_mxn"):
            amount_check(value, field=name, label="Importe", ruleset=ruleset, errors=errors, cents=True)
        if value is not None and name != "equity_mxn" and value < 0:
            errors.append(DomainError("No puede ser negativo.", field=name))
    if not ZERO <= data.capital_lost_fraction <= 1:
        errors.append(DomainError("Debe estar entre 0 y 1.", field="capital_lost_fraction"))
    if (
        data.mining_class == "concesible"
        and data.annual_gross_income_mxn is None
        and data.production_tons_month is None
    ):
        errors.append(
            DomainError(
                "La minería concesible se clasifica por ingresos brutos o por producción; indique al menos uno.",
                field="annual_gross_income_mxn",
                rule=ruleset.size.rule,
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return rfc, rfc_ok, rfc_warning, curp


def _fields(data: ApplicantData) -> dict[str, Any]:
    values = dict(vars(data))
    values.pop("rfc")
    values.pop("curp")
    return values


RFC_REFERRED = (
    "El RFC {rfc} no puede registrarse en su gerencia. El caso se turnó al área central (Riesgos), que le "
    "indicará cómo continuar."
)
"""What a regional user is told when the RFC belongs to a client they cannot see: nothing about that
client — not that it exists, nor its name, office or folio (docs/security.md, «RFC de otra gerencia»)."""


@dataclass(frozen=True)
class _Referred:
    """An RFC that belongs to another office's client: the referral is recorded, the capture refused."""

    rfc: str


def _rfc_taken(*, user: User, rfc: str, office: Any, action: str) -> _Referred:
    """The RFC is taken. Within the user's sight (their office, or any office for a central role) they are
    told plainly; otherwise the case is referred to the central area — an audit record on the existing
    client, which only central roles read — and the user is told only that."""
    existing = Applicant.objects.select_related("office").filter(rfc=rfc).first()
    if existing is None or office_in_scope(user, existing.office_id):
        raise ValidationFailed([DomainError(f"Ya existe un solicitante con RFC {rfc}.", field="rfc")])
    office_code = getattr(user.office, "code", "") or "sin gerencia"
    audit_record(
        user=user,
        action=REFERRAL_ACTION,
        obj=existing,
        office=None,
        note=(
            f"{user.get_username()} ({office_code}) intentó {action} con el RFC {rfc}, que pertenece a un "
            f"solicitante de {existing.office.code}; se turnó al área central."
        ),
        after={"rfc": rfc, "requested_by_office": office_code, "requested_for_office": office.code},
    )
    return _Referred(rfc)


def _refuse_referred(outcome: Saved | _Referred) -> Saved:
    if isinstance(outcome, _Referred):
        raise ValidationFailed([DomainError(RFC_REFERRED.format(rfc=outcome.rfc), field="rfc")])
    return outcome


def applicant_create(*, user: User, data: ApplicantData) -> Saved:
    """Capture an applicant. An RFC that belongs to a client of another office is referred to the central
    area (recorded even though the capture is refused), never named."""
    return _refuse_referred(_applicant_create(user=user, data=data))


@transaction.atomic
def _applicant_create(*, user: User, data: ApplicantData) -> Saved | _Referred:
    require_role(user, CAPTURE_ROLES, "capturar solicitantes")
    rfc, rfc_ok, rfc_warning, curp = _validate(data)
    office = office_for_state(data.state)
    if user.is_regional and office.pk != user.office_id:
        raise Forbidden(
            f"El estado {data.state} lo atiende la {office}; usted pertenece a otra gerencia.",
            field="state",
            rule="4",
        )
    applicant = Applicant(
        **_fields(data), rfc=rfc, curp=curp, rfc_check_digit_ok=rfc_ok, office=office, created_by=user
    )
    try:
        with transaction.atomic():
            applicant.save()
    except IntegrityError:
        return _rfc_taken(user=user, rfc=rfc, office=office, action="capturar un solicitante")
    audit_record(
        user=user, action="applicant.create", obj=applicant, after=snapshot(applicant), office=office
    )
    return Saved(applicant, [rfc_warning] if rfc_warning else [])


def applicant_update(*, user: User, applicant: Applicant, data: ApplicantData) -> Saved:
    """Change an applicant's data; an RFC of another office's client is referred as in applicant_create."""
    return _refuse_referred(_applicant_update(user=user, applicant=applicant, data=data))


@transaction.atomic
def _applicant_update(*, user: User, applicant: Applicant, data: ApplicantData) -> Saved | _Referred:
    require_role(user, CAPTURE_ROLES, "modificar solicitantes")
    applicant = Applicant.objects.select_for_update().get(pk=applicant.pk)
    rfc, rfc_ok, rfc_warning, curp = _validate(data)
    office = office_for_state(data.state)
    if user.is_regional and office.pk != user.office_id:
        raise Forbidden(f"El estado {data.state} lo atiende la {office}.", field="state")
    try:
        with audited(user=user, action="applicant.update", obj=applicant, office=office):
            for key, value in _fields(data).items():
                setattr(applicant, key, value)
            applicant.rfc, applicant.curp, applicant.rfc_check_digit_ok = rfc, curp, rfc_ok
            applicant.office = office
            with transaction.atomic():
                applicant.save()
    except IntegrityError:  # nothing is recorded: the change did not happen
        return _rfc_taken(user=user, rfc=rfc, office=office, action="cambiar el RFC de un solicitante")
    return Saved(applicant, [rfc_warning] if rfc_warning else [])


@transaction.atomic
def related_person_add(
    *,
    user: User,
    applicant: Applicant,
    kind: str,
    name: str,
    rfc: str = "",
    curp: str = "",
    share_fraction: Decimal | None = None,
) -> RelatedPerson:
    require_role(user, CAPTURE_ROLES, "registrar accionistas, representantes o avales")
    if kind not in RelatedPerson.Kind.values:
        raise ValidationFailed([DomainError(f"Carácter desconocido «{kind}».", field="kind")])
    if not name.strip():
        raise ValidationFailed([DomainError("El nombre es obligatorio.", field="name")])
    if rfc:
        rfc = check_rfc(rfc, person_type="fisica" if len(rfc.strip()) == 13 else "moral").rfc
    if curp:
        curp = check_curp(curp)
    person = RelatedPerson.objects.create(
        applicant=applicant, kind=kind, name=name.strip(), rfc=rfc, curp=curp, share_fraction=share_fraction
    )
    audit_record(
        user=user,
        action="applicant.related_person_add",
        obj=applicant,
        after=snapshot(person),
        office=applicant.office,
    )
    return person


@transaction.atomic
def bureau_record_add(
    *, user: User, applicant: Applicant, consulted_on: date, prevention_keys: list[str], notes: str = ""
) -> BureauRecord:
    """Record a credit-bureau consultation (Rules 6 reads its prevention keys)."""
    require_role(user, CAPTURE_ROLES, "registrar consultas al buró de crédito")
    if consulted_on > today_mx():
        raise ValidationFailed(
            [DomainError("La fecha de consulta no puede ser futura.", field="consulted_on")]
        )
    keys = sorted({k.strip().upper() for k in prevention_keys if k.strip()})
    record = BureauRecord.objects.create(
        applicant=applicant, consulted_on=consulted_on, prevention_keys=keys, notes=notes, recorded_by=user
    )
    audit_record(
        user=user,
        action="applicant.bureau_record_add",
        obj=applicant,
        after=snapshot(record),
        office=applicant.office,
    )
    return record


@transaction.atomic
def group_assign(*, user: User, applicant: Applicant, group_name: str | None) -> Applicant:
    """Put the applicant in a group of companies (created if new), or take it out with None."""
    require_role(user, CAPTURE_ROLES, "asignar grupos de empresas")
    applicant = Applicant.objects.select_for_update().get(pk=applicant.pk)
    with audited(
        user=user,
        action="applicant.group_assign",
        obj=applicant,
        fields=["group_id"],
        office=applicant.office,
    ):
        applicant.group = (
            CompanyGroup.objects.get_or_create(name=group_name.strip())[0] if group_name else None
        )
        applicant.save(update_fields=["group", "updated_at"])
    return applicant
