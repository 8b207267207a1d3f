"""The `filon schedule` / `POST /api/v1/schedules` contract (SPEC, "Contracts"): JSON terms in, table out.

Input (field names are the contract; decimals as JSON strings — integers are accepted, floats are not,
because they are not exact):

    principal, currency (MXN | USD, default MXN), disbursement_date, term_months,
    grace_months (default 0), payment_every_months (default 1),
    amortization ("equal_principal" | {"growing": "0.05"}, default "equal_principal"),
    rate ({"base": "TIIE28", "spread": "0.035"} | {"fixed": "0.12"}),
    rate_observations (optional: [{"date", "value"}]; without it the stored series is read),
    opening_commission (optional addition: amount paid at disbursement, without IVA, for the CAT).

Output: `installments` [{number, start, due, days, rate (6 dp), interest, principal, payment, balance}] and
`totals` {interest, principal, payment} as the contract says, plus these additions: per installment
`payable` (C-3) and `projected` (the base rate of some sub-period is not published yet and the last value
stands in for it); `maturity`; `cat` (percent, one decimal, without IVA); `notes` (Spanish, for people).

Every bad input raises `InputErrors`, each naming its JSON field path and, where one applies, the rule.
Rates are annual decimals (C-5), so a value of 1 or more is refused as a likely percentage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from filon.core.cat import schedule_cat
from filon.core.errors import InputError, InputErrors
from filon.core.money import ONE, ZERO, is_cents, round_money, round_rate
from filon.core.rates import BASE_RATE_CURRENCY, OVERNIGHT_SERIES, MissingRate, RateSeries
from filon.core.reader import Reader
from filon.core.schedule import (
    Amortization,
    CompoundedInArrearsRate,
    EqualPrincipal,
    FixedRate,
    GrowingPrincipal,
    MonthlyRevisedRate,
    PeriodRevisedRate,
    RateSource,
    Schedule,
    ScheduleTerms,
    schedule_build,
)
from filon.rules import NoRuleSetInForce, load_ruleset_for_date

# A sanity bound on input, not a rule: the longest product term is far below it (Rules 9.2.3).
MAX_TERM_MONTHS = 600
CURRENCIES = ("MXN", "USD")
EQUAL_PRINCIPAL = "equal_principal"

SeriesLookup = Callable[[str], RateSeries]


def _annual_rate(reader: Reader, name: str) -> Decimal | None:
    """A rate field: an annual decimal in [0, 1) — 7.25 % is written 0.0725 (C-5)."""
    value = reader.decimal(name, minimum=ZERO)
    if value is not None and value >= ONE:
        reader.fail(
            reader.field(name), f"las tasas son decimales anuales (0.0725 = 7.25 %), no porcentajes: {value}"
        )
        return None
    return value


def _amortization(reader: Reader) -> Amortization | None:
    if not isinstance(reader.data.get("amortization"), dict):
        choice = reader.choice("amortization", [EQUAL_PRINCIPAL], required=False, default=EQUAL_PRINCIPAL)
        return EqualPrincipal() if choice else None
    growing = reader.child("amortization")
    if growing is None:
        return None
    growth = growing.decimal("growing", positive=True)
    growing.reject_unknown()
    return None if growth is None else GrowingPrincipal(growth)


def _observations(reader: Reader) -> list[tuple[date, Decimal]] | None:
    """`rate_observations` as (date, annual rate) pairs, or None when the document brings none."""
    if not reader.has("rate_observations"):
        return None
    items = reader.children("rate_observations")
    if not items:
        reader.fail(
            "rate_observations", 'debe ser una lista no vacía de {"date": "AAAA-MM-DD", "value": "0.0725"}'
        )
    pairs: dict[date, Decimal] = {}
    for item in items:
        day = item.date("date")
        value = _annual_rate(item, "value")
        item.reject_unknown()
        if day in pairs:
            item.fail(item.field("date"), f"la fecha {day:%d/%m/%Y} está repetida")
        elif day is not None and value is not None:
            pairs[day] = value
    return list(pairs.items())


def _rate(
    reader: Reader,
    currency: str | None,
    observations: list[tuple[date, Decimal]] | None,
    lookup: SeriesLookup | None,
) -> tuple[RateSource | None, RateSeries | None]:
    """The rate source: fixed, or a base series (from the document or the store) plus a spread."""
    rate = reader.child("rate")
    if rate is None:
        return None, None
    monthly = currency != "USD"  # the TMIC is the Rules' formula for moneda nacional (9.2.6)
    if rate.has("fixed"):
        fixed = _annual_rate(rate, "fixed")
        rate.reject_unknown()
        if observations is not None:
            reader.fail("rate_observations", "una tasa fija no lleva observaciones de tasa base")
        return (None if fixed is None else FixedRate(fixed, monthly_compounding=monthly)), None
    base = rate.choice("base", BASE_RATE_CURRENCY)
    spread = _annual_rate(rate, "spread")
    rate.reject_unknown()
    if base is None:
        return None, None
    if currency is not None and BASE_RATE_CURRENCY[base] != currency:
        rate.fail(
            rate.field("base"),
            f"{base} es una tasa base en {BASE_RATE_CURRENCY[base]} y el crédito es en {currency}",
            "9.2.4",
        )
        return None, None
    series: RateSeries | None = None
    if observations is not None:
        series = RateSeries(base, observations)
    elif lookup is None:
        reader.fail("rate_observations", f"faltan las observaciones de {base} y no hay series guardadas")
    else:
        try:
            series = lookup(base)
        except MissingRate as exc:
            rate.fail(rate.field("base"), str(exc), "C-10")
    if series is None or spread is None:
        return None, series
    if base in OVERNIGHT_SERIES:
        return CompoundedInArrearsRate(series, spread), series
    if currency == "USD":
        return PeriodRevisedRate(series, spread), series
    return MonthlyRevisedRate(series, spread), series


def _terms(doc: object, lookup: SeriesLookup | None) -> tuple[ScheduleTerms, RateSeries | None, Decimal]:
    reader = Reader(doc)
    principal = reader.decimal("principal")
    currency = reader.choice("currency", CURRENCIES, required=False, default="MXN")
    disbursed = reader.date("disbursement_date")
    term = reader.integer("term_months", maximum=MAX_TERM_MONTHS)
    grace = reader.integer("grace_months", required=False, default=0)
    every = reader.integer("payment_every_months", required=False, default=1)
    amortization = _amortization(reader)
    commission = reader.decimal("opening_commission", required=False, default=ZERO, minimum=ZERO)
    if commission is not None and not is_cents(commission):
        reader.fail("opening_commission", "no puede tener fracciones de centavo (C-1)")
    terms: ScheduleTerms | None = None
    if (
        principal is not None
        and disbursed is not None
        and term is not None
        and grace is not None
        and every is not None
        and amortization is not None
    ):
        # The domain checks (multiples of the periodicity, grace < term …) need everything but the rate.
        terms = ScheduleTerms(principal, disbursed, term, grace, every, amortization, FixedRate(ZERO))
        reader.errors.extend(terms.problems())
    observations = _observations(reader)
    rate, series = _rate(reader, currency, observations, lookup)
    reader.reject_unknown()
    reader.raise_if_errors()
    if terms is None or rate is None or currency is None or commission is None:
        raise AssertionError("unreachable: each missing value recorded an error")
    return replace(terms, rate=rate, currency=currency), series, commission


def _base_series_note(currency: str, base: str, disbursed: date) -> str | None:
    """A note when `base` is not the series the rule set names for credits contracted on `disbursed` (C-9).

    Not an error: a legacy contract keeps its base (TIIE 28 is still published), and the disbursement date
    only approximates the contracting date.
    """
    try:
        ruleset = load_ruleset_for_date(disbursed)
    except NoRuleSetInForce:
        return None
    for period in ruleset.rates.base_series:
        in_force = period.contracted_from <= disbursed and (
            period.contracted_until is None or disbursed <= period.contracted_until
        )
        if period.currency != currency or not in_force:
            continue
        if base == period.series or base.startswith(f"{period.series}_"):
            return None
        return (
            f"Para créditos en {currency} contratados desde el {period.contracted_from:%d/%m/%Y} la tasa base "
            f"es {period.series} (regla {period.rule}); {base} sólo corresponde a contratos anteriores."
        )
    return None


def _money(amount: Decimal) -> str:
    return str(round_money(amount))


def _render(schedule: Schedule, series: RateSeries | None, commission: Decimal) -> dict[str, Any]:
    installments = [
        {
            "number": i.number,
            "start": i.start.isoformat(),
            "due": i.due.isoformat(),
            "payable": i.payable.isoformat(),
            "days": i.days,
            "rate": str(round_rate(i.rate)),
            "interest": _money(i.interest),
            "principal": _money(i.principal),
            "payment": _money(i.payment),
            "balance": _money(i.balance),
            "projected": i.projected,
        }
        for i in schedule.installments
    ]
    totals = schedule.totals
    notes: list[str] = []
    if series is not None:
        note = _base_series_note(schedule.terms.currency, series.code, schedule.terms.disbursement_date)
        if note:
            notes.append(note)
        projected = [i.number for i in schedule.installments if i.projected]
        if projected and series.last_date is not None:
            notes.append(
                f"Las tasas de {series.code} posteriores a su última observación publicada "
                f"({series.last_date:%d/%m/%Y}) se proyectan con ese valor; marcadas «projected», "
                "se recalcularán con los valores publicados (C-5)."
            )
        if series.is_sample:
            notes.append(
                f"La serie {series.code} proviene de la MUESTRA ILUSTRATIVA incluida con Filón; "
                "no son datos oficiales: no use esta tabla para un crédito real."
            )
    return {
        "currency": schedule.terms.currency,
        "installments": installments,
        "totals": {
            "interest": _money(totals.interest),
            "principal": _money(totals.principal),
            "payment": _money(totals.payment),
        },
        "maturity": schedule.maturity.isoformat(),
        "cat": str(schedule_cat(schedule, upfront_commissions=commission)),
        "notes": notes,
    }


def schedule_document(doc: object, series_lookup: SeriesLookup | None = None) -> dict[str, Any]:
    """The amortization table for a contract document. Raises `InputErrors` for any bad input.

    `series_lookup(code)` supplies the stored base-rate series when the document brings no
    `rate_observations` (the CLI passes the market-data store's selector); it may raise `MissingRate`.
    """
    terms, series, commission = _terms(doc, series_lookup)
    try:
        schedule = schedule_build(terms)
    except MissingRate as exc:
        field = "rate_observations" if isinstance(doc, dict) and "rate_observations" in doc else "rate.base"
        raise InputErrors([InputError(field, str(exc), exc.rule)]) from None
    return _render(schedule, series, commission)
