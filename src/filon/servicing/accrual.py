"""Interest and moratorium accrual, shared by the daily close (many loans) and payments (one loan).

Reading recorded here (SPEC is silent on the accrual method):
- Ordinary interest of an installment accrues straight-line over its period [start, due): through day t
  the accrued amount is round(interest × k / N), k = days elapsed including t, N = the period's days. On
  its due date the accrued amount equals the installment's interest exactly, so what is accrued always
  reconciles with the schedule (C-1 rounding happens once per computed figure).
- Moratorium (R-9.2.5, I-8) accrues on the unpaid principal of an installment from the day after its
  payable date (C-3: a due date on a holiday is payable the next business day), at factor × the ordinary
  annual rate in force on each day of the delay (`filon.core.accrual.DelayRate`: the fixed rate, or the
  base published for the day's month by C-5 + spread), Actual/360. What is accrued through a date is the
  whole delay's amount rounded once, so daily closes add up to one accrual over the span.
Accrued interest of loans in cartera vencida keeps accruing to the same receivable but is posted to the
vencida interest account (1304); the reclassification moves the balance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from filon.core.accrual import DelayRate, moratorium_increment
from filon.core.money import round_money
from filon.core.rates import MissingRate, RateSeries
from filon.errors import DomainError
from filon.ledger import chart
from filon.ledger.services import Line
from filon.marketdata.selectors import rate_series_get

ZERO = Decimal(0)


@dataclass
class InstallmentState:
    id: int
    start: date
    due: date
    payable: date
    rate: Decimal  # the period's effective rate (factor − 1)
    interest: Decimal
    interest_accrued: Decimal
    principal_unpaid: Decimal
    moratorium_accrued: Decimal


@dataclass(frozen=True)
class Delta:
    installment_id: int
    interest: Decimal
    moratorium: Decimal


def interest_target(row: InstallmentState, through: date) -> Decimal:
    """Ordinary interest of the installment accrued through `through` (inclusive)."""
    period_days = (row.due - row.start).days
    if period_days <= 0 or through < row.start:
        return ZERO
    elapsed = min((through - row.start).days + 1, period_days)
    if elapsed >= period_days:
        return row.interest
    return round_money(row.interest * elapsed / period_days)


def moratorium_delta(
    row: InstallmentState, since: date, through: date, factor: Decimal, rate: DelayRate
) -> Decimal:
    """Moratorium on the row's unpaid principal for the days in (max(since, payable), through] (R-9.2.5,
    I-8), by `filon.core.accrual.moratorium_increment`: daily closes add up to one accrual over the span.
    `rate` is the loan's `DelayRate` (the ordinary rate of each day of the delay)."""
    return moratorium_increment(
        principal=row.principal_unpaid,
        rate=rate,
        due=row.payable,
        accrued_until=since,
        until=through,
        factor=factor,
    )


def accrual_deltas(
    rows: Iterable[InstallmentState],
    *,
    accrued_through: date,
    through: date,
    moratorium_factor: Decimal,
    delay_rate: Callable[[], DelayRate],
) -> list[Delta]:
    """What to accrue for one loan's installments from the day after `accrued_through` to `through`.
    `delay_rate` gives the loan's `DelayRate`; it is only asked for when some principal is late. A month
    of the delay with no base published before it is a `DomainError` on `base_series` (C-5)."""
    deltas = []
    rate: DelayRate | None = None
    for row in rows:
        interest = interest_target(row, through) - row.interest_accrued
        mora = ZERO
        if row.principal_unpaid > 0 and through > max(accrued_through, row.payable):
            rate = rate or delay_rate()
            try:
                mora = moratorium_delta(row, accrued_through, through, moratorium_factor, rate)
            except MissingRate as exc:
                raise DomainError(str(exc), field="base_series", rule=exc.rule) from None
        if interest or mora:
            deltas.append(Delta(row.id, interest, mora))
    return deltas


