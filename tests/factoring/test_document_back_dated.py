"""A document recorded after the fact (`document_upload(uploaded_on=...)`, as the demo portfolio does): its
terms count from the day it was published, never a day in the future nor before the EPO's admission."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from factoring_support import TODAY, authorized_epo, frozen_today, supplier, travel

from filon.errors import ValidationFailed
from filon.factoring.models import DocumentStatus
from filon.factoring.services import document_upload, supplier_adhere

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen_today)

ADMITTED = dt.date(2026, 2, 10)


@pytest.fixture
def chain(cast, sample_rates):
    with travel(ADMITTED):
        epo = authorized_epo(cast)
        firm = supplier(cast)
        supplier_adhere(user=cast.ana, epo=epo, supplier=firm, agreement_ref="CA-1", spread=Decimal("0.03"))
    return epo, firm


def _upload(cast, epo, firm, *, on, days, number="F-1"):
    return document_upload(
        user=cast.ana,
        epo=epo,
        supplier=firm,
        kind="invoice",
        number=number,
        face_value=Decimal("100000.00"),
        issue_date=on - dt.timedelta(days=3),
        due_date=on + dt.timedelta(days=days),
        uploaded_by="supplier",
        uploaded_on=on,
    )


def test_the_terms_count_from_the_day_it_was_published(cast, chain):
    epo, firm = chain
    on = ADMITTED + dt.timedelta(days=1)
    document = _upload(cast, epo, firm, on=on, days=180)
    assert (document.uploaded_on, document.status) == (on, DocumentStatus.UPLOADED)
    with pytest.raises(ValidationFailed) as late:
        _upload(cast, epo, firm, on=on, days=181, number="F-2")
    assert "a 181 días" in late.value.errors[0].message
    with pytest.raises(ValidationFailed):  # due the day it was published
        _upload(cast, epo, firm, on=on, days=0, number="F-3")
    # published on 11/02 and due on 26/02, already matured today: recorded after the fact
    assert _upload(cast, epo, firm, on=on, days=15, number="F-4").due_date < TODAY


def test_not_in_the_future_nor_before_the_admission(cast, chain):
    epo, firm = chain
    for on, words in (
        (TODAY + dt.timedelta(days=1), "no puede ser futura"),
        (ADMITTED - dt.timedelta(days=1), "anterior a la admisión"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            _upload(cast, epo, firm, on=on, days=30)
        assert refused.value.errors[0].field == "uploaded_on"
        assert words in refused.value.errors[0].message
