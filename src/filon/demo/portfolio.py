"""The demo portfolio that `filon demo load` puts in the database: applicants, credit files at every stage,
committee sessions, loans with their payments and the offices' goals.

Everything is written through the same services the web, the API and the command line call (applicant
capture, file transitions, requirements, guarantees, committee sessions, formalization, loans, commission,
disbursements, payments, the daily close, goals), so the demo obeys the rules and the ledger checks clean.
Dates are relative to the day it runs, on Mexican bank business days: the oldest loans were contracted
about five months ago, so the catch-up of the daily close stays short.

Loading is idempotent: a database that already has the portfolio (found by its first applicant's RFC) is
not loaded again; only the daily close is brought up to date, as `filon close` would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from filon.accounts.models import RegionalOffice, User
from filon.applicants.models import Applicant
from filon.applicants.services import ApplicantData
from filon.committees.models import CommitteeSession, Decision
from filon.core.calendar import add_business_days, is_business_day, previous_business_day, today_mx
from filon.core.money import format_money
from filon.demo.amendments import illustrative_p2_extension
from filon.demo.chains import chains_build
from filon.demo.closing import closing_build
from filon.demo.guarantee_funds import funds_build
from filon.demo.scenarios import (
    Crew,
    applicant_open,
    committee_session,
    demo_crew,
    file_open,
    file_to_analysis,
    file_to_complete,
    file_to_formalized,
    file_to_proposed,
    file_to_ready,
    guarantees_add,
    installments_pay,
    loan_disburse,
    loan_open,
    requirements_satisfy,
)
from filon.goals.models import PartnerOrganization, TrainingEvent
from filon.goals.services import (
    goal_set,
    partner_create,
    technical_assistance_record,
    training_event_record,
    training_participant_add,
)
from filon.origination.models import CreditFile, FileStatus
from filon.origination.services import GuaranteeData, ProposalData, file_cancel, files_expire
from filon.rules.schema import Stage
from filon.servicing.close import close_through, last_close_date
from filon.servicing.models import Installment, Loan, LoanStatus

MARKER_RFC = "BMC090804KL8"  # the first demo applicant: its presence means the portfolio is loaded
COMMITTEE = "comite_interno"
# Yearly goals of the current year (SPEC G-1): office, placement (MXN), TA services, courses, participants.
GOALS: list[tuple[str, Decimal, int, int, int]] = [
    ("ZAC", Decimal("120000000"), 48, 6, 180),
    ("HMO", Decimal("85000000"), 36, 4, 120),
    ("CHI", Decimal("60000000"), 30, 4, 100),
]
ZERO = Decimal(0)
# Borrowers who pay every installment on its date (the late one, Minera La Veta Madre, stopped paying).
ON_TIME = (MARKER_RFC, "SMZ110227QR4", "MPF150610K27", "CDE140822PN5")
RATE_SERIES = ("FIX", "TIIE_FONDEO", "TERM_SOFR_1M")  # FX of the evaluations; MXN and USD loan bases


class PortfolioSkipped(Exception):
    """The database cannot take the portfolio (e.g. its books are closed past the demo's dates)."""


@dataclass
class Summary:
    loaded: bool
    applicants: int = 0
    files: dict[str, int] = field(default_factory=dict)
    sessions: list[str] = field(default_factory=list)
    loans: list[str] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)
    training: list[str] = field(default_factory=list)
    money_around: list[str] = field(default_factory=list)  # the factoring chain and the guarantee funds
    closed_through: date | None = None

    def lines(self) -> list[str]:
        head = "Cartera de demostración cargada:" if self.loaded else "Cartera de demostración (ya estaba):"
        labels = dict(FileStatus.choices)
        out = [
            head,
            f"  Solicitantes: {self.applicants}",
            "  Expedientes por estado: "
            + ", ".join(f"{labels[s]} {self.files.get(s, 0)}" for s in FileStatus.values),
            *[f"  Sesión {s}" for s in self.sessions],
            *[f"  Crédito {line}" for line in self.loans],
            *[f"  Meta {line}" for line in self.goals],
            *[f"  {line}" for line in self.training],
            *[f"  {line}" for line in self.money_around],
        ]
        if self.closed_through:
            out.append(f"  Cierre diario al {self.closed_through:%d/%m/%Y}")
        return out


