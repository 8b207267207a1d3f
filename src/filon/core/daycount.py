"""The day-count convention: Actual/360 for every interest figure (SPEC C-2, Rules 9.2.6 `i_k × nd_k / 360`).

Growth factors returned here are never rounded; only money is (C-1).
"""

from __future__ import annotations

from decimal import Decimal

from filon.core.money import ONE

DAY_COUNT_BASIS = 360


def simple_growth(rate: Decimal, days: int) -> Decimal:
    """1 + rate × days / 360: one (sub)period of simple interest at an annual `rate`."""
    return ONE + rate * days / DAY_COUNT_BASIS


def daily_compounded_growth(rate: Decimal, days: int) -> Decimal:
    """(1 + rate / 360) ** days: `days` calendar days each compounded at the same overnight `rate` (C-9)."""
    return (ONE + rate / DAY_COUNT_BASIS) ** days


def simple_rate(rate: Decimal, days: int) -> Decimal:
    """rate × days / 360: the part of an annual rate earned over `days` days."""
    return rate * days / DAY_COUNT_BASIS
