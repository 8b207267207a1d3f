"""The daily close (`filon close --date D`): accrual, overdue installments, aging, CNBV classification.

One business date is closed in one transaction (STYLE 9): a crash leaves nothing half done, so a rerun
starts the date again from scratch; a date already closed is returned as it is. Dates are closed in
order, and the close of a business day accrues every calendar day since the loan's `accrued_through`
(weekends and bank holidays are accrued by the next business day's close, C-4).

Steps for a date D:
0. The loans are taken for the close (`_lock_portfolio`).
1. Money received ahead of time (`unapplied_balance`) is applied to installments payable on or before D
   by the payments engine (`filon.servicing.payments.unapplied_apply`, which accrues the loan through D
   first), loan by loan, before anything else: days past due are then measured after it. Then the revolving
   lines that expired before D owing nothing are closed (liquidado, `expired_lines_close`).
   Only loans «Vigente en administración» go on: a closed (liquidado) loan accrues nothing more and counts
   in no aging bucket or classification.
2. The active portfolio is walked in chunks of loans, in id order. Per chunk one query loads the
   unpaid installments of the active schedules whose period has started (start <= D), and in memory:
   a. rate revision: an installment built on projected base rates is re-priced with the published series
      (`loan_rate_source`, `period_rate`; C-5, C-9), keeping `projected_interest`. It stays `projected`
      while some of its days are still projections, and is re-priced again by the following closes:
      TIIE de Fondeo is compounded in arrears, so its period rate is final only once the period's last
      day is published (re-pricing only the periods that start in (last close, D] would leave those on
      their projection). It runs before the accrual, which then catches up to the revised interest;
   b. accrual of ordinary and moratorium interest through D (`accrual_deltas`, R-9.2.5): the moratorium
      at the ordinary rate in force on each day of the delay (I-8, `filon.core.accrual.DelayRate`), one
      `DelayRate` per pricing terms for the whole close, so each month's base is looked up once;
   c. installments payable before D become overdue, those payable on D due;
   d. days past due (from the payable date of the oldest unpaid installment), aging bucket and CNBV
      classification, with the transfer between cartera vigente and vencida.
   The chunk's changes are written set-based — one statement per table (`filon.platform.bulk`), no
   per-row ORM saves — and its postings go into ONE journal entry per currency and step, every posting
   carrying its loan. On PostgreSQL the loan and installment rows are updated in place (HOT: the tables
   keep free room on each page, migration 0005), so the close writes no index entry for them.
   Every step runs or the close fails: a step of the payments engine that raises stops the close and
   rolls the date back whole; none is skipped.
3. The ledger day is closed (`day_close`) and the DailyClose row records counts, totals and aging; the
   audit record adds the loans returned to vigente, the re-priced installments and the advances applied.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from filon.audit.services import audit_record
from filon.core.accrual import DelayRate
from filon.core.calendar import add_months, is_business_day, previous_business_day, today_mx
from filon.core.money import CENT, finance_context, round_money
from filon.core.rates import MissingRate, RateSeries
from filon.core.schedule import RateSource
from filon.errors import DomainError, TransitionRefused
from filon.ledger import chart
from filon.ledger.models import JournalEntry, Posting
from filon.ledger.services import UnbalancedEntry, account_ids, check_open, day_close, last_closed_date
from filon.marketdata.selectors import rate_series_get
from filon.platform.bulk import Write, pipeline, rows_insert, rows_read, rows_update
from filon.platform.revision import new_revision
from filon.servicing import payments
from filon.servicing.accrual import InstallmentState, accrual_deltas, delay_rate_of
from filon.servicing.models import (
    Classification,
    DailyClose,
    Installment,
    InstallmentStatus,
    Loan,
    LoanStatus,
)
from filon.servicing.restructuring import sustained_payment_holds, sustained_payment_pending_loans
from filon.servicing.services import loan_rate_source

ZERO = Decimal(0)
CHUNK = 5000
RATE_QUANTUM = Decimal("0.000000001")  # Installment.rate has 9 decimal places

VENCIDA_AFTER_DAYS: dict[str, int] = {
    "periodic": 90,
    "single_payment": 30,
    "revolving": 60,
}
"""Days past due from which a credit is cartera vencida — CNBV, Criterio B-6 «Cartera de crédito» of the
accounting criteria for credit institutions (CUB Anexo 33): periodic payments of principal and interest,
90 or more days; a single payment of principal and interest at maturity, 30 or more days; revolving lines,
60 or more days (two monthly billing periods). The FIFOMI Rules and SPEC do not set these figures, so they
are not in the rule-set data; this is the one place that holds them.
"""

AGING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("91+", 91, None),
)
"""Days-past-due buckets of the aging report (antigüedad de saldos): key, first day, last day."""

ACCRUAL_KIND = "devengo"
TO_VENCIDA_KIND = "traspaso_vencida"
TO_VIGENTE_KIND = "traspaso_vigente"


def vencida_threshold(*, is_revolving: bool, term_months: int, payment_every_months: int) -> int:
    """The CNBV days-past-due threshold of a credit: revolving line, single payment or periodic payments.

    A non-revolving credit whose term is one payment period has a single installment: principal and
    interest at maturity."""
    if is_revolving:
        return VENCIDA_AFTER_DAYS["revolving"]
    if term_months <= payment_every_months:
        return VENCIDA_AFTER_DAYS["single_payment"]
    return VENCIDA_AFTER_DAYS["periodic"]


def aging_bucket(days_past_due: int) -> str:
    for key, first, last in AGING_BUCKETS:
        if days_past_due >= first and (last is None or days_past_due <= last):
            return key
    raise ValueError(days_past_due)


# ------------------------------------------------------------------------------------------ use cases


def last_close_date() -> date | None:
    """The latest business date whose books are closed (by a daily close or the ledger)."""
    closes = DailyClose.objects.aggregate(last=Max("business_date"))["last"]
    ledger = last_closed_date()
    return max(filter(None, (closes, ledger)), default=None)


def close_default_date() -> date:
    """The date a close runs through when none is given: a day is closed after it ends, so the business day
    before today; today stays open for the day's operations."""
    return previous_business_day(today_mx())


