"""The demo portfolio's Cadenas Productivas (P-1), built through the real services with the scenario builder:

a large Zacatecas mining company's P-1 file, with its industrial mortgage 1 : 1, its program steps and its
requirements, authorized by the Comité Interno; the company admitted as an EPO with a 20 million discount
line four months ago; three MIPYME suppliers adhered; seven invoices published over the last months, six
of them discounted the day they were published (interest up front or at maturity), three of those paid by
the EPO at maturity, and the latest left published for discounting.

Called once by `demo.portfolio` while it builds, before the books are closed through the business day before
today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from filon.accounts.models import User
from filon.applicants.services import ApplicantData
from filon.committees.models import Decision
from filon.core.calendar import is_business_day, previous_business_day
from filon.demo.scenarios import (
    Crew,
    applicant_open,
    committee_session,
    demo_crew,
    file_open,
    file_to_analysis,
)
from filon.factoring.models import DocumentKind, Epo, FactoringDocument, InterestMode, UploadedBy
from filon.factoring.services import document_collect, document_discount, document_upload, epo_admit
from filon.factoring.services import supplier_adhere as adhere
from filon.origination.models import CreditFile
from filon.origination.services import GuaranteeData, ProposalData, file_propose, file_signoff
from filon.programs.services import program_step_record, program_steps_ensure

OFFICE = "ZAC"
COMMITTEE = "comite_interno"
EPO_RFC = "GMZ040615AB7"
LINE = Decimal("20000000")
# supplier name, RFC, municipality, adhesion agreement, spread (points over Tasa NAFIN)
SUPPLIERS = [
    ("Perforaciones y Voladuras de Fresnillo, S.A. de C.V.", "PVF120418QA2", "Fresnillo", "2.50"),
    ("Transportes de Mineral Sombrerete, S.A. de C.V.", "TMS140902LK5", "Sombrerete", "3.00"),
    ("Refacciones Industriales del Cerro, S.A. de C.V.", "RIC160211HT9", "Zacatecas", "3.50"),
]
# supplier index, invoice number, face value, published (days ago), days to its due date, interest
# (None: left published), and whether the EPO has paid it at maturity
DOCUMENTS = [
    (0, "PVF-2031", "1850000.00", 100, 60, InterestMode.UP_FRONT, True),
    (1, "TMS-0877", "960000.00", 85, 45, InterestMode.AT_MATURITY, True),
    (2, "RIC-1398", "415000.00", 70, 30, InterestMode.UP_FRONT, True),
    (0, "PVF-2044", "2400000.00", 30, 120, InterestMode.UP_FRONT, False),
    (1, "TMS-0881", "1275000.00", 20, 150, InterestMode.AT_MATURITY, False),
    (2, "RIC-1410", "685000.00", 10, 45, InterestMode.UP_FRONT, False),
    (2, "RIC-1422", "530000.00", 3, 75, None, False),
]


@dataclass(frozen=True)
class Chain:
    epo: Epo
    documents: list[FactoringDocument]

    def lines(self) -> list[str]:
        by_status: dict[str, int] = {}
        for document in self.documents:
            document.refresh_from_db()
            label = document.get_status_display().lower()
            by_status[label] = by_status.get(label, 0) + 1
        return [
            f"EPO {self.epo.applicant.name} ({self.epo.office.code}): línea {self.epo.line_amount:,.2f}, "
            f"{self.epo.adhesions.count()} proveedores, documentos: "
            + ", ".join(f"{label} {n}" for label, n in sorted(by_status.items()))
        ]


def _back(today: date, days: int) -> date:
    day = today - timedelta(days=days)
    return day if is_business_day(day) else previous_business_day(day)


def _company(crew: Crew) -> ApplicantData:
    return ApplicantData(
        person_type="moral",
        name="Grupo Minero Zacatecano, S.A. de C.V.",
        rfc=EPO_RFC,
        state="ZAC",
        municipality="Fresnillo",
        address="Carretera Fresnillo–Valparaíso km 8",
        postal_code="99060",
        activity=21,
        mining_class="concesible",
        sector="industria",
        employees=600,
        equity_mxn=Decimal("95000000"),
        annual_gross_income_mxn=Decimal("180000000"),
        production_tons_month=Decimal("90000"),
        years_of_sales=Decimal("18"),
        primary_extraction=True,
    )


def _supplier(name: str, rfc: str, municipality: str) -> ApplicantData:
    return ApplicantData(
        person_type="moral",
        name=name,
        rfc=rfc,
        state="ZAC",
        municipality=municipality,
        activity=21,
        mining_class="no_concesible",
        sector="servicios",
        employees=35,
        equity_mxn=Decimal("6000000"),
        annual_gross_income_mxn=Decimal("28000000"),
        years_of_sales=Decimal("7"),
    )


def _mortgage(owner: str, appraised: date) -> GuaranteeData:
    return GuaranteeData(
        type="hipoteca_industrial",
        owner=owner,
        description="Planta concentradora y presa de jales en Fresnillo",
        value=LINE,
        appraisal_date=appraised,
        appraiser="Valuadores Asociados del Centro, S.C.",
        insurer="Aseguradora Minera del Centro, S.A.",
        policy_number="IND-GMZ-0415",
        fifomi_preferred_beneficiary=True,
    )


def _authorized_file(crew: Crew, today: date) -> CreditFile:
    applied, session = _back(today, 160), _back(today, 130)
    company = applicant_open(crew=crew, data=_company(crew))
    file = file_open(
        crew=crew,
        applicant=company,
        proposal=ProposalData(
            program="cadenas_productivas",
            credit_type="avio_revolvente_proveedores",
            currency="MXN",
            amount=LINE,
            investment_program=LINE,
            term_months=36,
            grace_months=0,
            purpose="Línea de descuento de las facturas de sus proveedores MIPYME",
            application_date=applied,
        ),
        guarantees=[_mortgage(company.name, _back(today, 190))],
    )
    file_to_analysis(file, crew=crew, on=applied)
    for step in program_steps_ensure(file=file):
        program_step_record(
            user=crew.analyst, step=step, status="done", document=f"Constancia del paso {step.number}"
        )
    file = file_propose(user=crew.analyst, file=file)
    file_signoff(user=crew.manager, file=file, note="Visto bueno de la gerencia regional.")
    committee_session(crew=crew, committee=COMMITTEE, day=session, matters=[(file, Decision.AUTHORIZED, "")])
    file.refresh_from_db()
    return file


def chains_build(*, users: dict[str, User], today: date) -> Chain:
    crew = demo_crew(users, OFFICE)
    file = _authorized_file(crew, today)
    epo = epo_admit(
        user=crew.analyst,
        file=file,
        line_amount=LINE,
        line_months=36,
        guarantee_type="hipoteca_industrial",
        guarantee_value=LINE,
        spread=Decimal("0.03"),
        admitted_on=_back(today, 120),
    )
    suppliers = []
    for number, (name, rfc, municipality, spread) in enumerate(SUPPLIERS, start=1):
        supplier = applicant_open(crew=crew, data=_supplier(name, rfc, municipality))
        adhere(
            user=crew.analyst,
            epo=epo,
            supplier=supplier,
            agreement_ref=f"CA-GMZ-{today.year}-{number:03d}",
            spread=Decimal(spread) / 100,
            adhered_on=_back(today, 115),
        )
        suppliers.append(supplier)
    documents = []
    for index, number, face, published, days, mode, paid in DOCUMENTS:
        on = _back(today, published)
        document = document_upload(
            user=crew.analyst,
            epo=epo,
            supplier=suppliers[index],
            kind=DocumentKind.INVOICE,
            number=number,
            face_value=Decimal(face),
            issue_date=on - timedelta(days=7),
            due_date=on + timedelta(days=days),
            uploaded_by=UploadedBy.SUPPLIER,
            uploaded_on=on,
        )
        documents.append(document)
        if mode is None:
            continue
        discount = document_discount(
            user=crew.analyst,
            document=document,
            interest_mode=mode,
            value_date=on,
            idempotency_key=f"DEMO-descuento-{number}",
        )
        if paid:  # the EPO pays on the document's payable date (P-1 1.5: at maturity)
            payable = discount.loan.installments.get().payable
            document_collect(
                user=crew.manager,
                document=document,
                value_date=payable,
                idempotency_key=f"DEMO-cobro-{number}",
            )
    return Chain(epo=epo, documents=documents)
