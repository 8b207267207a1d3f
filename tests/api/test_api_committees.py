"""The REST API for committee sessions, end to end with tokens: convene, agenda, attendance, hold, votes,
resolution (which authorizes the file), close; then the authorized file becomes a loan that is paid once per
Idempotency-Key and reversed, and the books balance. Also office scoping, roles and bad input."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from conftest import openapi_schema, satisfy, to_proposed
from filon.committees.models import AgendaItem, CommitteeSession, Vote
from filon.core.calendar import MEXICO_CITY, today_mx
from filon.ledger.models import JournalEntry
from filon.ledger.services import ledger_check
from filon.origination.models import FileStatus
from filon.rules.schema import Stage
from filon.servicing.models import Payment
from filon.servicing.selectors import loan_positions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_time():
    """A Tuesday inside the FIX series of the `fix_rate` fixture."""
    with time_machine.travel(dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


PEOPLE = ("ana", "sofia", "gerardo", "julia", "ramon", "sergio", "marta", "luis", "elena", "omar")


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
def proposed(cast, credit_file):
    """MXN 12 M refaccionario of Zacatecas (ana's), proposed by gerardo: the Comité Interno decides."""
    return to_proposed(cast, credit_file)


def fields(response) -> set:
    return {e["field"] for e in response.json()["detail"]}


def convene(api) -> dict:
    response = api(
        "sergio",
        "post",
        "/committees/sessions",
        {"committee": "comite_interno", "date": str(today_mx()), "place": "Sala de Consejo"},
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_session_authorizes_the_file_which_becomes_a_loan_paid_once(api, cast, proposed, sample_rates):
    session = convene(api)
    assert (session["number"], session["status"], session["quorum"]) == ("CI-2026-01", "convened", 2)
    assert session["committee_name"] == "Comité Interno de Crédito"
    sid = session["id"]

    response = api("sergio", "post", f"/committees/sessions/{sid}/items", {"file_id": proposed.pk})
    assert response.status_code == 201, response.content
    [item] = response.json()["items"]
    assert (item["folio"], item["kind"], item["amount"], item["resolution"]) == (
        proposed.folio,
        "file",
        "12000000.00",
        None,
    )
    members = [cast.marta.pk, cast.luis.pk, cast.elena.pk]
    response = api("sergio", "put", f"/committees/sessions/{sid}/attendance", {"members": members})
    assert response.status_code == 200, response.content
    assert [m["username"] for m in response.json()["members_present"]] == [
        "elena.comite",
        "luis.comite",
        "marta.comite",
    ]
    response = api("sergio", "post", f"/committees/sessions/{sid}/hold")
    assert (response.status_code, response.json()["status"]) == (200, "held")

    votes = f"/committees/sessions/{sid}/items/{item['id']}/votes"
    resolution = f"/committees/sessions/{sid}/items/{item['id']}/resolution"
    assert api("marta", "post", votes, {"vote": "favor"}).status_code == 201
    assert api("luis", "post", votes, {"vote": "favor"}).status_code == 201
    # Elena has not voted yet: the resolution is refused, naming her.
    response = api("sergio", "post", resolution, {"decision": "authorized"})
    assert response.status_code == 409
    assert response.json()["detail"][0]["field"] == "votes"
    assert "Elena" in response.json()["detail"][0]["message"]
    response = api("elena", "post", votes, {"vote": "contra"})
    assert response.status_code == 201
    assert response.json()["items"][0]["tally"] == {"favor": 2, "contra": 1, "abstencion": 0}
    response = api(
        "sergio", "post", resolution, {"decision": "authorized", "conditions": "Seguro a favor del FIFOMI"}
    )
    assert response.status_code == 201, response.content
    decided = response.json()["items"][0]["resolution"]
    assert (decided["decision"], decided["agreement_number"]) == ("authorized", "CI-2026-01/001")
    assert api("ana", "get", f"/files/{proposed.pk}").json()["status"] == FileStatus.AUTHORIZED

    response = api("sergio", "post", f"/committees/sessions/{sid}/close")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    assert "ACTA DE LA SESIÓN CI-2026-01" in response.json()["minutes"]
    # ana sees the session (it dealt with her office's file) but not the minutes of every office's matters.
    seen = api("ana", "get", f"/committees/sessions/{sid}").json()
    assert (seen["status"], seen["minutes"], len(seen["items"])) == ("closed", None, 1)

    # From authorized to a loan, through the file transitions and the loan endpoints.
    satisfy(cast, proposed, Stage.CONTRACTING)
    response = api(
        "julia",
        "post",
        f"/files/{proposed.pk}/transitions/formalize",
        {"signed_on": str(today_mx()), "contract_number": f"FIFOMI-{proposed.folio}"},
    )
    assert response.status_code == 200, response.content
    satisfy(cast, proposed, Stage.PRE_DISBURSEMENT)
    response = api("gerardo", "post", f"/files/{proposed.pk}/transitions/ready-to-disburse", {})
    assert response.json()["status"] == FileStatus.READY_TO_DISBURSE

    response = api("ana", "post", f"/files/{proposed.pk}/loan")
    assert response.status_code == 201, response.content
    loan = response.json()
    assert (loan["number"], loan["status"], loan["opening_commission"]) == (
        f"CR-{proposed.folio}",
        "pending",
        "180000.00",
    )
    lid, today = loan["id"], str(today_mx())
    response = api(
        "ana", "post", f"/loans/{lid}/commission", {"value_date": today}, HTTP_IDEMPOTENCY_KEY="comision-001"
    )
    assert response.status_code == 201, response.content
    response = api(
        "ana",
        "post",
        f"/loans/{lid}/disbursements",
        {"amount": "12000000.00", "value_date": today},
        HTTP_IDEMPOTENCY_KEY="ministracion-001",
    )
    assert response.status_code == 201, response.content
    order = response.json()["id"]  # captured by the analyst, released by the manager (four eyes)
    response = api(
        "gerardo",
        "post",
        f"/loans/{lid}/disbursement-orders/{order}/release",
        HTTP_IDEMPOTENCY_KEY="liberar-001",
    )
    assert response.status_code == 201, response.content

    paid = {"amount": "250000.00", "value_date": today}
    response = api("ana", "post", f"/loans/{lid}/payments", paid, HTTP_IDEMPOTENCY_KEY="pago-001")
    assert response.status_code == 201, response.content
    payment = response.json()
    entries = JournalEntry.objects.count()
    response = api("ana", "post", f"/loans/{lid}/payments", paid, HTTP_IDEMPOTENCY_KEY="pago-001")
    assert (response.status_code, response.json()) == (200, payment)
    assert Payment.objects.filter(loan_id=lid).count() == 1
    assert JournalEntry.objects.count() == entries
    assert JournalEntry.objects.filter(loan_id=lid, kind="pago").count() == 1

    response = api(
        "ana",
        "post",
        f"/loans/{lid}/payments/{payment['id']}/reversal",
        {"reason": "Depósito devuelto"},
        HTTP_IDEMPOTENCY_KEY="reversa-001",
    )
    assert response.status_code == 201, response.content
    response = api(
        "gerardo",
        "post",
        f"/loans/{lid}/reversal-requests/{response.json()['id']}/approve",
        HTTP_IDEMPOTENCY_KEY="aprobar-001",
    )
    assert response.status_code == 201, response.content
    payment = response.json()["payment"]
    assert (payment["status"], payment["reversal_entry_id"] is not None) == ("reversed", True)
    assert ledger_check(loan_positions=loan_positions()) == []
    assert api("ana", "get", f"/loans/{lid}/statement").json()["balanced"] is True


def test_office_scoping_of_sessions(api, cast, proposed):
    sid = convene(api)["id"]
    assert (
        api("sergio", "post", f"/committees/sessions/{sid}/items", {"file_id": proposed.pk}).status_code
        == 201
    )
    # A session with nothing of Sonora does not exist for a Sonora analyst.
    assert api("sofia", "get", "/committees/sessions").json() == []
    assert api("sofia", "get", f"/committees/sessions/{sid}").status_code == 404
    item = AgendaItem.objects.get(session_id=sid)
    response = api("sofia", "post", f"/committees/sessions/{sid}/items/{item.pk}/votes", {"vote": "favor"})
    assert response.status_code == 404
    assert [s["id"] for s in api("ana", "get", "/committees/sessions").json()] == [sid]
    assert [s["id"] for s in api("marta", "get", "/committees/sessions?status=convened").json()] == [sid]
    assert api("marta", "get", "/committees/sessions?status=closed").json() == []
    assert api("ana", "get", "/committees/sessions/999999").status_code == 404


def test_roles_are_refused_with_403(api, cast, proposed):
    response = api(
        "ana",
        "post",
        "/committees/sessions",
        {"committee": "comite_interno", "date": "2026-03-03", "place": "Zacatecas"},
    )
    assert response.status_code == 403
    assert "Secretario de comité" in response.json()["detail"][0]["message"]
    sid = convene(api)["id"]
    item = api("sergio", "post", f"/committees/sessions/{sid}/items", {"file_id": proposed.pk}).json()[
        "items"
    ][0]
    api("sergio", "put", f"/committees/sessions/{sid}/attendance", {"members": [cast.marta.pk, cast.luis.pk]})
    api("sergio", "post", f"/committees/sessions/{sid}/hold")
    votes = f"/committees/sessions/{sid}/items/{item['id']}/votes"
    # Neither the analyst nor an absent member votes; only the session's secretary records resolutions.
    assert api("ana", "post", votes, {"vote": "favor"}).status_code == 403
    response = api("elena", "post", votes, {"vote": "favor"})
    assert response.status_code == 403
    assert response.json()["detail"][0]["field"] == "member"
    assert api("marta", "post", votes, {"vote": "favor"}).status_code == 201
    response = api(
        "marta",
        "post",
        f"/committees/sessions/{sid}/items/{item['id']}/resolution",
        {"decision": "authorized"},
    )
    assert response.status_code == 403
    assert api("marta", "post", f"/committees/sessions/{sid}/close").status_code == 403
    assert Vote.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"committee": "comite_interno", "date": "2026-02-30", "place": "Sala"}, "date", 422),
        ({"committee": "comite_interno", "date": "1999-12-31", "place": "Sala"}, "date", 422),
        ({"committee": "comite_interno", "place": "Sala"}, "date", 422),
        ({"committee": "comite_estatal", "date": "2026-03-03", "place": "Sala"}, "committee", 422),
        ({"committee": "comite_interno", "date": "2026-03-03", "place": "  "}, "place", 422),
        ({"committee": "comite_interno", "date": "2026-03-03", "place": "Sala", "quorum": 0}, "quorum", 422),
        ({"committee": "comite_interno", "date": "2026-03-03", "place": "Sala", "quorum": 9}, "quorum", 422),
        (
            {"committee": "comite_interno", "date": "2026-03-03", "place": "Sala", "color": "rojo"},
            "color",
            422,
        ),
        ("{roto", "(documento)", 422),
    ],
)
def test_convene_bad_input_names_the_field(api, body, field, status):
    response = api("sergio", "post", "/committees/sessions", body)
    assert response.status_code == status, response.content
    detail = response.json()["detail"]
    assert all(e["message"] for e in detail)
    if field:
        assert field in {e["field"] for e in detail}
    assert CommitteeSession.objects.count() == 0


