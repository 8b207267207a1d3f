"""Reads on the special programs: allotments and their use, the year's first-tier budget, file steps.

The budget counts a credit from its authorization until it is cancelled or its authorization expires:
files authorized, formalized and released for disbursement (which includes the disbursed ones), in MXN
(a USD file at the FIX its evaluation used). A year's use is by the date of authorization; a program's
allotment is used by its files of every year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from filon.accounts.models import Role, User
from filon.core.calendar import today_mx
from filon.errors import Forbidden, NotFound
from filon.origination.models import CreditFile, FileStatus
from filon.origination.selectors import file_list_for_user, market_values_on
from filon.programs.models import (
    STEP_DUE_CHOICES,
    FinancialStatement,
    ParametricEvaluation,
    ProgramAllotment,
    ProgramParticipant,
    ProgramStep,
    ScoringModel,
    StepKind,
    StepStatus,
    YearBudget,
)
from filon.rules import RuleSet
from filon.rules.schema import Currency, Program, ProgramCode, Size

ZERO = Decimal(0)
COMMITTED_STATUSES = (FileStatus.AUTHORIZED, FileStatus.FORMALIZED, FileStatus.READY_TO_DISBURSE)
# Who reads the programs' budget pages; regional staff read their own files' steps on the file page.
READERS = (
    Role.DIRECCION,
    Role.RIESGOS,
    Role.ADMINISTRADOR,
    Role.GERENTE_REGIONAL,
    Role.ANALISTA,
    Role.SECRETARIO_COMITE,
    Role.MIEMBRO_COMITE,
    Role.JURIDICO,
)


def require_reader(user: User) -> None:
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.role not in READERS:
        raise Forbidden("Su rol no puede consultar los programas.")


# ------------------------------------------------------------------------------------------ amounts


def file_amount_mxn(file: CreditFile) -> Decimal:
    """The file's request in MXN; a USD request at the FIX of its last evaluation."""
    if file.currency == Currency.MXN.value:
        return file.amount
    fx = (file.evaluation or {}).get("fx_usd_mxn")
    if not fx:
        fx = market_values_on(today_mx())[0]
    return (file.amount * Decimal(str(fx))).quantize(Decimal("0.01"))


def _sum_mxn(files: QuerySet[CreditFile]) -> Decimal:
    return sum((file_amount_mxn(f) for f in files), ZERO)


def committed_files(*, exclude: CreditFile | None = None) -> QuerySet[CreditFile]:
    qs = CreditFile.objects.filter(status__in=COMMITTED_STATUSES)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs


def is_large_company(file: CreditFile) -> bool:
    return (file.evaluation or {}).get("size") == Size.GRANDE.value


# ---------------------------------------------------------------------------------------- allotment


@dataclass(frozen=True)
class Allotment:
    program: ProgramCode
    name: str
    rule: str
    amount_mxn: Decimal | None
    valid_from: date | None
    valid_until: date | None
    agreed: bool  # True when set by agreement (ProgramAllotment), False when the rule set's default

    @property
    def ended(self) -> bool:
        """The program's term is over (its last day has passed, Mexico City time)."""
        return self.valid_until is not None and self.valid_until < today_mx()


def program_allotment(program: Program) -> Allotment:
    row = ProgramAllotment.objects.filter(program=program.code.value).first()
    if row is not None:
        return Allotment(
            program.code, program.name, program.rule, row.amount_mxn, row.valid_from, row.valid_until, True
        )
    return Allotment(
        program.code,
        program.name,
        program.rule,
        program.allotment_mxn,
        program.valid_from,
        program.valid_until,
        False,
    )


def program_used_mxn(program: ProgramCode | str, *, exclude: CreditFile | None = None) -> Decimal:
    return _sum_mxn(committed_files(exclude=exclude).filter(program=str(program)))


@dataclass(frozen=True)
class ProgramUsage:
    allotment: Allotment
    used_mxn: Decimal
    participants_mxn: Decimal

    @property
    def remaining_mxn(self) -> Decimal | None:
        return None if self.allotment.amount_mxn is None else self.allotment.amount_mxn - self.used_mxn

    @property
    def used_fraction(self) -> Decimal | None:
        amount = self.allotment.amount_mxn
        return None if not amount else (self.used_mxn / amount).quantize(Decimal("0.0001"))


def program_usage(program: Program) -> ProgramUsage:
    participants = ProgramParticipant.objects.filter(program=program.code.value)
    return ProgramUsage(
        program_allotment(program),
        program_used_mxn(program.code),
        sum((p.committed_mxn for p in participants), ZERO),
    )


# ------------------------------------------------------------------------------------------- budget


@dataclass(frozen=True)
class YearUsage:
    year: int
    budget: YearBudget | None
    used_mxn: Decimal
    large_company_used_mxn: Decimal

    @property
    def first_tier_mxn(self) -> Decimal | None:
        return None if self.budget is None else self.budget.first_tier_mxn

    @property
    def remaining_mxn(self) -> Decimal | None:
        return None if self.budget is None else self.budget.first_tier_mxn - self.used_mxn

    @property
    def large_company_cap_mxn(self) -> Decimal | None:
        if self.budget is None:
            return None
        return (self.budget.first_tier_mxn * self.budget.large_company_max_fraction).quantize(Decimal("0.01"))

    @property
    def large_company_remaining_mxn(self) -> Decimal | None:
        cap = self.large_company_cap_mxn
        return None if cap is None else cap - self.large_company_used_mxn


