"""Headless Chromium for the end-to-end tests: Debian's browser, people logged in through the login form,
and a screenshot of every page visited, kept under test-artifacts/screenshots/<database>/<test>/; when a
test fails, its pages are kept beside them as failed-<test>.png and .html (tests/conftest.py).

Not a conftest: the test module imports the fixtures it uses from here.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from conftest import (
    BROWSER_PAGES,
    SCREENSHOTS,
    applicant_data,
    clear_failed_pages,
    file_name,
    proposal_data,
    to_ready,
)
from filon.accounts.models import User
from filon.core.calendar import MEXICO_CITY, business_date_provider_set, today_mx
from filon.demo.scenarios import loan_disburse
from filon.operations import business_date as bd

# Debian's package, installed by `make browser-deps`; never a browser downloaded by Playwright.
CHROMIUM = Path("/usr/bin/chromium")
# What a closed network needs: no sandbox (containers, root), no GPU, and no call home of any kind.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "clave-de-prueba-123"  # the cast's password (tests/conftest.py)
TIMEOUT_MS = 20_000
# A Tuesday inside the FIX and sample-rate series; time moves on from here while the test runs.
START = dt.datetime(2026, 3, 3, 10, 0, tzinfo=MEXICO_CITY)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Time for the test and the live server, from START on; `clock.move_to(...)` jumps ahead."""
    with time_machine.travel(START, tick=True) as traveller:
        yield traveller


@pytest.fixture
def async_unsafe_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Playwright's sync API runs an event loop in the test thread, which trips Django's async-safety
    check on the test's own ORM calls; allowed for the browser tests only, and restored afterwards."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def http_cookies(settings) -> None:
    """The live server speaks plain http://localhost; production keeps FILON_SECURE_COOKIES on."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def browser(async_unsafe_allowed: None) -> Iterator[Browser]:
    """Headless Chromium for one test.

    While Playwright's loop runs, Django keeps the test thread's database connections apart from the
    ones opened before (asgiref's Local behaves like a context variable under a running loop); they are
    closed here, before the loop stops, or PostgreSQL could not drop the test database at the end.
    """
    if not CHROMIUM.exists():
        pytest.fail(f"No está instalado Chromium en {CHROMIUM}: ejecute «make browser-deps».")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            connections.close_all()
            chromium.close()


def landed(page: Page, url: str) -> None:
    """After a click that navigates: the address matches `url` (a regular expression) and the new page
    has loaded, its deferred scripts (HTMX) included, so its forms are ready for the next click."""
    expect(page).to_have_url(re.compile(url))
    page.wait_for_load_state("load")


def log_in(
    page: Page, user, shot: Screenshots | None = None, name: str = "", password: str = PASSWORD
) -> None:
    """Fill in and send the login form the page shows; the user's name then shows in the top bar."""
    expect(page.get_by_role("heading", name="Entrar a Filón")).to_be_visible()
    page.get_by_label("Usuario").fill(user.username)
    page.get_by_label("Contraseña").fill(password)
    if shot:
        shot(page, name)
    page.get_by_role("button", name="Entrar").click()
    expect(page.locator("form.logout")).to_contain_text(user.first_name)


class Screenshots:
    """Numbered full-page screenshots in the order the pages were visited: 01-captura-solicitante.png …"""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("*.png"):
            old.unlink()
        self.directory = directory
        self.count = 0

    def __call__(self, page: Page, name: str) -> Path:
        self.count += 1
        path = self.directory / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Screenshots:
    """One folder per database, so the SQLite and PostgreSQL runs keep their own pictures, and in it one per
    test, so a test does not clear another's; the pages an earlier failure of the test left go too."""
    from django.db import connection

    directory = SCREENSHOTS / connection.vendor
    clear_failed_pages(directory, request.node.name)
    return Screenshots(directory / file_name(request.node.name))


# Every Content-Security-Policy violation of a page, reported to the test (csp_violations) as it happens.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.filonCspViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${event.documentURI}`);
});
"""


CSP_VIOLATIONS = pytest.StashKey[list[str]]()


@pytest.fixture
def csp_violations(request: pytest.FixtureRequest) -> list[str]:
    """The policy violations of every page sign_in opened in the test: the `securitypolicyviolation` events
    and the console's «Content Security Policy» messages."""
    return request.node.stash.setdefault(CSP_VIOLATIONS, [])


