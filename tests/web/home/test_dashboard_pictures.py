"""The home pages' pictures: the figures each chart draws, read through the domain selectors, and the pages
of each role with the chart and its table, its first question first."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from conftest import crew, to_proposed, to_ready
from filon.accounts.models import RegionalOffice
from filon.applicants.models import Applicant, CompanyGroup
from filon.committees.selectors import committee_name, resolutions_by_committee
from filon.core.calendar import today_mx
from filon.demo.scenarios import file_authorize, file_to_complete, loan_open
from filon.funds.selectors import fund_usage
from filon.funds.services import fund_contribute, fund_create
from filon.goals.selectors import placement_monthly_for_user
from filon.goals.services import goal_set
from filon.origination.models import CreditFile
from filon.origination.selectors import stage_times
from filon.rules import load_ruleset_for_date
from filon.servicing.models import Loan
from filon.servicing.selectors import (
    portfolio_concentration,
    portfolio_quality,
    portfolio_quality_by_office,
)
from filon.worklist.selectors import office_queue

pytestmark = pytest.mark.django_db

DISBURSED = Decimal("4000000")


def _loan(cast, credit_file) -> Loan:
    """The Zacatecas file's loan, contracted on 1 January of this year, with a first disbursement today."""
    to_ready(cast, credit_file)
    loan = loan_open(credit_file, crew=crew(cast), disburse=DISBURSED)
    Loan.objects.filter(pk=loan.pk).update(contract_date=date(today_mx().year, 1, 1))
    loan.refresh_from_db()
    return loan


def _clone(loan: Loan, number: str, **fields) -> Loan:
    """Another active loan like `loan` (no file), with `fields` changed: portfolio figures to assert."""
    copy = Loan.objects.get(pk=loan.pk)
    copy.pk = None
    copy.file = None
    copy.number = number
    for name, value in fields.items():
        setattr(copy, name, value)
    copy.save()
    return copy


def test_placement_by_month_counts_contracted_and_disbursed(cast, credit_file, sample_rates):
    loan = _loan(cast, credit_file)
    today = today_mx()
    goal_set(user=cast.omar, office=cast.zac, year=today.year, placement_mxn=Decimal("120000000"))
    rows = placement_monthly_for_user(user=cast.ana, year=today.year, today=today)
    assert [row.office.code for row in rows] == ["ZAC"]  # a regional user sees its own office
    (zac,) = rows
    assert zac.target == Decimal("120000000")
    assert len(zac.contracted) == len(zac.disbursed) == today.month
    assert zac.contracted[0] == zac.contracted[-1] == loan.contracted_amount  # contracted in January
    assert zac.disbursed[-1] == DISBURSED
    if today.month > 1:
        assert zac.disbursed[-2] == 0  # the money left this month
    central = {row.office.code: row for row in placement_monthly_for_user(user=cast.omar, year=today.year)}
    assert len(central) == RegionalOffice.objects.count()
    assert central["HMO"].target is None
    assert central["HMO"].contracted[-1] == 0


