"""The offices' scorecard (SPEC G-1): each target against what the office did in the year — placement from
the loans contracted, technical-assistance services from the visits, courses from the training events
held, participants from those who attended — for one office, per user and in total."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine

from conftest import proposal_data, to_ready
from filon.core.calendar import MEXICO_CITY
from filon.goals.selectors import office_scorecard, scorecard_total, scorecards_for_user
from filon.goals.services import (
    goal_set,
    partner_create,
    technical_assistance_record,
    training_event_record,
    training_participant_add,
)
from filon.origination.services import file_create
from filon.servicing.services import loan_create_from_file

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def _loan(cast, applicant, amount: str):
    file = file_create(user=cast.ana, applicant=applicant, proposal=proposal_data(amount=Decimal(amount)))
    to_ready(cast, file)
    return loan_create_from_file(user=cast.ana, file=file)


def _course(user, office, start: dt.date, **extra):
    values = {
        "title": "Curso para proveedores de la minería",
        "municipality": "Chalchihuites",
        "state": "ZAC",
        "hours": Decimal("8"),
        **extra,
    }
    return training_event_record(user=user, office=office, start_date=start, **values)


def _visit(user, office, applicant, day: dt.date, kind: str = "safety"):
    return technical_assistance_record(
        user=user,
        office=office,
        applicant=applicant,
        date=day,
        kind=kind,
        advisor="Ing. Laura Medina",
        findings="Revisión de la rampa y del polvorín.",
    )


@pytest.fixture
def activity(cast, applicant):
    """Zacatecas in 2026: a loan of MXN 12 M, two visits, a course held with two attendees and one absent,
    a course scheduled for April; in 2025 a visit and a course. Sonora: one visit of 2026."""
    from conftest import applicant_data
    from filon.applicants.services import applicant_create

    goal_set(
        user=cast.omar,
        office=cast.zac,
        year=2026,
        placement_mxn=Decimal("120000000"),
        technical_assistance_services=48,
        training_courses=6,
        training_participants=180,
    )
    goal_set(
        user=cast.omar,
        office=cast.hmo,
        year=2026,
        placement_mxn=Decimal("85000000"),
        technical_assistance_services=36,
        training_courses=4,
        training_participants=120,
    )
    loan = _loan(cast, applicant, "12000000")
    clusmin = partner_create(user=cast.gerardo, name="Clusmin", kind="cluster", state="ZAC")
    held = _course(cast.ana, cast.zac, dt.date(2026, 2, 23), partners=[clusmin])
    training_participant_add(user=cast.ana, event=held, applicant=applicant, role="supplier")
    training_participant_add(
        user=cast.ana, event=held, name="María Ortiz", organization="Fletes Ortiz", role="supplier"
    )
    training_participant_add(user=cast.ana, event=held, name="Pedro Salas", role="official", attended=False)
    scheduled = _course(cast.ana, cast.zac, dt.date(2026, 4, 13), title="Taller de costos")
    training_participant_add(user=cast.ana, event=scheduled, name="Rosa Díaz", role="miner", attended=False)
    old = _course(cast.ana, cast.zac, dt.date(2025, 11, 10), title="Seguridad en minas subterráneas")
    training_participant_add(user=cast.ana, event=old, name="Juan Pérez", role="miner")
    _visit(cast.ana, cast.zac, applicant, dt.date(2026, 1, 20))
    _visit(cast.gerardo, cast.zac, applicant, dt.date(2026, 3, 3), kind="financial")
    _visit(cast.ana, cast.zac, applicant, dt.date(2025, 12, 15))
    sonora = applicant_create(
        user=cast.sofia,
        data=applicant_data(
            name="Minera del Desierto, S.A. de C.V.", rfc="MDE100101AB1", state="SON", municipality="Cananea"
        ),
    ).obj
    _visit(cast.sofia, cast.hmo, sonora, dt.date(2026, 2, 2))
    return SimpleNamespace(loan=loan)


def _figures(card):
    return {t.key: (t.goal, t.actual, t.ratio) for t in card.targets}


def test_the_office_scorecard_counts_the_year_s_loans_visits_courses_and_attendees(cast, activity):
    assert activity.loan.contract_date == NOW.date()
    card = office_scorecard(office=cast.zac, year=2026)
    assert _figures(card) == {
        "placement": (Decimal("120000000"), Decimal("12000000.00"), Decimal("0.1000")),
        "technical_assistance": (48, 2, Decimal("0.0417")),
        "courses": (6, 1, Decimal("0.1667")),  # the April course is scheduled, not held yet
        "participants": (180, 2, Decimal("0.0111")),  # the absent official does not count
    }
    assert card.scheduled_courses == 1
    assert card.placement is not None
    assert card.placement.loans == 1

    last_year = office_scorecard(office=cast.zac, year=2025)
    assert _figures(last_year) == {
        "placement": (None, Decimal("0"), None),
        "technical_assistance": (None, 1, None),
        "courses": (None, 1, None),
        "participants": (None, 1, None),
    }


def test_courses_count_once_their_start_date_has_come(cast, activity):
    with time_machine.travel(dt.datetime(2026, 4, 14, 10, 0, tzinfo=MEXICO_CITY), tick=False):
        card = office_scorecard(office=cast.zac, year=2026)
        assert (card.target("courses").actual, card.scheduled_courses) == (2, 0)
        assert card.target("participants").actual == 2  # nobody marked as attending the April course


def test_each_user_sees_the_scorecards_of_their_offices_and_the_direction_the_total(cast, activity):
    assert [
        (c.office.code, c.target("technical_assistance").actual)
        for c in scorecards_for_user(user=cast.ana, year=2026)
    ] == [("ZAC", 2)]
    assert [
        (c.office.code, c.target("technical_assistance").actual)
        for c in scorecards_for_user(user=cast.sofia, year=2026)
    ] == [("HMO", 1)]
    cards = scorecards_for_user(user=cast.omar, year=2026)
    assert len(cards) == 14
    by_code = {c.office.code: c for c in cards}
    assert _figures(by_code["ZAC"]) == _figures(office_scorecard(office=cast.zac, year=2026))
    assert by_code["CHI"].goal is None
    assert by_code["CHI"].target("courses").goal is None
    total = scorecard_total(cards, 2026)
    assert total.name == "Total"
    assert _figures(total) == {
        "placement": (Decimal("205000000"), Decimal("12000000.00"), Decimal("0.0585")),
        "technical_assistance": (84, 3, Decimal("0.0357")),
        "courses": (10, 1, Decimal("0.1000")),
        "participants": (300, 2, Decimal("0.0067")),
    }
    assert total.scheduled_courses == 1


# ------------------------------------------------------------------------------ dashboard and Excel


def test_the_office_dashboard_shows_its_four_targets_and_the_direction_all_offices_with_totals(
    client, cast, activity
):
    client.force_login(cast.ana)
    page = client.get("/").content.decode()
    assert "Asistencia técnica y capacitación vs meta" in page
    assert "$12,000,000.00" in page  # placement, as before
    assert '2 <span class="muted">de 48</span> <small>(4.2 %)</small>' in page  # visits
    assert '1 <span class="muted">de 6</span> <small>(16.7 %)</small>' in page  # courses held
    assert "1 programado" in page
    assert '2 <span class="muted">de 180</span> <small>(1.1 %)</small>' in page  # attendees
    assert "de 36" not in page  # Sonora's goals are not Zacatecas' business
    assert 'href="/metas/"' in page

    client.force_login(cast.omar)
    page = client.get("/").content.decode()
    assert '1 <span class="muted">de 36</span> <small>(2.8 %)</small>' in page  # Sonora's visit
    assert '3 <span class="muted">de 84</span> <small>(3.6 %)</small>' in page  # the total of the visits
    assert '2 <span class="muted">de 300</span> <small>(0.7 %)</small>' in page


def _xlsx(client, year: int = 2026):
    from io import BytesIO

    from openpyxl import load_workbook

    response = client.get(f"/metas/excel/?anio={year}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="metas-{year}.xlsx"'
    return load_workbook(BytesIO(response.content))


def test_the_excel_export_holds_the_real_figures(client, cast, activity):
    from filon.audit.models import AuditRecord

    client.force_login(cast.omar)
    wb = _xlsx(client)
    assert wb.sheetnames == ["Metas vs avance", "Cursos", "Asistencia técnica"]
    ws = wb["Metas vs avance"]
    header = [c.value for c in ws[1]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)}
    zac = rows["Zacatecas"]
    assert zac["Meta de colocación"] == 120000000
    assert zac["Colocado"] == 12000000
    assert zac["Créditos contratados"] == 1
    assert zac["Avance de colocación"] == pytest.approx(0.1)
    assert (zac["Meta de asistencia técnica"], zac["Servicios de asistencia técnica"]) == (48, 2)
    assert (zac["Meta de cursos"], zac["Cursos impartidos"], zac["Cursos programados"]) == (6, 1, 1)
    assert (zac["Meta de participantes"], zac["Participantes"]) == (180, 2)
    assert rows["Hermosillo"]["Servicios de asistencia técnica"] == 1
    assert rows["Chihuahua"]["Meta de cursos"] is None
    total = rows["Total"]
    assert (
        total["Meta de colocación"],
        total["Servicios de asistencia técnica"],
        total["Meta de participantes"],
    ) == (205000000, 3, 300)
    # Typed cells, frozen header and a filter over the offices (the total below it).
    assert ws["C2"].number_format == "#,##0.00"
    assert ws["F2"].number_format == "0.0%"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:P15"
    assert ws.max_row == 16

    courses = list(wb["Cursos"].iter_rows(min_row=2, values_only=True))
    assert [(c[1], c[3].date(), c[10], c[11]) for c in courses] == [
        ("Curso para proveedores de la minería", dt.date(2026, 2, 23), 2, "Clusmin"),
        ("Taller de costos", dt.date(2026, 4, 13), 0, None),  # no partner: an empty cell
    ]
    visits = list(wb["Asistencia técnica"].iter_rows(min_row=2, values_only=True))
    assert [(v[0], v[1].date(), v[4]) for v in visits] == [
        ("Hermosillo", dt.date(2026, 2, 2), "Seguridad"),
        ("Zacatecas", dt.date(2026, 1, 20), "Seguridad"),
        ("Zacatecas", dt.date(2026, 3, 3), "Financiera"),
    ]
    record = AuditRecord.objects.get(action="document.scorecard_xlsx")
    assert (record.user, record.note) == (cast.omar, "metas-2026.xlsx — 14 gerencias")


def test_a_regional_export_holds_only_its_office(client, cast, activity):
    client.force_login(cast.sofia)
    wb = _xlsx(client)
    rows = list(wb["Metas vs avance"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[7]) for r in rows] == [("Hermosillo", 1)]  # no total line for one office
    assert list(wb["Cursos"].iter_rows(min_row=2, values_only=True)) == []
    assert [v[2] for v in wb["Asistencia técnica"].iter_rows(min_row=2, values_only=True)] == [
        "Minera del Desierto, S.A. de C.V."
    ]


def test_the_scorecard_page_by_year(client, cast, activity):
    client.force_login(cast.gerardo)
    page = client.get("/metas/?anio=2025").content.decode()
    assert "Metas y avance 2025" in page
    assert '1 <span class="muted">sin meta</span>' in page
    assert 'href="/metas/excel/?anio=2025"' in page
    page = client.get("/metas/").content.decode()
    assert "$12,000,000.00" in page
    assert "$120,000,000.00" in page
    response = client.get("/metas/?anio=1990")
    assert response.status_code == 422
    assert "El año debe estar entre 2000" in response.content.decode()


def test_the_goals_command_shows_every_target_against_what_was_done(cast, activity, capsys):
    from django.core.management import call_command

    call_command("goals", "show", "--year", "2026")
    out = capsys.readouterr().out
    assert "asistencia técnica 2 de 48, cursos 1 de 6 (1 programado), participantes 2 de 180" in out
    assert "asistencia técnica 1 de 36, cursos 0 de 4, participantes 0 de 120" in out
