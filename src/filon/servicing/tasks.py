"""Post-disbursement obligations as dated tasks of the regional office (13, 16.3, 16.4, 16.5).

The rule each task cites and its deadline come from the loan's rule set: the proof-of-use window, the
post-disbursement checklist's due days, the monitoring checklists. A pending line qualification that is
overdue blocks new drawdowns of the revolving line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import QuerySet

from filon.accounts.access import require_role, scope_to_office
from filon.accounts.models import Role, User
from filon.audit.services import audited, snapshot
from filon.core.calendar import add_months, today_mx
from filon.errors import Forbidden, TransitionRefused
from filon.platform.revision import loans_touch
from filon.rules import RuleSet, load_ruleset_version
from filon.rules.schema import CreditType, Stage
from filon.servicing.models import Loan, LoanTask, TaskKind, TaskStatus

MONTHS_BETWEEN = {
    TaskKind.QUARTERLY_VISIT: 3,
    TaskKind.ANNUAL_STATEMENTS: 12,
    TaskKind.LINE_QUALIFICATION: 12,
}


def _stage_rule(ruleset: RuleSet, stage: Stage) -> tuple[str, int | None]:
    checklist = next(
        (c for c in ruleset.checklists if c.stage is stage and "primer_piso" in c.programs), None
    )
    if checklist is None:
        checklist = next(c for c in ruleset.checklists if c.stage is stage)
    return checklist.rule, checklist.due_calendar_days


def tasks_after_first_disbursement(*, loan: Loan, first_disbursed_on: date) -> list[LoanTask]:
    """The obligations that start with the first ministración (called inside the disbursement)."""
    ruleset = load_ruleset_version(loan.ruleset_version)
    post_rule, post_days = _stage_rule(ruleset, Stage.POST_DISBURSEMENT)
    quarterly_rule, _ = _stage_rule(ruleset, Stage.MONITORING_QUARTERLY)
    annual_rule, _ = _stage_rule(ruleset, Stage.MONITORING_ANNUAL)
    tasks = [
        LoanTask(
            loan=loan,
            kind=TaskKind.PROOF_OF_USE,
            rule=ruleset.proof_of_use.rule,
            due_on=first_disbursed_on + timedelta(days=ruleset.proof_of_use.calendar_days),
        ),
        LoanTask(
            loan=loan,
            kind=TaskKind.QUARTERLY_VISIT,
            rule=quarterly_rule,
            due_on=add_months(first_disbursed_on, MONTHS_BETWEEN[TaskKind.QUARTERLY_VISIT]),
        ),
        LoanTask(
            loan=loan,
            kind=TaskKind.ANNUAL_STATEMENTS,
            rule=annual_rule,
            due_on=add_months(first_disbursed_on, MONTHS_BETWEEN[TaskKind.ANNUAL_STATEMENTS]),
        ),
    ]
    if loan.credit_type == CreditType.REFACCIONARIO:
        tasks.append(
            LoanTask(
                loan=loan,
                kind=TaskKind.INSURANCE,
                rule=post_rule,
                due_on=first_disbursed_on + timedelta(days=post_days or ruleset.proof_of_use.calendar_days),
            )
        )
    product = ruleset.products[CreditType(loan.credit_type)]
    if loan.is_revolving and (
        product.annual_qualification or loan.term_months > MONTHS_BETWEEN[TaskKind.LINE_QUALIFICATION]
    ):
        qualification_rule, _ = _stage_rule(ruleset, Stage.LINE_QUALIFICATION)
        tasks.append(
            LoanTask(
                loan=loan,
                kind=TaskKind.LINE_QUALIFICATION,
                rule=qualification_rule,
                due_on=add_months(first_disbursed_on, MONTHS_BETWEEN[TaskKind.LINE_QUALIFICATION]),
                blocks_drawdowns=True,
            )
        )
    return LoanTask.objects.bulk_create(tasks)


@transaction.atomic
def task_complete(*, user: User, task: LoanTask, done_on: date | None = None, note: str = "") -> LoanTask:
    """Record an obligation as met; a recurring one (visits, statements, qualification) schedules the next."""
    require_role(user, (Role.ANALISTA, Role.GERENTE_REGIONAL), "registrar obligaciones cumplidas")
    task = LoanTask.objects.select_for_update().select_related("loan").get(pk=task.pk)
    if user.is_regional and user.office_id != task.loan.office_id:
        raise Forbidden("El crédito pertenece a otra gerencia regional.")
    if task.status == TaskStatus.DONE:
        raise TransitionRefused("La obligación ya está cumplida.", field="status")
    done_on = done_on or today_mx()
    loan = task.loan
    with audited(
        user=user,
        action="loan.task_complete",
        obj=loan,
        # the loan's trail shows the task's change (the task's kind alongside)
        fields=lambda _loan: {**snapshot(task, ["status", "done_on"]), "task": task.kind},
        office=loan.office,
    ):
        task.status, task.done_on, task.done_by, task.note = TaskStatus.DONE, done_on, user, note
        task.save(update_fields=["status", "done_on", "done_by", "note"])
        months = MONTHS_BETWEEN.get(TaskKind(task.kind))
        if months:
            following = add_months(task.due_on, months)
            if loan.maturity_date is None or following <= loan.maturity_date:
                LoanTask.objects.create(
                    loan=loan,
                    kind=task.kind,
                    rule=task.rule,
                    due_on=following,
                    blocks_drawdowns=task.blocks_drawdowns,
                )
        loans_touch([loan.pk])
    return task


@dataclass(frozen=True)
class Block:
    message: str
    rule: str


def line_drawdowns_blocked(*, loan: Loan, on: date) -> Block | None:
    """A revolving line whose annual qualification is overdue takes no new drawdowns (16.5)."""
    overdue = (
        loan.tasks.filter(status=TaskStatus.PENDING, blocks_drawdowns=True, due_on__lt=on)
        .order_by("due_on")
        .first()
    )
    if overdue is None:
        return None
    return Block(
        f"La calificación anual de la línea venció el {overdue.due_on:%d/%m/%Y} sin cumplirse: "
        "no se admiten nuevas disposiciones hasta calificarla.",
        overdue.rule,
    )


def tasks_for_user(*, user: User) -> QuerySet[LoanTask]:
    return scope_to_office(LoanTask.objects.select_related("loan", "loan__applicant"), user, "loan__office")


def tasks_overdue_for_user(*, user: User, today: date | None = None) -> QuerySet[LoanTask]:
    today = today or today_mx()
    return tasks_for_user(user=user).filter(status=TaskStatus.PENDING, due_on__lt=today)
