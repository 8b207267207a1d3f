"""What the pages say reads as Spanish sentences: a program's steps, a requirement that does not apply, a
committee session under way and the button that ends it, a program whose term ended; and the error pages
(403, 404, 405, 500) are Spanish, the API's wrong method a Spanish JSON error."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from web_support import login

from filon.committees.models import SessionStatus
from filon.committees.services import session_attendance, session_convene, session_hold
from filon.core.calendar import today_mx
from filon.origination.services import requirement_not_applicable
from filon.rules import load_ruleset_for_date

pytestmark = pytest.mark.django_db


def test_a_programs_steps_read_as_sentences_with_the_move_they_precede(cast):
    programs = [p for p in load_ruleset_for_date(today_mx()).programs.values() if p.steps]
    assert programs
    for program in programs:
        body = login(cast.omar).get(reverse("web:program", args=[program.code.value])).content.decode()
        assert "Pasos del expediente" in body
        for step in program.steps:
            assert f'<li>{escape(step.text)} <small class="muted">(antes de: ' in body
        assert "text=" not in body
        assert "Stage." not in body
        if any(step.due.value == "pre_disbursement" for step in program.steps):
            assert "(antes de: liberar para disposición)" in body


def test_a_program_whose_term_ended_is_shown_as_concluded(cast):
    # Pequeña minería's printed term closed on 22/09/2014 (programs.yaml): long ended.
    listing = login(cast.omar).get(reverse("web:programs")).content.decode()
    assert "Concluido el 22/09/2014" in listing
    detail = login(cast.omar).get(reverse("web:program", args=["pequena_mineria"])).content.decode()
    assert "Concluido el 22/09/2014" in detail


def test_a_requirement_marked_not_applicable_says_so(cast, credit_file):
    conditional = credit_file.requirements.exclude(condition="").first()
    requirement_not_applicable(user=cast.ana, item=conditional, note="No tiene concesión propia")
    body = login(cast.ana).get(reverse("web:file", args=[credit_file.pk])).content.decode()
    row = body.split(f'id="req-{conditional.pk}"')[1].split("</li>")[0]
    assert "No aplica" in row
    assert "Cumplido" not in row


def test_a_session_under_way_reads_en_sesion_and_its_end_does_not_read_like_logging_out(cast):
    session = session_convene(user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala")
    session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis])
    session_hold(user=cast.sergio, session=session)
    body = login(cast.sergio).get(reverse("web:session", args=[session.pk])).content.decode()
    assert f'Sesión {session.number} <span class="status">En sesión</span>' in body
    assert "Concluir la sesión y asentar el acta" in body
    assert "Cerrar sesión" not in body
    assert "Celebrada<" not in body
    assert SessionStatus.CLOSED.label == "Cerrada"


# --------------------------------------------------------------------------------------- error pages


def test_a_get_on_an_action_answers_a_spanish_405_page_with_its_allow_header(cast):
    session = session_convene(user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala")
    response = login(cast.sergio).get(reverse("web:session_close", args=[session.pk]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    body = response.content.decode()
    assert "Operación no admitida" in body
    assert "sólo permite enviarle un formulario" in body
    assert 'lang="es-MX"' in body


def test_leaving_by_get_is_a_spanish_405_too(cast):
    response = login(cast.ana).get(reverse("logout"))
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    assert "Operación no admitida" in response.content.decode()


def test_the_apis_wrong_method_is_a_spanish_json_error(cast):
    response = login(cast.ana).delete("/api/v1/applicants")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    detail = json.loads(response.content)["detail"]
    assert detail[0]["message"].startswith("Esta dirección no admite esa operación; sólo permite")
    assert response["Allow"]


def test_not_found_and_forbidden_pages_are_spanish(cast):
    missing = login(cast.ana).get("/expedientes/999999/")
    assert missing.status_code == 404
    assert "No encontrado" in missing.content.decode()
    forbidden = login(cast.ana).get(reverse("web:users"))
    assert forbidden.status_code == 403
    assert "No tiene permiso para esta acción" in forbidden.content.decode()


def test_an_unexpected_error_is_a_spanish_500_page(cast, monkeypatch):
    def broken(**_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("filon.web.programs.views.budget_overview", broken)
    client = Client(raise_request_exception=False)
    client.force_login(cast.omar)
    response = client.get(reverse("web:programs"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "Ocurrió un error en el servidor" in body
    assert "boom" not in body