def year_usage(year: int, *, exclude: CreditFile | None = None) -> YearUsage:
    files = list(committed_files(exclude=exclude).filter(authorized_on__year=year))
    large = [f for f in files if is_large_company(f)]
    return YearUsage(
        year,
        YearBudget.objects.filter(year=year).first(),
        sum((file_amount_mxn(f) for f in files), ZERO),
        sum((file_amount_mxn(f) for f in large), ZERO),
    )


@dataclass(frozen=True)
class BudgetOverview:
    year: YearUsage
    programs: list[ProgramUsage]


def budget_overview(*, user: User, year: int, ruleset: RuleSet) -> BudgetOverview:
    require_reader(user)
    programs = [program_usage(p) for p in ruleset.programs.values() if p.code is not ProgramCode.PRIMER_PISO]
    return BudgetOverview(year_usage(year), programs)


def program_get_for_user(*, user: User, code: str, ruleset: RuleSet) -> Program:
    require_reader(user)
    try:
        return ruleset.programs[ProgramCode(code)]
    except (KeyError, ValueError):
        raise NotFound("No existe el programa.") from None


def participants_for(program: ProgramCode | str) -> QuerySet[ProgramParticipant]:
    return ProgramParticipant.objects.filter(program=str(program))


def program_files_for_user(*, user: User, program: ProgramCode | str) -> QuerySet[CreditFile]:
    return file_list_for_user(user=user).filter(program=str(program))


# ------------------------------------------------------------------------------------ file's steps

# Steps are told apart by their text in the rule set: the parametric evaluation and the NOM-032 check.
PARAMETRIC_MARK = "paramétrica"
NOM_032_MARK = "NOM-032"


def step_kind(text: str) -> StepKind:
    if PARAMETRIC_MARK in text.casefold():
        return StepKind.PARAMETRIC
    if NOM_032_MARK in text:
        return StepKind.NOM_032
    return StepKind.GENERAL


def nom_032_verified(file: CreditFile) -> bool | None:
    """What the file's NOM-032-STPS-2008 step says for the engine (P-4): verified, failed, or not yet."""
    status = (
        ProgramStep.objects.filter(file=file, program=file.program, kind=StepKind.NOM_032)
        .values_list("status", flat=True)
        .first()
    )
    if status == StepStatus.DONE:
        return True
    if status == StepStatus.NOT_APPROVED:
        return False
    return None


def nom_032_facts(file: CreditFile) -> dict[str, bool]:
    """The NOM-032 step as a fact of the applicant for the engine (registered in `origination.checks`)."""
    verified = nom_032_verified(file)
    return {} if verified is None else {"nom_032_verified": verified}


def steps_of(file: CreditFile) -> QuerySet[ProgramStep]:
    return ProgramStep.objects.filter(file=file, program=file.program).select_related("done_by")


def latest_statement(applicant_id: int, on: date) -> FinancialStatement | None:
    return (
        FinancialStatement.objects.filter(applicant_id=applicant_id, period_end__lte=on)
        .order_by("-period_end")
        .first()
    )


def active_scoring_model(code: str | None = None) -> ScoringModel | None:
    qs = ScoringModel.objects.filter(active=True)
    if code:
        qs = qs.filter(code=code)
    return qs.order_by("-approved_on", "-created_at").first()


def evaluations_of(file: CreditFile) -> QuerySet[ParametricEvaluation]:
    return ParametricEvaluation.objects.filter(file=file).select_related("model", "statement", "created_by")


@dataclass(frozen=True)
class StepRow:
    number: int
    text: str
    kind: str
    rule: str
    step: ProgramStep | None  # None until the file's steps are first recorded
    due_label: str  # the file's transition the step must be done before
    due: str = "authorization"

    @property
    def status(self) -> str:
        return self.step.status if self.step else "pending"

    @property
    def status_label(self) -> str:
        return self.step.get_status_display() if self.step else "Pendiente"


@dataclass(frozen=True)
class ProgramStepLine:
    """One of a program's steps as its page lists it: the step, and the file's move it is due before."""

    text: str
    due_label: str


def program_step_lines(program: Program) -> list[ProgramStepLine]:
    due_labels = dict(STEP_DUE_CHOICES)
    return [ProgramStepLine(spec.text, due_labels[spec.due.value]) for spec in program.steps]


def file_program_panel(file: CreditFile, program: Program) -> dict[str, object] | None:
    """What the file page shows of its program: the rule set's steps with what was recorded, the
    parametric evaluations and the applicant's latest statements. None for a file of Capítulo I."""
    if not program.steps:
        return None
    recorded = {s.number: s for s in steps_of(file)}
    rows = []
    due_labels = dict(STEP_DUE_CHOICES)
    for number, spec in enumerate(program.steps, start=1):
        rows.append(
            StepRow(
                number,
                spec.text,
                str(step_kind(spec.text)),
                program.rule,
                recorded.get(number),
                due_labels[spec.due.value],
                spec.due.value,
            )
        )
    return {
        "program": program,
        "rows": rows,
        "done": sum(1 for r in rows if r.status == "done"),
        "has_parametric": any(r.kind == StepKind.PARAMETRIC for r in rows),
        "evaluations": list(evaluations_of(file)[:5]),
        "statement": latest_statement(file.applicant_id, today_mx()),
    }
