"""Loan pages: the list, the loan page with its sections and small HTMX forms, and the account statement.

Every action posts to a view that validates the input, calls one servicing service and re-renders the
section it changed (the other sections follow out-of-band: a payment moves the position, the schedule and
the header at once). Without JavaScript the same views redirect back to the page, or show it with the
error. The loan page reads a fixed number of queries whatever the loan's age: the active schedule, the
disbursements, payments and tasks once each, the position from the loan row; never the journal.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.cache import caches
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeData, SafeString, mark_safe

from filon.accounts.models import RegionalOffice, Role, User
from filon.committees.selectors import committee_name
from filon.core.allocation import Concept
from filon.core.calendar import today_mx
from filon.core.money import format_money
from filon.documents import pdf
from filon.documents.services import document_issued
from filon.errors import DomainError, NotFound, ValidationFailed
from filon.idempotency.services import replayed
from filon.ledger import chart
from filon.origination.models import FileGuarantee, GuaranteeStatus, LoanRequest
from filon.origination.selectors import file_get_for_user
from filon.origination.services import LOAN_REQUEST_OPEN, loan_request_withdraw
from filon.platform.pagecache import CSRF_MARK, loan_kept, marks_fill
from filon.platform.search import search
from filon.servicing.duties import FOUR_EYES, RELEASERS
from filon.servicing.lifecycle import LOAN
from filon.servicing.models import (
    Classification,
    Disbursement,
    DisbursementOrder,
    Installment,
    InstallmentStatus,
    Loan,
    LoanStatus,
    LoanTask,
    OrderStatus,
    Payment,
    PaymentStatus,
    ReversalRequest,
    ReversalStatus,
    ScheduleVersion,
    TaskKind,
    TaskStatus,
    WriteOff,
)
from filon.servicing.payments import PREPAID_PRINCIPAL, UNAPPLIED, payment_apply
from filon.servicing.payoff import guarantee_release_record, loan_guarantees, payoff_summary
from filon.servicing.release import (
    disbursement_cancel,
    disbursement_capture,
    disbursement_release,
    order_get,
    reversal_approve,
    reversal_reject,
    reversal_request,
    reversal_request_get,
)
from filon.servicing.restructuring import restructuring_apply, restructuring_propose
from filon.servicing.selectors import (
    LoanMark,
    loan_get_for_user,
    loan_list_for_user,
    loan_mark_for_user,
    loan_payoff,
    loan_position,
    loan_positions,
    loan_requests_for_loan,
)
from filon.servicing.services import REGIONAL, commission_pay, loan_create_from_file
from filon.servicing.statements import Movement, loan_statement_kept
from filon.servicing.tasks import task_complete
from filon.servicing.writeoff import (
    recovery_record,
    write_off_apply,
    write_off_request_get,
    write_off_requests,
    written_off_outstanding,
)
from filon.web.forms import KEY_MARK, new_key
from filon.web.http import cite, is_htmx, place_errors, search_query, section_response, web_view
from filon.web.loans.forms import (
    ApplyForm,
    CommissionForm,
    DeclineForm,
    DisbursementForm,
    GuaranteeReleaseForm,
    PaymentForm,
    RecoveryForm,
    ReleaseForm,
    RestructuringForm,
    ReverseForm,
    TaskCompleteForm,
    WithdrawRequestForm,
    WriteOffForm,
    statement_period,
)
from filon.web.templatetags.filon_web import fecha

ZERO = Decimal(0)
PAGE_SIZE = 50
RECENT_PAYMENTS = 24  # the loan page shows the latest; the statement has them all
MOVEMENTS_PAGE_SIZE = 50
SECTIONS = ("header", "schedule", "disbursements", "commission", "payments", "tasks")
ANCHORS = {
    "header": "credito",
    "schedule": "tabla",
    "disbursements": "ministraciones",
    "commission": "comision",
    "payments": "pagos",
    "tasks": "obligaciones",
}

# How a payment's allocation reads in the payments table: engine concepts grouped into columns.
ALLOCATION_COLUMNS = {
    Concept.COSTS.value: "costs",
    Concept.COMMISSIONS.value: "costs",
    Concept.MORATORIUM_INTEREST.value: "moratorium",
    Concept.OVERDUE_INTEREST.value: "interest",
    Concept.CURRENT_INTEREST.value: "interest",
    Concept.OVERDUE_PRINCIPAL.value: "principal",
    Concept.CURRENT_PRINCIPAL.value: "principal",
    PREPAID_PRINCIPAL: "prepaid",
    UNAPPLIED: "held",
}


# --------------------------------------------------------------------------------------------- list


def _office_choices() -> list[RegionalOffice]:
    return list(RegionalOffice.objects.order_by("name"))


@dataclass(frozen=True)
class LoanRow:
    loan: Loan
    principal: Decimal
    interest: Decimal
    moratorium: Decimal
    unapplied: Decimal


def _balances(position: dict[str, Decimal]) -> dict[str, Decimal]:
    """The position's ledger accounts (debit positive) as the four figures a person reads."""
    return {
        "principal": position.get(chart.CARTERA_VIGENTE, ZERO) + position.get(chart.CARTERA_VENCIDA, ZERO),
        "interest": position.get(chart.INTERESES_DEVENGADOS, ZERO)
        + position.get(chart.INTERESES_VENCIDOS, ZERO),
        "moratorium": position.get(chart.INTERESES_MORATORIOS, ZERO),
        "unapplied": -position.get(chart.PAGOS_POR_APLICAR, ZERO),
    }


