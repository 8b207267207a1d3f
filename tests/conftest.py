"""Fixtures shared by every test layer."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import pytest

from filon.rules import RuleSet, load_ruleset_for_date

TESTS_DIR = Path(__file__).resolve().parent
SPEC_EXAMPLE = TESTS_DIR / "contracts" / "evaluate" / "spec_example.json"
# Pictures of the browser tests, one folder per database (sqlite, postgresql).
SCREENSHOTS = TESTS_DIR.parent / "test-artifacts" / "screenshots"


# ------------------------------------------------------------------ a failing browser test leaves its pages


class ShownPage(Protocol):
    """What is kept of a browser page: Playwright's Page has both."""

    def screenshot(self, *, path: str, full_page: bool) -> bytes: ...

    def content(self) -> str: ...


# The pages a browser test opened, each with who it belongs to (browser_support's sign_in records them).
BROWSER_PAGES = pytest.StashKey[list[tuple[str, ShownPage]]]()


def file_name(test_name: str) -> str:
    """A test's name as a file name: test_x[a b] → test_x_a_b."""
    return re.sub(r"[^\w.-]+", "_", test_name).strip("_")


def clear_failed_pages(directory: Path, test_name: str) -> None:
    """The pages an earlier failure of this test left, removed when it runs again."""
    stem = f"failed-{file_name(test_name)}"
    for path in [*directory.glob(f"{stem}.*"), *directory.glob(f"{stem}-*.*")]:
        if path.suffix in (".png", ".html"):
            path.unlink()


def save_failed_page(page: ShownPage, *, directory: Path, test_name: str, who: str = "") -> list[Path]:
    """The page as a failed test left it: failed-<test>[-<who>].png, the whole page, and its HTML beside it."""
    stem = f"failed-{file_name(test_name)}"
    if who:
        stem += f"-{who}"
    directory.mkdir(parents=True, exist_ok=True)
    picture, html = directory / f"{stem}.png", directory / f"{stem}.html"
    page.screenshot(path=str(picture), full_page=True)
    html.write_text(page.content(), encoding="utf-8")
    return [picture, html]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """When a `browser` test fails in its call, before its fixtures close the browser, every page it opened
    is saved under test-artifacts/screenshots/<database>/ (named after its person when there are several)."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    pages = item.stash.get(BROWSER_PAGES, [])
    if report.when != "call" or not report.failed or not pages or item.get_closest_marker("browser") is None:
        return
    from django.db import connection

    directory = SCREENSHOTS / connection.vendor
    for who, page in pages:
        try:
            saved = save_failed_page(
                page, directory=directory, test_name=item.name, who=who if len(pages) > 1 else ""
            )
        except Exception as exc:  # a page already closed must not hide the test's own failure
            report.sections.append(("página de la falla", f"No se pudo guardar la página de {who}: {exc}"))
        else:
            report.sections.append(("página de la falla", "\n".join(str(path) for path in saved)))


# ------------------------------------------------------- rule versions made by amendments (database)


def pytest_configure(config: pytest.Config) -> None:
    """Test modules that look a rule set up at import time run before any fixture: they read the shipped
    versions (collection touches no database)."""
    from filon.rules.loader import ruleset_sources_switch

    ruleset_sources_switch(False)


@pytest.fixture(scope="session", autouse=True)
def _rule_amendments_only_with_the_database() -> Iterator[None]:
    """Approved amendments live in the database: a test that touches none reads the shipped rule versions."""
    from filon.rules.loader import ruleset_sources_enabled

    with ruleset_sources_enabled(False):
        yield


@pytest.fixture(autouse=True)
def _rule_amendments_in_database_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    from filon.rules.loader import ruleset_sources_enabled

    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "django_db_reset_sequences", "live_server"} & set(request.fixturenames)
    )
    with ruleset_sources_enabled(uses_db):
        yield


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    """The rule set in force on the SPEC example's date."""
    return load_ruleset_for_date(date(2026, 3, 2))


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


