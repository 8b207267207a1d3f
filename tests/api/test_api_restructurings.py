"""The REST API for restructurings (Rules 15; 17.3 b): propose, put on a session's agenda, apply once."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import time_machine

from conftest import proposal_data, to_ready
from filon.core.calendar import MEXICO_CITY
from filon.demo.scenarios import loan_disburse
from filon.ledger.services import ledger_check
from filon.origination.models import LoanRequest
from filon.servicing.models import Loan
from filon.servicing.selectors import loan_positions
from filon.servicing.services import commission_pay, loan_create_from_file

pytestmark = pytest.mark.django_db

DISBURSED = dt.date(2026, 4, 6)
PEOPLE = ("ana", "sofia", "sergio", "marta", "luis")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(dt.datetime(2026, 7, 15, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


@pytest.fixture
def api(client, cast):
    from filon.accounts.services import api_token_create

    tokens = {
        name: api_token_create(actor=None, user=getattr(cast, name), name="pruebas")[1] for name in PEOPLE
    }

    def call(who, method, path, body=None, **headers):
        headers["HTTP_AUTHORIZATION"] = f"Bearer {tokens[who]}"
        data = json.dumps(body) if body is not None else None
        kwargs = {"content_type": "application/json"} if data is not None else {}
        return getattr(client, method)(f"/api/v1{path}", data=data, **kwargs, **headers)

    return call


@pytest.fixture
def loan(cast, applicant, sample_rates):
    from filon.origination.services import file_create

    file = file_create(
        user=cast.ana, applicant=applicant, proposal=proposal_data(term_months=36, grace_months=0)
    )
    loan = loan_create_from_file(user=cast.ana, file=to_ready(cast, file))
    commission_pay(user=cast.ana, loan=loan, value_date=DISBURSED)
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=Decimal("12000000"),
        value_date=DISBURSED,
    )
    loan.refresh_from_db()
    return loan


def test_propose_vote_and_apply_through_the_api(api, cast, loan):
    body = {"term_months": 48, "grace_months": 3, "reason": "Paro técnico de la planta."}
    assert api("sofia", "post", f"/loans/{loan.pk}/restructurings", body).status_code == 404
    bad = api("ana", "post", f"/loans/{loan.pk}/restructurings", {**body, "grace_months": 48})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "grace_months"

    created = api("ana", "post", f"/loans/{loan.pk}/restructurings", body)
    assert created.status_code == 201, created.content
    out = created.json()
    assert (out["kind"], out["status"], out["committee"], out["committee_rule"]) == (
        "restructuring",
        "requested",
        "comite_interno",
        "17.3",
    )
    assert out["evaluation"]["schedule"]["installments"] == 48  # monthly, the grace months pay interest only
    assert Decimal(out["evaluation"]["schedule"]["principal"]) == loan.principal_balance
    rid = out["id"]

    session = api(
        "sergio",
        "post",
        "/committees/sessions",
        {"committee": "comite_interno", "date": "2026-07-15", "place": "Sala"},
    ).json()
    added = api(
        "sergio", "post", f"/committees/sessions/{session['id']}/loan-requests", {"loan_request_id": rid}
    )
    assert added.status_code == 201, added.content
    item = added.json()["items"][0]
    assert (item["kind"], item["loan_request_id"], item["loan_request_kind"]) == (
        "loan_request",
        rid,
        "restructuring",
    )

    refused = api(
        "ana", "post", f"/loans/{loan.pk}/restructurings/{rid}/apply", {}, HTTP_IDEMPOTENCY_KEY="r1"
    )
    assert refused.status_code == 409
    assert refused.json()["detail"][0]["message"].startswith("La reestructura está «solicitada»")

    from filon.committees.models import AgendaItem
    from filon.committees.services import resolution_record, session_attendance, session_hold, vote_cast

    agenda = AgendaItem.objects.get(pk=item["id"])
    session_attendance(user=cast.sergio, session=agenda.session, members=[cast.marta, cast.luis])
    session_hold(user=cast.sergio, session=agenda.session)
    vote_cast(user=cast.marta, item=agenda, vote="favor")
    vote_cast(user=cast.luis, item=agenda, vote="favor")
    resolution_record(user=cast.sergio, item=agenda, decision="authorized")

    applied = api(
        "ana", "post", f"/loans/{loan.pk}/restructurings/{rid}/apply", {}, HTTP_IDEMPOTENCY_KEY="r1"
    )
    assert applied.status_code == 201, applied.content
    assert applied.json()["status"] == "applied"
    again = api("ana", "post", f"/loans/{loan.pk}/restructurings/{rid}/apply", {}, HTTP_IDEMPOTENCY_KEY="r1")
    assert again.status_code == 200
    assert LoanRequest.objects.get(pk=rid).status == LoanRequest.Status.APPLIED
    assert Loan.objects.get(pk=loan.pk).term_months == 48
    listed = api("ana", "get", f"/loans/{loan.pk}/requests").json()
    assert [r["id"] for r in listed] == [rid]
    assert ledger_check(loan_positions=loan_positions()) == []


def test_a_request_is_withdrawn_through_the_api(api, loan):
    body = {"term_months": 48, "reason": "Paro técnico de la planta."}
    rid = api("ana", "post", f"/loans/{loan.pk}/restructurings", body).json()["id"]
    assert (
        api("sofia", "post", f"/loans/{loan.pk}/requests/{rid}/withdraw", {"reason": "x"}).status_code == 404
    )
    out = api("ana", "post", f"/loans/{loan.pk}/requests/{rid}/withdraw", {"reason": "Se puso al corriente."})
    assert out.status_code == 200, out.content
    assert out.json()["status"] == "withdrawn"
    again = api("ana", "post", f"/loans/{loan.pk}/requests/{rid}/withdraw", {"reason": "Otra vez."})
    assert again.status_code == 409
    assert again.json()["detail"][0]["message"] == "La solicitud está «retirada» y ya no puede retirarse."
