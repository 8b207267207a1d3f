"""Under the Content-Security-Policy every page sends, nothing the pages need is refused: the analyst and
the director go through the login page, every page of their menus, a loan page and the API docs, and
record a payment with HTMX, with no policy violation reported by the browser.
"""

from __future__ import annotations

import pytest
from browser_support import (
    active_loan,
    async_unsafe_allowed,
    browser,
    clock,
    csp_violations,
    http_cookies,
    landed,
    shot,
    sign_in,
)
from playwright.sync_api import Page, expect

from filon.core.calendar import today_mx
from filon.servicing.models import Loan, Payment

__all__ = [
    "active_loan",
    "async_unsafe_allowed",
    "browser",
    "clock",
    "csp_violations",
    "http_cookies",
    "shot",
    "sign_in",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.security,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def visit_menu(page: Page) -> list[str]:
    """Every page of the main menu, opened in turn; their paths."""
    paths = page.locator("nav.mainnav a").evaluate_all("links => links.map(link => link.pathname)")
    assert len(paths) >= 5
    for path in paths:
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        assert "no-store" in response.headers["cache-control"]
        page.wait_for_load_state("load")
    return paths


def test_the_pages_and_htmx_work_under_the_policy(cast, active_loan: Loan, sign_in, csp_violations):
    ana = sign_in(cast.ana)
    visit_menu(ana)

    ana.goto(f"/creditos/{active_loan.pk}/")
    landed(ana, rf"/creditos/{active_loan.pk}/$")
    assert ana.evaluate("typeof htmx") == "object"  # HTMX ran: its own script file was allowed
    ana.locator("#pagos summary", has_text="Registrar pago").click()
    payments = ana.locator("#pagos")
    payments.get_by_label("Importe recibido").fill("150000.00")
    payments.locator("input[name$='value_date']").fill(f"{today_mx():%d/%m/%Y}")
    payments.get_by_role("button", name="Registrar pago", exact=True).click()
    expect(payments.locator(".notice")).to_be_visible()
    expect(ana.locator("header.topbar")).to_have_count(1)  # swapped as a section, not a page
    assert Payment.objects.filter(loan=active_loan).count() == 1
    assert csp_violations == []
    assert ana.evaluate("document.querySelectorAll('style').length") == 0  # no indicator <style> injected

    response = ana.goto("/api/v1/docs")
    assert response is not None
    assert response.status == 200
    expect(ana.locator("#swagger-ui .info .title")).to_contain_text("Filón API")

    omar = sign_in(cast.omar)  # the director's menu adds Operaciones and Fondos
    visit_menu(omar)

    assert csp_violations == []
