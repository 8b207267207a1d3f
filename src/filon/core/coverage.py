"""Guarantee coverage (Rules 10, SPEC R-10.1 … R-10.6, I-4).

Each guarantee goes appraisal value → accepted value (10.3 acceptance %) → counted value (capped by the
coverage class's per-type ratio (10.2, I-4) and the share of the required guarantee (10.3)), and the line
records the rule that limited it. A guarantee that policy excludes (stale appraisal, hechizo equipment,
uninsurable equipment, a later lien, a type not accepted in the class …) counts zero, with the reason.

Reading recorded here (SPEC is silent): when a special program defines its own coverage (P-2 … P-4), the
program's minimum ratio, accepted types, fund and appraisal ages apply instead of the 10.2 class table,
the 10.3 share caps and the 10.1 sole-guarantee and revolving-only restrictions — each program says which
guarantees may make up its 1 : 1 (P-2 2.7–2.8, P-3 3.6–3.9, P-4 4.4). The 10.3 acceptance percentages
and the 10.4–10.6 policies still apply ("los aspectos no considerados en este Programa se regirán por
las Reglas de Operación", Transitorio SEGUNDO of each program). A program whose minimum ratio is 0 (P-1's
supplier, I-9) requires nothing; its coverage note says whose guarantee it is.

I-7: a type the Rules let stand alone (`may_be_sole`, the class's `sole_allowed`, and the type's own
condition `sole_requires` — the fianza's `covers_balance`), offered alone, covers up to its accepted value;
the class cells cap each type only when guarantees are combined. An aval whose net-worth statement is
older than the 10.4 limit counts zero, like a stale appraisal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal

from filon.core.calendar import add_months
from filon.core.errors import InputError, InputErrors
from filon.core.findings import Finding, error, has_errors, info, warning
from filon.core.money import format_money, format_ratio, round_money
from filon.core.proposal import Guarantee
from filon.rules.schema import (
    CoverageClass,
    CreditType,
    GuaranteeType,
    GuaranteeTypeRule,
    ProgramCoverage,
    RuleSet,
)

ZERO = Decimal(0)
RATIO_PLACES = Decimal("0.0001")


@dataclass
class CoverageLine:
    index: int
    type: GuaranteeType
    value: Decimal
    accepted: Decimal = ZERO
    counted: Decimal = ZERO
    limited_by: str | None = None
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "type": self.type.value,
            "value": str(round_money(self.value)),
            "accepted": str(round_money(self.accepted)),
            "counted": str(round_money(self.counted)),
            "limited_by": self.limited_by,
            "note": self.note,
        }


@dataclass
class CoverageResult:
    required_ratio: Decimal
    achieved_ratio: Decimal
    required_amount: Decimal
    counted_amount: Decimal
    fund_amount: Decimal
    coverage_rule: str
    lines: list[CoverageLine]
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.achieved_ratio >= self.required_ratio and not has_errors(self.findings)

    def as_dict(self) -> dict[str, object]:
        return {
            "required": str(self.required_ratio),
            "achieved": str(self.achieved_ratio.quantize(RATIO_PLACES, rounding=ROUND_DOWN)),
            "ok": self.ok,
            "rule": self.coverage_rule,
            "required_amount_mxn": str(round_money(self.required_amount)),
            "counted_amount_mxn": str(round_money(self.counted_amount)),
            "fund_amount_mxn": str(round_money(self.fund_amount)),
            "guarantees": [line.as_dict() for line in self.lines],
        }


def _months_old_limit(application_date: date, months: int) -> date:
    """The oldest date a document may bear to be at most `months` old on `application_date`."""
    return add_months(application_date, -months)


def _exclusion(
    g: Guarantee,
    rule: GuaranteeTypeRule,
    ruleset: RuleSet,
    *,
    application_date: date,
    as_of: date,
    credit_type: CreditType,
    term_months: int,
    program: ProgramCoverage | None = None,
) -> tuple[str, str] | None:
    """Why policy keeps this guarantee from counting, as (rule, reason); None when it may count."""
    policies = ruleset.guarantees.policies
    product = ruleset.products[credit_type]
    if g.lien_rank != 1 and (rule.is_mortgage or rule.is_equipment) and policies.first_lien_required:
        return policies.rule, (
            f"gravamen en {g.lien_rank}.º lugar: se requiere primer lugar y grado a favor del FIFOMI "
            "(o grados previos también a su favor, sin otro acreedor)"
        )
    if rule.is_equipment and g.hechizo and not policies.hechizo_accepted:
        return policies.rule, "la maquinaria y equipo hechizo no se acepta ni contabiliza para la proporción"
    if rule.is_equipment and g.is_transport and g.first_invoice_date is not None:
        oldest = add_months(application_date, -12 * policies.transport_max_years)
        if g.first_invoice_date < oldest:
            return policies.rule, (
                f"equipo de transporte con más de {policies.transport_max_years} años de antigüedad "
                f"(primera factura {g.first_invoice_date:%d/%m/%Y})"
            )
    if rule.insurable and rule.is_equipment and not g.insurable and not policies.uninsurable_counts:
        return policies.insurance_rule, "el equipo no es asegurable y no forma parte de la proporción"
    if rule.revolving_only and not product.revolving and program is None:
        return rule.definition_rule, f"{rule.name.lower()} respalda sólo créditos revolventes"
    if rule.max_credit_term_months is not None and term_months > rule.max_credit_term_months:
        return rule.definition_rule, (
            f"{rule.name.lower()} respalda créditos de hasta {rule.max_credit_term_months} meses "
            f"(plazo solicitado: {term_months})"
        )
    if (
        rule.needs_net_worth_statement
        and g.net_worth_statement_date is not None
        and g.net_worth_statement_date
        < _months_old_limit(application_date, policies.aval_net_worth_max_months)
    ):
        return policies.rule, (
            f"la relación patrimonial del {g.net_worth_statement_date:%d/%m/%Y} tiene más de "
            f"{policies.aval_net_worth_max_months} meses a la fecha de solicitud ({application_date:%d/%m/%Y})"
        )
    validity_months = rule.appraisal_validity_months
    appraisal_rule = rule.appraisal_rule or ruleset.guarantees.rule
    if program is not None and g.type in program.appraisal_validity_months:
        validity_months = program.appraisal_validity_months[g.type]
        appraisal_rule = program.rule
    if validity_months is not None and not g.reuses_last_appraisal:
        if g.appraisal_date is None:
            return appraisal_rule, f"falta la fecha del avalúo (vigencia máxima {validity_months} meses)"
        if g.appraisal_date > as_of:
            return (
                appraisal_rule,
                f"la fecha del avalúo {g.appraisal_date:%d/%m/%Y} es posterior a la evaluación",
            )
        if g.appraisal_date < _months_old_limit(application_date, validity_months):
            return appraisal_rule, (
                f"avalúo del {g.appraisal_date:%d/%m/%Y} con más de {validity_months} meses "
                f"a la fecha de solicitud ({application_date:%d/%m/%Y})"
            )
    return None


def _effective_type(
    g: Guarantee, ruleset: RuleSet, application_date: date
) -> tuple[GuaranteeType, Finding | None]:
    """New equipment is new only if first invoiced ≤ N months before the application (10.4)."""
    policies = ruleset.guarantees.policies
    if g.type is GuaranteeType.PRENDA_NUEVA and g.first_invoice_date is not None:
        oldest = _months_old_limit(application_date, policies.new_equipment_max_months)
        if g.first_invoice_date < oldest:
            return GuaranteeType.PRENDA_USADA, warning(
                policies.rule,
                f"La prenda registrada como nueva tiene primera factura del {g.first_invoice_date:%d/%m/%Y}, "
                f"con más de {policies.new_equipment_max_months} meses: se evalúa como prenda usada.",
            )
    return g.type, None


def _type_caps(
    klass: CoverageClass | None,
    program: ProgramCoverage | None,
    gtype: GuaranteeType,
    credit_type: CreditType,
    amount: Decimal,
) -> tuple[Decimal | None, str | None, str | None]:
    """(cap amount or None=unlimited, rule, exclusion reason) for one guarantee type."""
    if program is not None:
        if program.allowed_types is not None and gtype not in program.allowed_types:
            return ZERO, program.rule, "el programa no acepta este tipo de garantía"
        return None, None, None
    assert klass is not None
    cap = klass.caps.get(gtype, "n/a")
    if cap == "n/a":
        note = klass.cap_notes.get(gtype, "no se acepta en esta clase de cobertura")
        return ZERO, klass.rule, note
    only = klass.only_for.get(gtype)
    if only is not None and credit_type not in only:
        names = ", ".join(c.value for c in only)
        return ZERO, klass.rule, f"en esta clase sólo computa para {names}"
    if cap is None:
        return None, None, None
    assert isinstance(cap, Decimal)
    return cap * amount, klass.rule, None


def evaluate_coverage(
    ruleset: RuleSet,
    *,
    guarantees: tuple[Guarantee, ...],
    amount_mxn: Decimal,
    credit_type: CreditType,
    coverage_class: str,
    program_coverage: ProgramCoverage | None,
    application_date: date,
    as_of: date,
    term_months: int,
) -> CoverageResult:
    """Coverage achieved vs required, line by line, with every limiting rule cited."""
    types = ruleset.guarantees.types
    klass = None if program_coverage is not None else ruleset.guarantees.classes[coverage_class]
    if program_coverage is not None:
        required_ratio = program_coverage.minimum_ratio
        coverage_rule = program_coverage.rule
        required_types = list(program_coverage.required_types)
        fund_ratio = program_coverage.fund_ratio
    else:
        assert klass is not None
        required_ratio = klass.minimum_ratio
        coverage_rule = klass.rule
        required_types = list(klass.required_types)
        fund_ratio = ZERO
    required_amount = required_ratio * amount_mxn
    findings: list[Finding] = []
    lines: list[CoverageLine] = []
    allowance: dict[GuaranteeType, Decimal | None] = {}
    allowance_rule: dict[GuaranteeType, str] = {}

    _refuse_unread_flags(guarantees, ruleset)
    # First pass: each guarantee's effective type and whether policy or its class lets it count at all.
    entries: list[tuple[Guarantee, GuaranteeTypeRule, CoverageLine, Decimal | None, str | None]] = []
    for index, g in enumerate(guarantees):
        gtype, reclass = _effective_type(g, ruleset, application_date)
        if reclass:
            findings.append(reclass)
        rule = types[gtype]
        line = CoverageLine(index=index, type=gtype, value=g.value)
        lines.append(line)
        excluded = _exclusion(
            g,
            rule,
            ruleset,
            application_date=application_date,
            as_of=as_of,
            credit_type=credit_type,
            term_months=term_months,
            program=program_coverage,
        )
        if program_coverage is not None and gtype in program_coverage.zero_weight_types and excluded is None:
            line.limited_by = program_coverage.rule
            line.note = "requerida por el programa; no suma a la proporción"
            continue
        cap: Decimal | None = None
        cap_rule: str | None = None
        if excluded is None:
            cap, cap_rule, cap_reason = _type_caps(klass, program_coverage, gtype, credit_type, amount_mxn)
            if cap_reason is not None:
                excluded = (cap_rule or coverage_rule, cap_reason)
        if rule.needs_net_worth_statement and excluded is None:
            findings.extend(_aval_findings(g, ruleset, index))
        if excluded is not None:
            line.limited_by, line.note = excluded
            findings.append(
                warning(
                    excluded[0],
                    f"Garantía {index + 1} ({rule.name.lower()}, {format_money(g.value)}) no computa: {excluded[1]}.",
                )
            )
            continue
        entries.append((g, rule, line, cap, cap_rule))

    # I-7: a type that may stand alone, offered alone, is not capped by its cell (nor by a share cap).
    alone = _standing_alone(entries, klass)
    if alone is not None:
        findings.append(
            info(
                types[alone].definition_rule,
                f"{types[alone].name} es la única garantía ofrecida: cubre hasta su valor aceptado, sin el "
                "tope de su tipo en la tabla de cobertura (I-7).",
            )
        )

    # Second pass: accepted value (10.3 %) and what counts under the type's caps (10.2 cells, 10.3 shares).
    for g, rule, line, cap, cap_rule in entries:
        gtype = line.type
        line.accepted = g.value * (rule.acceptance_fraction if rule.acceptance_fraction is not None else 1)
        if line.accepted < g.value:
            line.limited_by = rule.acceptance_rule
            line.note = (
                f"aceptado al {rule.acceptance_fraction * 100:.0f} % del avalúo"
                if rule.acceptance_fraction
                else ""
            )
        if gtype is alone:
            line.counted = line.accepted
            if line.limited_by is None:
                line.limited_by = rule.definition_rule
                line.note = "única garantía: cubre hasta su valor aceptado, sin el tope de su tipo (I-7)"
            continue
        if gtype not in allowance:
            limits: list[tuple[Decimal, str]] = []
            if cap is not None and cap_rule is not None:
                limits.append((cap, cap_rule))
            if (
                program_coverage is None
                and rule.share_cap_of_required is not None
                and rule.share_cap_of_required < 1
            ):
                limits.append(
                    (rule.share_cap_of_required * required_amount, rule.acceptance_rule or coverage_rule)
                )
            if limits:
                tightest = min(limits, key=lambda pair: pair[0])
                allowance[gtype], allowance_rule[gtype] = tightest
            else:
                allowance[gtype] = None
        remaining = allowance[gtype]
        if remaining is None:
            line.counted = line.accepted
        else:
            line.counted = min(line.accepted, remaining)
            allowance[gtype] = remaining - line.counted
            if line.counted < line.accepted:
                line.limited_by = allowance_rule[gtype]
                line.note = "limitada por el tope de su tipo en la proporción requerida"

    counted = sum((line.counted for line in lines), ZERO)
    fund_amount = fund_ratio * amount_mxn
    achieved_ratio = (counted + fund_amount) / amount_mxn if amount_mxn else ZERO

    present = {line.type for line in lines}
    for needed in required_types:
        if needed not in present:
            findings.append(
                error(coverage_rule, f"Falta la garantía requerida: {types[needed].name.lower()}.")
            )
    if program_coverage is None:
        findings.extend(_sole_guarantee_findings(entries, ruleset, klass))
    if required_ratio == 0 and program_coverage is not None:
        findings.append(info(coverage_rule, program_coverage.notes or "Sin requisito de cobertura."))
    elif achieved_ratio < required_ratio:
        findings.append(
            error(
                coverage_rule,
                f"La cobertura de garantías es {format_ratio(achieved_ratio.quantize(RATIO_PLACES, rounding=ROUND_DOWN))}, "
                f"menor que la mínima de {format_ratio(required_ratio)} "
                f"(se requieren {format_money(required_amount)}; computan {format_money(counted + fund_amount)}).",
            )
        )
    else:
        findings.append(
            info(
                coverage_rule,
                f"Cobertura de garantías {format_ratio(achieved_ratio.quantize(RATIO_PLACES, rounding=ROUND_DOWN))}"
                f" ≥ {format_ratio(required_ratio)}.",
            )
        )
    if fund_amount:
        findings.append(
            info(
                coverage_rule,
                f"El fondo de garantía del programa aporta {format_money(fund_amount)} a la cobertura.",
            )
        )
    return CoverageResult(
        required_ratio=required_ratio,
        achieved_ratio=achieved_ratio,
        required_amount=required_amount,
        counted_amount=counted,
        fund_amount=fund_amount,
        coverage_rule=coverage_rule,
        lines=lines,
        findings=findings,
    )


def _aval_findings(g: Guarantee, ruleset: RuleSet, index: int) -> list[Finding]:
    policies = ruleset.guarantees.policies
    months = policies.aval_net_worth_max_months
    if g.net_worth_statement_date is None:
        return [
            warning(
                policies.rule,
                f"Garantía {index + 1} (aval): debe presentar relación patrimonial o balance general con "
                f"antigüedad no mayor de {months} meses, con certificados de no gravamen.",
            )
        ]
    return []  # a stale statement keeps the aval from counting (`_exclusion`)


_Entry = tuple[Guarantee, GuaranteeTypeRule, CoverageLine, Decimal | None, str | None]


def _refuse_unread_flags(guarantees: tuple[Guarantee, ...], ruleset: RuleSet) -> None:
    """Every input flag changes the answer or is refused (I-7): `covers_balance` is read only by the types
    whose standing alone depends on it (sole_requires: the fianza, 10.1)."""
    types = ruleset.guarantees.types
    readers = [t for t in types.values() if t.sole_requires == "covers_balance"]
    problems = [
        InputError(
            f"guarantees[{index}].covers_balance",
            f"sólo aplica a {', '.join(t.name.lower() for t in readers) or 'ningún tipo'} (puede ser la única "
            f"garantía si cubre el saldo insoluto del crédito); no a {types[g.type].name.lower()}",
            types[g.type].definition_rule,
        )
        for index, g in enumerate(guarantees)
        if g.covers_balance is not None and types[g.type].sole_requires != "covers_balance"
    ]
    if problems:
        raise InputErrors(problems)


def _sole_condition_met(rule: GuaranteeTypeRule, items: list[Guarantee]) -> bool:
    """The type's own condition to stand alone (10.1), read from the flag its data names."""
    if rule.sole_requires is None:
        return True
    return all(getattr(g, rule.sole_requires) is True for g in items)


