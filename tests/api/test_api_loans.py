"""The REST API for loans, with tokens: creation from a ready file, commission, disbursement, schedule,
statement, payments once per Idempotency-Key, reversals and obligations; office scoping (404), roles (403),
bad input (4xx naming the field), and the books balancing afterwards.

Time is frozen on Wednesday 15/07/2026; the loan (12 M MXN, 36 monthly payments, no grace) is disbursed on
Monday 06/04/2026, so three installments are late by today (as in tests/servicing/test_payments.py).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import time_machine
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from conftest import openapi_schema, proposal_data, to_ready
from filon.core.calendar import MEXICO_CITY
from filon.demo.scenarios import loan_disburse
from filon.ledger.models import JournalEntry
from filon.ledger.services import ledger_check
from filon.servicing.models import Loan, LoanTask, Payment, PaymentStatus
from filon.servicing.selectors import loan_positions

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 7, 15)
DISBURSED = "2026-04-06"
PEOPLE = ("ana", "sofia", "gerardo", "ramon", "marta", "omar")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(dt.datetime(2026, 7, 15, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


@pytest.fixture
def tokens(cast):
    from filon.accounts.services import api_token_create

    return {
        name: api_token_create(actor=None, user=getattr(cast, name), name="pruebas")[1] for name in PEOPLE
    }


@pytest.fixture
def api(client, tokens):
    def call(who, method, path, body=None, **headers):
        headers["HTTP_AUTHORIZATION"] = f"Bearer {tokens[who]}"
        data = body if isinstance(body, str) else json.dumps(body) if body is not None else None
        kwargs = {"content_type": "application/json"} if data is not None else {}
        return getattr(client, method)(f"/api/v1{path}", data=data, **kwargs, **headers)

    return call


@pytest.fixture
def ready_file(cast, applicant, sample_rates):
    from filon.origination.services import file_create

    file = file_create(
        user=cast.ana, applicant=applicant, proposal=proposal_data(term_months=36, grace_months=0)
    )
    return to_ready(cast, file)


@pytest.fixture
def loan(api, ready_file):
    """Created, commission paid and disbursed in full, all through the API."""
    response = api("ana", "post", f"/files/{ready_file.pk}/loan")
    assert response.status_code == 201, response.content
    lid = response.json()["id"]
    response = api(
        "ana", "post", f"/loans/{lid}/commission", {"value_date": DISBURSED}, HTTP_IDEMPOTENCY_KEY="comision"
    )
    assert response.status_code == 201, response.content
    response = api(
        "ana",
        "post",
        f"/loans/{lid}/disbursements",
        {"amount": "12000000", "value_date": DISBURSED},
        HTTP_IDEMPOTENCY_KEY="ministracion",
    )
    assert response.status_code == 201, response.content
    release(api, lid, response.json()["id"])
    return Loan.objects.get(pk=lid)


def release(api, lid, order, who="gerardo", key="liberar"):
    """The captured order released by another user (the office's manager)."""
    response = api(who, "post", f"/loans/{lid}/disbursement-orders/{order}/release", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 201, response.content
    return response


def fields(response) -> set:
    return {e["field"] for e in response.json()["detail"]}


def books_balance() -> None:
    assert ledger_check(loan_positions=loan_positions()) == []


def pay(api, loan, body, key="pago-1", who="ana"):
    return api(who, "post", f"/loans/{loan.pk}/payments", body, HTTP_IDEMPOTENCY_KEY=key)


# ---------------------------------------------------------------------------------- creation and reads


def test_loan_from_file_commission_and_disbursement(api, ready_file):
    response = api("ana", "post", f"/files/{ready_file.pk}/loan")
    assert response.status_code == 201, response.content
    loan = response.json()
    assert (loan["status"], loan["contracted_amount"], loan["opening_commission_iva"], loan["office"]) == (
        "pending",
        "12000000.00",
        "28800.00",
        "ZAC",
    )
    assert (loan["base_series"], loan["position"]) == ("TIIE_FONDEO", [])
    lid = loan["id"]
    response = api("ana", "post", f"/files/{ready_file.pk}/loan")
    assert (response.status_code, fields(response)) == (409, {"file"})

    # No disbursement before the opening commission (Rules 14): the refusal cites the rule.
    response = api(
        "ana",
        "post",
        f"/loans/{lid}/disbursements",
        {"amount": "1000000", "value_date": DISBURSED},
        HTTP_IDEMPOTENCY_KEY="antes-de-la-comision",
    )
    assert response.status_code == 409
    assert response.json()["detail"] == [
        {
            "field": "opening_commission",
            "message": "La comisión por apertura y su IVA deben pagarse antes de disponer.",
            "rule": "14",
        }
    ]
    commission = f"/loans/{lid}/commission"
    response = api("ana", "post", commission, {"value_date": DISBURSED}, HTTP_IDEMPOTENCY_KEY="comision")
    assert (response.status_code, response.json()["opening_commission_paid_on"]) == (201, DISBURSED)
    response = api("ana", "post", commission, {"value_date": DISBURSED}, HTTP_IDEMPOTENCY_KEY="otra")
    assert (response.status_code, fields(response)) == (409, {"opening_commission"})

    response = api(
        "ana",
        "post",
        f"/loans/{lid}/disbursements",
        {"amount": "12000000.00", "value_date": DISBURSED},
        HTTP_IDEMPOTENCY_KEY="ministracion",
    )
    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["amount"], order["value_date"], order["status"], order["disbursement"]) == (
        "12000000.00",
        DISBURSED,
        "captured",
        None,
    )
    assert api("ana", "get", f"/loans/{lid}").json()["status"] == "pending"  # nothing posted yet
    path = f"/loans/{lid}/disbursement-orders/{order['id']}/release"
    response = api("ana", "post", path, HTTP_IDEMPOTENCY_KEY="liberar")
    assert response.status_code == 409
    assert response.json()["detail"][0]["field"] == "released_by"
    assert "Usted capturó esta orden de ministración" in response.json()["detail"][0]["message"]
    released = release(api, lid, order["id"]).json()
    assert (released["status"], released["released_by"]) == ("released", "gerardo.zac")
    assert released["disbursement"]["amount"] == "12000000.00"
    again = api("gerardo", "post", path, HTTP_IDEMPOTENCY_KEY="liberar")
    assert (again.status_code, again.json()) == (200, released)
    listed = api("ana", "get", f"/loans/{lid}/disbursement-orders").json()
    assert [o["id"] for o in listed] == [order["id"]]
    detail = api("ana", "get", f"/loans/{lid}").json()
    assert (detail["status"], detail["principal_balance"], detail["first_disbursed_on"]) == (
        "active",
        "12000000.00",
        DISBURSED,
    )
    assert detail["position"] == [
        {"account": "1301", "name": "Cartera de crédito vigente — capital", "amount": "12000000.00"}
    ]
    schedule = api("ana", "get", f"/loans/{lid}/schedule").json()
    assert (schedule["version"], len(schedule["installments"])) == (1, 36)
    assert sum(Decimal(r["principal"]) for r in schedule["installments"]) == Decimal("12000000")
    first = schedule["installments"][0]
    assert (first["due"], first["principal_paid"], first["status"]) == ("2026-05-06", "0.00", "pending")
    kinds = {t["kind"] for t in api("ana", "get", f"/loans/{lid}/tasks").json()}
    assert kinds == {"proof_of_use", "quarterly_visit", "annual_statements", "insurance"}
    books_balance()


def test_list_filters_and_schedule_before_disbursement(api, ready_file, loan):
    assert [x["id"] for x in api("ana", "get", "/loans").json()] == [loan.pk]
    assert [x["id"] for x in api("ana", "get", "/loans?status=active&classification=vigente").json()] == [
        loan.pk
    ]
    assert api("ana", "get", "/loans?status=pending").json() == []
    assert api("ana", "get", "/loans?classification=vencida").json() == []
    response = api("ana", "get", "/loans?status=inventado")
    assert (response.status_code, fields(response)) == (422, {"status"})


# ------------------------------------------------------------------------------------------- payments


def test_payment_once_per_key_then_reversed(api, loan):
    body = {"amount": "150000.00", "value_date": str(TODAY)}
    entries = JournalEntry.objects.count()
    response = pay(api, loan, body, key="pago-julio")
    assert response.status_code == 201, response.content
    payment = response.json()
    assert (payment["status"], payment["amount"], payment["idempotency_key"]) == (
        "applied",
        "150000.00",
        "pago-julio",
    )
    assert payment["allocation"][0]["concept"] == "intereses_moratorios"
    assert sum(Decimal(a["amount"]) for a in payment["allocation"]) == Decimal("150000.00")
    assert JournalEntry.objects.count() == entries + 2  # the accrual through the value date, the payment
    books_balance()

    # A retry returns the same payment with 200 and posts nothing.
    entries = JournalEntry.objects.count()
    response = pay(api, loan, body, key="pago-julio")
    assert (response.status_code, response.json()) == (200, payment)
    # The same key with a different payment is a conflict naming the header; nothing posted.
    response = pay(api, loan, {**body, "amount": "99.00"}, key="pago-julio")
    assert response.status_code == 409
    assert fields(response) == {"Idempotency-Key"}
    assert "amount" in response.json()["detail"][0]["message"]
    assert Payment.objects.filter(loan=loan).count() == 1
    assert JournalEntry.objects.count() == entries
    assert JournalEntry.objects.filter(loan=loan, kind="pago").count() == 1
    assert [p["id"] for p in api("ana", "get", f"/loans/{loan.pk}/payments").json()] == [payment["id"]]

    statement = api("ana", "get", f"/loans/{loan.pk}/statement").json()
    assert statement["balanced"] is True
    assert [p["id"] for p in statement["payments"]] == [payment["id"]]
    assert statement["period_from"] is None
    period = api(
        "ana", "get", f"/loans/{loan.pk}/statement?period_from=2026-07-01&period_to=2026-07-31"
    ).json()
    assert (period["period_from"], period["opening_principal"]) == ("2026-07-01", "12000000.00")
    assert [p["id"] for p in period["payments"]] == [payment["id"]]
    assert all(m["date"] >= "2026-07-01" for m in period["movements"])
    earlier = api("ana", "get", f"/loans/{loan.pk}/statement?period_to=2026-06-30").json()
    assert earlier["payments"] == []
    response = api("ana", "get", f"/loans/{loan.pk}/statement?period_from=julio")
    assert (response.status_code, fields(response)) == (422, {"period_from"})
    rows = api("ana", "get", f"/loans/{loan.pk}/schedule").json()["installments"]
    assert Decimal(rows[0]["interest_paid"]) > 0

    reversal = f"/loans/{loan.pk}/payments/{payment['id']}/reversal"
    response = api("ana", "post", reversal, {"reason": ""}, HTTP_IDEMPOTENCY_KEY="reversa")
    assert (response.status_code, fields(response)) == (422, {"reason"})
    response = api(
        "ana", "post", reversal, {"reason": "Cheque devuelto por el banco"}, HTTP_IDEMPOTENCY_KEY="reversa"
    )
    assert response.status_code == 201, response.content
    asked = response.json()
    assert (asked["status"], asked["reason"], asked["payment"]["status"]) == (
        "requested",
        "Cheque devuelto por el banco",
        "applied",
    )
    approve = f"/loans/{loan.pk}/reversal-requests/{asked['id']}/approve"
    response = api("ana", "post", approve, HTTP_IDEMPOTENCY_KEY="aprobar")
    assert (response.status_code, fields(response)) == (409, {"decided_by"})
    assert "Usted solicitó esta reversa" in response.json()["detail"][0]["message"]
    response = api("gerardo", "post", approve, HTTP_IDEMPOTENCY_KEY="aprobar")
    assert response.status_code == 201, response.content
    assert (response.json()["status"], response.json()["payment"]["reversal_reason"]) == (
        "approved",
        "Cheque devuelto por el banco",
    )
    assert api("gerardo", "post", approve, HTTP_IDEMPOTENCY_KEY="aprobar").status_code == 200
    listed = api("ana", "get", f"/loans/{loan.pk}/reversal-requests").json()
    assert [(r["id"], r["status"]) for r in listed] == [(asked["id"], "approved")]
    response = api("ana", "post", reversal, {"reason": "otra vez"}, HTTP_IDEMPOTENCY_KEY="otra-reversa")
    assert (response.status_code, fields(response)) == (409, {"status"})
    assert Payment.objects.get(pk=payment["id"]).status == PaymentStatus.REVERSED
    missing = f"/loans/{loan.pk}/payments/999999/reversal"
    assert api("ana", "post", missing, {"reason": "x"}, HTTP_IDEMPOTENCY_KEY="nada").status_code == 404
    books_balance()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 422),
        ({"HTTP_IDEMPOTENCY_KEY": ""}, 422),
        ({"HTTP_IDEMPOTENCY_KEY": "   "}, 422),
        ({"HTTP_IDEMPOTENCY_KEY": "k" * 81}, 422),
    ],
)
def test_payment_requires_an_idempotency_key(api, loan, headers, status):
    response = api(
        "ana",
        "post",
        f"/loans/{loan.pk}/payments",
        {"amount": "1000.00", "value_date": str(TODAY)},
        **headers,
    )
    assert response.status_code == status, response.content
    assert fields(response) == {"Idempotency-Key"}
    assert response.json()["detail"][0]["message"]
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"amount": "mil pesos", "value_date": "2026-07-15"}, "amount", 422),
        ({"amount": "NaN", "value_date": "2026-07-15"}, "amount", 422),
        ({"amount": "1e30", "value_date": "2026-07-15"}, "amount", 422),
        ({"amount": "-5.00", "value_date": "2026-07-15"}, "amount", 422),
        ({"amount": "10.005", "value_date": "2026-07-15"}, "amount", 422),
        ({"amount": "1000.00", "value_date": "2026-07-32"}, "value_date", 422),
        ({"amount": "1000.00", "value_date": "2026-07-16"}, "value_date", 422),
        ({"amount": "1000.00", "value_date": "1900-01-01"}, "value_date", 422),
        ({"amount": "1000.00", "value_date": "2026-07-15", "currency": "USD"}, "currency", 422),
        ({"amount": "1000.00"}, "value_date", 422),
        ({"amount": "1000.00", "value_date": "2026-07-15", "banco": "X"}, "banco", 422),
        ("[1, 2]", None, 422),
        ("{roto", "(documento)", 422),
    ],
)
def test_payment_bad_input_is_a_4xx_naming_the_field(api, loan, body, field, status):
    response = pay(api, loan, body, key="mala")
    assert response.status_code == status, response.content
    detail = response.json()["detail"]
    assert all(e["message"] for e in detail)
    if field is not None:
        assert field in {e["field"] for e in detail}
    assert Payment.objects.count() == 0
    books_balance()


