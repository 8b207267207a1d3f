"""The queues: one source per kind of pending item. Each takes the user and today and returns the items that
wait for that user's action, read through the owning apps' scoped selectors (or the same office scope they
apply), with the clock of the Rules that runs on it.

A new kind of queue is one function here (or in the app that owns it) and one line in `SOURCES`.

Who sees what: an item that names its assignee (the file's or the loan's analyst) is in the assignee's queue
only; the regional manager sees the others' in the office section (`selectors.office_queue`). An item that
names nobody (a document to review, a contract to formalize, a matter for the agenda, a vote) is in the
queue of every user whose role and office may act on it, as the service that acts would allow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

from django.db.models import Min, OuterRef, Q, Subquery
from django.urls import reverse

from filon.accounts.models import Role, User
from filon.committees.lifecycle import SESSION
from filon.committees.models import AgendaItem, CommitteeSession, SessionStatus, Vote
from filon.committees.selectors import (
    agenda_pending_files,
    agenda_pending_guarantee_changes,
    agenda_pending_loan_requests,
    committee_name,
    is_committee_member,
    session_list_for_user,
)
from filon.core.money import format_money
from filon.origination.lifecycle import FILE, TERMINAL
from filon.origination.models import (
    CreditFile,
    DocumentUpload,
    FileStatus,
    RequirementItem,
    RequirementStatus,
)
from filon.origination.selectors import (
    attention_clock,
    file_list_for_user,
    file_ruleset,
    files_to_sign_off,
    requirement_is_met,
)
from filon.rules.schema import Stage
from filon.servicing.models import (
    Installment,
    InstallmentStatus,
    LoanStatus,
    LoanTask,
    OrderStatus,
    TaskStatus,
)
from filon.servicing.selectors import disbursements_to_release, loan_list_for_user, reversals_to_approve
from filon.servicing.tasks import tasks_for_user
from filon.worklist.items import PendingItem

Source = Callable[[User, date], list[PendingItem]]

PAYMENTS_AHEAD_DAYS = 7
"""Instalments payable within this many calendar days (today included) are in the office's queue («pagos de
la semana»)."""

OBLIGATIONS_AHEAD_DAYS = 30
"""Post-disbursement obligations (LoanTask: proof of use, insurance, visits, statements, qualification) due
within this many calendar days, or overdue, are in the office's queue."""


