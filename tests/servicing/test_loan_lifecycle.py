"""The loan's lifecycle table against the servicing services: a ministración is offered (`LOAN.allowed`)
exactly in the states the disbursement service accepts, and the system's moves (paid off, reopened) are
offered to no one and leave only from their own states."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from conftest import to_ready
from filon.core.calendar import today_mx
from filon.demo.scenarios import loan_disburse
from filon.errors import Forbidden, TransitionRefused
from filon.servicing.lifecycle import LOAN
from filon.servicing.models import Loan, LoanStatus
from filon.servicing.services import commission_pay, loan_create_from_file

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


@pytest.fixture
def loan(cast, credit_file, sample_rates):
    to_ready(cast, credit_file)
    loan = loan_create_from_file(user=cast.ana, file=credit_file)
    return commission_pay(user=cast.ana, loan=loan, value_date=today_mx())


def _put(loan: Loan, state: str) -> Loan:
    Loan.objects.filter(pk=loan.pk).update(status=state)
    return Loan.objects.get(pk=loan.pk)


def _disburses(user, loan: Loan, releaser) -> bool:
    try:
        with transaction.atomic():
            loan_disburse(
                captured_by=user,
                released_by=releaser,
                loan=loan,
                amount=Decimal("1000000"),
                value_date=today_mx(),
            )
            raise Rollback
    except Rollback:
        return True
    except (TransitionRefused, Forbidden):
        return False


def test_a_ministracion_is_offered_exactly_when_the_service_accepts_it(cast, loan):
    accepted = []
    for state in LoanStatus.values:
        current = _put(loan, state)
        offered = "disburse" in LOAN.allowed(cast.ana, current)
        took = _disburses(cast.ana, current, cast.gerardo)
        assert offered == took, state
        if took:
            accepted.append(state)
    assert sorted(accepted) == sorted(LOAN["disburse"].sources) == ["active", "pending"]


def test_the_service_refuses_in_its_own_words_and_moves_to_the_tables_target(cast, loan):
    with pytest.raises(TransitionRefused) as refused:
        loan_disburse(
            captured_by=cast.ana,
            released_by=cast.gerardo,
            loan=_put(loan, LoanStatus.PAID_OFF),
            amount=Decimal("1000000"),
            value_date=today_mx(),
        )
    assert (refused.value.message, refused.value.field) == ("El crédito no admite disposiciones.", "status")
    loan = _put(loan, LoanStatus.PENDING)
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=Decimal("1000000"),
        value_date=today_mx(),
    )
    loan.refresh_from_db()
    assert loan.status == LOAN.target("disburse") == LoanStatus.ACTIVE


def test_other_offices_and_roles_are_offered_nothing(cast, loan):
    assert LOAN.allowed(cast.sofia, loan) == []  # Hermosillo: another office
    assert LOAN.allowed(cast.julia, loan) == []  # legal: not a regional role
    assert LOAN.allowed(cast.gerardo, loan) == ["disburse"]


def test_the_systems_moves_are_offered_to_no_one_and_leave_from_their_own_states(cast, loan):
    assert (LOAN.target("pay_off"), LOAN.target("reopen")) == (LoanStatus.PAID_OFF, LoanStatus.ACTIVE)
    for state in LoanStatus.values:
        current = _put(loan, state)
        assert "pay_off" not in LOAN.allowed(cast.gerardo, current)
        assert (LOAN.refusal("pay_off", None, current) is None) == (state == LoanStatus.ACTIVE)
        assert (LOAN.refusal("reopen", None, current) is None) == (state == LoanStatus.PAID_OFF)
    # No action leads to «cancelado» today.
    assert all(t.target != LoanStatus.CANCELLED for t in LOAN.transitions.values())
