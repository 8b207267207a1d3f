"""Cadenas Productivas: discounting a document and collecting it from the EPO move money once per key, on the
EPO's page (the key minted with the page) and in the services. Time is frozen on Tuesday 03/03/2026."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client

from factoring.factoring_support import TODAY, authorized_epo, frozen_today, supplier
from filon.factoring.models import Discount
from filon.factoring.services import document_discount, document_upload, supplier_adhere
from filon.idempotency.services import IdempotencyConflict, replayed
from filon.ledger.models import JournalEntry
from filon.ledger.services import ledger_check
from filon.servicing.models import Loan, Payment
from filon.servicing.selectors import loan_positions

pytestmark = [pytest.mark.django_db, pytest.mark.security]
frozen_time = pytest.fixture(autouse=True)(frozen_today)


@pytest.fixture
def document(cast, sample_rates):
    epo = authorized_epo(cast)
    firm = supplier(cast)
    supplier_adhere(user=cast.ana, epo=epo, supplier=firm, agreement_ref="CA-1", spread=Decimal("0.03"))
    return document_upload(
        user=cast.ana,
        epo=epo,
        supplier=firm,
        kind="invoice",
        number="F-1",
        face_value=Decimal("250000.00"),
        issue_date=TODAY,
        due_date=TODAY + dt.timedelta(days=60),
        uploaded_by="supplier",
    )


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def books_clean() -> None:
    assert ledger_check(loan_positions=loan_positions()) == []


def test_a_discount_and_a_collection_posted_twice_happen_once(cast, document):
    ana = login(cast.ana)
    page = ana.get(f"/cadenas/{document.epo_id}/").content.decode()
    key = re.search(r'name="descuento-key" value="([0-9a-f]{32})"', page).group(1)
    data = {"descuento-interest_mode": "up_front", "descuento-key": key}
    first = ana.post(f"/cadenas/documentos/{document.pk}/descontar/", data)
    assert first.status_code == 302
    second = ana.post(f"/cadenas/documentos/{document.pk}/descontar/", data)
    assert second.status_code == 302, second.content.decode()[:1500]
    landed = ana.get(second["Location"]).content.decode()
    assert "El documento F-1 ya estaba descontado" in landed
    assert "no se duplicó" in landed
    assert Discount.objects.filter(document=document).count() == 1
    assert JournalEntry.objects.filter(kind="descuento_documento").count() == 1

    page = ana.get(f"/cadenas/{document.epo_id}/").content.decode()
    key = re.search(r'name="cobro-key" value="([0-9a-f]{32})"', page).group(1)
    first = ana.post(f"/cadenas/documentos/{document.pk}/cobrar/", {"cobro-key": key})
    assert first.status_code == 302
    second = ana.post(f"/cadenas/documentos/{document.pk}/cobrar/", {"cobro-key": key})
    assert second.status_code == 302, second.content.decode()[:1500]
    landed = ana.get(second["Location"]).content.decode()
    assert "ya estaba registrado" in landed
    loan = Loan.objects.get(factoring_discount__document=document)
    assert Payment.objects.filter(loan=loan).count() == 1
    assert JournalEntry.objects.filter(loan=loan, kind="pago").count() == 1
    books_clean()


def test_the_discount_service_replays_and_refuses_other_data(cast, document):
    first = document_discount(
        user=cast.ana, document=document, interest_mode="up_front", idempotency_key="d-1"
    )
    again = document_discount(
        user=cast.ana, document=document, interest_mode="up_front", idempotency_key="d-1"
    )
    assert (again.pk, replayed(first), replayed(again)) == (first.pk, False, True)
    with pytest.raises(IdempotencyConflict) as refused:
        document_discount(
            user=cast.ana, document=document, interest_mode="at_maturity", idempotency_key="d-1"
        )
    assert refused.value.status == 409
    assert "difiere en: interest_mode" in refused.value.message
    assert Discount.objects.count() == 1
    assert JournalEntry.objects.filter(kind="descuento_documento").count() == 1
    books_clean()
