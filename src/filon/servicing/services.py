"""Loans: creation from a formalized file, the commission, disbursements and their schedules.

Every loan is opened by `loan_open` (from a formalized file, or as a discounted document of the Cadenas
Productivas) and every disbursement passes `disbursement_check`: servicing's own refusals and what the apps
above it ask through `servicing.checks` (the program's guarantee-fund coverage). Every money movement is a
balanced ledger entry in the same transaction as the servicing change and its audit record. Payments live in
`payments.py`, the daily close in `close.py`, obligations in `tasks.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from filon.accounts.access import require_office, require_role
from filon.accounts.models import RegionalOffice, Role, User
from filon.applicants.models import Applicant
from filon.audit.services import audit_record, audited, snapshot
from filon.centavos import amount_check
from filon.core.calendar import add_months, next_business_day, today_mx
from filon.core.money import round_money
from filon.core.rates import TIIE_FONDEO, MissingRate, RateSeries
from filon.core.schedule import (
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
from filon.errors import DomainError, TransitionRefused, ValidationFailed
from filon.idempotency.services import once, scope_of
from filon.ledger import chart
from filon.ledger.services import Line, entry_post, value_date_check
from filon.marketdata.selectors import rate_series_get
from filon.origination.models import CreditFile, FileStatus
from filon.origination.selectors import file_ruleset, requirements_missing
from filon.rules import load_ruleset_version
from filon.rules.schema import CreditType, Currency, ProgramCode, Stage
from filon.servicing.checks import disbursement_refusal
from filon.servicing.lifecycle import LOAN
from filon.servicing.models import (
    Classification,
    Disbursement,
    Installment,
    Loan,
    ScheduleVersion,
)
from filon.servicing.tasks import line_drawdowns_blocked, tasks_after_first_disbursement

REGIONAL = (Role.ANALISTA, Role.GERENTE_REGIONAL)
ZERO = Decimal(0)


def lock_loan(loan: Loan) -> Loan:
    # Lock the loan row only: locking the joined office would serialize a whole office's payments.
    return Loan.objects.select_for_update(of=("self",)).select_related("applicant", "office").get(pk=loan.pk)


# --------------------------------------------------------------------------------------------- rates


def loan_rate_source(loan: Loan, series: RateSeries | None = None) -> RateSource:
    """How the loan earns interest: fixed, TIIE 28 revised monthly with TMIC (9.2.4, 9.2.6), TIIE de
    Fondeo compounded in arrears (C-9), or the USD base revised each period (I-3)."""
    if loan.fixed_rate is not None:
        return FixedRate(loan.fixed_rate)
    if series is None:
        try:
            series = rate_series_get(loan.base_series)
        except MissingRate as exc:
            raise DomainError(str(exc), field="base_series", rule=exc.rule) from None
    if loan.currency == Currency.USD:
        return PeriodRevisedRate(series, loan.spread)
    if loan.base_series == TIIE_FONDEO:
        return CompoundedInArrearsRate(series, loan.spread)
    return MonthlyRevisedRate(series, loan.spread)


def loan_terms(
    loan: Loan,
    *,
    principal: Decimal,
    start: date,
    term_months: int,
    grace_months: int,
    rate: RateSource | None = None,
) -> ScheduleTerms:
    amortization: Any = (
        GrowingPrincipal(loan.growth_rate)
        if loan.amortization == "growing" and loan.growth_rate
        else EqualPrincipal()
    )
    return ScheduleTerms(
        principal=principal,
        disbursement_date=start,
        term_months=term_months,
        grace_months=grace_months,
        payment_every_months=loan.payment_every_months,
        amortization=amortization,
        rate=rate or loan_rate_source(loan),
        currency=loan.currency,
    )


def installment_row(*, version: ScheduleVersion, loan: Loan, installment: Any) -> Installment:
    """The stored row of a computed installment (`filon.core.schedule.Installment`), unsaved."""
    i = installment
    return Installment(
        version=version,
        loan=loan,
        number=i.number,
        start=i.start,
        due=i.due,
        payable=i.payable,
        rate=i.rate.quantize(Decimal("0.000000001")),
        projected=i.projected,
        opening_balance=i.opening_balance - i.prepaid,
        principal=i.principal,
        interest=i.interest,
        projected_interest=i.interest,
    )


def schedule_store(
    *, loan: Loan, schedule: Schedule | Sequence[Any], reason: str, user: Any = None, first_number: int = 1
) -> ScheduleVersion:
    """Save a schedule as the loan's new active version; the previous one is kept, inactive."""
    installments = schedule.installments if isinstance(schedule, Schedule) else schedule
    previous = ScheduleVersion.objects.filter(loan=loan).order_by("-number").first()
    ScheduleVersion.objects.filter(loan=loan, active=True).update(active=False)
    version = ScheduleVersion.objects.create(
        loan=loan,
        number=(previous.number + 1) if previous else 1,
        reason=reason,
        created_by=user if getattr(user, "pk", None) else None,
    )
    Installment.objects.bulk_create(
        [installment_row(version=version, loan=loan, installment=i) for i in installments]
    )
    return version