@web_view()
def loan_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    loans = loan_list_for_user(user=user)
    filters: dict[str, str] = {}
    status = request.GET.get("estado", "")
    if status in LoanStatus.values:
        loans = loans.filter(status=status)
        filters["estado"] = status
    classification = request.GET.get("clasificacion", "")
    if classification in Classification.values:
        loans = loans.filter(classification=classification)
        filters["clasificacion"] = classification
    offices = [] if user.is_regional else _office_choices()
    office = request.GET.get("gerencia", "")
    if offices and office in {o.code for o in offices}:
        loans = loans.filter(office__code=office)
        filters["gerencia"] = office
    query = search_query(request)
    if query:
        loans = search(loans, query, "number", "applicant__name")
    page = Paginator(loans.order_by("number", "pk"), PAGE_SIZE).get_page(request.GET.get("pagina"))
    positions = loan_positions([loan.pk for loan in page.object_list])
    rows = [LoanRow(loan, **_balances(positions.get(loan.pk, {}))) for loan in page.object_list]
    return render(
        request,
        "web/loans/list.html",
        {
            "page": page,
            "rows": rows,
            "q": query,
            "estado": status if "estado" in filters else "",
            "clasificacion": filters.get("clasificacion", ""),
            "gerencia": filters.get("gerencia", ""),
            # the pager keeps q and estado itself; the other filters ride along here
            "pager_query": urlencode({k: v for k, v in filters.items() if k != "estado"}),
            "statuses": LoanStatus.choices,
            "classifications": Classification.choices,
            "offices": offices,
        },
    )


# ------------------------------------------------------------------------------------ loan creation


@web_view(("POST",))
def loan_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Open the loan of a file ready to disburse; a refusal shows its message and rule (web_view)."""
    file = file_get_for_user(user=request.user, file_id=pk)
    loan = loan_create_from_file(user=request.user, file=file)
    messages.success(request, f"Se dio de alta el crédito {loan.number}.")
    url = reverse("web:loan", args=[loan.pk])
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# ---------------------------------------------------------------------------------------- loan page


def can_act(user: User, loan: Loan | LoanMark) -> bool:
    """Whether the page offers this user the loan's forms (the services still refuse on their own)."""
    return user.role in REGIONAL and user.office_id == loan.office_id


def _paid_on(payments: Iterable[Any]) -> dict[int, date]:
    """The value date of the latest applied payment that went to each installment number."""
    found: dict[int, date] = {}
    for payment in payments:
        if payment.status != PaymentStatus.APPLIED:
            continue
        for piece in payment.allocation:
            number = piece.get("installment")
            if number is not None and piece.get("concept") in ALLOCATION_COLUMNS:
                found[number] = max(found.get(number, payment.value_date), payment.value_date)
    return found


# The long tables of the page (120 installments twice, the latest payments) are built here rather than in a
# template loop: one formatting call per cell and one autoescaping `_html` per row, instead of the
# template engine's variable look-ups and filter calls per cell. Every value is escaped; the markup is the
# templates' own (headers and captions stay in the templates).
def _html(template: str, *values: Any) -> SafeString:
    """`format_html` for the hot rows: every value escaped unless already safe, without the lazy-string
    wrapper of Django's `escape` (a tenth of the cost per value)."""
    return SafeString(
        template.format(*(v if isinstance(v, SafeData) else html.escape(str(v)) for v in values))
    )


def _html_rows(sep: str, template: str, rows: Iterable[Iterable[Any]]) -> SafeString:
    """`format_html_join` with `_html`: the rows of a table body."""
    return SafeString(sep.join(_html(template, *row) for row in rows))


PROJECTED_MARK = mark_safe(' <abbr title="con tasa base proyectada">*</abbr>')
OVERDUE_CLASS = mark_safe(' class="overdue"')
INSTALLMENT_STATUS = dict(InstallmentStatus.choices)
PAYMENT_STATUS = dict(PaymentStatus.choices)


def _schedule_tables(rows: list[Any], paid_on: dict[int, date], today: date, currency: str) -> dict[str, Any]:
    """The bodies of the projected and the actual schedule tables, row by row in installment order."""
    projected = []
    actual = []
    for row in rows:
        principal, interest = row.principal, row.interest
        paid = row.principal_paid + row.interest_paid + row.moratorium_paid
        when = paid_on.get(row.number) if paid else None
        payable = fecha(row.payable)
        if row.status == InstallmentStatus.PAID:
            days = max(0, ((when or row.payable) - row.payable).days)
            late = False
        else:
            days = max(0, (today - row.payable).days)
            late = days > 0
        projected.append(
            (
                row.number,
                fecha(row.due),
                payable,
                format_money(row.opening_balance, currency),
                format_money(principal, currency),
                format_money(interest, currency),
                PROJECTED_MARK if row.projected else "",
                format_money(principal + interest, currency),
                format_money(row.opening_balance - principal, currency),
            )
        )
        actual.append(
            (
                OVERDUE_CLASS if late else "",
                row.number,
                payable,
                format_money(row.principal_paid, currency),
                format_money(row.interest_paid, currency),
                format_money(row.moratorium_paid, currency),
                fecha(when),
                INSTALLMENT_STATUS.get(row.status, row.status),
                days,
            )
        )
    return {
        "count": len(rows),
        "projected": _html_rows(
            "\n",
            '<tr><td class="num">{}</td><td>{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td>'
            '<td class="num">{}{}</td><td class="num">{}</td><td class="num">{}</td></tr>',
            projected,
        ),
        "actual": _html_rows(
            "\n",
            '<tr{}><td class="num">{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td>'
            '<td class="num">{}</td><td>{}</td><td>{}</td><td class="num">{}</td></tr>',
            actual,
        ),
    }


PAYMENT_COLUMNS = ("costs", "moratorium", "interest", "principal", "prepaid", "held")


def _payment_tables(payments: list[Any], loan_pk: int) -> dict[str, SafeString]:
    """The payments table's body (each row with its receipt's link) and the list of how each payment was
    applied, newest first."""
    from filon.servicing.payments import CONCEPT_LABELS

    rows = []
    applied = []
    for payment in reversed(payments):  # newest first
        currency = payment.currency
        columns = dict.fromkeys(PAYMENT_COLUMNS, ZERO)
        pieces = []
        for piece in payment.allocation:
            amount = Decimal(piece["amount"])
            columns[ALLOCATION_COLUMNS.get(piece["concept"], "costs")] += amount
            number = piece.get("installment")
            pieces.append(
                (
                    CONCEPT_LABELS.get(piece["concept"], piece["concept"]),
                    _html(" (amortización {})", number) if number else "",
                    format_money(amount, currency),
                )
            )
        value_date = fecha(payment.value_date)
        total = format_money(payment.amount, currency)
        when = (
            _html("{}<br><small>anticipado, aviso del {}</small>", value_date, fecha(payment.notified_on))
            if payment.is_prepayment
            else value_date
        )
        status = (
            _html('<span class="badge danger">Reversado</span><br><small>{}</small>', payment.reversal_reason)
            if payment.status == PaymentStatus.REVERSED
            else PAYMENT_STATUS.get(payment.status, payment.status)
        )
        receipt = reverse("web:payment_receipt_pdf", args=[loan_pk, payment.pk])
        rows.append(
            (when, total, *(format_money(columns[c], currency) for c in PAYMENT_COLUMNS), status, receipt)
        )
        applied.append((value_date, total, _html_rows("; ", "{}{} {}", pieces)))
    return {
        "rows": _html_rows(
            "\n",
            '<tr><td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
            '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
            '<td>{}</td><td><a href="{}" download>Recibo (PDF)</a></td></tr>',
            rows,
        ),
        "applied": _html_rows("\n", "<li><strong>{}, {}:</strong> {}</li>", applied),
    }