def dates_to_close(business_date: date) -> list[date]:
    """The business days a close through `business_date` has to run, in order: each one after the last
    close; with no close yet, only the latest business day on or before `business_date`."""
    last = last_close_date()
    if last is None:
        day = business_date
        while not is_business_day(day):
            day -= timedelta(days=1)
        return [day]
    days = []
    day = last + timedelta(days=1)
    while day <= business_date:
        if is_business_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def close_through(
    *, business_date: date, user: Any = None, progress: Callable[[date, int, int], None] | None = None
) -> list[DailyClose]:
    """Close every business day missed up to `business_date`, in order, each in its own transaction (a
    crash keeps the days already closed; the rerun resumes with the next one). A date already closed
    returns its close; a date before the last close that was not closed is refused. `progress(day, number,
    total)` is told of each date before it is closed."""
    last = last_close_date()
    if last is not None and business_date <= last:
        return [close_day(business_date=business_date, user=user)]
    days = dates_to_close(business_date)
    closes = []
    for number, day in enumerate(days, start=1):
        if progress is not None:
            progress(day, number, len(days))
        closes.append(close_day(business_date=day, user=user))
    return closes


def close_day(*, business_date: date, user: Any = None) -> DailyClose:
    """Close one business date: idempotent (a closed date is returned unchanged), all or nothing."""
    with transaction.atomic():
        existing = DailyClose.objects.filter(business_date=business_date).first()
        if existing is not None:
            return existing
        _refuse_out_of_order(business_date)
        started = timezone.now()
        try:
            with transaction.atomic():  # claims the date: a concurrent close of it waits here, then fails
                record = DailyClose.objects.create(
                    business_date=business_date, started_at=started, finished_at=started
                )
        except IntegrityError:
            raise TransitionRefused(
                f"Otro proceso está cerrando o ya cerró el {business_date:%d/%m/%Y}.", field="business_date"
            ) from None
        _lock_portfolio()
        applied = _apply_unapplied(business_date)
        lines_closed = _close_expired_lines(business_date)
        run = _Run(business_date=business_date, user=user)
        run.walk()
        day_close(business_date)
        record.loans = run.loans
        record.interest_accrued = _strings(run.interest)
        record.moratorium_accrued = _strings(run.moratorium)
        record.moved_to_overdue = run.moved_to_overdue
        record.reclassified = run.to_vencida
        record.aging = run.aging_report()
        record.finished_at = timezone.now()
        record.save()
        audit_record(
            user=user,
            action="close.day",
            obj=record,
            after={
                "business_date": business_date.isoformat(),
                "loans": run.loans,
                "interest_accrued": record.interest_accrued,
                "moratorium_accrued": record.moratorium_accrued,
                "moved_to_overdue": run.moved_to_overdue,
                "to_vencida": run.to_vencida,
                "to_vigente": run.to_vigente,
                "repriced": run.repriced,
                "unapplied_applied": applied,
                "lines_closed": lines_closed,
            },
        )
    return record


