"""Checks the apps above servicing add to its money movements, registered from their `AppConfig.ready()`.

Servicing sits below the guarantee funds, yet a disbursement must ask whether the program's funds still
cover its credits (R-2.6, P-2 2.4), and a payment reversal whether a fund made the payment. The funds app
registers those questions here; servicing asks them without importing the app that answers.

Each check returns the refusal (a `DomainError`, raised by the caller) or None. They run in registration
order and the first refusal wins; a name registers once (a second registration replaces the first).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Protocol

from filon.errors import DomainError
from filon.servicing.models import Loan, Payment


class DisbursementCheck(Protocol):
    def __call__(self, *, loan: Loan, amount: Decimal) -> DomainError | None: ...


class ReversalCheck(Protocol):
    def __call__(self, *, payment: Payment) -> DomainError | None: ...


_disbursement: dict[str, DisbursementCheck] = {}
_reversal: dict[str, ReversalCheck] = {}


def disbursement_check_register(name: str, check: DisbursementCheck) -> None:
    """Ask `check` before money leaves for a loan (a ministración, a drawdown, a discounted document)."""
    _disbursement[name] = check


def reversal_check_register(name: str, check: ReversalCheck) -> None:
    """Ask `check` before a payment is reversed."""
    _reversal[name] = check


def disbursement_checks() -> Mapping[str, DisbursementCheck]:
    return dict(_disbursement)


def reversal_checks() -> Mapping[str, ReversalCheck]:
    return dict(_reversal)


def disbursement_refusal(*, loan: Loan, amount: Decimal) -> DomainError | None:
    """The first registered refusal of `amount` leaving for `loan`, or None."""
    for check in _disbursement.values():
        refusal = check(loan=loan, amount=amount)
        if refusal is not None:
            return refusal
    return None


def reversal_refusal(*, payment: Payment) -> DomainError | None:
    """The first registered refusal of reversing `payment`, or None."""
    for check in _reversal.values():
        refusal = check(payment=payment)
        if refusal is not None:
            return refusal
    return None
