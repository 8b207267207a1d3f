"""Guarantee-fund pages (Rules, Chapter II): the funds with their balances and each program's coverage, a
fund's statement, and the what-if of a default scenario. For direction, risk and administration; each view
calls one selector or service of `filon.funds`, which checks the role."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from filon import numbers
from filon.accounts.access import require_role
from filon.core.calendar import today_mx
from filon.errors import DomainError, Forbidden
from filon.funds.models import Contributor
from filon.funds.selectors import (
    fund_balance,
    fund_get_for_user,
    fund_list_for_user,
    fund_statement,
    program_coverage,
    program_fund_rules,
)
from filon.funds.services import (
    FUND_OPERATORS,
    ScenarioDefault,
    fund_contribute,
    fund_create,
    fund_formalization_record,
    fund_interest_record,
    fund_whatif_for_program,
)
from filon.idempotency.services import replayed
from filon.origination.models import PROGRAM_CHOICES
from filon.rules import load_ruleset_for_date
from filon.servicing.selectors import loan_list_for_user
from filon.web.forms import DATE, KeyedForm
from filon.web.http import place_errors, typed_dates, web_view


def fund_programs() -> list[tuple[str, str]]:
    """The programs whose rule set in force has a guarantee fund."""
    return [(code, name) for code, name in PROGRAM_CHOICES if program_fund_rules(code)]


_LINE = re.compile(r"^\s*(?P<loan>\S+)\s+(?P<on>\d{2}/\d{2}/\d{4}|\d{4}-\d{2}-\d{2})\s*$")


@web_view()
def funds(request: HttpRequest) -> HttpResponse:
    found = list(fund_list_for_user(user=request.user))
    programs = sorted({fund.program for fund in found})
    coverages = [c for c in (program_coverage(p) for p in programs) if c is not None]
    labels = dict(PROGRAM_CHOICES)
    return render(
        request,
        "web/funds/list.html",
        {
            "funds": [(fund, fund_balance(fund)) for fund in found],
            "coverages": [(labels.get(c.program, c.program), c) for c in coverages],
            "can_create": request.user.role in FUND_OPERATORS,
        },
    )


def _state_choices() -> list[tuple[str, str]]:
    states = load_ruleset_for_date(today_mx()).offices.states
    return [("", "— Ninguno —")] + [
        (code, f"{name} ({code})") for code, name in sorted(states.items(), key=lambda kv: kv[1])
    ]


class FundForm(forms.Form):
    """What `fund_create` takes: the fund's kind and rule come from the program's entry in the rule set."""

    code = forms.CharField(label="Clave", max_length=24, help_text="Única, p. ej. «FG-P2-ZAC».")
    name = forms.CharField(label="Nombre", max_length=200)
    program = forms.ChoiceField(label="Programa", choices=fund_programs)
    contributor = forms.ChoiceField(label="Aportante", choices=Contributor.choices)
    state = forms.ChoiceField(label="Estado del aportante", required=False, choices=_state_choices)
    loan = forms.CharField(
        label="Crédito (sólo la aportación propia de un minero)",
        max_length=40,
        required=False,
        help_text="Número del crédito, p. ej. «CR-ZAC-2026-0001».",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_loan(self) -> Any:
        number = self.cleaned_data["loan"].strip()
        if not number:
            return None
        loan = loan_list_for_user(user=self.user).filter(number=number).first()
        if loan is None:
            raise forms.ValidationError(f"No existe el crédito {number}.")
        return loan


@web_view(("GET", "POST"))
def fund_new(request: HttpRequest) -> HttpResponse:
    """Set up a guarantee fund of a special program (Dirección or Administración: `fund_create` checks)."""
    require_role(request.user, FUND_OPERATORS, "dar de alta fondos de garantía")
    form = FundForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            fund = fund_create(
                user=request.user,
                code=data["code"],
                name=data["name"],
                program=data["program"],
                contributor=data["contributor"],
                state=data["state"],
                loan=data["loan"],
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            messages.success(
                request,
                f"Se dio de alta el fondo {fund.code}; registre aquí sus aportaciones y su formalización.",
            )
            return redirect("web:fund", pk=fund.pk)
    return render(request, "web/funds/new.html", {"form": form}, status=422 if form.errors else 200)


class MovementForm(KeyedForm):
    kind = forms.ChoiceField(
        label="Movimiento",
        choices=[
            ("contribution", "Aportación al fondo"),
            ("interest", "Rendimiento del fondo (ingreso del FIFOMI)"),
        ],
    )
    amount = numbers.DecimalField(label="Importe (MXN)", min_value=Decimal("0.01"), decimal_places=2)
    on = numbers.DateField(label="Fecha")
    description = forms.CharField(label="Concepto", required=False, max_length=200)


@web_view(("GET", "POST"))
def fund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    fund = fund_get_for_user(user=request.user, fund_id=pk)
    can_record = request.user.role in FUND_OPERATORS
    form = typed_dates(MovementForm(request.POST or None, initial={"on": today_mx()})) if can_record else None
    if request.method == "POST":
        if form is None:
            raise Forbidden("Su rol no puede registrar movimientos de fondos de garantía.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["kind"] == "contribution":
                    movement = fund_contribute(
                        user=request.user,
                        fund=fund,
                        amount=data["amount"],
                        on=data["on"],
                        description=data["description"],
                        idempotency_key=data["key"],
                    )
                else:
                    movement = fund_interest_record(
                        user=request.user,
                        fund=fund,
                        amount=data["amount"],
                        on=data["on"],
                        idempotency_key=data["key"],
                    )
            except DomainError as exc:
                place_errors(form, exc)
            else:
                what, done = (
                    ("La aportación", "registrada")
                    if data["kind"] == "contribution"
                    else ("El rendimiento", "registrado")
                )
                messages.success(
                    request,
                    f"{what} ya estaba {done}; no se duplicó."
                    if replayed(movement)
                    else f"{what} quedó {done}.",
                )
                return redirect("web:fund", pk=fund.pk)
    return _detail_page(request, fund, form, FormalizationForm(initial={"formalized_on": fund.formalized_on}))


def _detail_page(
    request: HttpRequest,
    fund: Any,
    form: MovementForm | None,
    formalization: FormalizationForm,
    status: int = 200,
) -> HttpResponse:
    can_record = request.user.role in FUND_OPERATORS
    return render(
        request,
        "web/funds/detail.html",
        {
            "statement": fund_statement(user=request.user, fund=fund),
            "form": form,
            "formalization": formalization if can_record and fund.contributor != "miner" else None,
        },
        status=status,
    )


class FormalizationForm(forms.Form):
    formalized_on = numbers.DateField(
        label="Fecha de formalización del fondo",
        help_text="El plazo de un programa que corre desde la formalización de su fondo (P-3 3.19) se cuenta "
        "desde esta fecha.",
        **DATE,
    )


@web_view(("POST",))
def fund_formalize(request: HttpRequest, pk: int) -> HttpResponse:
    fund = fund_get_for_user(user=request.user, fund_id=pk)
    if request.user.role not in FUND_OPERATORS:
        raise Forbidden("Su rol no puede registrar la formalización de fondos de garantía.")
    formalization = FormalizationForm(request.POST)
    if formalization.is_valid():
        try:
            fund_formalization_record(
                user=request.user, fund=fund, formalized_on=formalization.cleaned_data["formalized_on"]
            )
        except DomainError as exc:
            place_errors(formalization, exc)
        else:
            messages.success(request, "La fecha de formalización del fondo quedó registrada.")
            return redirect("web:fund", pk=fund.pk)
    form = typed_dates(MovementForm(initial={"on": today_mx()}))
    return _detail_page(request, fund, form, formalization, status=400)


class WhatIfForm(forms.Form):
    program = forms.ChoiceField(label="Programa", choices=fund_programs)
    defaults = forms.CharField(
        label="Créditos en incumplimiento",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Uno por renglón: número de crédito y fecha de incumplimiento (dd/mm/aaaa), p. ej. "
        "«CR-ZAC-2026-0001 15/07/2026». Los fondos pagan primero los créditos que incumplieron antes.",
    )

    def clean_defaults(self) -> list[ScenarioDefault]:
        found: list[ScenarioDefault] = []
        for number, line in enumerate(self.cleaned_data["defaults"].splitlines(), start=1):
            if not line.strip():
                continue
            match = _LINE.match(line)
            if match is None:
                raise forms.ValidationError(f"Renglón {number}: escriba el número de crédito y la fecha.")
            try:
                on = _date(match["on"])
            except ValueError:
                raise forms.ValidationError(f"Renglón {number}: la fecha no existe.") from None
            found.append(ScenarioDefault(match["loan"], on))
        if not found:
            raise forms.ValidationError("Indique al menos un crédito.")
        return found


def _date(text: str) -> date:
    if "/" in text:
        day, month, year = (int(part) for part in text.split("/"))
        return date(year, month, day)
    return date.fromisoformat(text)


@web_view(("GET", "POST"))
def fund_whatif(request: HttpRequest) -> HttpResponse:
    fund_list_for_user(user=request.user)  # the role check, before showing the form
    form = WhatIfForm(request.POST or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        try:
            outcome, _loans = fund_whatif_for_program(
                user=request.user,
                program=form.cleaned_data["program"],
                defaults=form.cleaned_data["defaults"],
            )
        except DomainError as exc:
            place_errors(form, exc)
    return render(request, "web/funds/whatif.html", {"form": form, "outcome": outcome})
