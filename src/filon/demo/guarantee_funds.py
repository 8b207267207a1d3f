"""The demo portfolio's guarantee funds (Rules, Chapter II), built through the real services:

- FOCIR (P-3 Cananea, 3.4): set up and formalized seven months ago (the program's term runs from it, 3.19),
  its 6 million contributed and a month of its interest recorded (FIFOMI's income, never the fund's);
- a Cananea credit of the Hermosillo office (its statements, the parametric evaluation, the program's
  steps, the Comité Interno), disbursed five months ago and never paid: the regional manager applies
  FOCIR to it, which pays its 30 % share of the losses;
- FOGAMICO (P-4 Coahuila, 4.2) with the State of Coahuila's contribution, and the State of Zacatecas' fund
  of Pequeña Minería (P-2 2.4) with two contributions.

Called once by `demo.portfolio` while it builds, before the books are closed through the business day before
today; every movement goes through `filon.funds.services` and so through the ledger.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from filon.accounts.models import User
from filon.applicants.services import ApplicantData
from filon.committees.models import Decision
from filon.core.calendar import is_business_day, previous_business_day
from filon.core.money import format_money
from filon.demo.scenarios import (
    applicant_open,
    committee_session,
    demo_crew,
    file_open,
    file_to_analysis,
    file_to_ready,
    loan_open,
)
from filon.funds.models import GuaranteeFund
from filon.funds.selectors import fund_balance, program_fund_rules
from filon.funds.services import (
    fund_contribute,
    fund_cover_default,
    fund_create,
    fund_formalization_record,
    fund_interest_record,
)
from filon.origination.models import CreditFile
from filon.origination.services import GuaranteeData, ProposalData, file_propose, file_signoff
from filon.programs.models import StepKind
from filon.programs.services import (
    StatementData,
    financial_statement_add,
    parametric_evaluation_record,
    program_step_record,
    program_steps_ensure,
)
from filon.rules.schema import Stage
from filon.servicing.models import Loan

COMMITTEE = "comite_interno"
CANANEA_RFC = "MSC110520RT4"


def _back(today: date, days: int) -> date:
    day = today - timedelta(days=days)
    return day if is_business_day(day) else previous_business_day(day)


def _fund(user: User, code: str, program: str, contributor: str, state: str = "") -> GuaranteeFund:
    """A fund named as the rule set names the program's fund (and its contributing state)."""
    name = program_fund_rules(program)[0].name + (f" — aportación del estado {state}" if state else "")
    return fund_create(user=user, code=code, name=name, program=program, contributor=contributor, state=state)


def _steps_before(user: User, file: CreditFile, stage: Stage) -> None:
    for step in program_steps_ensure(file=file):
        if step.due == stage.value and step.kind != StepKind.PARAMETRIC and step.status != "done":
            program_step_record(
                user=user, step=step, status="done", document=f"Constancia del paso {step.number}"
            )


def _cananea_credit(users: dict[str, User], today: date) -> Loan:
    crew = demo_crew(users, "HMO")
    applied, session, signed = _back(today, 185), _back(today, 170), _back(today, 163)
    applicant = applicant_open(
        crew=crew,
        data=ApplicantData(
            person_type="moral",
            name="Metalmecánica y Servicios de Cananea, S.A. de C.V.",
            rfc=CANANEA_RFC,
            state="SON",
            municipality="Cananea",
            address="Avenida Juárez 210",
            postal_code="84620",
            activity=1,
            mining_class="no_concesible",
            employees=20,
            equity_mxn=Decimal("5000000"),
            annual_gross_income_mxn=Decimal("20000000"),
            years_of_sales=Decimal("5"),
        ),
    )
    file = file_open(
        crew=crew,
        applicant=applicant,
        proposal=ProposalData(
            program="cananea",
            credit_type="refaccionario",
            currency="MXN",
            amount=Decimal("1500000"),
            investment_program=Decimal("1600000"),
            term_months=12,
            grace_months=0,
            purpose="Torno CNC y fresadora para refacciones de la mina",
            application_date=applied,
        ),
        guarantees=[
            GuaranteeData(
                type="hipoteca_industrial",
                owner=applicant.name,
                description="Taller metalmecánico y terreno en Cananea",
                value=Decimal("3000000"),
                appraisal_date=_back(today, 200),
                appraiser="Valuadores del Norte, S.C.",
                insurer="Aseguradora Minera del Centro, S.A.",
                policy_number="IND-MSC-0520",
                fifomi_preferred_beneficiary=True,
            )
        ],
    )
    file_to_analysis(file, crew=crew, on=applied)
    financial_statement_add(
        user=crew.analyst,
        applicant=applicant,
        data=StatementData(
            period_end=date(applied.year - 1, 12, 31),
            revenue_mxn=Decimal("20000000"),
            operating_costs_mxn=Decimal("17000000"),
            ebitda_mxn=Decimal("3000000"),
            debt_service_mxn=Decimal("200000"),
            total_debt_mxn=Decimal("5000000"),
            equity_mxn=Decimal("30000000"),
        ),
    )
    parametric_evaluation_record(user=crew.analyst, file=file, technical_opinion_favorable=True)
    _steps_before(crew.analyst, file, Stage.AUTHORIZATION)
    file = file_propose(user=crew.analyst, file=file)
    file_signoff(user=crew.manager, file=file, note="Visto bueno de la gerencia regional.")
    committee_session(crew=crew, committee=COMMITTEE, day=session, matters=[(file, Decision.AUTHORIZED, "")])
    file.refresh_from_db()
    file_to_ready(
        file, crew=crew, signed=signed, steps=lambda f, stage: _steps_before(crew.analyst, f, stage)
    )
    return loan_open(file, crew=crew, value_date=signed, disburse=Decimal("1500000"), disbursed_on=signed)


def funds_build(*, users: dict[str, User], today: date) -> list[str]:
    direction = users["direccion"]
    focir = _fund(direction, "FOCIR", "cananea", "third_party")
    fund_formalization_record(user=direction, fund=focir, formalized_on=_back(today, 210))
    fund_contribute(
        user=direction,
        fund=focir,
        amount=Decimal("6000000"),
        on=_back(today, 200),
        description="Aportación del FONDO PYME por conducto del FOCIR",
    )
    fund_interest_record(user=direction, fund=focir, amount=Decimal("31250.00"), on=_back(today, 30))
    loan = _cananea_credit(users, today)
    payout_on = today if is_business_day(today) else previous_business_day(today)
    payout = fund_cover_default(
        user=users["gerente.hmo"], fund=focir, loan=loan, on=payout_on, idempotency_key="DEMO-focir-1"
    )

    fogamico = _fund(direction, "FOGAMICO", "carbon_coahuila", "state", "COA")
    fund_contribute(
        user=direction,
        fund=fogamico,
        amount=Decimal("16660000"),
        on=_back(today, 150),
        description="Aportación del Gobierno del Estado de Coahuila (4.2)",
    )
    p2 = _fund(direction, "FG-P2-ZAC", "pequena_mineria", "state", "ZAC")
    for days, amount in ((140, "3000000"), (45, "2000000")):
        fund_contribute(
            user=direction,
            fund=p2,
            amount=Decimal(amount),
            on=_back(today, days),
            description="Aportación del Gobierno del Estado de Zacatecas (2.4)",
        )
    lines = [
        f"Fondo {fund.code}: saldo {format_money(fund_balance(fund))}, {fund.movements.count()} movimientos"
        for fund in (focir, fogamico, p2)
    ]
    lines.append(f"El FOCIR pagó {format_money(payout.amount)} del crédito vencido {loan.number}")
    return lines
