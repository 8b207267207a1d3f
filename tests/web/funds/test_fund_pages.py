"""The funds pages: the list with each program's coverage, a fund's statement and the what-if form; only
direction, risk and administration see them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from conftest import proposal_data, to_ready
from filon.core.calendar import MEXICO_CITY
from filon.demo.scenarios import loan_disburse
from filon.funds.services import fund_contribute, fund_create, fund_interest_record
from filon.servicing.models import Loan
from filon.servicing.services import commission_pay, loan_create_from_file
from filon.web.forms import new_key

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


TODAY = dt.date(2026, 7, 15)
DISBURSED = dt.date(2026, 4, 6)


@pytest.fixture(autouse=True)
def frozen_time(sample_rates):
    with time_machine.travel(dt.datetime(2026, 7, 15, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


@pytest.fixture
def focir(cast, applicant):
    """FOCIR with 6 M and a Cananea credit of 1 M in default since May."""
    from filon.origination.services import file_create

    fund = fund_create(
        user=cast.omar, code="FOCIR", name="Fondo FOCIR", program="cananea", contributor="third_party"
    )
    fund_contribute(user=cast.omar, fund=fund, amount=Decimal("6000000"), on=DISBURSED)
    fund_interest_record(user=cast.omar, fund=fund, amount=Decimal("1234.56"), on=TODAY)
    file = file_create(
        user=cast.ana,
        applicant=applicant,
        proposal=proposal_data(
            amount=Decimal("1000000"), investment_program=Decimal("2000000"), term_months=6, grace_months=0
        ),
    )
    to_ready(cast, file)
    loan = loan_create_from_file(user=cast.ana, file=file)
    Loan.objects.filter(pk=loan.pk).update(program="cananea")
    loan.refresh_from_db()
    commission_pay(user=cast.ana, loan=loan, value_date=DISBURSED)
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=loan.contracted_amount,
        value_date=DISBURSED,
    )
    return fund, loan


def test_list_and_statement(cast, focir):
    fund, _loan = focir
    client = login(cast.ramon)
    page = client.get("/fondos/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "FOCIR" in text
    assert "$6,000,000.00" in text
    assert 'href="/fondos/" aria-current="page"' in text  # the main menu's link
    detail = client.get(f"/fondos/{fund.pk}/").content.decode()
    assert "$6,000,000.00" in detail
    assert "$1,234.56" in detail  # the fund's interest, FIFOMI's income
    assert "P-3 3.4" in detail
    assert client.get("/fondos/9999/").status_code == 404


def test_regional_users_do_not_see_the_funds(cast, focir):
    fund, _loan = focir
    client = login(cast.ana)
    assert client.get("/fondos/").status_code == 403
    assert client.get(f"/fondos/{fund.pk}/").status_code == 403
    assert client.get("/fondos/simulacion/").status_code == 403


def test_whatif_form(cast, focir):
    _fund, loan = focir
    client = login(cast.omar)
    assert client.get("/fondos/simulacion/").status_code == 200
    page = client.post(
        "/fondos/simulacion/", {"program": "cananea", "defaults": f"{loan.number} 15/07/2026\n"}
    ).content.decode()
    loan.refresh_from_db()
    owed = loan.principal_balance + loan.accrued_interest + loan.accrued_moratorium
    paid = (Decimal("0.30") * owed).quantize(Decimal("0.01"))
    assert f"${paid:,.2f}" in page
    assert f"${owed - paid:,.2f}" in page
    refused = client.post(
        "/fondos/simulacion/", {"program": "cananea", "defaults": "CR-NO-EXISTE 15/07/2026"}
    )
    assert refused.status_code == 200
    assert "No existe el crédito CR-NO-EXISTE" in refused.content.decode()
    bad = client.post("/fondos/simulacion/", {"program": "cananea", "defaults": "sin fecha"}).content.decode()
    assert "Renglón 1" in bad


def test_direction_records_a_contribution_and_risk_only_reads(cast, focir):
    fund, _loan = focir
    omar = login(cast.omar)
    assert "Registrar un movimiento" in omar.get(f"/fondos/{fund.pk}/").content.decode()
    done = omar.post(
        f"/fondos/{fund.pk}/",
        {"kind": "contribution", "amount": "500000", "on": "2026-07-15", "description": "", "key": new_key()},
    )
    assert done.status_code == 302
    assert "$6,500,000.00" in omar.get(f"/fondos/{fund.pk}/").content.decode()
    bad = omar.post(f"/fondos/{fund.pk}/", {"kind": "interest", "amount": "-1", "on": "2026-07-15"})
    assert bad.status_code == 200
    assert "Importe" in bad.content.decode()

    ramon = login(cast.ramon)
    assert "Registrar un movimiento" not in ramon.get(f"/fondos/{fund.pk}/").content.decode()
    refused = ramon.post(f"/fondos/{fund.pk}/", {"kind": "contribution", "amount": "1", "on": "2026-07-15"})
    assert refused.status_code == 403
    assert "$6,500,000.00" in ramon.get("/fondos/").content.decode()