@pytest.mark.parametrize("path", ["payments", "disbursements"])
def test_an_amount_beyond_the_rule_sets_ceiling_is_a_422_citing_the_rule(api, loan, path):
    """99,999,999,999,999.99 was once stored as …98 on SQLite: now no credit of the Rules can reach it."""
    body = {"amount": "99999999999999.99", "value_date": "2026-07-15"}
    response = api("ana", "post", f"/loans/{loan.pk}/{path}", body, HTTP_IDEMPOTENCY_KEY="tope")
    assert response.status_code == 422, response.content
    [error] = response.json()["detail"]
    assert (error["field"], error["rule"]) == ("amount", "9.2.2")
    assert "excede el importe máximo" in error["message"]
    assert Payment.objects.count() == 0
    assert loan.disbursements.count() == 1
    books_balance()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "doce millones", "value_date": "2026-07-15"}, "amount"),
        ({"amount": "0", "value_date": "2026-07-15"}, "amount"),
        ({"amount": "0.001", "value_date": "2026-07-15"}, "amount"),
        ({"amount": "1000", "value_date": "2026-12-01"}, "value_date"),
        ({"amount": "1000", "value_date": "2026-07-15", "drawdown_days": 0}, "drawdown_days"),
        ({"amount": "1000"}, "value_date"),
    ],
)
def test_disbursement_bad_input(api, loan, body, field):
    response = api("ana", "post", f"/loans/{loan.pk}/disbursements", body, HTTP_IDEMPOTENCY_KEY="mala")
    assert 400 <= response.status_code < 500, response.content
    assert field in fields(response)
    assert loan.disbursements.count() == 1


