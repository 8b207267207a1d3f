"""The credit-rules engine: a proposal in, the verdict out, every finding citing its rule.

`evaluate(proposal, ruleset)` is pure (plain data in, plain data out). `evaluate_document(doc)` implements
the `filon evaluate` / `POST /api/v1/evaluations` contract of SPEC: it reads the JSON document, picks the
rule set in force on `as_of`, evaluates, and returns the contract's JSON-ready dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from filon.core.calendar import add_business_days
from filon.core.coverage import CoverageResult, condoned_history_findings, evaluate_coverage
from filon.core.errors import InputError
from filon.core.findings import Finding, error, has_errors, info, warning
from filon.core.money import CENT, format_money, format_percent, round_money
from filon.core.proposal import Proposal, read_proposal
from filon.core.sizing import SIZE_NAMES, company_size, segment, uma_for_date
from filon.rules import NoRuleSetInForce, load_ruleset_for_date
from filon.rules.schema import (
    SIZE_ORDER,
    CommitteeCode,
    CreditType,
    Currency,
    GuaranteeType,
    Office,
    Program,
    ProgramCode,
    RuleSet,
    Segment,
    Size,
    Stage,
)

ZERO = Decimal(0)
COMMITTEE_ORDER = (CommitteeCode.COMITE_INTERNO, CommitteeCode.COMITE_EXTERNO, CommitteeCode.COMITE_TECNICO)


@dataclass(frozen=True)
class Limit:
    amount: Decimal  # in the request currency, unrounded
    rule: str
    label: str


@dataclass(frozen=True)
class Commission:
    rate: Decimal
    amount: Decimal
    iva: Decimal
    total: Decimal
    per_drawdown_rate: Decimal | None = None

    def as_dict(self) -> dict[str, str]:
        return {
            "rate": str(self.rate),
            "amount": str(self.amount),
            "iva": str(self.iva),
            "total": str(self.total),
        }


@dataclass
class Evaluation:
    ruleset_version: str
    size: Size
    segment: Segment
    committee: CommitteeCode
    exposure_usd: Decimal
    max_amount: Decimal
    max_term_months: int
    max_grace_months: int
    coverage: CoverageResult
    opening_commission: Commission
    office: Office | None
    pricing: dict[str, str | bool]
    attention_time: dict[str, object]
    authorization_validity_days: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not has_errors(self.findings)

    def as_dict(self) -> dict[str, object]:
        commission = self.opening_commission.as_dict()
        result: dict[str, object] = {
            "eligible": self.eligible,
            "size": self.size.value,
            "segment": self.segment.value,
            "committee": self.committee.value,
            "exposure_usd": str(round_money(self.exposure_usd)),
            "limits": {
                "max_amount": str(self.max_amount),
                "max_term_months": self.max_term_months,
                "max_grace_months": self.max_grace_months,
            },
            "coverage": self.coverage.as_dict(),
            "opening_commission": commission,
            "findings": [f.as_dict() for f in self.findings],
            # additions to the contract
            "ruleset_version": self.ruleset_version,
            "office": {"code": self.office.code, "name": self.office.name} if self.office else None,
            "pricing": self.pricing,
            "attention_time": self.attention_time,
            "authorization_validity_days": self.authorization_validity_days,
        }
        if self.opening_commission.per_drawdown_rate is not None:
            result["per_drawdown_commission"] = {"rate": str(self.opening_commission.per_drawdown_rate)}
        return result


# ---------------------------------------------------------------------------------------------------


class _Context:
    """Conversions between the request currency, MXN and USD at the proposal's FIX rate (C-6)."""

    def __init__(self, proposal: Proposal) -> None:
        self.p = proposal
        self.fx = proposal.fx_usd_mxn
        self.currency = proposal.request.currency

    def to_usd(self, amount: Decimal, currency: Currency) -> Decimal:
        return amount if currency is Currency.USD else amount / self.fx

    def to_mxn(self, amount: Decimal, currency: Currency) -> Decimal:
        return amount if currency is Currency.MXN else amount * self.fx

    def usd_to_request(self, usd: Decimal) -> Decimal:
        return usd if self.currency is Currency.USD else usd * self.fx

    def mxn_to_request(self, mxn: Decimal) -> Decimal:
        return mxn if self.currency is Currency.MXN else mxn / self.fx

    def money(self, amount: Decimal) -> str:
        return format_money(amount, self.currency.value)

    @property
    def amount(self) -> Decimal:
        return self.p.request.amount

    @property
    def amount_usd(self) -> Decimal:
        return self.to_usd(self.amount, self.currency)

    @property
    def amount_mxn(self) -> Decimal:
        return self.to_mxn(self.amount, self.currency)


