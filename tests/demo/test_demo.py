"""`filon demo load`: the realistic demo portfolio, built through the services on the day it runs.

Every state of a credit file, a committee session with votes and resolutions, loans current, late,
prepaid and revolving, the offices' goals, books that check clean, logins that see their office's loans —
and a second load that adds nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command

from filon.accounts.models import User
from filon.committees.models import CommitteeSession, Decision, SessionStatus, Vote
from filon.core.calendar import MEXICO_CITY, today_mx
from filon.demo.closing import RESTRUCTURED_RFC
from filon.demo.guarantee_funds import CANANEA_RFC
from filon.demo.scenarios import DEMO_PASSWORD, DEMO_USERS
from filon.errors import NotFound
from filon.goals.models import OfficeGoal
from filon.goals.selectors import placement_progress
from filon.ledger.services import ledger_check
from filon.origination.models import CreditFile, FileStatus
from filon.servicing.models import DailyClose, InstallmentStatus, Loan, LoanStatus, Payment
from filon.servicing.selectors import loan_get_for_user, loan_list_for_user, loan_positions

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def demo(capsys):
    call_command("demo", "load")
    return capsys.readouterr().out


def test_demo_load_creates_the_printed_logins(demo):
    assert "RO-2010-1160" in demo
    users = User.objects.all()
    assert {u.username for u in users} == {row[0] for row in DEMO_USERS}
    assert {u.role for u in users} >= {
        "administrador",
        "analista",
        "gerente_regional",
        "juridico",
        "riesgos",
        "secretario_comite",
        "miembro_comite",
        "direccion",
    }
    assert all(u.check_password(DEMO_PASSWORD) for u in users)
    assert User.objects.get(username="analista.zac").office.code == "ZAC"
    assert User.objects.get(username="analista.chi").office.code == "CHI"
    for username, *_ in DEMO_USERS:
        assert username in demo


def test_demo_portfolio_covers_every_stage_and_the_books_check(demo, client):
    assert "Cartera de demostración cargada:" in demo
    assert set(CreditFile.objects.values_list("status", flat=True)) == set(FileStatus.values)
    assert {f.office.code for f in CreditFile.objects.select_related("office")} == {"ZAC", "HMO", "CHI"}
    assert {f.applicant.person_type for f in CreditFile.objects.select_related("applicant")} == {
        "fisica",
        "moral",
        "ejido",
    }
    sizes = {f.evaluation["size"] for f in CreditFile.objects.exclude(evaluation=None)}
    assert sizes == {"micro", "pequena", "mediana", "grande"}

    # Goals of the current year, Zacatecas first with MXN 120 M.
    year = today_mx().year
    zac_goal = OfficeGoal.objects.get(office__code="ZAC", year=year)
    assert zac_goal.placement_mxn == Decimal("120000000")
    assert OfficeGoal.objects.filter(year=year).count() >= 3

    # A committee session with its agenda, votes and the three kinds of resolution; one convened ahead.
    closed = CommitteeSession.objects.filter(status=SessionStatus.CLOSED)
    decisions = {item.resolution.decision for s in closed for item in s.items.select_related("resolution")}
    assert decisions == {Decision.AUTHORIZED, Decision.REJECTED, Decision.RETURNED}
    assert Vote.objects.filter(vote="contra").exists()
    assert all(s.minutes.startswith("ACTA DE LA SESIÓN") for s in closed)
    upcoming = CommitteeSession.objects.get(status=SessionStatus.CONVENED)
    assert upcoming.date > today_mx()
    assert upcoming.items.get().file.status == FileStatus.PROPOSED

    # Loans: current, late (past due with moratorium after the close), prepaid, revolving, in dollars.
    loans = Loan.objects.all()
    # (the restructured one stays counted late; the Cananea credit the FOCIR paid in part is the funds' case)
    late = [
        loan
        for loan in loans
        if loan.days_past_due > 0 and loan.applicant.rfc not in (RESTRUCTURED_RFC, CANANEA_RFC)
    ]
    assert len(late) == 1
    assert late[0].accrued_moratorium > 0
    assert late[0].installments.filter(version__active=True, status=InstallmentStatus.OVERDUE).exists()
    current = [loan for loan in loans if loan.days_past_due == 0 and loan.payments.exists()]
    assert current
    prepayment = Payment.objects.get(is_prepayment=True)
    prepaid = prepayment.loan
    assert prepaid.schedule_versions.count() == 2
    assert prepayment.schedule_version == prepaid.schedule_versions.get(active=True)
    old, new = (v.installments.count() for v in prepaid.schedule_versions.order_by("number"))
    assert new < old  # the prepayment shortened the term (9.2.6)
    line = loans.get(is_revolving=True)
    assert line.disbursements.count() >= 2
    assert line.installments.filter(status=InstallmentStatus.PAID).exists()
    assert loans.filter(currency="USD").exists()
    assert DailyClose.objects.exists()
    assert ledger_check(loan_positions=loan_positions()) == []

    # Placement of the year counts the loans contracted this year (the dollars at the FIX).
    progress = placement_progress(office=zac_goal.office, year=year)
    contracted = [loan for loan in loans.filter(office__code="ZAC") if loan.contract_date.year == year]
    assert progress.loans == len(contracted)
    assert progress.goal == zac_goal

    # Each office's logins see their loans, and only theirs.
    analista_zac = User.objects.get(username="analista.zac")
    analista_hmo = User.objects.get(username="analista.hmo")
    assert set(loan_list_for_user(user=analista_zac)) == set(loans.filter(office__code="ZAC"))
    assert set(loan_list_for_user(user=analista_hmo)) == set(loans.filter(office__code="HMO"))
    assert prepaid in set(loans.filter(office__code="HMO"))
    with pytest.raises(NotFound):
        loan_get_for_user(user=analista_zac, loan_id=prepaid.pk)
    assert len(loan_list_for_user(user=User.objects.get(username="direccion"))) == loans.count()

    client.force_login(analista_zac)
    page = client.get("/").content.decode()
    assert "Colocación del año vs meta" in page
    assert "$120,000,000.00" in page
    assert late[0].number in page  # the late loan on the office's dashboard


def test_a_second_load_adds_nothing(demo, capsys):
    models = [m for m in apps.get_models() if m._meta.app_label not in ("sessions", "contenttypes")]
    before = {m._meta.label: m.objects.count() for m in models}
    call_command("demo", "load")
    assert "Cartera de demostración (ya estaba):" in capsys.readouterr().out
    after = {m._meta.label: m.objects.count() for m in models}
    assert after == before
    # six under administration (one restructured), one written off, one paid off; the Cananea credit; six
    # discounts of the factoring chain
    assert before["servicing.Loan"] == 15


def test_the_demo_loads_on_any_day(capsys):
    """On the first business day of a year, after the shipped sample rates end (projected rates), and with
    the holidays of December behind: the same portfolio, and books that check clean."""
    with time_machine.travel(dt.datetime(2027, 1, 4, 10, 0, tzinfo=MEXICO_CITY), tick=False):
        call_command("demo", "load")
        assert "Cartera de demostración cargada:" in capsys.readouterr().out
        assert set(CreditFile.objects.values_list("status", flat=True)) == set(FileStatus.values)
        assert OfficeGoal.objects.get(office__code="ZAC", year=2027).placement_mxn == Decimal("120000000")
        late = Loan.objects.filter(days_past_due__gt=0).exclude(
            applicant__rfc__in=[RESTRUCTURED_RFC, CANANEA_RFC]
        )
        assert late.count() == 1
        # a day is closed after it ends: the demo closes the business day before (1 January is a holiday)
        assert DailyClose.objects.get().business_date == dt.date(2026, 12, 31)
        assert ledger_check(loan_positions=loan_positions()) == []


def test_after_the_demo_today_is_open_for_commission_disbursement_and_payment(demo):
    """A day is closed after it ends: the demo closes through the business day before today, so a user can
    make the demo's formalized file ready, pay its loan's commission and disburse it today, and take a
    payment today on a loan under administration."""
    from filon.demo.scenarios import demo_crew, loan_disburse, requirements_satisfy
    from filon.origination.services import file_ready_to_disburse
    from filon.rules.schema import Stage
    from filon.servicing.payments import payment_apply
    from filon.servicing.services import commission_pay, loan_create_from_file

    today = today_mx()
    assert DailyClose.objects.order_by("business_date").last().business_date < today
    file = CreditFile.objects.get(status=FileStatus.FORMALIZED)
    crew = demo_crew({u.username: u for u in User.objects.all()}, file.office.code)
    requirements_satisfy(file, Stage.PRE_DISBURSEMENT, crew=crew, on=today)
    file = file_ready_to_disburse(user=crew.manager, file=file)
    loan = loan_create_from_file(user=crew.analyst, file=file)
    loan = commission_pay(user=crew.analyst, loan=loan, value_date=today)
    assert loan.opening_commission_paid_on == today
    disbursement = loan_disburse(
        loan,
        amount=loan.contracted_amount,
        value_date=today,
        captured_by=crew.analyst,
        released_by=crew.manager,
    )
    assert disbursement.value_date == today

    active = (
        Loan.objects.filter(status=LoanStatus.ACTIVE, currency="MXN", days_past_due=0)
        .exclude(pk=loan.pk)
        .order_by("number")
        .first()
    )
    assert active is not None
    cashier = demo_crew({u.username: u for u in User.objects.all()}, active.office.code).analyst
    payment = payment_apply(
        user=cashier, loan=active, amount=Decimal("100.00"), value_date=today, idempotency_key="demo-hoy"
    )
    assert payment.value_date == today
    assert ledger_check(loan_positions=loan_positions()) == []
