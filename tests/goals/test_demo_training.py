"""The demo portfolio holds the Zacatecas course for the mining suppliers of Chalchihuites, promoted with
Clusmin and the state government, with its participants, and two technical-assistance visits — recorded
through the services once, counted on the Zacatecas scorecard."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from filon.accounts.models import User
from filon.audit.models import AuditRecord
from filon.core.calendar import today_mx
from filon.goals.models import TechnicalAssistanceVisit, TrainingEvent, TrainingParticipant
from filon.goals.selectors import office_scorecard

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_records_the_chalchihuites_course_and_two_visits_once(capsys, client):
    call_command("demo", "load")
    out = capsys.readouterr().out
    course = TrainingEvent.objects.get()
    assert (course.office.code, course.municipality, course.state) == ("ZAC", "Chalchihuites", "ZAC")
    assert sorted(p.kind for p in course.partners.all()) == ["cluster", "state_government"]
    assert "Clusmin" in out
    assert "4 asistentes" not in out
    assert "5 asistentes" in out
    participants = TrainingParticipant.objects.filter(event=course)
    assert participants.count() == 6
    assert participants.filter(attended=True).count() == 5
    assert participants.get(applicant__isnull=False).applicant.rfc == "SMZ110227QR4"
    visits = TechnicalAssistanceVisit.objects.order_by("date")
    assert [(v.office.code, v.kind) for v in visits] == [("ZAC", "processing"), ("ZAC", "financial")]
    assert all(v.date <= today_mx() for v in visits)
    assert (
        AuditRecord.objects.filter(action="training_event.record", user__username="analista.zac").count() == 1
    )

    card = office_scorecard(office=course.office, year=course.start_date.year)
    assert card.target("courses").actual == 1
    assert card.target("participants").actual == 5

    call_command("demo", "load")
    assert "Cartera de demostración (ya estaba):" in capsys.readouterr().out
    assert TrainingEvent.objects.count() == 1
    assert TrainingParticipant.objects.count() == 6
    assert TechnicalAssistanceVisit.objects.count() == 2

    client.force_login(User.objects.get(username="analista.zac"))
    assert (
        "Curso para proveedores de la minería de Chalchihuites"
        in client.get("/capacitacion/").content.decode()
    )