def office_for_state(ruleset: RuleSet, state: str) -> Office | None:
    for office in ruleset.offices.offices:
        if state in office.states:
            return office
    return None


def _program(ruleset: RuleSet, code: ProgramCode) -> Program:
    return ruleset.programs[code]


def _population_findings(ruleset: RuleSet, proposal: Proposal, program: Program, size: Size) -> list[Finding]:
    """R-5.1 population and activity; the program's own population where it overrides (P-2 … P-4)."""
    a = proposal.applicant
    r = proposal.request
    findings: list[Finding] = []
    population_rule = "5"
    if not a.mexican:
        findings.append(error(population_rule, "La población objetivo son personas y sociedades mexicanas."))
    list_key = program.activity_list or "anexo_i"
    activities = ruleset.activity_lists[list_key]
    by_number = {act.number: act for act in activities.activities}
    activity_rule = program.overrides.get("activities", activities.rule)
    activity = by_number.get(a.activity)
    buyer = by_number.get(a.buyer_activity) if a.buyer_activity is not None else None
    supplier_credit = r.credit_type in (
        CreditType.AVIO_REVOLVENTE_PROVEEDORES,
        CreditType.AVIO_REVOLVENTE_INTRODUCTORES,
    )
    if activity is None and supplier_credit and buyer is not None:
        findings.append(
            info(
                ruleset.products[r.credit_type].purpose_rule,
                f"La actividad del proveedor no está en la lista; cuenta la del comprador: {buyer.number}. "
                f"{buyer.description}",
            )
        )
    elif activity is None:
        findings.append(
            error(
                activity_rule,
                f"La actividad {a.activity} no está en la lista de actividades apoyables ({activities.rule}).",
            )
        )
    else:
        if activity.requires_primary_extraction and not a.primary_extraction:
            findings.append(
                error(
                    activity_rule,
                    f"La actividad «{activity.description}» (**) sólo es apoyable si el solicitante también "
                    "realiza extracción primaria.",
                )
            )
        else:
            findings.append(
                info(activity_rule, f"Actividad apoyable: {activity.number}. {activity.description}")
            )
    if size is Size.GRANDE and program.code is ProgramCode.PRIMER_PISO:
        findings.append(
            info(
                ruleset.committees.large_company_rule,
                "Empresa grande: se autoriza por excepción en el Comité Técnico, con cargo a la porción del "
                f"presupuesto anual para grandes empresas (hasta {format_percent(ruleset.budget.large_company_max_fraction)}; "
                f"Regla {ruleset.budget.rule}); su tasa es mayor que la de las PYMES.",
            )
        )
    if program.sizes is not None and size not in program.sizes:
        allowed = ", ".join(SIZE_NAMES[s] for s in program.sizes)
        findings.append(
            error(
                program.overrides.get("sizes", program.rule),
                f"El programa {program.name} atiende empresas de tamaño {allowed}; el solicitante es "
                f"{SIZE_NAMES[size]}.",
            )
        )
    if program.states is not None and a.state not in program.states:
        findings.append(
            error(program.rule, f"El programa {program.name} es sólo para {', '.join(program.states)}.")
        )
    if program.municipality is not None:
        if a.municipality is None:
            findings.append(
                warning(program.rule, f"Verifique el domicilio en el municipio de {program.municipality}.")
            )
        elif a.municipality.casefold() != program.municipality.casefold():
            findings.append(
                error(
                    program.rule,
                    f"El programa exige domicilio en {program.municipality}; se indicó {a.municipality}.",
                )
            )
    if program.code is ProgramCode.CANANEA and a.cananea_commercial_relation is False:
        findings.append(
            error(program.rule, "El programa exige relación comercial con la economía de Cananea.")
        )
    if program.code is ProgramCode.CARBON_COAHUILA:
        if a.nom_032_verified is False:
            findings.append(error(program.rule, "La mina no cumple la verificación de la NOM-032-STPS-2008."))
        elif a.nom_032_verified is None:
            findings.append(
                warning(program.rule, "Pendiente: verificación de la NOM-032-STPS-2008 de la mina.")
            )
    if program.valid_from is not None and proposal.as_of < program.valid_from:
        findings.append(
            error(program.rule, f"El programa {program.name} inicia el {program.valid_from:%d/%m/%Y}.")
        )
    if program.valid_until is not None and proposal.as_of > program.valid_until:
        findings.append(
            error(program.rule, f"El programa {program.name} concluyó el {program.valid_until:%d/%m/%Y}.")
        )
    for step in program.steps:
        findings.append(info(program.rule, f"Paso del programa: {step.text}."))
    return findings