def _may_stand_alone(
    gtype: GuaranteeType, rule: GuaranteeTypeRule, klass: CoverageClass | None, items: list[Guarantee]
) -> bool:
    return (
        klass is not None
        and rule.may_be_sole
        and gtype in klass.sole_allowed
        and _sole_condition_met(rule, items)
    )


def _standing_alone(entries: list[_Entry], klass: CoverageClass | None) -> GuaranteeType | None:
    """The type that stands alone (I-7): the only type that may count, when its rule lets it be sole."""
    kinds = {line.type for _, _, line, _, _ in entries}
    if len(kinds) != 1:
        return None
    (only,) = kinds
    rule = entries[0][1]
    return only if _may_stand_alone(only, rule, klass, [g for g, *_ in entries]) else None


def _sole_guarantee_findings(
    entries: list[_Entry], ruleset: RuleSet, klass: CoverageClass | None
) -> list[Finding]:
    """A type that may not stand alone cannot be the only guarantee that counts (10.1, I-7)."""
    counting = {line.type for _, _, line, _, _ in entries if line.counted > 0}
    if len(counting) != 1:
        return []
    (only,) = counting
    rule = ruleset.guarantees.types[only]
    items = [g for g, _, line, _, _ in entries if line.type is only]
    if _may_stand_alone(only, rule, klass, items):
        return []
    if rule.may_be_sole and klass is not None and only not in klass.sole_allowed:
        return [
            error(
                klass.rule,
                f"{rule.name} no puede ser la única garantía en la cobertura «{klass.name}»: "
                "debe complementarse con otra.",
            )
        ]
    if rule.may_be_sole and klass is not None and rule.sole_requires:
        stated = [getattr(g, rule.sole_requires) for g in items]
        said = "se indicó que no lo cubre" if False in stated else "no se indicó que lo cubra"
        return [
            error(
                rule.definition_rule,
                f"{rule.name} no puede ser la única garantía: {said} ({rule.sole_requires}). "
                f"{rule.sole_note}",
            )
        ]
    return [
        error(
            rule.definition_rule,
            f"{rule.name} no puede ser la única garantía: {rule.sole_note or 'debe complementarse con otra.'}",
        )
    ]


