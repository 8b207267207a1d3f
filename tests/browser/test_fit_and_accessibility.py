"""Every page fits its screen, for every role of the demo, and the main pages pass an automated accessibility
check.

On a fresh demo database (`filon demo load`) one person of each role signs in and opens every page of their
menu, one page of each kind of record they can reach from it (an applicant, a file, a committee session, a
loan and its statement, a chain, a fund, a program, a close, an amendment, a user…) and a few forms, at a
laptop's 1366 × 768 and at a phone's 390 px. On each page, its folded sections opened:

- the page itself never scrolls sideways (the document is no wider than the window), and
- nothing is wider than the card or the column it sits in unless a box that scrolls sideways holds it (a
  table in its `.table-wrap`): nothing is clipped or sticks out.

axe-core (tests/browser/vendor, injected by the test, never served by the application) then checks the main
pages and finds no serious or critical violation. The home dashboard of each role is kept as a full-page
screenshot at both widths: var/screenshots/<role>-<width>.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_support import (
    async_unsafe_allowed,
    browser,
    clock,
    csp_violations,
    demo,
    http_cookies,
    shot,
    sign_in,
)
from playwright.sync_api import Page

from filon.demo.scenarios import DEMO_PASSWORD

__all__ = [
    "async_unsafe_allowed",
    "browser",
    "clock",
    "csp_violations",
    "demo",
    "http_cookies",
    "shot",
    "sign_in",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"

# One person of each role of the demo (src/filon/demo/scenarios.py), by the role's short name.
ROLES = {
    "administrador": "admin",
    "analista": "analista.zac",
    "gerente": "gerente.zac",
    "juridico": "juridico",
    "riesgos": "riesgos",
    "secretario": "secretario",
    "comite": "comite.marta",
    "direccion": "direccion",
}
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

# One record of each kind, the first its person's pages link to.
DETAILS = {
    "solicitante": r"^/solicitantes/\d+/$",
    "expediente": r"^/expedientes/\d+/$",
    "sesión": r"^/comites/\d+/$",
    "crédito": r"^/creditos/\d+/$",
    "cadena": r"^/cadenas/\d+/$",
    "fondo": r"^/fondos/\d+/$",
    "programa": r"^/programas/(?!presupuesto/)[\w-]+/$",
    "cierre": r"^/operaciones/\d+/$",
    "modificación": r"^/reglas/modificaciones/\d+/$",
    "usuario": r"^/usuarios/\d+/$",
    "evento": r"^/capacitacion/\d+/$",
}
# Pages outside the menu, each person's where they may open them: lists, the scorecard and some forms.
EXTRA = [
    "/programas/",
    "/metas/",
    "/capacitacion/",
    "/asistencia-tecnica/",
    "/solicitantes/nuevo/",
    "/comites/convocar/",
    "/mi-contrasena/",
]
# Derived from the record found: the loan's statement and the file's proposal form.
FOLLOWING = {"crédito": "estado-de-cuenta/", "expediente": "propuesta/"}
# The pages axe-core checks, for the people named (every role's home and pending list, the rest once).
AXE_PAGES = {
    "analista": [
        "/",
        "/pendientes/",
        "/solicitantes/",
        "/expedientes/",
        "/creditos/",
        "/comites/",
        "expediente",
        "crédito",
        "/solicitantes/nuevo/",
    ],
    "direccion": ["/", "/pendientes/", "/operaciones/", "fondo", "sesión"],
}
AXE_EVERY_ROLE = ["/", "/pendientes/"]
SERIOUS = ("serious", "critical")

# Opens every folded section (details) and measures the page in the window's current width: what makes the
# document scroll sideways, and every element that reaches out of the card (or main column, or window) it
# sits in while no box between them scrolls sideways, or whose own text overflows it.
MEASURE = """
() => {
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  const view = document.documentElement.clientWidth;
  const problems = [];
  const name = (el) => {
    const parts = [];
    for (let node = el; node && node !== document.body && parts.length < 4; node = node.parentElement) {
      let part = node.tagName.toLowerCase();
      if (node.id) { parts.unshift(part + "#" + node.id); break; }
      const classes = [...node.classList].slice(0, 2);
      if (classes.length) part += "." + classes.join(".");
      parts.unshift(part);
    }
    return parts.join(" > ");
  };
  const scrolls = (node) => ["auto", "scroll"].includes(getComputedStyle(node).overflowX);
  const held = (el, box) => {
    for (let node = el.parentElement; node && node !== box; node = node.parentElement) {
      if (scrolls(node)) return true;
    }
    return box !== null && scrolls(box);
  };
  if (document.documentElement.scrollWidth > view + 1) {
    problems.push(`la página mide ${document.documentElement.scrollWidth}px de ancho en una ventana de ${view}px`);
  }
  const scrolled = (node) => {
    for (; node && node !== document.documentElement; node = node.parentElement) if (scrolls(node)) return true;
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest(".skip, script, style")) continue;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    const rect = el.getBoundingClientRect();
    if (style.position === "absolute") {
      // placed by its containing block, not its parent: it widens the page unless that block scrolls
      if (rect.right > view + 1 && !scrolled(el.offsetParent)) {
        problems.push(`${name(el)} (posición absoluta) llega a ${Math.round(rect.right)}px en una ventana de ${view}px`);
      }
      continue;
    }
    if (style.position === "fixed" || el.closest(".sr-only") || rect.width <= 1 || rect.height <= 1) continue;
    const box = el.parentElement ? el.parentElement.closest(".card, main, header, .table-wrap") : null;
    const edges = box ? box.getBoundingClientRect() : { left: 0, right: view };
    const out = rect.right - edges.right > 1 || edges.left - rect.left > 1;
    if (out && !held(el, box)) {
      problems.push(`${name(el)} (${Math.round(rect.width)}px) sale de ${box ? name(box) : "la ventana"} (${Math.round(edges.right - edges.left)}px)`);
      continue;
    }
    const block = ["block", "list-item", "table-cell", "grid", "flex", "flow-root"].includes(style.display);
    if (block && !scrolls(el) && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 && !held(el, box)) {
      const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
      if (own) problems.push(`el texto de ${name(el)} (${el.scrollWidth}px) no cabe en ${el.clientWidth}px`);
    }
  }
  return [...new Set(problems)].slice(0, 8);
}
"""

NEXT_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"

RUN_AXE = """
async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => ["serious", "critical"].includes(v.impact))
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}${v.nodes.length > 3 ? ` (+${v.nodes.length - 3})` : ""}`);
}
"""


# A page spoilt on purpose: a box wider than any window in the column, and a picture with no text.
SPOIL = """
() => {
  const main = document.querySelector("main");
  const wide = document.createElement("div");
  wide.className = "spoilt";
  wide.style.width = "2000px";
  wide.textContent = "ancho";
  main.append(wide);
  const picture = document.createElement("img");
  picture.src = "data:image/gif;base64,R0lGODlhAQABAAAAACw=";
  picture.width = 20;
  picture.height = 20;
  main.append(picture);
}
"""


def fits(page: Page, where: str) -> list[str]:
    """What does not fit on the page as shown, at both widths; the window is left at the laptop's."""
    problems = []
    for size in (LAPTOP, PHONE):
        page.set_viewport_size(size)
        problems += [f"{where} a {size['width']}px: {p}" for p in page.evaluate(MEASURE)]
    page.set_viewport_size(LAPTOP)
    return problems


def axe_violations(page: Page, where: str) -> list[str]:
    """The serious and critical violations axe-core finds on the page as shown (its folded sections open).

    Evaluated through the browser's debugging protocol, which the page's Content-Security-Policy does not
    govern (a <script> element added to the page would be refused by it)."""
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    page.evaluate(NEXT_FRAMES)  # the page's own script has answered the opened sections
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return [f"{where}: {v}" for v in page.evaluate(RUN_AXE)]


def links(page: Page) -> list[str]:
    """The paths the page links to, in order."""
    return page.locator("a[href^='/']").evaluate_all("links => links.map(link => link.pathname)")


def test_every_page_fits_and_the_main_pages_pass_axe(demo, sign_in):
    users = demo
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    overflow: list[str] = []
    violations: list[str] = []
    visited = 0
    refusal_measured = False
    for role, username in ROLES.items():
        page = sign_in(users[username], password=DEMO_PASSWORD)
        page.set_viewport_size(LAPTOP)

        def visit(path: str, page: Page = page, role: str = role) -> bool:
            """Opens the page and measures it; a refusal (the same page for everyone) is measured once."""
            nonlocal visited, refusal_measured
            response = page.goto(path)
            page.wait_for_load_state("load")
            assert response is not None
            assert response.status in (200, 403), f"{role} {path}: {response.status}"
            if response.status == 200 or not refusal_measured:
                visited += 1
                overflow.extend(fits(page, f"{role} {path}"))
                refusal_measured = refusal_measured or response.status == 403
            return response.status == 200

        page.goto("/")
        for size in (LAPTOP, PHONE):
            page.set_viewport_size(size)
            page.screenshot(path=str(SCREENSHOTS / f"{role}-{size['width']}.png"), full_page=True)
        page.set_viewport_size(LAPTOP)

        menu = page.locator("nav.mainnav a").evaluate_all("links => links.map(link => link.pathname)")
        assert len(menu) >= 5, f"{role}: {menu}"
        found: dict[str, str] = {}
        for path in [*dict.fromkeys([*menu, *EXTRA])]:
            if visit(path):
                for target in links(page):
                    for kind, pattern in DETAILS.items():
                        if kind not in found and re.match(pattern, target):
                            found[kind] = target
        assert {"expediente", "crédito", "sesión"} <= found.keys() or role in ("juridico", "comite"), (
            f"{role} reaches no file, loan or session: {found}"
        )
        for kind, path in found.items():
            visit(path)
            if kind in FOLLOWING:
                visit(path + FOLLOWING[kind])

        for target in dict.fromkeys(AXE_EVERY_ROLE + AXE_PAGES.get(role, [])):
            path = found.get(target, target)
            if not path.startswith("/"):
                continue
            page.goto(path)
            page.wait_for_load_state("load")
            violations.extend(axe_violations(page, f"{role} {path}"))

        if role == "direccion":  # both checks see a fault when there is one: a page spoilt on purpose
            page.goto("/pendientes/")
            page.wait_for_load_state("load")
            page.evaluate(SPOIL)
            assert any("div.spoilt (2000px)" in problem for problem in fits(page, "spoilt"))
            assert any("image-alt" in violation for violation in axe_violations(page, "spoilt"))

    assert visited > 100
    assert (overflow, violations) == ([], []), (
        "Páginas que no caben:\n"
        + "\n".join(overflow)
        + "\nViolaciones de accesibilidad (axe-core):\n"
        + "\n".join(violations)
    )
    for role in ROLES:
        for size in (LAPTOP, PHONE):
            assert (SCREENSHOTS / f"{role}-{size['width']}.png").stat().st_size > 10_000
