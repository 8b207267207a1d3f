"""Training events, their participants, technical-assistance visits and partner organizations (SPEC G-1):
who records them, for which office, the refusals in Spanish naming the field, and the audit trail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from conftest import applicant_data
from filon.applicants.services import applicant_create
from filon.audit.models import AuditRecord
from filon.core.calendar import MEXICO_CITY
from filon.errors import Forbidden, NotFound, ValidationFailed
from filon.goals.models import PartnerOrganization, TrainingEvent, TrainingParticipant
from filon.goals.selectors import (
    assistance_visits_for_user,
    training_event_get_for_user,
    training_events_for_user,
)
from filon.goals.services import (
    partner_create,
    technical_assistance_record,
    training_event_record,
    training_participant_add,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def clusmin(cast):
    return partner_create(
        user=cast.gerardo, name="Clúster Minero de Zacatecas (Clusmin)", kind="cluster", state="ZAC"
    )


@pytest.fixture
def gobierno(cast):
    return partner_create(
        user=cast.omar, name="Gobierno del Estado de Zacatecas", kind="state_government", state="ZAC"
    )


def _course(user, office, **changes):
    values = {
        "title": "Curso para proveedores de la minería",
        "topic": "De proveedor a empresario: contratos con las empresas mineras",
        "start_date": dt.date(2026, 2, 23),
        "end_date": dt.date(2026, 2, 24),
        "municipality": "Chalchihuites",
        "state": "ZAC",
        "modality": "presencial",
        "hours": Decimal("12"),
        **changes,
    }
    return training_event_record(user=user, office=office, **values)


# --------------------------------------------------------------------------------------- partners


def test_partners_are_registered_once_with_their_audit_record(cast, clusmin, gobierno):
    assert (clusmin.kind, clusmin.state, clusmin.active, clusmin.created_by) == (
        "cluster",
        "ZAC",
        True,
        cast.gerardo,
    )
    record = AuditRecord.objects.get(action="partner.create", object_id=str(clusmin.pk))
    assert (record.user, record.after["name"]) == (cast.gerardo, "Clúster Minero de Zacatecas (Clusmin)")
    with pytest.raises(ValidationFailed) as exc:
        partner_create(user=cast.sofia, name="  CLÚSTER MINERO DE ZACATECAS   (clusmin) ", kind="cluster")
    assert [e.field for e in exc.value.errors] == ["name"]
    assert "Ya está registrada" in exc.value.errors[0].message
    with pytest.raises(ValidationFailed) as exc:
        partner_create(user=cast.ana, name="", kind="club", state="XX")
    assert [e.field for e in exc.value.errors] == ["name", "kind", "state"]
    with pytest.raises(Forbidden, match="no puede registrar organizaciones aliadas"):
        partner_create(user=cast.julia, name="Canacintra Zacatecas", kind="chamber")
    assert PartnerOrganization.objects.count() == 2


# -------------------------------------------------------------------------------- training events


def test_a_regional_analyst_records_a_course_of_her_office_with_its_partners(cast, clusmin, gobierno):
    event = _course(
        cast.ana, cast.zac, partners=[clusmin, gobierno], notes="Programa especial de proveeduría"
    )
    assert (event.office, event.recorded_by, event.hours, event.end_date) == (
        cast.zac,
        cast.ana,
        Decimal("12"),
        dt.date(2026, 2, 24),
    )
    assert sorted(p.name for p in event.partners.all()) == [clusmin.name, gobierno.name]
    record = AuditRecord.objects.get(action="training_event.record")
    assert (record.user, record.office, record.after["municipality"]) == (cast.ana, cast.zac, "Chalchihuites")
    assert record.after["partners"] == sorted([clusmin.name, gobierno.name])
    # One day when no end date is given.
    one_day = _course(cast.gerardo, cast.zac, title="Taller de seguridad minera", end_date=None)
    assert one_day.end_date == one_day.start_date


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_date": dt.date(2026, 2, 20)}, "end_date", "no puede ser anterior a la de inicio (23/02/2026)"),
        ({"title": "  "}, "title", "título"),
        ({"municipality": ""}, "municipality", "municipio"),
        ({"state": "XX"}, "state", "clave de estado"),
        ({"modality": "radio"}, "modality", "modalidad"),
        ({"hours": Decimal("0")}, "hours", "horas"),
        ({"hours": Decimal("2.25")}, "hours", "un decimal"),
        ({"hours": "muchas"}, "hours", "horas"),
        ({"start_date": None}, "start_date", "fecha de inicio"),
    ],
)
def test_course_refusals_name_the_field(cast, changes, field, message):
    with pytest.raises(ValidationFailed) as exc:
        _course(cast.ana, cast.zac, **changes)
    assert [e.field for e in exc.value.errors] == [field]
    assert message in exc.value.errors[0].message
    assert not TrainingEvent.objects.exists()


def test_an_inactive_partner_is_refused(cast, clusmin):
    PartnerOrganization.objects.filter(pk=clusmin.pk).update(active=False)
    clusmin.refresh_from_db()
    with pytest.raises(ValidationFailed) as exc:
        _course(cast.ana, cast.zac, partners=[clusmin])
    assert exc.value.errors[0].field == "partners"
    assert "ya no está activa" in exc.value.errors[0].message


def test_only_the_office_s_own_regional_users_record_its_courses(cast):
    with pytest.raises(Forbidden, match=r"Solo puede registrar .* de su gerencia") as exc:
        _course(cast.sofia, cast.zac)
    assert exc.value.field == "office"
    for central in (cast.omar, cast.ramon, cast.sergio):
        with pytest.raises(Forbidden, match="no puede registrar cursos"):
            _course(central, cast.zac)
    assert not TrainingEvent.objects.exists()


def test_a_sonora_analyst_does_not_see_zacatecas_events(cast):
    event = _course(cast.ana, cast.zac)
    sonora = _course(
        cast.sofia,
        cast.hmo,
        title="Curso de costos para pequeños mineros",
        municipality="Hermosillo",
        state="SON",
    )
    assert list(training_events_for_user(user=cast.sofia)) == [sonora]
    with pytest.raises(NotFound):
        training_event_get_for_user(user=cast.sofia, event_id=event.pk)
    assert {e.pk for e in training_events_for_user(user=cast.omar)} == {event.pk, sonora.pk}
    assert training_event_get_for_user(user=cast.ramon, event_id=event.pk) == event


# ------------------------------------------------------------------------------------ participants


def test_participants_applicants_or_named_people_each_once(cast, applicant):
    event = _course(cast.ana, cast.zac)
    enrolled = training_participant_add(user=cast.ana, event=event, applicant=applicant, role="supplier")
    assert (enrolled.applicant, enrolled.display_name, enrolled.attended) == (applicant, applicant.name, True)
    named = training_participant_add(
        user=cast.gerardo,
        event=event,
        name="María Ortiz Félix",
        organization="Transportes Chalchihuites",
        role="supplier",
    )
    assert named.display_name == "María Ortiz Félix"
    absent = training_participant_add(
        user=cast.ana,
        event=event,
        name="Pedro Salas",
        organization="Presidencia Municipal",
        role="official",
        attended=False,
    )
    assert absent.attended is False
    record = AuditRecord.objects.get(action="training_participant.add", object_id=str(named.pk))
    assert (record.office, record.note) == (
        cast.zac,
        "María Ortiz Félix en Curso para proveedores de la minería",
    )

    with pytest.raises(ValidationFailed) as exc:
        training_participant_add(user=cast.ana, event=event, applicant=applicant, role="supplier")
    assert exc.value.errors[0].field == "applicant"
    assert "ya está registrado" in exc.value.errors[0].message
    with pytest.raises(ValidationFailed) as exc:
        training_participant_add(
            user=cast.ana,
            event=event,
            name=" MARÍA  ORTIZ FÉLIX ",
            organization="TRANSPORTES CHALCHIHUITES",
            role="miner",
        )
    assert exc.value.errors[0].field == "name"
    with pytest.raises(ValidationFailed) as exc:
        training_participant_add(user=cast.ana, event=event, name="", role="hero")
    assert [e.field for e in exc.value.errors] == ["name", "role"]
    assert TrainingParticipant.objects.filter(event=event).count() == 3


def test_participants_are_refused_across_offices_and_before_the_course(cast, applicant):
    event = _course(cast.ana, cast.zac)
    with pytest.raises(Forbidden):
        training_participant_add(user=cast.sofia, event=event, name="Intruso", role="other")
    sonora_applicant = applicant_create(
        user=cast.sofia,
        data=applicant_data(
            name="Minera del Desierto, S.A. de C.V.", rfc="MDE100101AB1", state="SON", municipality="Cananea"
        ),
    ).obj
    with pytest.raises(NotFound) as exc:
        training_participant_add(user=cast.ana, event=event, applicant=sonora_applicant, role="miner")
    assert exc.value.field == "applicant"
    upcoming = _course(cast.ana, cast.zac, start_date=dt.date(2026, 4, 6), end_date=dt.date(2026, 4, 7))
    with pytest.raises(ValidationFailed) as exc:
        training_participant_add(user=cast.ana, event=upcoming, applicant=applicant, role="supplier")
    assert exc.value.errors[0].field == "attended"
    assert "empieza el 06/04/2026" in exc.value.errors[0].message
    enrolled = training_participant_add(
        user=cast.ana, event=upcoming, applicant=applicant, role="supplier", attended=False
    )
    assert enrolled.attended is False


# ---------------------------------------------------------------------------- technical assistance


def test_a_visit_already_made_is_recorded_for_an_applicant_of_the_office(cast, applicant, clusmin):
    visit = technical_assistance_record(
        user=cast.ana,
        office=cast.zac,
        applicant=applicant,
        date=dt.date(2026, 2, 27),
        kind="mining_plan",
        advisor="Ing. Ramiro Delgado",
        findings="El plan de minado no considera la dilución en los rebajes.",
        recommendations="Actualizar el modelo de bloques.",
        partners=[clusmin],
    )
    assert (visit.office, visit.applicant, visit.recorded_by) == (cast.zac, applicant, cast.ana)
    assert list(visit.partners.all()) == [clusmin]
    record = AuditRecord.objects.get(action="technical_assistance.record")
    assert (record.user, record.office, record.after["kind"], record.after["partners"]) == (
        cast.ana,
        cast.zac,
        "mining_plan",
        [clusmin.name],
    )
    assert list(assistance_visits_for_user(user=cast.gerardo)) == [visit]
    assert list(assistance_visits_for_user(user=cast.sofia)) == []
    assert list(assistance_visits_for_user(user=cast.omar)) == [visit]


def test_visit_refusals(cast, applicant):
    values = {
        "office": cast.zac,
        "applicant": applicant,
        "date": TODAY,
        "kind": "safety",
        "advisor": "Ing. Laura Medina",
        "findings": "Sin señalización en la rampa principal.",
    }
    with pytest.raises(ValidationFailed) as exc:
        technical_assistance_record(user=cast.ana, **{**values, "date": TODAY + dt.timedelta(days=1)})
    assert exc.value.errors[0].field == "date"
    assert "no puede ser posterior a hoy (03/03/2026)" in exc.value.errors[0].message
    with pytest.raises(ValidationFailed) as exc:
        technical_assistance_record(
            user=cast.ana, **{**values, "kind": "magia", "advisor": " ", "findings": ""}
        )
    assert [e.field for e in exc.value.errors] == ["kind", "advisor", "findings"]
    with pytest.raises(Forbidden) as forbidden:
        technical_assistance_record(user=cast.sofia, **values)
    assert forbidden.value.field == "office"
    with pytest.raises(NotFound):
        technical_assistance_record(user=cast.sofia, **{**values, "office": cast.hmo})
    with pytest.raises(Forbidden, match="no puede registrar visitas"):
        technical_assistance_record(user=cast.omar, **values)
    assert technical_assistance_record(user=cast.ana, **values).date == TODAY