def _due_today(rows: list[Any], today: date) -> Decimal:
    """What is payable today: the unpaid part of the installments whose payment date has come (as the
    account statement computes it)."""
    return sum(
        (
            (r.principal - r.principal_paid)
            + (r.interest - r.interest_paid)
            + (r.moratorium_accrued - r.moratorium_paid)
            for r in rows
            if r.status != InstallmentStatus.PAID and r.payable <= today
        ),
        ZERO,
    )


BLOCKS_DRAWDOWNS = mark_safe("<br><small>si vence sin cumplirse, bloquea disposiciones</small>")
OVERDUE_BADGE = mark_safe(' <strong class="badge danger">vencida</strong>')
TASK_KIND = dict(TaskKind.choices)
TASK_STATUS = dict(TaskStatus.choices)


def _task_cells(task: LoanTask, overdue: bool) -> str:
    """A task row's cells but the last (its form): what, the rule, when due and what was done."""
    done = ""
    if task.done_on:
        by = task.done_by
        done = _html(
            "<br><small>el {}{}</small>",
            fecha(task.done_on),
            _html(" por {}", by.get_full_name() or by.username) if by is not None else "",
        )
    return _html(
        "<td>{}{}</td><td>{}</td><td>{}{}</td><td>{}{}{}</td>",
        TASK_KIND.get(task.kind, task.kind),
        BLOCKS_DRAWDOWNS if task.blocks_drawdowns else "",
        cite(task.rule),
        fecha(task.due_on),
        OVERDUE_BADGE if overdue else "",
        TASK_STATUS.get(task.status, task.status),
        done,
        _html("<br><small>{}</small>", task.note) if task.note else "",
    )


def _task_forms(
    tasks: list[LoanTask], acting: bool, overrides: dict[int, forms.Form], today: date
) -> list[dict[str, Any]]:
    rows = []
    for task in tasks:
        bound = overrides.get(task.pk)
        pending = task.status == TaskStatus.PENDING
        offered = acting and pending
        overdue = pending and task.due_on < today
        form = (bound or TaskCompleteForm(prefix=f"t{task.pk}")) if offered else None
        # a refusal whose form is not offered any more (the task was met meanwhile) shows on the row
        errors = list(bound.non_field_errors()) if bound is not None and not offered else []
        cells = _task_cells(task, overdue)
        rows.append(
            {
                "task": task,
                "overdue": overdue,
                "cells": cells,
                "form": form,
                "open": bound is not None,
                "errors": errors,
                # most rows (met obligations) have nothing to act on: the whole row, built here
                "row": None
                if form is not None or errors
                else _html(
                    '<tr id="obligacion-{}"{}>{}<td></td></tr>',
                    task.pk,
                    OVERDUE_CLASS if overdue else "",
                    cells,
                ),
            }
        )
    return rows


# What the page reads of the installments and the payments: plain rows, not model instances (a ten-year loan
# has 120 of each).
PAYMENT_FIELDS = (
    "pk",
    "value_date",
    "amount",
    "currency",
    "is_prepayment",
    "notified_on",
    "allocation",
    "status",
    "reversal_reason",
)
SCHEDULE_FIELDS = (
    "number",
    "due",
    "payable",
    "projected",
    "opening_balance",
    "principal",
    "interest",
    "principal_paid",
    "interest_paid",
    "moratorium_paid",
    "moratorium_accrued",
    "status",
)


@dataclass(frozen=True)
class LoanPageParts:
    """What the loan page shows that no user, form or notice changes: computed from the schedule, the payments
    and the ledger, and kept under the loan's revision mark (see `loan_page_parts`)."""

    balances: dict[str, Decimal]
    total_due: Decimal
    active_version: ScheduleVersion | None
    earlier_versions: list[ScheduleVersion]
    schedule: dict[str, Any]
    disbursements: list[Disbursement]
    disbursed: Decimal
    payments: dict[str, SafeString]
    payments_shown: int
    payments_count: int
    latest_payment: Any  # the latest applied payment (a row of PAYMENT_FIELDS), or None
    payoff: Decimal | None  # «saldo para liquidar» on the page's day, for a loan under administration


def _payoff_today(loan: Loan, today: date) -> Decimal | None:
    if loan.status != LoanStatus.ACTIVE or loan.accrued_through is None or today < loan.accrued_through:
        return None
    return loan_payoff(loan=loan, on=today).total


def _compute_parts(loan: Loan, today: date) -> LoanPageParts:
    versions = list(
        ScheduleVersion.objects.filter(loan=loan).annotate(rows=Count("installments")).order_by("-number")
    )
    active = next((v for v in versions if v.active), None)
    rows = (
        list(
            Installment.objects.filter(version=active)
            .order_by("number")
            .values_list(*SCHEDULE_FIELDS, named=True)
        )
        if active is not None
        else []
    )
    disbursements = list(Disbursement.objects.filter(loan=loan).order_by("value_date", "id"))
    payments = list(
        Payment.objects.filter(loan=loan)
        .order_by("value_date", "id")
        .values_list(*PAYMENT_FIELDS, named=True)
    )
    recent = payments[-RECENT_PAYMENTS:]
    return LoanPageParts(
        balances=_balances(loan_position(loan)),
        total_due=_due_today(rows, today),
        active_version=active,
        earlier_versions=[v for v in versions if not v.active],
        schedule=_schedule_tables(rows, _paid_on(payments), today, loan.currency or "MXN"),
        disbursements=disbursements,
        disbursed=sum((d.amount for d in disbursements), ZERO),
        payments=_payment_tables(recent, loan.pk),
        payments_shown=len(recent),
        payments_count=len(payments),
        latest_payment=max(
            (p for p in payments if p.status == PaymentStatus.APPLIED), key=lambda p: p.pk, default=None
        ),
        payoff=_payoff_today(loan, today),
    )