# ------------------------------------------------------------------------------------------- dates


def _business_on_or_before(day: date) -> date:
    return day if is_business_day(day) else previous_business_day(day)


@dataclass(frozen=True)
class Calendar:
    """The demo's dates, all relative to `today` (business days where the operation needs one)."""

    today: date

    def back(self, days: int) -> date:
        return _business_on_or_before(self.today - timedelta(days=days))

    def after(self, day: date, business_days: int) -> date:
        return add_business_days(day, business_days)

    @property
    def old_session(self) -> date:  # authorizes the loans (and the authorization that expires)
        return self.back(165)

    @property
    def recent_session(self) -> date:
        return self.back(16)

    @property
    def next_session(self) -> date:
        return add_business_days(self.today, 4)


# ----------------------------------------------------------------------------------------- the cast


@dataclass
class Staff:
    users: dict[str, User]

    def __getitem__(self, username: str) -> User:
        return self.users[username]

    def analyst(self, office: str) -> User:
        return self.users[f"analista.{office.lower()}"]

    def manager(self, office: str) -> User:
        return self.users[f"gerente.{office.lower()}"]

    def crew(self, office: str) -> Crew:
        return demo_crew(self.users, office)


def _applicant(staff: Staff, office: str, **values: Any) -> Applicant:
    defaults: dict[str, Any] = {
        "person_type": "moral",
        "mining_class": "no_concesible",
        "sector": "industria",
    }
    return applicant_open(crew=staff.crew(office), data=ApplicantData(**{**defaults, **values}))