# --------------------------------------------------------------------------------------------- loans


@dataclass(frozen=True)
class LoanOpening:
    """The terms a loan is contracted with and pins for its life (Transitorio SEGUNDO: the rule set in force
    when contracted governs the credit). The defaults are those of a credit with no grace, monthly payments
    and equal principal, not a revolving line, with no commission."""

    number: str
    applicant: Applicant
    office: RegionalOffice
    program: str
    credit_type: str
    currency: str
    ruleset_version: str
    contracted_amount: Decimal
    contract_date: date
    moratorium_factor: Decimal
    term_months: int
    file: CreditFile | None = None
    base_series: str = ""
    spread: Decimal = ZERO
    fixed_rate: Decimal | None = None
    grace_months: int = 0
    payment_every_months: int = 1
    amortization: str = "equal_principal"
    growth_rate: Decimal | None = None
    is_revolving: bool = False
    line_expires_on: date | None = None
    revolvency_min_days: int | None = None
    revolvency_max_days: int | None = None
    per_drawdown_commission_rate: Decimal | None = None
    opening_commission: Decimal = ZERO
    opening_commission_iva: Decimal = ZERO


@dataclass(frozen=True)
class Drawdown:
    """One bullet disbursement: `amount` lent on `value_date`, owed whole at `due` with the period's interest
    at the loan's rate. A per-drawdown commission and its IVA are netted from the deposit (14); interest
    charged up front (a discounted document, P-1 1.5) is income on the value date and the installment then
    carries none. `net_deposit` posts the deposit as one transfer of the net amount (a discount); otherwise
    the amount goes out and the charges come back as their own bank line (a line's drawdown)."""

    amount: Decimal
    value_date: date
    due: date
    kind: str
    description: str
    schedule_reason: str
    commission: Decimal = ZERO
    commission_iva: Decimal = ZERO
    interest_up_front: Decimal = ZERO
    net_deposit: bool = False


def _next_loan_number(file: CreditFile) -> str:
    return f"CR-{file.folio}"


def loan_open(*, user: User, opening: LoanOpening, drawdown: Drawdown | None = None) -> Loan:
    """Open a loan (pending until its first disbursement), with its audit record, in the caller's
    transaction: the one place a `Loan` row is created. With `drawdown`, the loan is one bullet drawdown
    from the start (a discounted document): it passes the same checks as every disbursement
    (`disbursement_check`) and its drawdown is posted at once."""
    loan = Loan.objects.create(
        **{f.name: getattr(opening, f.name) for f in fields(opening)},
        created_by=user,
    )
    audit_record(user=user, action="loan.create", obj=loan, after=snapshot(loan), office=loan.office)
    if drawdown is not None:
        disbursement_check(loan=loan, amount=drawdown.amount, value_date=drawdown.value_date)
        _drawdown_post(user=user, loan=loan, drawdown=drawdown)
    return loan


