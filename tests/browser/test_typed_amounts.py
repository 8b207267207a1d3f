"""Amounts and dates typed in the browser as people in Mexico write them: the amount is grouped with
thousands commas while it is typed (static/filon/numbers.js), the date is typed dd/mm/aaaa, and the server
reads both back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from browser_support import (
    async_unsafe_allowed,
    browser,
    clock,
    csp_violations,
    http_cookies,
    landed,
    shot,
    sign_in,
)
from playwright.sync_api import expect

from filon.origination.models import CreditFile

__all__ = ["async_unsafe_allowed", "browser", "clock", "csp_violations", "http_cookies", "shot", "sign_in"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def test_an_amount_is_grouped_while_typed_and_submitted_as_typed(
    cast, applicant, sign_in, shot, csp_violations
):
    ana = sign_in(cast.ana)
    ana.goto(f"/solicitantes/{applicant.pk}/expedientes/nuevo/")
    ana.get_by_label("Programa", exact=False).first.select_option("primer_piso")
    ana.get_by_label("Tipo de crédito").select_option("refaccionario")
    amount = ana.get_by_label("Monto solicitado")
    amount.press_sequentially("1000000.5")
    expect(amount).to_have_value("1,000,000.5")
    investment = ana.get_by_label("Programa de inversión sin IVA")
    investment.press_sequentially("1,00")  # a comma the person wrote is left as typed
    expect(investment).to_have_value("1,00")
    investment.fill("")
    investment.press_sequentially("1400000")
    expect(investment).to_have_value("1,400,000")
    ana.get_by_label("Plazo (meses)").fill("84")
    ana.get_by_label("Fecha de solicitud").fill("02/03/2026")
    shot(ana, "monto-agrupado")
    ana.get_by_role("button", name="Abrir expediente").click()
    landed(ana, r"/expedientes/\d+/$")
    file = CreditFile.objects.get(applicant=applicant)
    assert file.amount == Decimal("1000000.50")
    assert file.investment_program == Decimal("1400000")
    assert file.application_date == dt.date(2026, 3, 2)
    assert csp_violations == []