def _applicants(staff: Staff) -> dict[str, Applicant]:
    d = Decimal
    return {
        # Zacatecas (and Aguascalientes, which the Zacatecas office serves)
        "beneficiadora": _applicant(
            staff,
            "ZAC",
            name="Beneficiadora de Minerales del Centro, S.A. de C.V.",
            rfc=MARKER_RFC,
            state="AGU",
            municipality="Tepezalá",
            address="Carretera a Tepezalá km 12",
            postal_code="20600",
            activity=24,
            employees=65,
            equity_mxn=d("24000000"),
            years_of_sales=d("9"),
            years_satisfactory_with_fifomi=d("3"),
        ),
        "veta_madre": _applicant(
            staff,
            "ZAC",
            name="Minera La Veta Madre, S.A. de C.V.",
            rfc="MVM120315AB4",
            state="ZAC",
            municipality="Fresnillo",
            address="Camino a Plateros 45",
            postal_code="99000",
            activity=21,
            mining_class="concesible",
            primary_extraction=True,
            employees=85,
            equity_mxn=d("30000000"),
            annual_gross_income_mxn=d("150000000"),
            production_tons_month=d("2000"),
            years_of_sales=d("6"),
        ),
        "servicios": _applicant(
            staff,
            "ZAC",
            name="Servicios Mineros de Zacatecas, S.A. de C.V.",
            rfc="SMZ110227QR4",
            state="ZAC",
            municipality="Guadalupe",
            address="Parque Industrial Guadalupe, nave 7",
            postal_code="98600",
            activity=35,  # prestadores de servicios al sector minero: a supplier of the mines
            sector="servicios",
            employees=38,
            equity_mxn=d("14000000"),
            years_of_sales=d("12"),
        ),
        "plata_fina": _applicant(
            staff,
            "ZAC",
            name="Minera Plata Fina, S.A. de C.V.",
            rfc="MPF150610K27",
            state="ZAC",
            municipality="Sombrerete",
            address="Mina San Martín s/n",
            postal_code="99100",
            activity=21,
            mining_class="concesible",
            primary_extraction=True,
            employees=240,
            equity_mxn=d("60000000"),
            annual_gross_income_mxn=d("420000000"),
            production_tons_month=d("9000"),
            years_of_sales=d("8"),
            usd_income=True,  # exports concentrates invoiced in dollars (9.2.2)
        ),
        "sierra_alta": _applicant(
            staff,
            "ZAC",
            name="Grupo Minero Sierra Alta, S.A. de C.V.",
            rfc="GMS980512TT8",
            state="ZAC",
            municipality="Mazapil",
            activity=23,
            mining_class="concesible",
            primary_extraction=True,
            employees=1350,
            equity_mxn=d("900000000"),
            annual_gross_income_mxn=d("2600000000"),
            production_tons_month=d("45000"),
            years_of_sales=d("25"),
        ),
        "rios": _applicant(
            staff,
            "ZAC",
            person_type="fisica",
            name="Juan Carlos Ríos Medina",
            rfc="RIMJ780412C17",
            curp="RIMJ780412HZSSDN01",
            state="ZAC",
            municipality="Jerez",
            activity=13,
            employees=12,
            equity_mxn=d("3500000"),
            years_of_sales=d("4"),
        ),
        "cantera": _applicant(
            staff,
            "ZAC",
            name="Cantera Rosa de Zacatecas, S.A. de C.V.",
            rfc="CRZ070919HM1",
            state="ZAC",
            municipality="Zacatecas",
            activity=5,
            employees=48,
            equity_mxn=d("12000000"),
            years_of_sales=d("15"),
        ),
        "tabiques": _applicant(
            staff,
            "ZAC",
            name="Tabiques y Refractarios de Aguascalientes, S.A. de C.V.",
            rfc="TRA160301CD7",
            state="AGU",
            municipality="Jesús María",
            activity=32,
            primary_extraction=True,
            employees=110,
            equity_mxn=d("18000000"),
            years_of_sales=d("7"),
        ),
        "fluorita": _applicant(
            staff,
            "ZAC",
            name="Explotadora de Fluorita San Ramón, S.A. de C.V.",
            rfc="EFS101110GH8",
            state="ZAC",
            municipality="Villa de Cos",
            activity=17,
            employees=28,
            equity_mxn=d("9000000"),
            years_of_sales=d("3"),
        ),
        "ejido": _applicant(
            staff,
            "ZAC",
            person_type="ejido",
            name="Ejido Noria de Ángeles",
            rfc="ENA750318RT5",
            state="ZAC",
            municipality="Noria de Ángeles",
            activity=13,
            employees=22,
            equity_mxn=d("4200000"),
            years_of_sales=d("10"),
        ),
        # Hermosillo (Sonora)
        "cobre": _applicant(
            staff,
            "HMO",
            name="Cobre del Desierto, S.A. de C.V.",
            rfc="CDE140822PN5",
            state="SON",
            municipality="Cananea",
            address="Carretera Cananea–Agua Prieta km 8",
            postal_code="84620",
            activity=20,
            mining_class="concesible",
            primary_extraction=True,
            employees=310,
            equity_mxn=d("75000000"),
            annual_gross_income_mxn=d("600000000"),
            production_tons_month=d("10000"),
            years_of_sales=d("11"),
        ),
        "valenzuela": _applicant(
            staff,
            "HMO",
            person_type="fisica",
            name="María Fernanda Valenzuela Soto",
            rfc="VASM850923A3A",
            curp="VASM850923MSRLTR01",
            state="SON",
            municipality="Hermosillo",
            activity=5,
            employees=9,
            equity_mxn=d("2800000"),
            years_of_sales=d("1.5"),
        ),
        # Chihuahua
        "caleras": _applicant(
            staff,
            "CHI",
            name="Caleras de Chihuahua, S.A. de C.V.",
            rfc="CCH130704PN2",
            state="CHH",
            municipality="Ciudad Juárez",
            activity=31,
            primary_extraction=True,
            employees=140,
            equity_mxn=d("40000000"),
            years_of_sales=d("18"),
        ),
    }


# ------------------------------------------------------------------------------------ credit files


def _proposal(credit_type: str, amount: str, term: int, grace: int = 0, **extra: Any) -> ProposalData:
    value = Decimal(amount)
    return ProposalData(
        program="primer_piso",
        credit_type=credit_type,
        currency=extra.pop("currency", "MXN"),
        amount=value,
        investment_program=Decimal(extra.pop("investment", str(value * Decimal("1.15")))),
        term_months=term,
        grace_months=grace,
        **extra,
    )


