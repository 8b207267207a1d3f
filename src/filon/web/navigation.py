"""The main navigation: one list of its entries (label, page, the roles whose page opens, what marks it
current), read by the context processor that draws it in `base.html` and by the tests that open every link
for every role.

An entry's roles are the ones its page's own check admits (the same constants the selectors refuse with),
so a link is shown exactly when its page would open; `None` is every role. The first entries are always in
the bar; the rest go under «Más» (a <details> that works without JavaScript) so the bar stays one line on a
laptop and wraps cleanly on a phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.urls import reverse

from filon.accounts.models import Role
from filon.amendments.selectors import READERS as AMENDMENT_READERS
from filon.factoring.selectors import READERS as FACTORING_READERS
from filon.funds.selectors import FUND_READERS
from filon.operations.models import CLOSE_ROLES, RATE_IMPORT_ROLES

MAIN = "main"
MORE = "more"


@dataclass(frozen=True)
class NavEntry:
    key: str  # the entry's name in the page (`nav.<key>` is its address)
    label: str
    route: str  # URL name
    roles: frozenset[str] | None = None  # None: every role
    current: str = ""  # a path prefix that marks the entry current; "" marks only its own page
    group: str = MAIN

    def allowed(self, role: str) -> bool:
        return self.roles is None or role in self.roles


def _roles(*groups: Any) -> frozenset[str]:
    return frozenset(str(role) for group in groups for role in group)


NAV_ENTRIES: tuple[NavEntry, ...] = (
    NavEntry("home", "Inicio", "home"),
    NavEntry("pending", "Pendientes", "web:pending"),
    NavEntry("notices", "Avisos", "web:notices"),
    NavEntry("applicants", "Solicitantes", "web:applicants", current="/solicitantes/"),
    NavEntry("files", "Expedientes", "web:files", current="/expedientes/"),
    NavEntry("sessions", "Comités", "web:sessions", current="/comites/"),
    NavEntry("loans", "Créditos", "web:loans", current="/creditos/"),
    NavEntry("epos", "Cadenas", "web:epos", _roles(FACTORING_READERS), current="/cadenas/"),
    NavEntry("funds", "Fondos", "web:funds", _roles(FUND_READERS), current="/fondos/"),
    NavEntry("programs", "Programas", "web:programs", current="/programas/", group=MORE),
    NavEntry("scorecard", "Metas", "web:scorecard", current="/metas/", group=MORE),
    NavEntry("training", "Capacitación", "web:training_events", current="/capacitacion/", group=MORE),
    NavEntry("visits", "Asistencia técnica", "web:ta_visits", current="/asistencia-tecnica/", group=MORE),
    NavEntry(
        "operations",
        "Operaciones",
        "web:operations",
        _roles(CLOSE_ROLES, RATE_IMPORT_ROLES),
        current="/operaciones/",
        group=MORE,
    ),
    NavEntry(
        "amendments", "Reglas", "web:amendments", _roles(AMENDMENT_READERS), current="/reglas/", group=MORE
    ),
    NavEntry(
        "users", "Usuarios", "web:users", _roles([Role.ADMINISTRADOR]), current="/usuarios/", group=MORE
    ),
)


@dataclass(frozen=True)
class NavLink:
    key: str
    label: str
    url: str
    current: bool


def entries_for_role(role: str) -> list[NavEntry]:
    return [entry for entry in NAV_ENTRIES if entry.allowed(role)]


@lru_cache(maxsize=4)
def nav_urls(prefix: str) -> dict[str, str]:
    """Every entry's address (and the logout's), reversed once per process and script prefix."""
    return {**{entry.key: reverse(entry.route) for entry in NAV_ENTRIES}, "logout": reverse("logout")}


def nav_links(*, role: str, path: str, view_name: str, prefix: str) -> dict[str, Any]:
    """The user's links by group (`main`, `more`), each marked current on its own page or on a page under
    its prefix (`path` without the script prefix); `more_current` when the current one is under «Más»."""
    urls = nav_urls(prefix)
    groups: dict[str, list[NavLink]] = {MAIN: [], MORE: []}
    for entry in entries_for_role(role):
        current = entry.route == view_name or bool(entry.current and path.startswith(entry.current))
        groups[entry.group].append(NavLink(entry.key, entry.label, urls[entry.key], current))
    return {**groups, "more_current": any(link.current for link in groups[MORE])}
