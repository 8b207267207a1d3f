"""Reads on loans, scoped to the user's regional office, and the loan's position as the ledger must show it."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet

from filon.accounts.access import scope_to_office
from filon.accounts.models import User
from filon.errors import NotFound
from filon.ledger import chart
from filon.servicing.models import Classification, Loan

ZERO = Decimal(0)


def loan_list_for_user(*, user: User) -> QuerySet[Loan]:
    return scope_to_office(Loan.objects.select_related("applicant", "office"), user)


def loan_get_for_user(*, user: User, loan_id: int) -> Loan:
    """Another office's loan does not exist for a regional user (404, not 403)."""
    found = loan_list_for_user(user=user).filter(pk=loan_id).first()
    if found is None:
        raise NotFound("No existe el crédito.")
    return found


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
