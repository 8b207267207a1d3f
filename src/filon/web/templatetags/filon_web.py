"""es-MX display filters: money `$1,234,567.89`, dates `31/01/2026`, rule citations `Regla 10.2.1`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from filon.committees.models import COMMITTEE_CHOICES
from filon.core.calendar import today_mx
from filon.core.money import format_money, format_percent, format_ratio, format_typed
from filon.rules import RuleSet, load_ruleset_for_date, load_ruleset_version
from filon.servicing.selectors import loan_status_label
from filon.web.http import cite

register = template.Library()


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool | float):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def loan_status(loan: Any) -> str:
    """`{{ loan|loan_status }}` → «Vigente en administración», «Liquidado el 14/07/2026»."""
    return loan_status_label(loan)


@register.filter
def money(value: Any, currency: str = "MXN") -> str:
    """`{{ file.amount|money:file.currency }}` → $12,000,000.00 or USD 1,000,000.00."""
    amount = _decimal(value)
    return "—" if amount is None else format_money(amount, currency or "MXN")


@register.filter
def percent(value: Any, places: int = 2) -> str:
    rate = _decimal(value)
    return "—" if rate is None else format_percent(rate, int(places))


@register.filter
def numero(value: Any) -> str:
    """`{{ applicant.production_tons_month|numero }}` → 2,000 or 1,234.5: thousands commas, no trailing zeros."""
    number = _decimal(value)
    return "—" if number is None else format_typed(number.normalize())


@register.filter
def ratio(value: Any) -> str:
    number = _decimal(value)
    return "—" if number is None else format_ratio(number)


@register.filter
def fecha(value: Any) -> str:
    """31/01/2026 for a date, 31/01/2026 14:05 for a moment (in Mexico City time); ISO strings too."""
    if value in (None, ""):
        return "—"
    if isinstance(value, str):
        try:
            value = (
                dt.date.fromisoformat(value[:10]) if len(value) <= 10 else dt.datetime.fromisoformat(value)
            )
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


@register.filter
def regla(rule: Any) -> str:
    return cite(None if rule is None else str(rule))


@register.simple_tag
def reglas(version: str = "") -> RuleSet:
    """`{% reglas loan.ruleset_version as rules %}` … `{{ rules.rates.moratorium_rule|regla }}`: the rule set
    a file or credit was evaluated under (with no version, the one in force today), so a page cites the rule
    ids and numbers of the data instead of its own. The loader keeps each version parsed: no database and no
    YAML per call."""
    return load_ruleset_version(version) if version else load_ruleset_for_date(today_mx())


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """`{{ forms|get:item.pk }}`: a dict look-up in a template."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def accessible(bound_field: Any) -> str:
    """The field's widget, described by its help text and its errors for screen readers."""
    attrs: dict[str, str] = {}
    described = []
    if bound_field.help_text:
        described.append(f"{bound_field.auto_id}_helptext")
    if bound_field.errors:
        described.append(f"{bound_field.auto_id}_error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return bound_field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(bound_field: Any) -> bool:
    return getattr(bound_field.field.widget, "input_type", "") == "checkbox" and not getattr(
        bound_field.field.widget, "allow_multiple_selected", False
    )


# The markup of unbound forms whose fields render the same every time, per form class and field set: see
# `form_fields`. A handful of entries (one per such form and variant), rendered once per process.
_UNBOUND_FIELDS: dict[tuple[Any, ...], str] = {}
PREFIX_MARK = "__prefix__"  # Django's own placeholder for a form's prefix (formsets' empty_form)


def _signature(form: Any) -> tuple[Any, ...]:
    return tuple(
        (name, str(field.label), field.required, str(field.help_text), type(field.widget))
        for name, field in form.fields.items()
    )


@register.simple_tag
def form_fields(form: Any) -> str:
    """`web/_form_fields.html` for `form`. A form class that sets `same_unbound = True` promises that its
    unbound visible fields render the same every time (no initial value, no choice read from the database):
    those are rendered once per process and variant, with the prefix put in, and only the hidden fields (a
    payment form's idempotency key) each time. A bound form (errors, values typed) always renders anew."""
    if form.is_bound or not form.prefix or not getattr(form, "same_unbound", False):
        return render_to_string("web/_form_fields.html", {"form": form})
    key = (type(form), _signature(form))
    visible = _UNBOUND_FIELDS.get(key)
    if visible is None:
        # the same form (class and variant: `variant` holds its keyword arguments) under the placeholder
        model = type(form)(prefix=PREFIX_MARK, **getattr(form, "variant", {}))
        if _signature(model) != key[1]:  # a variant the form does not declare: no shortcut
            return render_to_string("web/_form_fields.html", {"form": form})
        visible = render_to_string("web/_form_fields.html", {"form": model, "visible_only": True})
        _UNBOUND_FIELDS[key] = visible
    hidden = "".join(str(field) for field in form.hidden_fields())
    return mark_safe(hidden + visible.replace(PREFIX_MARK, form.prefix or ""))


COMMITTEES = dict(COMMITTEE_CHOICES)
SIZES = {"micro": "Micro", "pequena": "Pequeña", "mediana": "Mediana", "grande": "Grande"}
SEGMENTS = {"preferente": "Preferente", "habitual": "Habitual", "nuevo": "Nuevo"}


@register.filter
def comite(code: Any) -> str:
    """comite_interno → Comité Interno de Crédito."""
    return COMMITTEES.get(str(code), str(code)) if code else "—"


@register.filter
def tamano(code: Any) -> str:
    return SIZES.get(str(code), str(code)) if code else "—"


@register.filter
def segmento(code: Any) -> str:
    return SEGMENTS.get(str(code), str(code)) if code else "—"
