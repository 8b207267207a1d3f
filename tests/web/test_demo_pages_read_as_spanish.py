"""Nothing raw reaches a page: every page of the demo, as every demo login, reads as Spanish sentences.

The demo is loaded once; each login starts at the landing page and follows every same-site link (GET only),
one page per route and login. A page fails on a server error, a Python representation (an enum, a repr, a
Decimal, None), leftover template syntax, English words, or a requirement's code where its name belongs.
Only the text a person reads is checked (text nodes outside scripts and styles), not attributes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve

from filon.accounts.models import User
from filon.demo.scenarios import DEMO_USERS
from filon.operations import business_date as bd
from filon.operations.business_date import business_date_provider_set
from filon.origination.models import RequirementItem

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

# Routes not walked: leaving, files (PDF, workbooks, uploaded documents), a run's progress fragment.
SKIPPED_ROUTES = {"logout", "document", "epo_document_file", "run_status"}
SKIPPED_SUFFIXES = ("_pdf", "_xlsx")
# Where each login starts: the landing page and every area's index (whatever the navigation links).
START = [
    "/",
    "/pendientes/",
    "/avisos/",
    "/solicitantes/",
    "/expedientes/",
    "/comites/",
    "/creditos/",
    "/programas/",
    "/fondos/",
    "/cadenas/",
    "/metas/",
    "/capacitacion/",
    "/asistencia-tecnica/",
    "/organizaciones-aliadas/",
    "/operaciones/",
    "/reglas/modificaciones/",
    "/usuarios/",
]
# Per login and route: the first login of each role opens two pages of each route (two files, two loans…),
# a second login of the same role (another office) one.
PAGES_PER_ROUTE = {True: 2, False: 1}

RAW = [
    (re.compile(r"<[A-Z][A-Za-z]+\.[A-Z_0-9]+: "), "representación de un enum"),
    (re.compile(r"\b[a-z_]+='"), "representación de un objeto (campo='…')"),
    (re.compile(r"object at 0x"), "representación de un objeto"),
    (re.compile(r"Decimal\("), "representación de un Decimal"),
    (re.compile(r"datetime\.(date|datetime)\("), "representación de una fecha"),
    (re.compile(r"\bNone\b"), "None"),
    (re.compile(r"\bTrue\b|\bFalse\b"), "True/False"),
    (re.compile(r"\[\{'|\{'[a-z_]+':"), "un diccionario"),
    (re.compile(r"Traceback"), "un traceback"),
    (re.compile(r"\{\{|\{%|%\}|\}\}"), "sintaxis de plantilla"),
]
ENGLISH = re.compile(
    r"\b(Submit|Not Found|Forbidden|Server Error|Bad Request|required|This field|Enter a valid|"
    r"Select a valid|Page not found|Method Not Allowed|Ensure this value)\b"
)


class TextOf(HTMLParser):
    """The text nodes a person reads, each with the classes of the elements around it."""

    HIDDEN = {"script", "style", "template", "head"}
    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []
        self.texts: list[tuple[str, str]] = []  # (text, the classes around it)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        if tag not in self.VOID:
            self.stack.append((tag, values.get("class") or ""))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        if data.strip() and not any(tag in self.HIDDEN for tag, _ in self.stack):
            self.texts.append((data.strip(), " ".join(c for _, c in self.stack)))


class Codes:
    """The demo's requirement codes and their documents' names: a code may stand next to its name (the
    checklist's code column, a name with its code), never alone."""

    def __init__(self) -> None:
        self.names = dict(RequirementItem.objects.values_list("code", "name"))
        codes = sorted(self.names, key=len, reverse=True)
        self.pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, codes)) + r")(?![\w-])")

    def bare(self, text: str) -> bool:
        return any(self.names[m.group(1)][:30] not in text for m in self.pattern.finditer(text))


def defects_of(html: str, codes: Codes) -> tuple[list[str], list[str]]:
    parser = TextOf()
    parser.feed(html)
    found = []
    for text, classes in parser.texts:
        for pattern, what in RAW:
            if pattern.search(text):
                found.append(f"{what}: «{text[:160]}»")
        if match := ENGLISH.search(text):
            found.append(f"inglés ({match.group(0)}): «{text[:160]}»")
        if "req-code" not in classes and codes.bare(text):
            found.append(f"clave de requisito en lugar de su nombre: «{text[:160]}»")
    return found, parser.links


@pytest.fixture
def demo(settings) -> Iterator[None]:
    """`filon demo load` on the test's database, in the training mode the demo runs in."""
    settings.FILON_TRAINING_MODE = True
    bd.business_date_install()
    call_command("demo", "load", verbosity=0)
    yield
    business_date_provider_set(None)
    bd.business_date_forget()


def route_of(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.url_name or match.route


def walk(client: Client, codes: Codes, per_route_max: int) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Every page reachable from the landing page, one or two per route; the defects found, by address."""
    queue = list(START)
    seen: set[str] = set()
    per_route: dict[str, int] = {}
    defects: dict[str, list[str]] = {}
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        route = route_of(urlsplit(url).path)
        if route is None or route in SKIPPED_ROUTES or route.endswith(SKIPPED_SUFFIXES):
            continue
        if per_route.get(route, 0) >= per_route_max:
            continue
        per_route[route] = per_route.get(route, 0) + 1
        response = client.get(url)
        if response.status_code >= 500 or response.status_code in (404, 405):
            defects[url] = [f"un enlace lleva a una respuesta {response.status_code}"]
            continue
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        found, links = defects_of(response.content.decode(), codes)
        if found:
            defects[url] = found
        for link in links:
            target, _ = urldefrag(link)
            parts = urlsplit(target)
            if (
                parts.scheme
                or parts.netloc
                or not parts.path.startswith("/")
                or parts.path.startswith("/api/")
            ):
                continue
            if target not in seen:
                queue.append(target)
    return defects, per_route


def test_every_demo_page_reads_as_spanish_for_every_login(demo):
    codes = Codes()
    all_defects: dict[str, list[str]] = {}
    routes: set[str] = set()
    visited = 0
    roles: set[str] = set()
    for username, role, *_ in DEMO_USERS:
        client = Client()
        client.force_login(User.objects.get(username=username))
        defects, walked = walk(client, codes, PAGES_PER_ROUTE[role not in roles])
        roles.add(role)
        routes |= set(walked)
        visited += sum(walked.values())
        for url, found in defects.items():
            all_defects.setdefault(url, []).extend(f"[{username}] {d}" for d in found)
    assert not all_defects, (
        f"{len(all_defects)} página(s) con defectos ({visited} páginas de {len(routes)} rutas visitadas):\n"
        + "\n".join(
            f"{url}\n  " + "\n  ".join(sorted(set(found))[:12]) for url, found in sorted(all_defects.items())
        )
    )
    assert len(routes) >= 40, f"sólo se visitaron {len(routes)} rutas: {sorted(routes)}"
    print(f"{visited} páginas de {len(routes)} rutas: {sorted(routes)}")
