"""Every API request that moves money is performed once per Idempotency-Key: the first call 201, the same call
again 200 with the first result and nothing posted, the same key with other data 409 naming the header, and
no key a 422 naming it. Commission, disbursement or drawdown capture and release, payment, reversal request and
approval (four eyes: the capture and the request post nothing; another user releases or approves)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from money_support import (
    DISBURSED,
    TODAY,
    api_post,
    books_clean,
    commissioned_loan,
    disbursed_loan,
    frozen_today,
    pending_loan,
    token_for,
)
from ninja.responses import NinjaJSONEncoder

from filon.api import api
from filon.ledger.models import JournalEntry
from filon.servicing.models import (
    Disbursement,
    DisbursementOrder,
    Loan,
    Payment,
    PaymentStatus,
    ReversalRequest,
)
from filon.servicing.payments import payment_apply
from filon.servicing.release import disbursement_capture, reversal_request

pytestmark = [pytest.mark.django_db, pytest.mark.security]
frozen_time = pytest.fixture(autouse=True)(frozen_today)


@dataclass
class Operation:
    """A money-moving endpoint on a loan in the state it needs: its path, a body, another body."""

    loan: Loan
    path: str
    body: dict[str, Any]
    other: dict[str, Any]
    who: str = "ana"

    def rows(self) -> tuple[int, int, int, str, int, int]:
        """What a second performance would change: entries, disbursements, payments, the loan's position,
        the captured orders and the reversal requests."""
        loan = Loan.objects.get(pk=self.loan.pk)
        position = (
            f"{loan.principal_balance}|{loan.unapplied_balance}|{loan.opening_commission_paid_on}|"
            f"{loan.payments.filter(status=PaymentStatus.REVERSED).count()}"
        )
        return (
            JournalEntry.objects.count(),
            Disbursement.objects.filter(loan=loan).count(),
            Payment.objects.filter(loan=loan).count(),
            position,
            DisbursementOrder.objects.filter(loan=loan).count(),
            ReversalRequest.objects.filter(loan=loan).count(),
        )


def operation(name: str, cast, applicant) -> Operation:
    if name == "commission":
        loan = pending_loan(cast, applicant)
        return Operation(
            loan, f"/loans/{loan.pk}/commission", {"value_date": str(DISBURSED)}, {"value_date": str(TODAY)}
        )
    if name == "disbursement":
        loan = commissioned_loan(cast, applicant)
        body = {"amount": "1000000.00", "value_date": str(DISBURSED)}
        return Operation(loan, f"/loans/{loan.pk}/disbursements", body, {**body, "amount": "2000000.00"})
    if name == "drawdown":
        loan = commissioned_loan(cast, applicant, revolving=True)
        body = {"amount": "1000000.00", "value_date": str(TODAY), "drawdown_days": 90}
        return Operation(loan, f"/loans/{loan.pk}/disbursements", body, {**body, "drawdown_days": 60})
    if name == "release":
        loan = commissioned_loan(cast, applicant)
        order = disbursement_capture(
            user=cast.ana, loan=loan, amount=Decimal("1000000.00"), value_date=DISBURSED
        )
        return Operation(loan, f"/loans/{loan.pk}/disbursement-orders/{order.pk}/release", {}, {}, "gerardo")
    loan = disbursed_loan(cast, applicant)
    if name == "approval":
        paid = payment_apply(
            user=cast.ana, loan=loan, amount=Decimal("1000.00"), value_date=TODAY, idempotency_key="semilla"
        )
        row = reversal_request(user=cast.ana, payment=paid, reason="Cheque devuelto por el banco")
        return Operation(loan, f"/loans/{loan.pk}/reversal-requests/{row.pk}/approve", {}, {}, "gerardo")
    if name == "payment":
        body = {"amount": "1000.00", "value_date": str(TODAY)}
        return Operation(loan, f"/loans/{loan.pk}/payments", body, {**body, "amount": "2000.00"})
    assert name == "reversal"
    paid = payment_apply(
        user=cast.ana, loan=loan, amount=Decimal("1000.00"), value_date=TODAY, idempotency_key="semilla"
    )
    return Operation(
        loan,
        f"/loans/{loan.pk}/payments/{paid.pk}/reversal",
        {"reason": "Cheque devuelto por el banco"},
        {"reason": "Otro motivo"},
    )


OPERATIONS = ("commission", "disbursement", "drawdown", "payment", "reversal")
SECOND_STEPS = ("release", "approval")  # no body: another key for the same step is refused by its status


@pytest.mark.parametrize("name", OPERATIONS + SECOND_STEPS)
def test_the_same_request_twice_moves_money_once(name, cast, applicant, sample_rates):
    op = operation(name, cast, applicant)
    token = token_for(getattr(cast, op.who))
    before = op.rows()
    first = api_post(token, op.path, op.body, "clave-1")
    assert first.status_code == 201, first.content
    done = op.rows()
    assert done != before  # the first call moved money
    again = api_post(token, op.path, op.body, "clave-1")
    assert again.status_code == 200, again.content
    assert again.json() == first.json()
    assert op.rows() == done
    books_clean()


@pytest.mark.parametrize("name", OPERATIONS)
def test_the_same_key_with_other_data_is_a_conflict(name, cast, applicant, sample_rates):
    op = operation(name, cast, applicant)
    token = token_for(cast.ana)
    assert api_post(token, op.path, op.body, "clave-1").status_code == 201
    done = op.rows()
    response = api_post(token, op.path, op.other, "clave-1")
    assert response.status_code == 409, response.content
    [error] = response.json()["detail"]
    assert error["field"] == "Idempotency-Key"
    assert "La clave de idempotencia (Idempotency-Key) «clave-1» ya se usó" in error["message"]
    assert "No se registró nada" in error["message"]
    assert op.rows() == done
    books_clean()


@pytest.mark.parametrize("name", OPERATIONS + SECOND_STEPS)
@pytest.mark.parametrize("key", [None, "   ", "k" * 81])
def test_a_money_request_without_a_key_is_refused_naming_the_header(name, key, cast, applicant, sample_rates):
    op = operation(name, cast, applicant)
    before = op.rows()
    response = api_post(token_for(getattr(cast, op.who)), op.path, op.body, key)
    assert response.status_code == 422, response.content
    [error] = response.json()["detail"]
    assert error["field"] == "Idempotency-Key"
    assert error["message"]
    assert op.rows() == before


def test_the_openapi_schema_documents_the_key_and_the_answers():
    # read from the API object, as /api/v1/openapi.json serves it to a signed-in person (filon.api)
    schema = json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))
    for path in (
        "/api/v1/loans/{loan_id}/commission",
        "/api/v1/loans/{loan_id}/disbursements",
        "/api/v1/loans/{loan_id}/payments",
        "/api/v1/loans/{loan_id}/payments/{payment_id}/reversal",
        "/api/v1/loans/{loan_id}/disbursement-orders/{order_id}/release",
        "/api/v1/loans/{loan_id}/reversal-requests/{request_id}/approve",
    ):
        post = schema["paths"][path]["post"]
        assert {"200", "201", "409"} <= set(post["responses"]), path
        headers = [p for p in post["parameters"] if p["in"] == "header"]
        assert [(h["name"], h["required"]) for h in headers] == [("Idempotency-Key", True)], path
