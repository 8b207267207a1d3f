"""An HTMX action whose answer is not a section to swap tells the person so, in the page's alert.

The Zacatecas analyst has a loan page open and records a payment: the loan was moved to Sonora in between
(404), the form's hidden key carries a character no database stores (the refusal comes back as a whole
page, which is not put inside the section), and the network drops the request. Each time the alert says what happened, the
section stays as it was with its button enabled again, and no payment is recorded; Escape or «Cerrar aviso»
dismisses the alert, which on a tablet stays on the screen too.
"""

from __future__ import annotations

import re

import pytest
from browser_support import (
    Screenshots,
    active_loan,
    async_unsafe_allowed,
    browser,
    clock,
    http_cookies,
    shot,
    sign_in,
)
from playwright.sync_api import Page, Route, expect

from filon.servicing.models import Loan, Payment

__all__ = [
    "active_loan",
    "async_unsafe_allowed",
    "browser",
    "clock",
    "http_cookies",
    "shot",
    "sign_in",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]

TABLET = {"width": 768, "height": 1024}


def send_payment(page: Page, amount: str) -> None:
    payments = page.locator("#pagos")
    payments.get_by_label("Importe recibido").fill(amount)
    payments.get_by_role("button", name="Registrar pago", exact=True).click()


def disconnected(route: Route) -> None:
    route.abort("internetdisconnected")


def section_unchanged(page: Page) -> None:
    """The payments section is still the one the page showed: its form, its enabled button, no notice, and
    no second page inside it."""
    payments = page.locator("#pagos")
    expect(payments.get_by_role("button", name="Registrar pago", exact=True)).to_be_enabled()
    expect(payments.locator(".notice")).to_have_count(0)
    expect(page.locator("header.topbar")).to_have_count(1)
    expect(page.locator("main")).to_have_count(1)


def test_a_failed_htmx_action_is_announced_and_the_form_stays_usable(
    cast, active_loan: Loan, sign_in, shot: Screenshots
):
    ana = sign_in(cast.ana)
    ana.goto(f"/creditos/{active_loan.pk}/")
    ana.locator("#pagos summary", has_text="Registrar pago").click()
    alert = ana.locator("#avisos-texto")
    close = ana.get_by_role("button", name="Cerrar aviso")
    expect(alert).to_have_attribute("role", "alert")
    expect(close).to_be_hidden()

    # The loan moves to Sonora while the page is open: for the Zacatecas analyst it no longer exists.
    Loan.objects.filter(pk=active_loan.pk).update(office=cast.hmo)
    send_payment(ana, "150000.00")
    expect(alert).to_have_text("No se encontró (404): puede que se haya borrado o que no sea de su gerencia.")
    expect(alert).to_be_in_viewport()
    section_unchanged(ana)
    shot(ana, "aviso-404")
    ana.keyboard.press("Escape")
    expect(alert).to_have_text("")
    expect(close).to_be_hidden()

    # Back in Zacatecas, with the form's hidden key corrupted by a NUL: the refusal comes before any view,
    # as a whole page; the alert carries its message instead of the section swallowing a page.
    Loan.objects.filter(pk=active_loan.pk).update(office=cast.zac)
    ana.locator("#pagos input[name='pago-key']").evaluate("key => { key.value += '\\u0000'; }")
    send_payment(ana, "150000.00")
    expect(alert).to_have_text(
        re.compile(r"^No se pudo realizar la operación \(400\): Campo «pago-key»: contiene el carácter nulo")
    )
    section_unchanged(ana)

    # A tablet, and the network drops the request: the alert is on the screen and closes with its button.
    ana.set_viewport_size(TABLET)
    ana.route(f"**/creditos/{active_loan.pk}/pagos/", disconnected)
    send_payment(ana, "150000.00")
    expect(alert).to_have_text(re.compile(r"^Sin conexión con el servidor"))
    expect(alert).to_be_in_viewport()
    expect(close).to_be_in_viewport()
    section_unchanged(ana)
    shot(ana, "aviso-sin-conexion-tableta")
    close.click()
    expect(alert).to_have_text("")
    expect(close).to_be_hidden()
    expect(ana.get_by_role("button", name="Registrar pago", exact=True)).to_be_focused()

    assert not Payment.objects.filter(loan=active_loan).exists()
