"""Regional offices' yearly goals (SPEC G-1): who sets them, validation, the placement of the year against
the goal (USD loans at the FIX of their contract date), the `filon goals` command and the dashboards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from conftest import applicant_data, mortgage, proposal_data, to_ready
from filon.applicants.services import applicant_create
from filon.audit.models import AuditRecord
from filon.core.calendar import MEXICO_CITY
from filon.errors import Forbidden, ValidationFailed
from filon.goals.models import OfficeGoal
from filon.goals.selectors import placement_progress, placement_progress_for_user
from filon.goals.services import goal_set
from filon.origination.services import file_create
from filon.servicing.services import loan_create_from_file

pytestmark = pytest.mark.django_db

GOAL = Decimal("120000000")
NOW = dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY)  # inside the FIX observations of `fix_rate`


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


# ------------------------------------------------------------------------------------------ service


def test_direction_sets_a_goal_once_per_office_and_year_with_its_audit_record(cast):
    goal = goal_set(
        user=cast.omar,
        office=cast.zac,
        year=2026,
        placement_mxn=GOAL,
        technical_assistance_services=40,
        training_courses=6,
        training_participants=150,
        notes="Meta aprobada por la dirección",
    )
    assert (goal.placement_mxn, goal.technical_assistance_services, goal.training_courses) == (GOAL, 40, 6)
    assert (goal.training_participants, goal.created_by, goal.updated_by) == (150, cast.omar, cast.omar)
    created = AuditRecord.objects.get(action="goal.create", object_id=str(goal.pk))
    assert (created.user, created.office, created.after["placement_mxn"]) == (
        cast.omar,
        cast.zac,
        "120000000.00",
    )

    # The same values again write nothing; a change updates the same row and keeps the other targets.
    goal_set(user=cast.omar, office=cast.zac, year=2026, placement_mxn=GOAL)
    assert AuditRecord.objects.filter(action__startswith="goal.").count() == 1
    changed = goal_set(user=cast.omar, office=cast.zac, year=2026, placement_mxn=Decimal("125000000"))
    assert changed.pk == goal.pk
    assert (changed.placement_mxn, changed.technical_assistance_services) == (Decimal("125000000"), 40)
    update = AuditRecord.objects.get(action="goal.update")
    assert update.before == {"placement_mxn": "120000000.00"}
    assert update.after == {"placement_mxn": "125000000.00"}
    assert OfficeGoal.objects.count() == 1
    # Another year is another goal.
    goal_set(user=cast.omar, office=cast.zac, year=2027, placement_mxn=GOAL)
    assert OfficeGoal.objects.filter(office=cast.zac).count() == 2


def test_only_direction_and_administration_set_goals(cast):
    from filon.accounts.models import User

    for user in (cast.ana, cast.gerardo, cast.ramon, cast.sergio, cast.marta):
        with pytest.raises(Forbidden, match="no puede fijar las metas"):
            goal_set(user=user, office=cast.zac, year=2026, placement_mxn=GOAL)
    assert not OfficeGoal.objects.exists()
    admin = User.objects.create_user("admin.metas", password="clave-de-prueba-123", role="administrador")
    goal_set(user=admin, office=cast.hmo, year=2026, placement_mxn=Decimal("80000000"))
    assert OfficeGoal.objects.get().office == cast.hmo


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"placement_mxn": Decimal("0")}, "placement_mxn", "mayor que cero"),
        ({"placement_mxn": Decimal("-5")}, "placement_mxn", "mayor que cero"),
        ({"placement_mxn": Decimal("1.005")}, "placement_mxn", "centavos"),
        ({"placement_mxn": "mucho"}, "placement_mxn", "importe en pesos"),
        ({"year": 1999}, "year", "El año debe estar entre 2000"),
        ({"technical_assistance_services": -1}, "technical_assistance_services", "asistencia técnica"),
        ({"training_courses": -3}, "training_courses", "cursos de capacitación"),
        ({"training_participants": 2.5}, "training_participants", "participantes"),
    ],
)
def test_validation_in_spanish(cast, changes, field, message):
    values = {"office": cast.zac, "year": 2026, "placement_mxn": GOAL, **changes}
    with pytest.raises(ValidationFailed) as exc:
        goal_set(user=cast.omar, **values)
    assert [e.field for e in exc.value.errors] == [field]
    assert message in exc.value.errors[0].message
    assert not OfficeGoal.objects.exists()


# ---------------------------------------------------------------------------------------- placement


def _loan(cast, applicant, **proposal):
    file = file_create(user=cast.ana, applicant=applicant, proposal=proposal_data(**proposal))
    to_ready(cast, file)
    return loan_create_from_file(user=cast.ana, file=file)


@pytest.fixture
def zac_loans(cast, applicant):
    """A loan contracted in December 2025 (last year) and, in 2026, one of MXN 12 M and one of USD 1 M."""
    with time_machine.travel(dt.datetime(2025, 12, 10, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        old = _loan(cast, applicant, amount=Decimal("5000000"))
    mxn = _loan(cast, applicant)
    exporter = applicant_create(
        user=cast.ana,
        data=applicant_data(name="Minera Plata Fina, S.A. de C.V.", rfc="MPF150610K27", usd_income=True),
    ).obj
    usd_file = file_create(
        user=cast.ana,
        applicant=exporter,
        proposal=proposal_data(
            currency="USD", amount=Decimal("1000000"), investment_program=Decimal("1200000")
        ),
    )
    from filon.origination.services import guarantee_add

    guarantee_add(user=cast.ana, file=usd_file, data=mortgage("45000000"))
    to_ready(cast, usd_file)
    usd = loan_create_from_file(user=cast.ana, file=usd_file)
    return old, mxn, usd


def test_placement_counts_the_year_s_loans_with_usd_at_the_fix_of_the_contract_date(cast, zac_loans):
    old, mxn, usd = zac_loans
    assert old.contract_date.year == 2025
    assert (mxn.contract_date, usd.contract_date) == (NOW.date(), NOW.date())
    assert usd.currency == "USD"
    goal_set(user=cast.omar, office=cast.zac, year=2026, placement_mxn=GOAL)

    progress = placement_progress(office=cast.zac, year=2026)
    # 12,000,000 MXN + 1,000,000 USD × 18.50 (FIX published before the contract date, C-5/C-6)
    assert progress.placed == Decimal("30500000.00")
    assert progress.loans == 2
    assert progress.target == GOAL
    assert progress.ratio == Decimal("0.2542")
    assert progress.remaining == Decimal("89500000.00")

    last_year = placement_progress(office=cast.zac, year=2025)
    assert (last_year.placed, last_year.loans, last_year.goal, last_year.ratio) == (
        Decimal("5000000"),
        1,
        None,
        None,
    )
    assert placement_progress(office=cast.hmo, year=2026).placed == 0


def test_placement_without_fix_is_an_error_not_a_silent_zero(cast, zac_loans):
    from filon.errors import DomainError
    from filon.marketdata.models import Observation

    Observation.objects.filter(series__code="FIX").delete()
    with pytest.raises(DomainError) as exc:
        placement_progress(office=cast.zac, year=2026)
    assert exc.value.rule == "C-6"
    assert "FIX" in exc.value.message


def test_each_user_sees_the_placement_of_the_offices_they_may_see(cast, zac_loans):
    goal_set(user=cast.omar, office=cast.zac, year=2026, placement_mxn=GOAL)
    goal_set(user=cast.omar, office=cast.hmo, year=2026, placement_mxn=Decimal("80000000"))
    assert [(p.office.code, p.placed) for p in placement_progress_for_user(user=cast.ana, year=2026)] == [
        ("ZAC", Decimal("30500000.00"))
    ]
    assert [(p.office.code, p.placed) for p in placement_progress_for_user(user=cast.sofia, year=2026)] == [
        ("HMO", Decimal("0"))
    ]
    central = {p.office.code: p for p in placement_progress_for_user(user=cast.omar, year=2026)}
    assert len(central) == 14  # every office, with or without a goal
    assert (central["ZAC"].placed, central["HMO"].target, central["CHI"].goal) == (
        Decimal("30500000.00"),
        Decimal("80000000"),
        None,
    )


# --------------------------------------------------------------------------------------- dashboards


def test_dashboards_show_placement_against_goal(client, cast, zac_loans):
    goal_set(user=cast.omar, office=cast.zac, year=2026, placement_mxn=GOAL)
    goal_set(user=cast.omar, office=cast.hmo, year=2026, placement_mxn=Decimal("80000000"))

    client.force_login(cast.omar)
    page = client.get("/").content.decode()
    assert "Colocación del año vs meta" in page
    assert "$120,000,000.00" in page
    assert "$30,500,000.00" in page
    assert "25.4 %" in page
    assert "$89,500,000.00" in page  # what is left to place
    assert "$200,000,000.00" in page  # the offices' goals add up
    assert "sin meta" in page  # Chihuahua and the other offices have none
    assert "$80,000,000.00" in page
    assert "Hermosillo" in page

    client.force_login(cast.ana)
    page = client.get("/").content.decode()
    assert "Colocación del año vs meta" in page
    assert "$30,500,000.00" in page
    assert "$120,000,000.00" in page
    assert "$80,000,000.00" not in page

    client.force_login(cast.sofia)
    page = client.get("/").content.decode()
    assert "$80,000,000.00" in page
    assert "$120,000,000.00" not in page
    assert "$30,500,000.00" not in page


# ------------------------------------------------------------------------------------------ command


def test_goals_command_sets_and_shows(cast, zac_loans, capsys):
    call_command(
        "goals", "set", "--office", "zac", "--year", "2026", "--placement", "120000000", "--ta", "40"
    )
    goal = OfficeGoal.objects.get(office=cast.zac, year=2026)
    assert (goal.placement_mxn, goal.technical_assistance_services, goal.created_by) == (GOAL, 40, None)
    assert AuditRecord.objects.get(action="goal.create").user is None
    out = capsys.readouterr().out
    assert "Metas 2026 de la Gerencia Regional Zacatecas: colocación $120,000,000.00" in out

    call_command("goals", "show")  # the current year by default
    out = capsys.readouterr().out
    assert "ZAC" in out
    assert "$120,000,000.00" in out
    assert "$30,500,000.00" in out
    assert "25.4 %" in out

    with pytest.raises(CommandError, match="No existe la gerencia «XYZ»"):
        call_command("goals", "set", "--office", "XYZ", "--placement", "1")
    with pytest.raises(CommandError, match="mayor que cero"):
        call_command("goals", "set", "--office", "ZAC", "--placement", "0")
    with pytest.raises(CommandError, match="no puede fijar las metas"):
        call_command("goals", "set", "--office", "ZAC", "--placement", "1", "--user", cast.ana.username)
    call_command("goals", "show", "--year", "2030")
    assert "No hay metas registradas para 2030." in capsys.readouterr().out
