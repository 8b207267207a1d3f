"""The main navigation (filon.web.navigation): for every role, every link it shows opens (200) and every page
of the menu it does not show is refused to that role (403); the current page is marked; the secondary
entries sit under «Más»."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from web_support import frozen, login

from conftest import _user
from filon.accounts.models import Role
from filon.web.navigation import MORE, NAV_ENTRIES, entries_for_role

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)

NAV = re.compile(r'<nav aria-label="Principal" class="mainnav">(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"( aria-current="page")?>')


def _person(role: str, offices):
    office = offices["ZAC"] if role in (Role.ANALISTA, Role.GERENTE_REGIONAL) else None
    committees = ["comite_interno"] if role in (Role.MIEMBRO_COMITE, Role.SECRETARIO_COMITE) else None
    return _user(f"persona.{role}", role, office, committees)


def _nav_links(body: str) -> list[tuple[str, bool]]:
    (nav,) = NAV.findall(body)
    return [(href, bool(current)) for href, current in LINK.findall(nav)]


@pytest.mark.parametrize("role", Role.values)
def test_each_role_sees_exactly_the_pages_it_may_open(role, offices):
    client = login(_person(role, offices))
    shown = [href for href, _ in _nav_links(client.get(reverse("home")).content.decode())]
    allowed = [reverse(entry.route) for entry in entries_for_role(role)]
    assert shown == allowed
    for entry in NAV_ENTRIES:
        status = client.get(reverse(entry.route)).status_code
        if entry.allowed(role):
            assert status == 200, (role, entry.route, status)
        else:
            assert status == 403, (role, entry.route, status)


def test_the_menus_of_the_roles():
    """Who sees what, as the pages' own checks admit (the list the closing report gives)."""
    labels = {role: [entry.label for entry in entries_for_role(role)] for role in Role.values}
    everyone = ["Inicio", "Pendientes", "Avisos", "Solicitantes", "Expedientes", "Comités", "Créditos"]
    programs = ["Programas", "Metas", "Capacitación", "Asistencia técnica"]
    assert labels["analista"] == labels["gerente_regional"] == [*everyone, "Cadenas", *programs]
    for role in ("juridico", "secretario_comite", "miembro_comite"):
        assert labels[role] == [*everyone, *programs]
    assert labels["riesgos"] == labels["direccion"]
    assert labels["direccion"] == [*everyone, "Cadenas", "Fondos", *programs, "Operaciones", "Reglas"]
    assert labels["administrador"] == [*everyone, "Fondos", *programs, "Operaciones", "Reglas", "Usuarios"]


def test_the_current_page_is_marked_also_under_mas(offices):
    client = login(_person(Role.DIRECCION, offices))
    body = client.get(reverse("web:training_events")).content.decode()
    assert [href for href, current in _nav_links(body) if current] == ["/capacitacion/"]
    assert '<details class="holds-current">' in body  # «Más» shows that it holds the current page
    body = client.get(reverse("web:fund_whatif")).content.decode()  # a page under /fondos/
    assert [href for href, current in _nav_links(body) if current] == ["/fondos/"]
    assert '<details class="holds-current">' not in body


def test_the_secondary_entries_are_under_mas(offices):
    body = login(_person(Role.ADMINISTRADOR, offices)).get(reverse("home")).content.decode()
    (nav,) = NAV.findall(body)
    more = nav[nav.index("<summary>Más</summary>") :]
    for entry in entries_for_role(Role.ADMINISTRADOR):
        href = f'href="{reverse(entry.route)}"'
        assert (href in more) == (entry.group == MORE), entry.label
