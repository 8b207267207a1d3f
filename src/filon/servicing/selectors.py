"""Reads on loans, scoped to the user's regional office, and the loan's position as the ledger must show it."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from django.core.cache import caches
from django.db.models import QuerySet

from filon.accounts.access import scope_to_office
from filon.accounts.models import User
from filon.errors import NotFound
from filon.ledger import chart
from filon.servicing.models import Classification, Loan

ZERO = Decimal(0)
T = TypeVar("T")


def loan_list_for_user(*, user: User) -> QuerySet[Loan]:
    return scope_to_office(Loan.objects.select_related("applicant", "office"), user)


def loan_get_for_user(*, user: User, loan_id: int) -> Loan:
    """Another office's loan does not exist for a regional user (404, not 403)."""
    found = list(loan_list_for_user(user=user).filter(pk=loan_id).order_by()[:1])  # no ordering to compile
    if not found:
        raise NotFound("No existe el crédito.")
    return found[0]


def loan_position(loan: Loan) -> dict[str, Decimal]:
    """The servicing position as ledger balances per account (debit positive), for `ledger check`."""
    vencida = loan.classification == Classification.VENCIDA
    position = {
        chart.CARTERA_VENCIDA if vencida else chart.CARTERA_VIGENTE: loan.principal_balance,
        chart.INTERESES_VENCIDOS if vencida else chart.INTERESES_DEVENGADOS: loan.accrued_interest,
        chart.INTERESES_MORATORIOS: loan.accrued_moratorium,
        chart.PAGOS_POR_APLICAR: -loan.unapplied_balance,
    }
    return {code: amount for code, amount in position.items() if amount}


def loan_positions(loan_ids: list[int] | None = None) -> dict[int, dict[str, Decimal]]:
    qs = Loan.objects.all() if loan_ids is None else Loan.objects.filter(pk__in=loan_ids)
    return {loan.pk: loan_position(loan) for loan in qs.iterator(chunk_size=2000)}


# Bump when what is kept (or how it is computed) changes shape, so that a shared cache holds no old entry.
KEPT_FORMAT = 1


def loan_kept(loan: Loan, name: str, compute: Callable[[], T], *key: object) -> T:
    """What `compute` returns for this state of `loan`, kept (cache "pages") under the loan's revision mark,
    `name` and `key` (the day, a period…). Every write to the loan, its journal entries, its schedule, its
    daily close or its obligations gives the loan a new mark in the same transaction (`Loan.revision`), so an
    entry is never stale: a change makes a new key. The caller read the loan row first, so what is computed
    under a mark is never older than the mark. What comes from other rows (the applicant's name, the
    office's) is for the caller to take from its fresh loan."""
    parts = ":".join(str(part) for part in key)
    cache_key = f"loan:{KEPT_FORMAT}:{name}:{loan.pk}:{loan.revision}:{parts}"
    store = caches["pages"]
    found: T | None = store.get(cache_key)
    if found is None:
        found = compute()
        store.set(cache_key, found)
    return found
