"""Posting to the ledger. The only way money moves (STYLE 8).

`entry_post` refuses an entry whose postings do not balance per currency, a posting on a closed date,
an unknown account, a zero or sub-centavo amount. Corrections are reversing entries, never edits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from filon.core.calendar import today_mx
from filon.errors import DomainError, TransitionRefused, ValidationFailed
from filon.ledger.chart import CHART, CURRENCIES, FONDOS_DE_GARANTIA
from filon.ledger.models import Account, JournalEntry, LedgerDay, Posting

CENT = Decimal("0.01")
ZERO = Decimal(0)


# What a higher app does when an entry names loans (servicing: the loans' pages change, a new revision mark),
# registered from its AppConfig.ready(). The ledger knows loans only as the ids on its postings.
EntryListener = Callable[[JournalEntry, frozenset[int]], None]
_entry_listeners: list[EntryListener] = []


def entry_listener_register(listener: EntryListener) -> None:
    """Call `listener(entry, loan_ids)` after each posted entry that names loans (on the entry or its
    postings), in the poster's transaction. Registering the same listener twice keeps one."""
    if listener not in _entry_listeners:
        _entry_listeners.append(listener)


class UnbalancedEntry(DomainError):
    status = 500  # a programming error, never a user's: the caller built the entry wrong


@dataclass(frozen=True)
class Line:
    """One posting of an entry to be made: account code, signed amount, currency, optional loan id and
    guarantee fund id (a fund's money is its sub-balance of 2301, see `fund_balances`)."""

    account: str
    amount: Decimal
    currency: str
    loan_id: int | None = None
    fund_id: int | None = None


def chart_sync() -> None:
    """Create the chart of accounts in every currency (idempotent)."""
    for currency in CURRENCIES:
        for spec in CHART:
            Account.objects.update_or_create(
                code=spec.code,
                currency=currency,
                defaults={"name": spec.name, "kind": spec.kind, "normal": spec.normal},
            )


def account_ids() -> dict[tuple[str, str], int]:
    """(code, currency) → account id, creating the chart on first use. One small query, no cache:
    a cache would outlive the transaction that created the accounts."""
    ids = {(code, cur): pk for pk, code, cur in Account.objects.values_list("pk", "code", "currency")}
    if len(ids) < len(CHART) * len(CURRENCIES):
        chart_sync()
        ids = {(code, cur): pk for pk, code, cur in Account.objects.values_list("pk", "code", "currency")}
    return ids


def last_closed_date() -> date | None:
    return LedgerDay.objects.aggregate(last=Max("business_date"))["last"]


def check_open(business_date: date) -> None:
    """Refuse postings on a date whose books are closed (or before the last closed date)."""
    last = last_closed_date()
    if last is not None and business_date <= last:
        raise TransitionRefused(
            f"El día contable {business_date:%d/%m/%Y} está cerrado (último cierre: {last:%d/%m/%Y}).",
            field="business_date",
        )


def value_date_refusal(value_date: date, *, field: str = "value_date") -> ValidationFailed | None:
    """The one rule for the value date of every money operation (commission, disbursement, payment,
    write-off, recovery): a day is closed after it ends, so an operation may be dated on any day after the
    last closed day and not after today. Returns the refusal, stating the rule, or None."""
    today = today_mx()
    last = last_closed_date()
    if value_date <= today and (last is None or value_date > last):
        return None
    rule = (
        f"debe ser posterior al último cierre ({last:%d/%m/%Y}) y no posterior a hoy ({today:%d/%m/%Y})"
        if last is not None
        else f"no puede ser posterior a hoy ({today:%d/%m/%Y})"
    )
    return ValidationFailed(
        [DomainError(f"La fecha valor {value_date:%d/%m/%Y} no se admite: {rule}.", field=field)]
    )


def value_date_check(value_date: date, *, field: str = "value_date") -> None:
    refusal = value_date_refusal(value_date, field=field)
    if refusal is not None:
        raise refusal