def _mortgage(file: CreditFile, value_mxn: Decimal, appraised: date, description: str) -> GuaranteeData:
    return GuaranteeData(
        type="hipoteca_industrial",
        owner=file.applicant.name,
        description=description,
        value=value_mxn,
        appraisal_date=appraised,
        appraiser="Valuadores Asociados del Centro, S.C.",
        insurer="Aseguradora Minera del Centro, S.A.",
        policy_number=f"IND-{file.folio}",
        fifomi_preferred_beneficiary=True,
    )


def _open(
    staff: Staff,
    applicant: Applicant,
    proposal: ProposalData,
    *,
    applied: date,
    guarantee_mxn: str,
    description: str,
) -> CreditFile:
    crew = staff.crew(applicant.office.code)
    proposal.application_date = applied
    file = file_open(crew=crew, applicant=applicant, proposal=proposal)
    mortgage = _mortgage(file, Decimal(guarantee_mxn), applied - timedelta(days=45), description)
    guarantees_add(file, crew=crew, guarantees=[mortgage])
    return file


def _satisfy(staff: Staff, file: CreditFile, stage: Stage, on: date, limit: int | None = None) -> None:
    requirements_satisfy(file, stage, crew=staff.crew(file.office.code), on=on, limit=limit)


def _propose(staff: Staff, file: CreditFile, on: date) -> CreditFile:
    return file_to_proposed(file, crew=staff.crew(file.office.code), on=on)


def _ready(staff: Staff, file: CreditFile, signed: date) -> CreditFile:
    return file_to_ready(file, crew=staff.crew(file.office.code), signed=signed)


def _session(
    staff: Staff, day: date, matters: list[tuple[CreditFile, str, str]], *, hold: bool = True
) -> CommitteeSession:
    """A Comité Interno session on `day`: every member votes and every matter is resolved as given."""
    return committee_session(crew=staff.crew("ZAC"), committee=COMMITTEE, day=day, matters=matters, hold=hold)


def _pay_installments(staff: Staff, loan: Loan, through: date, **options: Any) -> int:
    return installments_pay(loan, user=staff.analyst(loan.office.code), through=through, **options)


@transaction.atomic
def _keep_paying(staff: Staff, today: date) -> int:
    """On a later load, the borrowers who pay on time pay what fell due since the last close."""
    last = last_close_date()
    paid = 0
    loans = Loan.objects.filter(applicant__rfc__in=ON_TIME, status=LoanStatus.ACTIVE).select_related("office")
    for loan in loans.order_by("number"):
        paid += _pay_installments(staff, loan, today, after=last)
    return paid


def _loan(staff: Staff, file: CreditFile, signed: date, first_disbursement: date, amount: str | None) -> Loan:
    """The file's loan, its opening commission paid on the contract date, and its first disbursement."""
    return loan_open(
        file,
        crew=staff.crew(file.office.code),
        value_date=signed,
        disburse=Decimal(amount) if amount is not None else None,
        disbursed_on=first_disbursement,
    )


# ------------------------------------------------------------------------------------------- build


def portfolio_present() -> bool:
    return Applicant.objects.filter(rfc=MARKER_RFC).exists()


def _refuse_closed_books(cal: Calendar) -> None:
    last = last_close_date()
    if last is not None and last >= cal.old_session:
        raise PortfolioSkipped(
            f"la contabilidad ya está cerrada al {last:%d/%m/%Y} y la cartera de demostración registra "
            f"operaciones desde el {cal.old_session:%d/%m/%Y}; cárguela en una base de datos nueva."
        )


def _refuse_missing_rates(cal: Calendar) -> None:
    """The files are evaluated and the loans priced with the stored series from the demo's first dates."""
    from filon.core.rates import MissingRate
    from filon.marketdata.selectors import rate_series_get

    since = cal.old_session - timedelta(days=60)
    for code in RATE_SERIES:
        try:
            first = rate_series_get(code).first_date
        except (MissingRate, LookupError):
            first = None
        if first is None or first > since:
            raise PortfolioSkipped(
                f"la serie {code} no tiene observaciones desde el {since:%d/%m/%Y}, y la cartera de "
                "demostración se evalúa y se cobra con ellas; cárguelas con «filon rates»."
            )


