"""Set-based writes and reads of many rows (`filon.platform.bulk`), on whichever database the tier runs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from filon.centavos import NotCentavos
from filon.marketdata.models import Observation, Series
from filon.platform.bulk import pipeline, rows_insert, rows_read, rows_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def series():
    return Series.objects.create(code="PRUEBA", name='Serie "de prueba", con comas {y llaves}', unit="tasa")


def test_insert_then_update_then_read(series):
    days = [date(2026, 1, d) for d in (5, 6, 7)]
    now = timezone.now()
    rows_insert(
        Observation,
        ("series_id", "date", "value", "source", "imported_by", "updated_at"),
        [
            (series.pk, day, Decimal("0.1050") + n * Decimal("0.0001"), "csv", "", now)
            for n, day in enumerate(days)
        ],
    ).run()
    stored = list(Observation.objects.filter(series=series).order_by("date"))
    assert [(o.date, o.value, o.source, o.updated_at) for o in stored] == [
        (date(2026, 1, 5), Decimal("0.105"), "csv", now),
        (date(2026, 1, 6), Decimal("0.1051"), "csv", now),
        (date(2026, 1, 7), Decimal("0.1052"), "csv", now),
    ]
    first, middle, last = stored
    quoted = 'ana "la analista", {Zacatecas} \\ NULL'
    rows_update(
        Observation,
        ("value", "imported_by"),
        [(Decimal("0.2"), quoted, first.pk), (Decimal("0.0000000001"), "None", last.pk)],
    ).run()
    values = rows_read(
        Observation.objects.filter(series=series).order_by("date"), ("pk", "value", "imported_by")
    )
    assert values == [
        (first.pk, Decimal("0.2"), quoted),
        (middle.pk, Decimal("0.1051"), ""),
        (last.pk, Decimal("1E-10"), "None"),
    ]


def test_money_goes_in_and_comes_out_as_exact_centavos(cast, applicant):
    from filon.servicing.models import Loan

    loans = [
        Loan.objects.create(
            number=f"CR-BULK-{n}",
            applicant=applicant,
            office=cast.zac,
            program="primer_piso",
            credit_type="habilitacion_avio",
            currency="MXN",
            ruleset_version="RO-2010-1160",
            contracted_amount=Decimal("1000000.00"),
            contract_date=date(2026, 1, 15),
            fixed_rate=Decimal("0.12"),
            moratorium_factor=Decimal("1.5"),
            term_months=12,
            created_by=cast.ana,
        )
        for n in range(3)
    ]
    big = Decimal("99999999999999.99")
    with transaction.atomic(), pipeline():
        rows_update(
            Loan,
            ("accrued_interest", "principal_balance", "days_past_due", "fixed_rate"),
            [
                (Decimal("0.01"), big, 7, None, loans[0].pk),
                (Decimal("1234.56"), Decimal("0"), 0, Decimal("0.145"), loans[2].pk),
            ],
        ).run()
    read = rows_read(
        Loan.objects.filter(number__startswith="CR-BULK-").order_by("pk"),
        ("pk", "accrued_interest", "principal_balance", "days_past_due", "fixed_rate"),
    )
    assert read == [
        (loans[0].pk, Decimal("0.01"), big, 7, None),
        (loans[1].pk, Decimal("0"), Decimal("0"), 0, Decimal("0.12")),
        (loans[2].pk, Decimal("1234.56"), Decimal("0"), 0, Decimal("0.145")),
    ]
    assert Loan.objects.get(pk=loans[0].pk).principal_balance == big
    with pytest.raises(NotCentavos):  # a fraction of a centavo is refused, never rounded
        rows_update(Loan, ("accrued_interest",), [(Decimal("0.005"), loans[1].pk)])
    assert Loan.objects.get(pk=loans[1].pk).accrued_interest == Decimal("0")


def test_no_rows_is_no_statement(django_assert_num_queries):
    from filon.servicing.models import Loan

    with django_assert_num_queries(0):
        rows_update(Loan, ("days_past_due",), []).run()
        rows_insert(Observation, ("series_id", "date", "value"), []).run()