# ------------------------------------------------------------------------------------ scoping and roles


def test_another_office_gets_404_everywhere(api, ready_file, loan):
    payment = pay(api, loan, {"amount": "1000.00", "value_date": str(TODAY)}).json()
    task = LoanTask.objects.filter(loan=loan).first()
    assert api("sofia", "get", "/loans").json() == []
    for path in ("", "/schedule", "/statement", "/payments", "/tasks"):
        response = api("sofia", "get", f"/loans/{loan.pk}{path}")
        assert response.status_code == 404, path
        assert response.json()["detail"][0]["message"] == "No existe el crédito."
    writes = [
        (f"/loans/{loan.pk}/payments", {"amount": "1.00", "value_date": str(TODAY)}),
        (f"/loans/{loan.pk}/payments/{payment['id']}/reversal", {"reason": "x"}),
        (f"/loans/{loan.pk}/commission", {"value_date": str(TODAY)}),
        (f"/loans/{loan.pk}/disbursements", {"amount": "1.00", "value_date": str(TODAY)}),
        (f"/loans/{loan.pk}/tasks/{task.pk}/complete", {}),
        (f"/files/{ready_file.pk}/loan", None),
    ]
    order = loan.disbursement_orders.get()
    writes += [
        (f"/loans/{loan.pk}/disbursement-orders/{order.pk}/release", None),
        (f"/loans/{loan.pk}/disbursement-orders/{order.pk}/cancel", {"reason": "x"}),
    ]
    for path, body in writes:
        response = api("sofia", "post", path, body, HTTP_IDEMPOTENCY_KEY="intruso")
        assert response.status_code == 404, path
    assert Payment.objects.count() == 1
    assert Payment.objects.get().status == PaymentStatus.APPLIED
    # Central roles read every office's loans.
    assert [x["id"] for x in api("ramon", "get", "/loans").json()] == [loan.pk]