def _selection_findings(ruleset: RuleSet, proposal: Proposal, program: Program) -> list[Finding]:
    """R-6 selection criteria: each rejection cause is its own error finding."""
    a = proposal.applicant
    sel = ruleset.selection
    findings: list[Finding] = []
    for flag, description in sel.rejection_flags.items():
        if a.flag(flag):
            findings.append(error(sel.rule, f"No se apoya a solicitantes con {description}."))
    allowed_keys = sel.allowed_bureau_keys
    keys_rule = sel.rule
    if program.allowed_bureau_keys is not None:
        allowed_keys = program.allowed_bureau_keys.get(a.person_type, [])
        keys_rule = program.overrides.get("bureau_keys", program.rule)
    bad_keys = [k for k in a.bureau_prevention_keys if k.upper() not in {x.upper() for x in allowed_keys}]
    if bad_keys:
        allowed_text = ", ".join(allowed_keys) if allowed_keys else "ninguna"
        findings.append(
            error(
                keys_rule,
                f"Claves de prevención en el Buró de Crédito no admitidas: {', '.join(bad_keys)} "
                f"(admitidas: {allowed_text}).",
            )
        )
    threshold = sel.technical_bankruptcy_fraction
    if Fraction(a.capital_lost_fraction) >= threshold:
        findings.append(
            error(
                sel.rule,
                f"Quiebra técnica: se ha perdido {format_percent(a.capital_lost_fraction)} del capital social "
                f"(umbral: {sel.technical_bankruptcy_capital_lost} partes, Regla {sel.technical_bankruptcy_rule}).",
            )
        )
    if a.condoned_history:
        findings.extend(
            condoned_history_findings(
                ruleset, credit_type=proposal.request.credit_type, guarantees=proposal.guarantees
            )
        )
    return findings


def _purpose_findings(ruleset: RuleSet, proposal: Proposal) -> list[Finding]:
    """9.1 purpose restrictions that a proposal can state."""
    r = proposal.request
    product = ruleset.products[r.credit_type]
    findings: list[Finding] = []
    if (
        product.past_investments_max_months is not None
        and r.past_investment_months is not None
        and r.past_investment_months > product.past_investments_max_months
    ):
        findings.append(
            error(
                product.purpose_rule,
                f"Sólo pueden financiarse inversiones ya realizadas con antigüedad de hasta "
                f"{product.past_investments_max_months} meses (se indicaron {r.past_investment_months}).",
            )
        )
    if r.credit_type is CreditType.PAGO_PASIVOS:
        if r.liabilities_to_affiliates:
            findings.append(
                error(
                    product.purpose_rule,
                    "No se financian pasivos con empresas filiales, controladora o accionistas.",
                )
            )
        if r.liabilities_current is False:
            findings.append(
                error(
                    product.purpose_rule,
                    "El pago de pasivos exige historial de pago puntual y estar al corriente.",
                )
            )
    if product.exclusions:
        findings.append(
            info(
                product.purpose_rule,
                f"Exclusiones del {product.name.lower()}: {', '.join(product.exclusions)}.",
            )
        )
    return findings


