"""The four-eyes steps through the pages: a document's uploader is told why they may not approve it, the
regional manager signs a proposal off (or returns it) from the file page, and the secretary moves a session
or holds it early with the reason. Each refusal shows its Spanish message; CSRF is enforced."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from web_support import HTMX, frozen, login

from conftest import another_manager, crew, mortgage, pdf
from filon.audit.models import AuditRecord
from filon.committees.models import CommitteeSession
from filon.committees.services import session_attendance, session_convene
from filon.core.calendar import today_mx
from filon.demo.scenarios import file_to_proposed
from filon.origination.models import CreditFile
from filon.origination.services import requirement_upload

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)


@pytest.fixture
def proposed(cast, credit_file):
    return file_to_proposed(credit_file, crew=crew(cast), guarantees=[mortgage()], signoff=False)


def test_the_uploader_is_told_why_they_may_not_approve(cast, credit_file):
    item = credit_file.requirements.filter(stage="authorization", validity_months__isnull=True).first()
    requirement_upload(user=cast.gerardo, item=item, uploaded=pdf())
    response = login(cast.gerardo).post(
        reverse("web:requirement_review", args=[credit_file.pk, item.pk]),
        {f"r{item.pk}-decision": "approve", f"r{item.pk}-note": ""},
        **HTMX,
    )
    assert response.status_code == 422
    assert (
        f"Usted cargó el documento «{item.short_name}»: otra persona debe aprobarlo (separación de funciones)."
        in response.content.decode()
    )
    item.refresh_from_db()
    assert item.status == "uploaded"
    response = login(cast.ana).post(
        reverse("web:requirement_review", args=[credit_file.pk, item.pk]),
        {f"r{item.pk}-decision": "approve", f"r{item.pk}-note": ""},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "approved"


def test_the_manager_signs_off_from_the_file_page(cast, proposed):
    url = reverse("web:file", args=[proposed.pk])
    page = login(cast.gerardo).get(url).content.decode()
    assert "Dar visto bueno para comité" in page
    assert "Devolver al analista" in page
    assert "pendiente</span> del gerente regional de Zacatecas" in page
    analyst_page = login(cast.ana).get(url).content.decode()
    assert "Dar visto bueno para comité" not in analyst_page
    response = login(cast.gerardo).post(
        reverse("web:file_signoff", args=[proposed.pk]), {"visto-bueno-note": "Conforme"}, **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Visto bueno registrado" in body
    assert "Conforme" in body
    assert CreditFile.objects.get(pk=proposed.pk).signoff_by == cast.gerardo
    assert "Dar visto bueno para comité" not in login(cast.gerardo).get(url).content.decode()


def test_the_analyst_and_other_offices_are_refused(cast, proposed):
    response = login(cast.ana).post(reverse("web:file_signoff", args=[proposed.pk]), {"visto-bueno-note": ""})
    assert response.status_code == 403
    assert "no puede dar el visto bueno a expedientes para comité" in response.content.decode()
    hmo = login(another_manager(cast.hmo))
    assert hmo.post(reverse("web:file_signoff", args=[proposed.pk]), {}).status_code == 404
    assert CreditFile.objects.get(pk=proposed.pk).signoff_by is None


def test_the_manager_returns_it_with_the_reason(cast, proposed):
    gerardo = login(cast.gerardo)
    url = reverse("web:file_signoff_return", args=[proposed.pk])
    response = gerardo.post(url, {"devolver-reason": ""}, **HTMX)
    assert response.status_code == 422
    assert "Devolver al analista" in response.content.decode()
    assert CreditFile.objects.get(pk=proposed.pk).status == "proposed"
    response = gerardo.post(url, {"devolver-reason": "Falta el estudio de mercado"})
    assert response.status_code == 302
    file = CreditFile.objects.get(pk=proposed.pk)
    assert (file.status, file.signoff_return_reason) == ("under_analysis", "Falta el estudio de mercado")
    page = gerardo.get(reverse("web:file", args=[proposed.pk])).content.decode()
    assert "Devuelto por el gerente regional" in page
    assert "Falta el estudio de mercado" in page


def test_the_signoff_needs_the_csrf_token(cast, proposed):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.gerardo)
    assert client.post(reverse("web:file_signoff", args=[proposed.pk]), {}).status_code == 403
    assert CreditFile.objects.get(pk=proposed.pk).signoff_by is None


# ------------------------------------------------------------------------------------------ sessions


@pytest.fixture
def later(cast):
    """A Comité Interno session convened for ten days from now, with its members present."""
    session = session_convene(
        user=cast.sergio,
        committee="comite_interno",
        date=today_mx() + dt.timedelta(days=10),
        place="Sala de Consejo",
    )
    session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis, cast.elena])
    return session


def test_the_secretary_moves_the_session_from_its_page(cast, later):
    sergio = login(cast.sergio)
    page = sergio.get(reverse("web:session", args=[later.pk])).content.decode()
    assert "Cambiar la fecha" in page
    assert "Celebrar antes de la fecha convocada" in page
    url = reverse("web:session_reschedule", args=[later.pk])
    response = sergio.post(url, {"new_date": "2026-03-05", "reason": ""}, **HTMX)
    assert response.status_code == 422
    assert "Este campo es obligatorio" in response.content.decode() or "motivo" in response.content.decode()
    response = sergio.post(url, {"new_date": "2026-03-01", "reason": "Por agenda"}, **HTMX)
    assert response.status_code == 422
    assert "La nueva fecha no puede ser anterior a hoy." in response.content.decode()
    response = sergio.post(url, {"new_date": "2026-03-05", "reason": "Agenda del director"}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "se cambió al 05/03/2026" in body
    assert "convocada originalmente para el 13/03/2026; motivo: Agenda del director" in body
    assert CommitteeSession.objects.get(pk=later.pk).date == dt.date(2026, 3, 5)
    assert login(cast.marta).post(url, {"new_date": "2026-03-06", "reason": "x"}).status_code == 403


def test_holding_early_from_the_page_asks_for_the_reason(cast, later):
    sergio = login(cast.sergio)
    url = reverse("web:session_hold", args=[later.pk])
    response = sergio.post(url, {"held_early_reason": ""}, **HTMX)
    assert response.status_code == 422
    assert "para celebrarla antes indique el motivo, o cambie su fecha." in response.content.decode()
    assert CommitteeSession.objects.get(pk=later.pk).status == "convened"
    response = sergio.post(url, {"held_early_reason": "Urge resolver antes del cierre"}, **HTMX)
    assert response.status_code == 200
    assert "Celebrada antes de su fecha" in response.content.decode()
    session = CommitteeSession.objects.get(pk=later.pk)
    assert (session.status, session.held_early_reason) == ("held", "Urge resolver antes del cierre")
    assert AuditRecord.objects.filter(action="committee_session.hold_early", user=cast.sergio).exists()