def test_agenda_attendance_votes_and_withdrawal_refusals(api, cast, proposed, credit_file):
    sid = convene(api)["id"]
    items = f"/committees/sessions/{sid}/items"
    response = api("sergio", "post", items, {"file_id": "uno"})
    assert (response.status_code, fields(response)) == (422, {"file_id"})
    assert api("sergio", "post", items, {"file_id": 987654}).status_code == 404
    item = api("sergio", "post", items, {"file_id": proposed.pk}).json()["items"][0]
    response = api("sergio", "post", items, {"file_id": proposed.pk})
    assert (response.status_code, fields(response)) == (409, {"file"})

    attendance = f"/committees/sessions/{sid}/attendance"
    response = api("sergio", "put", attendance, {"members": [cast.ana.pk]})
    assert (response.status_code, fields(response)) == (422, {"members"})
    assert "no es miembro" in response.json()["detail"][0]["message"]
    response = api("sergio", "put", attendance, {"members": [555555]})
    assert (response.status_code, fields(response)) == (422, {"members"})
    response = api("sergio", "put", attendance, {"members": "marta"})
    assert (response.status_code, fields(response)) == (422, {"members"})
    # No quorum yet: the session cannot be held.
    response = api("sergio", "post", f"/committees/sessions/{sid}/hold")
    assert (response.status_code, fields(response)) == (409, {"members_present"})

    api("sergio", "put", attendance, {"members": [cast.marta.pk, cast.luis.pk, cast.elena.pk]})
    votes = f"/committees/sessions/{sid}/items/{item['id']}/votes"
    response = api("marta", "post", votes, {"vote": "favor"})  # the session is not held yet
    assert (response.status_code, fields(response)) == (409, {"status"})
    api("sergio", "post", f"/committees/sessions/{sid}/hold")
    response = api("marta", "post", votes, {"vote": "quizá"})
    assert (response.status_code, fields(response)) == (422, {"vote"})
    assert api("marta", "post", votes, {"vote": "favor"}).status_code == 201
    response = api("marta", "post", votes, {"vote": "contra"})
    assert (response.status_code, fields(response)) == (409, {"vote"})
    response = api(
        "sergio",
        "post",
        f"/committees/sessions/{sid}/items/{item['id']}/resolution",
        {"decision": "archivado"},
    )
    assert response.status_code in (409, 422)
    assert response.json()["detail"][0]["field"] in {"votes", "decision"}
    response = api("sergio", "post", f"/committees/sessions/{sid}/close")
    assert (response.status_code, fields(response)) == (409, {"items"})

    withdrawal = f"/committees/sessions/{sid}/items/{item['id']}/withdrawal"
    response = api("sergio", "post", withdrawal, {"reason": " "})
    assert (response.status_code, fields(response)) == (422, {"reason"})
    response = api("sergio", "post", withdrawal, {"reason": "El solicitante desistió"})
    assert response.status_code == 200, response.content
    assert response.json()["items"] == []
    assert api("sergio", "post", withdrawal, {"reason": "otra vez"}).status_code == 404
    assert AgendaItem.objects.count() == 0
    assert Vote.objects.count() == 0
    # The file, still proposed, can go on an agenda again; the empty session closes.
    assert api("sergio", "post", f"/committees/sessions/{sid}/close").json()["status"] == "closed"
    credit_file.refresh_from_db()
    assert credit_file.status == FileStatus.PROPOSED