def test_roles_that_may_not_write_get_403(api, loan):
    body = {"amount": "1000.00", "value_date": str(TODAY)}
    assert api("marta", "get", f"/loans/{loan.pk}").status_code == 200
    for who in ("marta", "ramon", "omar"):
        response = pay(api, loan, body, who=who)
        assert response.status_code == 403, who
        assert "no puede registrar pagos" in response.json()["detail"][0]["message"]
    response = api("marta", "post", f"/loans/{loan.pk}/disbursements", body, HTTP_IDEMPOTENCY_KEY="m")
    assert response.status_code == 403
    assert Payment.objects.count() == 0
    payment = pay(api, loan, body).json()
    reversal = f"/loans/{loan.pk}/payments/{payment['id']}/reversal"
    response = api("marta", "post", reversal, {"reason": "x"}, HTTP_IDEMPOTENCY_KEY="m")
    assert response.status_code == 403
    assert Payment.objects.get().status == PaymentStatus.APPLIED
    # The manager of the office may post too; a replay by her returns the analyst's payment.
    response = pay(api, loan, body, who="gerardo")
    assert (response.status_code, response.json()["id"]) == (200, payment["id"])
    books_balance()


# -------------------------------------------------------------------------------------------- tasks


def test_completing_an_obligation(api, loan):
    tasks = api("ana", "get", f"/loans/{loan.pk}/tasks").json()
    visit = next(t for t in tasks if t["kind"] == "quarterly_visit")
    path = f"/loans/{loan.pk}/tasks/{visit['id']}/complete"
    response = api("ana", "post", path, {"done_on": "2026-07-02", "note": "Visita a la planta"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["done_on"], response.json()["done_by"]) == (
        "done",
        "2026-07-02",
        "ana.zac",
    )
    following = [
        t for t in api("ana", "get", f"/loans/{loan.pk}/tasks").json() if t["kind"] == "quarterly_visit"
    ]
    assert [t["status"] for t in following] == ["done", "pending"]
    response = api("ana", "post", path, {})
    assert (response.status_code, fields(response)) == (409, {"status"})
    assert (
        api("marta", "post", f"/loans/{loan.pk}/tasks/{following[1]['id']}/complete", {}).status_code == 403
    )
    assert api("ana", "post", f"/loans/{loan.pk}/tasks/999999/complete", {}).status_code == 404
    response = api(
        "ana", "post", f"/loans/{loan.pk}/tasks/{following[1]['id']}/complete", {"done_on": "ayer"}
    )
    assert (response.status_code, fields(response)) == (422, {"done_on"})


# --------------------------------------------------------------------------- property-based, on a real loan

LOAN_OPERATIONS = openapi_schema().include(tag="créditos")


@pytest.fixture
def live_loan(cast, applicant, sample_rates, tokens):
    """A disbursed loan with a payment and its obligations, so generated requests reach the services."""
    from django.core import signals
    from django.db import close_old_connections

    from filon.origination.services import file_create
    from filon.servicing.payments import payment_apply
    from filon.servicing.services import commission_pay, loan_create_from_file

    # Calling the WSGI app directly would close the test's connection at each request end (see
    # test_schemathesis.py); keep it open.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    file = file_create(
        user=cast.ana, applicant=applicant, proposal=proposal_data(term_months=36, grace_months=0)
    )
    to_ready(cast, file)
    loan = loan_create_from_file(user=cast.ana, file=file)
    commission_pay(user=cast.ana, loan=loan, value_date=dt.date(2026, 4, 6))
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=Decimal("6000000"),
        value_date=dt.date(2026, 4, 6),
    )
    payment = payment_apply(
        user=cast.ana, loan=loan, amount=Decimal("1000.00"), value_date=TODAY, idempotency_key="semilla"
    )
    yield {
        "loan_id": loan.pk,
        "file_id": file.pk,
        "payment_id": payment.pk,
        "task_id": loan.tasks.order_by("pk").values_list("pk", flat=True).first(),
    }
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.slow
@LOAN_OPERATIONS.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_loan_operations_never_error_on_a_real_loan(case, live_loan, tokens):
    """Generated bodies, queries and headers against an existing loan of the caller's office: no server
    error, and every documented response honours its schema. The books still balance."""
    case.path_parameters = {
        **case.path_parameters,
        **{k: v for k, v in live_loan.items() if k in case.path_parameters},
    }
    if isinstance(case.body, dict) and "value_date" in case.body and len(case.body) % 2:
        case.body["value_date"] = str(TODAY)  # some payments on the one date they can carry
    response = case.call(headers={"Authorization": f"Bearer {tokens['ana']}"})
    case.validate_response(response, checks=(not_a_server_error, response_schema_conformance))
    books_balance()
