"""Writes on the special programs: budgets, allotments, participants, file steps, parametric evaluation.

Also the two checks origination asks through its registry (`origination.checks`, filled by
`ProgramsConfig.ready`): the program's steps before a file is proposed, formalized or released, and the
budget (the program's allotment, the year's first-tier budget and its large-company share) before a
committee's authorization is applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from filon.accounts.access import require_office, require_role
from filon.accounts.models import Role, User
from filon.applicants.models import Applicant
from filon.applicants.selectors import bureau_keys_latest
from filon.audit.services import audit_record, audited, snapshot
from filon.centavos import amount_check
from filon.core import scoring
from filon.core.calendar import today_mx
from filon.core.money import format_amount, format_money, format_percent
from filon.core.rates import MissingRate
from filon.errors import DomainError, TransitionRefused, ValidationFailed
from filon.marketdata.selectors import rate_series_get
from filon.origination.models import CreditFile, FileStatus
from filon.origination.selectors import file_ruleset
from filon.programs.models import (
    STEP_DUE_CHOICES,
    FinancialStatement,
    ParametricEvaluation,
    ParticipantKind,
    ProgramAllotment,
    ProgramParticipant,
    ProgramStep,
    ScoringModel,
    StepKind,
    StepStatus,
    YearBudget,
)
from filon.programs.selectors import (
    active_scoring_model,
    file_amount_mxn,
    is_large_company,
    latest_statement,
    nom_032_verified,
    program_allotment,
    program_used_mxn,
    step_kind,
    year_usage,
)
from filon.rules import RuleSet, load_ruleset_for_date
from filon.rules.loader import NoRuleSetInForce
from filon.rules.schema import Program, ProgramCode, Stage

ZERO = Decimal(0)
REGIONAL = (Role.ANALISTA, Role.GERENTE_REGIONAL)
BUDGET_ADMINS = (Role.DIRECCION, Role.ADMINISTRADOR)
PROGRAM_ADMINS = (Role.DIRECCION, Role.RIESGOS, Role.ADMINISTRADOR)
SCORING_ADMINS = (Role.SECRETARIO_COMITE, Role.ADMINISTRADOR)
CAPPED_KINDS = (ParticipantKind.STATE_GOVERNMENT, ParticipantKind.ORGANISM)
_BEFORE_PROPOSAL = (
    FileStatus.CAPTURED,
    FileStatus.REQUIREMENTS_COMPLETE,
    FileStatus.UNDER_ANALYSIS,
    FileStatus.RETURNED,
)
# While a step can be recorded: until the file passes the stage the step is due before.
EDITABLE_STEPS = {
    "authorization": _BEFORE_PROPOSAL,
    "contracting": (*_BEFORE_PROPOSAL, FileStatus.PROPOSED, FileStatus.AUTHORIZED),
    "pre_disbursement": (
        *_BEFORE_PROPOSAL,
        FileStatus.PROPOSED,
        FileStatus.AUTHORIZED,
        FileStatus.FORMALIZED,
    ),
}


def _ruleset_for(file: CreditFile) -> RuleSet:
    return file_ruleset(file)


def _program_of(file: CreditFile) -> Program:
    return _ruleset_for(file).programs[ProgramCode(file.program)]


def _positive(value: Decimal, field: str, label: str) -> None:
    amount_check(value, field=field, label=label, ruleset=load_ruleset_for_date(today_mx()), cents=True)
    if value is None or value <= ZERO:
        raise ValidationFailed([DomainError(f"{label} debe ser mayor que cero.", field=field)])


# ------------------------------------------------------------------------------------ year budget


@transaction.atomic
def year_budget_set(*, user: User, year: int, first_tier_mxn: Decimal, notes: str = "") -> YearBudget:
    """Set the year's first-tier budget (G-2); its large-company share is the rule set's (R-5.3)."""
    require_role(user, BUDGET_ADMINS, "fijar el presupuesto de primer piso")
    _positive(first_tier_mxn, "first_tier_mxn", "El presupuesto")
    try:
        ruleset = load_ruleset_for_date(date(year, 12, 31))
    except NoRuleSetInForce as exc:
        raise ValidationFailed([DomainError(str(exc), field="year")]) from None
    fraction = ruleset.budget.large_company_max_fraction
    used = year_usage(year)
    if first_tier_mxn < used.used_mxn:
        raise TransitionRefused(
            f"El presupuesto no puede ser menor que lo ya autorizado en {year} "
            f"({format_money(used.used_mxn)}).",
            field="first_tier_mxn",
            rule=ruleset.budget.first_tier_rule,
        )
    budget = YearBudget.objects.select_for_update().filter(year=year).first()
    fields = ["year", "first_tier_mxn", "large_company_max_fraction", "notes"]
    # Not `audited`: the first setting of a year creates the row, and a creation has no "before".
    before = snapshot(budget, fields) if budget else None
    if budget is None:
        budget = YearBudget(year=year, created_by=user)
    budget.first_tier_mxn, budget.large_company_max_fraction, budget.notes = first_tier_mxn, fraction, notes
    budget.save()
    audit_record(
        user=user,
        action="programs.year_budget_set",
        obj=budget,
        before=before,
        after=snapshot(budget, fields),
    )
    return budget


# -------------------------------------------------------------------------------------- allotment


@transaction.atomic
def program_allotment_set(
    *,
    user: User,
    program: str,
    amount_mxn: Decimal,
    valid_from: date | None = None,
    valid_until: date | None = None,
    agreement: str = "",
) -> ProgramAllotment:
    """Record a program's allotment as agreed (an increase, a new validity), replacing the rule set's."""
    require_role(user, PROGRAM_ADMINS, "modificar la derrama de un programa")
    ruleset = load_ruleset_for_date(today_mx())
    try:
        rules = ruleset.programs[ProgramCode(program)]
    except (KeyError, ValueError):
        raise ValidationFailed([DomainError(f"Programa desconocido «{program}».", field="program")]) from None
    _positive(amount_mxn, "amount_mxn", "La derrama")
    if valid_from and valid_until and valid_until < valid_from:
        raise ValidationFailed([DomainError("La vigencia termina antes de iniciar.", field="valid_until")])
    used = program_used_mxn(program)
    if amount_mxn < used:
        raise TransitionRefused(
            f"La derrama no puede ser menor que lo ya autorizado en el programa ({format_money(used)}).",
            field="amount_mxn",
            rule=rules.rule,
        )
    row = ProgramAllotment.objects.select_for_update().filter(program=program).first()
    fields = ["program", "amount_mxn", "valid_from", "valid_until", "agreement"]
    # Not `audited`: the first allotment of a program creates the row, and a creation has no "before".
    before = snapshot(row, fields) if row else None
    if row is None:
        row = ProgramAllotment(program=program, created_by=user)
    row.amount_mxn, row.valid_from, row.valid_until, row.agreement = (
        amount_mxn,
        valid_from,
        valid_until,
        agreement,
    )
    row.save()
    audit_record(
        user=user, action="programs.allotment_set", obj=row, before=before, after=snapshot(row, fields)
    )
    return row


# ----------------------------------------------------------------------------------- participants


@dataclass
class ParticipantData:
    kind: str
    name: str
    agreement_date: date
    committed_mxn: Decimal
    state: str = ""


def _participant_cap(program: Program, kind: str) -> tuple[Decimal, str, Decimal] | None:
    """The most one participant of `kind` may commit, and the rule that says so (P-2: 15 % of the program)."""
    if kind not in CAPPED_KINDS:
        return None
    fund = next((f for f in program.guarantee_funds if f.max_share_per_contributor is not None), None)
    if fund is None or fund.max_share_per_contributor is None:
        return None
    allotment = program_allotment(program).amount_mxn
    if allotment is None:
        return None
    share = fund.max_share_per_contributor
    return (allotment * share).quantize(Decimal("0.01")), fund.rule, share


def _validate_participant(program: Program, data: ParticipantData) -> None:
    errors = []
    if data.kind not in ParticipantKind.values:
        errors.append(DomainError(f"Tipo de participante desconocido «{data.kind}».", field="kind"))
    if not data.name.strip():
        errors.append(DomainError("Indique el nombre del participante.", field="name"))
    amount_check(
        data.committed_mxn,
        field="committed_mxn",
        label="Monto comprometido",
        ruleset=load_ruleset_for_date(today_mx()),
        errors=errors,
        cents=True,
    )
    if data.committed_mxn is None or data.committed_mxn <= ZERO:
        errors.append(DomainError("El monto comprometido debe ser mayor que cero.", field="committed_mxn"))
    if data.agreement_date and data.agreement_date > today_mx():
        errors.append(DomainError("La fecha del convenio no puede ser futura.", field="agreement_date"))
    if errors:
        raise ValidationFailed(errors)
    cap = _participant_cap(program, data.kind)
    if cap is not None and data.committed_mxn > cap[0]:
        raise TransitionRefused(
            f"Cada gobierno estatal u organismo participa hasta con el {format_percent(cap[2], 0)} del "
            f"programa ({format_money(cap[0])}); se indicaron {format_money(data.committed_mxn)}.",
            field="committed_mxn",
            rule=cap[1],
        )


PARTICIPANT_FIELDS = ["program", "kind", "name", "state", "agreement_date", "committed_mxn"]


@transaction.atomic
def participant_add(*, user: User, program: str, data: ParticipantData) -> ProgramParticipant:
    """A state government, organism or miner joins a program by agreement (P-2 2.3)."""
    require_role(user, PROGRAM_ADMINS, "registrar participantes de programas")
    ruleset = load_ruleset_for_date(today_mx())
    try:
        rules = ruleset.programs[ProgramCode(program)]
    except (KeyError, ValueError):
        raise ValidationFailed([DomainError(f"Programa desconocido «{program}».", field="program")]) from None
    _validate_participant(rules, data)
    if ProgramParticipant.objects.filter(program=program, name=data.name.strip()).exists():
        raise ValidationFailed(
            [DomainError("Ese participante ya está registrado en el programa.", field="name")]
        )
    participant = ProgramParticipant.objects.create(
        program=program,
        kind=data.kind,
        name=data.name.strip(),
        state=data.state,
        agreement_date=data.agreement_date,
        committed_mxn=data.committed_mxn,
        created_by=user,
    )
    audit_record(
        user=user,
        action="programs.participant_add",
        obj=participant,
        after=snapshot(participant, PARTICIPANT_FIELDS),
    )
    return participant


@transaction.atomic
def participant_update(
    *, user: User, participant: ProgramParticipant, data: ParticipantData
) -> ProgramParticipant:
    require_role(user, PROGRAM_ADMINS, "modificar participantes de programas")
    participant = ProgramParticipant.objects.select_for_update().get(pk=participant.pk)
    rules = load_ruleset_for_date(today_mx()).programs[ProgramCode(participant.program)]
    _validate_participant(rules, data)
    with audited(user=user, action="programs.participant_update", obj=participant, fields=PARTICIPANT_FIELDS):
        participant.kind, participant.name, participant.state = data.kind, data.name.strip(), data.state
        participant.agreement_date, participant.committed_mxn = data.agreement_date, data.committed_mxn
        try:
            with transaction.atomic():
                participant.save()
        except IntegrityError:
            raise ValidationFailed(
                [DomainError("Ese participante ya está registrado en el programa.", field="name")]
            ) from None
    return participant


# ---------------------------------------------------------------------------------- file's steps


def program_steps_ensure(*, file: CreditFile) -> list[ProgramStep]:
    """The file's program steps, created from the rule set the first time they are asked for; a file whose
    program changed loses the other program's pending steps. Runs in the caller's transaction."""
    program = _program_of(file)
    ProgramStep.objects.filter(file=file, status=StepStatus.PENDING).exclude(program=file.program).delete()
    existing = {s.code: s for s in ProgramStep.objects.filter(file=file, program=file.program)}
    for number, spec in enumerate(program.steps, start=1):
        code = f"{program.code.value}-{number}"
        if code not in existing:
            existing[code] = ProgramStep.objects.create(
                file=file,
                program=file.program,
                number=number,
                code=code,
                text=spec.text,
                kind=step_kind(spec.text),
                due=spec.due.value,
                rule=program.rule,
            )
    return sorted(existing.values(), key=lambda s: s.number)


def program_steps_check(*, file: CreditFile, stage: Stage, action: str) -> None:
    """Refuse `action` while a program step due before `stage` (or an earlier stage) is not done (asked by
    origination when a file is proposed, formalized and released for disbursement)."""
    order = [code for code, _ in STEP_DUE_CHOICES]
    due = set(order[: order.index(stage.value) + 1]) if stage.value in order else set()
    steps = program_steps_ensure(file=file)
    missing = [s for s in steps if s.due in due and s.status != StepStatus.DONE]
    if missing:
        first = missing[0]
        raise TransitionRefused(
            f"Faltan {len(missing)} paso(s) del programa antes de {action}; el primero: "
            f"{first.number}. {first.text} ({first.get_status_display().lower()}).",
            field="program_steps",
            rule=first.rule,
        )


def program_evidence_check_authorization(*, file: CreditFile, on: date | None = None) -> None:
    """Refuse an authorization while the evidence the program requires is missing (asked by `file_resolve`):
    the domicile in the program's municipality (P-3: Cananea) and a done NOM-032-STPS-2008 verification
    (P-4). The engine reports the same as errors, so such a file is not proposed either."""
    program = _program_of(file)
    municipality = (file.applicant.municipality or "").strip()
    if program.municipality is not None and municipality.casefold() != program.municipality.casefold():
        found = f"se registró «{municipality}»" if municipality else "no se registró"
        raise TransitionRefused(
            f"El programa {program.name} exige domicilio fiscal u operativo en {program.municipality}; "
            f"{found}.",
            field="municipality",
            rule=program.rule,
        )
    needs_nom_032 = any(step_kind(spec.text) == StepKind.NOM_032 for spec in program.steps)
    if needs_nom_032 and nom_032_verified(file) is not True:
        raise TransitionRefused(
            f"El programa {program.name} exige la verificación de la NOM-032-STPS-2008 de la mina y no está "
            "registrada como hecha.",
            field="program_steps",
            rule=program.rule,
        )


STEP_FIELDS = ["status", "document", "notes", "done_at"]


def _step_for_update(user: User, step: ProgramStep) -> ProgramStep:
    require_role(user, REGIONAL, "registrar los pasos del programa")
    step = ProgramStep.objects.select_for_update().select_related("file").get(pk=step.pk)
    require_office(user, step.file.office_id)
    if step.file.status not in EDITABLE_STEPS.get(step.due, _BEFORE_PROPOSAL):
        raise TransitionRefused(
            f"Este paso se registra antes de {step.get_due_display().lower()}; "
            f"el expediente ya está {step.file.get_status_display().lower()}.",
            field="status",
            rule=step.rule,
        )
    if step.program != step.file.program:
        raise TransitionRefused("El paso es de otro programa.", field="step", rule=step.rule)
    return step


def _set_step(user: User, step: ProgramStep, status: str, document: str, notes: str, action: str) -> None:
    with audited(
        user=user,
        action=action,
        obj=step.file,
        fields=lambda _file: snapshot(step, STEP_FIELDS),  # the step's change on the file's trail
        office=step.file.office,
        note=f"Paso {step.number}: {step.text}",
    ):
        step.status, step.document, step.notes = status, document.strip(), notes.strip()
        step.done_by = None if status == StepStatus.PENDING else user
        step.done_at = None if status == StepStatus.PENDING else timezone.now()
        step.save()


@transaction.atomic
def program_step_record(
    *, user: User, step: ProgramStep, status: str, document: str = "", notes: str = ""
) -> ProgramStep:
    """Mark a program step done, not approved, or back to pending. The parametric evaluation is recorded
    with `parametric_evaluation_record`; marking it by hand needs the reference to the Comité Interno's
    express authorization that replaces it (P-3 3.14 e)."""
    step = _step_for_update(user, step)
    if status not in StepStatus.values:
        raise ValidationFailed([DomainError(f"Estado desconocido «{status}».", field="status")])
    if status == StepStatus.NOT_APPROVED and not notes.strip():
        raise ValidationFailed([DomainError("Indique por qué el paso no se aprueba.", field="notes")])
    if step.kind == StepKind.PARAMETRIC and status == StepStatus.DONE and not document.strip():
        raise ValidationFailed(
            [
                DomainError(
                    "Registre la evaluación paramétrica, o indique el acuerdo del Comité Interno que la "
                    "sustituye.",
                    field="document",
                )
            ]
        )
    _set_step(user, step, status, document, notes, "programs.step_record")
    return step


# --------------------------------------------------------------------------- financial statements


@dataclass
class StatementData:
    period_end: date
    revenue_mxn: Decimal
    operating_costs_mxn: Decimal
    ebitda_mxn: Decimal
    total_debt_mxn: Decimal
    equity_mxn: Decimal
    debt_service_mxn: Decimal = ZERO
    audited: bool = False


STATEMENT_FIELDS = [
    "period_end",
    "revenue_mxn",
    "operating_costs_mxn",
    "ebitda_mxn",
    "debt_service_mxn",
    "total_debt_mxn",
    "equity_mxn",
    "audited",
]


@transaction.atomic
def financial_statement_add(*, user: User, applicant: Applicant, data: StatementData) -> FinancialStatement:
    require_role(user, REGIONAL, "registrar estados financieros")
    require_office(user, applicant.office_id, "El solicitante")
    errors = []
    if data.period_end > today_mx():
        errors.append(DomainError("El cierre del periodo no puede ser futuro.", field="period_end"))
    ruleset = load_ruleset_for_date(today_mx())
    for name in (f for f in STATEMENT_FIELDS if f.endswith("_mxn")):
        amount_check(
            getattr(data, name), field=name, label="Importe", ruleset=ruleset, errors=errors, cents=True
        )
    for name in ("revenue_mxn", "operating_costs_mxn", "debt_service_mxn", "total_debt_mxn"):
        if getattr(data, name) < ZERO:
            errors.append(DomainError("El importe no puede ser negativo.", field=name))
    if FinancialStatement.objects.filter(applicant=applicant, period_end=data.period_end).exists():
        errors.append(DomainError("Ya hay estados financieros con ese cierre.", field="period_end"))
    if errors:
        raise ValidationFailed(errors)
    statement = FinancialStatement.objects.create(applicant=applicant, created_by=user, **vars(data))
    audit_record(
        user=user,
        action="programs.financial_statement_add",
        obj=statement,
        after=snapshot(statement, STATEMENT_FIELDS),
        office=applicant.office,
    )
    return statement


# -------------------------------------------------------------------------------------- scoring


@transaction.atomic
def scoring_model_load(*, user: User, data: Mapping[str, Any]) -> ScoringModel:
    """Load a scoring model approved by the Comité Interno (a fixture: code, version, name,
    committee_agreement, approved_on, factors, pass_mark); it replaces the earlier versions of its code."""
    require_role(user, SCORING_ADMINS, "cargar modelos de evaluación paramétrica")
    code, version = str(data.get("code") or "").strip(), str(data.get("version") or "").strip()
    if not code or not version:
        raise ValidationFailed([DomainError("Indique la clave y la versión del modelo.", field="code")])
    if not str(data.get("committee_agreement") or "").strip():
        raise ValidationFailed(
            [
                DomainError(
                    "Indique el acuerdo del Comité Interno que aprueba el modelo.",
                    field="committee_agreement",
                )
            ]
        )
    try:
        spec = scoring.parse_model(
            code=code, version=version, factors=data.get("factors") or [], pass_mark=data.get("pass_mark")
        )
        approved_on = date.fromisoformat(str(data.get("approved_on")))
    except scoring.ScoringModelError as exc:
        raise ValidationFailed([DomainError(str(exc), field="factors")]) from None
    except ValueError:
        raise ValidationFailed([DomainError("Fecha de aprobación inválida.", field="approved_on")]) from None
    if ScoringModel.objects.filter(code=code, version=version).exists():
        raise ValidationFailed([DomainError("Esa versión del modelo ya está cargada.", field="version")])
    ScoringModel.objects.filter(code=code, active=True).update(active=False)
    model = ScoringModel.objects.create(
        code=code,
        version=version,
        name=str(data.get("name") or code),
        committee_agreement=str(data["committee_agreement"]).strip(),
        approved_on=approved_on,
        factors=list(data["factors"]),
        pass_mark=spec.pass_mark,
        notes=str(data.get("notes") or ""),
    )
    audit_record(
        user=user,
        action="programs.scoring_model_load",
        obj=model,
        after=snapshot(model, ["code", "version", "committee_agreement", "approved_on", "pass_mark"]),
    )
    return model


def model_spec(model: ScoringModel) -> scoring.ScoringModelSpec:
    return scoring.parse_model(
        code=model.code, version=model.version, factors=model.factors, pass_mark=str(model.pass_mark)
    )


def _annual_rate(file: CreditFile, on: date) -> Decimal:
    """The file's ordinary rate for the capacity-to-pay projection: base series + spread of its evaluation;
    the spread alone when the base series is not loaded."""
    pricing = (file.evaluation or {}).get("pricing") or {}
    spread = Decimal(str(pricing.get("total_spread") or "0"))
    base = str(pricing.get("base") or "")
    try:
        return rate_series_get(base).value_before(on) + spread
    except (MissingRate, LookupError):
        return spread


def parametric_inputs(
    *, file: CreditFile, statement: FinancialStatement, technical_opinion_favorable: bool, on: date
) -> dict[str, Decimal | None]:
    """The values the scoring model's factors measure, from the statements, the applicant and the file."""
    amount = file_amount_mxn(file)
    service = statement.debt_service_mxn + scoring.annual_debt_service(
        amount=amount,
        term_months=file.term_months,
        grace_months=file.grace_months,
        annual_rate=_annual_rate(file, on),
    )
    coverage = ((file.evaluation or {}).get("coverage") or {}).get("achieved")
    return {
        "dscr": scoring.dscr(ebitda=statement.ebitda_mxn, debt_service=service),
        "leverage": scoring.leverage(total_debt=statement.total_debt_mxn, equity=statement.equity_mxn),
        "experience_years": file.applicant.years_of_sales,
        "bureau_keys": Decimal(len(bureau_keys_latest(file.applicant))),
        "coverage": None if coverage in (None, "") else Decimal(str(coverage)),
        "technical_opinion": Decimal(1 if technical_opinion_favorable else 0),
    }