@transaction.atomic
def _build(staff: Staff, cal: Calendar) -> None:
    today = cal.today
    a = _applicants(staff)
    old, recent = cal.old_session, cal.recent_session
    old_applied, recent_applied = old - timedelta(days=40), recent - timedelta(days=35)

    # Files authorized five months ago: the loans, and an authorization never formalized (expires).
    current = _open(
        staff,
        a["beneficiadora"],
        _proposal("refaccionario", "8000000", 36, purpose="Molino de bolas y celdas de flotación"),
        applied=old_applied,
        guarantee_mxn="20000000",
        description="Planta de beneficio en Tepezalá, Aguascalientes",
    )
    late = _open(
        staff,
        a["veta_madre"],
        _proposal("habilitacion_avio", "6000000", 24, purpose="Capital de trabajo: explosivos y diésel"),
        applied=old_applied,
        guarantee_mxn="15000000",
        description="Nave industrial y oficinas en Fresnillo",
    )
    line = _open(
        staff,
        a["servicios"],
        _proposal(
            "avio_revolvente", "8000000", 12, purpose="Capital de trabajo para contratos de barrenación"
        ),
        applied=old_applied,
        guarantee_mxn="20000000",
        description="Taller y patio de maquinaria en Guadalupe",
    )
    prepaid = _open(
        staff,
        a["cobre"],
        _proposal("refaccionario", "15000000", 48, 6, purpose="Camiones de acarreo y equipo de perforación"),
        applied=old_applied,
        guarantee_mxn="38000000",
        description="Planta de lixiviación en Cananea",
    )
    expiring = _open(
        staff,
        a["fluorita"],
        _proposal("habilitacion_avio", "2500000", 24, purpose="Capital de trabajo"),
        applied=old_applied,
        guarantee_mxn="6500000",
        description="Terreno y bodega en Villa de Cos",
    )
    for file in (current, late, line, prepaid, expiring):
        _propose(staff, file, old_applied)
    _session(staff, old, [(f, Decision.AUTHORIZED, "") for f in (current, late, line, prepaid, expiring)])

    signed = cal.after(old, 4)
    disbursed = cal.after(signed, 3)
    loans = {}
    for key, file, amount in (
        ("current", current, "8000000"),
        ("late", late, "6000000"),
        ("line", line, None),  # a line: its drawdowns follow
        ("prepaid", prepaid, "15000000"),
    ):
        _ready(staff, file, signed)
        loans[key] = _loan(staff, file, signed, disbursed, amount)

    # The revolving line: three drawdowns, the first repaid at its maturity.
    line_loan = loans["line"]
    analyst, manager = staff.analyst("ZAC"), staff.manager("ZAC")  # one captures, the other releases
    loan_disburse(
        line_loan,
        amount=Decimal("3500000"),
        value_date=disbursed,
        drawdown_days=90,
        captured_by=analyst,
        released_by=manager,
    )
    loan_disburse(
        line_loan,
        amount=Decimal("2500000"),
        value_date=cal.back(100),
        drawdown_days=120,
        captured_by=analyst,
        released_by=manager,
    )
    _pay_installments(staff, line_loan, cal.back(40))  # the first drawdown, at its maturity
    loan_disburse(
        line_loan,
        amount=Decimal("2000000"),
        value_date=cal.back(30),
        drawdown_days=60,
        captured_by=analyst,
        released_by=manager,
    )

    # Current: every installment paid on its date. Late: two paid, then nothing.
    _pay_installments(staff, loans["current"], today)
    _pay_installments(staff, loans["late"], today, stop_after=2)

    # Prepaid: on time, and with the third payment 2,000,000 more to the last installments (9.2.6).
    def prepay_third(row: Installment) -> Decimal:
        return Decimal("2000000") if row.number == 3 else ZERO

    _pay_installments(staff, loans["prepaid"], today, on_payment=prepay_third)

    # Recent session: one authorized in dollars and disbursed, one authorized waiting for its contract,
    # one formalized, one rejected, one returned with observations.
    usd = _open(
        staff,
        a["plata_fina"],
        _proposal(
            "refaccionario",
            "1200000",
            60,
            12,
            currency="USD",
            investment="1450000",
            purpose="Planta de flotación y espesadores (equipo importado)",
        ),
        applied=recent_applied,
        guarantee_mxn="52000000",
        description="Planta de beneficio y campamento de la mina San Martín",
    )
    authorized = _open(
        staff,
        a["tabiques"],
        _proposal("refaccionario", "5500000", 60, 6, purpose="Horno túnel y extrusora"),
        applied=recent_applied,
        guarantee_mxn="14000000",
        description="Planta de tabique en Jesús María",
    )
    formalized = _open(
        staff,
        a["cantera"],
        _proposal("habilitacion_avio", "3200000", 36, purpose="Capital de trabajo: discos y abrasivos"),
        applied=recent_applied,
        guarantee_mxn="8000000",
        description="Taller de corte y pulido en Zacatecas",
    )
    rejected = _open(
        staff,
        a["valenzuela"],
        _proposal("habilitacion_avio", "1800000", 24, purpose="Capital de trabajo"),
        applied=recent_applied,
        guarantee_mxn="4500000",
        description="Predio y taller de mármol en Hermosillo",
    )
    returned = _open(
        staff,
        a["cantera"],
        _proposal("refaccionario", "2400000", 48, 6, purpose="Cortadora de puente"),
        applied=recent_applied,
        guarantee_mxn="6200000",
        description="Bodega anexa al taller de corte",
    )
    for file in (usd, authorized, formalized, rejected, returned):
        _propose(staff, file, recent_applied)
    _session(
        staff,
        recent,
        [
            (usd, Decision.AUTHORIZED, ""),
            (authorized, Decision.AUTHORIZED, ""),
            (formalized, Decision.AUTHORIZED, ""),
            (rejected, Decision.REJECTED, "Flujo insuficiente para el servicio de la deuda."),
            (
                returned,
                Decision.RETURNED,
                "Actualizar el avalúo y presentar la cotización del equipo sin IVA.",
            ),
        ],
    )
    usd_signed = cal.after(recent, 2)
    file_to_formalized(formalized, crew=staff.crew(formalized.office.code), signed=usd_signed)
    _ready(staff, usd, usd_signed)
    loans["usd"] = _loan(staff, usd, usd_signed, cal.after(usd_signed, 2), "800000")

    # Earlier stages: proposed for the next session, under analysis, requirements complete, captured,
    # cancelled.
    proposed = _open(
        staff,
        a["tabiques"],
        _proposal("habilitacion_avio", "1500000", 24, purpose="Arcillas y combustóleo"),
        applied=cal.back(20),
        guarantee_mxn="4000000",
        description="Bodega de materias primas en Jesús María",
    )
    _propose(staff, proposed, cal.back(20))
    _session(staff, cal.next_session, [(proposed, Decision.AUTHORIZED, "")], hold=False)
    # Proposed by the Zacatecas analyst and waiting for the regional manager's sign-off before a committee's
    # agenda: the first item of the manager's «Mis pendientes».
    awaiting = _open(
        staff,
        a["fluorita"],
        _proposal("habilitacion_avio", "1200000", 24, purpose="Capital de trabajo: reactivos y fletes"),
        applied=cal.back(15),
        guarantee_mxn="3200000",
        description="Bodega de concentrados en Villa de Cos",
    )
    file_to_proposed(awaiting, crew=staff.crew("ZAC"), on=cal.back(15), signoff=False)
    analysis = _open(
        staff,
        a["caleras"],
        _proposal("refaccionario", "9000000", 60, 12, purpose="Horno vertical de cal"),
        applied=cal.back(25),
        guarantee_mxn="23000000",
        description="Planta calera en Ciudad Juárez",
    )
    file_to_analysis(analysis, crew=staff.crew(analysis.office.code), on=cal.back(25))
    large = _open(
        staff,
        a["sierra_alta"],
        _proposal("refaccionario", "60000000", 84, 24, purpose="Ampliación de la planta concentradora"),
        applied=cal.back(12),
        guarantee_mxn="150000000",
        description="Planta concentradora en Mazapil",
    )
    file_to_complete(large, crew=staff.crew(large.office.code), on=cal.back(12))
    captured = _open(
        staff,
        a["rios"],
        _proposal("habilitacion_avio", "900000", 24, purpose="Capital de trabajo para la temporada"),
        applied=cal.back(5),
        guarantee_mxn="2500000",
        description="Predio y banco de material en Jerez",
    )
    _satisfy(staff, captured, Stage.AUTHORIZATION, cal.back(5), limit=6)
    ejido = _open(
        staff,
        a["ejido"],
        _proposal("refaccionario", "1400000", 48, 6, purpose="Cargador frontal y criba vibratoria"),
        applied=cal.back(3),
        guarantee_mxn="3600000",
        description="Nave de cribado y patio de maniobras del ejido",
    )
    _satisfy(staff, ejido, Stage.AUTHORIZATION, cal.back(3), limit=2)
    cancelled = _open(
        staff,
        a["rios"],
        _proposal("refaccionario", "1200000", 36, purpose="Cribadora"),
        applied=cal.back(60),
        guarantee_mxn="3000000",
        description="Banco de material en Jerez",
    )
    file_cancel(
        user=staff.manager("ZAC"),
        file=cancelled,
        reason="El solicitante desistió: compró la cribadora con recursos propios.",
    )
    files_expire(today=today)
    closing_build(users=staff.users, today=today)  # a loan written off (partial recovery), one paid off


