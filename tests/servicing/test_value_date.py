"""One rule for the value date of every money operation: a day is closed after it ends, so an operation is
dated after the last closed day and not after today (`ledger.services.value_date_refusal`). The commission,
the disbursement and the payment give the same verdict and the same message for the same date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from conftest import proposal_data, to_ready
from filon.core.calendar import MEXICO_CITY
from filon.demo.scenarios import loan_disburse
from filon.errors import ValidationFailed
from filon.ledger.services import day_close
from filon.servicing.models import Loan
from filon.servicing.payments import payment_apply
from filon.servicing.services import commission_pay, loan_create_from_file

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 7, 15)  # a Wednesday
CLOSED = dt.date(2026, 7, 13)  # the last closed day
PAST_OPEN = dt.date(2026, 7, 14)  # after the last close, before today
TOMORROW = dt.date(2026, 7, 16)
EARLIER = dt.date(2026, 7, 1)  # before the close: what each operation needs done first
AMOUNT = Decimal("12000000")
RULE = "debe ser posterior al último cierre (13/07/2026) y no posterior a hoy (15/07/2026)."


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(dt.datetime(2026, 7, 15, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


def _loan(cast, applicant, *, commission: bool, disburse: bool) -> Loan:
    from filon.origination.services import file_create

    file = file_create(user=cast.ana, applicant=applicant, proposal=proposal_data(term_months=36))
    to_ready(cast, file)
    loan = loan_create_from_file(user=cast.ana, file=file)
    if commission:
        commission_pay(user=cast.ana, loan=loan, value_date=EARLIER)
    if disburse:
        loan_disburse(
            captured_by=cast.ana, released_by=cast.gerardo, loan=loan, amount=AMOUNT, value_date=EARLIER
        )
    loan.refresh_from_db()
    return loan


def _commission(cast, loan: Loan, on: dt.date) -> None:
    commission_pay(user=cast.ana, loan=loan, value_date=on)


def _disbursement(cast, loan: Loan, on: dt.date) -> None:
    loan_disburse(captured_by=cast.ana, released_by=cast.gerardo, loan=loan, amount=AMOUNT, value_date=on)


def _payment(cast, loan: Loan, on: dt.date) -> None:
    payment_apply(user=cast.ana, loan=loan, amount=Decimal("1000.00"), value_date=on, idempotency_key="pago")


OPERATIONS = {
    # operation: (what it does, the commission paid and the loan disbursed before it)
    "comisión": (_commission, False, False),
    "ministración": (_disbursement, True, False),
    "pago": (_payment, True, True),
}
DATES = [
    # (case, value date, refusal or None for accepted)
    ("día cerrado", CLOSED, f"La fecha valor 13/07/2026 no se admite: {RULE}"),
    ("hoy abierto", TODAY, None),
    ("mañana", TOMORROW, f"La fecha valor 16/07/2026 no se admite: {RULE}"),
    ("día pasado abierto", PAST_OPEN, None),
]


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize(("case", "on", "refusal"), DATES, ids=[d[0] for d in DATES])
def test_every_money_operation_follows_the_same_value_date_rule(
    cast, applicant, sample_rates, operation, case, on, refusal
):
    act, commission, disburse = OPERATIONS[operation]
    loan = _loan(cast, applicant, commission=commission, disburse=disburse)
    day_close(CLOSED)
    if refusal is None:
        act(cast, loan, on)
        return
    with pytest.raises(ValidationFailed) as refused:
        act(cast, loan, on)
    assert [(e.field, e.message) for e in refused.value.errors] == [("value_date", refusal)]


def test_with_no_close_yet_only_a_future_date_is_refused(cast, applicant, sample_rates):
    loan = _loan(cast, applicant, commission=False, disburse=False)
    with pytest.raises(ValidationFailed) as refused:
        commission_pay(user=cast.ana, loan=loan, value_date=TOMORROW)
    assert (
        refused.value.message
        == "La fecha valor 16/07/2026 no se admite: no puede ser posterior a hoy (15/07/2026)."
    )
    assert commission_pay(user=cast.ana, loan=loan, value_date=TODAY).opening_commission_paid_on == TODAY
