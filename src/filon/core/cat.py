"""Costo Anual Total (CAT), Banco de México's formula.

    Σ_j A_j / (1 + CAT)^t_j  =  Σ_k B_k / (1 + CAT)^s_k

A_j are the disbursements, B_k every payment the borrower makes (principal, interest, commissions and other
charges, **without IVA**), and t_j, s_k the time from the contract's effective date expressed in years and
fractions of a year. FIFOMI's schedules run on whole months from the disbursement (C-3), so the fractions are
months / 12 — Banxico's fraction for each periodicity (mensual 1/12, trimestral 1/4, semestral 1/2 …).
The CAT is shown as a percentage with one decimal, rounded half up.

Because every time is a whole number of months, the equation is a polynomial in x = (1 + CAT)^(−1/12),
solved by Newton's method with a bisection guard in Decimal arithmetic; CAT = x^(−12) − 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from filon.core.calendar import MONTHS_PER_YEAR
from filon.core.money import ONE, ZERO, finance_context
from filon.core.schedule import Schedule

CAT_PLACES = Decimal("0.1")
_TOLERANCE = Decimal("1e-24")
_MAX_ITERATIONS = 200


@dataclass(frozen=True, slots=True)
class CashFlow:
    """`amount` changing hands `months` after the contract's effective date."""

    months: int
    amount: Decimal


def _net_present_value(flows: Sequence[CashFlow], x: Decimal) -> tuple[Decimal, Decimal]:
    """f(x) = Σ amount · x^months and its derivative; payments positive, disbursements negative."""
    value = ZERO
    slope = ZERO
    for flow in flows:
        value += flow.amount * x**flow.months
        if flow.months:
            slope += flow.amount * flow.months * x ** (flow.months - 1)
    return value, slope


def cat_rate(*, disbursements: Sequence[CashFlow], payments: Sequence[CashFlow]) -> Decimal:
    """The CAT as an annual decimal, unrounded."""
    if not disbursements or not payments:
        raise ValueError("el CAT requiere al menos una disposición y un pago")
    flows = [CashFlow(f.months, -f.amount) for f in disbursements] + list(payments)
    if any(f.months < 0 for f in flows):
        raise ValueError("los flujos no pueden ser anteriores a la fecha de inicio")
    with finance_context():
        # f is increasing in x for a loan (money out first, payments after): bracket the root.
        low, high = ZERO, ONE
        while _net_present_value(flows, high)[0] < 0:
            low, high = high, high * 2
            if high > 2**20:
                raise ValueError("los pagos no alcanzan a cubrir las disposiciones: no hay CAT")
        x = high
        for _ in range(_MAX_ITERATIONS):
            value, slope = _net_present_value(flows, x)
            if value > 0:
                high = x
            else:
                low = x
            step = value / slope if slope else ZERO
            candidate = x - step
            if not (low < candidate < high):
                candidate = (low + high) / 2
            if abs(candidate - x) < _TOLERANCE:
                x = candidate
                break
            x = candidate
        if x <= 0:
            raise ValueError("no se pudo calcular el CAT")
        return x ** (-MONTHS_PER_YEAR) - ONE


def cat_percent(*, disbursements: Sequence[CashFlow], payments: Sequence[CashFlow]) -> Decimal:
    """The CAT in percent with one decimal, as Banxico requires it to be shown (e.g. 12.3)."""
    rate = cat_rate(disbursements=disbursements, payments=payments)
    return (rate * 100).quantize(CAT_PLACES, rounding=ROUND_HALF_UP)


def schedule_cat(
    schedule: Schedule,
    *,
    upfront_commissions: Decimal = ZERO,
    commissions: Sequence[CashFlow] = (),
) -> Decimal:
    """The CAT of `schedule` (percent, one decimal), without IVA.

    `upfront_commissions` are paid at disbursement (e.g. the opening commission, Rules 14); `commissions`
    are other charges at given months. Installments count at their nominal due month.
    """
    every = schedule.terms.payment_every_months
    payments = [
        CashFlow(installment.number * every, installment.payment + installment.prepaid)
        for installment in schedule.installments
    ]
    if upfront_commissions:
        payments.append(CashFlow(0, upfront_commissions))
    payments.extend(commissions)
    disbursed = [CashFlow(0, schedule.terms.principal)]
    return cat_percent(disbursements=disbursed, payments=payments)
