"""Amounts and dates as people in Mexico write them, through the pages: «1,000,000.50» and 31/01/2026 are
read, shown back the same way, and the comma-decimal form or a bad date are refused on their field, saying
how to write them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from test_forms import PROPOSAL, field_error
from web_support import frozen, login

from filon.origination.models import CreditFile

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)


def test_an_amount_with_thousands_commas_and_a_date_dd_mm_aaaa_open_a_file(cast, applicant):
    response = login(cast.ana).post(
        reverse("web:file_new", args=[applicant.pk]),
        {
            **PROPOSAL,
            "amount": "12,000,000.50",
            "investment_program": "14,000,000",
            "application_date": "15/01/2026",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    file = CreditFile.objects.get()
    assert file.amount == Decimal("12000000.50")
    assert file.investment_program == Decimal("14000000")
    assert file.application_date == dt.date(2026, 1, 15)


def test_the_proposal_form_shows_amounts_grouped_and_dates_dd_mm_aaaa(cast, credit_file):
    body = login(cast.ana).get(reverse("web:file_proposal", args=[credit_file.pk])).content.decode()
    amount = (
        body.split('id="id_amount"', 1)[0].rsplit("<input", 1)[1]
        + body.split('id="id_amount"', 1)[1].split(">", 1)[0]
    )
    assert 'type="text"' in amount
    assert 'inputmode="decimal"' in amount
    assert "data-monto" in amount
    assert f'value="{credit_file.amount:,.2f}"' in amount
    date = body.split('id="id_application_date"', 1)[0].rsplit("<input", 1)[1]
    assert 'placeholder="dd/mm/aaaa"' in date
    assert f'value="{credit_file.application_date:%d/%m/%Y}"' in date
    assert 'type="date"' not in body


@pytest.mark.parametrize("typed", ["1.000.000,50", "1,00", "1.000,5"])
def test_the_comma_decimal_form_is_refused_on_its_field_saying_how_to_write_it(cast, applicant, typed):
    response = login(cast.ana).post(
        reverse("web:file_new", args=[applicant.pk]), {**PROPOSAL, "amount": typed}
    )
    assert response.status_code == 422
    assert field_error(response.content.decode(), "id_amount") == (
        "«Monto solicitado»: escriba el número con punto decimal y, si quiere, comas para los miles, "
        "por ejemplo 1,000,000.50."
    )
    assert CreditFile.objects.count() == 0


@pytest.mark.parametrize("typed", ["31/02/2026", "2026/01/15", "15-01-2026", "mañana"])
def test_a_bad_date_is_refused_on_its_field_with_the_expected_format(cast, applicant, typed):
    response = login(cast.ana).post(
        reverse("web:file_new", args=[applicant.pk]), {**PROPOSAL, "application_date": typed}
    )
    assert response.status_code == 422
    assert field_error(response.content.decode(), "id_application_date") == (
        "«Fecha de solicitud»: escríbala como dd/mm/aaaa, por ejemplo 31/01/2026."
    )


def test_an_iso_date_is_still_read(cast, applicant):
    response = login(cast.ana).post(
        reverse("web:file_new", args=[applicant.pk]), {**PROPOSAL, "application_date": "2026-01-15"}
    )
    assert response.status_code == 302
    assert CreditFile.objects.get().application_date == dt.date(2026, 1, 15)


def test_numbers_and_dates_are_shown_the_mexican_way():
    from filon.web.templatetags.filon_web import fecha, money, numero, percent

    assert numero(Decimal("2000.00")) == "2,000"
    assert numero(Decimal("1234.50")) == "1,234.5"
    assert numero(None) == "—"
    assert money(Decimal("1234567.8")) == "$1,234,567.80"
    assert percent(Decimal("0.0725")) == "7.25 %"
    assert fecha(dt.date(2026, 1, 31)) == "31/01/2026"