@pytest.fixture(scope="session")
def spec_example() -> dict[str, Any]:
    return json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def make_doc(spec_example: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """The SPEC example proposal with nested changes: make_doc(request={"amount": "1"})."""

    def build(**changes: Any) -> dict[str, Any]:
        return _merge(copy.deepcopy(spec_example), changes)

    return build


# --------------------------------------------------------------------------------------- the cast
# A small named cast for service tests (STYLE 10): two regional offices, central areas, a committee.


@pytest.fixture
def offices(db):
    from filon.accounts.services import regional_offices_sync

    return {o.code: o for o in regional_offices_sync()}


@pytest.fixture
def fix_rate(db):
    """FIX USD/MXN observations around the test dates (C-5 look-up reads the latest before a date)."""
    from decimal import Decimal

    from filon.marketdata.models import Observation, Series

    series, _ = Series.objects.get_or_create(code="FIX", defaults={"name": "Tipo de cambio FIX"})
    start = date(2025, 1, 1)
    Observation.objects.bulk_create(
        [
            Observation(series=series, date=date.fromordinal(start.toordinal() + i), value=Decimal("18.50"))
            for i in range(0, 3 * 366)
        ],
        ignore_conflicts=True,
    )
    return series


def _user(username: str, role: str, office=None, committees=None):
    from filon.accounts.models import User

    user = User.objects.create_user(
        username,
        password="clave-de-prueba-123",
        role=role,
        office=office,
        committees=committees or [],
        first_name=username.split(".")[0].title(),
    )
    return user


@pytest.fixture
def sample_rates(db):
    """The shipped illustrative series (TIIE 28, TIIE de Fondeo, FIX, Term SOFR, UDI, UMA, 2024–2026)."""
    from filon.marketdata.services import sample_load

    return sample_load()


@pytest.fixture
def cast(offices, fix_rate):
    """ana: analyst in Zacatecas; gerardo: Zacatecas manager; sofia: analyst in Hermosillo (Sonora);
    julia: legal; ramon: risk; sergio: committee secretary; marta, luis, elena: Comité Interno members;
    omar: an outsider with no role in credit (dirección)."""
    from types import SimpleNamespace

    zac, hmo = offices["ZAC"], offices["HMO"]
    return SimpleNamespace(
        zac=zac,
        hmo=hmo,
        ana=_user("ana.zac", "analista", zac),
        gerardo=_user("gerardo.zac", "gerente_regional", zac),
        sofia=_user("sofia.son", "analista", hmo),
        julia=_user("julia.juridico", "juridico"),
        ramon=_user("ramon.riesgos", "riesgos"),
        sergio=_user(
            "sergio.secretario", "secretario_comite", committees=["comite_interno", "comite_externo"]
        ),
        marta=_user("marta.comite", "miembro_comite", committees=["comite_interno"]),
        luis=_user("luis.comite", "miembro_comite", committees=["comite_interno"]),
        elena=_user("elena.comite", "miembro_comite", committees=["comite_interno", "comite_externo"]),
        omar=_user("omar.direccion", "direccion"),
    )


def applicant_data(**changes):
    from decimal import Decimal

    from filon.applicants.services import ApplicantData

    values = {
        "person_type": "moral",
        "name": "Minera La Veta Madre, S.A. de C.V.",
        "rfc": "MVM120315AB4",
        "state": "ZAC",
        "municipality": "Fresnillo",
        "activity": 21,
        "mining_class": "concesible",
        "employees": 45,
        "equity_mxn": Decimal("30000000"),
        "annual_gross_income_mxn": Decimal("150000000"),
        "production_tons_month": Decimal("2000"),
        "years_of_sales": Decimal("6"),
        "primary_extraction": True,
    }
    values.update(changes)
    return ApplicantData(**values)


def proposal_data(**changes):
    from decimal import Decimal

    from filon.origination.services import ProposalData

    values = {
        "program": "primer_piso",
        "credit_type": "refaccionario",
        "currency": "MXN",
        "amount": Decimal("12000000"),
        "investment_program": Decimal("14000000"),
        "term_months": 84,
        "grace_months": 12,
    }
    values.update(changes)
    return ProposalData(**values)


@pytest.fixture
def applicant(cast):
    from filon.applicants.services import applicant_create

    return applicant_create(user=cast.ana, data=applicant_data()).obj


@pytest.fixture
def credit_file(cast, applicant):
    from filon.origination.services import file_create

    return file_create(user=cast.ana, applicant=applicant, proposal=proposal_data())


# ------------------------------------------------------------------------ moving a file along its life


def pdf(name: str = "doc.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"%PDF-1.4\n% expediente de prueba\n", content_type="application/pdf")


def mortgage(value: str = "30000000"):
    from datetime import timedelta
    from decimal import Decimal

    from filon.core.calendar import today_mx
    from filon.origination.services import GuaranteeData

    return GuaranteeData(
        type="hipoteca_industrial",
        owner="Minera La Veta Madre",
        description="Nave industrial en Fresnillo",
        value=Decimal(value),
        appraisal_date=today_mx() - timedelta(days=30),
        appraiser="Valuadores del Centro",
    )


def crew(cast, **changes):
    """The cast as the scenario builder's crew: ana captures and proposes, gerardo reviews, signs off and
    releases, julia gives legal opinions and signs, sergio records resolutions, marta, luis and elena vote."""
    from filon.demo.scenarios import Crew

    values = {
        "analyst": cast.ana,
        "manager": cast.gerardo,
        "legal": cast.julia,
        "secretary": cast.sergio,
        "members": (cast.marta, cast.luis, cast.elena),
    }
    return Crew(**{**values, **changes})


def another_manager(office, *busy):
    """A regional manager of `office` other than the `busy` users (who captured or proposed a file, and so
    may not approve it): the first on record, else a new one (four eyes)."""
    from filon.accounts.models import User

    found = (
        User.objects.filter(role="gerente_regional", office=office, is_active=True)
        .exclude(pk__in=[u.pk for u in busy])
        .order_by("pk")
        .first()
    )
    return found or _user(f"gerente{len(busy)}.{office.code.lower()}", "gerente_regional", office)


def signoff(cast, file, *, by=None):
    """The regional manager's sign-off on a proposed file, so it may go on a committee's agenda."""
    from filon.origination.services import file_signoff

    file.refresh_from_db()
    manager = by or another_manager(file.office, file.created_by, file.proposed_by)
    return file_signoff(user=manager, file=file, note="Visto bueno")


def satisfy(cast, file, stage) -> None:
    """Upload, approve and (where required) give the legal opinion for every item of a stage."""
    from filon.demo.scenarios import requirements_satisfy

    requirements_satisfy(file, stage, crew=crew(cast))


def to_proposed(cast, file):
    from filon.demo.scenarios import file_to_proposed

    return file_to_proposed(file, crew=crew(cast), guarantees=[mortgage()])


def to_authorized(cast, file):
    """Proposed, then authorized today: the secretary records the committee's resolution on the file."""
    from filon.demo.scenarios import file_authorize

    to_proposed(cast, file)
    return file_authorize(file, crew=crew(cast), conditions="Seguro de la nave a favor del FIFOMI")


def to_ready(cast, file):
    """A file authorized, formalized and with its pre-disbursement documents: ready to disburse."""
    from filon.demo.scenarios import file_to_ready

    to_authorized(cast, file)
    return file_to_ready(file, crew=crew(cast))


def openapi_schema() -> Any:
    """The API's OpenAPI schema for schemathesis, calling the WSGI application as from_wsgi's does.

    Read from the API object, as /api/v1/openapi.json serves it: the served schema needs a signed-in person or
    a token (filon.api), and the test module builds its cases when collected, before any test database."""
    import schemathesis
    from ninja.responses import NinjaJSONEncoder

    from filon.api import api
    from filon.wsgi import application

    served = json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))
    schema = schemathesis.openapi.from_dict(served)
    schema.app = application
    schema.location = "/api/v1/openapi.json"
    return schema
