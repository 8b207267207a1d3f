"""When the database cannot be reached, the API answers a JSON 503 in Spanish and the pages a Spanish error
page: never Django's HTML 500 on the API."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

pytestmark = [pytest.mark.security, pytest.mark.django_db]


@pytest.fixture
def tokens(cast):
    from filon.accounts.services import api_token_create

    return api_token_create(actor=None, user=cast.ana, name="caida")[1]


def _down(error: Exception):
    return mock.patch.object(BaseDatabaseWrapper, "cursor", side_effect=error)


@pytest.mark.parametrize(
    "error", [OperationalError("could not connect to server"), InterfaceError("connection already closed")]
)
@pytest.mark.parametrize("path", ["/api/v1/applicants", "/api/v1/loans", "/api/v1/rates/TIIE28"])
def test_the_api_answers_a_json_503_in_spanish(tokens, error, path):
    client = Client(raise_request_exception=False)
    with _down(error):
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {tokens}")
    assert response.status_code == 503, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    detail = response.json()["detail"][0]
    assert "base de datos" in detail["message"]
    assert response["Retry-After"]


def test_a_page_answers_a_spanish_503_page(cast):
    client = Client(raise_request_exception=False)
    client.force_login(cast.ana)
    with _down(OperationalError("could not connect to server")):
        response = client.get("/solicitantes/")
    assert response.status_code == 503
    page = response.content.decode()
    assert 'lang="es-MX"' in page
    assert "base de datos" in page


def test_any_other_failure_on_the_api_is_json_too(tokens):
    client = Client(raise_request_exception=False)
    with mock.patch("filon.api.applicants.applicant_list_for_user", side_effect=RuntimeError("x")):
        response = client.get("/api/v1/applicants", HTTP_AUTHORIZATION=f"Bearer {tokens}")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert "error" in response.json()["detail"][0]["message"].lower()