@transaction.atomic
def loan_create_from_file(*, user: User, file: CreditFile) -> Loan:
    """Open the loan of a file ready to disburse: it pins the rule set, the rate and the terms (Transitorio
    SEGUNDO: the rule set in force when contracted governs the credit)."""
    require_role(user, REGIONAL, "dar de alta créditos")
    file = CreditFile.objects.select_for_update().select_related("applicant", "office").get(pk=file.pk)
    require_office(user, file.office_id)
    if file.status != FileStatus.READY_TO_DISBURSE:
        raise TransitionRefused(
            "Sólo un expediente listo para disponer da lugar a un crédito.", field="status"
        )
    if Loan.objects.filter(file=file).exists():
        raise TransitionRefused("El expediente ya tiene su crédito.", field="file")
    ruleset = file_ruleset(file)
    product = ruleset.products[CreditType(file.credit_type)]
    evaluation = file.evaluation or {}
    pricing = evaluation.get("pricing") or {}
    commission = evaluation.get("opening_commission") or {}
    per_drawdown = (evaluation.get("per_drawdown_commission") or {}).get("rate")
    contract_date = file.contract_signed_on or today_mx()
    base = str(pricing.get("base") or "")
    spread = Decimal(str(pricing.get("total_spread") or "0"))
    if base.startswith("TERM_SOFR"):
        base = f"TERM_SOFR_{file.payment_every_months}M"
    opening = LoanOpening(
        number=_next_loan_number(file),
        file=file,
        applicant=file.applicant,
        office=file.office,
        program=file.program,
        credit_type=file.credit_type,
        currency=file.currency,
        ruleset_version=ruleset.version,
        contracted_amount=file.amount,
        contract_date=contract_date,
        base_series=base,
        spread=spread,
        moratorium_factor=ruleset.rates.moratorium_factor,
        term_months=file.term_months,
        grace_months=file.grace_months,
        payment_every_months=file.payment_every_months,
        amortization=file.amortization,
        growth_rate=file.growth_rate,
        is_revolving=product.revolving,
        line_expires_on=add_months(contract_date, file.term_months) if product.revolving else None,
        revolvency_min_days=product.revolvency.min_days if product.revolvency else None,
        revolvency_max_days=product.revolvency.max_days if product.revolvency else None,
        per_drawdown_commission_rate=Decimal(per_drawdown) if per_drawdown else None,
        opening_commission=Decimal(str(commission.get("amount") or "0")),
        opening_commission_iva=Decimal(str(commission.get("iva") or "0")),
    )
    return loan_open(user=user, opening=opening)


@transaction.atomic
def commission_pay(*, user: User, loan: Loan, value_date: date, idempotency_key: str | None = None) -> Loan:
    """The opening commission and its IVA, paid before any disbursement (14): Bancos ← comisiones, IVA.
    Once per key, decided under the loan's lock (`filon.idempotency.once`)."""
    require_role(user, REGIONAL, "registrar el pago de comisiones")
    loan = lock_loan(loan)
    require_office(user, loan.office_id, "El crédito")
    return once(
        operation="commission_pay",
        scope=scope_of(loan),
        key=idempotency_key,
        request={"value_date": value_date},
        user=user,
        what="otro pago de la comisión de este crédito",
        perform=lambda: _commission_post(user=user, loan=loan, value_date=value_date),
    )


def _commission_post(*, user: User, loan: Loan, value_date: date) -> Loan:
    value_date_check(value_date)
    if loan.opening_commission_paid_on:
        raise TransitionRefused("La comisión por apertura ya fue pagada.", field="opening_commission")
    total = loan.opening_commission + loan.opening_commission_iva
    if total <= 0:
        raise TransitionRefused("Este crédito no tiene comisión por apertura.", field="opening_commission")
    cur = loan.currency
    entry_post(
        kind="comision_apertura",
        business_date=value_date,
        loan_id=loan.pk,
        user=user,
        description=f"Comisión por apertura e IVA del crédito {loan.number}",
        lines=[
            Line(chart.BANCOS, total, cur),
            Line(chart.COMISIONES_COBRADAS, -loan.opening_commission, cur),
            Line(chart.IVA_TRASLADADO, -loan.opening_commission_iva, cur),
        ],
    )
    with audited(
        user=user,
        action="loan.commission_pay",
        obj=loan,
        fields=["opening_commission_paid_on"],
        office=loan.office,
    ):
        loan.opening_commission_paid_on = value_date
        loan.save(update_fields=["opening_commission_paid_on"])
    return loan


def _refuse_disbursement(loan: Loan, amount: Decimal, value_date: date) -> None:
    ruleset = load_ruleset_version(loan.ruleset_version)
    amount_check(amount, field="amount", label="Importe de la ministración", ruleset=ruleset)
    if amount <= 0 or amount != round_money(amount):
        raise ValidationFailed([DomainError("El importe debe ser positivo y en centavos.", field="amount")])
    LOAN.require_state("disburse", loan)
    if loan.days_past_due > 0 or loan.classification == Classification.VENCIDA:
        # Rules 6: no financing to whoever has overdue debts with FIFOMI — a past-due line takes no drawdown.
        raise TransitionRefused(
            f"El crédito tiene {loan.days_past_due} días de atraso: no se ministran recursos hasta regularizarlo.",
            field="status",
            rule=load_ruleset_version(loan.ruleset_version).selection.rule,
        )
    if loan.file_id and loan.file.status != FileStatus.READY_TO_DISBURSE:
        raise TransitionRefused("El expediente no está listo para disponer (16.2.2).", field="file")
    if loan.file_id:
        missing = requirements_missing(loan.file, Stage.PRE_DISBURSEMENT)
        if missing:
            raise TransitionRefused(
                f"Faltan requisitos previos a la disposición: {', '.join(m.code for m in missing[:6])}.",
                field="requirements",
                rule=missing[0].rule,
            )
    needs_commission = loan.opening_commission + loan.opening_commission_iva > 0
    if needs_commission and not loan.opening_commission_paid_on:
        raise TransitionRefused(
            "La comisión por apertura y su IVA deben pagarse antes de disponer.",
            field="opening_commission",
            rule=file_ruleset(loan.file).commissions.rule if loan.file_id else None,
        )
    value_date_check(value_date)


