"""The API for closing a loan: the write-off request, the committee's write-off applied once per
Idempotency-Key, a recovery, the carta de finiquito of a liquidado loan and the legal release of its
guarantees; roles (403), another office (404) and the books balancing afterwards."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from filon.audit.models import AuditRecord
from filon.core.calendar import MEXICO_CITY
from filon.ledger.services import ledger_check
from filon.origination.models import FileGuarantee, LoanRequest
from filon.servicing.models import LoanStatus, WriteOff
from filon.servicing.payments import payment_apply
from filon.servicing.selectors import loan_payoff, loan_positions
from servicing.closing_support import TODAY, authorized, defaulted_loan

pytestmark = pytest.mark.django_db
PEOPLE = ("ana", "sofia", "gerardo", "julia")


@pytest.fixture(autouse=True)
def frozen_time(sample_rates):
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


def test_write_off_request_write_off_and_recovery(api, cast, applicant):
    loan = defaulted_loan(cast, applicant)
    asked = api("gerardo", "post", f"/loans/{loan.pk}/write-off-requests", {"reason": "Incobrable"})
    assert asked.status_code == 201, asked.content
    assert asked.json()["committee"] == "comite_interno"
    LoanRequest.objects.filter(pk=asked.json()["id"]).update(status=LoanRequest.Status.WITHDRAWN)
    request = authorized(cast, loan)

    path = f"/loans/{loan.pk}/write-off"
    body = {"request_id": request.pk}
    assert api("ana", "post", path, body, HTTP_IDEMPOTENCY_KEY="c1").status_code == 403
    assert api("sofia", "post", path, body, HTTP_IDEMPOTENCY_KEY="c1").status_code == 404
    first = api("gerardo", "post", path, body, HTTP_IDEMPOTENCY_KEY="c1")
    assert first.status_code == 201, first.content
    again = api("gerardo", "post", path, body, HTTP_IDEMPOTENCY_KEY="c1")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert WriteOff.objects.count() == 1
    assert first.json()["principal"] == "1000000.00"
    shown = api("ana", "get", f"/loans/{loan.pk}").json()
    assert (shown["status"], shown["written_off_on"]) == ("written_off", str(TODAY))

    recovery = {"amount": "2500.50", "value_date": str(TODAY)}
    made = api("ana", "post", f"/loans/{loan.pk}/recoveries", recovery, HTTP_IDEMPOTENCY_KEY="r1")
    assert made.status_code == 201, made.content
    assert (
        api("ana", "post", f"/loans/{loan.pk}/recoveries", recovery, HTTP_IDEMPOTENCY_KEY="r1").status_code
        == 200
    )
    conflict = api(
        "ana",
        "post",
        f"/loans/{loan.pk}/recoveries",
        {**recovery, "amount": "1.00"},
        HTTP_IDEMPOTENCY_KEY="r1",
    )
    assert conflict.status_code == 409
    no_key = api("ana", "post", f"/loans/{loan.pk}/recoveries", recovery)
    assert no_key.status_code == 422
    assert ledger_check(loan_positions=loan_positions()) == []


def test_payoff_letter_and_guarantee_release(api, cast, applicant):
    loan = defaulted_loan(cast, applicant)
    guarantee = FileGuarantee.objects.filter(file_id=loan.file_id).first()
    path = f"/loans/{loan.pk}/guarantees/{guarantee.pk}/release"
    body = {"released_on": str(TODAY), "instrument": "Escritura 88 de cancelación"}
    refused = api("julia", "post", path, body)
    assert refused.status_code == 409, refused.content
    assert api("julia", "get", f"/loans/{loan.pk}/payoff-letter").status_code == 409

    payment_apply(
        user=cast.ana,
        loan=loan,
        amount=loan_payoff(loan=loan, on=TODAY).total,
        value_date=TODAY,
        idempotency_key="liquida",
        prepayment=True,
        notified_on=TODAY - dt.timedelta(days=30),
    )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.PAID_OFF
    letter = api("ana", "get", f"/loans/{loan.pk}/payoff-letter")
    assert letter.status_code == 200
    assert letter["Content-Type"] == "application/pdf"
    assert letter.content.startswith(b"%PDF")
    assert AuditRecord.objects.filter(action="document.payoff_letter_pdf", object_id=str(loan.pk)).exists()

    assert api("ana", "post", path, body).status_code == 403
    released = api("julia", "post", path, body)
    assert released.status_code == 201, released.content
    assert released.json()["instrument"] == "Escritura 88 de cancelación"
    guarantee.refresh_from_db()
    assert guarantee.status == "released"
