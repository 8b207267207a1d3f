"""The REST API: token auth and scoping, the SPEC contracts, JSON errors in Spanish, file transitions."""

from __future__ import annotations

import json

import pytest

from conftest import SPEC_EXAMPLE
from filon.accounts.services import api_token_create, api_token_revoke
from filon.applicants.models import Applicant

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(cast):
    return {
        name: api_token_create(actor=None, user=getattr(cast, name), name="pruebas")[1]
        for name in ("ana", "sofia", "ramon", "gerardo")
    }


def call(client, method, path, token=None, body=None, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    data = body if isinstance(body, str | bytes) else json.dumps(body) if body is not None else None
    kwargs = {"content_type": "application/json"} if data is not None else {}
    return getattr(client, method)(f"/api/v1{path}", data=data, **kwargs, **headers)


def test_anonymous_and_bad_tokens_get_401_in_spanish(client, tokens):
    for token in (None, "fln_inventado"):
        response = call(client, "get", "/files", token)
        assert response.status_code == 401
        assert response.json()["detail"][0]["message"].startswith("Se requiere autenticación")


def test_revoked_token_is_refused(client, cast):
    token, raw = api_token_create(actor=None, user=cast.ana, name="temporal")
    assert call(client, "get", "/files", raw).status_code == 200
    api_token_revoke(actor=None, token=token)
    assert call(client, "get", "/files", raw).status_code == 401


def test_evaluation_contract(client, tokens):
    body = json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8"))
    response = call(client, "post", "/evaluations", tokens["ana"], body)
    assert response.status_code == 200
    result = response.json()
    assert (result["eligible"], result["committee"], result["limits"]["max_amount"]) == (
        True,
        "comite_interno",
        "14000000.00",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("{roto", "(documento)"),
        ("[]", "(documento)"),
        ({"as_of": "2026-02-30"}, "as_of"),
    ],
)
def test_evaluation_bad_input_is_422_naming_the_field(client, tokens, body, field):
    response = call(client, "post", "/evaluations", tokens["ana"], body)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["detail"]}


def test_schedule_contract(client, tokens):
    body = {
        "principal": "1000000.00",
        "currency": "MXN",
        "disbursement_date": "2026-01-15",
        "term_months": 12,
        "grace_months": 0,
        "payment_every_months": 3,
        "amortization": "equal_principal",
        "rate": {"fixed": "0.12"},
    }
    response = call(client, "post", "/schedules", tokens["ana"], body)
    assert response.status_code == 200
    assert len(response.json()["installments"]) == 4
    body["term_months"] = 13
    response = call(client, "post", "/schedules", tokens["ana"], body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "term_months"


APPLICANT = {
    "person_type": "moral",
    "name": "Minera del Cerro, S.A. de C.V.",
    "rfc": "MVM120315AB4",
    "state": "ZAC",
    "municipality": "Fresnillo",
    "activity": 21,
    "mining_class": "concesible",
    "sector": "industria",
    "employees": 45,
    "equity_mxn": "30000000",
    "annual_gross_income_mxn": "150000000",
    "production_tons_month": "2000",
    "years_of_sales": "6",
    "primary_extraction": True,
}


def test_applicant_capture_and_office_scoping(client, tokens):
    response = call(client, "post", "/applicants", tokens["ana"], APPLICANT)
    assert response.status_code == 201, response.content
    applicant_id = response.json()["id"]
    assert response.json()["office"] == "ZAC"
    assert call(client, "get", f"/applicants/{applicant_id}", tokens["ana"]).status_code == 200
    assert call(client, "get", f"/applicants/{applicant_id}", tokens["sofia"]).status_code == 404
    assert call(client, "get", "/applicants", tokens["sofia"]).json() == []
    assert len(call(client, "get", "/applicants", tokens["ramon"]).json()) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rfc": "XYZ"}, "rfc"),
        ({"employees": "cuarenta"}, "employees"),
        ({"equity_mxn": "treinta millones"}, "equity_mxn"),
        ({"color": "rojo"}, "color"),
    ],
)
def test_applicant_bad_input(client, tokens, changes, field):
    response = call(client, "post", "/applicants", tokens["ana"], {**APPLICANT, **changes})
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["detail"]}
    assert Applicant.objects.count() == 0


def test_file_open_evaluate_and_refused_transition(client, tokens, applicant):
    proposal = {
        "applicant_id": applicant.pk,
        "program": "primer_piso",
        "credit_type": "refaccionario",
        "currency": "MXN",
        "amount": "12000000",
        "investment_program": "14000000",
        "term_months": 84,
        "grace_months": 12,
        "payment_every_months": 1,
        "amortization": "equal_principal",
    }
    response = call(client, "post", "/files", tokens["ana"], proposal)
    assert response.status_code == 201, response.content
    file = response.json()
    assert file["status"] == "captured"
    assert any(f["rule"] == "10.2.1" for f in file["evaluation"]["findings"])
    response = call(client, "post", f"/files/{file['id']}/transitions/propose", tokens["ana"], {})
    assert response.status_code == 409
    assert "capturado" in response.json()["detail"][0]["message"]
    assert call(client, "get", f"/files/{file['id']}", tokens["sofia"]).status_code == 404
    assert (
        call(
            client, "post", f"/files/{file['id']}/transitions/cancel", tokens["sofia"], {"reason": "x"}
        ).status_code
        == 404
    )
    response = call(
        client,
        "post",
        f"/files/{file['id']}/guarantees",
        tokens["ana"],
        {
            "type": "hipoteca_industrial",
            "owner": "La misma",
            "description": "Nave",
            "value": "30000000",
            "appraisal_date": "2026-10-01",
            "lien_rank": 1,
            "insurable": True,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["eligible"] is True
    guarantees = call(client, "get", f"/files/{file['id']}/guarantees", tokens["ana"]).json()
    assert guarantees[0]["counted"] == "30000000.00"


def test_amount_with_letters_is_refused(client, tokens, applicant):
    response = call(
        client,
        "post",
        "/files",
        tokens["ana"],
        {
            "applicant_id": applicant.pk,
            "program": "primer_piso",
            "credit_type": "refaccionario",
            "currency": "MXN",
            "amount": "12 millones",
            "investment_program": "14000000",
            "term_months": 84,
            "grace_months": 12,
            "payment_every_months": 1,
            "amortization": "equal_principal",
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "amount"


def test_rules_endpoints(client, tokens):
    assert call(client, "get", "/rules", tokens["ana"]).json()[0]["version"] == "RO-2010-1160"
    section = call(
        client, "get", "/rules/in-force?as_of=2026-03-02&section=commissions", tokens["ana"]
    ).json()
    assert section["commissions"]["opening_rate"] == "0.015"
    assert call(client, "get", "/rules/in-force?as_of=1999-01-01", tokens["ana"]).status_code == 422
    assert call(client, "get", "/rules/NO-EXISTE", tokens["ana"]).status_code == 404


def test_openapi_schema_is_served(client, tokens):
    response = call(client, "get", "/openapi.json", tokens["ana"])
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/evaluations" in paths
    assert "/api/v1/files/{file_id}/transitions/{action}" in paths