def disbursement_check(*, loan: Loan, amount: Decimal, value_date: date) -> None:
    """What every disbursement of a loan must pass, whichever service moves the money: servicing's own
    refusals (amount, status, arrears, the file's readiness and requirements, the opening commission, the
    value date), then what the apps above ask (`servicing.checks`: P-2's fund coverage, R-2.6)."""
    _refuse_disbursement(loan, amount, value_date)
    refusal = disbursement_refusal(loan=loan, amount=amount)
    if refusal is not None:
        raise refusal


def disbursement_validate(
    *, loan: Loan, amount: Decimal, value_date: date, drawdown_days: int | None = None
) -> None:
    """Everything a ministración (or a line's drawdown) of `amount` on `value_date` must pass, without
    posting: `disbursement_check`, then the contracted amount still undisbursed (a simple credit) or the
    line's own limits (a revolving line: its blocks, expiry, revolvency and available balance). Asked when
    an order is captured and again, under the loan's lock, when it is released (`servicing.release`)."""
    disbursement_check(loan=loan, amount=amount, value_date=value_date)
    if loan.is_revolving:
        _drawdown_plan(loan=loan, amount=amount, value_date=value_date, days=drawdown_days)
        return
    _refuse_over_contract(loan, amount)
    if (
        loan.first_disbursed_on is not None
        and not loan.installments.filter(version__active=True, start__gte=value_date).exists()
    ):
        raise TransitionRefused(
            "No quedan periodos por iniciar para una nueva ministración.", field="value_date"
        )


def _refuse_over_contract(loan: Loan, amount: Decimal) -> None:
    disbursed = sum((d.amount for d in loan.disbursements.all()), ZERO)
    if disbursed + amount > loan.contracted_amount:
        raise ValidationFailed(
            [
                DomainError(
                    f"La ministración excede el monto contratado: dispuesto {disbursed}, contratado {loan.contracted_amount}.",
                    field="amount",
                )
            ]
        )


def disbursement_post(
    *, user: User, loan: Loan, amount: Decimal, value_date: date, drawdown_days: int | None
) -> Disbursement:
    """Post a ministración (12) or a line's drawdown to the ledger, checked again. Only the release of a
    captured order calls it (`servicing.release.disbursement_release`: another user than the one who
    captured it, with the loan already locked). A simple credit's schedule is (re)built over the remaining
    term with the new balance; a revolving line's drawdown is one bullet installment within its revolvency;
    the first disbursement creates the loan's obligations (`tasks_after_first_disbursement`)."""
    disbursement_check(loan=loan, amount=amount, value_date=value_date)
    cur = loan.currency
    if loan.is_revolving:
        return _drawdown(user=user, loan=loan, amount=amount, value_date=value_date, days=drawdown_days)
    _refuse_over_contract(loan, amount)
    entry = entry_post(
        kind="ministracion",
        business_date=value_date,
        loan_id=loan.pk,
        user=user,
        description=f"Ministración del crédito {loan.number}",
        lines=[Line(chart.CARTERA_VIGENTE, amount, cur, loan.pk), Line(chart.BANCOS, -amount, cur)],
    )
    disbursement = Disbursement.objects.create(
        loan=loan, amount=amount, value_date=value_date, entry=entry, created_by=user
    )
    with audited(
        user=user,
        action="loan.disburse",
        obj=loan,
        fields=["status", "principal_balance", "first_disbursed_on", "maturity_date"],
        office=loan.office,
    ) as change:
        first = loan.first_disbursed_on is None
        if first:
            loan.first_disbursed_on = value_date
            loan.accrued_through = value_date - timedelta(days=1)
            loan.status = LOAN.target("disburse")
            terms = loan_terms(
                loan,
                principal=amount,
                start=value_date,
                term_months=loan.term_months,
                grace_months=loan.grace_months,
            )
            schedule = schedule_build(terms)
            schedule_store(loan=loan, schedule=schedule, reason="Primera ministración", user=user)
            tasks_after_first_disbursement(loan=loan, first_disbursed_on=value_date)
        else:
            _rebuild_for_new_balance(loan=loan, added=amount, on=value_date, user=user)
        loan.principal_balance += amount
        loan.maturity_date = (
            loan.installments.filter(version__active=True)
            .order_by("-due")
            .values_list("due", flat=True)
            .first()
        )
        loan.save()
        change.facts["amount"] = str(amount)
    return disbursement


