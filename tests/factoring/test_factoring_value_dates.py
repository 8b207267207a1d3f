"""Cadenas Productivas follow the ledger's one value-date rule (`ledger.services.value_date_check`): a
discount, a collection and the platform fee may be dated after the last closed day and not after today, and
are refused otherwise with the rule's message. Time is frozen on Tuesday 03/03/2026."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from factoring_support import TODAY, authorized_epo, frozen_today, supplier

from filon.errors import ValidationFailed
from filon.factoring.models import Discount, DocumentStatus, InterestMode
from filon.factoring.services import (
    document_collect,
    document_discount,
    document_upload,
    platform_fee_charge,
    supplier_adhere,
)
from filon.ledger.models import JournalEntry
from filon.servicing.close import close_day

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen_today)

TOMORROW = TODAY + dt.timedelta(days=1)
CLOSED = dt.date(2026, 3, 2)


@pytest.fixture
def epo(cast, sample_rates):
    return authorized_epo(cast)


@pytest.fixture
def document(cast, epo):
    firm = supplier(cast)
    supplier_adhere(
        user=cast.ana, epo=epo, supplier=firm, agreement_ref="CA-2026-009", spread=Decimal("0.03")
    )
    return document_upload(
        user=cast.ana,
        epo=epo,
        supplier=firm,
        kind="invoice",
        number="F-9001",
        face_value=Decimal("500000.00"),
        issue_date=TODAY - dt.timedelta(days=5),
        due_date=TODAY + dt.timedelta(days=60),
        uploaded_by="supplier",
    )


def refusal(excinfo: pytest.ExceptionInfo[ValidationFailed]) -> tuple[str, str | None]:
    (error,) = excinfo.value.errors
    return error.message, error.field


def test_a_discount_dated_after_today_is_refused_with_the_rule(cast, document):
    with pytest.raises(ValidationFailed) as refused:
        document_discount(
            user=cast.ana, document=document, interest_mode=InterestMode.UP_FRONT, value_date=TOMORROW
        )
    assert refusal(refused) == (
        "La fecha valor 04/03/2026 no se admite: no puede ser posterior a hoy (03/03/2026).",
        "value_date",
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.UPLOADED
    assert not Discount.objects.exists()


def test_a_discount_dated_on_a_closed_day_is_refused_with_the_rule(cast, document):
    close_day(business_date=CLOSED)
    with pytest.raises(ValidationFailed) as refused:
        document_discount(
            user=cast.ana, document=document, interest_mode=InterestMode.UP_FRONT, value_date=CLOSED
        )
    assert refusal(refused) == (
        "La fecha valor 02/03/2026 no se admite: debe ser posterior al último cierre (02/03/2026) y no "
        "posterior a hoy (03/03/2026).",
        "value_date",
    )
    discount = document_discount(user=cast.ana, document=document, interest_mode=InterestMode.UP_FRONT)
    assert discount.disbursed_on == TODAY  # today, after the last close, is admitted


def test_a_collection_outside_the_open_days_is_refused_with_the_rule(cast, document):
    close_day(business_date=CLOSED)
    document_discount(user=cast.ana, document=document, interest_mode=InterestMode.AT_MATURITY)
    with pytest.raises(ValidationFailed) as future:
        document_collect(user=cast.ana, document=document, value_date=TOMORROW, amount=Decimal("1000.00"))
    assert refusal(future) == (
        "La fecha valor 04/03/2026 no se admite: debe ser posterior al último cierre (02/03/2026) y no "
        "posterior a hoy (03/03/2026).",
        "value_date",
    )
    with pytest.raises(ValidationFailed) as closed:
        document_collect(
            user=cast.ana, document=document, value_date=TODAY - dt.timedelta(days=1), amount=Decimal("1.00")
        )
    assert refusal(closed) == (
        "La fecha valor 02/03/2026 no se admite: debe ser posterior al último cierre (02/03/2026) y no "
        "posterior a hoy (03/03/2026).",
        "value_date",
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.DISCOUNTED
    assert not document.discount.loan.payments.exists()


def test_a_platform_fee_dated_after_today_is_refused_with_the_rule(cast, epo):
    before = JournalEntry.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        platform_fee_charge(user=cast.ana, epo=epo, month=dt.date(2026, 2, 1), value_date=TOMORROW)
    assert refusal(refused) == (
        "La fecha valor 04/03/2026 no se admite: no puede ser posterior a hoy (03/03/2026).",
        "value_date",
    )
    assert JournalEntry.objects.count() == before
