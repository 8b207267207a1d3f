"""How a payment is applied to what the borrower owes, peso by peso.

The order (the Rules are silent; this is the usual order of Mexican development-bank credit contracts, and
it protects principal last):

1. costs (gastos) and their IVA,
2. commissions and their IVA (Rules 14, C-8),
3. moratorium interest (Rules 9.2.5),
4. overdue ordinary interest,
5. overdue principal,
6. current ordinary interest,
7. current principal.

Within a concept that carries IVA, a partial payment covers base and IVA in proportion (IVA is owed on
what is actually collected); the IVA share is rounded half up to the centavo and the base takes the rest.
Whatever is left after every concept is returned as `unapplied`: it is not a prepayment unless the borrower
asks for one with notice (Rules 9.2.6; see `filon.core.prepayment`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from filon.core.money import ZERO, is_cents, round_money


class Concept(StrEnum):
    COSTS = "gastos"
    COMMISSIONS = "comisiones"
    MORATORIUM_INTEREST = "intereses_moratorios"
    OVERDUE_INTEREST = "intereses_vencidos"
    OVERDUE_PRINCIPAL = "capital_vencido"
    CURRENT_INTEREST = "intereses_vigentes"
    CURRENT_PRINCIPAL = "capital_vigente"


# The enum's order is the order of application.
ALLOCATION_ORDER: tuple[Concept, ...] = tuple(Concept)


@dataclass(frozen=True, slots=True)
class Owed:
    """An amount owed for a concept and the IVA on it (zero where interest is exempt, C-8)."""

    amount: Decimal
    iva: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.amount + self.iva


@dataclass(frozen=True, slots=True)
class AppliedLine:
    concept: Concept
    amount: Decimal
    iva: Decimal

    @property
    def total(self) -> Decimal:
        return self.amount + self.iva


@dataclass(frozen=True, slots=True)
class Allocation:
    paid: Decimal
    lines: tuple[AppliedLine, ...]
    unapplied: Decimal

    def applied(self, concept: Concept) -> AppliedLine:
        for line in self.lines:
            if line.concept is concept:
                return line
        return AppliedLine(concept, ZERO, ZERO)


def _check_cents(name: str, value: Decimal) -> None:
    if value < 0 or not is_cents(value):
        raise ValueError(f"{name}: se espera un monto no negativo en centavos, no {value}")


def allocate_payment(amount: Decimal, owed: Mapping[Concept, Owed | Decimal]) -> Allocation:
    """Apply `amount` to `owed` in `ALLOCATION_ORDER`; every centavo ends in a line or in `unapplied`."""
    _check_cents("pago", amount)
    left = amount
    lines: list[AppliedLine] = []
    for concept in ALLOCATION_ORDER:
        debt = owed.get(concept)
        if debt is None:
            continue
        if isinstance(debt, Decimal):
            debt = Owed(debt)
        _check_cents(concept.value, debt.amount)
        _check_cents(f"{concept.value} (IVA)", debt.iva)
        covered = min(left, debt.total)
        if not covered:
            continue
        iva = debt.iva if covered == debt.total else round_money(covered * debt.iva / debt.total)
        lines.append(AppliedLine(concept, covered - iva, iva))
        left -= covered
    return Allocation(paid=amount, lines=tuple(lines), unapplied=left)