def _rebuild_for_new_balance(*, loan: Loan, added: Decimal, on: date, user: Any) -> None:
    """A later ministración of a simple credit: the periods not yet started are rebuilt with the higher
    balance, keeping the original maturity (the principal plan spreads over the remaining payments)."""
    active = loan.schedule_versions.get(active=True)
    rows = list(active.installments.order_by("number"))
    future = [row for row in rows if row.start >= on]
    if not future:
        raise TransitionRefused(
            "No quedan periodos por iniciar para una nueva ministración.", field="value_date"
        )
    first = future[0]
    months_left = sum(1 for _ in future) * loan.payment_every_months
    grace_left = max(0, loan.grace_months - (first.number - 1) * loan.payment_every_months)
    outstanding = sum((row.principal for row in future), ZERO)
    terms = loan_terms(
        loan,
        principal=outstanding + added,
        start=first.start,
        term_months=months_left,
        grace_months=min(grace_left, months_left - loan.payment_every_months),
    )
    rebuilt = schedule_build(terms).installments
    kept = [row for row in rows if row.start < on]
    offset = first.number - 1
    renumbered = [i._replace(number=i.number + offset) for i in rebuilt]
    version = schedule_store(loan=loan, schedule=[], reason=f"Ministración adicional de {added}", user=user)
    Installment.objects.bulk_create(
        [
            Installment(
                version=version,
                loan=loan,
                number=r.number,
                start=r.start,
                due=r.due,
                payable=r.payable,
                rate=r.rate,
                projected=r.projected,
                opening_balance=r.opening_balance,
                principal=r.principal,
                interest=r.interest,
                projected_interest=r.projected_interest,
                interest_accrued=r.interest_accrued,
                moratorium_accrued=r.moratorium_accrued,
                principal_paid=r.principal_paid,
                interest_paid=r.interest_paid,
                moratorium_paid=r.moratorium_paid,
                status=r.status,
            )
            for r in kept
        ]
        + [installment_row(version=version, loan=loan, installment=i) for i in renumbered]
    )


def _drawdown_plan(
    *, loan: Loan, amount: Decimal, value_date: date, days: int | None
) -> tuple[int, date, Decimal, Decimal]:
    """A line's drawdown checked against the line: (days, due date, commission, its IVA), or a refusal."""
    blocked = line_drawdowns_blocked(loan=loan, on=value_date)
    if blocked:
        raise TransitionRefused(blocked.message, field="line", rule=blocked.rule)
    if loan.line_expires_on and value_date > loan.line_expires_on:
        raise TransitionRefused(f"La línea venció el {loan.line_expires_on:%d/%m/%Y}.", field="value_date")
    lo, hi = loan.revolvency_min_days, loan.revolvency_max_days
    if days is None:
        raise ValidationFailed(
            [DomainError("Indique el plazo de la disposición en días.", field="drawdown_days")]
        )
    if lo is not None and hi is not None and not lo <= days <= hi:
        raise ValidationFailed(
            [
                DomainError(
                    f"Cada disposición es de {lo} a {hi} días.",
                    field="drawdown_days",
                    rule=file_ruleset(loan.file).products[CreditType(loan.credit_type)].terms_rule
                    if loan.file_id
                    else None,
                )
            ]
        )
    available = loan.contracted_amount - loan.principal_balance
    if amount > available:
        raise ValidationFailed(
            [
                DomainError(
                    f"La disposición excede el saldo disponible de la línea ({available}).", field="amount"
                )
            ]
        )
    due = value_date + timedelta(days=days)
    if loan.line_expires_on and due > loan.line_expires_on:
        due = (
            loan.line_expires_on
        )  # 9.2.3 footnote 3: the last note may be adjusted to the contract's maturity
    commission = iva = ZERO
    if loan.per_drawdown_commission_rate:
        ruleset = file_ruleset(loan.file) if loan.file_id else None
        iva_rate = ruleset.commissions.iva_rate if ruleset else Decimal("0")
        commission = round_money(amount * loan.per_drawdown_commission_rate)
        iva = round_money(commission * iva_rate)
    return days, due, commission, iva