def _goals(staff: Staff, year: int) -> list[str]:
    lines = []
    for code, placement, ta, courses, participants in GOALS:
        office = RegionalOffice.objects.get(code=code)
        goal = goal_set(
            user=staff["direccion"],
            office=office,
            year=year,
            placement_mxn=placement,
            technical_assistance_services=ta,
            training_courses=courses,
            training_participants=participants,
        )
        lines.append(f"{year} {office.name}: colocación {format_money(goal.placement_mxn)}")
    return lines


# The Zacatecas office's course for the mining suppliers of Chalchihuites, promoted with the mining cluster
# and the state government (seed 000), with its participants; and two technical-assistance visits.
COURSE_TITLE = "Curso para proveedores de la minería de Chalchihuites"
PARTNERS = [
    ("Clúster Minero de Zacatecas (Clusmin)", "cluster", "ZAC"),
    ("Gobierno del Estado de Zacatecas", "state_government", "ZAC"),
]
PARTICIPANTS = [  # name, organization, role, attended
    ("Rosalba Murillo Ceniceros", "Ferretería y Suministros Chalchihuites", "supplier", True),
    ("Jesús Manuel Robles Díaz", "Transportes Robles de Chalchihuites", "supplier", True),
    ("Ana Cecilia Flores Ibarra", "Taller de Maquinados El Minero", "supplier", True),
    ("Raúl Sifuentes Medina", "Secretaría de Economía de Zacatecas", "official", True),
    ("Héctor Ávila Gallegos", "Uniformes y Equipo de Seguridad Ávila", "supplier", False),
]


