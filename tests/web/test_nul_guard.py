"""A NUL character, which PostgreSQL text cannot hold, is refused with the field named before any query."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from web_support import login

pytestmark = pytest.mark.django_db


def test_a_nul_in_an_api_filter_is_a_400_naming_the_field(cast):
    client = login(cast.sergio)
    response = client.get("/api/v1/committees/sessions", {"status": "held\x00"})
    assert response.status_code == 400
    detail = response.json()["detail"][0]
    assert detail["field"] == "status"
    assert "carácter nulo" in detail["message"]
    # the same filter without the NUL is answered
    assert client.get("/api/v1/committees/sessions", {"status": "held"}).status_code == 200


def test_a_nul_in_a_json_body_is_refused(cast):
    response = login(cast.ana).post(
        "/api/v1/applicants", json.dumps({"name": "Minera\u0000"}), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "(documento)"


def test_a_nul_in_a_form_field_is_a_page_in_spanish(cast):
    response = login(cast.ana).post(reverse("web:applicant_new"), {"name": "Minera\x00"})
    assert response.status_code == 400
    assert "Campo «name»: contiene el carácter nulo" in response.content.decode()
    response = login(cast.ana).get(reverse("web:applicants"), {"q": "\x00"})
    assert response.status_code == 400