def _limits(
    ruleset: RuleSet, proposal: Proposal, program: Program, ctx: _Context
) -> tuple[list[Limit], list[Finding]]:
    """Every cap on the amount, in the request currency, each with its rule (9.2.1, 9.2.2, 7, programs)."""
    a = proposal.applicant
    r = proposal.request
    product = ruleset.products[r.credit_type]
    findings: list[Finding] = []
    limits: list[Limit] = []
    program_product = program.products.get(r.credit_type)
    if program.code not in (ProgramCode.PRIMER_PISO, ProgramCode.CADENAS_PRODUCTIVAS):
        amounts_rule = program.overrides.get("amounts", program.rule)
        if program_product is None:
            offered = ", ".join(c.value for c in program.products) or "ninguno"
            findings.append(
                error(
                    amounts_rule,
                    f"El programa {program.name} no ofrece {product.name.lower()} (ofrece: {offered}).",
                )
            )
        else:
            limits.append(
                Limit(
                    ctx.mxn_to_request(program_product.max_mxn),
                    amounts_rule,
                    f"del programa para {product.name.lower()}",
                )
            )
        if r.currency is not Currency.MXN:
            findings.append(error(amounts_rule, f"El programa {program.name} opera sólo en moneda nacional."))
        if program.max_total_mxn is not None:
            room = max(program.max_total_mxn - a.program_outstanding_mxn, ZERO)
            limits.append(
                Limit(
                    ctx.mxn_to_request(room),
                    amounts_rule,
                    "que deja la suma máxima por acreditado en el programa",
                )
            )
        if program.min_amount_mxn is not None and ctx.amount_mxn < program.min_amount_mxn:
            findings.append(
                error(
                    amounts_rule,
                    f"El monto mínimo del programa es {format_money(program.min_amount_mxn)}; "
                    f"se solicitaron {ctx.money(r.amount)}.",
                )
            )
    else:
        limits.append(
            Limit(ctx.usd_to_request(product.max_usd), product.caps_rule, f"para {product.name.lower()}")
        )
    group_room_usd = max(ruleset.currencies.group_cap_usd - a.group_outstanding_usd, ZERO)
    limits.append(
        Limit(
            ctx.usd_to_request(group_room_usd),
            ruleset.currencies.rule,
            f"que deja el límite por empresa o grupo de {format_money(ruleset.currencies.group_cap_usd, 'USD')} "
            f"(saldo vigente {format_money(a.group_outstanding_usd, 'USD')})",
        )
    )
    fin = ruleset.financing
    if a.new_project:
        limits.append(
            Limit(
                r.investment_program * fin.new_project_max_of_project,
                fin.rule,
                f"({format_percent(fin.new_project_max_of_project, 0)} del proyecto nuevo)",
            )
        )
    else:
        limits.append(
            Limit(
                r.investment_program * fin.operating_max_of_investment,
                fin.rule,
                f"({format_percent(fin.operating_max_of_investment, 0)} del programa de inversión sin IVA)",
            )
        )
        equity_limit = ctx.mxn_to_request(max(a.equity_mxn, ZERO)) * fin.operating_max_of_equity
        limits.append(
            Limit(
                equity_limit,
                fin.rule,
                f"({format_percent(fin.operating_max_of_equity, 0)} del capital contable)",
            )
        )
    for limit in limits:
        if r.amount > limit.amount:
            findings.append(
                error(
                    limit.rule,
                    f"El monto solicitado ({ctx.money(r.amount)}) excede el máximo de "
                    f"{ctx.money(limit.amount.quantize(CENT, rounding=ROUND_DOWN))} {limit.label} — Regla {limit.rule}",
                )
            )
    if r.currency is Currency.USD:
        conditions = " ".join(ruleset.currencies.usd_conditions)
        if a.usd_income is False:
            findings.append(error(ruleset.currencies.rule, f"Crédito en dólares no procedente: {conditions}"))
        elif a.usd_income is None:
            findings.append(
                warning(ruleset.currencies.rule, f"Para disponer en dólares verifique: {conditions}")
            )
    return limits, findings


def _terms(ruleset: RuleSet, proposal: Proposal, program: Program) -> tuple[int, int, list[Finding]]:
    r = proposal.request
    product = ruleset.products[r.credit_type]
    max_term, max_grace, rule = product.max_term_months, product.max_grace_months, product.terms_rule
    program_product = program.products.get(r.credit_type)
    if program_product is not None:
        max_term, max_grace = program_product.max_term_months, program_product.max_grace_months
        rule = program.overrides.get("terms", program.rule)
    findings: list[Finding] = []
    if r.term_months > max_term:
        findings.append(
            error(
                rule,
                f"El plazo de {r.term_months} meses excede el máximo de {max_term} meses para {product.name.lower()}.",
            )
        )
    if r.grace_months > max_grace:
        findings.append(
            error(
                program.overrides.get("grace", rule),
                f"La gracia de {r.grace_months} meses excede el máximo de {max_grace} meses para {product.name.lower()}.",
            )
        )
    if r.grace_months >= r.term_months and not product.revolving:
        findings.append(error(rule, "La gracia debe ser menor que el plazo: deben quedar pagos de capital."))
    if product.revolvency is not None and r.drawdown_days is not None:
        rev = product.revolvency
        if not rev.min_days <= r.drawdown_days <= rev.max_days:
            findings.append(
                error(
                    rule,
                    f"Cada disposición debe tener revolvencia de {rev.min_days} a {rev.max_days} días "
                    f"(se indicaron {r.drawdown_days}).",
                )
            )
    if product.term_interpretation:
        findings.append(
            info(
                product.term_interpretation,
                f"Plazo de {product.name.lower()}: hasta {max_term} meses, renovable.",
            )
        )
    if product.annual_qualification:
        qualification = next((c for c in ruleset.checklists if c.stage is Stage.LINE_QUALIFICATION), None)
        if qualification is not None:
            findings.append(
                info(qualification.rule, f"Línea sujeta a calificación anual: {qualification.title.lower()}.")
            )
    if (
        program.payment_every_months is not None
        and r.payment_every_months is not None
        and r.payment_every_months not in program.payment_every_months
    ):
        allowed = ", ".join(str(m) for m in program.payment_every_months)
        findings.append(
            error(
                program.overrides.get("payment_periodicity", program.rule),
                f"Periodicidad de pago no admitida por el programa: cada {r.payment_every_months} meses "
                f"(admitidas: cada {allowed} meses).",
            )
        )
    return max_term, max_grace, findings