def test_portfolio_quality_par_and_aging(cast, credit_file, sample_rates):
    loan = _loan(cast, credit_file)
    Loan.objects.filter(pk=loan.pk).update(principal_balance=Decimal("1000000"), days_past_due=0)
    loan.refresh_from_db()
    _clone(loan, "T-31", principal_balance=Decimal("3000000"), days_past_due=45)
    _clone(loan, "T-91", principal_balance=Decimal("1000000"), days_past_due=120, classification="vencida")
    _clone(loan, "T-HMO", office=cast.hmo, principal_balance=Decimal("2000000"), days_past_due=31)
    q = portfolio_quality(user=cast.ana, on=today_mx())  # Zacatecas only
    assert (q.loans, q.principal) == (3, Decimal("5000000"))
    assert (q.par30, q.par90) == (Decimal("0.8000"), Decimal("0.2000"))
    assert [(b.label, b.loans, b.principal) for b in q.aging] == [
        ("Al corriente", 1, Decimal("1000000")),
        ("1–30 días", 0, Decimal(0)),
        ("31–60 días", 1, Decimal("3000000")),
        ("61–90 días", 0, Decimal(0)),
        ("Más de 90 días", 1, Decimal("1000000")),
    ]
    assert [(b.label, b.principal) for b in q.by_class] == [
        ("Cartera vigente", Decimal("4000000")),
        ("Cartera vencida", Decimal("1000000")),
    ]
    everyone = portfolio_quality(user=cast.ramon, on=today_mx())
    assert everyone.principal == Decimal("7000000")
    assert everyone.par30 == Decimal("0.8571")  # 6 of 7 millions more than 30 days late
    by_office = portfolio_quality_by_office(user=cast.omar, on=today_mx())
    assert by_office[cast.hmo.pk].par30 == Decimal("1.0000")
    assert by_office[cast.hmo.pk].par90 == 0
    states = portfolio_concentration(user=cast.ramon, by="state", on=today_mx())
    assert next((s.key, s.principal) for s in states) == (credit_file.applicant.state, Decimal("7000000"))
    assert states[0].label == load_ruleset_for_date(today_mx()).offices.states[states[0].key]
    groups = portfolio_concentration(user=cast.ramon, by="group", on=today_mx())
    assert [(s.label, s.share) for s in groups] == [("Sin grupo", Decimal("1.0000"))]


def _file_copy(file: CreditFile, folio: str, **dates) -> None:
    copy = CreditFile.objects.get(pk=file.pk)
    copy.pk = None
    copy.folio = folio
    for name, value in dates.items():
        setattr(copy, name, value)
    copy.save()


def test_median_days_in_stage_against_the_rules_clocks(cast, credit_file):
    monday = date(2026, 10, 5)
    clocked = {"requirements_complete_on": monday, "attention_deadline": date(2026, 10, 30)}
    _file_copy(credit_file, "T-1", **clocked, authorized_on=date(2026, 10, 7))  # 2 business days
    _file_copy(credit_file, "T-2", **clocked, authorized_on=date(2026, 10, 9))  # 4
    _file_copy(
        credit_file,
        "T-3",
        **clocked,
        authorized_on=date(2026, 10, 19),  # 10
        contract_signed_on=date(2026, 10, 29),  # 10 calendar days to formalize
    )
    _file_copy(credit_file, "T-4", **clocked)  # still in attention: not counted
    stages = {s.key: s for s in stage_times(user=cast.ana)}
    ruleset = load_ruleset_for_date(today_mx())
    attention = stages["attention"]
    assert (attention.files, attention.median_days) == (3, Decimal(4))
    assert attention.business_days
    assert (attention.clock_days, attention.rule) == (
        ruleset.attention_time.business_days,
        ruleset.attention_time.rule,
    )
    formalization = stages["formalization"]
    assert (formalization.files, formalization.median_days) == (1, Decimal(10))
    assert formalization.clock_days == ruleset.authorization.validity_calendar_days
    assert stages_for_other_office(cast) == 0


def stages_for_other_office(cast) -> int:
    return sum(s.files for s in stage_times(user=cast.sofia))


