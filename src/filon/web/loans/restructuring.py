"""The restructuring pages of a loan (Rules 15; 17.2 b, 17.3 b): the loan's committee requests, the form that
proposes a restructuring, a request's detail (new schedule preview, findings, coverage) and the form that
applies it once the committee authorized it. Each form posts to a view that calls one servicing service;
with HTMX the section is re-rendered in place, without it the view redirects back to the page.

These pages are not kept with the loan page (`platform.pagecache`): a committee's resolution changes a
request without touching the loan, so they are read fresh each time.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from filon import numbers
from filon.committees.selectors import committee_name
from filon.errors import DomainError, NotFound
from filon.idempotency.services import replayed
from filon.origination.models import GuaranteeStatus, LoanRequest
from filon.servicing.models import Loan, LoanStatus
from filon.servicing.restructuring import RestructuringTerms, restructuring_apply, restructuring_propose
from filon.servicing.selectors import loan_get_for_user, loan_requests_for_loan
from filon.servicing.services import REGIONAL
from filon.web.forms import DATE, NOTE, KeyedForm
from filon.web.http import is_htmx, place_errors, web_view

HUNDRED = Decimal(100)
PERIODICITY = [(1, "Mensual"), (2, "Bimestral"), (3, "Trimestral"), (6, "Semestral"), (12, "Anual")]
RATE_MODES = [
    ("keep", "Conservar la tasa contratada"),
    ("spread", "Nueva sobretasa sobre la tasa base (puntos)"),
    ("fixed", "Tasa fija anual (%)"),
]


class RestructuringForm(forms.Form):
    """The proposed conditions. Rates are typed in percent points (2.5 = 2.5 %)."""

    term_months = numbers.IntegerField(
        label="Plazo desde la reestructura (meses)", min_value=1, max_value=360
    )
    grace_months = numbers.IntegerField(label="Gracia (meses)", min_value=0, max_value=120, initial=0)
    payment_every_months = forms.TypedChoiceField(
        label="Periodicidad de pago", choices=PERIODICITY, coerce=int, initial=1
    )
    amortization = forms.ChoiceField(
        label="Amortización",
        choices=[("equal_principal", "Capital constante"), ("growing", "Capital creciente")],
        initial="equal_principal",
    )
    growth_rate = numbers.DecimalField(
        label="Crecimiento del capital por periodo (%)",
        max_digits=7,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        required=False,
    )
    rate_mode = forms.ChoiceField(label="Tasa", choices=RATE_MODES, initial="keep")
    rate_value = numbers.DecimalField(
        label="Sobretasa o tasa fija (%)",
        max_digits=7,
        decimal_places=4,
        min_value=Decimal(0),
        required=False,
    )
    release_guarantee_ids = forms.TypedMultipleChoiceField(
        label="Garantías a liberar", coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(label="Motivo de la reestructura", max_length=2000, **NOTE)

    def __init__(self, *args: Any, guarantees: list[tuple[int, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["release_guarantee_ids"].choices = guarantees  # type: ignore[attr-defined]
        if not guarantees:
            del self.fields["release_guarantee_ids"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        mode, value = data.get("rate_mode"), data.get("rate_value")
        if mode in ("spread", "fixed") and value is None:
            self.add_error("rate_value", "Indique la sobretasa o la tasa fija.")
        return data

    def terms(self) -> RestructuringTerms:
        data = self.cleaned_data
        value = data.get("rate_value")
        rate = None if value is None else value / HUNDRED
        growth = data.get("growth_rate")
        return RestructuringTerms(
            term_months=data["term_months"],
            grace_months=data["grace_months"] or 0,
            payment_every_months=data["payment_every_months"],
            amortization=data["amortization"],
            growth_rate=None if growth is None else growth / HUNDRED,
            spread=rate if data["rate_mode"] == "spread" else None,
            fixed_rate=rate if data["rate_mode"] == "fixed" else None,
            release_guarantee_ids=tuple(data.get("release_guarantee_ids") or ()),
        )


class ApplyForm(KeyedForm):
    """Applying the authorized restructuring, once per form (`KeyedForm`)."""

    value_date = forms.DateField(label="Fecha de aplicación", **DATE)


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
    context.update(extra)
    return context


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
            found = _request_of(loan, request_id)
            if not is_htmx(request):
                messages.success(request, notice)
                return redirect("web:loan_restructuring_request", loan.pk, found.pk)
            return render(
                request,
                "web/loans/_restructuring_request.html",
                _request_context(request, loan, found, notice=notice),
            )
    template = (
        "web/loans/_restructuring_request.html"
        if is_htmx(request)
        else "web/loans/restructuring_request.html"
    )
    return render(request, template, _request_context(request, loan, found, apply_form=form), status=status)