def committee_by_amount(ruleset: RuleSet, amount_usd: Decimal) -> tuple[CommitteeCode, str]:
    """R-17: the committee whose amount band holds `amount_usd` (an exposure, or a loan's principal
    balance for a restructuring, 17.2 b / 17.3 b), and its rule; above every band, the uncovered case."""
    config = ruleset.committees
    for committee in config.committees:
        above_min = (
            committee.min_exposure_usd_exclusive is None or amount_usd > committee.min_exposure_usd_exclusive
        )
        below_max = committee.max_exposure_usd is None or amount_usd <= committee.max_exposure_usd
        if above_min and below_max:
            return committee.code, committee.rule
    return config.uncovered_committee, config.uncovered_rule


def _committee(
    ruleset: RuleSet, exposure_usd: Decimal, size: Size, program: Program
) -> tuple[CommitteeCode, Finding]:
    """R-17: by exposure; large companies and uncovered cases go to the Comité Técnico."""
    config = ruleset.committees
    chosen, rule = committee_by_amount(ruleset, exposure_usd)
    reason = f"exposición de {format_money(exposure_usd, 'USD')} (solicitud más saldos vigentes de la empresa o grupo)"
    if size is Size.GRANDE and COMMITTEE_ORDER.index(config.large_company_committee) > COMMITTEE_ORDER.index(
        chosen
    ):
        chosen, rule, reason = (
            config.large_company_committee,
            config.large_company_rule,
            "empresa grande, por excepción",
        )
    if program.committee is not None and COMMITTEE_ORDER.index(program.committee) > COMMITTEE_ORDER.index(
        chosen
    ):
        chosen, rule, reason = program.committee, program.rule, f"instancia del programa {program.name}"
    name = next((c.name for c in config.committees if c.code is chosen), chosen.value)
    return chosen, info(rule, f"Instancia de decisión: {name} ({reason}).")


def _commission(ruleset: RuleSet, proposal: Proposal, program: Program) -> tuple[Commission, Finding]:
    """R-14 and I-6: opening commission with IVA, or the per-drawdown commission; none in P-2 … P-4."""
    c = ruleset.commissions
    r = proposal.request
    zero = Decimal("0.00")
    if not program.commissions:
        rule = program.overrides.get("commissions", program.rule)
        return Commission(ZERO, zero, zero, zero), info(
            rule, f"El programa {program.name} no cobra comisiones."
        )
    if r.credit_type in c.per_drawdown_credit_types:
        rate = c.per_drawdown_rate[r.currency]
        return (
            Commission(ZERO, zero, zero, zero, per_drawdown_rate=rate),
            info(
                c.interpretation,
                f"Sin comisión de apertura; comisión por cada disposición de {format_percent(rate)} más IVA, "
                "pagadera antes de cada disposición.",
            ),
        )
    if r.credit_type in c.opening_credit_types:
        amount = round_money(r.amount * c.opening_rate)
        iva = round_money(amount * c.iva_rate)
        return (
            Commission(c.opening_rate, amount, iva, amount + iva),
            info(
                c.rule,
                f"Comisión por apertura: {format_percent(c.opening_rate)} = {format_money(amount, r.currency.value)} "
                f"más IVA {format_money(iva, r.currency.value)}, pagadera antes de la disposición.",
            ),
        )
    return Commission(ZERO, zero, zero, zero), info(
        c.rule, "Sin comisión de apertura para este tipo de crédito."
    )


