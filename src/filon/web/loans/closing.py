"""The closing of a loan, on a page of its own beside the loan page: the committee's write-off and the
recoveries booked afterwards (`servicing.writeoff`); for a liquidado loan, the carta de finiquito and the
legal release of each guarantee of its file (`servicing.payoff`).

The page is drawn for the user who reads it (the forms follow `LOAN.allowed`: the regional manager writes
off, the office records recoveries, the legal area releases guarantees); the kept loan page only links here.
Every action is a plain post that goes back to this page with its notice, or shows it again with the
refused form (its field errors, the status of the refusal).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from filon.core.calendar import today_mx
from filon.documents import pdf
from filon.documents.services import document_issued
from filon.errors import DomainError
from filon.idempotency.services import replayed
from filon.origination.models import FileGuarantee
from filon.servicing.lifecycle import LOAN
from filon.servicing.models import Loan, LoanStatus, WriteOff
from filon.servicing.payoff import guarantee_release_record, loan_guarantees, payoff_summary
from filon.servicing.selectors import loan_get_for_user
from filon.servicing.writeoff import (
    recovery_record,
    write_off_apply,
    write_off_request_get,
    write_off_requests,
    written_off_outstanding,
)
from filon.web.http import place_errors, web_view
from filon.web.loans.forms import GuaranteeReleaseForm, RecoveryForm, WriteOffForm


def _page(request: HttpRequest, loan: Loan, *, status: int = 200, **forms_: Any) -> HttpResponse:
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


def _back(request: HttpRequest, loan: Loan, notice: str) -> HttpResponse:
    messages.success(request, notice)
    return redirect(reverse("web:loan_closing", args=[loan.pk]))


def _status(error: DomainError | None) -> int:
    return error.status if error is not None else 422


@web_view()
def loan_closing(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, loan_get_for_user(user=request.user, loan_id=pk))


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
            return _back(request, loan, notice)
    return _page(request, loan, status=_status(error), write_off_form=form)


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
            return _back(request, loan, notice)
    return _page(request, loan, status=_status(error), recovery_form=form)


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
            return _back(request, loan, f"Se registró la liberación de la garantía: {guarantee}.")
    return _page(
        request,
        loan,
        status=_status(error),
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
