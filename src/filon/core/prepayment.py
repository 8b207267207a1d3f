"""Prepayments (Rules 9.2.6): no penalty, applied to the last installments, notified ahead of time.

"Se podrán realizar pagos anticipados a los créditos, sin causar penalización por prepago, aplicándose éstos
a las últimas amortizaciones, para lo cual el acreditado notificará al FIFOMI, cuando menos con un día hábil
de anticipación; el monto, características del pago y fecha de realización."

The term shortens; the regular installments keep their amounts until the balance is gone, and their interest
is recomputed on the lower balance. Interest accrued before the prepayment stays in the installment of the
period it falls in, payable on its regular date (`schedule_rebuild`). The number of business days of notice
comes from the rule set (`rates.prepayment_notice_business_days`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from filon.core.calendar import is_business_day, previous_business_day
from filon.core.errors import InputError, InputErrors
from filon.core.money import is_cents
from filon.core.schedule import PAYMENT_RULE, Schedule, schedule_rebuild


@dataclass(frozen=True, slots=True)
class PrepaymentResult:
    schedule: Schedule
    amount: Decimal
    on: date
    installments_removed: int
    interest_saved: Decimal


def prepayment_notice_deadline(on: date, notice_business_days: int) -> date:
    """The last day on which a prepayment for `on` may be notified: `notice_business_days` business days
    before it (with one day, a payment on Tuesday must be notified by Monday)."""
    deadline = on
    for _ in range(notice_business_days):
        deadline = previous_business_day(deadline)
    return deadline


def prepayment_apply(
    schedule: Schedule,
    *,
    amount: Decimal,
    on: date,
    notified_on: date,
    notice_business_days: int,
) -> PrepaymentResult:
    """`schedule` after a prepayment of `amount` on `on`. Raises `InputErrors` (Spanish, rule 9.2.6)."""
    problems: list[InputError] = []
    if amount <= 0 or not is_cents(amount):
        problems.append(InputError("amount", "el pago anticipado debe ser un monto positivo en centavos"))
    if not is_business_day(on):
        problems.append(InputError("on", f"el {on:%d/%m/%Y} no es día hábil bancario", PAYMENT_RULE))
    deadline = prepayment_notice_deadline(on, notice_business_days)
    if notified_on > deadline:
        problems.append(
            InputError(
                "notified_on",
                f"el aviso debe darse con al menos {notice_business_days} día(s) hábil(es) de "
                f"anticipación: a más tardar el {deadline:%d/%m/%Y}",
                PAYMENT_RULE,
            )
        )
    current = schedule.installment_for(on)
    if current is None:
        problems.append(
            InputError("on", f"el {on:%d/%m/%Y} no cae dentro del plazo del crédito", PAYMENT_RULE)
        )
    elif not problems:
        standing = current.opening_balance - current.prepaid
        if amount > standing:
            problems.append(
                InputError(
                    "amount",
                    f"el pago anticipado ({amount}) excede el saldo insoluto ({standing})",
                    PAYMENT_RULE,
                )
            )
    if problems or current is None:
        raise InputErrors(problems)
    rebuilt = schedule_rebuild(schedule, on=on, balance=current.opening_balance - current.prepaid - amount)
    return PrepaymentResult(
        schedule=rebuilt,
        amount=amount,
        on=on,
        installments_removed=len(schedule.installments) - len(rebuilt.installments),
        interest_saved=schedule.totals.interest - rebuilt.totals.interest,
    )
