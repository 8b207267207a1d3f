"""What the guarantee funds would pay in a default scenario (Rules, Chapter II: P-2 2.4, P-3 3.4, P-4 4.2).

Given the funds (what each holds) and the defaults (which credits, on which dates, owing what by concept),
the funds pay "the first defaulted credits until exhausted": defaults are taken by date (ties in the given
order), and each default is paid by the funds that may cover it, in the order the funds are given. Each
fund's payment is split over the credit's concepts by the payment engine's own order
(`filon.core.allocation.allocate_payment`: costs, commissions, moratorium, interest, principal), so the
what-if and a real fund payment apply money the same way.

A liquid guarantee in proportion to each credit (P-4, FOGAMICO 0.33 : 1) pays at most `credit_fraction` of
the credit's contracted amount. A first-loss fund of a portfolio (P-3, FOCIR) also stops at `loss_fraction` of the portfolio's losses:
what it may have paid after a default is `loss_fraction × (prior_losses + the defaults so far)` less what it
already paid (`prior_paid` and this scenario's payments). Both caps are cut to the centavo, never rounded
up, so a fund never pays more than its share (half of 0.01 of losses is 0.00, not 0.01).

Pure: no Django, no database; money as `Decimal` in centavos.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from filon.core.allocation import ALLOCATION_ORDER, Concept, allocate_payment
from filon.core.money import ZERO, cap_money, is_cents


@dataclass(frozen=True)
class FundInput:
    code: str
    balance: Decimal
    loss_fraction: Decimal | None = None  # P-3: share of the portfolio's losses it pays at most
    prior_losses: Decimal = ZERO  # losses of the portfolio before the scenario (loss_fraction only)
    prior_paid: Decimal = ZERO  # what the fund already paid for them (loss_fraction only)
    credit_fraction: Decimal | None = None  # P-4: a liquid guarantee pays at most this share of each credit


@dataclass(frozen=True)
class Default:
    """A credit in default on `on`, owing `owed` by concept; `funds` restricts which funds may pay it
    (codes, None = every fund given)."""

    loan: str
    on: date
    owed: Mapping[Concept, Decimal]
    funds: tuple[str, ...] | None = None
    contracted: Decimal = ZERO  # the credit's contracted amount (for a fund with `credit_fraction`)
    loss: Decimal | None = None  # what it adds to the portfolio's losses (None = `total`; zero when a
    # fund already counted it among `prior_losses`)

    @property
    def total(self) -> Decimal:
        return sum(self.owed.values(), ZERO)


@dataclass(frozen=True)
class FundOutcome:
    code: str
    opening: Decimal
    paid: Decimal
    remaining: Decimal


@dataclass(frozen=True)
class LoanOutcome:
    loan: str
    on: date
    defaulted: Decimal
    covered: Decimal
    uncovered: Decimal
    by_fund: dict[str, Decimal] = field(default_factory=dict)
    by_concept: dict[Concept, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class WhatIf:
    funds: tuple[FundOutcome, ...]
    loans: tuple[LoanOutcome, ...]

    @property
    def defaulted(self) -> Decimal:
        return sum((loan.defaulted for loan in self.loans), ZERO)

    @property
    def covered(self) -> Decimal:
        return sum((loan.covered for loan in self.loans), ZERO)

    @property
    def uncovered(self) -> Decimal:
        return sum((loan.uncovered for loan in self.loans), ZERO)


def _check(name: str, value: Decimal) -> None:
    if value < 0 or not is_cents(value):
        raise ValueError(f"{name}: se espera un monto no negativo en centavos, no {value}")


def fund_whatif(funds: Sequence[FundInput], defaults: Sequence[Default]) -> WhatIf:
    """Per fund what it pays and what remains; per credit what is covered and what is not."""
    codes = [fund.code for fund in funds]
    if len(set(codes)) != len(codes):
        raise ValueError("claves de fondo repetidas")
    for fund in funds:
        _check(f"fondo {fund.code}", fund.balance)
        for fraction in (fund.loss_fraction, fund.credit_fraction):
            if fraction is not None and not ZERO <= fraction <= 1:
                raise ValueError(f"fondo {fund.code}: las fracciones van de 0 a 1")
    for default in defaults:
        for concept, amount in default.owed.items():
            _check(f"{default.loan} {concept.value}", amount)
    left = {fund.code: fund.balance for fund in funds}
    paid = {fund.code: ZERO for fund in funds}
    losses = ZERO
    outcomes: list[LoanOutcome] = []
    ordered = sorted(enumerate(defaults), key=lambda item: (item[1].on, item[0]))
    for _, default in ordered:
        owed = {c: default.owed[c] for c in ALLOCATION_ORDER if default.owed.get(c)}
        losses += default.total if default.loss is None else default.loss
        by_fund: dict[str, Decimal] = {}
        by_concept: dict[Concept, Decimal] = {}
        for fund in funds:
            if default.funds is not None and fund.code not in default.funds:
                continue
            available = left[fund.code]
            if fund.loss_fraction is not None:
                cap = cap_money(fund.loss_fraction * (fund.prior_losses + losses))
                available = min(available, max(ZERO, cap - fund.prior_paid - paid[fund.code]))
            if fund.credit_fraction is not None:
                available = min(available, cap_money(fund.credit_fraction * default.contracted))
            amount = min(available, sum(owed.values(), ZERO))
            if amount <= 0:
                continue
            allocation = allocate_payment(amount, owed)
            for line in allocation.lines:
                owed[line.concept] -= line.total
                by_concept[line.concept] = by_concept.get(line.concept, ZERO) + line.total
            left[fund.code] -= amount
            paid[fund.code] += amount
            by_fund[fund.code] = amount
        covered = sum(by_fund.values(), ZERO)
        outcomes.append(
            LoanOutcome(
                loan=default.loan,
                on=default.on,
                defaulted=default.total,
                covered=covered,
                uncovered=default.total - covered,
                by_fund=by_fund,
                by_concept=by_concept,
            )
        )
    return WhatIf(
        funds=tuple(FundOutcome(f.code, f.balance, paid[f.code], left[f.code]) for f in funds),
        loans=tuple(outcomes),
    )