def loan_page_parts(loan: Loan, today: date) -> LoanPageParts:
    """The loan page's parts for this state of the loan on this day. A ten-year loan's parts take a few
    milliseconds of queries and formatting (120 installments twice, 120 payments): they are kept under the
    loan's revision mark (`loan_kept`)."""
    return loan_kept(loan, "page", lambda: _compute_parts(loan, today), today.isoformat())


def _loan_tasks(loan: Loan) -> list[LoanTask]:
    return list(
        LoanTask.objects.filter(loan=loan).select_related("done_by").order_by("status", "due_on", "id")
    )


def loan_context(request: HttpRequest, loan: Loan, **extra: Any) -> dict[str, Any]:
    user = request.user
    today = today_mx()
    acting = can_act(user, loan)
    parts = loan_page_parts(loan, today)
    tasks = _loan_tasks(loan)
    latest = parts.latest_payment
    commission_total = loan.opening_commission + loan.opening_commission_iva
    open_status = loan.status in (LoanStatus.PENDING, LoanStatus.ACTIVE)
    task_overrides = extra.pop("task_forms", {})
    context = {
        "loan": loan,
        "today": today,
        "acting": acting,
        "balances": parts.balances,
        "total_due": parts.total_due,
        "payoff": parts.payoff,
        "active_version": parts.active_version,
        "earlier_versions": parts.earlier_versions,
        "schedule": parts.schedule,
        "disbursements": parts.disbursements,
        "disbursed": parts.disbursed,
        "commission_total": commission_total,
        "payments": parts.payments,
        "payments_shown": parts.payments_shown,
        "payments_count": parts.payments_count,
        "latest_payment": latest,
        "tasks": _task_forms(tasks, acting, task_overrides, today),
        "show_commission_form": acting
        and open_status
        and commission_total > 0
        and not loan.opening_commission_paid_on,
        "show_disbursement_form": acting and open_status,
        "show_payment_form": acting and loan.status == LoanStatus.ACTIVE,
        "show_reverse_form": acting and latest is not None,
        "disbursement_form": extra.pop("disbursement_form", None)
        or DisbursementForm(prefix="ministracion", revolving=loan.is_revolving),
        "commission_form": extra.pop("commission_form", None) or CommissionForm(prefix="comision"),
        "payment_form": extra.pop("payment_form", None) or PaymentForm(prefix="pago"),
        "reverse_form": extra.pop("reverse_form", None) or ReverseForm(prefix="reversa"),
        **extra,
    }
    return context


KEYED_FORMS = ("disbursement_form", "commission_form", "payment_form", "reverse_form")


def _page_body(request: HttpRequest, loan: Loan) -> str:
    """The loan page's body (web/loans/_page.html) for this state of the loan, with the marks in place of the
    CSRF token and the forms' key (`filon.platform.pagecache.marks_fill`). The keyed forms of one rendering
    share its key: each operation keeps its keys apart (`filon.idempotency`)."""
    context = loan_context(request, loan)
    for name in KEYED_FORMS:
        context[name].initial["key"] = KEY_MARK
    context["csrf_token"] = CSRF_MARK
    return render_to_string("web/loans/_page.html", context)


def kept_page_body(request: HttpRequest, mark: LoanMark) -> str:
    """The loan page's body (web/loans/_page.html) with the marks for the CSRF token and the payment key.
    Rendering it takes most of the page's time (seven sections, the forms, the citations): it is kept under
    the loan's revision mark (`loan_kept`) for the day, for whether the user acts on the loan (the forms) and
    for the applicant's and the office's names (rows of their own; a user's name on a met obligation changes
    the loan's revision, `servicing.apps`). Only when it is not kept is the whole loan read."""
    user = request.user
    return loan_kept(
        mark,
        "body",
        lambda: _page_body(request, loan_get_for_user(user=user, loan_id=mark.pk)),
        today_mx().isoformat(),
        can_act(user, mark),
        mark.names,
    )


@web_view()
def loan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The loan page: its kept body, with this view's CSRF token and a fresh key for its forms put in."""
    mark = loan_mark_for_user(user=request.user, loan_id=pk)
    body = marks_fill(
        kept_page_body(request, mark), {CSRF_MARK: lambda: get_token(request), KEY_MARK: new_key}
    )
    authorizations = loan_authorizations(request, mark.pk)
    return render(
        request,
        "web/loans/detail.html",
        {"loan": mark, "content": mark_safe(body), "authorizations": mark_safe(authorizations)},
    )


def _respond(
    request: HttpRequest,
    pk: int,
    section: str,
    *,
    status: int = 200,
    notice: str = "",
    **extra: Any,
) -> HttpResponse:
    """After an action: the section (and the rest out-of-band) for HTMX; otherwise back to the page."""
    loan = loan_get_for_user(user=request.user, loan_id=pk)  # fresh, as the service left it
    return section_response(
        request,
        page="loans",
        url=reverse("web:loan", args=[loan.pk]),
        sections=SECTIONS,
        anchors=ANCHORS,
        section=section,
        context=lambda **values: loan_context(request, loan, **values),
        status=status,
        notice=notice,
        extra=extra,
    )


def _refused(error: DomainError | None) -> int:
    """The status of a form that did not go through: the service's refusal's, else 422 (bad input)."""
    return error.status if error is not None else 422


# ------------------------------------------------------------------------------------------ actions


@web_view(("POST",))
def commission_pay_view(request: HttpRequest, pk: int) -> HttpResponse:
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    form = CommissionForm(request.POST, prefix="comision")
    error = None
    if form.is_valid():
        try:
            paid = commission_pay(
                user=request.user,
                loan=loan,
                value_date=form.cleaned_data["value_date"],
                idempotency_key=form.cleaned_data["key"],
            )
        except DomainError as exc:
            place_errors(form, exc)
            error = exc
        else:
            notice = (
                "Este pago de la comisión ya estaba registrado; no se duplicó."
                if replayed(paid)
                else "Se registró el pago de la comisión por apertura."
            )
            return _respond(request, pk, "commission", notice=notice)
    return _respond(request, pk, "commission", status=_refused(error), commission_form=form)