def _pricing(
    ruleset: RuleSet, proposal: Proposal, program: Program, seg: Segment, size: Size, new_equipment: bool
) -> tuple[dict[str, str | bool], list[Finding]]:
    rates = ruleset.rates
    r = proposal.request
    base = next(
        (
            b
            for b in rates.base_series
            if b.currency is r.currency
            and b.contracted_from <= proposal.as_of
            and (b.contracted_until is None or proposal.as_of <= b.contracted_until)
        ),
        None,
    )
    findings: list[Finding] = []
    base_name = base.series if base else "sin serie"
    base_rule = base.rule if base else rates.rule
    if program.code is ProgramCode.CADENAS_PRODUCTIVAS:
        # P-1 prices suppliers on the Tasa NAFIN plus its own range, checked by _cadenas_findings.
        p1 = ruleset.cadenas_productivas
        spread = r.spread if r.spread is not None else p1.supplier_spread_min
        spread_rule = program.overrides.get("rate", p1.rule)
        base_name, base_rule, illustrative = "TASA_NAFIN", spread_rule, False
    elif program.spread is not None:
        spread = program.spread
        spread_rule = program.overrides.get("rate", program.rule)
        illustrative = False
    else:
        spread = rates.spreads[seg]["grande" if size is Size.GRANDE else "pyme"]
        spread_rule = rates.rule
        illustrative = rates.spreads_are_illustrative
    extra = rates.new_equipment_extra_points if new_equipment else ZERO
    if (
        r.spread is not None
        and r.spread < spread + extra
        and program.code is not ProgramCode.CADENAS_PRODUCTIVAS
    ):
        findings.append(
            warning(
                spread_rule,
                f"La sobretasa propuesta ({format_percent(r.spread)}) es menor que la de la tabla "
                f"({format_percent(spread + extra)}).",
            )
        )
    text = f"Tasa ordinaria: {base_name} + {format_percent(spread + extra)}"
    if extra:
        text += f" (incluye {format_percent(extra)} por la opción de equipo nuevo 1.5 a 1, Regla {rates.new_equipment_rule})"
    if illustrative:
        text += "; sobretasas ilustrativas, sujetas a la tabla autorizada por el Comité Interno"
    findings.append(info(base_rule, text + "."))
    return (
        {
            "base": base_name,
            "base_rule": base_rule,
            "spread": str(spread),
            "new_equipment_points": str(extra),
            "total_spread": str(spread + extra),
            "spread_rule": spread_rule,
            "illustrative": illustrative,
        },
        findings,
    )


def _introductores_findings(
    ruleset: RuleSet, proposal: Proposal, ctx: _Context, coverage: CoverageResult
) -> list[Finding]:
    """10.2.2 matrix: the column by amount, credit history and applicant kind sets extra conditions."""
    matrix = ruleset.guarantees.introductores
    a = proposal.applicant
    history = a.credit_history or ("irregular" if a.condoned_history else "regular")
    candidates = [
        col
        for col in matrix.columns
        if col.history == history
        and a.introductor_kind in col.applicant_kinds
        and (col.max_amount_mxn is None or ctx.amount_mxn <= col.max_amount_mxn)
    ]
    if not candidates:
        return [error(matrix.rule, f"No hay columna de la matriz {matrix.rule} para este solicitante.")]
    column = min(
        candidates,
        key=lambda col: col.max_amount_mxn if col.max_amount_mxn is not None else Decimal("Infinity"),
    )
    findings: list[Finding] = []
    real_types = {t for t, rule in ruleset.guarantees.types.items() if rule.is_real}
    real = sum((line.counted for line in coverage.lines if line.type in real_types), ZERO)
    needed = column.real_guarantee_ratio * ctx.amount_mxn
    has_aval = any(line.type is GuaranteeType.AVAL and line.counted > 0 for line in coverage.lines)
    if real < needed:
        if has_aval and "Si no" in column.aval:
            findings.append(
                warning(
                    matrix.rule,
                    f"La garantía hipotecaria o prendaria ({format_money(real)}) no alcanza la proporción "
                    f"{column.real_guarantee_ratio} a 1; el aval la sustituye ({column.aval.lower()}).",
                )
            )
        else:
            findings.append(
                error(
                    matrix.rule,
                    f"Se requiere hipoteca o prenda en proporción {column.real_guarantee_ratio} a 1 "
                    f"({format_money(needed)}); computan {format_money(real)}.",
                )
            )
    if column.concession_mortgage == "requerida" and not any(
        line.type is GuaranteeType.CONCESION_MINERA for line in coverage.lines
    ):
        findings.append(
            error(
                matrix.rule,
                "Con antecedentes crediticios irregulares se requiere hipoteca sobre la concesión minera.",
            )
        )
    for item in matrix.always_required:
        findings.append(info(matrix.rule, f"Requisito de garantía: {item}"))
    if column.insurance_required:
        findings.append(
            info(matrix.rule, "Se requiere póliza de seguro de los bienes asegurables a favor del FIFOMI.")
        )
    return findings