def _refuse_out_of_order(business_date: date) -> None:
    if not is_business_day(business_date):
        raise TransitionRefused(
            f"El {business_date:%d/%m/%Y} no es día hábil bancario: sus días se devengan en el cierre del "
            "siguiente día hábil.",
            field="business_date",
            rule="C-4",
        )
    if business_date > today_mx():
        raise TransitionRefused(
            f"No se puede cerrar el {business_date:%d/%m/%Y}: es una fecha futura.", field="business_date"
        )
    last = last_close_date()
    if last is None:
        return
    if business_date <= last:
        raise TransitionRefused(
            f"No se puede cerrar el {business_date:%d/%m/%Y}: es anterior al último cierre "
            f"({last:%d/%m/%Y}) y los días se cierran en orden.",
            field="business_date",
        )
    missing = dates_to_close(business_date)[:-1]
    if missing:
        raise TransitionRefused(
            f"Falta cerrar el {missing[0]:%d/%m/%Y}: los días hábiles se cierran en orden "
            "(«filon close» pone al corriente los días pendientes).",
            field="business_date",
        )
    check_open(business_date)


def _strings(totals: dict[str, Decimal]) -> dict[str, str]:
    return {currency: str(amount.quantize(CENT)) for currency, amount in sorted(totals.items())}


# ----------------------------------------------------------------------------- 1. unapplied money


def _apply_unapplied(business_date: date) -> int:
    """Hand money received in advance to the payments engine for the loans with an installment payable
    on or before the date. Returns how many loans."""
    payable = Installment.objects.filter(
        loan=OuterRef("pk"),
        version__active=True,
        payable__lte=business_date,
        status__in=[InstallmentStatus.PENDING, InstallmentStatus.DUE, InstallmentStatus.OVERDUE],
    )
    loans = Loan.objects.filter(status=LoanStatus.ACTIVE, unapplied_balance__gt=0).filter(Exists(payable))
    due = list(loans.order_by("pk"))  # few loans; each is locked and written by the payments engine
    for loan in due:
        payments.unapplied_apply(loan=loan, on=business_date)
    return len(due)


def _close_expired_lines(business_date: date) -> int:
    """Revolving lines that expired before the date owing nothing are closed by the payments engine
    (liquidado on the line's expiry). Returns how many."""
    return int(payments.expired_lines_close(on=business_date))


# ----------------------------------------------------------------------------- 2. the portfolio walk


LOAN_FIELDS = (
    "pk",
    "currency",
    "classification",
    "principal_balance",
    "accrued_interest",
    "accrued_moratorium",
    "accrued_through",
    "days_past_due",
    "moratorium_factor",
    "is_revolving",
    "term_months",
    "payment_every_months",
    "first_disbursed_on",
    "fixed_rate",
    "base_series",
    "spread",
)


class _LoanRow(NamedTuple):
    id: int
    currency: str
    classification: str
    principal_balance: Decimal
    accrued_interest: Decimal
    accrued_moratorium: Decimal
    accrued_through: date
    days_past_due: int
    moratorium_factor: Decimal
    is_revolving: bool
    term_months: int
    payment_every_months: int
    first_disbursed_on: date
    fixed_rate: Decimal | None
    base_series: str
    spread: Decimal


INSTALLMENT_FIELDS = (
    "pk",
    "start",
    "due",
    "payable",
    "rate",
    "interest",
    "interest_accrued",
    "principal",
    "moratorium_accrued",
    "loan_id",
    "principal_paid",
    "projected",
    "opening_balance",
    "interest_paid",
    "status",
)


@dataclass
class _InstallmentRow(InstallmentState):
    """An installment as the close reads it: the accrual's state plus what the other steps need.
    Loaded with `principal` in `principal_unpaid`'s place; `_Run._read` subtracts `principal_paid`."""

    loan_id: int
    principal_paid: Decimal
    projected: bool
    opening_balance: Decimal
    interest_paid: Decimal
    status: str
    changed: bool = False


