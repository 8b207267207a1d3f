"""Setting up a guarantee fund from the pages (/fondos/nuevo/): Dirección and Administración create it through
`funds.services.fund_create` (kind and rule from the program's entry in the rule set, audited), then record
its contributions on the fund's page; the other roles are refused; bad input is shown on the form in
Spanish."""

from __future__ import annotations

from decimal import Decimal

import pytest

from filon.audit.models import AuditRecord
from filon.funds.models import FundMovement, GuaranteeFund
from filon.funds.selectors import fund_balance
from web.web_support import frozen, login

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)

NEW = "/fondos/nuevo/"
FOGAMICO = {
    "code": "FOGAMICO-1",
    "name": "FOGAMICO del Gobierno de Coahuila",
    "program": "carbon_coahuila",
    "contributor": "state",
    "state": "COA",
    "loan": "",
}


def test_direccion_sets_up_a_fund_and_records_its_first_contribution(cast):
    client = login(cast.omar)
    listing = client.get("/fondos/").content.decode()
    assert f'href="{NEW}"' in listing  # linked from the list
    assert client.get(NEW).status_code == 200
    response = client.post(NEW, FOGAMICO)
    fund = GuaranteeFund.objects.get(code="FOGAMICO-1")
    assert response.status_code == 302
    assert response["Location"] == f"/fondos/{fund.pk}/"
    assert (fund.program, fund.kind, fund.rule, fund.contributor, fund.state) == (
        "carbon_coahuila",
        "liquid_ratio",
        "P-4 4.2",
        "state",
        "COA",
    )
    assert AuditRecord.objects.filter(action="fund.create", object_id=str(fund.pk), user=cast.omar).exists()
    detail = client.get(f"/fondos/{fund.pk}/")
    assert "Se dio de alta el fondo FOGAMICO-1" in detail.content.decode()
    key = detail.context["form"]["key"].value()
    contribution = {"kind": "contribution", "amount": "5000000.00", "on": "2026-03-03", "key": key}
    assert client.post(f"/fondos/{fund.pk}/", contribution).status_code == 302
    assert client.post(f"/fondos/{fund.pk}/", contribution).status_code == 302  # the same form again: once
    assert FundMovement.objects.filter(fund=fund).count() == 1
    assert fund_balance(fund) == Decimal("5000000.00")


def test_errors_are_shown_on_the_form_in_spanish(cast):
    client = login(cast.omar)
    client.post(NEW, FOGAMICO)
    again = client.post(NEW, FOGAMICO)
    assert again.status_code == 422
    assert "Ya existe un fondo con la clave FOGAMICO-1." in again.content.decode()
    blank = client.post(NEW, {**FOGAMICO, "code": "FG-2", "name": " "})
    assert blank.status_code == 422
    assert "Este campo es obligatorio." in blank.content.decode()
    missing_loan = client.post(
        NEW, {**FOGAMICO, "code": "FG-P2-1", "program": "pequena_mineria", "contributor": "miner"}
    )
    assert missing_loan.status_code == 422
    assert "La aportación propia de un minero es de un crédito: indíquelo." in missing_loan.content.decode()
    unknown = client.post(NEW, {**FOGAMICO, "code": "FG-X", "loan": "CR-ZAC-2099-9999"})
    assert "No existe el crédito CR-ZAC-2099-9999." in unknown.content.decode()
    assert GuaranteeFund.objects.count() == 1


@pytest.mark.parametrize("who", ["ramon", "ana", "gerardo", "julia"])
def test_other_roles_cannot_set_up_a_fund(cast, who):
    client = login(getattr(cast, who))
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, FOGAMICO).status_code == 403
    assert not GuaranteeFund.objects.exists()
    if who == "ramon":  # risk reads the funds but does not set them up: no link
        assert f'href="{NEW}"' not in client.get("/fondos/").content.decode()
