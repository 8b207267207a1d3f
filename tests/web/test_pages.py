"""Every page renders for the user who may see it; anonymous users go to the login page; another office's
applicants and files do not exist (404) on pages and on their POST endpoints; a role that may not act
gets the 403 page in Spanish."""

from __future__ import annotations

import pytest
from django.urls import reverse
from web_support import frozen, login

from conftest import to_proposed
from filon.applicants.models import RelatedPerson
from filon.audit.models import AuditRecord
from filon.committees.services import session_convene
from filon.core.calendar import today_mx
from filon.origination.models import CreditFile, FileGuarantee

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)


@pytest.fixture
def session(cast):
    return session_convene(
        user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala de Consejo"
    )


def test_anonymous_users_are_sent_to_login(client, credit_file):
    for url in (
        "/",
        reverse("web:applicants"),
        reverse("web:applicant", args=[credit_file.applicant_id]),
        reverse("web:file", args=[credit_file.pk]),
        reverse("web:sessions"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/entrar/"), url
    response = client.post(reverse("web:file_transition", args=[credit_file.pk, "proponer"]))
    assert response.status_code == 302
    assert CreditFile.objects.get(pk=credit_file.pk).status == "captured"


def test_every_role_has_a_dashboard(cast, sample_rates):
    for who in ("ana", "gerardo", "sofia", "julia", "ramon", "sergio", "marta", "omar"):
        response = login(getattr(cast, who)).get("/")
        assert response.status_code == 200, who
        body = response.content.decode()
        assert "RO-2010-1160" in body
        assert 'src="/static/filon/vendor/htmx.min.js"' in body
        assert "https://" not in body.split("<body", 1)[0]  # no CDN


def test_dashboards_show_each_roles_panels(cast, sample_rates, credit_file):
    assert "Tiempo de atención" in login(cast.ana).get("/").content.decode()
    risk = login(cast.ramon).get("/").content.decode()
    assert "Versiones de las reglas de operación" in risk
    assert "TIIE_FONDEO" in risk or "SF331451" in risk or "FIX" in risk
    direction = login(cast.omar).get("/").content.decode()
    assert "Expedientes por gerencia y estado" in direction
    assert "Zacatecas" in direction
    secretary = login(cast.sergio).get("/").content.decode()
    assert "Próximas sesiones" in secretary
    assert "Pendientes de orden del día" in secretary


def test_every_page_renders_for_its_user(cast, credit_file, session):
    ana = login(cast.ana)
    guarantee = FileGuarantee.objects.create(
        file=credit_file, type="aval", owner="Don Aval", description="Aval", value=1, created_by=cast.ana
    )
    pages = [
        reverse("web:applicants"),
        reverse("web:applicants") + "?q=veta",
        reverse("web:applicant_new"),
        reverse("web:applicant", args=[credit_file.applicant_id]),
        reverse("web:applicant_edit", args=[credit_file.applicant_id]),
        reverse("web:file_new", args=[credit_file.applicant_id]),
        reverse("web:files"),
        reverse("web:files") + "?estado=captured&q=ZAC",
        reverse("web:file", args=[credit_file.pk]),
        reverse("web:file_proposal", args=[credit_file.pk]),
        reverse("web:guarantee_edit", args=[credit_file.pk, guarantee.pk]),
        reverse("web:guarantee_change", args=[credit_file.pk, guarantee.pk]),
        reverse("web:sessions"),
    ]
    for url in pages:
        assert ana.get(url).status_code == 200, url
    sergio = login(cast.sergio)
    for url in (
        reverse("web:sessions"),
        reverse("web:session_new"),
        reverse("web:session", args=[session.pk]),
    ):
        assert sergio.get(url).status_code == 200, url
    for who in (cast.julia, cast.omar, cast.marta):
        client = login(who)
        assert client.get(reverse("web:file", args=[credit_file.pk])).status_code == 200
        assert client.get(reverse("web:session", args=[session.pk])).status_code == 200


def test_the_file_page_lists_sections_with_labels(cast, credit_file):
    body = login(cast.ana).get(reverse("web:file", args=[credit_file.pk])).content.decode()
    for heading in (
        "Evaluación conforme a las reglas",
        "Cobertura de garantías",
        "Requisitos documentales",
        "Bitácora del expediente",
    ):
        assert heading in body
    assert "$12,000,000.00" in body
    assert "03/03/2026" in body  # application date, es-MX
    assert "Alta del expediente" in body  # the audit trail
    item = credit_file.requirements.first()
    assert f'<label for="id_r{item.pk}-file">' in body


def test_another_offices_applicant_and_file_do_not_exist(cast, credit_file):
    sofia = login(cast.sofia)
    applicant_id, file_id = credit_file.applicant_id, credit_file.pk
    item = credit_file.requirements.first()
    guarantee = FileGuarantee.objects.create(
        file=credit_file, type="aval", owner="Don Aval", description="Aval", value=1, created_by=cast.ana
    )
    for url in (
        reverse("web:applicant", args=[applicant_id]),
        reverse("web:applicant_edit", args=[applicant_id]),
        reverse("web:file_new", args=[applicant_id]),
        reverse("web:file", args=[file_id]),
        reverse("web:file_proposal", args=[file_id]),
        reverse("web:guarantee_edit", args=[file_id, guarantee.pk]),
    ):
        response = sofia.get(url)
        assert response.status_code == 404, url
        assert "No encontrado" in response.content.decode()
    audit = AuditRecord.objects.count()
    for url in (
        reverse("web:related_person_new", args=[applicant_id]),
        reverse("web:bureau_record_new", args=[applicant_id]),
        reverse("web:file_new", args=[applicant_id]),
        reverse("web:file_transition", args=[file_id, "requisitos-completos"]),
        reverse("web:file_cancel", args=[file_id]),
        reverse("web:file_formalize", args=[file_id]),
        reverse("web:requirement_upload", args=[file_id, item.pk]),
        reverse("web:requirement_review", args=[file_id, item.pk]),
        reverse("web:requirement_not_applicable", args=[file_id, item.pk]),
        reverse("web:requirement_legal", args=[file_id, item.pk]),
        reverse("web:guarantee_new", args=[file_id]),
        reverse("web:guarantee_edit", args=[file_id, guarantee.pk]),
        reverse("web:guarantee_remove", args=[file_id, guarantee.pk]),
        reverse("web:guarantee_change", args=[file_id, guarantee.pk]),
    ):
        assert sofia.post(url, {"persona-name": "X", "cancelar-reason": "x"}).status_code == 404, url
    assert AuditRecord.objects.count() == audit
    assert RelatedPerson.objects.count() == 0


def test_a_role_that_may_not_act_gets_the_403_page(cast, credit_file):
    omar = login(cast.omar)
    response = omar.get(reverse("web:applicant_new"))
    assert response.status_code == 403
    assert "no puede capturar solicitantes" in response.content.decode()
    assert omar.get(reverse("web:session_new")).status_code == 403
    response = omar.post(reverse("web:file_transition", args=[credit_file.pk, "requisitos-completos"]))
    assert response.status_code == 403
    assert "Su rol (Dirección) no puede declarar requisitos completos" in response.content.decode()
    assert CreditFile.objects.get(pk=credit_file.pk).status == "captured"


def test_unknown_action_and_wrong_method_are_not_errors(cast, credit_file):
    ana = login(cast.ana)
    assert ana.post(reverse("web:file_transition", args=[credit_file.pk, "borrar"])).status_code == 404
    assert ana.get(reverse("web:file_transition", args=[credit_file.pk, "proponer"])).status_code == 405
    assert ana.get("/expedientes/999999/").status_code == 404


def test_a_regional_user_sees_only_sessions_with_its_files(cast, credit_file, session):
    from filon.committees.services import agenda_add_file

    to_proposed(cast, credit_file)
    assert login(cast.sofia).get(reverse("web:session", args=[session.pk])).status_code == 404
    agenda_add_file(user=cast.sergio, session=session, file=credit_file)
    assert login(cast.ana).get(reverse("web:session", args=[session.pk])).status_code == 200
    assert login(cast.sofia).get(reverse("web:session", args=[session.pk])).status_code == 404


def test_overdue_attention_clocks_are_red_on_the_dashboard(cast, credit_file):
    import datetime as dt

    import time_machine

    from conftest import mortgage, satisfy
    from filon.core.calendar import MEXICO_CITY
    from filon.origination.services import file_requirements_complete, guarantee_add
    from filon.rules.schema import Stage

    guarantee_add(user=cast.ana, file=credit_file, data=mortgage())
    satisfy(cast, credit_file, Stage.AUTHORIZATION)
    file_requirements_complete(user=cast.ana, file=credit_file)
    body = login(cast.ana).get("/").content.decode()
    assert credit_file.folio in body
    assert 'class="overdue"' not in body
    with time_machine.travel(dt.datetime(2026, 5, 20, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        body = login(cast.ana).get("/").content.decode()
        assert '<tr class="overdue">' in body
        assert "Vencido" in body
        assert "con el plazo de atención vencido" in body
        direction = login(cast.omar).get("/").content.decode()
        assert "con el plazo de atención vencido (Regla 8)" in direction


def test_empty_or_garbage_posts_are_never_a_server_error(cast, credit_file, session):
    to_proposed(cast, credit_file)
    from filon.committees.services import agenda_add_file

    item = agenda_add_file(user=cast.sergio, session=session, file=credit_file)
    requirement = credit_file.requirements.first()
    guarantee = credit_file.guarantees.first()
    file_urls = [
        reverse("web:applicant_new"),
        reverse("web:related_person_new", args=[credit_file.applicant_id]),
        reverse("web:bureau_record_new", args=[credit_file.applicant_id]),
        reverse("web:file_new", args=[credit_file.applicant_id]),
        reverse("web:file_proposal", args=[credit_file.pk]),
        reverse("web:file_formalize", args=[credit_file.pk]),
        reverse("web:file_cancel", args=[credit_file.pk]),
        reverse("web:requirement_upload", args=[credit_file.pk, requirement.pk]),
        reverse("web:requirement_review", args=[credit_file.pk, requirement.pk]),
        reverse("web:requirement_not_applicable", args=[credit_file.pk, requirement.pk]),
        reverse("web:requirement_legal", args=[credit_file.pk, requirement.pk]),
        reverse("web:guarantee_new", args=[credit_file.pk]),
        reverse("web:guarantee_edit", args=[credit_file.pk, guarantee.pk]),
        reverse("web:guarantee_change", args=[credit_file.pk, guarantee.pk]),
        *[reverse("web:file_transition", args=[credit_file.pk, a]) for a in ("proponer", "prorrogar")],
        reverse("web:file_signoff", args=[credit_file.pk]),
        reverse("web:file_signoff_return", args=[credit_file.pk]),
    ]
    session_urls = [
        reverse("web:session_new"),
        reverse("web:session_attendance", args=[session.pk]),
        reverse("web:session_hold", args=[session.pk]),
        reverse("web:session_reschedule", args=[session.pk]),
        reverse("web:session_close", args=[session.pk]),
        reverse("web:agenda_add", args=[session.pk]),
        reverse("web:agenda_add_change", args=[session.pk]),
        reverse("web:vote", args=[session.pk, item.pk]),
        reverse("web:resolution", args=[session.pk, item.pk]),
        reverse("web:withdraw", args=[session.pk, item.pk]),
    ]
    # Missing fields, unknown choices, an infinite amount, an impossible date.
    garbage = {
        "members": ["x"],
        "file": "999999",
        f"a{item.pk}-vote": "si",
        "g-value": "1e999",
        f"r{requirement.pk}-document_date": "31/02/2026",
    }
    ana, julia = login(cast.ana), login(cast.julia)
    for url in file_urls:
        assert ana.post(url, garbage).status_code in (302, 403, 404, 409, 422), url
    assert julia.post(file_urls[10], garbage).status_code == 422  # the legal opinion form
    sergio, marta = login(cast.sergio), login(cast.marta)
    for url in session_urls:
        assert sergio.post(url, garbage).status_code in (302, 403, 404, 409, 422), url
    for url in session_urls[-3:-1]:
        assert marta.post(url, garbage).status_code in (403, 422), url


def test_a_session_dated_before_any_rule_set_is_a_field_error(cast):
    response = login(cast.sergio).post(
        reverse("web:session_new"),
        {"committee": "comite_interno", "date": "2009-12-31", "place": "Sala de juntas"},
    )
    assert response.status_code == 422
    assert "No hay reglas de operación vigentes al 31/12/2009." in response.content.decode()
