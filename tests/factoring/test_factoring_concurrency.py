"""Simultaneous uploads against one EPO line: the EPO row lock lets exactly as many through as fit."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from factoring_support import TODAY, authorized_epo, frozen_today, supplier

from filon.errors import ValidationFailed
from filon.factoring.models import Epo, FactoringDocument
from filon.factoring.services import document_upload, supplier_adhere

frozen_time = pytest.fixture(autouse=True)(frozen_today)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql  # row locks and concurrent connections; SQLite serializes writers anyway
def test_eight_simultaneous_uploads_never_exceed_the_line(cast, sample_rates):
    assert connection.vendor == "postgresql", "run this test only on the PostgreSQL tier (marker postgresql)"
    epo = authorized_epo(cast)  # line 20,000,000.00
    firm = supplier(cast)
    supplier_adhere(user=cast.ana, epo=epo, supplier=firm, agreement_ref="CA-1", spread=Decimal("0.03"))
    barrier = threading.Barrier(8)
    refused: list[ValidationFailed] = []
    errors: list[BaseException] = []

    def upload(n: int) -> None:
        try:
            barrier.wait()
            document_upload(
                user=cast.ana,
                epo=Epo.objects.get(pk=epo.pk),
                supplier=firm,
                kind="invoice",
                number=f"F-{n}",
                face_value=Decimal("3000000.00"),
                issue_date=TODAY,
                due_date=TODAY + dt.timedelta(days=60),
                uploaded_by="supplier",
            )
        except ValidationFailed as exc:
            refused.append(exc)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert FactoringDocument.objects.filter(epo=epo).count() == 6  # 6 × 3,000,000.00 ≤ 20,000,000.00
    assert len(refused) == 2
    assert all(e.errors[0].field == "face_value" for e in refused)