def condoned_history_findings(
    ruleset: RuleSet, *, credit_type: CreditType, guarantees: tuple[Guarantee, ...]
) -> list[Finding]:
    """Former debtors with condonations or quitas (Rules 6): only some credits, with trust guarantees."""
    policy = ruleset.selection.condoned_history
    alternatives = policy.allowed.get(credit_type)
    if alternatives is None:
        allowed = ", ".join(c.value for c in policy.allowed)
        return [
            error(
                policy.rule,
                f"Se solicitó {ruleset.products[credit_type].name.lower()}; los acreditados con "
                f"condonaciones o quitas sólo pueden recibir: {allowed}.",
            )
        ]
    fiduciary_needed = credit_type in policy.fiduciary_required
    present = {g.type for g in guarantees if g.fiduciary or not fiduciary_needed}
    if any(set(option) <= present for option in alternatives):
        return [
            info(
                policy.rule,
                f"Antecedente de condonación o quita: cuenta con la garantía que exige la Regla {policy.rule}.",
            )
        ]
    kind = (
        "constituida en fideicomiso (garantía fiduciaria)"
        if fiduciary_needed
        else "con cesión de derechos de cobro y garantía real"
    )
    return [
        error(
            policy.rule,
            f"Por antecedentes de condonación o quita, el crédito requiere garantía {kind} "
            f"conforme a la cobertura del apartado {ruleset.guarantees.rule}.",
        )
    ]


def total_by_type(lines: list[CoverageLine]) -> dict[GuaranteeType, Decimal]:
    totals: dict[GuaranteeType, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        totals[line.type] += line.counted
    return dict(totals)
