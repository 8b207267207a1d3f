"""The API reads amounts as the pages do: «1,000,000.50» or «1000000.50»; the comma-decimal form is refused
on its field with the same Spanish message."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client
from pydantic import TypeAdapter, ValidationError

from filon.api.loans import MoneyIn


@pytest.mark.parametrize(("typed", "read"), [("1,000,000.50", "1000000.50"), ("150000.00", "150000.00")])
def test_an_api_amount_is_read_with_or_without_thousands_commas(typed, read):
    assert TypeAdapter(MoneyIn).validate_python(typed) == Decimal(read)


@pytest.mark.parametrize("typed", ["1.000.000,50", "1,00", "1.000,5"])
def test_an_api_amount_in_the_comma_decimal_form_is_refused_saying_how_to_write_it(typed):
    with pytest.raises(ValidationError, match="Escriba el número con punto decimal"):
        TypeAdapter(MoneyIn).validate_python(typed)


@pytest.mark.django_db
def test_the_refusal_names_the_field_over_http(cast):
    client = Client()
    client.force_login(cast.gerardo)
    response = client.post(
        "/api/v1/loans/1/disbursements",
        json.dumps({"amount": "1.000.000,50", "value_date": "2026-03-03"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any(
        item["field"] == "amount" and "punto decimal" in item["message"] and "1,000,000.50" in item["message"]
        for item in detail
    ), detail


def test_the_published_schema_describes_the_same_amounts():
    import re

    pattern = TypeAdapter(MoneyIn).json_schema()["pattern"]
    assert re.fullmatch(pattern, "1,000,000.50")
    assert re.fullmatch(pattern, "150000.00")
    assert not re.fullmatch(pattern, "1.000.000,50")
    assert not re.fullmatch(pattern, "1,00")