@web_view(("POST",))
def disbursement_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Capture a disbursement order (nothing posts): another user releases it from the page's
    «Autorizaciones pendientes» (`servicing.release`)."""
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    form = DisbursementForm(request.POST, prefix="ministracion", revolving=loan.is_revolving)
    error = None
    if form.is_valid():
        try:
            order = disbursement_capture(
                user=request.user,
                loan=loan,
                amount=form.cleaned_data["amount"],
                value_date=form.cleaned_data["value_date"],
                drawdown_days=form.cleaned_data.get("drawdown_days"),
                idempotency_key=form.cleaned_data["key"],
            )
        except DomainError as exc:
            place_errors(form, exc)
            error = exc
        else:
            what = "la disposición" if loan.is_revolving else "la ministración"
            notice = (
                f"Esta orden ya estaba capturada ({what} con fecha valor {order.value_date:%d/%m/%Y}); "
                "no se duplicó."
                if replayed(order)
                else f"Se capturó la orden de {what} con fecha valor {order.value_date:%d/%m/%Y}; otra "
                "persona (gerencia regional o Dirección) debe liberarla."
            )
            return _respond(request, pk, "disbursements", notice=notice)
    return _respond(request, pk, "disbursements", status=_refused(error), disbursement_form=form)


@web_view(("POST",))
def payment_apply_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a payment once per form: the key minted with the form makes a second post of the same form
    return the first payment; after success the page shows a fresh form with a new key."""
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    form = PaymentForm(request.POST, prefix="pago")
    error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment = payment_apply(
                user=request.user,
                loan=loan,
                amount=data["amount"],
                value_date=data["value_date"],
                idempotency_key=data["key"],
                prepayment=data["prepayment"],
                notified_on=data["notified_on"],
            )
        except DomainError as exc:
            place_errors(form, exc)
            error = exc
        else:
            notice = (
                f"Este pago ya estaba registrado (fecha valor {payment.value_date:%d/%m/%Y}); no se duplicó."
                if replayed(payment)
                else f"Se registró el pago con fecha valor {payment.value_date:%d/%m/%Y}."
            )
            return _respond(request, pk, "payments", notice=notice)
    return _respond(request, pk, "payments", status=_refused(error), payment_form=form)


@web_view(("POST",))
def payment_reverse_view(request: HttpRequest, pk: int, payment_id: int) -> HttpResponse:
    """Ask for the reversal of the latest payment (nothing posts): another user approves it from the page's
    «Autorizaciones pendientes» (`servicing.release`)."""
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    payment = get_object_or_404(Payment, pk=payment_id, loan=loan)
    form = ReverseForm(request.POST, prefix="reversa")
    error = None
    if form.is_valid():
        try:
            row = reversal_request(
                user=request.user,
                payment=payment,
                reason=form.cleaned_data["reason"],
                idempotency_key=form.cleaned_data["key"],
            )
        except DomainError as exc:
            place_errors(form, exc)
            error = exc
        else:
            notice = (
                f"La solicitud de reversa del pago del {payment.value_date:%d/%m/%Y} ya estaba registrada; "
                "no se duplicó."
                if replayed(row)
                else f"Se solicitó la reversa del pago del {payment.value_date:%d/%m/%Y}; otra persona "
                "(gerencia regional o Dirección) debe aprobarla."
            )
            return _respond(request, pk, "payments", notice=notice)
    return _respond(request, pk, "payments", status=_refused(error), reverse_form=form, show_reverse=True)


# -------------------------------------------------------------- four eyes: release, approve, decline


def _authorizations_done(request: HttpRequest, loan: Loan, notice: str) -> HttpResponse:
    """After a release, approval, cancellation or rejection: back to the loan page at its pending
    authorizations, with the notice (the panel's forms are plain posts; an HTMX post is redirected too)."""
    messages.success(request, notice)
    url = reverse("web:loan", args=[loan.pk]) + "#autorizaciones"
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _form_refused(form: forms.Form) -> ValidationFailed:
    return ValidationFailed(
        [
            DomainError(str(message), field=None if name == "__all__" else name)
            for name, errors in form.errors.items()
            for message in errors
        ]
    )


@web_view(("POST",))
def order_release_view(request: HttpRequest, pk: int, order_id: int) -> HttpResponse:
    """Release a captured order: another user than its capturer posts it, once per form."""
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    order = order_get(loan=loan, order_id=order_id)
    form = ReleaseForm(request.POST, prefix=f"o{order.pk}")
    if not form.is_valid():
        raise _form_refused(form)
    order = disbursement_release(user=request.user, order=order, idempotency_key=form.cleaned_data["key"])
    notice = (
        "Esta orden ya estaba liberada; no se duplicó."
        if replayed(order)
        else f"Se liberó la orden de ministración de {format_money(order.amount, loan.currency)} con fecha "
        f"valor {order.value_date:%d/%m/%Y}."
    )
    return _authorizations_done(request, loan, notice)


@web_view(("POST",))
def order_cancel_view(request: HttpRequest, pk: int, order_id: int) -> HttpResponse:
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    order = order_get(loan=loan, order_id=order_id)
    form = DeclineForm(request.POST, prefix=f"oc{order.pk}")
    if not form.is_valid():
        raise _form_refused(form)
    disbursement_cancel(user=request.user, order=order, reason=form.cleaned_data["reason"])
    return _authorizations_done(request, loan, "Se canceló la orden de ministración.")


@web_view(("POST",))
def reversal_approve_view(request: HttpRequest, pk: int, request_id: int) -> HttpResponse:
    """Approve a reversal request: another user than the requester posts the reversal, once per form."""
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    row = reversal_request_get(loan=loan, request_id=request_id)
    form = ReleaseForm(request.POST, prefix=f"r{row.pk}")
    if not form.is_valid():
        raise _form_refused(form)
    row = reversal_approve(user=request.user, request=row, idempotency_key=form.cleaned_data["key"])
    notice = (
        "Esta reversa ya estaba aprobada; no se duplicó."
        if replayed(row)
        else f"Se aprobó y registró la reversa del pago del {row.payment.value_date:%d/%m/%Y}."
    )
    return _authorizations_done(request, loan, notice)