def _validate(lines: Sequence[Line]) -> None:
    if not lines:
        raise UnbalancedEntry("Una póliza necesita movimientos.")
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        if line.amount == 0 or line.amount != line.amount.quantize(CENT):
            raise UnbalancedEntry(f"Importe inválido en la cuenta {line.account}: {line.amount}.")
        if line.currency not in CURRENCIES:
            raise UnbalancedEntry(f"Moneda desconocida {line.currency}.")
        totals[line.currency] += line.amount
    unbalanced = {cur: total for cur, total in totals.items() if total != 0}
    if unbalanced:
        raise UnbalancedEntry(f"La póliza no cuadra: diferencia {unbalanced}.")


def entry_post(
    *,
    kind: str,
    business_date: date,
    description: str,
    lines: Sequence[Line],
    loan_id: int | None = None,
    user: Any = None,
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Post one balanced entry. Must run inside the caller's transaction (it is part of a use case)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("entry_post must run inside the use case's transaction")
    merged = _merge(lines)
    _validate(merged)
    check_open(business_date)
    entry = JournalEntry.objects.create(
        business_date=business_date,
        kind=kind,
        description=description[:300],
        loan_id=loan_id,
        reverses=reverses,
        created_by=user if getattr(user, "pk", None) else None,
    )
    ids = account_ids()
    Posting.objects.bulk_create(
        [
            Posting(
                entry=entry,
                account_id=ids[(line.account, line.currency)],
                loan_id=line.loan_id,
                fund_id=line.fund_id,
                currency=line.currency,
                amount=line.amount,
            )
            for line in merged
        ]
    )
    loan_ids = frozenset(pk for pk in (loan_id, *(line.loan_id for line in merged)) if pk is not None)
    if loan_ids:
        for listener in _entry_listeners:
            listener(entry, loan_ids)
    return entry


def _merge(lines: Iterable[Line]) -> list[Line]:
    """Add up lines on the same account, currency, loan and fund; drop the ones that cancel out."""
    totals: dict[tuple[str, str, int | None, int | None], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        totals[(line.account, line.currency, line.loan_id, line.fund_id)] += line.amount
    return [
        Line(acc, amount, cur, loan, fund) for (acc, cur, loan, fund), amount in totals.items() if amount != 0
    ]


def entry_reverse(
    *, entry: JournalEntry, business_date: date, description: str, user: Any = None
) -> JournalEntry:
    """The reversing entry of `entry`: same postings with opposite signs, linked to it."""
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise TransitionRefused("La póliza ya fue reversada.", field="entry")
    lines = [
        Line(code, -amount, currency, loan_id, fund_id)
        for code, amount, currency, loan_id, fund_id in entry.postings.values_list(
            "account__code", "amount", "currency", "loan_id", "fund_id"
        )
    ]
    return entry_post(
        kind=f"reversa:{entry.kind}"[:32],
        business_date=business_date,
        description=description,
        lines=lines,
        loan_id=entry.loan_id,
        user=user,
        reverses=entry,
    )


def day_close(business_date: date) -> LedgerDay:
    """Close the books of a business date (called by the daily close, in its transaction)."""
    return LedgerDay.objects.create(business_date=business_date, closed_at=timezone.now())


# ------------------------------------------------------------------------------------------------ reads


def _sum_amount() -> Sum:
    """The sum of posting amounts: an integer sum of centavos in SQL on every database, so exact."""
    return Sum("amount")


def loan_balances(loan_id: int, *, until: date | None = None) -> dict[str, Decimal]:
    """Balance per account code of one loan, debit positive (ledger, not a cached figure)."""
    qs = Posting.objects.filter(loan_id=loan_id)
    if until is not None:
        qs = qs.filter(entry__business_date__lte=until)
    return {
        code: total for code, total in qs.values_list("account__code").annotate(total=_sum_amount()) if total
    }


def account_balance(code: str, currency: str) -> Decimal:
    total = Posting.objects.filter(account__code=code, currency=currency).aggregate(t=_sum_amount())["t"]
    return total or ZERO


def fund_balances(fund_ids: Iterable[int] | None = None, *, until: date | None = None) -> dict[int, Decimal]:
    """What each guarantee fund holds: its credit balance of 2301 «Fondos de garantía» (positive = money
    the fund has), read from the postings that carry the fund."""
    qs = Posting.objects.filter(account__code=FONDOS_DE_GARANTIA, fund__isnull=False)
    if fund_ids is not None:
        qs = qs.filter(fund_id__in=list(fund_ids))
    if until is not None:
        qs = qs.filter(entry__business_date__lte=until)
    return {fund_id: -total for fund_id, total in qs.values_list("fund_id").annotate(total=_sum_amount())}


def trial_balance() -> dict[tuple[str, str], Decimal]:
    rows = Posting.objects.values_list("account__code", "currency").annotate(total=_sum_amount())
    return {(code, cur): total for code, cur, total in rows if total}


def _posting_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Sort key of (account, loan, fund, amount) rows whose ids may be None."""
    return tuple((value is None, value or 0) for value in row)


@dataclass(frozen=True)
class Breach:
    check: str
    detail: str


def ledger_check(*, loan_positions: dict[int, dict[str, Decimal]] | None = None) -> list[Breach]:
    """Every invariant of the books; an empty list means they hold.

    - each entry balances per currency;
    - no entry was posted on a date after that date was closed;
    - each reversal reverses exactly its original;
    - (when given) each loan's ledger balances equal its servicing position, account by account.
    """
    breaches: list[Breach] = []
    unbalanced = (
        Posting.objects.values("entry_id", "currency")
        .annotate(total=_sum_amount())
        .exclude(total=0)
        .order_by()
    )
    for row in unbalanced[:100]:
        breaches.append(
            Breach("balance", f"la póliza {row['entry_id']} no cuadra en {row['currency']}: {row['total']}")
        )
    for day in LedgerDay.objects.all():
        late = JournalEntry.objects.filter(business_date__lte=day.business_date, posted_at__gt=day.closed_at)
        for entry in late[:20]:
            breaches.append(
                Breach(
                    "closed_date",
                    f"la póliza {entry.pk} se registró el {entry.posted_at:%d/%m/%Y %H:%M} en el día "
                    f"cerrado {entry.business_date:%d/%m/%Y}",
                )
            )
    for entry in JournalEntry.objects.filter(reverses__isnull=False).select_related("reverses")[:10000]:
        original = sorted(
            entry.reverses.postings.values_list("account_id", "loan_id", "fund_id", "amount"),
            key=_posting_key,
        )
        mirrored = sorted(
            (
                (a, loan, fund, -amt)
                for a, loan, fund, amt in entry.postings.values_list(
                    "account_id", "loan_id", "fund_id", "amount"
                )
            ),
            key=_posting_key,
        )
        if original != mirrored:
            breaches.append(
                Breach("reversal", f"la póliza {entry.pk} no es la reversa exacta de {entry.reverses_id}")
            )
    if loan_positions:
        rows = (
            Posting.objects.filter(loan_id__in=list(loan_positions))
            .values_list("loan_id", "account__code")
            .annotate(total=_sum_amount())
        )
        ledger: dict[int, dict[str, Decimal]] = defaultdict(dict)
        for loan_id, code, total in rows:
            if total:
                ledger[loan_id][code] = total
        for loan_id, expected in loan_positions.items():
            actual = ledger.get(loan_id, {})
            for code in sorted(set(expected) | set(actual)):
                if expected.get(code, ZERO) != actual.get(code, ZERO):
                    breaches.append(
                        Breach(
                            "loan_position",
                            f"crédito {loan_id}, cuenta {code}: libro {actual.get(code, ZERO)}, "
                            f"cartera {expected.get(code, ZERO)}",
                        )
                    )
    return breaches
