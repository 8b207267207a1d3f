"""The registry of checks the apps above servicing add to its money movements (`servicing.checks`): asked
in registration order, the first refusal wins, and a ministración is refused by what is registered."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import to_ready
from filon.core.calendar import today_mx
from filon.demo.scenarios import loan_disburse
from filon.errors import TransitionRefused
from filon.servicing import checks
from filon.servicing.services import commission_pay, loan_create_from_file


def test_the_first_refusal_in_registration_order_wins(monkeypatch):
    monkeypatch.setattr(checks, "_disbursement", {})
    asked = []

    def passes(*, loan, amount):
        asked.append("passes")
        return None

    def refuses(*, loan, amount):
        asked.append("refuses")
        return TransitionRefused(f"No hay recursos para {amount}.", field="fund")

    def never(*, loan, amount):
        asked.append("never")
        return TransitionRefused("Otra razón.", field="fund")

    checks.disbursement_check_register("a.passes", passes)
    checks.disbursement_check_register("b.refuses", refuses)
    checks.disbursement_check_register("c.never", never)
    refusal = checks.disbursement_refusal(loan=None, amount=Decimal("10.00"))
    assert str(refusal) == "No hay recursos para 10.00."
    assert asked == ["passes", "refuses"]


def test_a_name_registers_once(monkeypatch):
    monkeypatch.setattr(checks, "_reversal", {})
    checks.reversal_check_register("funds.payment", lambda *, payment: TransitionRefused("Primera."))
    checks.reversal_check_register("funds.payment", lambda *, payment: None)
    assert list(checks.reversal_checks()) == ["funds.payment"]
    assert checks.reversal_refusal(payment=None) is None


@pytest.mark.django_db
def test_a_registered_refusal_stops_a_ministracion(cast, credit_file, sample_rates, monkeypatch):
    to_ready(cast, credit_file)
    loan = loan_create_from_file(user=cast.ana, file=credit_file)
    commission_pay(user=cast.ana, loan=loan, value_date=today_mx())

    def refuses(*, loan, amount):
        return TransitionRefused(f"El crédito {loan.number} no puede recibir {amount}.", field="fund")

    monkeypatch.setitem(checks._disbursement, "test.refuses", refuses)
    with pytest.raises(TransitionRefused, match=f"El crédito {loan.number} no puede recibir 1000000"):
        loan_disburse(
            captured_by=cast.ana,
            released_by=cast.gerardo,
            loan=loan,
            amount=Decimal("1000000"),
            value_date=today_mx(),
        )
    assert loan.disbursements.count() == 0
