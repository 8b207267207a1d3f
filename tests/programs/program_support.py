"""Moving a special program's file along: applicants, requirements, program steps, statements.

P-2 and P-4 gave resources until 2014 (their valid_until), so their files live in a frozen 2013 with a FIX
series of that year; P-3 has no end date and lives in the cast's 2026.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from conftest import applicant_data, crew, proposal_data
from filon.applicants.services import applicant_create
from filon.core.calendar import MEXICO_CITY, today_mx
from filon.demo.scenarios import file_authorize, file_to_analysis, file_to_ready, requirements_satisfy
from filon.origination.services import GuaranteeData, file_create, file_propose
from filon.programs.models import StepKind
from filon.programs.services import (
    StatementData,
    financial_statement_add,
    parametric_evaluation_record,
    program_step_record,
    program_steps_ensure,
)
from filon.rules.schema import Stage

# 2013 files read the size thresholds through that year's SMGVDF (64.76 × 365), from the rule set (C-7).
IN_2013 = dt.datetime(2013, 3, 5, 11, 0, tzinfo=MEXICO_CITY)  # a Tuesday inside P-2's and P-4's terms
IN_2026 = dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY)


def fix_2013() -> None:
    from filon.marketdata.models import Observation, Series

    series, _ = Series.objects.get_or_create(code="FIX", defaults={"name": "Tipo de cambio FIX"})
    start = dt.date(2012, 10, 1)
    Observation.objects.bulk_create(
        [
            Observation(series=series, date=start + dt.timedelta(days=i), value=Decimal("12.80"))
            for i in range(500)
        ],
        ignore_conflicts=True,
    )


def trc_users():
    """A Torreón (Coahuila) analyst and manager, for P-4."""
    from filon.accounts.models import RegionalOffice, User

    trc = RegionalOffice.objects.get(code="TRC")
    make = User.objects.create_user
    return (
        make("tomas.trc", password="clave-de-prueba-123", role="analista", office=trc, first_name="Tomás"),
        make(
            "teresa.trc",
            password="clave-de-prueba-123",
            role="gerente_regional",
            office=trc,
            first_name="Teresa",
        ),
    )


def tiie_2013() -> None:
    """An illustrative TIIE 28 for the 2013 credits' rate revisions (not official data: 4.30 % flat, two
    observations a month from October 2012 to December 2015), stored like any import."""
    from filon.marketdata.models import Observation
    from filon.marketdata.services import observations_store

    rows = [
        (dt.date(year, month, day), Decimal("0.0430"))
        for year in (2012, 2013, 2014, 2015)
        for month in range(1, 13)
        for day in (1, 15)
        if (year, month) >= (2012, 10)
    ]
    observations_store(series="TIIE28", rows=rows, source=Observation.Source.SAMPLE)


def hmo_manager():
    """The Hermosillo (Sonora) regional manager, for P-3's credits in Cananea."""
    from filon.accounts.models import RegionalOffice, User

    return User.objects.create_user(
        "hector.hmo",
        password="clave-de-prueba-123",
        role="gerente_regional",
        office=RegionalOffice.objects.get(code="HMO"),
        first_name="Héctor",
    )


def p2_file(
    cast,
    *,
    amount="1500000",
    rfc="MPM120315AB1",
    name="Minera El Potosí Chico, S.A. de C.V.",
    term_months=60,
    grace_months=6,
):
    applicant = applicant_create(user=cast.ana, data=applicant_data(name=name, rfc=rfc)).obj
    return file_create(
        user=cast.ana,
        applicant=applicant,
        proposal=proposal_data(
            program="pequena_mineria",
            amount=Decimal(amount),
            investment_program=Decimal(amount),
            term_months=term_months,
            grace_months=grace_months,
        ),
    )


# P-3 runs 24 months from its liquid-guarantee fund's formalization (3.19): the 2026 files need it recorded.
P3_FORMALIZED_ON = dt.date(2025, 1, 10)


def p3_fund_formalized(cast, on=P3_FORMALIZED_ON):
    """The program's FOCIR fund (created once), formalized on `on`."""
    from filon.funds.models import GuaranteeFund
    from filon.funds.services import fund_create, fund_formalization_record
    from filon.rules import load_ruleset_for_date

    fund = GuaranteeFund.objects.filter(code="FOCIR").first()
    if fund is None:
        entry = load_ruleset_for_date(today_mx()).programs["cananea"].guarantee_funds[0]
        fund = fund_create(
            user=cast.omar, code="FOCIR", name=entry.name, program="cananea", contributor="third_party"
        )
    return fund_formalization_record(user=cast.omar, fund=fund, formalized_on=on)


