"""What is kept per loan revision: computed once per state of a loan, computed again for a new mark, a new
day or another key, and the loan page kept so shows every change at once."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.urls import reverse

from conftest import to_ready
from filon.core.calendar import today_mx
from filon.demo.scenarios import loan_disburse
from filon.platform.pagecache import CACHE, kept_key, loan_kept
from filon.servicing.models import Loan
from filon.servicing.services import commission_pay, loan_create_from_file


@dataclass(frozen=True)
class Mark:
    pk: int
    revision: int


@pytest.fixture
def clean_cache():
    caches[CACHE].clear()
    yield
    caches[CACHE].clear()


def test_kept_once_per_mark_and_key(clean_cache):
    computed = []

    def compute(value: str):
        def run():
            computed.append(value)
            return value

        return run

    assert loan_kept(Mark(7, 1), "page", compute("a"), "2026-11-13") == "a"
    assert loan_kept(Mark(7, 1), "page", compute("b"), "2026-11-13") == "a"  # kept: not computed again
    assert loan_kept(Mark(7, 2), "page", compute("c"), "2026-11-13") == "c"  # a new mark: a new state
    assert loan_kept(Mark(7, 2), "page", compute("d"), "2026-11-14") == "d"  # another day
    assert loan_kept(Mark(8, 2), "page", compute("e"), "2026-11-14") == "e"  # another loan
    assert loan_kept(Mark(7, 2), "body", compute("f"), "2026-11-14") == "f"  # another piece
    assert computed == ["a", "c", "d", "e", "f"]
    assert kept_key(Mark(7, 2), "page", "x", None) != kept_key(Mark(7, 3), "page", "x", None)


@pytest.mark.django_db
def test_the_kept_loan_page_follows_a_payment_at_once(cast, credit_file, sample_rates, client, clean_cache):
    from filon.servicing.payments import payment_apply

    loan = loan_create_from_file(user=cast.ana, file=to_ready(cast, credit_file))
    commission_pay(user=cast.ana, loan=loan, value_date=today_mx())
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=Decimal("1000000"),
        value_date=today_mx(),
    )
    client.force_login(cast.ana)
    url = reverse("web:loan", args=[loan.pk])
    assert client.get(url).status_code == 200
    kept = len(caches[CACHE]._cache)  # type: ignore[attr-defined]
    assert kept >= 2  # the parts and the body
    again = client.get(url)
    assert len(caches[CACHE]._cache) == kept  # type: ignore[attr-defined]  # the same state: nothing new
    assert "$1,234.56" not in again.content.decode()
    payment_apply(
        user=cast.ana,
        loan=Loan.objects.get(pk=loan.pk),
        amount=Decimal("1234.56"),
        value_date=today_mx(),
        idempotency_key="pago-de-prueba",
    )
    assert "$1,234.56" in client.get(url).content.decode()