def test_committee_outcomes_and_fund_usage(client, cast, credit_file):
    to_proposed(cast, credit_file)
    file_authorize(credit_file, crew=crew(cast), committee="comite_interno")  # by a session of it
    year = today_mx().year
    assert resolutions_by_committee(user=cast.omar, year=year) == [
        ("comite_interno", committee_name("comite_interno"), {"authorized": 1})
    ]
    assert resolutions_by_committee(user=cast.ana, year=year)[0][2] == {"authorized": 1}
    assert resolutions_by_committee(user=cast.sofia, year=year) == []  # another office's matter
    fund = fund_create(
        user=cast.omar,
        code="PM-ZAC",
        name="Fondo del Gobierno del Estado de Zacatecas",
        program="pequena_mineria",
        contributor="state",
        state="ZAC",
    )
    fund_contribute(user=cast.omar, fund=fund, amount=Decimal("500000"), on=today_mx())
    (usage,) = fund_usage(user=cast.ramon)
    assert (usage.contributed, usage.used, usage.available) == (Decimal("500000"), 0, Decimal("500000"))
    direction = _page(client, cast.omar)
    assert '<title id="fondos-uso-t">' in direction
    assert "PM-ZAC Fondo del Gobierno" in direction
    assert '<title id="comites-resoluciones-t">' in direction
    assert "PM-ZAC" not in _page(client, cast.ana)  # funds are a central matter


def _page(client, user) -> str:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_each_role_sees_its_first_question_first_with_chart_and_table(
    client, cast, credit_file, sample_rates
):
    _loan(cast, credit_file)
    year = today_mx().year
    goal_set(
        user=cast.omar,
        office=cast.zac,
        year=year,
        placement_mxn=Decimal("120000000"),
        technical_assistance_services=10,
        training_courses=2,
        training_participants=40,
    )
    offices = RegionalOffice.objects.count()

    analyst = _page(client, cast.ana)
    assert analyst.index("Mis pendientes") < analyst.index("Tiempo de atención")
    assert 'id="colocacion-mensual-ZAC-t"' in analyst  # the office's goal month by month
    assert "<caption>Colocación acumulada de" in analyst
    assert ">Contratado<" in analyst
    assert ">Dispuesto<" in analyst
    assert ">Meta<" in analyst
    assert "$120,000,000.00" in analyst

    direction = _page(client, cast.omar)
    assert direction.index("Gerencias lado a lado") < direction.index("Expedientes por gerencia y estado")
    assert 'role="img" aria-labelledby="gerencias-colocacion-t gerencias-colocacion-d"' in direction
    assert "PAR30" in direction
    assert f"{offices - 1} gerencias sin meta" in direction  # folded, not ten rows of «sin meta»
    assert direction.count(">sin meta<") == 0
    assert 'id="meta-courses-t"' in direction  # training against its goal

    group = CompanyGroup.objects.create(name='<b onmouseover="x()">Grupo</b>')
    Applicant.objects.filter(pk=credit_file.applicant_id).update(group=group)
    risk = _page(client, cast.ramon)
    assert "&lt;b onmouseover=&quot;x()&quot;&gt;Grupo&lt;/b&gt;" in risk  # labels are escaped
    assert "<b onmouseover" not in risk
    assert risk.index("Calidad de la cartera") < risk.index("Versiones de las reglas de operación")
    for key in ("cartera-atraso", "concentracion-activity", "concentracion-state", "concentracion-group"):
        assert f'<title id="{key}-t">' in risk
    assert 'id="expedientes-tiempos-t"' in risk or 'id="expedientes-estado-t"' in risk

    manager = _page(client, cast.gerardo)
    assert ("Pendientes de cada persona de la gerencia" in manager) == bool(office_queue(cast.gerardo))
    for user in (cast.gerardo, cast.sergio, cast.julia, cast.marta):
        page = _page(client, user)
        assert page.count("<svg") == page.count('role="img"')


def test_the_manager_sees_each_persons_queue(client, cast, credit_file):
    file_to_complete(credit_file, crew=crew(cast))  # the attention clock runs: the file waits for ana
    team = office_queue(cast.gerardo)
    assert [person.username for person in team] == ["ana.zac"]
    manager = _page(client, cast.gerardo)
    assert "<caption>Pendientes de cada persona de la gerencia</caption>" in manager
    assert f'<th scope="row">{team[0].name}</th><td class="num">{len(team[0].items)}</td>' in manager
    assert "Pendientes de cada persona" not in _page(client, cast.ana)