@pytest.fixture
def sign_in(
    browser: Browser,
    live_server,
    http_cookies: None,
    clock: time_machine.Traveller,
    shot: Screenshots,
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., Page]]:
    """sign_in(user) → a page of that person's own browser context, logged in through the login form.

    The pages are recorded on the test, so that a failure saves them (tests/conftest.py); their policy
    violations, from the login page on, go to csp_violations."""
    contexts: list[BrowserContext] = []
    csp_violations = request.node.stash.setdefault(CSP_VIOLATIONS, [])
    pages = request.node.stash.setdefault(BROWSER_PAGES, [])
    expect.set_options(timeout=TIMEOUT_MS)

    def open_as(user, screenshot: str | None = None, password: str = PASSWORD) -> Page:
        """The login page is kept as `screenshot` when given; the page each person lands on («Mis pendientes»), always."""
        context = browser.new_context(
            base_url=live_server.url, locale="es-MX", timezone_id="America/Mexico_City"
        )
        context.set_default_timeout(TIMEOUT_MS)
        # No favicon request racing the page's own: on in-memory SQLite the live server's request threads
        # share one database connection.
        context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=b""))
        context.expose_function("filonCspViolation", lambda violation: csp_violations.append(violation))
        context.add_init_script(CSP_REPORTER)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                csp_violations.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        who = user.username.split(".")[0]
        before = sum(1 for name, _ in pages if name.split("-")[0] == who)  # the same person again: ana-2
        pages.append((f"{who}-{before + 1}" if before else who, page))
        page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm questions are answered «Aceptar»
        page.goto("/entrar/")
        log_in(page, user, shot if screenshot else None, screenshot or "", password)
        landed(page, r"/pendientes/$")
        shot(page, f"inicio-{user.username.split('.')[0]}")
        return page

    yield open_as
    for context in contexts:
        context.close()


LOAN_AMOUNT = Decimal("12000000")


@pytest.fixture
def active_loan(cast, sample_rates, clock: time_machine.Traveller):
    """A Zacatecas loan disbursed today (the browser's clock), ready for a payment."""
    from filon.applicants.services import applicant_create
    from filon.origination.services import file_create
    from filon.servicing.services import commission_pay, loan_create_from_file

    applicant = applicant_create(user=cast.ana, data=applicant_data()).obj
    file = to_ready(cast, file_create(user=cast.ana, applicant=applicant, proposal=proposal_data()))
    loan = loan_create_from_file(user=cast.ana, file=file)
    commission_pay(user=cast.ana, loan=loan, value_date=today_mx())
    loan_disburse(
        captured_by=cast.ana, released_by=cast.gerardo, loan=loan, amount=LOAN_AMOUNT, value_date=today_mx()
    )
    return loan


def data_migrations_restore() -> None:
    """Put back what a data migration wrote: a browser test's database is emptied after each test, and the
    demo's program credits need the default parametric model that migration 0002 of programs loads."""
    default_model = importlib.import_module("filon.programs.migrations.0002_default_scoring_model")
    default_model.load_default(django_apps, None)


@pytest.fixture
def demo(settings, clock: time_machine.Traveller) -> Iterator[dict[str, User]]:
    """`filon demo load` on the test's database, in the training mode the demo runs in; the people by username."""
    settings.FILON_TRAINING_MODE = True
    bd.business_date_install()
    data_migrations_restore()
    call_command("demo", "load", verbosity=0)
    yield {u.username: u for u in User.objects.all()}
    business_date_provider_set(None)
    bd.business_date_forget()