def _partner(staff: Staff, name: str, kind: str, state: str) -> PartnerOrganization:
    found = PartnerOrganization.objects.filter(name=name).first()
    return found or partner_create(user=staff.manager("ZAC"), name=name, kind=kind, state=state)


def _training(staff: Staff, cal: Calendar) -> list[str]:
    """The Chalchihuites course and two visits, recorded once through the services."""
    office = RegionalOffice.objects.get(code="ZAC")
    course = TrainingEvent.objects.filter(office=office, title=COURSE_TITLE).first()
    if course is None:
        partners = [_partner(staff, *row) for row in PARTNERS]
        analyst = staff.analyst("ZAC")
        start = cal.back(45)
        course = training_event_record(
            user=analyst,
            office=office,
            title=COURSE_TITLE,
            topic="De proveedor a empresario: acceso al financiamiento y contratos con las empresas mineras",
            start_date=start,
            end_date=add_business_days(start, 1),
            municipality="Chalchihuites",
            state="ZAC",
            hours=Decimal("12"),
            partners=partners,
            notes="Programa especial de proveeduría del municipio minero de Chalchihuites.",
        )
        suppliers = Applicant.objects.get(rfc="SMZ110227QR4")  # Servicios Mineros de Zacatecas
        training_participant_add(user=analyst, event=course, applicant=suppliers, role="supplier")
        for name, organization, role, attended in PARTICIPANTS:
            training_participant_add(
                user=analyst,
                event=course,
                name=name,
                organization=organization,
                role=role,
                attended=attended,
            )
        technical_assistance_record(
            user=analyst,
            office=office,
            applicant=Applicant.objects.get(rfc="MPF150610K27"),  # Minera Plata Fina
            date=cal.back(60),
            kind="processing",
            advisor="Ing. Martha Elena Castañeda",
            findings="La recuperación de plata en flotación está 6 puntos abajo del diseño de la planta.",
            recommendations="Pruebas metalúrgicas con el nuevo reactivo; calibrar los ciclones.",
            partners=partners[:1],
        )
        technical_assistance_record(
            user=staff.manager("ZAC"),
            office=office,
            applicant=Applicant.objects.get(rfc="MVM120315AB4"),  # Minera La Veta Madre
            date=cal.back(10),
            kind="financial",
            advisor="Lic. Fernando Ruiz Esparza",
            findings="Flujo insuficiente por la baja de ley en el rebaje 4; dos amortizaciones vencidas.",
            recommendations="Plan de pagos con los ingresos del nuevo frente; reportar la producción mensual.",
        )
    attended = course.participants.filter(attended=True).count()
    return [
        f"Curso {course.title} ({course.start_date:%d/%m/%Y}): {attended} asistentes, promovido con "
        + " y ".join(p.name for p in course.partners.order_by("name")),
        f"Visitas de asistencia técnica de Zacatecas: {office.assistance_visits.count()}",
    ]


