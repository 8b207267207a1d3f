"""How a credit is priced and what it would cost, as the borrower reads it: the ordinary rate broken into its
base (with the date of the value used), the spread and the total, the CAT, and the amortization table a
credit file's proposal would produce.

The preview runs the same engine the first ministración runs (`servicing.services.loan_terms` on a loan not
saved, `core.schedule.schedule_build`, `core.cat.schedule_cat`), so the figures the credit file shows are
those the loan will have if disbursed on the preview's date with the base rates known then. Nothing here
writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from filon.core.cat import CashFlow, cat_percent, schedule_cat
from filon.core.errors import InputErrors
from filon.core.money import format_amount
from filon.core.rates import MissingRate
from filon.core.schedule import Schedule, schedule_build
from filon.errors import DomainError
from filon.marketdata.catalog import CATALOG
from filon.marketdata.models import Observation
from filon.origination.models import CreditFile
from filon.origination.selectors import file_ruleset
from filon.rules.schema import CreditType
from filon.servicing.models import Installment, Loan
from filon.servicing.services import loan_terms

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class RateBreakdown:
    """The ordinary annual rate: a fixed rate, or the base series' value on `base_date` plus the spread."""

    base_code: str
    base_name: str
    base_value: Decimal | None  # annual decimal (0.1025); None when the series has no value yet
    base_date: date | None
    spread: Decimal  # annual decimal (0.04 = 4 percentage points)
    fixed: Decimal | None = None

    @property
    def total(self) -> Decimal | None:
        if self.fixed is not None:
            return self.fixed
        return None if self.base_value is None else self.base_value + self.spread

    @property
    def text(self) -> str:
        """«TIIE a 28 días 10.2500 % (al 02/12/2026) + 4.00 pp = 14.2500 %»."""
        if self.fixed is not None:
            return f"Tasa fija {percent(self.fixed)}"
        spread = f"{format_amount(self.spread * HUNDRED, 2)} pp"
        if self.base_value is None or self.base_date is None or self.total is None:
            return f"{self.base_name} (sin valor publicado) + {spread}"
        return (
            f"{self.base_name} {percent(self.base_value)} (al {self.base_date:%d/%m/%Y}) + {spread} "
            f"= {percent(self.total)}"
        )


def percent(rate: Decimal) -> str:
    """0.1025 → «10.2500 %» (four decimals, as a rate is quoted)."""
    return f"{format_amount(rate * HUNDRED, 4)} %"


def base_value_on(code: str, on: date) -> tuple[Decimal, date] | None:
    """The series' last published value on or before `on`, with its date."""
    row = (
        Observation.objects.filter(series__code=code, date__lte=on)
        .order_by("-date")
        .values_list("value", "date")
        .first()
    )
    return (row[0], row[1]) if row else None


def rate_breakdown(
    *, base_series: str, spread: Decimal, on: date, fixed: Decimal | None = None
) -> RateBreakdown:
    spec = CATALOG.get(base_series)
    name = spec.name if spec else base_series or "tasa base"
    found = base_value_on(base_series, on) if fixed is None and base_series else None
    return RateBreakdown(
        base_code=base_series,
        base_name=name,
        base_value=found[0] if found else None,
        base_date=found[1] if found else None,
        spread=spread,
        fixed=fixed,
    )


def loan_rate_breakdown(loan: Loan, on: date) -> RateBreakdown:
    return rate_breakdown(base_series=loan.base_series, spread=loan.spread, on=on, fixed=loan.fixed_rate)


def loan_cat(loan: Loan) -> Decimal | None:
    """The loan's CAT (percent, one decimal, without IVA) from its active schedule as projected: the
    contracted amount at month 0 against each installment at its month and the opening commission paid
    at disbursement. None before the loan has a schedule."""
    rows = list(
        Installment.objects.filter(loan=loan, version__active=True)
        .order_by("number")
        .values_list("number", "principal", "interest")
    )
    if not rows:
        return None
    every = loan.payment_every_months
    payments = [CashFlow(number * every, principal + interest) for number, principal, interest in rows]
    if loan.opening_commission:
        payments.append(CashFlow(0, loan.opening_commission))
    lent = sum((principal for _, principal, _ in rows), ZERO)
    try:
        return cat_percent(disbursements=[CashFlow(0, lent)], payments=payments)
    except ValueError:
        return None


# ------------------------------------------------------------------------------------ a file's proposal


@dataclass(frozen=True)
class ProposalPreview:
    """What the file's proposal would produce if disbursed on `start`; `missing` says why there is none."""

    start: date
    missing: tuple[str, ...] = ()
    revolving: bool = False
    rate: RateBreakdown | None = None
    schedule: Schedule | None = None
    opening_commission: Decimal = ZERO
    cat: Decimal | None = None
    notes: tuple[str, ...] = field(default=())


def _proposal_base(file: CreditFile) -> str:
    pricing = (file.evaluation or {}).get("pricing") or {}
    base = str(pricing.get("base") or "")
    if base.startswith("TERM_SOFR"):
        base = f"TERM_SOFR_{file.payment_every_months}M"
    return base


def proposal_preview(file: CreditFile, on: date) -> ProposalPreview:
    """The amortization table, rate and CAT the file's proposal (its evaluation's pricing and commission)
    would give a loan disbursed on `on`, built as `loan_create_from_file` and the first ministración do."""
    evaluation = file.evaluation or {}
    pricing = evaluation.get("pricing") or {}
    missing = []
    if not evaluation:
        missing.append("la evaluación del expediente (se hace al guardar la propuesta)")
    elif not pricing or pricing.get("base") in (None, "", "sin serie"):
        missing.append("la tasa base aplicable a la moneda y fecha de la propuesta")
    if not file.amount or not file.term_months:
        missing.append("el monto y el plazo de la propuesta")
    if missing:
        return ProposalPreview(start=on, missing=tuple(missing))
    base = _proposal_base(file)
    spread = Decimal(str(pricing.get("total_spread") or "0"))
    rate = rate_breakdown(base_series=base, spread=spread, on=on)
    commission = Decimal(str((evaluation.get("opening_commission") or {}).get("amount") or "0"))
    product = file_ruleset(file).products.get(CreditType(file.credit_type))
    if product is not None and product.revolving:
        return ProposalPreview(start=on, revolving=True, rate=rate, opening_commission=commission)
    draft = Loan(
        currency=file.currency,
        base_series=base,
        spread=spread,
        payment_every_months=file.payment_every_months,
        amortization=file.amortization,
        growth_rate=file.growth_rate,
    )
    try:
        terms = loan_terms(
            draft,
            principal=file.amount,
            start=on,
            term_months=file.term_months,
            grace_months=file.grace_months,
        )
        schedule = schedule_build(terms)
    except (MissingRate, InputErrors, ValueError) as exc:
        return ProposalPreview(start=on, rate=rate, missing=(f"una tabla calculable: {exc}",))
    except DomainError as exc:  # the rate source: the base series has no observations
        return ProposalPreview(start=on, rate=rate, missing=(f"los valores de la tasa base: {exc.message}",))
    notes = []
    if any(i.projected for i in schedule.installments):
        notes.append(
            f"Las tasas de {rate.base_name} posteriores a su último valor publicado se proyectan con ese valor."
        )
    return ProposalPreview(
        start=on,
        rate=rate,
        schedule=schedule,
        opening_commission=commission,
        cat=schedule_cat(schedule, upfront_commissions=commission),
        notes=tuple(notes),
    )