def delay_rate_of(
    *, fixed_rate: Decimal | None, base_series: str, spread: Decimal, series: RateSeries | None = None
) -> DelayRate:
    """The `DelayRate` of a loan's pricing terms (I-8): its fixed rate, or its base series (the one its
    ordinary rate floats on — TIIE 28, TIIE de Fondeo, or the USD base of its tenor, I-3) + spread.
    `series` saves the read when the caller holds it; a series with no observation is a `DomainError`
    naming `base_series` and citing the look-up's rule."""
    if fixed_rate is not None:
        return DelayRate(fixed=fixed_rate)
    if series is None:
        try:
            series = rate_series_get(base_series)
        except MissingRate as exc:
            raise DomainError(str(exc), field="base_series", rule=exc.rule) from None
    return DelayRate(series=series, spread=spread)


def loan_delay_rate(loan: Any) -> DelayRate:
    """The `DelayRate` of a loan (R-9.2.5, I-8)."""
    return delay_rate_of(fixed_rate=loan.fixed_rate, base_series=loan.base_series, spread=loan.spread)


def accrual_lines(
    *, loan_id: int, currency: str, vencida: bool, interest: Decimal, moratorium: Decimal
) -> list[Line]:
    """The ledger lines of one loan's accrual: receivable (per loan) against income."""
    lines: list[Line] = []
    if interest:
        receivable = chart.INTERESES_VENCIDOS if vencida else chart.INTERESES_DEVENGADOS
        lines += [
            Line(receivable, interest, currency, loan_id),
            Line(chart.INGRESOS_INTERESES, -interest, currency),
        ]
    if moratorium:
        lines += [
            Line(chart.INTERESES_MORATORIOS, moratorium, currency, loan_id),
            Line(chart.INGRESOS_MORATORIOS, -moratorium, currency),
        ]
    return lines


def loan_accrual_deltas(*, loan: object, through: date) -> list[Delta]:
    """What accruing one loan through `through` would add to its unpaid installments, without writing:
    `loan_accrue` posts exactly these, and the payoff amount (`loan_payoff`) adds them to the position."""
    from filon.servicing.models import Installment, Loan

    assert isinstance(loan, Loan)
    if loan.accrued_through is None or through <= loan.accrued_through:
        return []
    rows = [
        InstallmentState(
            i.pk,
            i.start,
            i.due,
            i.payable,
            i.rate,
            i.interest,
            i.interest_accrued,
            i.principal - i.principal_paid,
            i.moratorium_accrued,
        )
        for i in Installment.objects.filter(version__loan=loan, version__active=True).exclude(status="paid")
    ]
    return accrual_deltas(
        rows,
        accrued_through=loan.accrued_through,
        through=through,
        moratorium_factor=loan.moratorium_factor,
        delay_rate=lambda: loan_delay_rate(loan),
    )


def loan_accrue(*, loan: object, through: date) -> list[Delta]:
    """Accrue one (locked) loan through `through` and post it; used by payments before applying money.

    The caller holds the loan's row lock and the transaction. Returns the deltas applied.
    """
    from filon.ledger.services import entry_post
    from filon.servicing.models import Classification, Installment, Loan

    assert isinstance(loan, Loan)
    if loan.accrued_through is None or through <= loan.accrued_through:
        return []
    deltas = loan_accrual_deltas(loan=loan, through=through)
    interest = sum((d.interest for d in deltas), ZERO)
    mora = sum((d.moratorium for d in deltas), ZERO)
    if interest or mora:
        entry_post(
            kind="devengo",
            business_date=through,
            loan_id=loan.pk,
            description=f"Devengo de intereses del crédito {loan.number} al {through:%d/%m/%Y}",
            lines=accrual_lines(
                loan_id=loan.pk,
                currency=loan.currency,
                vencida=loan.classification == Classification.VENCIDA,
                interest=interest,
                moratorium=mora,
            ),
        )
        by_id = {d.installment_id: d for d in deltas}
        for inst in Installment.objects.filter(pk__in=list(by_id)):
            d = by_id[inst.pk]
            inst.interest_accrued += d.interest
            inst.moratorium_accrued += d.moratorium
            inst.save(update_fields=["interest_accrued", "moratorium_accrued"])
    loan.accrued_interest += interest
    loan.accrued_moratorium += mora
    loan.accrued_through = through
    loan.save(update_fields=["accrued_interest", "accrued_moratorium", "accrued_through"])
    return deltas