@web_view(("POST",))
def reversal_reject_view(request: HttpRequest, pk: int, request_id: int) -> HttpResponse:
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    row = reversal_request_get(loan=loan, request_id=request_id)
    form = DeclineForm(request.POST, prefix=f"rr{row.pk}")
    if not form.is_valid():
        raise _form_refused(form)
    reversal_reject(user=request.user, request=row, reason=form.cleaned_data["reason"])
    return _authorizations_done(request, loan, "Se rechazó la solicitud de reversa.")


def loan_authorizations(request: HttpRequest, loan_id: int) -> str:
    """The loan's pending four-eyes steps (captured orders, reversal requests) with what this user may do
    on each: rendered on every request, outside the kept body (who may act depends on the user). Two
    small indexed queries; nothing when there is nothing pending."""
    user = request.user
    orders = list(
        DisbursementOrder.objects.filter(loan_id=loan_id, status=OrderStatus.CAPTURED)
        .select_related("captured_by", "loan")
        .order_by("captured_at", "id")
    )
    requests = list(
        ReversalRequest.objects.filter(loan_id=loan_id, status=ReversalStatus.REQUESTED)
        .select_related("requested_by")
        .order_by("requested_at", "id")
    )
    if not orders and not requests:
        return ""
    if requests:  # their payments, read only when there are requests (the page reads no payment otherwise)
        payments = Payment.objects.in_bulk([row.payment_id for row in requests])
        for row in requests:
            row.payment = payments[row.payment_id]
    loan = Loan(pk=loan_id)
    releaser = user.role in RELEASERS
    rows = []
    for order in orders:
        mine = order.captured_by_id == user.pk
        rows.append(
            {
                "order": order,
                "release": releaser and not mine,
                "cancel": releaser or mine,
                "mine": mine,
                "release_form": ReleaseForm(prefix=f"o{order.pk}"),
                "cancel_form": DeclineForm(prefix=f"oc{order.pk}"),
            }
        )
    reversals = []
    for row in requests:
        mine = row.requested_by_id == user.pk
        reversals.append(
            {
                "request": row,
                "approve": releaser and not mine,
                "reject": releaser or mine,
                "mine": mine,
                "approve_form": ReleaseForm(prefix=f"r{row.pk}"),
                "reject_form": DeclineForm(prefix=f"rr{row.pk}"),
            }
        )
    return render_to_string(
        "web/loans/_authorizations.html",
        {"loan": loan, "orders": rows, "reversals": reversals, "four_eyes": FOUR_EYES},
        request=request,
    )


