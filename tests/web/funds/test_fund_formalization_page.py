"""The fund page records the date the fund was formalized (P-3 3.19): direction and administration only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from filon.audit.models import AuditRecord
from filon.core.calendar import today_mx
from filon.funds.services import fund_create

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def focir(cast):
    return fund_create(
        user=cast.omar, code="FOCIR", name="Fondo FOCIR", program="cananea", contributor="third_party"
    )


def test_direction_records_the_formalization_from_the_fund_page(cast, focir):
    omar = login(cast.omar)
    page = omar.get(reverse("web:fund", args=[focir.pk])).content.decode()
    assert "sin registrar" in page
    assert "Fecha de formalización del fondo" in page
    response = omar.post(reverse("web:fund_formalize", args=[focir.pk]), {"formalized_on": "2025-01-10"})
    assert response.status_code == 302
    focir.refresh_from_db()
    assert focir.formalized_on == dt.date(2025, 1, 10)
    assert AuditRecord.objects.filter(action="fund.formalize", user=cast.omar).exists()
    assert "10/01/2025" in omar.get(reverse("web:fund", args=[focir.pk])).content.decode()


def test_a_future_date_is_refused_on_the_form(cast, focir):
    future = (today_mx() + dt.timedelta(days=3)).isoformat()
    response = login(cast.omar).post(
        reverse("web:fund_formalize", args=[focir.pk]), {"formalized_on": future}
    )
    assert response.status_code == 400
    assert "no puede ser futura" in response.content.decode()


def test_risk_reads_but_does_not_record(cast, focir):
    ramon = login(cast.ramon)
    assert (
        "Fecha de formalización del fondo"
        not in ramon.get(reverse("web:fund", args=[focir.pk])).content.decode()
    )
    assert (
        ramon.post(
            reverse("web:fund_formalize", args=[focir.pk]), {"formalized_on": "2025-01-10"}
        ).status_code
        == 403
    )
    assert (
        login(cast.ana)
        .post(reverse("web:fund_formalize", args=[focir.pk]), {"formalized_on": "2025-01-10"})
        .status_code
        == 403
    )