def _cadenas_findings(ruleset: RuleSet, proposal: Proposal, ctx: _Context) -> list[Finding]:
    """P-1: the supplier line and each discounted document."""
    p1 = ruleset.cadenas_productivas
    r = proposal.request
    findings: list[Finding] = []
    if r.credit_type is not CreditType.AVIO_REVOLVENTE_PROVEEDORES:
        findings.append(
            error(p1.rule, "Cadenas Productivas opera con avío revolvente para apoyo de proveedores.")
        )
    if r.term_months > p1.line_max_months:
        findings.append(
            error(
                p1.rule,
                f"La línea de Cadenas Productivas es de hasta {p1.line_max_months} meses, con revisión "
                f"cada {p1.review_months} meses.",
            )
        )
    for i, doc in enumerate(r.documents):
        days = (doc.due_date - proposal.as_of).days
        field_name = f"request.documents[{i}]"
        if days <= 0:
            findings.append(
                error(p1.rule, f"{field_name}: el documento ya venció ({doc.due_date:%d/%m/%Y}).")
            )
        elif days > p1.max_document_days:
            findings.append(
                error(
                    p1.rule,
                    f"{field_name}: vence en {days} días; el plazo máximo de los documentos es de "
                    f"{p1.max_document_days} días.",
                )
            )
        if doc.advance is not None and doc.advance > doc.face_value * p1.max_advance_fraction:
            findings.append(
                error(
                    p1.rule,
                    f"{field_name}: el anticipo ({ctx.money(doc.advance)}) excede el "
                    f"{format_percent(p1.max_advance_fraction, 0)} del valor nominal ({ctx.money(doc.face_value)}).",
                )
            )
    if r.spread is not None and not p1.supplier_spread_min <= r.spread <= p1.supplier_max_over_nafin:
        findings.append(
            error(
                p1.rule,
                f"La sobretasa para proveedores debe estar entre {format_percent(p1.supplier_spread_min)} y "
                f"{format_percent(p1.supplier_max_over_nafin)} sobre la Tasa NAFIN.",
            )
        )
    return findings


def _attention_time(
    ruleset: RuleSet, proposal: Proposal, program: Program, exposure_usd: Decimal
) -> tuple[dict[str, object], Finding | None]:
    at = ruleset.attention_time
    days = program.answer_business_days or at.business_days
    rule = program.overrides.get("answer_time", at.rule) if program.answer_business_days else at.rule
    if exposure_usd > at.not_applicable_above_usd and not program.answer_business_days:
        return (
            {"applies": False, "business_days": days, "deadline": None, "rule": rule},
            info(
                rule,
                f"El tiempo de atención de {days} días hábiles no aplica: la operación excede "
                f"{format_money(at.not_applicable_above_usd, 'USD')} y va a instancias superiores.",
            ),
        )
    complete = proposal.request.requirements_complete_date
    deadline = add_business_days(complete, days) if complete else None
    if deadline is None:
        return {"applies": True, "business_days": days, "deadline": None, "rule": rule}, None
    return (
        {"applies": True, "business_days": days, "deadline": deadline.isoformat(), "rule": rule},
        info(
            rule,
            f"Autorización a más tardar el {deadline:%d/%m/%Y}: {days} días hábiles desde requisitos completos "
            f"({complete:%d/%m/%Y}).",
        ),
    )


def attention_deadline(ruleset: RuleSet, *, requirements_complete: date, program: ProgramCode) -> date:
    """R-8 (or the program's answer time): the last business day to authorize."""
    prog = ruleset.programs[program]
    days = prog.answer_business_days or ruleset.attention_time.business_days
    return add_business_days(requirements_complete, days)


