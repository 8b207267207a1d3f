"""The main navigation on a laptop (1366 px) and a phone (390 px): the menu never reaches past the window, the
secondary entries open under «Más» without JavaScript of our own, each link opens its page, and the
current page stays marked."""

from __future__ import annotations

import pytest
from browser_support import async_unsafe_allowed, browser, clock, http_cookies, landed, shot, sign_in
from playwright.sync_api import Page, expect

from conftest import _user

__all__ = ["async_unsafe_allowed", "browser", "clock", "http_cookies", "shot", "sign_in"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]

WIDTHS = {"laptop": (1366, 768), "phone": (390, 844)}


def no_sideways_scroll(page: Page) -> None:
    """Neither the top bar nor anything in the menu reaches past the window's right edge."""
    assert page.evaluate("document.querySelector('header.topbar').scrollWidth <= window.innerWidth")
    rights = page.locator("nav.mainnav a:visible, nav.mainnav summary").evaluate_all(
        "items => items.map(i => i.getBoundingClientRect().right)"
    )
    assert max(rights) <= page.viewport_size["width"], rights


def test_the_menu_fits_and_works_on_a_laptop_and_a_phone(offices, sign_in, shot):
    admin = _user("adela.admin", "administrador")
    page = sign_in(admin)
    nav = page.get_by_role("navigation", name="Principal")
    for name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/")
        no_sideways_scroll(page)
        if name == "laptop":  # the bar is one line: every main entry on the brand's row
            tops = nav.locator(":scope > ul > li").evaluate_all(
                "items => items.map(i => i.getBoundingClientRect().top)"
            )
            assert max(tops) - min(tops) < 8, tops
        users = nav.get_by_role("link", name="Usuarios")
        expect(users).to_be_hidden()
        nav.locator("summary", has_text="Más").click()
        expect(users).to_be_visible()
        box = users.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width
        no_sideways_scroll(page)
        shot(page, f"menu-{name}")
        users.click()
        landed(page, r"/usuarios/$")
        no_sideways_scroll(page)
        expect(nav.locator('a[aria-current="page"]')).to_have_text("Usuarios")
        expect(nav.locator("details.holds-current")).to_have_count(1)
        nav.get_by_role("link", name="Créditos").click()
        landed(page, r"/creditos/$")
        expect(nav.locator('a[aria-current="page"]')).to_have_text("Créditos")