def p3_file(
    cast,
    *,
    amount="1500000",
    rfc="CMC120315AB1",
    name="Comercializadora Minera de Cananea, S.A. de C.V.",
    term_months=60,
    grace_months=6,
    formalized_on=P3_FORMALIZED_ON,
):
    if formalized_on is not None:
        p3_fund_formalized(cast, formalized_on)
    applicant = applicant_create(
        user=cast.sofia,
        data=applicant_data(
            name=name,
            rfc=rfc,
            state="SON",
            municipality="Cananea",
            activity=1,
            employees=20,
            annual_gross_income_mxn=Decimal("20000000"),
            equity_mxn=Decimal("5000000"),
        ),
    ).obj
    return file_create(
        user=cast.sofia,
        applicant=applicant,
        proposal=proposal_data(
            program="cananea",
            amount=Decimal(amount),
            investment_program=Decimal(amount) + Decimal("100000"),
            term_months=term_months,
            grace_months=grace_months,
        ),
    )


def p4_file(analyst, *, amount="1000000", term_months=60, grace_months=6):
    applicant = applicant_create(
        user=analyst,
        data=applicant_data(
            name="Carbonífera de Sabinas, S.A. de C.V.",
            rfc="CSA120315AB1",
            state="COA",
            municipality="Sabinas",
            activity=16,
        ),
    ).obj
    return file_create(
        user=analyst,
        applicant=applicant,
        proposal=proposal_data(
            program="carbon_coahuila",
            amount=Decimal(amount),
            investment_program=Decimal(amount),
            term_months=term_months,
            grace_months=grace_months,
        ),
    )


def mortgage(file, value):
    return GuaranteeData(
        type="hipoteca_industrial",
        owner=file.applicant.name,
        description="Planta de beneficio y terreno",
        value=Decimal(value),
        appraisal_date=today_mx() - dt.timedelta(days=30),
        appraiser="Valuadores del Norte",
    )


def retention_letter(file):
    return GuaranteeData(
        type="carta_retencion",
        owner="PRODEMI",
        description="Carta de retención de liquidaciones dirigida a PRODEMI",
        value=Decimal("1"),
    )


def program_crew(cast, user, manager=None):
    """`user` captures the documents and a manager of its office approves them (the cast's gerardo approves
    ana's; four eyes), `cast.julia` gives the legal opinions and signs, `manager` signs off and releases."""
    from conftest import another_manager

    reviewer = another_manager(user.office, user)
    return crew(cast, analyst=user, reviewer=reviewer, manager=manager or reviewer)


def analysed(cast, file, *, user, guarantees):
    """Guarantees, every authorization requirement met (reviewed by `cast.julia` where legal), analysis."""
    return file_to_analysis(file, crew=program_crew(cast, user), guarantees=guarantees)


def satisfy_as(cast, user, file, stage=Stage.AUTHORIZATION):
    requirements_satisfy(file, stage, crew=program_crew(cast, user))


def statement(user, applicant, *, ebitda="3000000", debt="5000000", service="200000"):
    return financial_statement_add(
        user=user,
        applicant=applicant,
        data=StatementData(
            period_end=dt.date(today_mx().year - 1, 12, 31),
            revenue_mxn=Decimal("20000000"),
            operating_costs_mxn=Decimal("17000000"),
            ebitda_mxn=Decimal(ebitda),
            debt_service_mxn=Decimal(service),
            total_debt_mxn=Decimal(debt),
            equity_mxn=Decimal("30000000"),
        ),
    )


def steps_due_before(user, file, stage: Stage) -> list:
    """The program steps due before `stage` (rule set steps[].due) recorded done; the ones it recorded."""
    done = []
    for step in program_steps_ensure(file=file):
        if step.due == stage.value and step.kind != StepKind.PARAMETRIC and step.status != "done":
            done.append(
                program_step_record(
                    user=user, step=step, status="done", document=f"Constancia del paso {step.number}"
                )
            )
    return done


def to_ready_as(cast, file, *, analyst, manager):
    """An authorized program file through contracting (its documents, the steps due before formalization,
    the signature by legal) and release (the steps due before it, the pre-disbursement documents)."""
    return file_to_ready(
        file,
        crew=program_crew(cast, analyst, manager),
        steps=lambda file, stage: steps_due_before(analyst, file, stage),
    )


def steps_done(user, file, *, parametric=True, favorable=True):
    """Every program step done by hand, the parametric one by a recorded evaluation."""
    evaluation = None
    for step in program_steps_ensure(file=file):
        if step.kind == StepKind.PARAMETRIC:
            if parametric:
                evaluation = parametric_evaluation_record(
                    user=user, file=file, technical_opinion_favorable=favorable
                )
            continue
        program_step_record(
            user=user, step=step, status="done", document=f"Constancia del paso {step.number}"
        )
    return evaluation


def propose_and_authorize(cast, file, *, proposer, resolved_on=None):
    file_propose(user=proposer, file=file)
    return file_authorize(file, crew=crew(cast), on=resolved_on or today_mx())
