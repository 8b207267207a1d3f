"""The demo portfolio's restructured and closed loans, built through the real services with the scenario
builder:

- a Zacatecas credit that paid its first installment and nothing more: its regional manager asks the
  committee to write it off, the Comité Interno authorizes it, the write-off is applied (the first-tier
  program has no guarantee fund) and a partial recovery is booked;
- a Hermosillo credit late since its third installment: its analyst proposes a longer term, the same
  session of the Comité Interno authorizes it, and the restructuring gives it a new schedule;
- a Chihuahua credit paid installment by installment to the last: «liquidado» with its date, its carta de
  finiquito ready to download, and the legal area records the release of its mortgage.

Called once by `demo.portfolio` while it builds, before the books are closed through the business day before today.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from filon.accounts.models import User
from filon.applicants.services import ApplicantData
from filon.committees.models import Decision
from filon.committees.services import (
    agenda_add_loan_request,
    resolution_record,
    session_attendance,
    session_close,
    session_convene,
    session_hold,
    vote_cast,
)
from filon.core.calendar import is_business_day, previous_business_day
from filon.demo.scenarios import (
    PLACE,
    Crew,
    applicant_open,
    committee_session,
    demo_crew,
    file_open,
    file_to_proposed,
    file_to_ready,
    installments_pay,
    loan_open,
)
from filon.origination.models import FileGuarantee, LoanRequest
from filon.origination.services import GuaranteeData, ProposalData
from filon.servicing.models import Loan
from filon.servicing.payoff import guarantee_release_record
from filon.servicing.restructuring import RestructuringTerms, restructuring_apply, restructuring_propose
from filon.servicing.writeoff import recovery_record, write_off_apply, write_off_request_create

COMMITTEE = "comite_interno"
RESTRUCTURED_RFC = "MDS080715QW3"  # its arrears stay counted until it shows sustained payment


def _back(today: date, days: int) -> date:
    day = today - timedelta(days=days)
    return day if is_business_day(day) else previous_business_day(day)


def _loan(
    crew: Crew, data: ApplicantData, proposal: ProposalData, guarantee: GuaranteeData, today: date, days: int
) -> Loan:
    """A new applicant's file opened `days` ago, proposed, authorized by the Comité Interno, signed and
    disbursed in full within the following five weeks."""
    applied = _back(today, days)
    proposal.application_date = applied
    file = file_open(
        crew=crew, applicant=applicant_open(crew=crew, data=data), proposal=proposal, guarantees=[guarantee]
    )
    file_to_proposed(file, crew=crew, on=applied)
    committee_session(
        crew=crew, committee=COMMITTEE, day=_back(today, days - 25), matters=[(file, Decision.AUTHORIZED, "")]
    )
    signed = _back(today, days - 30)
    file_to_ready(file, crew=crew, signed=signed)
    return loan_open(
        file, crew=crew, value_date=signed, disburse=proposal.amount, disbursed_on=_back(today, days - 33)
    )


def _proposal(credit_type: str, amount: str, term: int, purpose: str) -> ProposalData:
    value = Decimal(amount)
    return ProposalData(
        program="primer_piso",
        credit_type=credit_type,
        currency="MXN",
        amount=value,
        investment_program=value * Decimal("1.15"),
        term_months=term,
        grace_months=0,
        purpose=purpose,
    )


def _mortgage(owner: str, value: str, appraised: date, description: str) -> GuaranteeData:
    return GuaranteeData(
        type="hipoteca_industrial",
        owner=owner,
        description=description,
        value=Decimal(value),
        appraisal_date=appraised,
        appraiser="Valuadores Asociados del Centro, S.C.",
        insurer="Aseguradora Minera del Centro, S.A.",
        policy_number=f"IND-{owner[:6].upper()}",
        fifomi_preferred_beneficiary=True,
    )


def _written_off(users: dict[str, User], today: date) -> tuple[Loan, LoanRequest]:
    crew = demo_crew(users, "ZAC")
    name = "Minera El Socavón, S.A. de C.V."
    data = ApplicantData(
        person_type="moral",
        name=name,
        rfc="MSO100512AB3",
        state="ZAC",
        municipality="Sombrerete",
        address="Camino a San Martín 12",
        postal_code="99100",
        activity=21,
        mining_class="concesible",
        sector="industria",
        primary_extraction=True,
        employees=40,
        equity_mxn=Decimal("12000000"),
        annual_gross_income_mxn=Decimal("45000000"),
        production_tons_month=Decimal("900"),
        years_of_sales=Decimal("5"),
    )
    proposal = _proposal("habilitacion_avio", "3000000", 24, "Capital de trabajo: explosivos y acarreo")
    mortgage = _mortgage(name, "7500000", _back(today, 240), "Plantel y bodega en Sombrerete")
    loan = _loan(crew, data, proposal, mortgage, today, 200)
    # The first installment paid on its date, then nothing: the mine closed.
    installments_pay(loan, user=crew.analyst, through=today, stop_after=1)
    return loan, write_off_request_create(
        user=crew.manager,
        loan=loan,
        reason="La mina cerró y el acreditado no tiene bienes adicionales; la hipoteca está en litigio.",
        on=_back(today, 20),
    )


def _restructuring(users: dict[str, User], today: date) -> tuple[Loan, LoanRequest]:
    crew = demo_crew(users, "HMO")
    name = "Minerales del Desierto de Sonora, S.A. de C.V."
    data = ApplicantData(
        person_type="moral",
        name=name,
        rfc=RESTRUCTURED_RFC,
        state="SON",
        municipality="Caborca",
        address="Carretera a Sonoyta km 22",
        postal_code="83600",
        activity=21,
        mining_class="concesible",
        sector="industria",
        primary_extraction=True,
        employees=70,
        equity_mxn=Decimal("26000000"),
        annual_gross_income_mxn=Decimal("80000000"),
        production_tons_month=Decimal("1500"),
        years_of_sales=Decimal("7"),
    )
    proposal = _proposal("refaccionario", "5000000", 24, "Trituradora secundaria y banda transportadora")
    mortgage = _mortgage(name, "12500000", _back(today, 250), "Planta y patio de mineral en Caborca")
    loan = _loan(crew, data, proposal, mortgage, today, 210)
    installments_pay(loan, user=crew.analyst, through=today, stop_after=2)  # late since the third
    request = restructuring_propose(
        user=crew.analyst,
        loan=loan,
        terms=RestructuringTerms(term_months=30),
        reason="Caída del precio del cobre: se propone pagar el saldo en 30 meses.",
        on=_back(today, 20),
    )
    return loan, request


def _authorize(users: dict[str, User], today: date, requests: list[LoanRequest]) -> None:
    """One session of the Comité Interno authorizes the requests on the loans, every member in favour."""
    crew = demo_crew(users, "ZAC")
    secretary = crew.secretary
    assert secretary is not None
    session = session_convene(user=secretary, committee=COMMITTEE, date=_back(today, 15), place=PLACE)
    session_attendance(user=secretary, session=session, members=list(crew.members))
    items = [agenda_add_loan_request(user=secretary, session=session, request=r) for r in requests]
    session_hold(user=secretary, session=session)
    for item in items:
        for member in crew.members:
            vote_cast(user=member, item=item, vote="favor")
        resolution_record(user=secretary, item=item, decision=Decision.AUTHORIZED)
    session_close(user=secretary, session=session)
    for request in requests:
        request.refresh_from_db()


def _close_written_off(users: dict[str, User], today: date, loan: Loan, request: LoanRequest) -> None:
    """The committee's write-off applied, then what a guarantor paid booked as a recovery."""
    crew = demo_crew(users, "ZAC")
    write_off_apply(user=crew.manager, loan=loan, request=request, idempotency_key="DEMO-castigo", on=today)
    recovery_record(
        user=crew.analyst,
        loan=loan,
        amount=Decimal("450000"),
        value_date=today,
        idempotency_key="DEMO-recuperacion",
    )


