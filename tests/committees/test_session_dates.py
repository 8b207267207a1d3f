"""A file reaches the agenda only with its regional manager's sign-off; a session dated in the future can be
moved (with its reason) or held early (with its reason, which the minutes record) — not a dead end."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from conftest import crew, mortgage, signoff
from filon.audit.models import AuditRecord
from filon.committees.models import AgendaItem, CommitteeSession, SessionStatus
from filon.committees.selectors import agenda_pending_files
from filon.committees.services import (
    agenda_add_file,
    resolution_record,
    session_attendance,
    session_close,
    session_convene,
    session_hold,
    session_reschedule,
    vote_cast,
)
from filon.core.calendar import MEXICO_CITY, today_mx
from filon.demo.scenarios import file_to_proposed
from filon.errors import Forbidden, TransitionRefused, ValidationFailed

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 3)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


@pytest.fixture
def unsigned(cast, credit_file):
    """Proposed by ana; the Zacatecas manager has not signed it off yet."""
    return file_to_proposed(credit_file, crew=crew(cast), guarantees=[mortgage()], signoff=False)


def convene(cast, day=TODAY):
    return session_convene(user=cast.sergio, committee="comite_interno", date=day, place="Sala de Consejo")


# ------------------------------------------------------------------------------ sign-off and agenda


def test_the_agenda_refuses_a_file_without_the_managers_signoff(cast, unsigned):
    session = convene(cast)
    assert list(agenda_pending_files("comite_interno")) == []
    with pytest.raises(TransitionRefused) as refused:
        agenda_add_file(user=cast.sergio, session=session, file=unsigned)
    assert refused.value.message == (
        f"El expediente {unsigned.folio} no tiene el visto bueno del gerente regional de Zacatecas; sin él no "
        "entra al orden del día."
    )
    assert refused.value.field == "signoff_by"
    assert not AgendaItem.objects.exists()


def test_signed_off_it_goes_on_the_agenda(cast, unsigned):
    signoff(cast, unsigned, by=cast.gerardo)
    session = convene(cast)
    assert list(agenda_pending_files("comite_interno")) == [unsigned]
    item = agenda_add_file(user=cast.sergio, session=session, file=unsigned)
    assert item.file == unsigned


# ------------------------------------------------------------------------------------- reschedule


def test_the_secretary_moves_a_convened_session_with_the_reason(cast):
    session = convene(cast, TODAY + dt.timedelta(days=10))
    with pytest.raises(ValidationFailed) as refused:
        session_reschedule(
            user=cast.sergio, session=session, new_date=TODAY + dt.timedelta(days=3), reason=" "
        )
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("reason", "Indique el motivo del cambio de fecha.")
    ]
    moved = session_reschedule(
        user=cast.sergio, session=session, new_date=TODAY + dt.timedelta(days=3), reason="Agenda del director"
    )
    assert (moved.date, moved.convened_for, moved.reschedule_reason) == (
        TODAY + dt.timedelta(days=3),
        TODAY + dt.timedelta(days=10),
        "Agenda del director",
    )
    record = AuditRecord.objects.get(action="committee_session.reschedule")
    assert (record.before["date"], record.after["date"]) == ("2026-03-13", "2026-03-06")
    assert record.note == "Agenda del director"
    again = session_reschedule(user=cast.sergio, session=moved, new_date=TODAY, reason="Se adelanta")
    assert (again.date, again.convened_for) == (TODAY, TODAY + dt.timedelta(days=10))  # the first date stays


@pytest.mark.parametrize(
    ("new_date", "message"),
    [
        (TODAY + dt.timedelta(days=10), "La sesión ya está convocada para el 13/03/2026."),
        (TODAY - dt.timedelta(days=1), "La nueva fecha no puede ser anterior a hoy."),
        (
            dt.date(2027, 1, 5),
            "La sesión CI-2026-01 es del año 2026; para otro año convoque una nueva sesión.",
        ),
    ],
)
def test_a_date_that_cannot_be_the_sessions_is_refused(cast, new_date, message):
    session = convene(cast, TODAY + dt.timedelta(days=10))
    with pytest.raises(ValidationFailed) as refused:
        session_reschedule(user=cast.sergio, session=session, new_date=new_date, reason="Cambio")
    assert [(e.field, e.message) for e in refused.value.errors] == [("new_date", message)]
    assert CommitteeSession.objects.get(pk=session.pk).date == TODAY + dt.timedelta(days=10)


def test_only_a_convened_session_moves_and_only_by_its_secretary(cast):
    session = convene(cast, TODAY + dt.timedelta(days=10))
    with pytest.raises(Forbidden, match=r"no puede cambiar la fecha de la sesión"):
        session_reschedule(user=cast.marta, session=session, new_date=TODAY, reason="x")
    session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis, cast.elena])
    held = session_hold(user=cast.sergio, session=session, early_reason="Urge resolver")
    with pytest.raises(TransitionRefused) as refused:
        session_reschedule(user=cast.sergio, session=held, new_date=TODAY, reason="x")
    assert refused.value.message == (
        f"No se puede cambiar la fecha de la sesión: la sesión {held.number} está «en sesión» y debe estar: "
        "convocada."
    )


# --------------------------------------------------------------------------------------- held early


def test_holding_before_the_date_needs_the_reason(cast):
    session = convene(cast, TODAY + dt.timedelta(days=10))
    session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis, cast.elena])
    before = AuditRecord.objects.count()
    with pytest.raises(TransitionRefused) as refused:
        session_hold(user=cast.sergio, session=session, early_reason="  ")
    assert refused.value.message == (
        "La sesión está convocada para el 13/03/2026: para celebrarla antes indique el motivo, o cambie su fecha."
    )
    assert refused.value.field == "held_early_reason"
    assert CommitteeSession.objects.get(pk=session.pk).status == SessionStatus.CONVENED
    assert AuditRecord.objects.count() == before


def test_held_early_with_the_reason_the_minutes_record_it(cast, unsigned):
    signoff(cast, unsigned, by=cast.gerardo)
    session = convene(cast, TODAY + dt.timedelta(days=10))
    session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis, cast.elena])
    item = agenda_add_file(user=cast.sergio, session=session, file=unsigned)
    held = session_hold(user=cast.sergio, session=session, early_reason="El solicitante pierde la cotización")
    assert (held.status, held.held_early_reason) == (
        SessionStatus.HELD,
        "El solicitante pierde la cotización",
    )
    record = AuditRecord.objects.get(action="committee_session.hold_early")
    assert record.note == "El solicitante pierde la cotización"
    for member in (cast.marta, cast.luis, cast.elena):
        vote_cast(user=member, item=item, vote="favor")
    # held today: the session's date is today, so the authorization (and its validity) runs from today
    assert (held.date, held.convened_for) == (TODAY, TODAY + dt.timedelta(days=10))
    resolution_record(user=cast.sergio, item=item, decision="authorized")
    unsigned.refresh_from_db()
    assert unsigned.authorized_on == TODAY
    closed = session_close(user=cast.sergio, session=held)
    assert "Fecha: 03/03/2026" in closed.minutes
    assert (
        "Celebrada el 03/03/2026, antes de la fecha convocada (13/03/2026); motivo: El solicitante pierde la "
        "cotización" in closed.minutes
    )
    assert "cambio de fecha" not in closed.minutes


def test_the_minutes_record_a_moved_session(cast):
    session = convene(cast, TODAY + dt.timedelta(days=10))
    session_reschedule(user=cast.sergio, session=session, new_date=TODAY, reason="Se adelanta por cierre")
    session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis, cast.elena])
    held = session_hold(user=cast.sergio, session=session)  # on its (new) date: no reason needed
    assert held.held_early_reason == ""
    closed = session_close(user=cast.sergio, session=held)
    assert (
        "Convocada originalmente para el 13/03/2026; cambio de fecha: Se adelanta por cierre"
        in closed.minutes
    )
    assert "antes de la fecha convocada" not in closed.minutes


def test_a_reason_on_the_day_itself_is_not_recorded(cast):
    session = convene(cast)
    session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis, cast.elena])
    held = session_hold(user=cast.sergio, session=session, early_reason="No hace falta")
    assert held.held_early_reason == ""
    assert today_mx() == held.date
