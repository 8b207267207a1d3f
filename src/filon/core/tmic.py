"""Tasa Mixta de Interés Compuesto (Rules 9.2.6, SPEC R-9.2.6).

    TMIC = [Π_{k=1..n} (1 + i_k · nd_k / 360) − 1] × 100

`i_k` is the annual rate of the k-th monthly sub-period (a decimal) and `nd_k` its calendar days.
Computations use the unrounded factor; only the TMIC shown to people is truncated — never rounded — to the
rule set's `tmic_display_places` (the Rules print 2.426777 % as 2.4267).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from filon.core.daycount import simple_growth
from filon.core.money import ONE, finance_context, truncate

HUNDRED = Decimal(100)


def tmic_factor(subperiods: Iterable[tuple[Decimal, int]]) -> Decimal:
    """Π (1 + i_k · nd_k / 360) over (`i_k`, `nd_k`) pairs; never rounded."""
    with finance_context():
        factor = ONE
        for rate, days in subperiods:
            factor *= simple_growth(rate, days)
        return factor


def tmic_percent(subperiods: Iterable[tuple[Decimal, int]]) -> Decimal:
    """The TMIC in percent, unrounded: (factor − 1) × 100."""
    with finance_context():
        return (tmic_factor(subperiods) - ONE) * HUNDRED


def tmic_display(tmic: Decimal, places: int) -> Decimal:
    """The TMIC as shown to people: truncated to `places` decimals (the rule set's `tmic_display_places`)."""
    return truncate(tmic, places)