def portfolio_load(*, users: dict[str, User], today: date | None = None) -> Summary:
    """Load the demo portfolio (once), the current year's goals, the Zacatecas course for the mining suppliers
    of Chalchihuites and two technical-assistance visits (once), and close the books through the business day before today (a day is closed after it ends;
    today stays open for the day's operations)."""
    cal = Calendar(today or today_mx())
    staff = Staff(users)
    loaded = False
    money_around: list[str] = []
    if not portfolio_present():
        _refuse_closed_books(cal)
        _refuse_missing_rates(cal)
        _build(staff, cal)
        money_around = chains_build(users=staff.users, today=cal.today).lines()
        money_around += funds_build(users=staff.users, today=cal.today)
        loaded = True
    else:
        _keep_paying(staff, cal.today)
    illustrative_p2_extension(proposer=staff["riesgos"], approver=staff["direccion"], today=cal.today)
    goals = _goals(staff, cal.today.year)
    training = _training(staff, cal)
    files_expire(today=cal.today)
    closes = close_through(business_date=previous_business_day(cal.today))  # today stays open
    summary = Summary(
        loaded=loaded,
        goals=goals,
        training=training,
        money_around=money_around,
        closed_through=closes[-1].business_date if closes else None,
    )
    summary.applicants = Applicant.objects.count()
    for status in FileStatus.values:
        summary.files[status] = CreditFile.objects.filter(status=status).count()
    summary.sessions = [
        f"{s.number} ({s.date:%d/%m/%Y}, {s.get_status_display().lower()}): {s.items.count()} asuntos"
        for s in CommitteeSession.objects.order_by("date")
    ]
    for loan in Loan.objects.select_related("applicant", "office").order_by("contract_date", "number"):
        notes = []
        if loan.is_revolving:
            notes.append(f"línea revolvente, {loan.disbursements.count()} disposiciones")
        if loan.payments.filter(is_prepayment=True).exists():
            notes.append("con pago anticipado")
        if loan.schedule_versions.filter(reason__startswith="Reestructura").exists():
            notes.append("reestructurado")
        if loan.status == LoanStatus.WRITTEN_OFF:
            recovered = sum((r.amount for r in loan.recoveries.all()), ZERO)
            notes.append(
                f"castigado el {loan.written_off_on:%d/%m/%Y} por "
                f"{format_money(loan.write_off.principal, loan.currency)} de capital, "
                f"recuperado {format_money(recovered, loan.currency)}"
            )
        elif loan.status == LoanStatus.PAID_OFF:
            notes.append(f"liquidado el {loan.paid_off_on:%d/%m/%Y}")
        else:
            notes.append(f"{loan.days_past_due} días de atraso" if loan.days_past_due else "al corriente")
        summary.loans.append(
            f"{loan.number} {loan.applicant.name} ({loan.office.code}): saldo "
            f"{format_money(loan.principal_balance, loan.currency)}; " + ", ".join(notes)
        )
    return summary
