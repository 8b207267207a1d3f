"""Twenty clients at once on every money-moving endpoint, on PostgreSQL: with one key exactly one 201 and
nineteen 200 and one ledger entry (the replay is decided under the loan's lock); with twenty keys as many
operations as the limits allow and the others refused. The books check clean afterwards (`filon ledger
check`)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from money_support import (
    TODAY,
    api_post,
    books_clean,
    commissioned_loan,
    disbursed_loan,
    frozen_today,
    pending_loan,
    together,
    token_for,
)

from filon.errors import TransitionRefused
from filon.factoring.models import Discount
from filon.funds.models import FundMovement, GuaranteeFund
from filon.funds.services import fund_contribute, fund_create
from filon.ledger.models import JournalEntry
from filon.servicing.models import (
    Disbursement,
    DisbursementOrder,
    OrderStatus,
    Payment,
    PaymentStatus,
    ReversalRequest,
)
from filon.servicing.payments import payment_apply

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgresql,  # row locks and concurrent connections; SQLite serializes writers anyway
    pytest.mark.security,
]
frozen_time = pytest.fixture(autouse=True)(frozen_today)
CLIENTS = 20


@pytest.fixture(autouse=True)
def on_postgresql():
    assert connection.vendor == "postgresql", (
        "run these tests only on the PostgreSQL tier (marker postgresql)"
    )


def statuses(token: str, path: str, bodies: list[dict], keys: list[str]) -> tuple[Counter, list]:
    """POST the bodies with the keys from as many clients at once; the statuses and the answers."""
    results, errors = together(
        [lambda b=b, k=k: api_post(token, path, b, k) for b, k in zip(bodies, keys, strict=True)]
    )
    assert errors == []
    return Counter(r.status_code for r in results), results


def one_key(token: str, path: str, body: dict) -> list:
    counted, results = statuses(token, path, [body] * CLIENTS, ["la-misma-clave"] * CLIENTS)
    assert counted == {201: 1, 200: CLIENTS - 1}, counted
    assert len({r.content for r in results}) == 1  # every replay answers the first result
    return results


def many_keys(token: str, path: str, body: dict) -> Counter:
    counted, _ = statuses(token, path, [body] * CLIENTS, [f"clave-{n}" for n in range(CLIENTS)])
    return counted


def test_payments(cast, applicant, sample_rates):
    loan = disbursed_loan(cast, applicant)
    token = token_for(cast.ana)
    path, body = f"/loans/{loan.pk}/payments", {"amount": "1000.00", "value_date": str(TODAY)}
    one_key(token, path, body)
    assert JournalEntry.objects.filter(loan=loan, kind="pago").count() == 1
    assert many_keys(token, path, body) == {201: CLIENTS}
    assert Payment.objects.filter(loan=loan).count() == CLIENTS + 1
    assert JournalEntry.objects.filter(loan=loan, kind="pago").count() == CLIENTS + 1
    books_clean()


def _release_each(token: str, loan, orders) -> Counter:
    """Release every order at once, each by its own request and key."""
    results, errors = together(
        [
            lambda o=o: api_post(
                token, f"/loans/{loan.pk}/disbursement-orders/{o.pk}/release", {}, f"l-{o.pk}"
            )
            for o in orders
        ]
    )
    assert errors == []
    return Counter(r.status_code for r in results)


def test_disbursements(cast, applicant, sample_rates):
    loan = commissioned_loan(cast, applicant)  # 12,000,000.00 contracted
    ana, gerardo = token_for(cast.ana), token_for(cast.gerardo)
    path, body = f"/loans/{loan.pk}/disbursements", {"amount": "1000000.00", "value_date": str(TODAY)}
    order = one_key(ana, path, body)[0].json()["id"]
    assert JournalEntry.objects.filter(loan=loan, kind="ministracion").count() == 0  # captured only
    release = f"/loans/{loan.pk}/disbursement-orders/{order}/release"
    one_key(gerardo, release, {})
    assert JournalEntry.objects.filter(loan=loan, kind="ministracion").count() == 1
    assert many_keys(gerardo, release, {}) == {409: CLIENTS}  # released already, whatever the key
    # Twenty orders captured (each fits on its own); released at once, eleven fit (11,000,000.00 left) and
    # the others are refused naming the amount.
    assert many_keys(ana, path, body) == {201: CLIENTS}
    orders = DisbursementOrder.objects.filter(loan=loan, status=OrderStatus.CAPTURED)
    assert _release_each(gerardo, loan, orders) == {201: 11, 422: 9}
    assert Disbursement.objects.filter(loan=loan).count() == 12
    assert JournalEntry.objects.filter(loan=loan, kind="ministracion").count() == 12
    loan.refresh_from_db()
    assert loan.principal_balance == Decimal("12000000.00")
    books_clean()


def test_drawdowns_of_a_revolving_line(cast, applicant, sample_rates):
    line = commissioned_loan(cast, applicant, revolving=True)  # 5,000,000.00
    ana, gerardo = token_for(cast.ana), token_for(cast.gerardo)
    path = f"/loans/{line.pk}/disbursements"
    order = one_key(ana, path, {"amount": "1000000.00", "value_date": str(TODAY), "drawdown_days": 90})
    one_key(gerardo, f"/loans/{line.pk}/disbursement-orders/{order[0].json()['id']}/release", {})
    assert JournalEntry.objects.filter(loan=line, kind="disposicion").count() == 1
    # 4,000,000.00 available: thirteen drawdowns of 300,000.00 fit
    body = {"amount": "300000.00", "value_date": str(TODAY), "drawdown_days": 60}
    assert many_keys(ana, path, body) == {201: CLIENTS}
    orders = DisbursementOrder.objects.filter(loan=line, status=OrderStatus.CAPTURED)
    assert _release_each(gerardo, line, orders) == {201: 13, 422: 7}
    assert Disbursement.objects.filter(loan=line).count() == 14
    line.refresh_from_db()
    assert line.principal_balance == Decimal("4900000.00")
    books_clean()


def test_the_opening_commission(cast, applicant, sample_rates):
    loan = pending_loan(cast, applicant)
    token = token_for(cast.ana)
    path, body = f"/loans/{loan.pk}/commission", {"value_date": str(TODAY)}
    one_key(token, path, body)
    assert many_keys(token, path, body) == {409: CLIENTS}  # paid already: refused, whatever the key
    assert JournalEntry.objects.filter(loan=loan, kind="comision_apertura").count() == 1
    books_clean()


def test_reversals(cast, applicant, sample_rates):
    loan = disbursed_loan(cast, applicant)
    ana, gerardo = token_for(cast.ana), token_for(cast.gerardo)
    first = payment_apply(
        user=cast.ana, loan=loan, amount=Decimal("1000.00"), value_date=TODAY, idempotency_key="p-1"
    )
    path, body = f"/loans/{loan.pk}/payments/{first.pk}/reversal", {"reason": "Cheque devuelto"}
    entries = JournalEntry.objects.count()
    asked = one_key(ana, path, body)[0].json()["id"]
    assert JournalEntry.objects.count() == entries  # requested only
    one_key(gerardo, f"/loans/{loan.pk}/reversal-requests/{asked}/approve", {})
    assert JournalEntry.objects.count() == entries + 1
    second = payment_apply(
        user=cast.ana, loan=loan, amount=Decimal("2000.00"), value_date=TODAY, idempotency_key="p-2"
    )
    path = f"/loans/{loan.pk}/payments/{second.pk}/reversal"
    assert many_keys(ana, path, body) == {201: 1, 409: CLIENTS - 1}  # one pending request, then refused
    asked = ReversalRequest.objects.get(payment=second)
    approve = f"/loans/{loan.pk}/reversal-requests/{asked.pk}/approve"
    assert many_keys(gerardo, approve, {}) == {201: 1, 409: CLIENTS - 1}  # approved once, then refused
    assert Payment.objects.filter(loan=loan, status=PaymentStatus.REVERSED).count() == 2
    books_clean()


def test_factoring_discounts(cast, sample_rates):
    import datetime as dt

    from factoring.factoring_support import authorized_epo, supplier
    from filon.factoring.services import document_discount, document_upload, supplier_adhere
    from filon.idempotency.services import replayed

    epo = authorized_epo(cast)
    firm = supplier(cast)
    supplier_adhere(user=cast.ana, epo=epo, supplier=firm, agreement_ref="CA-1", spread=Decimal("0.03"))
    documents = [
        document_upload(
            user=cast.ana,
            epo=epo,
            supplier=firm,
            kind="invoice",
            number=f"F-{n}",
            face_value=Decimal("250000.00"),
            issue_date=TODAY,
            due_date=TODAY + dt.timedelta(days=60),
            uploaded_by="supplier",
        )
        for n in (1, 2)
    ]

    def discount(document, key):
        return document_discount(
            user=cast.ana, document=document, interest_mode="up_front", idempotency_key=key
        )

    results, errors = together([lambda: discount(documents[0], "la-misma")] * CLIENTS)
    assert errors == []
    assert sorted(replayed(r) for r in results) == [False] + [True] * (CLIENTS - 1)
    assert len({r.pk for r in results}) == 1
    results, errors = together([lambda n=n: discount(documents[1], f"clave-{n}") for n in range(CLIENTS)])
    assert len(results) == 1
    assert len(errors) == CLIENTS - 1
    assert all(isinstance(e, TransitionRefused) for e in errors)
    assert Discount.objects.count() == 2
    assert JournalEntry.objects.filter(kind="descuento_documento").count() == 2
    books_clean()


def test_fund_contributions(cast, sample_rates):
    from filon.idempotency.services import replayed

    fund = fund_create(
        user=cast.omar, code="FOCIR", name="FOCIR", program="cananea", contributor="third_party"
    )

    def contribute(key):
        return fund_contribute(
            user=cast.omar,
            fund=GuaranteeFund.objects.get(pk=fund.pk),
            amount=Decimal("1000.00"),
            on=TODAY,
            idempotency_key=key,
        )

    results, errors = together([lambda: contribute("la-misma")] * CLIENTS)
    assert errors == []
    assert sorted(replayed(r) for r in results) == [False] + [True] * (CLIENTS - 1)
    results, errors = together([lambda n=n: contribute(f"clave-{n}") for n in range(CLIENTS)])
    assert errors == []
    assert FundMovement.objects.filter(fund=fund).count() == CLIENTS + 1
    assert JournalEntry.objects.filter(kind="fondo_aportacion").count() == CLIENTS + 1
    books_clean()
