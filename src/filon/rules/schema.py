"""The schema of a rule set: every table and number of the Reglas de Operación, validated at load time.

Every entry that a decision can rest on carries `rule`, the id it is cited by (a section of the Rules such
as "9.2.1", or a SPEC statement such as "C-7" or "I-4"). Numbers live here and in the YAML data files,
never in the engine's code (STYLE 1).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# ---------------------------------------------------------------------------------------------- enums


class CreditType(StrEnum):
    REFACCIONARIO = "refaccionario"
    HABILITACION_AVIO = "habilitacion_avio"
    AVIO_REVOLVENTE = "avio_revolvente"
    AVIO_REVOLVENTE_PROVEEDORES = "avio_revolvente_proveedores"
    AVIO_REVOLVENTE_INTRODUCTORES = "avio_revolvente_introductores"
    PAGO_PASIVOS = "pago_pasivos"


class ProgramCode(StrEnum):
    PRIMER_PISO = "primer_piso"
    CADENAS_PRODUCTIVAS = "cadenas_productivas"
    PEQUENA_MINERIA = "pequena_mineria"
    CANANEA = "cananea"
    CARBON_COAHUILA = "carbon_coahuila"


class GuaranteeType(StrEnum):
    HIPOTECA_INDUSTRIAL = "hipoteca_industrial"
    HIPOTECA_URBANA = "hipoteca_urbana"
    HIPOTECA_SEMIURBANA = "hipoteca_semiurbana"
    HIPOTECA_RUSTICA = "hipoteca_rustica"
    PRENDA_NUEVA = "prenda_nueva"
    PRENDA_USADA = "prenda_usada"
    CONCESION_MINERA = "concesion_minera"
    AVAL = "aval"
    CARTA_RETENCION = "carta_retencion"
    FIANZA = "fianza"
    PRENDA_MINERAL = "prenda_mineral"
    GARANTIA_LIQUIDA = "garantia_liquida"
    CARTA_CREDITO = "carta_credito"


class Size(StrEnum):
    MICRO = "micro"
    PEQUENA = "pequena"
    MEDIANA = "mediana"
    GRANDE = "grande"


SIZE_ORDER: tuple[Size, ...] = (Size.MICRO, Size.PEQUENA, Size.MEDIANA, Size.GRANDE)


class Segment(StrEnum):
    PREFERENTE = "preferente"
    HABITUAL = "habitual"
    NUEVO = "nuevo"


class CommitteeCode(StrEnum):
    COMITE_INTERNO = "comite_interno"
    COMITE_EXTERNO = "comite_externo"
    COMITE_TECNICO = "comite_tecnico"


class PersonType(StrEnum):
    FISICA = "fisica"
    MORAL = "moral"
    EJIDO = "ejido"
    COMUNIDAD = "comunidad"


class MiningClass(StrEnum):
    CONCESIBLE = "concesible"
    NO_CONCESIBLE = "no_concesible"


class Sector(StrEnum):
    INDUSTRIA = "industria"
    COMERCIO = "comercio"
    SERVICIOS = "servicios"


class Currency(StrEnum):
    MXN = "MXN"
    USD = "USD"


class Stage(StrEnum):
    """When in the life of a credit a requirement is due."""

    AUTHORIZATION = "authorization"  # 16.1: Anexo II / Anexo III / program annexes
    CONTRACTING = "contracting"  # 16.2.1
    PRE_DISBURSEMENT = "pre_disbursement"  # 16.2.2
    POST_DISBURSEMENT = "post_disbursement"  # 16.3, within N days of the first drawdown
    MONITORING_QUARTERLY = "monitoring_quarterly"  # 16.4
    MONITORING_ANNUAL = "monitoring_annual"  # 16.4
    LINE_QUALIFICATION = "line_qualification"  # 16.5


class ApplicantKind(StrEnum):
    """Anexo III distinguishes the introductor who holds the concession from the one with a plant."""

    CONCESIONARIO = "concesionario"
    PLANTA = "planta"


# ------------------------------------------------------------------------------------------- helpers


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


Money = Annotated[Decimal, Field(ge=0)]
Ratio = Annotated[Decimal, Field(ge=0)]
Fraction01 = Annotated[Decimal, Field(ge=0, le=1)]
Rule = Annotated[str, Field(min_length=1, description="The rule id this entry is cited by")]


class Cited(Model):
    rule: Rule


# ------------------------------------------------------------------------------- offices and states


class Office(Model):
    code: str
    name: str
    kind: Literal["gerencia", "subgerencia"] = "gerencia"
    states: list[str] = Field(min_length=1)


class Offices(Cited):
    states: dict[str, str] = Field(description="ISO 3166-2:MX code -> state name")
    offices: list[Office]

    @model_validator(mode="after")
    def _every_state_served_once(self) -> Offices:
        seen: dict[str, str] = {}
        for office in self.offices:
            for state in office.states:
                if state not in self.states:
                    raise ValueError(f"la oficina {office.code} atiende un estado desconocido: {state}")
                if state in seen:
                    raise ValueError(f"el estado {state} lo atienden {seen[state]} y {office.code}")
                seen[state] = office.code
        missing = sorted(set(self.states) - set(seen))
        if missing:
            raise ValueError(f"estados sin gerencia regional: {', '.join(missing)}")
        return self


# ------------------------------------------------------------------------------------------- sizing


class UpperBounds(Model):
    """Inclusive upper bound of each class; above the last bound is `grande`. A missing class is N/A."""

    micro: Decimal | None = None
    pequena: Decimal
    mediana: Decimal


class SizeTable(Cited):
    interpretation: Rule = Field(description="I-1: concesible size is the smaller of income and production")
    concesible_income_uma: UpperBounds
    concesible_production_tons_month: UpperBounds
    employees: dict[Sector, UpperBounds]


class UmaValue(Model):
    effective_from: date
    annual_mxn: Money


class ReferenceUnits(Cited):
    uma: list[UmaValue] = Field(min_length=1)


# ---------------------------------------------------------------------------------------- selection


class CondonedHistory(Cited):
    """Former debtors with condonations or quitas (Rules 6)."""

    allowed: dict[CreditType, list[list[GuaranteeType]]] = Field(
        description="credit type -> alternatives; each alternative is a set of guarantee types that "
        "must all be present (e.g. [[carta_retencion, hipoteca_industrial], ...])"
    )
    fiduciary_required: list[CreditType] = Field(
        description="credit types whose guarantee must be constituted in a trust (garantía fiduciaria)"
    )


class Selection(Cited):
    allowed_bureau_keys: list[str]
    technical_bankruptcy_capital_lost: str = Field(
        pattern=r"^\d+/\d+$", description="exact fraction of share capital lost, e.g. '2/3' (Rules 3)"
    )
    technical_bankruptcy_rule: Rule = Field(
        description="the id a rejection for technical bankruptcy cites for the definition of the threshold"
    )
    rejection_flags: dict[str, str] = Field(
        description="applicant flag -> Spanish description of the rejection cause"
    )
    condoned_history: CondonedHistory

    @property
    def technical_bankruptcy_fraction(self) -> Fraction:
        return Fraction(self.technical_bankruptcy_capital_lost)


class Financing(Cited):
    operating_max_of_investment: Fraction01
    operating_max_of_equity: Fraction01
    new_project_max_of_project: Fraction01


class AttentionTime(Cited):
    business_days: int = Field(gt=0)
    not_applicable_above_usd: Money


# ----------------------------------------------------------------------------------------- products


class Revolvency(Model):
    min_days: int = Field(gt=0)
    max_days: int = Field(gt=0)


class Product(Model):
    name: str
    purpose_rule: Rule
    purpose: str
    exclusions: list[str] = []
    past_investments_max_months: int | None = Field(
        None, description="9.1.1: investments already made may be financed if at most this old"
    )
    caps_rule: Rule
    max_usd: Money
    terms_rule: Rule
    max_term_months: int = Field(gt=0)
    max_grace_months: int = Field(ge=0)
    term_interpretation: Rule | None = None
    revolving: bool = False
    revolvency: Revolvency | None = None
    renewals: int = 0
    annual_qualification: bool = False
    counts_toward_large_company_share: bool = True
    coverage_class: str
    new_equipment_class: str | None = Field(
        None, description="10.2.1 option 2: coverage class for new equipment (1.5 : 1, +1 point)"
    )
    new_equipment_max_usd: Money | None = None
    new_equipment_rule: Rule | None = None


class AmountCeiling(Cited):
    """The largest amount (in units of its currency) any figure of a credit may carry: far above the group
    cap (9.2.2) at any exchange rate, so no credit of these Rules reaches it, and low enough that amounts
    kept as integer centavos cannot overflow a signed 64-bit integer when a million of them are summed in
    SQL (the portfolio totals over every loan)."""

    max_amount: Money


SUM_ROWS = 1_000_000  # how many amounts at the ceiling a sum in SQL must hold without overflowing
INT64_MAX = 2**63 - 1


class Currencies(Cited):
    group_cap_usd: Money
    usd_conditions: list[str]
    amount_ceiling: AmountCeiling

    @model_validator(mode="after")
    def _ceiling_is_far_and_fits(self) -> Currencies:
        ceiling = self.amount_ceiling.max_amount
        if ceiling <= self.group_cap_usd * 100:
            raise ValueError(
                "amount_ceiling.max_amount debe quedar muy por encima del límite por grupo "
                "(más de 100 veces group_cap_usd)"
            )
        if ceiling * 100 * SUM_ROWS > INT64_MAX:
            raise ValueError(
                f"amount_ceiling.max_amount: {SUM_ROWS:,} importes en centavos al tope excederían un entero "
                "de 64 bits"
            )
        if ceiling != ceiling.quantize(Decimal("0.01")):
            raise ValueError("amount_ceiling.max_amount debe estar en centavos")
        return self


# -------------------------------------------------------------------------------------------- rates


class BaseSeriesPeriod(Model):
    currency: Currency
    contracted_from: date
    contracted_until: date | None = None
    series: str
    rule: Rule


class SegmentRule(Model):
    rule: Rule
    name: str
    description: str
    min_years_satisfactory_with_fifomi_exclusive: Decimal | None = None
    min_request_mxn: Money | None = None
    min_years_of_sales: Decimal | None = None


class Rates(Cited):
    base_series: list[BaseSeriesPeriod]
    libor_fallback_spread_adjustments: dict[str, Decimal]
    segments: dict[Segment, SegmentRule]
    spreads_are_illustrative: bool
    spreads: dict[Segment, dict[Literal["pyme", "grande"], Decimal]]
    new_equipment_extra_points: Decimal
    new_equipment_rule: Rule
    moratorium_factor: Decimal
    moratorium_rule: Rule
    tmic_display_places: int
    tmic_rule: Rule
    prepayment_notice_business_days: int
    prepayment_rule: Rule


# --------------------------------------------------------------------------------------- guarantees


class GuaranteeTypeRule(Model):
    name: str
    category: Literal["real", "convencional"]
    definition_rule: Rule
    may_be_sole: bool
    sole_note: str = ""
    revolving_only: bool = False
    max_credit_term_months: int | None = Field(
        None, description="the guarantee backs only credits up to this term (fianza: 3 years)"
    )
    acceptance_rule: Rule | None = None
    acceptance_fraction: Fraction01 | None = Field(
        None, description="10.3: accepted value = appraisal × this"
    )
    share_cap_of_required: Fraction01 | None = Field(
        None, description="10.3: at most this share of the required guarantee"
    )
    appraisal_validity_months: int | None = None
    appraisal_rule: Rule | None = None
    insurable: bool = False
    is_equipment: bool = False
    is_mortgage: bool = False
    is_real: bool = False


class CoverageClass(Model):
    rule: Rule
    name: str
    minimum_ratio: Ratio
    caps: dict[GuaranteeType, Ratio | Literal["n/a"] | None] = Field(
        description="I-4: the most each type may contribute as a ratio to the credit; null = unlimited; "
        "'n/a' = not accepted in this class"
    )
    cap_notes: dict[GuaranteeType, str] = {}
    only_for: dict[GuaranteeType, list[CreditType]] = Field(
        {}, description="types that count in this class only for these credit types"
    )
    required_types: list[GuaranteeType] = Field(
        [], description="types that must be present (e.g. the new equipment's own pledge)"
    )
    sole_allowed: list[GuaranteeType] = Field(
        [], description="types that may cover the whole requirement alone in this class"
    )


class IntroductoresColumn(Model):
    max_amount_mxn: Money | None
    history: Literal["regular", "irregular"]
    applicant_kinds: list[ApplicantKind]
    concession_mortgage: Literal["opcional", "requerida"]
    real_guarantee_ratio: Ratio
    aval: str
    insurance_required: bool


class IntroductoresMatrix(Cited):
    minimum_ratio: Ratio
    always_required: list[str]
    columns: list[IntroductoresColumn]


class GuaranteePolicies(Cited):
    first_lien_required: bool
    new_equipment_max_months: int
    hechizo_accepted: bool
    transport_max_years: int
    aval_net_worth_max_months: int
    release_goes_to_committee_by_amount: bool
    insurance_rule: Rule
    uninsurable_counts: bool
    bare_land_needs_policy: bool
    renewal_reuses_last_appraisal: bool
    appraisal_rule: Rule = Field(description="the id cited for how old an appraisal may be (10.5)")


class Guarantees(Cited):
    types: dict[GuaranteeType, GuaranteeTypeRule]
    classes: dict[str, CoverageClass]
    introductores: IntroductoresMatrix
    policies: GuaranteePolicies

    @model_validator(mode="after")
    def _classes_name_known_types(self) -> Guarantees:
        for code, klass in self.classes.items():
            unknown = set(klass.caps) - set(self.types)
            if unknown:
                raise ValueError(f"la clase de cobertura {code} cita tipos desconocidos: {sorted(unknown)}")
        return self


# -------------------------------------------------------------------------------------- commissions


class Commissions(Cited):
    iva_rate: Fraction01
    iva_rule: Rule
    interest_iva_exempt: bool
    opening_rate: Fraction01
    opening_credit_types: list[CreditType]
    per_drawdown_rate: dict[Currency, Fraction01]
    per_drawdown_credit_types: list[CreditType]
    interpretation: Rule
    paid_before_disbursement: bool


class Authorization(Cited):
    validity_calendar_days: int
    extensions: int
    extension_calendar_days: int


class ProofOfUse(Cited):
    calendar_days: int
    fraction: Fraction01


# ---------------------------------------------------------------------------------------- committees


class Committee(Model):
    code: CommitteeCode
    name: str
    rule: Rule
    min_exposure_usd_exclusive: Money | None = None
    max_exposure_usd: Money | None = None
    powers: list[str]


class Committees(Cited):
    exposure_rule: Rule
    large_company_committee: CommitteeCode
    large_company_rule: Rule
    uncovered_committee: CommitteeCode
    uncovered_rule: Rule
    committees: list[Committee]


# -------------------------------------------------------------------------------------- requirements


class Requirement(Model):
    code: str = Field(description="unique within the rule set, e.g. 'AII-06'")
    number: int
    name: str
    notes: str = ""
    credit_types: list[CreditType] | None = Field(None, description="None = every credit type")
    person_types: list[PersonType] | None = Field(None, description="None = every person type")
    applicant_kinds: list[ApplicantKind] | None = None
    condition: str | None = Field(
        None, description="'en su caso' documents: the condition under which the document is due"
    )
    validity_months: int | None = Field(None, description="the document may be at most this old")
    legal_review: bool = False


class Checklist(Model):
    code: str
    rule: Rule
    title: str
    stage: Stage
    programs: list[ProgramCode] = Field(description="programs this checklist applies to")
    credit_types: list[CreditType] | None = None
    due_calendar_days: int | None = Field(None, description="16.3: due within N days of the first drawdown")
    documents: list[Requirement] = Field(min_length=1)


class Activity(Model):
    number: int
    description: str
    requires_primary_extraction: bool = False


class ActivityList(Cited):
    title: str
    activities: list[Activity] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_numbers(self) -> ActivityList:
        numbers = [a.number for a in self.activities]
        if len(numbers) != len(set(numbers)):
            raise ValueError("números de actividad repetidos")
        return self


# ------------------------------------------------------------------------------------------ programs


class ProgramProduct(Model):
    max_mxn: Money
    max_term_months: int
    max_grace_months: int


class ProgramCoverage(Model):
    rule: Rule
    minimum_ratio: Ratio
    fund_ratio: Ratio = Decimal(0)
    allowed_types: list[GuaranteeType] | None = None
    required_types: list[GuaranteeType] = []
    zero_weight_types: list[GuaranteeType] = Field(
        [],
        description="instruments the program requires that add no value to the ratio (P-4 retention letter)",
    )
    appraisal_validity_months: dict[GuaranteeType, int] = Field(
        {}, description="the program's own appraisal age limits, overriding 10.5 (P-2 2.8, P-3 3.9)"
    )
    notes: str = ""


class GuaranteeFund(Model):
    rule: Rule
    name: str
    kind: Literal["first_loss_pool", "portfolio_first_loss", "liquid_ratio"]
    amount_mxn: Money | None = None
    fraction_of_credit: Fraction01 | None = None
    fraction_of_losses: Fraction01 | None = None
    max_share_per_contributor: Fraction01 | None = None
    notes: str = ""


class ProgramStepSpec(Model):
    """A program's own step on each file, due before the stage it names: a plain string in the data is a
    step due before the file goes to committee (`authorization`)."""

    text: str
    due: Stage = Stage.AUTHORIZATION

    @model_validator(mode="before")
    @classmethod
    def _plain_text(cls, value: object) -> object:
        return {"text": value} if isinstance(value, str) else value


class Program(Model):
    code: ProgramCode
    name: str
    rule: Rule
    valid_from: date | None = None
    valid_until: date | None = None
    allotment_mxn: Money | None = None
    sizes: list[Size] | None = None
    states: list[str] | None = None
    municipality: str | None = None
    activity_list: str | None = Field(None, description="key into RuleSet.activity_lists; None = Anexo I")
    excluded_activities: list[str] = []
    products: dict[CreditType, ProgramProduct] = {}
    min_amount_mxn: Money | None = None
    max_total_mxn: Money | None = None
    spread: Decimal | None = None
    payment_every_months: list[int] | None = None
    commissions: bool = True
    coverage: ProgramCoverage | None = None
    allowed_bureau_keys: dict[PersonType, list[str]] | None = None
    answer_business_days: int | None = None
    authorization_validity_calendar_days: int | None = None
    guarantee_funds: list[GuaranteeFund] = []
    committee: CommitteeCode | None = None
    steps: list[ProgramStepSpec] = Field(
        [], description="extra steps of the file (parametric evaluation, NOM-032 …), each due before a stage"
    )
    notes: str = ""
    overrides: dict[str, Rule] = Field(
        {}, description="which general-rule topics this program overrides, with the program's rule id"
    )


class CadenasProductivas(Model):
    """P-1: electronic factoring for suppliers of a large buyer (EPO)."""

    rule: Rule
    max_document_days: int
    max_advance_fraction: Fraction01
    line_max_months: int
    review_months: int
    epo_spread_min: Decimal
    epo_spread_max: Decimal
    supplier_spread_min: Decimal
    supplier_spread_max: Decimal
    admin_points_max: Decimal
    supplier_max_over_nafin: Decimal
    epo_guarantee_ratio: Ratio
    epo_guarantee_types: list[GuaranteeType]
    epo_admitted_by: CommitteeCode
    payment_modes: list[str]


class Budget(Cited):
    large_company_max_fraction: Fraction01
    first_tier_rule: Rule = Field(
        description="the id a refusal cites when an authorization exceeds the year's first-tier budget"
    )


# ------------------------------------------------------------------------- restructurings (Rules 15)


class SustainedPaymentBand(Model):
    """How many consecutive installments paid without delay make «pago sostenido» for a schedule whose
    period lasts up to `max_period_days` natural days (None: any longer period)."""

    max_period_days: int | None = Field(None, ge=1)
    installments: int = Field(ge=1)


class Restructuring(Cited):
    """Restructurings (Rules 15; powers 17.2 b, 17.3 b) and the CNBV classification of a restructured
    credit that was cartera vencida: it stays vencida until sustained payment."""

    committee_rule: Rule = Field(
        description="the id cited for routing by the principal balance (17.2 b, 17.3 b)"
    )
    sustained_payment_rule: Rule = Field(description="the id cited for «pago sostenido» (CNBV B-6)")
    sustained_payment_source: str = Field(min_length=1)
    days_per_month: int = Field(ge=28, le=31, description="a period's nominal natural days per month")
    sustained_payment: list[SustainedPaymentBand] = Field(min_length=1)

    def installments_for(self, period_months: int) -> SustainedPaymentBand:
        """The band of a schedule paying every `period_months` months (nominal days per month)."""
        days = period_months * self.days_per_month
        for band in self.sustained_payment:
            if band.max_period_days is None or days <= band.max_period_days:
                return band
        return self.sustained_payment[-1]


# ------------------------------------------------------------------------------------------ rule set


class RuleSet(Model):
    version: str
    effective_from: date
    source: str
    description: str = ""
    offices: Offices
    reference_units: ReferenceUnits
    size: SizeTable
    selection: Selection
    financing: Financing
    attention_time: AttentionTime
    products: dict[CreditType, Product]
    currencies: Currencies
    rates: Rates
    guarantees: Guarantees
    commissions: Commissions
    authorization: Authorization
    proof_of_use: ProofOfUse
    committees: Committees
    budget: Budget
    disbursement_rule: Rule = Field(description="the id cited for drawdowns by deposit, one or several (12)")
    checklists_rule: Rule = Field(description="the id cited for the requirement checklists as a whole (16)")
    checklists: list[Checklist]
    activity_lists: dict[str, ActivityList]
    programs: dict[ProgramCode, Program]
    cadenas_productivas: CadenasProductivas
    restructuring: Restructuring | None = None

    @model_validator(mode="after")
    def _cross_references(self) -> RuleSet:
        problems: list[str] = []
        if set(self.products) != set(CreditType):
            problems.append(f"faltan productos: {sorted(set(CreditType) - set(self.products))}")
        for code, product in self.products.items():
            for klass in (product.coverage_class, product.new_equipment_class):
                if klass is not None and klass not in self.guarantees.classes:
                    problems.append(f"products.{code}: clase de cobertura desconocida {klass}")
        if "anexo_i" not in self.activity_lists:
            problems.append("activity_lists: falta 'anexo_i'")
        for program_code, program in self.programs.items():
            if program.activity_list and program.activity_list not in self.activity_lists:
                problems.append(
                    f"programs.{program_code}.activity_list: lista desconocida {program.activity_list}"
                )
        codes = [doc.code for checklist in self.checklists for doc in checklist.documents]
        duplicated = sorted({c for c in codes if codes.count(c) > 1})
        if duplicated:
            problems.append(f"checklists: códigos de documento repetidos {duplicated}")
        if problems:
            raise ValueError("; ".join(problems))
        return self
