"""The pages' addresses: each area of filon.web declares its own `urlpatterns` in `<area>/urls.py`, and
filon.web.urls includes every area the same way under the one "web" namespace; each name reverses to a path
that resolves back to that name and to a view of the same area."""

from __future__ import annotations

from django.urls import URLPattern, get_resolver, resolve, reverse

from filon.web.amendments import urls as amendments
from filon.web.applicants import urls as applicants
from filon.web.committees import urls as committees
from filon.web.documents import urls as documents
from filon.web.factoring import urls as factoring
from filon.web.files import urls as files
from filon.web.funds import urls as funds
from filon.web.goals import urls as goals
from filon.web.loans import urls as loans
from filon.web.operations import urls as operations
from filon.web.programs import urls as programs
from filon.web.users import urls as users
from filon.web.worklist import urls as worklist

AREAS = [
    applicants,
    files,
    committees,
    loans,
    documents,
    operations,
    programs,
    funds,
    factoring,
    goals,
    amendments,
    users,
    worklist,
]
SAMPLE = {"int": 7, "slug": "muestra"}


def _kwargs(pattern: URLPattern) -> dict[str, object]:
    converters = pattern.pattern.converters
    return {
        name: SAMPLE[type(conv).__name__.removesuffix("Converter").lower()]
        for name, conv in converters.items()
    }


def test_the_web_namespace_includes_every_area_once_in_order():
    web = get_resolver().namespace_dict["web"][1]
    assert [include.urlconf_name for include in web.url_patterns] == AREAS


def test_each_name_reverses_to_a_path_that_resolves_to_its_own_area_s_view():
    seen: set[str] = set()
    for area in AREAS:
        package = area.__name__.removesuffix(".urls")
        for pattern in area.urlpatterns:
            assert pattern.name not in seen, pattern.name
            seen.add(pattern.name)
            path = reverse(f"web:{pattern.name}", kwargs=_kwargs(pattern))
            match = resolve(path)
            assert match.view_name == f"web:{pattern.name}"
            assert match.func is pattern.callback
            assert pattern.callback.__module__ == f"{package}.views", (
                pattern.name,
                pattern.callback.__module__,
            )
    assert len(seen) == 120


def test_paths_are_the_spanish_ones_people_have_bookmarked():
    assert reverse("home") == "/"
    assert reverse("web:applicant", args=[7]) == "/solicitantes/7/"
    assert reverse("web:file_new", args=[7]) == "/solicitantes/7/expedientes/nuevo/"
    assert reverse("web:file_transition", args=[7, "analizar"]) == "/expedientes/7/accion/analizar/"
    assert reverse("web:vote", args=[7, 3]) == "/comites/7/asuntos/3/votar/"
    assert reverse("web:loan_payment", args=[7]) == "/creditos/7/pagos/"
    assert reverse("web:loan_schedule_pdf", args=[7]) == "/creditos/7/tabla-de-amortizacion.pdf"
    assert reverse("web:run_status", args=[7]) == "/operaciones/7/avance/"
    assert reverse("web:schedule_edit", args=["close"]) == "/operaciones/tareas/close/"
    assert reverse("web:program", args=["muestra"]) == "/programas/muestra/"
    assert reverse("web:fund_whatif") == "/fondos/simulacion/"
    assert reverse("web:epo_document_collect", args=[7]) == "/cadenas/documentos/7/cobrar/"
    assert reverse("web:goal_partners") == "/organizaciones-aliadas/"
