"""Company size (R-5.2, I-1) and rate segment (R-9.2.4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from filon.core.errors import InputError
from filon.core.findings import Finding, info
from filon.core.money import format_amount
from filon.rules.schema import SIZE_ORDER, MiningClass, RuleSet, Segment, Size, UpperBounds

SIZE_NAMES = {Size.MICRO: "micro", Size.PEQUENA: "pequeña", Size.MEDIANA: "mediana", Size.GRANDE: "grande"}


def uma_for_date(ruleset: RuleSet, as_of: date) -> Decimal:
    """The annual UMA in force on `as_of` (C-7). A date before the first entry is an error."""
    in_force = [u for u in ruleset.reference_units.uma if u.effective_from <= as_of]
    if not in_force:
        raise InputError(
            "uma_annual_mxn",
            f"las reglas no tienen UMA vigente al {as_of:%d/%m/%Y}; indique uma_annual_mxn",
            ruleset.reference_units.rule,
        )
    return max(in_force, key=lambda u: u.effective_from).annual_mxn


def classify(value: Decimal, bounds: UpperBounds) -> Size:
    """The class whose inclusive upper bound holds `value`; above the last bound is `grande`."""
    if bounds.micro is not None and value <= bounds.micro:
        return Size.MICRO
    if value <= bounds.pequena:
        return Size.PEQUENA
    if value <= bounds.mediana:
        return Size.MEDIANA
    return Size.GRANDE


def smaller(a: Size, b: Size) -> Size:
    return a if SIZE_ORDER.index(a) <= SIZE_ORDER.index(b) else b


def company_size(
    ruleset: RuleSet,
    *,
    mining_class: MiningClass,
    sector: str,
    employees: int,
    annual_gross_income_mxn: Decimal | None,
    production_tons_month: Decimal | None,
    uma_annual_mxn: Decimal,
) -> tuple[Size, list[Finding]]:
    """Classify the company and explain the classification with findings citing 5 and I-1."""
    table = ruleset.size
    if mining_class is MiningClass.CONCESIBLE:
        by: list[tuple[Size, str]] = []
        if annual_gross_income_mxn is not None:
            in_uma = annual_gross_income_mxn / uma_annual_mxn
            by.append(
                (
                    classify(in_uma, table.concesible_income_uma),
                    f"ingresos brutos anuales de {format_amount(in_uma)} UMA anuales",
                )
            )
        if production_tons_month is not None:
            by.append(
                (
                    classify(production_tons_month, table.concesible_production_tons_month),
                    f"producción de {format_amount(production_tons_month, 0)} t/mes",
                )
            )
        if not by:
            raise InputError(
                "applicant.annual_gross_income_mxn",
                "la minería concesible se clasifica por ingresos brutos o por producción; indique al menos uno",
                table.rule,
            )
        size = by[0][0]
        for candidate, _ in by[1:]:
            size = smaller(size, candidate)
        detail = "; ".join(f"{SIZE_NAMES[s]} por {why}" for s, why in by)
        rule = table.interpretation if len(by) > 1 else table.rule
        return size, [
            info(rule, f"Tamaño de empresa: {SIZE_NAMES[size]} ({detail}; se toma la clase menor).")
            if len(by) > 1
            else info(rule, f"Tamaño de empresa: {SIZE_NAMES[size]} ({detail}).")
        ]
    bounds = table.employees.get(sector)  # type: ignore[call-overload]
    if bounds is None:
        raise InputError("applicant.sector", f"sector desconocido «{sector}»", table.rule)
    size = classify(Decimal(employees), bounds)
    return size, [
        info(
            table.rule,
            f"Tamaño de empresa: {SIZE_NAMES[size]} ({employees} empleos permanentes, sector {sector}).",
        )
    ]


def segment(
    ruleset: RuleSet,
    *,
    years_satisfactory_with_fifomi: Decimal,
    years_of_sales: Decimal,
    request_mxn: Decimal,
) -> tuple[Segment, Finding]:
    """Preferente, habitual or nuevo (9.2.4): the first whose conditions the applicant meets."""
    rules = ruleset.rates.segments
    pref = rules[Segment.PREFERENTE]
    if (
        pref.min_years_satisfactory_with_fifomi_exclusive is not None
        and pref.min_request_mxn is not None
        and years_satisfactory_with_fifomi > pref.min_years_satisfactory_with_fifomi_exclusive
        and request_mxn >= pref.min_request_mxn
    ):
        return Segment.PREFERENTE, info(
            pref.rule, f"Segmento de tasa: {pref.name.lower()}. {pref.description}"
        )
    hab = rules[Segment.HABITUAL]
    if hab.min_years_of_sales is not None and years_of_sales >= hab.min_years_of_sales:
        return Segment.HABITUAL, info(hab.rule, f"Segmento de tasa: {hab.name.lower()}. {hab.description}")
    new = rules[Segment.NUEVO]
    return Segment.NUEVO, info(new.rule, f"Segmento de tasa: {new.name.lower()}. {new.description}")
