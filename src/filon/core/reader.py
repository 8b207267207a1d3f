"""Reading JSON documents into typed values with Spanish errors that name the field.

Every problem is collected (not just the first) so a credit officer fixes a document in one pass. Nothing
is coerced silently: a decimal must be a JSON string (or an integer), a date must be `AAAA-MM-DD`, an enum
must be one of its values, and unknown fields are refused (a typo must not be ignored).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from filon.core.errors import InputError, InputErrors
from filon.core.money import NOT_ASCII_DIGITS, D

E = TypeVar("E", bound=StrEnum)

_MISSING = object()
# Bounds that keep every figure inside exact decimal arithmetic: amounts below a quadrillion, at most
# twelve decimals, and dates a credit can plausibly carry.
MAX_MAGNITUDE = 10**15
MAX_DECIMAL_PLACES = 12
MIN_YEAR = 1900
MAX_YEAR = 2199


class Reader:
    """Reads fields of one JSON object at `path`, collecting errors into a shared list."""

    def __init__(self, data: object, path: str = "", errors: list[InputError] | None = None) -> None:
        self.path = path
        self.errors: list[InputError] = [] if errors is None else errors
        if isinstance(data, Mapping):
            self.data: Mapping[str, Any] = data
        else:
            self.data = {}
            self.fail(path or "(documento)", "debe ser un objeto JSON")
        self._read: set[str] = set()

    # ------------------------------------------------------------------ plumbing

    def field(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def fail(self, field: str, message: str, rule: str | None = None) -> None:
        self.errors.append(InputError(field, message, rule))

    def _get(self, name: str, required: bool) -> Any:
        self._read.add(name)
        value = self.data.get(name, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.fail(self.field(name), "es obligatorio")
            return _MISSING
        return value

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def child(self, name: str, required: bool = True) -> Reader | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        return Reader(value, self.field(name), self.errors)

    def children(self, name: str, required: bool = True) -> list[Reader]:
        value = self._get(name, required)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.fail(self.field(name), "debe ser una lista")
            return []
        return [Reader(item, f"{self.field(name)}[{i}]", self.errors) for i, item in enumerate(value)]

    def reject_unknown(self) -> None:
        for key in self.data:
            if key not in self._read:
                self.fail(self.field(str(key)), "campo desconocido (revise la ortografía)")

    def raise_if_errors(self) -> None:
        if self.errors:
            raise InputErrors(self.errors)

    # ------------------------------------------------------------------ scalars

    def decimal(
        self,
        name: str,
        *,
        required: bool = True,
        default: Decimal | None = None,
        minimum: Decimal | None = None,
        positive: bool = False,
        maximum: Decimal | None = None,
    ) -> Decimal | None:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        field = self.field(name)
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail(field, 'debe ser un número decimal escrito como cadena JSON, p. ej. "1250000.00"')
            return default
        if isinstance(value, str) and not value.isascii():
            self.fail(field, f"«{value}» {NOT_ASCII_DIGITS}")
            return default
        try:
            number = D(value)
        except ValueError:
            self.fail(field, f"«{value}» no es un número decimal válido")
            return default
        if abs(number) >= MAX_MAGNITUDE:
            self.fail(field, f"excede el máximo admitido ({MAX_MAGNITUDE - 1:,} en valor absoluto)")
            return default
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
            self.fail(field, f"tiene más de {MAX_DECIMAL_PLACES} decimales")
            return default
        if positive and number <= 0:
            self.fail(field, f"debe ser mayor que cero (se recibió {value})")
            return default
        if minimum is not None and number < minimum:
            self.fail(field, f"no puede ser menor que {minimum} (se recibió {value})")
            return default
        if maximum is not None and number > maximum:
            self.fail(field, f"no puede ser mayor que {maximum} (se recibió {value})")
            return default
        return number

    def integer(
        self,
        name: str,
        *,
        required: bool = True,
        default: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        field = self.field(name)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(field, f"debe ser un número entero (se recibió {value!r})")
            return default
        if minimum is not None and value < minimum:
            self.fail(field, f"no puede ser menor que {minimum} (se recibió {value})")
            return default
        if maximum is not None and value > maximum:
            self.fail(field, f"no puede ser mayor que {maximum} (se recibió {value})")
            return default
        return value

    def boolean(self, name: str, *, required: bool = True, default: bool | None = None) -> bool | None:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.fail(self.field(name), f"debe ser true o false (se recibió {value!r})")
            return default
        return value

    def string(self, name: str, *, required: bool = True, default: str | None = None) -> str | None:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str) or not value.strip():
            self.fail(self.field(name), "debe ser un texto no vacío")
            return default
        return value.strip()

    def date(self, name: str, *, required: bool = True, default: date | None = None) -> date | None:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str):
            self.fail(self.field(name), "debe ser una fecha AAAA-MM-DD")
            return default
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            self.fail(self.field(name), f"«{value}» no es una fecha válida AAAA-MM-DD")
            return default
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            self.fail(
                self.field(name), f"la fecha {value} está fuera del rango admitido ({MIN_YEAR}–{MAX_YEAR})"
            )
            return default
        return parsed

    def enum(self, name: str, enum: type[E], *, required: bool = True, default: E | None = None) -> E | None:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            self.fail(self.field(name), f"«{value}» no es válido; use uno de: {allowed}")
            return default

    def choice(
        self, name: str, choices: Iterable[str], *, required: bool = True, default: str | None = None
    ) -> str | None:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        options = list(choices)
        if value not in options:
            self.fail(self.field(name), f"«{value}» no es válido; use uno de: {', '.join(options)}")
            return default
        return str(value)

    def string_list(self, name: str, *, required: bool = True) -> list[str]:
        value = self._get(name, required)
        if value is _MISSING:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(self.field(name), "debe ser una lista de textos")
            return []
        return [v.strip() for v in value]