@web_view(("POST",))
def task_complete_view(request: HttpRequest, pk: int, task_id: int) -> HttpResponse:
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    task = get_object_or_404(LoanTask, pk=task_id, loan=loan)
    form = TaskCompleteForm(request.POST, prefix=f"t{task.pk}")
    error = None
    if form.is_valid():
        try:
            task_complete(
                user=request.user,
                task=task,
                done_on=form.cleaned_data["done_on"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            place_errors(form, exc)
            error = exc
        else:
            return _respond(request, pk, "tasks", notice=f"Obligación cumplida: {task.get_kind_display()}.")
    return _respond(request, pk, "tasks", status=_refused(error), task_forms={task.pk: form})


# ---------------------------------------------------------------------------------------- statement


def _movement_rows(movements: Iterable[Movement], currency: str) -> SafeString:
    """The statement's movements table body: an entry's first line carries its date, concept and the
    principal balance after it (spanning its lines)."""
    rows = []
    for m in movements:
        when = fecha(m.date)
        concept = (
            _html("{}<br><small>reversa de la póliza {}</small>", m.concept, m.reverses)
            if m.reverses
            else m.concept
        )
        span = len(m.lines)
        if not span:
            rows.append(_html('<tr><td>{}</td><td>{}</td><td colspan="4"></td></tr>', when, concept))
            continue
        for i, line in enumerate(m.lines):
            debit = format_money(line.debit, currency) if line.debit else ""
            credit = format_money(line.credit, currency) if line.credit else ""
            if i:
                rows.append(
                    _html(
                        '<tr><td><code>{}</code> {}</td><td class="num">{}</td><td class="num">{}</td></tr>',
                        line.account,
                        line.name,
                        debit,
                        credit,
                    )
                )
            else:
                rows.append(
                    _html(
                        '<tr><td rowspan="{}">{}</td><td rowspan="{}">{}</td><td><code>{}</code> {}</td>'
                        '<td class="num">{}</td><td class="num">{}</td><td class="num" rowspan="{}">{}</td></tr>',
                        span,
                        when,
                        span,
                        concept,
                        line.account,
                        line.name,
                        debit,
                        credit,
                        span,
                        format_money(m.principal_balance, currency),
                    )
                )
    return SafeString("\n".join(rows))


class StatementShown:
    """What the statement page's body shows for the period and the page asked for, computed only when the
    body is not kept (web/loans/statement.html keeps it with Django's `{% cache %}` under the loan's revision
    mark, the day, what was asked and the names from other rows shown on it). Kept so, a statement seen again
    costs 2.3 to 2.6 ms of CPU in process instead of 5.2 to 5.5 (the kept statement unpickled and its page
    of movements rendered again; bench/loan_detail.py's ten-year loan, 200 requests, medians of two runs)."""

    def __init__(self, loan: Loan, query: Any, start: date, end: date, today: date) -> None:
        self.loan, self.query, self.start, self.end = loan, query, start, end
        self.day = today.isoformat()
        # what was asked, as asked: the form shows the bounds as typed, the pager the page
        self.asked = [query.get(name, "") for name in ("desde", "hasta", "pagina")]
        self.names = [loan.applicant.name, str(loan.office)]
        self.timeout = caches["pages"].default_timeout

    @functools.cached_property
    def statement(self) -> Any:
        return loan_statement_kept(loan=self.loan, period_from=self.start, period_to=self.end)

    @functools.cached_property
    def page(self) -> Any:
        paginator = Paginator(self.statement.movements, MOVEMENTS_PAGE_SIZE)
        # The latest movements first come to view: without a page asked for, the last page.
        return paginator.get_page(self.query.get("pagina") or paginator.num_pages)

    @functools.cached_property
    def movement_rows(self) -> SafeString:
        return _movement_rows(self.page.object_list, self.statement.currency or "MXN")


@web_view()
def loan_statement_view(request: HttpRequest, pk: int) -> HttpResponse:
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    today = today_mx()
    form, start, end = statement_period(request.GET, today)
    period_query = urlencode({"desde": start.isoformat(), "hasta": end.isoformat()})
    return render(
        request,
        "web/loans/statement.html",
        {
            "loan": loan,
            "shown": StatementShown(loan, request.GET, start, end, today),
            "period_form": form,
            "pager_query": period_query,
            "period_query": period_query,
        },
        status=422 if form.errors else 200,
    )


# ----------------------------------------------------------------------------------- restructuring
# The loan's requests to committee, the proposal form, a request's detail (new schedule preview, findings,
# coverage) and the apply form (Rules 15). Not kept with the loan page (`platform.pagecache`): a committee's
# resolution changes a request without touching the loan, so these pages are read fresh each time.


def _can_act(request: HttpRequest, loan: Loan) -> bool:
    user: Any = request.user
    return bool(
        user.role in REGIONAL and user.office_id == loan.office_id and loan.status == LoanStatus.ACTIVE
    )


def _guarantee_choices(loan: Loan) -> list[tuple[int, str]]:
    if loan.file_id is None:
        return []
    assert loan.file is not None
    return [
        (g.pk, f"{g.get_type_display()} — {g.description}")
        for g in loan.file.guarantees.filter(status=GuaranteeStatus.ACTIVE).order_by("id")
    ]


def _context(request: HttpRequest, loan: Loan, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "loan": loan,
        "requests": loan_requests_for_loan(loan),
        "can_act": _can_act(request, loan) and loan.file_id is not None,
        "has_file": loan.file_id is not None,
    }
    if context["can_act"] and "form" not in extra:
        context["form"] = RestructuringForm(guarantees=_guarantee_choices(loan), prefix="reestructura")
    context.update(extra)
    return context


@web_view(("GET", "POST"))
def restructuring_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The loan's requests to committee and the form that proposes a restructuring."""
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    if request.method == "POST":
        form = RestructuringForm(request.POST, guarantees=_guarantee_choices(loan), prefix="reestructura")
        status = 422
        if form.is_valid():
            try:
                created = restructuring_propose(
                    user=request.user, loan=loan, terms=form.terms(), reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                place_errors(form, exc)
                status = exc.status
            else:
                notice = (
                    f"Se solicitó la reestructura al {committee_name(created.committee)} "
                    f"(regla {created.committee_rule}, por el saldo de capital)."
                )
                url = reverse("web:loan_restructuring_request", args=[loan.pk, created.pk])
                if is_htmx(request):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = url
                    return response
                messages.success(request, notice)
                return redirect(url)
        template = "web/loans/_restructuring.html" if is_htmx(request) else "web/loans/restructuring.html"
        return render(request, template, _context(request, loan, form=form), status=status)
    return render(request, "web/loans/restructuring.html", _context(request, loan))


def _request_of(loan: Loan, request_id: int) -> LoanRequest:
    found = next((r for r in loan_requests_for_loan(loan) if r.pk == request_id), None)
    if found is None:
        raise NotFound("No existe la solicitud sobre este crédito.")
    return found


def _request_context(request: HttpRequest, loan: Loan, found: LoanRequest, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "loan": loan,
        "req": found,
        "preview": found.evaluation or {},
        "proposal": found.proposal or {},
    }
    if (
        found.kind == LoanRequest.Kind.RESTRUCTURING
        and found.status == LoanRequest.Status.AUTHORIZED
        and _can_act(request, loan)
        and "apply_form" not in extra
    ):
        context["apply_form"] = ApplyForm(prefix="aplicar")
    if _can_withdraw(request, loan, found) and "withdraw_form" not in extra:
        context["withdraw_form"] = WithdrawRequestForm(prefix="retiro")
    context.update(extra)
    return context


def _can_withdraw(request: HttpRequest, loan: Loan, found: LoanRequest) -> bool:
    """The requester, or the office's regional manager, while the request is not yet applied (the service
    decides again)."""
    user: Any = request.user
    return bool(
        found.status in LOAN_REQUEST_OPEN
        and user.office_id == loan.office_id
        and (user.pk == found.requested_by_id or user.role == Role.GERENTE_REGIONAL)
    )


@web_view()
def restructuring_request(request: HttpRequest, pk: int, request_id: int) -> HttpResponse:
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    found = _request_of(loan, request_id)
    return render(request, "web/loans/restructuring_request.html", _request_context(request, loan, found))


@web_view(("POST",))
def restructuring_apply_view(request: HttpRequest, pk: int, request_id: int) -> HttpResponse:
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    found = _request_of(loan, request_id)
    form = ApplyForm(request.POST, prefix="aplicar")
    status = 422
    if form.is_valid():
        try:
            applied = restructuring_apply(
                user=request.user,
                loan=loan,
                request=found,
                value_date=form.cleaned_data["value_date"],
                idempotency_key=form.cleaned_data["key"],
            )
        except DomainError as exc:
            place_errors(form, exc)
            status = exc.status
        else:
            notice = (
                "Esta reestructura ya estaba aplicada; no se duplicó."
                if replayed(applied)
                else "Se aplicó la reestructura: el crédito tiene una nueva tabla de amortización."
            )
            return _request_done(request, loan, request_id, notice)
    return _request_refused(request, loan, found, status, apply_form=form)


def _request_done(request: HttpRequest, loan: Loan, request_id: int, notice: str) -> HttpResponse:
    """A request's page after an action on it: its panel with the notice (HTMX), else back to the page."""
    found = _request_of(loan, request_id)
    if not is_htmx(request):
        messages.success(request, notice)
        return redirect("web:loan_restructuring_request", loan.pk, found.pk)
    return render(
        request,
        "web/loans/_restructuring_request.html",
        _request_context(request, loan, found, notice=notice),
    )


def _request_refused(
    request: HttpRequest, loan: Loan, found: LoanRequest, status: int, **forms_shown: Any
) -> HttpResponse:
    """A request's page again with the refused form (its errors placed) and the refusal's status."""
    template = (
        "web/loans/_restructuring_request.html"
        if is_htmx(request)
        else "web/loans/restructuring_request.html"
    )
    return render(request, template, _request_context(request, loan, found, **forms_shown), status=status)


@web_view(("POST",))
def loan_request_withdraw_view(request: HttpRequest, pk: int, request_id: int) -> HttpResponse:
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    found = _request_of(loan, request_id)
    form = WithdrawRequestForm(request.POST, prefix="retiro")
    status = 422
    if form.is_valid():
        try:
            loan_request_withdraw(user=request.user, request=found, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            place_errors(form, exc)
            status = exc.status
        else:
            notice = "Se retiró la solicitud; el comité ya no la resolverá."
            return _request_done(request, loan, request_id, notice)
    return _request_refused(request, loan, found, status, withdraw_form=form)


# ------------------------------------------------------------------------------------------- closing
# The closing of a loan, on a page of its own beside the loan page: the committee's write-off and the
# recoveries booked afterwards (`servicing.writeoff`); for a liquidado loan, the carta de finiquito and the
# legal release of each guarantee of its file (`servicing.payoff`). The page is drawn for the user who reads
# it (its forms follow `LOAN.allowed`: the regional manager writes off, the office records recoveries, the
# legal area releases guarantees); the kept loan page only links here. Every action is a plain post that goes
# back to this page with its notice, or shows it again with the refused form and the refusal's status.


def _closing_page(request: HttpRequest, loan: Loan, *, status: int = 200, **forms_: Any) -> HttpResponse:
    user = request.user
    allowed = set(LOAN.allowed(user, loan))
    write_off = WriteOff.objects.filter(loan=loan).first()
    requests = write_off_requests(loan) if "write_off" in allowed else []
    bound = forms_.get("release_forms") or {}
    context = {
        "loan": loan,
        "write_off": write_off,
        "recoveries": list(loan.recoveries.order_by("value_date", "id")),
        "outstanding": written_off_outstanding(loan) if write_off else None,
        "summary": payoff_summary(loan=loan) if loan.status == LoanStatus.PAID_OFF else None,
        "guarantees": [
            (
                g,
                bound.get(g.pk)
                or GuaranteeReleaseForm(prefix="liberacion", initial={"released_on": today_mx()}),
            )
            for g in loan_guarantees(loan)
        ],
        "show_write_off": bool(requests),
        "show_recovery": "recover" in allowed,
        "show_release": "guarantee_release" in allowed,
        "write_off_form": forms_.get("write_off_form") or WriteOffForm(prefix="castigo", requests=requests),
        "recovery_form": forms_.get("recovery_form") or RecoveryForm(prefix="recuperacion"),
    }
    return render(request, "web/loans/closing.html", context, status=status)


def _closing_back(request: HttpRequest, loan: Loan, notice: str) -> HttpResponse:
    messages.success(request, notice)
    return redirect(reverse("web:loan_closing", args=[loan.pk]))


def _closing_status(error: DomainError | None) -> int:
    return error.status if error is not None else 422


@web_view()
def loan_closing(request: HttpRequest, pk: int) -> HttpResponse:
    return _closing_page(request, loan_get_for_user(user=request.user, loan_id=pk))


@web_view(("POST",))
def write_off_view(request: HttpRequest, pk: int) -> HttpResponse:
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    form = WriteOffForm(request.POST, prefix="castigo", requests=write_off_requests(loan, applied=True))
    error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            done = write_off_apply(
                user=request.user,  # type: ignore[arg-type]
                loan=loan,
                request=write_off_request_get(loan, data["request"]),
                idempotency_key=data["key"],
                on=data["on"],
            )
        except DomainError as exc:
            place_errors(form, exc)
            error = exc
        else:
            notice = (
                "Este castigo ya estaba registrado; no se duplicó."
                if replayed(done)
                else f"Se castigó el crédito el {done.business_date:%d/%m/%Y}."
            )
            return _closing_back(request, loan, notice)
    return _closing_page(request, loan, status=_closing_status(error), write_off_form=form)


@web_view(("POST",))
def recovery_view(request: HttpRequest, pk: int) -> HttpResponse:
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    form = RecoveryForm(request.POST, prefix="recuperacion")
    error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            recovery = recovery_record(
                user=request.user,  # type: ignore[arg-type]
                loan=loan,
                amount=data["amount"],
                value_date=data["value_date"],
                idempotency_key=data["key"],
            )
        except DomainError as exc:
            place_errors(form, exc)
            error = exc
        else:
            notice = (
                "Esta recuperación ya estaba registrada; no se duplicó."
                if replayed(recovery)
                else f"Se registró la recuperación con fecha valor {recovery.value_date:%d/%m/%Y}."
            )
            return _closing_back(request, loan, notice)
    return _closing_page(request, loan, status=_closing_status(error), recovery_form=form)


@web_view(("POST",))
def guarantee_release_view(request: HttpRequest, pk: int, guarantee_id: int) -> HttpResponse:
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    guarantee = get_object_or_404(FileGuarantee, pk=guarantee_id, file_id=loan.file_id)
    form: forms.Form = GuaranteeReleaseForm(request.POST, prefix="liberacion")
    error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            guarantee_release_record(
                user=request.user,  # type: ignore[arg-type]
                loan=loan,
                guarantee=guarantee,
                released_on=data["released_on"],
                instrument=data["instrument"],
                notes=data["notes"],
            )
        except DomainError as exc:
            place_errors(form, exc)
            error = exc
        else:
            return _closing_back(request, loan, f"Se registró la liberación de la garantía: {guarantee}.")
    return _closing_page(
        request,
        loan,
        status=_closing_status(error),
        release_forms={guarantee.pk: form},
    )


@web_view()
def payoff_letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    content = pdf.render_pdf(pdf.payoff_letter_html(loan=loan, user=request.user))  # type: ignore[arg-type]
    filename = f"carta-de-finiquito-{''.join(c for c in loan.number if c.isalnum() or c == '-')}.pdf"
    document_issued(
        user=request.user,  # type: ignore[arg-type]
        document="payoff_letter_pdf",
        obj=loan,
        filename=filename,
        office=loan.office,
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
