"""Numbers people type, in forms and in the API: ASCII digits only, and integers within their column.

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

from filon.core.money import NOT_ASCII_DIGITS

INTEGER_COLUMN_MAX = 2_147_483_647
"""PostgreSQL `integer` (and Django's PositiveIntegerField on every backend)."""
SMALL_INTEGER_COLUMN_MAX = 32_767
"""PostgreSQL `smallint` (Django's PositiveSmallIntegerField)."""


def not_ascii(value: Any) -> bool:
    """True for typed text with characters outside ASCII (a number can only be written with 0-9)."""
    return isinstance(value, str) and not value.isascii()


def ascii_number(value: Any) -> Any:
    """A pydantic before-validator for numbers: text outside ASCII is refused, anything else passes on."""
    if not_ascii(value):
        raise ValueError(NOT_ASCII_DIGITS)
    return value


class DecimalField(forms.DecimalField):
    default_error_messages = {"not_ascii": f"El número {NOT_ASCII_DIGITS}."}

    def to_python(self, value: Any) -> Decimal | None:
        if not_ascii(value):
            raise ValidationError(self.error_messages["not_ascii"], code="not_ascii")
        return super().to_python(value)


class IntegerField(forms.IntegerField):
    default_error_messages = {"not_ascii": f"El número {NOT_ASCII_DIGITS}."}

    def __init__(self, *, max_value: int | None = None, **kwargs: Any) -> None:
        super().__init__(max_value=INTEGER_COLUMN_MAX if max_value is None else max_value, **kwargs)

    def to_python(self, value: Any) -> int | None:
        if not_ascii(value):
            raise ValidationError(self.error_messages["not_ascii"], code="not_ascii")
        return super().to_python(value)