def person(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def _url(name: str, *args: Any, anchor: str = "") -> str:
    return reverse(f"web:{name}", args=args) + (f"#{anchor}" if anchor else "")


def _day(moment: Any) -> date:
    return moment.date() if hasattr(moment, "date") and callable(moment.date) else moment


def _regional(user: User) -> bool:
    return user.is_active and user.role in (Role.ANALISTA, Role.GERENTE_REGIONAL)


def _assigned(files: Any, user: User) -> Any:
    """The files whose analyst (who opened them) is `user`."""
    return files.filter(created_by=user)


def _attention_rule(file: CreditFile) -> str:
    """The rule of the file's attention clock: the one its evaluation cited (a program's own answer time
    overrides R-8), else the rule set's."""
    cited = ((file.evaluation or {}).get("attention_time") or {}).get("rule")
    return str(cited or file_ruleset(file).attention_time.rule)


def _calendar_left(due: date | None, today: date) -> int | None:
    return None if due is None else (due - today).days


# ------------------------------------------------------------------------------------------ origination


def _requirement_item(item: RequirementItem, kind: str, title: str, today: date) -> PendingItem:
    """A document of a file's checklist waiting for someone (annotated with `uploaded`, its latest upload):
    the item's rule, the file's office, the checklist on the file's page."""
    return PendingItem(
        key=f"{kind}:{item.pk}",
        kind=kind,
        title=title,
        detail=f"{item.name[:120]} — {item.file.applicant.name}",
        url=_url("file", item.file_id, anchor="requisitos"),
        office=item.file.office.name,
        since=_day(item.uploaded) if item.uploaded else today,
        rule=item.rule,
    )


def documents_to_review(user: User, today: date) -> list[PendingItem]:
    """Uploaded documents awaiting review, for the roles that may review them in the file's office
    (`requirement_review`); never the uploader's own upload (one captures, another checks)."""
    if not user.is_active or user.role not in FILE.roles("requirement_review"):
        return []
    last = DocumentUpload.objects.filter(item=OuterRef("pk")).order_by("-uploaded_at", "-id")
    items = (
        RequirementItem.objects.filter(
            file__in=file_list_for_user(user=user).exclude(status__in=TERMINAL),
            status=RequirementStatus.UPLOADED,
        )
        .annotate(
            uploader=Subquery(last.values("uploaded_by")[:1]),
            uploaded=Subquery(last.values("uploaded_at")[:1]),
        )
        .exclude(uploader=user.pk)
        .select_related("file__applicant", "file__office")
        .order_by("pk")
    )
    return [
        _requirement_item(
            item,
            "doc-review",
            f"Revisar documento «{item.short_name}» del expediente {item.file.folio}",
            today,
        )
        for item in items
    ]


def legal_opinions(user: User) -> Any:
    return RequirementItem.objects.filter(
        file__in=file_list_for_user(user=user).exclude(status__in=TERMINAL),
        legal_review=True,
        status__in=[RequirementStatus.UPLOADED, RequirementStatus.APPROVED],
        legal_opinion="",
    )


def legal_opinions_due(user: User, today: date) -> list[PendingItem]:
    """Legal documents awaiting the legal area's opinion (dictamen jurídico)."""
    if not user.is_active or user.role not in FILE.roles("requirement_legal_opinion"):
        return []
    last = DocumentUpload.objects.filter(item=OuterRef("pk")).order_by("-uploaded_at", "-id")
    items = (
        legal_opinions(user)
        .annotate(uploaded=Subquery(last.values("uploaded_at")[:1]))
        .select_related("file__applicant", "file__office")
        .order_by("pk")
    )
    return [
        _requirement_item(
            item,
            "legal-opinion",
            f"Dictamen jurídico del documento «{item.short_name}» del expediente {item.file.folio}",
            today,
        )
        for item in items
    ]


def files_missing_requirements(user: User, today: date) -> list[PendingItem]:
    """The analyst's captured files: the authorization requirements still missing, or all met and the
    file waiting to be declared complete (which starts the attention clock)."""
    if not _regional(user):
        return []
    files = (
        _assigned(file_list_for_user(user=user), user)
        .filter(status=FileStatus.CAPTURED)
        .prefetch_related("requirements")
        .order_by("pk")
    )
    out = []
    for file in files:
        missing = [
            r
            for r in file.requirements.all()
            if r.stage == Stage.AUTHORIZATION.value and not requirement_is_met(r, today)
        ]
        title = (
            f"Completar {len(missing)} requisito{'s' if len(missing) != 1 else ''} del expediente {file.folio}"
            if missing
            else f"Declarar requisitos completos del expediente {file.folio}"
        )
        out.append(
            PendingItem(
                key=f"file-requirements:{file.pk}",
                kind="file-requirements",
                title=title,
                detail=file.applicant.name,
                url=_url("file", file.pk, anchor="requisitos"),
                office=file.office.name,
                since=_day(file.created_at),
                assignee=user.username,
                assignee_name=person(user),
                rule=missing[0].rule if missing else "",
            )
        )
    return out


ATTENTION_STEP = {
    FileStatus.REQUIREMENTS_COMPLETE: "Iniciar el análisis del expediente {folio}",
    FileStatus.UNDER_ANALYSIS: "Proponer a comité el expediente {folio}",
    FileStatus.RETURNED: "Atender las observaciones del comité al expediente {folio}",
}


def files_in_attention(user: User, today: date) -> list[PendingItem]:
    """The analyst's files after requirements complete and before the committee: the attention clock (R-8,
    or the program's answer time) runs, in business days, where it applies."""
    if not _regional(user):
        return []
    files = (
        _assigned(file_list_for_user(user=user), user)
        .filter(status__in=list(ATTENTION_STEP))
        .order_by("attention_deadline", "pk")
    )
    out = []
    for file in files:
        clock = attention_clock(file, today)
        out.append(
            PendingItem(
                key=f"file-attention:{file.pk}:{file.status}",
                kind="file-attention",
                title=ATTENTION_STEP[FileStatus(file.status)].format(folio=file.folio),
                detail=file.applicant.name
                + ("" if clock.applies else " — el tiempo de atención no aplica a este monto"),
                url=_url("file", file.pk),
                office=file.office.name,
                since=file.requirements_complete_on or _day(file.created_at),
                assignee=user.username,
                assignee_name=person(user),
                due=clock.deadline if clock.applies else None,
                rule=_attention_rule(file) if clock.applies else "",
                days_left=clock.remaining_business_days if clock.applies else None,
                business_days=True,
            )
        )
    return out


def files_to_sign_off_queue(user: User, today: date) -> list[PendingItem]:
    """Proposed files of the manager's office that wait for the regional manager's sign-off before a
    committee's agenda (four eyes: never the manager's own); the attention clock keeps running."""
    out = []
    for file in files_to_sign_off(user):
        clock = attention_clock(file, today)
        who = person(file.proposed_by) if file.proposed_by else ""
        out.append(
            PendingItem(
                key=f"file-signoff:{file.pk}:{file.proposed_at:%Y%m%d%H%M%S}"
                if file.proposed_at
                else f"file-signoff:{file.pk}",
                kind="file-signoff",
                title=f"Dar visto bueno al expediente {file.folio} para comité",
                detail=f"{file.applicant.name}" + (f" — propuesto por {who}" if who else ""),
                url=_url("file", file.pk),
                office=file.office.name,
                since=_day(file.proposed_at) if file.proposed_at else _day(file.updated_at),
                due=clock.deadline if clock.applies else None,
                rule=_attention_rule(file) if clock.applies else "",
                days_left=clock.remaining_business_days if clock.applies else None,
                business_days=True,
            )
        )
    return out


def files_to_formalize(user: User, today: date) -> list[PendingItem]:
    """Authorized files awaiting the contract's signature by the legal area, within the authorization's
    validity (Rules 11)."""
    if not user.is_active or user.role not in FILE.roles("formalize"):
        return []
    files = (
        file_list_for_user(user=user)
        .filter(status=FileStatus.AUTHORIZED)
        .order_by("authorization_expires_on")
    )
    return [
        PendingItem(
            key=f"file-formalize:{file.pk}",
            kind="file-formalize",
            title=f"Formalizar el contrato del expediente {file.folio}",
            detail=f"{file.applicant.name} — autorización del {file.authorized_on:%d/%m/%Y}"
            if file.authorized_on
            else file.applicant.name,
            url=_url("file", file.pk),
            office=file.office.name,
            since=file.authorized_on or _day(file.updated_at),
            due=file.authorization_expires_on,
            rule=file_ruleset(file).authorization.rule,
            days_left=_calendar_left(file.authorization_expires_on, today),
        )
        for file in files
    ]


def files_to_release(user: User, today: date) -> list[PendingItem]:
    """The analyst's formalized files: the pre-disbursement documents, then the release for disbursement."""
    if not _regional(user):
        return []
    files = _assigned(file_list_for_user(user=user), user).filter(status=FileStatus.FORMALIZED).order_by("pk")
    return [
        PendingItem(
            key=f"file-release:{file.pk}",
            kind="file-release",
            title=f"Liberar para disposición el expediente {file.folio}",
            detail=f"{file.applicant.name} — contrato {file.contract_number}",
            url=_url("file", file.pk, anchor="requisitos"),
            office=file.office.name,
            since=file.contract_signed_on or _day(file.updated_at),
            assignee=user.username,
            assignee_name=person(user),
        )
        for file in files
    ]


# ------------------------------------------------------------------------------------------- committees


def _open_session_url(committee: str, user: User) -> str:
    """Where the secretary puts a matter on an agenda: the next open session of the committee, else the
    page that convenes one."""
    session = (
        CommitteeSession.objects.filter(
            committee=committee, secretary=user, status__in=[SessionStatus.CONVENED, SessionStatus.HELD]
        )
        .order_by("date", "pk")
        .first()
    )
    return _url("session", session.pk) if session else _url("session_new")


def matters_for_agenda(user: User, today: date) -> list[PendingItem]:
    """Files proposed, and requests on guarantees and on disbursed credits, routed to a committee the
    secretary serves and on no agenda yet. A file's attention clock keeps running until it is resolved."""
    if not user.is_active or user.role not in SESSION.roles("agenda_add"):
        return []
    out = []
    for code in user.committees or []:
        name = committee_name(code, today)
        url = _open_session_url(code, user)
        for file in agenda_pending_files(code, user=user):
            clock = attention_clock(file, today)
            out.append(
                PendingItem(
                    key=f"agenda-file:{file.pk}",
                    kind="agenda",
                    title=f"Incluir en el orden del día el expediente {file.folio}",
                    detail=f"{file.applicant.name} — {name}",
                    url=url,
                    office=file.office.name,
                    since=_day(file.proposed_at) if file.proposed_at else _day(file.updated_at),
                    due=clock.deadline if clock.applies else None,
                    rule=_attention_rule(file) if clock.applies else "",
                    days_left=clock.remaining_business_days if clock.applies else None,
                    business_days=True,
                )
            )
        for change in agenda_pending_guarantee_changes(code, user=user):
            file = change.guarantee.file
            out.append(
                PendingItem(
                    key=f"agenda-guarantee:{change.pk}",
                    kind="agenda",
                    title=f"Incluir en el orden del día la {change.get_kind_display().lower()} de garantía "
                    f"del expediente {file.folio}",
                    detail=f"{file.applicant.name} — {name}",
                    url=url,
                    office=file.office.name if file.office_id else "",
                    since=_day(change.requested_at),
                )
            )
        for request in agenda_pending_loan_requests(code, user=user):
            out.append(
                PendingItem(
                    key=f"agenda-request:{request.pk}",
                    kind="agenda",
                    title=f"Incluir en el orden del día la {request.get_kind_display().lower()} del crédito "
                    f"{request.loan_number}",
                    detail=f"{request.file.applicant.name} — {name}",
                    url=url,
                    office=request.file.office.name,
                    since=_day(request.requested_at),
                )
            )
    return out


def sessions_to_run(user: User, today: date) -> list[PendingItem]:
    """The secretary's own open sessions: to hold on their date, then to resolve and close."""
    if not user.is_active or user.role not in SESSION.roles("hold"):
        return []
    sessions = CommitteeSession.objects.filter(
        secretary=user, status__in=[SessionStatus.CONVENED, SessionStatus.HELD]
    ).order_by("date", "pk")
    out = []
    for session in sessions:
        if session.status == SessionStatus.CONVENED:
            out.append(
                PendingItem(
                    key=f"session-hold:{session.pk}",
                    kind="session",
                    title=f"Celebrar la sesión {session.number}",
                    detail=f"{committee_name(session.committee, session.date)} — convocada para el "
                    f"{session.date:%d/%m/%Y} en {session.place}",
                    url=_url("session", session.pk),
                    office="",
                    since=_day(session.created_at),
                    due=session.date,
                    days_left=_calendar_left(session.date, today),
                )
            )
            continue
        unresolved = session.items.filter(resolution__isnull=True).count()
        out.append(
            PendingItem(
                key=f"session-close:{session.pk}",
                kind="session",
                title=(
                    f"Registrar {unresolved} resolución{'es' if unresolved != 1 else ''} y cerrar la sesión "
                    f"{session.number}"
                    if unresolved
                    else f"Cerrar la sesión {session.number}"
                ),
                detail=committee_name(session.committee, session.date),
                url=_url("session", session.pk),
                office="",
                since=_day(session.held_at) if session.held_at else session.date,
            )
        )
    return out


def _matter(item: AgendaItem) -> tuple[str, CreditFile, set[int]]:
    """The matter's words, its file and who prepared it (they may not vote on it)."""
    if item.file_id:
        assert item.file is not None
        file = item.file
        return (
            f"expediente {file.folio} ({file.applicant.name})",
            file,
            {pk for pk in (file.created_by_id, file.proposed_by_id) if pk},
        )
    if item.loan_request_id:
        assert item.loan_request is not None
        request = item.loan_request
        return (
            f"{request.get_kind_display().lower()} del crédito {request.loan_number} "
            f"(expediente {request.file.folio})",
            request.file,
            {request.requested_by_id},
        )
    assert item.guarantee_change is not None
    change = item.guarantee_change
    file = change.guarantee.file
    return (
        f"{change.get_kind_display().lower()} de garantía del expediente {file.folio}",
        file,
        {change.requested_by_id},
    )


def votes_to_cast(user: User, today: date) -> list[PendingItem]:
    """«Su voto está pendiente»: the unresolved matters of a held session the member attends, of a committee
    they belong to, on which they have not voted and which they did not prepare."""
    if not user.is_active or user.role not in SESSION.roles("vote"):
        return []
    sessions = session_list_for_user(user=user).filter(status=SessionStatus.HELD, members_present=user)
    items = (
        AgendaItem.objects.filter(session__in=sessions, resolution__isnull=True)
        .exclude(pk__in=Vote.objects.filter(member=user).values("item_id"))
        .select_related(
            "session",
            "file__applicant",
            "file__office",
            "loan_request__file__applicant",
            "loan_request__file__office",
            "guarantee_change__guarantee__file__applicant",
            "guarantee_change__guarantee__file__office",
        )
        .order_by("session__date", "session_id", "order")
    )
    out = []
    for item in items:
        session = item.session
        if not is_committee_member(user, session.committee):
            continue
        words, file, makers = _matter(item)
        if user.pk in makers:
            continue
        out.append(
            PendingItem(
                key=f"vote:{item.pk}",
                kind="vote",
                title=f"Su voto está pendiente: {words}",
                detail=f"Sesión {session.number}, asunto {item.order} — "
                f"{committee_name(session.committee, session.date)}",
                url=_url("session", session.pk, anchor=f"asunto-{item.pk}"),
                office=file.office.name,
                since=_day(session.held_at) if session.held_at else session.date,
            )
        )
    return out


# -------------------------------------------------------------------------------------------- servicing


def _mine(loans: Any, user: User) -> Any:
    return loans.filter(Q(file__created_by=user) | Q(file__isnull=True, created_by=user))


def loans_to_disburse(user: User, today: date) -> list[PendingItem]:
    """The analyst's files released for disbursement without a loan yet, and loans opened and not yet
    disbursed («por disponer»)."""
    if not _regional(user):
        return []
    out = []
    files = (
        _assigned(file_list_for_user(user=user), user)
        .filter(status=FileStatus.READY_TO_DISBURSE, loan__isnull=True)
        .order_by("pk")
    )
    for file in files:
        out.append(
            PendingItem(
                key=f"file-loan:{file.pk}",
                kind="disburse",
                title=f"Dar de alta el crédito del expediente {file.folio}",
                detail=file.applicant.name,
                url=_url("file", file.pk),
                office=file.office.name,
                since=_day(file.updated_at),
                assignee=user.username,
                assignee_name=person(user),
            )
        )
    loans = (
        _mine(loan_list_for_user(user=user), user)
        .filter(status=LoanStatus.PENDING)
        .exclude(disbursement_orders__status=OrderStatus.CAPTURED)  # captured: it waits for its release
        .order_by("pk")
    )
    for loan in loans:
        out.append(
            PendingItem(
                key=f"loan-disburse:{loan.pk}",
                kind="disburse",
                title=f"Registrar la ministración del crédito {loan.number}",
                detail=loan.applicant.name,
                url=_url("loan", loan.pk),
                office=loan.office.name,
                since=_day(loan.created_at),
                assignee=user.username,
                assignee_name=person(user),
            )
        )
    return out


def disbursement_orders_to_release(user: User, today: date) -> list[PendingItem]:
    """Disbursement orders captured by someone else that this user may release (four eyes: the one who
    captures does not release; `servicing.release`)."""
    return [
        PendingItem(
            key=f"order-release:{order.pk}",
            kind="order-release",
            title=f"Liberar la ministración de {format_money(order.amount, order.loan.currency)} del crédito "
            f"{order.loan.number}",
            detail=f"{order.loan.applicant.name} — capturada por {person(order.captured_by)}, fecha valor "
            f"{order.value_date:%d/%m/%Y}",
            url=_url("loan", order.loan.pk, anchor="autorizaciones"),
            office=order.loan.office.name,
            since=_day(order.captured_at),
        )
        for order in disbursements_to_release(user).select_related("loan__office").order_by("captured_at")
    ]


def reversal_requests_to_approve(user: User, today: date) -> list[PendingItem]:
    """Payment reversals requested by someone else that this user may approve (four eyes)."""
    return [
        PendingItem(
            key=f"reversal-approve:{row.pk}",
            kind="reversal-approve",
            title=f"Aprobar la reversa del pago del {row.payment.value_date:%d/%m/%Y} del crédito "
            f"{row.loan.number}",
            detail=f"{row.loan.applicant.name} — solicitada por {person(row.requested_by)}: {row.reason}",
            url=_url("loan", row.loan.pk, anchor="autorizaciones"),
            office=row.loan.office.name,
            since=_day(row.requested_at),
        )
        for row in reversals_to_approve(user).select_related("loan__office").order_by("requested_at")
    ]


def _installments(user: User) -> Any:
    loans = _mine(loan_list_for_user(user=user), user).filter(status=LoanStatus.ACTIVE)
    return Installment.objects.filter(loan__in=loans, version__active=True).exclude(
        status=InstallmentStatus.PAID
    )


def payments_due(user: User, today: date) -> list[PendingItem]:
    """Instalments of the analyst's active loans payable within the week (`PAYMENTS_AHEAD_DAYS`)."""
    if not _regional(user):
        return []
    rows = (
        _installments(user)
        .filter(payable__gte=today, payable__lt=today + timedelta(days=PAYMENTS_AHEAD_DAYS))
        .select_related("loan__applicant", "loan__office")
        .order_by("payable", "pk")
    )
    return [
        PendingItem(
            key=f"payment:{row.pk}",
            kind="payment",
            title=f"Pago de la amortización {row.number} del crédito {row.loan.number}",
            detail=f"{row.loan.applicant.name} — fecha de pago {row.payable:%d/%m/%Y}",
            url=_url("loan", row.loan_id, anchor="pagos"),
            office=row.loan.office.name,
            since=row.start,
            assignee=user.username,
            assignee_name=person(user),
            due=row.payable,
            days_left=_calendar_left(row.payable, today),
        )
        for row in rows
    ]


def loans_late(user: User, today: date) -> list[PendingItem]:
    """The analyst's active loans with an instalment past its payment date and not fully paid: days late
    counted from the oldest one."""
    if not _regional(user):
        return []
    oldest = dict(
        _installments(user)
        .filter(payable__lt=today)
        .order_by()
        .values("loan_id")
        .annotate(first=Min("payable"))
        .values_list("loan_id", "first")
    )
    loans = loan_list_for_user(user=user).filter(pk__in=list(oldest)).order_by("pk")
    out = []
    for loan in loans:
        first = oldest[loan.pk]
        late = (today - first).days
        out.append(
            PendingItem(
                key=f"late:{loan.pk}",
                kind="late",
                title=f"Crédito {loan.number} con {late} día{'s' if late != 1 else ''} de atraso",
                detail=f"{loan.applicant.name} — amortización exigible desde el {first:%d/%m/%Y}",
                url=_url("loan", loan.pk),
                office=loan.office.name,
                since=first,
                assignee=user.username,
                assignee_name=person(user),
                due=first,
                days_left=-late,
            )
        )
    return out


def obligation_item(task: LoanTask, today: date, assignee: User | None) -> PendingItem:
    return PendingItem(
        key=f"obligation:{task.pk}",
        kind="obligation",
        title=f"{task.get_kind_display()} — crédito {task.loan.number}",
        detail=task.loan.applicant.name,
        url=_url("loan", task.loan_id, anchor="obligaciones"),
        office=task.loan.office.name,
        since=_day(task.loan.first_disbursed_on or task.due_on),
        assignee=assignee.username if assignee else "",
        assignee_name=person(assignee),
        due=task.due_on,
        rule=task.rule,
        days_left=_calendar_left(task.due_on, today),
    )


def obligations_due(user: User, today: date) -> list[PendingItem]:
    """The post-disbursement obligations of the analyst's loans, overdue or due within
    `OBLIGATIONS_AHEAD_DAYS` (13, 16.3–16.5); their rule and due date come from the loan's rule set."""
    if not _regional(user):
        return []
    tasks = (
        tasks_for_user(user=user)
        .filter(status=TaskStatus.PENDING, due_on__lte=today + timedelta(days=OBLIGATIONS_AHEAD_DAYS))
        .filter(Q(loan__file__created_by=user) | Q(loan__file__isnull=True, loan__created_by=user))
        .select_related("loan__office")
        .order_by("due_on", "pk")
    )
    return [obligation_item(task, today, user) for task in tasks]


SOURCES: list[Source] = [
    documents_to_review,
    legal_opinions_due,
    files_missing_requirements,
    files_in_attention,
    files_to_sign_off_queue,
    matters_for_agenda,
    sessions_to_run,
    votes_to_cast,
    files_to_formalize,
    files_to_release,
    loans_to_disburse,
    disbursement_orders_to_release,
    reversal_requests_to_approve,
    payments_due,
    loans_late,
    obligations_due,
]
"""Every queue, in the order its kind is listed; `pending_items` sorts the union by urgency."""


def source_register(source: Source) -> None:
    """Add a queue kept by another module (a one-line addition for a new kind). Adding it twice is harmless."""
    if source not in SOURCES:
        SOURCES.append(source)


def sources_run(user: User, today: date, sources: Iterable[Source] | None = None) -> list[PendingItem]:
    items: list[PendingItem] = []
    for source in SOURCES if sources is None else sources:
        items.extend(source(user, today))
    return items
