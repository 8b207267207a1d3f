"""One way into money (STYLE 3, SPEC C-1).

Amounts are `Decimal` built from strings and rounded at named points with an explicit rounding mode;
nothing here relies on the ambient decimal context for rounding.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.000001")
ZERO = Decimal(0)
ONE = Decimal(1)

# Intermediate precision for interest factors and present values: far beyond what a centavo needs, and the
# same on every machine whatever the ambient context says. Results are still rounded explicitly (C-1).
FINANCE_CONTEXT = Context(
    prec=40, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)


def finance_context() -> AbstractContextManager[Context]:
    """`with finance_context():` — do the arithmetic of a computation in FINANCE_CONTEXT."""
    return localcontext(FINANCE_CONTEXT)


NOT_ASCII_DIGITS = "debe escribirse con dígitos 0-9 (ASCII); no se admiten dígitos de otras escrituras"
"""Why «١٢٠٠٠٠٠٠» is refused: Python's Decimal and int read digits of every script (as 12,000,000)."""


def D(value: str | int | Decimal) -> Decimal:
    """Build a Decimal from a string, an int or a Decimal. Floats are refused: they are not exact; so are
    strings with characters outside ASCII (digits of other scripts, which Decimal would read)."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise TypeError(f"D() acepta str, int o Decimal, no {type(value).__name__}")
    if isinstance(value, str) and not value.isascii():
        raise ValueError(f"{value!r} {NOT_ASCII_DIGITS}")
    try:
        result = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} no es un número decimal") from exc
    if not result.is_finite():
        raise ValueError(f"{value!r} no es un número finito")
    return result


def round_money(amount: Decimal) -> Decimal:
    """Round an amount to centavos, half up (C-1)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def cap_money(amount: Decimal) -> Decimal:
    """A most-that-may-be-paid (a share of losses, a fraction of a credit) cut to the centavo, never rounded
    up: paying the cap never pays more than the share itself."""
    return amount.quantize(CENT, rounding=ROUND_DOWN)


def round_rate(rate: Decimal) -> Decimal:
    """Round a rate to 6 decimal places for display and storage (C-1)."""
    return rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def is_cents(amount: Decimal) -> bool:
    """True when `amount` has no fraction of a centavo (C-1: amounts are kept in centavos)."""
    return amount == amount.quantize(CENT, rounding=ROUND_DOWN)


def truncate(value: Decimal, places: int) -> Decimal:
    """Truncate (never round) to `places` decimals, as the Rules print the TMIC (R-9.2.6)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)


def format_amount(amount: Decimal, places: int = 2) -> str:
    """es-MX grouping: 1234567.8 -> '1,234,567.80'."""
    quantum = Decimal(1).scaleb(-places)
    return f"{amount.quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"


TYPED_NUMBER = re.compile(r"[+-]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)")
"""A number as a person in Mexico types it: a decimal point, and commas only between groups of three digits
of the whole part (1,000,000.50 or 1000000.50). «1.000.000,50», «1,00» or «1.000,5» do not match."""

NUMBER_HOW = (
    "escriba el número con punto decimal y, si quiere, comas para los miles, por ejemplo 1,000,000.50"
)


def typed_number_text(text: str) -> str:
    """The digits of a typed number without its thousands commas: '1,000,000.50' -> '1000000.50'.

    Raises ValueError (saying how to write it) for anything else, the comma-decimal form included: read
    naively, «1.000.000,50» is not one million."""
    text = text.strip()
    if not text.isascii():
        raise ValueError(NOT_ASCII_DIGITS)
    if TYPED_NUMBER.fullmatch(text) is None:
        raise ValueError(NUMBER_HOW)
    return text.replace(",", "")


def format_typed(number: Decimal) -> str:
    """A number as an input shows it: thousands commas, its own decimal places: 1000000.5 -> '1,000,000.5'."""
    return f"{number:,f}"


def format_money(amount: Decimal, currency: str = "MXN") -> str:
    """'$1,234,567.89' for pesos, 'USD 1,000,000.00' for dollars."""
    if currency == "MXN":
        sign = "-" if amount < 0 else ""
        return f"{sign}${format_amount(abs(amount))}"
    return f"{currency} {format_amount(amount)}"


def format_percent(rate: Decimal, places: int = 2) -> str:
    """0.0725 -> '7.25 %'."""
    return f"{format_amount(rate * 100, places)} %"


def format_ratio(ratio: Decimal) -> str:
    """Coverage ratios as the Rules write them: 2 -> '2 a 1', 1.5 -> '1.5 a 1', 0.33 -> '0.33 a 1'."""
    text = format(ratio.normalize(), "f")
    return f"{text} a 1"