@transaction.atomic
def parametric_evaluation_record(
    *,
    user: User,
    file: CreditFile,
    technical_opinion_favorable: bool,
    statement: FinancialStatement | None = None,
    model: ScoringModel | None = None,
) -> ParametricEvaluation:
    """Score the file with the Comité Interno's model and mark the program's parametric step done
    ("Aprobatorio") or not approved, with the findings citing the program's rule."""
    require_role(user, REGIONAL, "registrar la evaluación paramétrica")
    file = CreditFile.objects.select_for_update().select_related("applicant", "office").get(pk=file.pk)
    require_office(user, file.office_id)
    steps = [s for s in program_steps_ensure(file=file) if s.kind == StepKind.PARAMETRIC]
    if not steps:
        raise TransitionRefused("El programa del expediente no pide evaluación paramétrica.", field="program")
    step = _step_for_update(user, steps[0])
    today = today_mx()
    statement = statement or latest_statement(file.applicant_id, today)
    if statement is None or statement.applicant_id != file.applicant_id:
        raise ValidationFailed(
            [DomainError("Registre los estados financieros del solicitante.", field="statement")]
        )
    model = model or active_scoring_model()
    if model is None:
        raise ValidationFailed([DomainError("No hay un modelo paramétrico vigente.", field="model")])
    values = parametric_inputs(
        file=file, statement=statement, technical_opinion_favorable=technical_opinion_favorable, on=today
    )
    result = scoring.score(model_spec(model), values, rule=step.rule)
    evaluation = ParametricEvaluation.objects.create(
        file=file,
        step=step,
        model=model,
        statement=statement,
        inputs={k: None if v is None else str(v) for k, v in values.items()},
        result=result.as_dict(),
        total=result.total,
        approved=result.approved,
        created_by=user,
    )
    status = StepStatus.DONE if result.approved else StepStatus.NOT_APPROVED
    _set_step(
        user,
        step,
        status,
        f"Evaluación paramétrica {evaluation.pk}: {result.verdict}",
        f"{format_amount(result.total)} puntos; aprueba con {format_amount(result.pass_mark)}.",
        "programs.parametric_evaluation",
    )
    return evaluation


