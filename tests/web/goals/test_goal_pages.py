"""The goals pages (SPEC G-1): training events with their participants (added over HTMX), technical-
assistance visits and partner organizations; regional users record for their office, a Sonora analyst
gets 404 on a Zacatecas event, the central roles read every office."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from filon.goals.models import PartnerOrganization, TechnicalAssistanceVisit, TrainingEvent
from filon.goals.services import partner_create, training_event_record
from web.web_support import HTMX, frozen, login

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)  # 03/03/2026


@pytest.fixture
def clusmin(cast):
    return partner_create(user=cast.gerardo, name="Clusmin", kind="cluster", state="ZAC")


@pytest.fixture
def course(cast, clusmin):
    return training_event_record(
        user=cast.ana,
        office=cast.zac,
        title="Curso para proveedores de la minería",
        start_date=dt.date(2026, 2, 23),
        end_date=dt.date(2026, 2, 24),
        municipality="Chalchihuites",
        state="ZAC",
        hours=Decimal("12"),
        partners=[clusmin],
    )


def test_an_analyst_records_a_course_through_the_page(cast, clusmin):
    client = login(cast.ana)
    assert client.get("/capacitacion/nuevo/").status_code == 200
    posted = {
        "title": "Curso para proveedores de la minería",
        "topic": "Contratos con las empresas mineras",
        "start_date": "2026-02-23",
        "end_date": "2026-02-20",
        "municipality": "Chalchihuites",
        "state": "ZAC",
        "modality": "presencial",
        "hours": "12",
        "partners": [str(clusmin.pk)],
    }
    refused = client.post("/capacitacion/nuevo/", posted)
    assert refused.status_code == 422
    assert (
        "La fecha de término no puede ser anterior a la de inicio (23/02/2026)." in refused.content.decode()
    )
    assert not TrainingEvent.objects.exists()

    response = client.post("/capacitacion/nuevo/", {**posted, "end_date": "2026-02-24"})
    event = TrainingEvent.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/capacitacion/{event.pk}/"
    assert (event.office, event.recorded_by, list(event.partners.all())) == (cast.zac, cast.ana, [clusmin])
    page = client.get(f"/capacitacion/{event.pk}/").content.decode()
    assert "Chalchihuites, ZAC" in page
    assert "23/02/2026 a 24/02/2026" in page
    assert "Clusmin" in page
    listing = client.get("/capacitacion/").content.decode()
    assert f'href="/capacitacion/{event.pk}/"' in listing


def test_participants_are_added_over_htmx_and_a_duplicate_is_refused(cast, course, applicant):
    client = login(cast.gerardo)
    url = f"/capacitacion/{course.pk}/participantes/"
    response = client.post(
        url, {"p-applicant": str(applicant.pk), "p-role": "supplier", "p-attended": "on"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="participantes"')  # only the section
    assert applicant.name in html
    assert "1 asistente de 1 inscrito" in html
    again = client.post(
        url, {"p-applicant": str(applicant.pk), "p-role": "supplier", "p-attended": "on"}, **HTMX
    )
    assert again.status_code == 422
    assert "ya está registrado en este curso" in again.content.decode()
    named = client.post(
        url, {"p-name": "María Ortiz", "p-organization": "Fletes Ortiz", "p-role": "supplier"}, **HTMX
    )
    assert "María Ortiz" in named.content.decode()
    assert "1 asistente de 2 inscritos" in named.content.decode()
    # Without HTMX the page comes back to the event.
    plain = client.post(url, {"p-name": "Pedro Salas", "p-role": "official", "p-attended": "on"})
    assert plain.status_code == 302
    assert plain["Location"].endswith(f"/capacitacion/{course.pk}/#participantes")
    assert course.participants.count() == 3


def test_a_sonora_analyst_gets_404_on_zacatecas_events_and_cannot_record_for_them(cast, course):
    client = login(cast.sofia)
    assert client.get(f"/capacitacion/{course.pk}/").status_code == 404
    response = client.post(
        f"/capacitacion/{course.pk}/participantes/", {"p-name": "Intruso", "p-role": "other"}, **HTMX
    )
    assert response.status_code == 404
    assert course.participants.count() == 0
    assert "Curso para proveedores" not in client.get("/capacitacion/").content.decode()


def test_the_direction_reads_every_office_but_does_not_record(cast, course):
    client = login(cast.omar)
    assert "Curso para proveedores" in client.get(f"/capacitacion/{course.pk}/").content.decode()
    assert "Registrar participante" not in client.get(f"/capacitacion/{course.pk}/").content.decode()
    assert client.get("/capacitacion/nuevo/").status_code == 403
    assert client.get("/asistencia-tecnica/nueva/").status_code == 403
    assert "Registrar curso" not in client.get("/capacitacion/").content.decode()


def test_a_visit_through_the_page_and_a_visit_dated_tomorrow_refused(cast, applicant, clusmin):
    client = login(cast.ana)
    form = client.get(f"/asistencia-tecnica/nueva/?solicitante={applicant.pk}").content.decode()
    assert f'<option value="{applicant.pk}" selected>' in form
    posted = {
        "applicant": str(applicant.pk),
        "date": "2026-03-04",
        "kind": "mining_plan",
        "advisor": "Ing. Ramiro Delgado",
        "findings": "El plan de minado no considera la dilución.",
        "partners": [str(clusmin.pk)],
    }
    refused = client.post("/asistencia-tecnica/nueva/", posted)
    assert refused.status_code == 422
    assert "su fecha no puede ser posterior a hoy (03/03/2026)" in refused.content.decode()
    response = client.post("/asistencia-tecnica/nueva/", {**posted, "date": "2026-03-02"})
    assert response.status_code == 302
    assert response["Location"] == "/asistencia-tecnica/"
    visit = TechnicalAssistanceVisit.objects.get()
    assert (visit.office, visit.applicant, visit.date) == (cast.zac, applicant, dt.date(2026, 3, 2))
    listing = client.get("/asistencia-tecnica/").content.decode()
    assert "02/03/2026" in listing
    assert "Plan de minado" in listing
    assert "Clusmin" in listing
    assert "Plan de minado" not in login(cast.sofia).get("/asistencia-tecnica/").content.decode()
    assert "Plan de minado" in login(cast.ramon).get("/asistencia-tecnica/?anio=2026").content.decode()


def test_partners_page(cast, clusmin, course):
    client = login(cast.omar)
    page = client.get("/organizaciones-aliadas/").content.decode()
    assert "Clusmin" in page
    assert "Clúster" in page
    response = client.post(
        "/organizaciones-aliadas/",
        {"name": "Gobierno del Estado de Zacatecas", "kind": "state_government", "state": "ZAC"},
    )
    assert response.status_code == 302
    assert PartnerOrganization.objects.filter(kind="state_government").count() == 1
    duplicate = client.post("/organizaciones-aliadas/", {"name": "CLUSMIN", "kind": "cluster"})
    assert duplicate.status_code == 422
    assert "Ya está registrada la organización «CLUSMIN»." in duplicate.content.decode()
    legal = login(cast.julia)
    assert "Registrar organización" not in legal.get("/organizaciones-aliadas/").content.decode()
    assert legal.post("/organizaciones-aliadas/", {"name": "Canaco", "kind": "chamber"}).status_code == 403