INSTALLMENT_UPDATES = ("rate", "projected", "interest", "interest_accrued", "moratorium_accrued", "status")
LOAN_UPDATES = (
    "accrued_interest",
    "accrued_moratorium",
    "accrued_through",
    "days_past_due",
    "classification",
    "revision",
)
UNPAID = (InstallmentStatus.PENDING, InstallmentStatus.DUE, InstallmentStatus.OVERDUE)


@dataclass
class _Run:
    """One date's walk over the active portfolio, and what it adds up to."""

    business_date: date
    user: Any
    loans: int = 0
    moved_to_overdue: int = 0
    to_vencida: int = 0
    to_vigente: int = 0
    repriced: int = 0
    restructured: set[int] = field(default_factory=set)
    revision: int = field(default_factory=new_revision)
    interest: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    moratorium: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    aging: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            key: {"loans": 0, "principal": defaultdict(lambda: ZERO)} for key, _, _ in AGING_BUCKETS
        }
    )

    def __post_init__(self) -> None:
        day = f"{self.business_date:%d/%m/%Y}"
        ids = account_ids()
        self.accrual = _Entries(
            kind=ACCRUAL_KIND,
            description=f"Devengo de intereses ordinarios y moratorios al {day} (cierre diario)",
            business_date=self.business_date,
            user=self.user,
            account_ids=ids,
        )
        self.to_vencida_entry = _Entries(
            kind=TO_VENCIDA_KIND,
            description=f"Traspaso a cartera vencida al {day} (CNBV Criterio B-6)",
            business_date=self.business_date,
            user=self.user,
            account_ids=ids,
        )
        self.to_vigente_entry = _Entries(
            kind=TO_VIGENTE_KIND,
            description=f"Traspaso a cartera vigente al {day}: crédito sin atraso (CNBV Criterio B-6)",
            business_date=self.business_date,
            user=self.user,
            account_ids=ids,
        )
        self.pricer = _Pricer()

    def walk(self) -> None:
        """Chunk after chunk: read (locking the loans), compute in memory, write. On PostgreSQL the writes
        are pipelined: the next chunk is read before this one's writes are sent, so the server applies
        them while Python computes the next chunk (both cores work)."""
        entries = (self.accrual, self.to_vencida_entry, self.to_vigente_entry)
        chunk = self._read(after=0)
        if connection.vendor == "postgresql":
            # foreign keys of the postings checked as they are inserted, while Python computes, rather
            # than all at once at commit
            connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
        with pipeline():
            while chunk:
                loans, rows = chunk
                installment_updates, loan_updates = self._compute(loans, rows)
                writes = [
                    rows_update(Installment, INSTALLMENT_UPDATES, installment_updates),
                    rows_update(Loan, LOAN_UPDATES, loan_updates),
                    *(step.flush() for step in entries),
                ]
                chunk = self._read(after=loans[-1].id)  # waits for the previous chunk's writes
                for write in writes:
                    write.run()
            for step in entries:
                step.finish().run()

    def _read(self, *, after: int) -> tuple[list[_LoanRow], dict[int, list[_InstallmentRow]]] | None:
        """The next chunk of active loans and their unpaid installments whose period started."""
        day = self.business_date
        chunk = Loan.objects.filter(
            status=LoanStatus.ACTIVE,
            accrued_through__isnull=False,
            first_disbursed_on__lte=day,
            pk__gt=after,
        ).order_by("pk")[:CHUNK]
        loans = [_LoanRow(*values) for values in rows_read(chunk, LOAN_FIELDS)]
        if not loans:
            return None
        first, last = loans[0].id, loans[-1].id
        installments = Installment.objects.filter(
            loan_id__gte=first,
            loan_id__lte=last,
            # the same range on the version lets the planner read only the chunk's versions
            version__loan_id__gte=first,
            version__loan_id__lte=last,
            version__active=True,
            start__lte=day,
            status__in=UNPAID,
        ).order_by()
        by_loan: dict[int, list[_InstallmentRow]] = defaultdict(list)
        for values in rows_read(installments, INSTALLMENT_FIELDS):
            row = _InstallmentRow(*values)
            row.principal_unpaid -= row.principal_paid
            by_loan[row.loan_id].append(row)
        return loans, by_loan

    def _compute(
        self, loans: list[_LoanRow], by_loan: dict[int, list[_InstallmentRow]]
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Steps a–d for a chunk, in memory: the installment and loan rows to update."""
        loan_updates: list[tuple[Any, ...]] = []
        installment_updates: list[tuple[Any, ...]] = []
        empty: list[_InstallmentRow] = []
        self.restructured = sustained_payment_pending_loans(
            [loan.id for loan in loans if loan.classification == Classification.VENCIDA]
        )
        for loan in loans:
            rows = by_loan.get(loan.id, empty)
            update = self._loan(loan, rows)
            if update:
                loan_updates.append(update)
            installment_updates += [
                (
                    row.rate,
                    row.projected,
                    row.interest,
                    row.interest_accrued,
                    row.moratorium_accrued,
                    row.status,
                    row.id,
                )
                for row in rows
                if row.changed
            ]
        self.loans += len(loans)
        return installment_updates, loan_updates

    def _loan(self, loan: _LoanRow, rows: list[_InstallmentRow]) -> tuple[Any, ...]:
        """Steps a–d for one loan, in memory. Returns its row update (empty when nothing changed)."""
        day = self.business_date
        cur = loan.currency
        vencida = loan.classification == Classification.VENCIDA
        # a. rate revision of the started periods built on projected base rates
        for row in rows:
            if row.projected and self.pricer.reprice(loan, row):
                self.repriced += 1
        # b. accrual through the date (every calendar day since accrued_through)
        accrued_interest, accrued_moratorium = loan.accrued_interest, loan.accrued_moratorium
        accrued_through = loan.accrued_through
        if accrued_through <= day:
            deltas = accrual_deltas(
                rows,
                accrued_through=accrued_through,
                through=day,
                moratorium_factor=loan.moratorium_factor,
                delay_rate=partial(self.pricer.delay_rate, loan),
            )
            if deltas:
                by_id = {row.id: row for row in rows}
                interest = mora = ZERO
                for delta in deltas:
                    row = by_id[delta.installment_id]
                    row.interest_accrued += delta.interest
                    row.moratorium_accrued += delta.moratorium
                    row.changed = True
                    interest += delta.interest
                    mora += delta.moratorium
                receivable = chart.INTERESES_VENCIDOS if vencida else chart.INTERESES_DEVENGADOS
                self.accrual.add(receivable, interest, cur, loan.id, counter=chart.INGRESOS_INTERESES)
                self.accrual.add(
                    chart.INTERESES_MORATORIOS, mora, cur, loan.id, counter=chart.INGRESOS_MORATORIOS
                )
                self.interest[cur] += interest
                self.moratorium[cur] += mora
                accrued_interest += interest
                accrued_moratorium += mora
            accrued_through = day
        # c. installment statuses
        oldest: date | None = None
        for row in rows:
            if row.payable < day:
                if row.status != InstallmentStatus.OVERDUE:
                    row.status = InstallmentStatus.OVERDUE
                    row.changed = True
                    self.moved_to_overdue += 1
                if oldest is None or row.payable < oldest:
                    oldest = row.payable
            elif row.payable == day and row.status == InstallmentStatus.PENDING:
                row.status = InstallmentStatus.DUE
                row.changed = True
        # d. days past due, aging and classification
        days_past_due = (day - oldest).days if oldest is not None else 0
        bucket = self.aging[aging_bucket(days_past_due)]
        bucket["loans"] += 1
        bucket["principal"][cur] += loan.principal_balance
        classification = loan.classification
        threshold = vencida_threshold(
            is_revolving=loan.is_revolving,
            term_months=loan.term_months,
            payment_every_months=loan.payment_every_months,
        )
        if not vencida and days_past_due >= threshold:
            classification = Classification.VENCIDA
            self.to_vencida += 1
            self._transfer(self.to_vencida_entry, loan, accrued_interest, to_vencida=True)
        elif vencida and days_past_due == 0 and not self._held_by_restructuring(loan.id):
            classification = Classification.VIGENTE
            self.to_vigente += 1
            self._transfer(self.to_vigente_entry, loan, accrued_interest, to_vencida=False)
        update = (accrued_interest, accrued_moratorium, accrued_through, days_past_due, classification)
        before = (
            loan.accrued_interest,
            loan.accrued_moratorium,
            loan.accrued_through,
            loan.days_past_due,
            loan.classification,
        )
        changed = update != before or any(row.changed for row in rows)
        # with any change the loan takes this date's revision mark: its pages show what the close wrote
        return (*update, self.revision, loan.id) if changed else ()

    def _held_by_restructuring(self, loan_id: int) -> bool:
        """CNBV B-6: a credit restructured while in cartera vencida stays vencida until sustained payment
        (`servicing.restructuring`, thresholds in the rule set's `restructuring` block)."""
        if loan_id not in self.restructured:
            return False
        return bool(sustained_payment_holds([loan_id], business_date=self.business_date, user=self.user))

    def _transfer(
        self, entries: _Entries, loan: _LoanRow, accrued_interest: Decimal, *, to_vencida: bool
    ) -> None:
        """Principal 1301 ↔ 1302 and accrued ordinary interest 1303 ↔ 1304 of one loan."""
        sign = 1 if to_vencida else -1
        cur = loan.currency
        entries.add(chart.CARTERA_VENCIDA, sign * loan.principal_balance, cur, loan.id)
        entries.add(chart.CARTERA_VIGENTE, -sign * loan.principal_balance, cur, loan.id)
        entries.add(chart.INTERESES_VENCIDOS, sign * accrued_interest, cur, loan.id)
        entries.add(chart.INTERESES_DEVENGADOS, -sign * accrued_interest, cur, loan.id)

    def aging_report(self) -> dict[str, Any]:
        return {
            key: {"loans": bucket["loans"], "principal": _strings(bucket["principal"])}
            for key, bucket in self.aging.items()
        }


# ----------------------------------------------------------------------------- rate revision


class _Pricer:
    """Re-prices installments with the published series; series are read once per close, and a period's
    rate once per (rate terms, period cuts) — loans on the same series and spread share them. It also
    holds the close's `DelayRate`s (moratorium, I-8), one per pricing terms."""

    def __init__(self) -> None:
        self.series: dict[str, RateSeries] = {}
        self.sources: dict[tuple[Any, ...], RateSource] = {}
        self.rates: dict[tuple[Any, ...], tuple[Decimal, bool]] = {}
        self.delay_rates: dict[tuple[Any, ...], DelayRate] = {}

    def _series(self, loan: _LoanRow) -> RateSeries | None:
        if loan.fixed_rate is not None:
            return None
        series = self.series.get(loan.base_series)
        if series is None:
            try:
                series = self.series[loan.base_series] = rate_series_get(loan.base_series)
            except MissingRate as exc:
                raise DomainError(str(exc), field="base_series", rule=exc.rule) from None
        return series

    def delay_rate(self, loan: _LoanRow) -> DelayRate:
        """The loan's ordinary rate of each day of a delay (R-9.2.5, I-8), shared by loans on its terms."""
        key = (loan.fixed_rate, loan.base_series, loan.spread)
        rate = self.delay_rates.get(key)
        if rate is None:
            rate = self.delay_rates[key] = delay_rate_of(
                fixed_rate=loan.fixed_rate,
                base_series=loan.base_series,
                spread=loan.spread,
                series=self._series(loan),
            )
        return rate

    def _source(self, loan: _LoanRow) -> tuple[tuple[Any, ...], RateSource]:
        key = (loan.fixed_rate, loan.currency, loan.base_series, loan.spread)
        source = self.sources.get(key)
        if source is None:
            series = self._series(loan)
            terms = Loan(
                fixed_rate=loan.fixed_rate,
                currency=loan.currency,
                base_series=loan.base_series,
                spread=loan.spread,
            )
            source = self.sources[key] = loan_rate_source(terms, series)
        return key, source

    def period_rate(self, loan: _LoanRow, row: _InstallmentRow) -> tuple[Decimal, bool]:
        """(factor − 1, still projected) of the installment's period with the series as published."""
        key, source = self._source(loan)
        cuts = _period_cuts(loan, row)
        cached = self.rates.get((key, cuts))
        if cached is None:
            with finance_context():
                period = source.period_rate(cuts)
                cached = self.rates[(key, cuts)] = (period.factor() - 1, period.projected)
        return cached

    def reprice(self, loan: _LoanRow, row: _InstallmentRow) -> bool:
        """Re-price one installment in place; True when its interest, rate or projected flag changed.

        Left as it is: an installment with interest already paid, and one whose interest is not its
        opening balance × rate (a prepayment inside the period split it; the payments engine re-prices
        such a period when it rebuilds the schedule)."""
        if row.interest_paid:
            return False
        tolerance = CENT + row.opening_balance * RATE_QUANTUM
        if abs(row.opening_balance * row.rate - row.interest) > tolerance:
            return False
        rate, projected = self.period_rate(loan, row)
        with finance_context():
            interest = round_money(row.opening_balance * rate)
        stored = rate.quantize(RATE_QUANTUM)
        if (stored, projected, interest) == (row.rate, row.projected, row.interest):
            return False
        row.rate, row.projected, row.interest = stored, projected, interest
        row.changed = True
        return True


def _period_cuts(loan: _LoanRow, row: _InstallmentRow) -> tuple[date, ...]:
    """The installment's period cut at each month (C-3), as its schedule was built: a drawdown of a
    revolving line and a monthly period are one piece; a longer period has monthly sub-periods on the
    disbursement's day of the month (or, for a schedule rebuilt from a later start, on its own)."""
    months = 1 if loan.is_revolving else loan.payment_every_months
    if months <= 1:
        return (row.start, row.due)
    anchor = loan.first_disbursed_on.day
    if add_months(row.start, months, anchor) != row.due:
        anchor = max(row.start.day, row.due.day)
    return (row.start, *(add_months(row.start, k, anchor) for k in range(1, months)), row.due)


# ----------------------------------------------------------------------------- the postings


class _Entries:
    """ONE journal entry per currency for a step of the close, written chunk by chunk.

    Per-loan lines are inserted as each chunk is computed; each line's counterpart on an account without
    a loan (income) is added up and posted once at the end. The entry is checked to balance per currency
    before the transaction commits, as `entry_post` would (STYLE 8); `check_open` already ran for the date.
    """

    def __init__(
        self,
        *,
        kind: str,
        description: str,
        business_date: date,
        user: Any,
        account_ids: dict[tuple[str, str], int],
    ) -> None:
        self.kind = kind
        self.description = description
        self.business_date = business_date
        self.user = user if getattr(user, "pk", None) else None
        self.ids = account_ids
        self.entry_ids: dict[str, int] = {}
        self.pending: list[tuple[str, str, int | None, Decimal]] = []
        self.counters: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        self.totals: dict[str, Decimal] = defaultdict(lambda: ZERO)

    def add(
        self, account: str, amount: Decimal, currency: str, loan_id: int | None, *, counter: str = ""
    ) -> None:
        if not amount:
            return
        if amount != amount.quantize(CENT):
            raise UnbalancedEntry(f"Importe inválido en la cuenta {account}: {amount}.")
        self.pending.append((account, currency, loan_id, amount))
        if counter:
            self.counters[(counter, currency)] -= amount

    def flush(self) -> Write:
        """The insert of the postings added since the last flush."""
        rows = []
        for account, currency, loan_id, amount in self.pending:
            rows.append((self._entry(currency), self.ids[(account, currency)], loan_id, currency, amount))
            self.totals[currency] += amount
        self.pending = []
        return rows_insert(Posting, ("entry_id", "account_id", "loan_id", "currency", "amount"), rows)

    def finish(self) -> Write:
        """The last postings (the counterparts without a loan), once the entry is known to balance."""
        for (account, currency), amount in sorted(self.counters.items()):
            if amount:
                self.pending.append((account, currency, None, amount))
        write = self.flush()
        unbalanced = {cur: total for cur, total in self.totals.items() if total}
        if unbalanced:
            raise UnbalancedEntry(f"La póliza {self.kind} del cierre no cuadra: diferencia {unbalanced}.")
        return write

    def _entry(self, currency: str) -> int:
        entry_id = self.entry_ids.get(currency)
        if entry_id is None:
            entry = JournalEntry.objects.create(
                business_date=self.business_date,
                kind=self.kind,
                description=f"{self.description} — {currency}",
                created_by=self.user,
            )
            entry_id = self.entry_ids[currency] = entry.pk
        return entry_id


def _lock_portfolio() -> None:
    """Take the loans for the close: no other transaction changes a loan until it commits, so what the
    walk reads is what it writes over.

    PostgreSQL: `LOCK TABLE … IN EXCLUSIVE MODE` — reads go on; payments and disbursements (which lock
    their loan row first) wait for the commit. Row locks chunk by chunk would end up holding every loan
    too, and cost a lock written into each of the 100,000 rows (about a tenth of the close). A payment
    already holding its loan when the close starts finishes first (the close waits for it). SQLite: the
    close's transaction already holds the database's only write lock (IMMEDIATE transactions).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {connection.ops.quote_name(Loan._meta.db_table)} IN EXCLUSIVE MODE")
