"""The REST API for amendments (SPEC I-10): list, detail with the diff, propose, approve, reject."""

from __future__ import annotations

import json

import pytest

from filon.core.calendar import today_mx

pytestmark = pytest.mark.django_db

PEOPLE = ("ramon", "omar", "ana")


@pytest.fixture
def api(client, cast):
    from filon.accounts.services import api_token_create

    tokens = {
        name: api_token_create(actor=None, user=getattr(cast, name), name="pruebas")[1] for name in PEOPLE
    }

    def call(who, method, path, body=None):
        kwargs = {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
        return getattr(client, method)(
            f"/api/v1/amendments{path}", HTTP_AUTHORIZATION=f"Bearer {tokens[who]}", **kwargs
        )

    return call


def body(**changes):
    today = today_mx().isoformat()
    values = {
        "number": "CT-2026-10",
        "agreed_on": today,
        "body": "Comité Técnico",
        "effective_from": today,
        "changes": [{"path": "programs.carbon_coahuila.valid_until", "value": f"{today_mx().year}-12-31"}],
    }
    values.update(changes)
    return values


def test_propose_approve_and_read_back(api):
    created = api("ramon", "post", "", body())
    assert created.status_code == 201, created.content
    row = created.json()
    assert row["status"] == "proposed"
    assert row["diff"]["changes"] == [
        {
            "path": "programs.carbon_coahuila.valid_until",
            "rule": "P-4 4",
            "before": "2014-05-11",
            "after": f"{today_mx().year}-12-31",
        }
    ]
    refused = api("ramon", "post", f"/{row['id']}/approve")
    assert refused.status_code == 409
    assert refused.json()["detail"][0]["rule"] == "I-10"
    approved = api("omar", "post", f"/{row['id']}/approve")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert [r["number"] for r in api("omar", "get", "").json()] == ["CT-2026-10"]
    assert api("omar", "get", f"/{row['id']}").json()["decided_by"] == "omar.direccion"


def test_bad_changes_name_the_path(api):
    response = api(
        "ramon", "post", "", body(changes=[{"path": "programs.carbon_coahuila.valid_until", "value": "x"}])
    )
    assert response.status_code == 422
    messages = [d["message"] for d in response.json()["detail"]]
    assert any("programs.carbon_coahuila.valid_until" in m and "fecha válida" in m for m in messages)


def test_regional_users_are_refused(api):
    assert api("ana", "get", "").status_code == 403
    assert api("ana", "post", "", body()).status_code == 403


def test_a_rejection_carries_its_reason(api):
    row = api("ramon", "post", "", body()).json()
    assert api("omar", "post", f"/{row['id']}/reject", {"reason": ""}).status_code == 422
    rejected = api("omar", "post", f"/{row['id']}/reject", {"reason": "Sin acta"})
    assert rejected.json()["rejection_reason"] == "Sin acta"
