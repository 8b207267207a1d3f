"""The guarantee form in the browser shows the fields of the chosen type only (static/filon/forms.js)."""

from __future__ import annotations

import pytest
from browser_support import async_unsafe_allowed, browser, clock, csp_violations, http_cookies, shot, sign_in
from playwright.sync_api import expect

__all__ = ["async_unsafe_allowed", "browser", "clock", "csp_violations", "http_cookies", "shot", "sign_in"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def test_the_guarantee_form_shows_the_chosen_types_fields(cast, credit_file, sign_in, shot, csp_violations):
    ana = sign_in(cast.ana)
    ana.goto(f"/expedientes/{credit_file.pk}/")
    section = ana.locator("#garantias")
    section.locator("summary", has_text="Agregar garantía").click()
    kind = section.get_by_label("Tipo de garantía")
    lien = section.get_by_label("Grado de gravamen")
    statement = section.get_by_label("Fecha de la relación patrimonial del aval")
    kind.select_option("aval")
    expect(statement).to_be_visible()
    expect(lien).to_be_hidden()
    expect(section.get_by_label("Aseguradora")).to_be_hidden()
    expect(section.get_by_label("Propietario")).to_be_visible()
    shot(ana, "garantia-aval")
    kind.select_option("hipoteca_industrial")
    expect(lien).to_be_visible()
    expect(section.get_by_label("Aseguradora")).to_be_visible()
    expect(statement).to_be_hidden()
    shot(ana, "garantia-hipoteca")
    assert csp_violations == []