# ---------------------------------------------------------------------------------------- budget


BUDGET_LOCK_KEY = 0x46494C4F4E  # one PostgreSQL advisory lock for every budget check ("FILON")


def _serialize_budget_checks() -> None:
    """Two authorizations checked at once must not both fit in the same remaining allotment: on PostgreSQL
    the check holds a transaction-level advisory lock (the amounts it sums live in rows it cannot lock
    beforehand); SQLite already serializes the writing transactions."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [BUDGET_LOCK_KEY])


def budget_check_authorization(*, file: CreditFile, on: date | None = None) -> None:
    """Refuse an authorization that would exceed the program's allotment (and validity), the year's
    first-tier budget (G-2) or its large-company share (R-5.3). Asked by `file_resolve`; a year with no
    budget recorded checks only the allotment."""
    on = on or today_mx()
    _serialize_budget_checks()
    ruleset = _ruleset_for(file)
    program = ruleset.programs[ProgramCode(file.program)]
    amount = file_amount_mxn(file)
    allotment = program_allotment(program)
    if allotment.agreed and allotment.valid_until and on > allotment.valid_until:
        raise TransitionRefused(
            f"El programa {program.name} otorgó recursos hasta el {allotment.valid_until:%d/%m/%Y}.",
            field="program",
            rule=program.rule,
        )
    if allotment.amount_mxn is not None:
        used = program_used_mxn(program.code, exclude=file)
        if used + amount > allotment.amount_mxn:
            raise TransitionRefused(
                f"La autorización excede la derrama del programa {program.name}: "
                f"{format_money(allotment.amount_mxn)}, de los que ya hay {format_money(used)} autorizados; "
                f"quedan {format_money(max(allotment.amount_mxn - used, ZERO))} y se pide {format_money(amount)}.",
                field="amount",
                rule=program.rule,
            )
    usage = year_usage(on.year, exclude=file)
    if usage.budget is None:
        return
    if usage.used_mxn + amount > usage.budget.first_tier_mxn:
        raise TransitionRefused(
            f"La autorización excede el presupuesto de primer piso de {on.year} "
            f"({format_money(usage.budget.first_tier_mxn)}): ya hay {format_money(usage.used_mxn)} autorizados "
            f"y se pide {format_money(amount)}.",
            field="amount",
            rule=ruleset.budget.first_tier_rule,
        )
    cap = usage.large_company_cap_mxn
    if is_large_company(file) and cap is not None and usage.large_company_used_mxn + amount > cap:
        raise TransitionRefused(
            f"La autorización excede la parte del presupuesto de {on.year} para grandes empresas "
            f"({format_percent(usage.budget.large_company_max_fraction)}, {format_money(cap)}): ya hay "
            f"{format_money(usage.large_company_used_mxn)} autorizados y se pide {format_money(amount)}.",
            field="amount",
            rule=ruleset.budget.rule,
        )


@transaction.atomic
def program_step_mark(
    *, user: User, file: CreditFile, number: int, status: str, document: str = "", notes: str = ""
) -> ProgramStep:
    """Record step `number` of the file's program (the page's form): the steps are created if need be."""
    require_role(user, REGIONAL, "registrar los pasos del programa")
    require_office(user, file.office_id)
    step = next((s for s in program_steps_ensure(file=file) if s.number == number), None)
    if step is None:
        raise ValidationFailed([DomainError("El programa no tiene ese paso.", field="step")])
    return program_step_record(user=user, step=step, status=status, document=document, notes=notes)
