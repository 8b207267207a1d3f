"""The four-eyes steps through the REST API: the regional manager's sign-off or return of a proposal (the
analyst and other offices refused), the agenda refusing an unsigned file, and a session moved or held early
with its reason."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from conftest import another_manager, crew, mortgage
from filon.core.calendar import MEXICO_CITY
from filon.demo.scenarios import file_to_proposed
from filon.origination.models import CreditFile

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


@pytest.fixture
def tokens(cast):
    from filon.accounts.services import api_token_create

    people = {name: getattr(cast, name) for name in ("ana", "gerardo", "sergio", "marta", "luis", "elena")}
    people["hmo_manager"] = another_manager(cast.hmo)
    return {name: api_token_create(actor=None, user=user, name="pruebas")[1] for name, user in people.items()}


@pytest.fixture
def api(client, tokens):
    def call(who, method, path, body=None):
        data = json.dumps(body) if body is not None else None
        kwargs = {"content_type": "application/json"} if data is not None else {}
        return getattr(client, method)(
            f"/api/v1{path}", data=data, HTTP_AUTHORIZATION=f"Bearer {tokens[who]}", **kwargs
        )

    return call


@pytest.fixture
def proposed(cast, credit_file):
    return file_to_proposed(credit_file, crew=crew(cast), guarantees=[mortgage()], signoff=False)


def messages(response) -> list[str]:
    return [e["message"] for e in response.json()["detail"]]


def convene(api, day: str) -> dict:
    response = api(
        "sergio",
        "post",
        "/committees/sessions",
        {"committee": "comite_interno", "date": day, "place": "Sala"},
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_signoff_through_the_api(api, cast, proposed):
    path = f"/files/{proposed.pk}/transitions/signoff"
    refused = api("ana", "post", path, {"note": ""})
    assert refused.status_code == 403
    assert "no puede dar el visto bueno a expedientes para comité" in refused.content.decode()
    assert api("hmo_manager", "post", path, {}).status_code == 404
    session = convene(api, "2026-03-03")
    agenda = api("sergio", "post", f"/committees/sessions/{session['id']}/items", {"file_id": proposed.pk})
    assert agenda.status_code == 409
    assert "no tiene el visto bueno del gerente regional de Zacatecas" in agenda.content.decode()
    done = api("gerardo", "post", path, {"note": "Conforme"})
    assert done.status_code == 200, done.content
    assert (done.json()["signoff_by"], done.json()["signoff_note"]) == ("gerardo.zac", "Conforme")
    again = api("gerardo", "post", path, {})
    assert again.status_code == 409
    agenda = api("sergio", "post", f"/committees/sessions/{session['id']}/items", {"file_id": proposed.pk})
    assert agenda.status_code == 201, agenda.content


def test_return_through_the_api(api, proposed):
    path = f"/files/{proposed.pk}/transitions/signoff-return"
    refused = api("gerardo", "post", path, {"reason": ""})
    assert refused.status_code == 422
    assert messages(refused) == ["Indique el motivo de la devolución al analista."]
    assert api("gerardo", "post", path, {"reason": 7}).status_code == 422
    done = api("gerardo", "post", path, {"reason": "Falta el estudio de mercado"})
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["signoff_return_reason"]) == (
        "under_analysis",
        "Falta el estudio de mercado",
    )
    assert CreditFile.objects.get(pk=proposed.pk).status == "under_analysis"


def test_a_session_moved_and_held_early_through_the_api(api, cast):
    session = convene(api, "2026-03-13")
    path = f"/committees/sessions/{session['id']}"
    refused = api("sergio", "post", f"{path}/reschedule", {"new_date": "2026-03-10", "reason": ""})
    assert refused.status_code == 422
    assert messages(refused) == ["Indique el motivo del cambio de fecha."]
    assert (
        api("marta", "post", f"{path}/reschedule", {"new_date": "2026-03-10", "reason": "x"}).status_code
        == 403
    )
    moved = api(
        "sergio", "post", f"{path}/reschedule", {"new_date": "2026-03-10", "reason": "Agenda del director"}
    )
    assert moved.status_code == 200, moved.content
    assert (moved.json()["date"], moved.json()["convened_for"], moved.json()["reschedule_reason"]) == (
        "2026-03-10",
        "2026-03-13",
        "Agenda del director",
    )
    members = [cast.marta.pk, cast.luis.pk, cast.elena.pk]
    assert api("sergio", "put", f"{path}/attendance", {"members": members}).status_code == 200
    early = api("sergio", "post", f"{path}/hold")
    assert early.status_code == 409
    assert "para celebrarla antes indique el motivo" in early.content.decode()
    assert api("sergio", "post", f"{path}/hold", {"otro": "x"}).status_code == 422
    held = api("sergio", "post", f"{path}/hold", {"held_early_reason": "Urge resolver"})
    assert held.status_code == 200, held.content
    assert (held.json()["status"], held.json()["held_early_reason"]) == ("held", "Urge resolver")
    late = api("sergio", "post", f"{path}/reschedule", {"new_date": "2026-03-11", "reason": "x"})
    assert late.status_code == 409
