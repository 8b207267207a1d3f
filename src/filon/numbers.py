"""Numbers and dates people type, in forms and in the API: as written in Mexico (1,000,000.50 and
31/01/2026), ASCII digits only, and integers within their column.

A decimal is read with `core.money.typed_number_text`: a decimal point and, if the person wants, commas
between groups of three digits. The comma-decimal form («1.000.000,50») is refused with a message saying how
to write the number, never read as something else. Decimal inputs are text inputs marked `data-monto`:
`static/filon/numbers.js` groups the thousands while the person types, and the server reads them back.

Python reads digits of every script — `Decimal("١٢٠٠٠٠٠٠")` and `int("١٢")` succeed — so a form field or a
schema that relies on them would take «١٢٠٠٠٠٠٠» for 12,000,000. These fields refuse such input with a
Spanish message naming the rule; an integer field with no explicit maximum is bounded by the smallest
integer column we store (a PostgreSQL `integer`), so a huge number is a form error, not a database error.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from filon.core.money import NOT_ASCII_DIGITS, NUMBER_HOW, format_typed, typed_number_text

INTEGER_COLUMN_MAX = 2_147_483_647
"""PostgreSQL `integer` (and Django's PositiveIntegerField on every backend)."""
SMALL_INTEGER_COLUMN_MAX = 32_767
"""PostgreSQL `smallint` (Django's PositiveSmallIntegerField)."""


def not_ascii(value: Any) -> bool:
    """True for typed text with characters outside ASCII (a number can only be written with 0-9)."""
    return isinstance(value, str) and not value.isascii()


def ascii_number(value: Any) -> Any:
    """A pydantic before-validator for numbers: text is read as a person in Mexico writes it (ASCII digits,
    decimal point, thousands commas) or refused saying how to write it; anything else passes on."""
    if isinstance(value, str):
        if not_ascii(value):
            raise ValueError(f"El número {NOT_ASCII_DIGITS}.")
        try:
            return typed_number_text(value)
        except ValueError as exc:
            raise ValueError(f"{NUMBER_HOW[0].upper()}{NUMBER_HOW[1:]}.") from exc
    return value


class MontoInput(forms.TextInput):
    """A text input for a decimal: shown with thousands commas («1,000,000.50»), which the field reads
    back, and grouped while typing by numbers.js (`data-monto`)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"inputmode": "decimal", "data-monto": "", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
            return format_typed(Decimal(value))
        return super().format_value(value)


class DecimalField(forms.DecimalField):
    """A decimal typed as 1,000,000.50 or 1000000.50; anything else is refused naming the field."""

    widget = MontoInput
    default_error_messages = {"not_ascii": f"El número {NOT_ASCII_DIGITS}."}

    def to_python(self, value: Any) -> Decimal | None:
        if not_ascii(value):
            raise ValidationError(self.error_messages["not_ascii"], code="not_ascii")
        if isinstance(value, str) and value.strip():
            try:
                value = typed_number_text(value)
            except ValueError as exc:
                name = f"«{self.label}»" if self.label else "El número"
                raise ValidationError(f"{name}: {exc}.", code="invalid") from exc
        return super().to_python(value)


class IntegerField(forms.IntegerField):
    default_error_messages = {"not_ascii": f"El número {NOT_ASCII_DIGITS}."}

    def __init__(self, *, max_value: int | None = None, **kwargs: Any) -> None:
        super().__init__(max_value=INTEGER_COLUMN_MAX if max_value is None else max_value, **kwargs)

    def to_python(self, value: Any) -> int | None:
        if not_ascii(value):
            raise ValidationError(self.error_messages["not_ascii"], code="not_ascii")
        return super().to_python(value)


DATE_SHOWN = "%d/%m/%Y"
DATE_HOW = "escríbala como dd/mm/aaaa, por ejemplo 31/01/2026"


class FechaInput(forms.DateInput):
    """A date as people in Mexico write it (dd/mm/aaaa), not the browser's own picker, whose format follows
    the browser's language. The field also reads ISO dates (2026-01-31), which the API and scripts send."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {"placeholder": "dd/mm/aaaa", "inputmode": "numeric", "autocomplete": "off"}
        super().__init__({**defaults, **(attrs or {})}, format=DATE_SHOWN)


class DateField(forms.DateField):
    """A date typed dd/mm/aaaa (or ISO); a bad one is refused naming the field and the expected form."""

    widget = FechaInput
    input_formats = [DATE_SHOWN, "%Y-%m-%d"]

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except ValidationError as exc:
            if exc.code != "invalid":
                raise
            name = f"«{self.label}»" if self.label else "La fecha"
            raise ValidationError(f"{name}: {DATE_HOW}.", code="invalid") from exc


DATE = {"widget": FechaInput()}
"""What the forms spread into a date field's arguments (kept for the fields that still name their widget)."""