def _drawdown(*, user: User, loan: Loan, amount: Decimal, value_date: date, days: int | None) -> Disbursement:
    days, due, commission, iva = _drawdown_plan(loan=loan, amount=amount, value_date=value_date, days=days)
    first = loan.first_disbursed_on is None
    with audited(
        user=user,
        action="loan.drawdown",
        obj=loan,
        fields=["status", "principal_balance"],
        office=loan.office,
    ) as change:
        disbursement = _drawdown_post(
            user=user,
            loan=loan,
            drawdown=Drawdown(
                amount=amount,
                value_date=value_date,
                due=due,
                kind="disposicion",
                description=f"Disposición de la línea {loan.number} a {days} días",
                schedule_reason="Disposiciones de la línea",
                commission=commission,
                commission_iva=iva,
            ),
        )
        if first:
            tasks_after_first_disbursement(loan=loan, first_disbursed_on=value_date)
        change.facts.update(amount=str(amount), due=due.isoformat())
    return disbursement


def _drawdown_lines(loan: Loan, d: Drawdown) -> list[Line]:
    cur = loan.currency
    lines = [Line(chart.CARTERA_VIGENTE, d.amount, cur, loan.pk)]
    charges = d.commission + d.commission_iva
    if d.net_deposit:
        lines.append(Line(chart.BANCOS, -(d.amount - charges - d.interest_up_front), cur))
        if d.commission:
            lines.append(Line(chart.COMISIONES_COBRADAS, -d.commission, cur))
    else:
        lines.append(Line(chart.BANCOS, -d.amount, cur))
        if loan.per_drawdown_commission_rate:
            # Paid before the drawdown (14): netted from the deposit.
            lines += [Line(chart.BANCOS, charges, cur), Line(chart.COMISIONES_COBRADAS, -d.commission, cur)]
    if d.commission_iva:
        lines.append(Line(chart.IVA_TRASLADADO, -d.commission_iva, cur))
    if d.interest_up_front:
        lines.append(Line(chart.INGRESOS_INTERESES, -d.interest_up_front, cur))
    return lines


def _drawdown_post(*, user: User, loan: Loan, drawdown: Drawdown) -> Disbursement:
    """Post one bullet drawdown already checked: its entry, the `Disbursement`, one installment at its due
    date on the loan's active schedule (the first drawdown creates it), and the loan's position — active,
    the principal added, the maturity at the latest due date. The caller writes its own audit record."""
    d = drawdown
    entry = entry_post(
        kind=d.kind,
        business_date=d.value_date,
        loan_id=loan.pk,
        user=user,
        description=d.description,
        lines=_drawdown_lines(loan, d),
    )
    disbursement = Disbursement.objects.create(
        loan=loan,
        amount=d.amount,
        value_date=d.value_date,
        due_date=d.due,
        entry=entry,
        commission=d.commission,
        commission_iva=d.commission_iva,
        created_by=user,
    )
    terms = loan_terms(loan, principal=d.amount, start=d.value_date, term_months=1, grace_months=0)
    rate = terms.rate.period_rate([d.value_date, d.due])
    interest = ZERO if d.interest_up_front else round_money(d.amount * (rate.factor() - 1))
    version = loan.schedule_versions.filter(active=True).first()
    if version is None:
        version = ScheduleVersion.objects.create(
            loan=loan, number=1, reason=d.schedule_reason, created_by=user
        )
    number = (version.installments.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    Installment.objects.create(
        version=version,
        loan=loan,
        number=number,
        start=d.value_date,
        due=d.due,
        payable=next_business_day(d.due),
        rate=(rate.factor() - 1).quantize(Decimal("0.000000001")),
        projected=rate.projected,
        opening_balance=d.amount,
        principal=d.amount,
        interest=interest,
        projected_interest=interest,
    )
    if loan.first_disbursed_on is None:
        loan.first_disbursed_on = d.value_date
        loan.accrued_through = d.value_date - timedelta(days=1)
    loan.status = LOAN.target("disburse")
    loan.principal_balance += d.amount
    loan.maturity_date = max(filter(None, [loan.maturity_date, d.due]))
    loan.save()
    return disbursement


def program_of(loan: Loan) -> ProgramCode:
    return ProgramCode(loan.program)
