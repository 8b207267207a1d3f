"""Property-based run over the whole OpenAPI schema: no server error, no response that breaks its schema."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from conftest import openapi_schema

schema = openapi_schema()

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Calling the WSGI app directly would close the test's database connection at each request end, as
    a real server does; Django's test client disconnects that handler the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(cast, applicant):
    from filon.accounts.services import api_token_create

    return api_token_create(actor=None, user=cast.ana, name="schemathesis")[1]


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_errors_and_honours_its_schema(case, bearer):
    response = case.call(headers={"Authorization": f"Bearer {bearer}"})
    case.validate_response(response, checks=(not_a_server_error, response_schema_conformance))
