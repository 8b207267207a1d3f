"""A credit proposal as the engine sees it: the `filon evaluate` input contract, read and typed.

Field names are the public contract of SPEC ("Contracts"); fields marked *addition* are optional
extensions that refine the evaluation when present.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from filon.core.reader import Reader
from filon.rules.schema import (
    ApplicantKind,
    CreditType,
    Currency,
    GuaranteeType,
    MiningClass,
    PersonType,
    ProgramCode,
    Sector,
)

ZERO = Decimal(0)


@dataclass(frozen=True)
class Applicant:
    person_type: PersonType
    state: str
    activity: int
    primary_extraction: bool
    mining_class: MiningClass
    sector: Sector
    employees: int
    annual_gross_income_mxn: Decimal | None
    production_tons_month: Decimal | None
    years_of_sales: Decimal
    years_satisfactory_with_fifomi: Decimal
    equity_mxn: Decimal
    new_project: bool
    bureau_prevention_keys: tuple[str, ...]
    capital_lost_fraction: Decimal
    overdue_debts: bool
    strike: bool
    lawsuits: bool
    embargo: bool
    concurso_mercantil: bool
    condoned_history: bool
    group_outstanding_usd: Decimal
    # additions
    mexican: bool = True
    municipality: str | None = None
    usd_income: bool | None = None
    buyer_activity: int | None = None
    program_outstanding_mxn: Decimal = ZERO
    introductor_kind: ApplicantKind = ApplicantKind.CONCESIONARIO
    credit_history: str | None = None
    nom_032_verified: bool | None = None
    cananea_commercial_relation: bool | None = None

    def flag(self, name: str) -> bool:
        return bool(getattr(self, name))


@dataclass(frozen=True)
class DiscountDocument:
    """P-1: a document (invoice, contra-recibo) a supplier discounts."""

    face_value: Decimal
    due_date: date
    advance: Decimal | None = None


@dataclass(frozen=True)
class Request:
    program: ProgramCode
    credit_type: CreditType
    currency: Currency
    amount: Decimal
    investment_program: Decimal
    term_months: int
    grace_months: int
    new_equipment_option: bool
    # additions
    application_date: date | None = None
    requirements_complete_date: date | None = None
    drawdown_days: int | None = None
    past_investment_months: int | None = None
    liabilities_to_affiliates: bool | None = None
    liabilities_current: bool | None = None
    payment_every_months: int | None = None
    spread: Decimal | None = None
    documents: tuple[DiscountDocument, ...] = ()


@dataclass(frozen=True)
class Guarantee:
    type: GuaranteeType
    value: Decimal
    appraisal_date: date | None = None
    description: str | None = None
    owner: str | None = None
    first_invoice_date: date | None = None
    is_transport: bool = False
    hechizo: bool = False
    lien_rank: int = 1
    insurable: bool = True
    fiduciary: bool = False
    net_worth_statement_date: date | None = None
    covers_balance: bool | None = None
    reuses_last_appraisal: bool = False


@dataclass(frozen=True)
class Proposal:
    as_of: date
    fx_usd_mxn: Decimal
    uma_annual_mxn: Decimal | None
    applicant: Applicant
    request: Request
    guarantees: tuple[Guarantee, ...] = field(default_factory=tuple)

    @property
    def application_date(self) -> date:
        return self.request.application_date or self.as_of


def _read_applicant(r: Reader) -> Applicant | None:
    zero = Decimal(0)
    values = {
        "person_type": r.enum("person_type", PersonType),
        "state": r.string("state"),
        "activity": r.integer("activity", minimum=1),
        "primary_extraction": r.boolean("primary_extraction"),
        "mining_class": r.enum("mining_class", MiningClass),
        "sector": r.enum("sector", Sector, required=False, default=Sector.INDUSTRIA),
        "employees": r.integer("employees", minimum=0),
        "annual_gross_income_mxn": r.decimal("annual_gross_income_mxn", required=False, minimum=zero),
        "production_tons_month": r.decimal("production_tons_month", required=False, minimum=zero),
        "years_of_sales": r.decimal("years_of_sales", minimum=zero),
        "years_satisfactory_with_fifomi": r.decimal("years_satisfactory_with_fifomi", minimum=zero),
        "equity_mxn": r.decimal("equity_mxn"),
        "new_project": r.boolean("new_project"),
        "bureau_prevention_keys": tuple(r.string_list("bureau_prevention_keys")),
        "capital_lost_fraction": r.decimal(
            "capital_lost_fraction", minimum=zero, maximum=Decimal(1), required=False, default=zero
        ),
        "overdue_debts": r.boolean("overdue_debts"),
        "strike": r.boolean("strike"),
        "lawsuits": r.boolean("lawsuits"),
        "embargo": r.boolean("embargo"),
        "concurso_mercantil": r.boolean("concurso_mercantil"),
        "condoned_history": r.boolean("condoned_history"),
        "group_outstanding_usd": r.decimal(
            "group_outstanding_usd", minimum=zero, required=False, default=zero
        ),
        "mexican": r.boolean("mexican", required=False, default=True),
        "municipality": r.string("municipality", required=False),
        "usd_income": r.boolean("usd_income", required=False),
        "buyer_activity": r.integer("buyer_activity", required=False, minimum=1),
        "program_outstanding_mxn": r.decimal(
            "program_outstanding_mxn", required=False, default=zero, minimum=zero
        ),
        "introductor_kind": r.enum(
            "introductor_kind", ApplicantKind, required=False, default=ApplicantKind.CONCESIONARIO
        ),
        "credit_history": r.choice("credit_history", ["regular", "irregular"], required=False),
        "nom_032_verified": r.boolean("nom_032_verified", required=False),
        "cananea_commercial_relation": r.boolean("cananea_commercial_relation", required=False),
    }
    if values["state"] is not None:
        values["state"] = str(values["state"]).upper()
    r.reject_unknown()
    if r.errors:
        return None
    return Applicant(**values)  # type: ignore[arg-type]


def _read_documents(r: Reader) -> tuple[DiscountDocument, ...]:
    documents = []
    for doc in r.children("documents", required=False):
        face = doc.decimal("face_value", positive=True)
        due = doc.date("due_date")
        advance = doc.decimal("advance", required=False, positive=True)
        doc.reject_unknown()
        if face is not None and due is not None:
            documents.append(DiscountDocument(face, due, advance))
    return tuple(documents)


def _read_request(r: Reader) -> Request | None:
    values = {
        "program": r.enum("program", ProgramCode, required=False, default=ProgramCode.PRIMER_PISO),
        "credit_type": r.enum("credit_type", CreditType),
        "currency": r.enum("currency", Currency),
        "amount": r.decimal("amount", positive=True),
        "investment_program": r.decimal("investment_program", positive=True),
        "term_months": r.integer("term_months", minimum=1),
        "grace_months": r.integer("grace_months", minimum=0, required=False, default=0),
        "new_equipment_option": r.boolean("new_equipment_option", required=False, default=False),
        "application_date": r.date("application_date", required=False),
        "requirements_complete_date": r.date("requirements_complete_date", required=False),
        "drawdown_days": r.integer("drawdown_days", required=False, minimum=1),
        "past_investment_months": r.integer("past_investment_months", required=False, minimum=0),
        "liabilities_to_affiliates": r.boolean("liabilities_to_affiliates", required=False),
        "liabilities_current": r.boolean("liabilities_current", required=False),
        "payment_every_months": r.integer("payment_every_months", required=False, minimum=1, maximum=12),
        "spread": r.decimal("spread", required=False, minimum=Decimal(0)),
        "documents": _read_documents(r),
    }
    r.reject_unknown()
    if r.errors:
        return None
    return Request(**values)  # type: ignore[arg-type]


def _read_guarantee(r: Reader) -> Guarantee | None:
    values = {
        "type": r.enum("type", GuaranteeType),
        "value": r.decimal("value", positive=True),
        "appraisal_date": r.date("appraisal_date", required=False),
        "description": r.string("description", required=False),
        "owner": r.string("owner", required=False),
        "first_invoice_date": r.date("first_invoice_date", required=False),
        "is_transport": r.boolean("is_transport", required=False, default=False),
        "hechizo": r.boolean("hechizo", required=False, default=False),
        "lien_rank": r.integer("lien_rank", required=False, default=1, minimum=1),
        "insurable": r.boolean("insurable", required=False, default=True),
        "fiduciary": r.boolean("fiduciary", required=False, default=False),
        "net_worth_statement_date": r.date("net_worth_statement_date", required=False),
        "covers_balance": r.boolean("covers_balance", required=False),
        "reuses_last_appraisal": r.boolean("reuses_last_appraisal", required=False, default=False),
    }
    r.reject_unknown()
    if r.errors:
        return None
    return Guarantee(**values)  # type: ignore[arg-type]


def read_proposal(document: object) -> Proposal:
    """Read a proposal document; raise InputErrors naming every bad field."""
    root = Reader(document)
    root.raise_if_errors()  # not an object: nothing else can be read
    as_of = root.date("as_of")
    fx = root.decimal("fx_usd_mxn", minimum=Decimal("0.0001"), maximum=Decimal("1000000"))
    uma = root.decimal("uma_annual_mxn", required=False, minimum=Decimal("0.01"))
    applicant_reader = root.child("applicant")
    request_reader = root.child("request")
    guarantee_readers = root.children("guarantees", required=False)
    root.reject_unknown()
    applicant = _read_applicant(applicant_reader) if applicant_reader else None
    request = _read_request(request_reader) if request_reader else None
    guarantees = [_read_guarantee(g) for g in guarantee_readers]
    root.raise_if_errors()
    assert as_of is not None
    assert fx is not None
    assert applicant is not None
    assert request is not None
    return Proposal(
        as_of=as_of,
        fx_usd_mxn=fx,
        uma_annual_mxn=uma,
        applicant=applicant,
        request=request,
        guarantees=tuple(g for g in guarantees if g is not None),
    )