# ------------------------------------------------------------------------ property-based, on a real session

COMMITTEE_OPERATIONS = openapi_schema().include(tag="comités")


@pytest.fixture
def live_session(cast, proposed, tokens):
    """A convened Comité Interno session with the proposed file on its agenda and quorum present."""
    from django.core import signals
    from django.db import close_old_connections

    from filon.committees.services import agenda_add_file, session_attendance, session_convene

    # Calling the WSGI app directly would close the test's connection at each request end (see
    # test_schemathesis.py); keep it open.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    session = session_convene(user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala")
    item = agenda_add_file(user=cast.sergio, session=session, file=proposed)
    session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis, cast.elena])
    yield {"session_id": session.pk, "item_id": item.pk}
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.slow
@COMMITTEE_OPERATIONS.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_committee_operations_never_error_on_a_real_session(case, live_session, tokens):
    """Generated requests against an existing session (the secretary's token; a member's for votes): no
    server error, and every documented response honours its schema."""
    ids = {k: v for k, v in live_session.items() if k in case.path_parameters}
    case.path_parameters = {**case.path_parameters, **ids}
    who = "marta" if case.path.endswith("/votes") else "sergio"
    response = case.call(headers={"Authorization": f"Bearer {tokens[who]}"})
    case.validate_response(response, checks=(not_a_server_error, response_schema_conformance))