def evaluate(proposal: Proposal, ruleset: RuleSet) -> Evaluation:
    """Evaluate a proposal against a rule set. Pure: no I/O, no clock."""
    a = proposal.applicant
    r = proposal.request
    ctx = _Context(proposal)
    if a.state not in ruleset.offices.states:
        raise InputError(
            "applicant.state",
            f"«{a.state}» no es una clave de estado ISO 3166-2:MX (p. ej. ZAC, SON, COA)",
            ruleset.offices.rule,
        )
    program = _program(ruleset, r.program)
    findings: list[Finding] = []
    office = office_for_state(ruleset, a.state)
    if office is not None:
        findings.append(info(ruleset.offices.rule, f"Lo atiende la Gerencia Regional {office.name}."))

    uma = proposal.uma_annual_mxn or uma_for_date(ruleset, proposal.as_of)
    size, size_findings = company_size(
        ruleset,
        mining_class=a.mining_class,
        sector=a.sector.value,
        employees=a.employees,
        annual_gross_income_mxn=a.annual_gross_income_mxn,
        production_tons_month=a.production_tons_month,
        uma_annual_mxn=uma,
    )
    findings += size_findings
    seg, seg_finding = segment(
        ruleset,
        years_satisfactory_with_fifomi=a.years_satisfactory_with_fifomi,
        years_of_sales=a.years_of_sales,
        request_mxn=ctx.amount_mxn,
    )
    findings.append(seg_finding)
    findings += _population_findings(ruleset, proposal, program, size)
    findings += _selection_findings(ruleset, proposal, program)
    findings += _purpose_findings(ruleset, proposal)

    limits, limit_findings = _limits(ruleset, proposal, program, ctx)
    findings += limit_findings
    max_amount = min(limit.amount for limit in limits).quantize(CENT, rounding=ROUND_DOWN)
    max_term, max_grace, term_findings = _terms(ruleset, proposal, program)
    findings += term_findings

    product = ruleset.products[r.credit_type]
    coverage_class = product.coverage_class
    new_equipment = False
    if r.new_equipment_option:
        if product.new_equipment_class is None:
            option_rule = next(
                (p.new_equipment_rule for p in ruleset.products.values() if p.new_equipment_rule),
                ruleset.guarantees.rule,
            )
            findings.append(
                error(
                    option_rule,
                    f"La opción de equipo nuevo (1.5 a 1) sólo aplica al crédito refaccionario, no a {product.name.lower()}.",
                )
            )
        elif product.new_equipment_max_usd is not None and ctx.amount_usd > product.new_equipment_max_usd:
            findings.append(
                error(
                    product.new_equipment_rule or ruleset.guarantees.rule,
                    f"La opción de equipo nuevo (1.5 a 1) es para créditos de hasta "
                    f"{format_money(product.new_equipment_max_usd, 'USD')}; se solicitan "
                    f"{format_money(ctx.amount_usd.quantize(CENT), 'USD')}.",
                )
            )
        else:
            coverage_class = product.new_equipment_class
            new_equipment = True
    coverage = evaluate_coverage(
        ruleset,
        guarantees=proposal.guarantees,
        amount_mxn=ctx.amount_mxn,
        credit_type=r.credit_type,
        coverage_class=coverage_class,
        program_coverage=program.coverage if program.code is not ProgramCode.PRIMER_PISO else None,
        application_date=proposal.application_date,
        as_of=proposal.as_of,
        term_months=r.term_months,
    )
    findings += coverage.findings
    if r.credit_type is CreditType.AVIO_REVOLVENTE_INTRODUCTORES and program.code is ProgramCode.PRIMER_PISO:
        findings += _introductores_findings(ruleset, proposal, ctx, coverage)
    if program.code is ProgramCode.CADENAS_PRODUCTIVAS:
        findings += _cadenas_findings(ruleset, proposal, ctx)
    if any(ruleset.guarantees.types[line.type].insurable and line.counted > 0 for line in coverage.lines):
        findings.append(
            info(
                ruleset.guarantees.policies.insurance_rule,
                "Los bienes asegurables en garantía deben asegurarse por el plazo del crédito con el FIFOMI "
                "como beneficiario preferente.",
            )
        )

    exposure_usd = ctx.amount_usd + a.group_outstanding_usd
    committee, committee_finding = _committee(ruleset, exposure_usd, size, program)
    findings.append(committee_finding)
    commission, commission_finding = _commission(ruleset, proposal, program)
    findings.append(commission_finding)
    pricing, pricing_findings = _pricing(ruleset, proposal, program, seg, size, new_equipment)
    findings += pricing_findings
    attention, attention_finding = _attention_time(ruleset, proposal, program, exposure_usd)
    if attention_finding:
        findings.append(attention_finding)
    validity = program.authorization_validity_calendar_days or ruleset.authorization.validity_calendar_days

    return Evaluation(
        ruleset_version=ruleset.version,
        size=size,
        segment=seg,
        committee=committee,
        exposure_usd=exposure_usd,
        max_amount=max_amount,
        max_term_months=max_term,
        max_grace_months=max_grace,
        coverage=coverage,
        opening_commission=commission,
        office=office,
        pricing=pricing,
        attention_time=attention,
        authorization_validity_days=validity,
        findings=_ordered(findings),
    )


def _ordered(findings: list[Finding]) -> list[Finding]:
    """Errors first, then warnings, then information; stable within each severity."""
    rank = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: rank[f.severity.value])


def evaluate_document(document: object, ruleset: RuleSet | None = None) -> dict[str, object]:
    """The `filon evaluate` contract: JSON document in, JSON-ready verdict out."""
    proposal = read_proposal(document)
    if ruleset is None:
        try:
            ruleset = load_ruleset_for_date(proposal.as_of)
        except NoRuleSetInForce as exc:
            raise InputError("as_of", str(exc)) from None
    return evaluate(proposal, ruleset).as_dict()


__all__ = [
    "SIZE_ORDER",
    "Evaluation",
    "attention_deadline",
    "evaluate",
    "evaluate_document",
    "office_for_state",
]