def _paid_off(users: dict[str, User], today: date) -> Loan:
    crew = demo_crew(users, "CHI")
    name = "Agregados Pétreos del Norte, S.A. de C.V."
    data = ApplicantData(
        person_type="moral",
        name=name,
        rfc="APN090315KL2",
        state="CHH",
        municipality="Chihuahua",
        address="Carretera a Aldama km 8",
        postal_code="31000",
        activity=31,
        mining_class="no_concesible",
        sector="industria",
        primary_extraction=True,
        employees=60,
        equity_mxn=Decimal("18000000"),
        years_of_sales=Decimal("11"),
    )
    proposal = _proposal("habilitacion_avio", "1800000", 6, "Capital de trabajo: diésel y refacciones")
    mortgage = _mortgage(name, "4500000", _back(today, 290), "Planta de trituración en Aldama")
    loan = _loan(crew, data, proposal, mortgage, today, 260)
    installments_pay(loan, user=crew.analyst, through=today)  # every installment on its date: liquidado
    loan.refresh_from_db()
    for guarantee in FileGuarantee.objects.filter(file_id=loan.file_id):
        guarantee_release_record(
            user=crew.legal,
            loan=loan,
            guarantee=guarantee,
            released_on=today,
            instrument="Escritura 10,482 de cancelación de hipoteca, Notaría 7 de Chihuahua",
            notes="Inscrita en el Registro Público de la Propiedad de Aldama.",
        )
    return loan


def closing_build(*, users: dict[str, User], today: date) -> list[Loan]:
    """The written-off loan (with its partial recovery), the restructured loan and the paid-off loan (its
    guarantees released). The committee's decisions are dated today, so both are applied today."""
    written_off, write_off_request = _written_off(users, today)
    restructured, restructuring_request = _restructuring(users, today)
    _authorize(users, today, [write_off_request, restructuring_request])
    _close_written_off(users, today, written_off, write_off_request)
    restructuring_apply(
        user=demo_crew(users, "HMO").manager,
        loan=restructured,
        request=restructuring_request,
        value_date=today,
        idempotency_key="DEMO-reestructura",
    )
    return [written_off, restructured, _paid_off(users, today)]
