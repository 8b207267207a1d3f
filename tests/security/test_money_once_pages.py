"""Every page form that moves money carries a key minted when it is shown: posting the same form twice
(double click, back and resubmit) moves the money once and lands the user on the same outcome, told it was
already registered. The loan page (commission, the capture and release of a disbursement or drawdown,
payment, the request and approval of a reversal) and a guarantee
fund's page (contribution, interest)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from money_support import (
    DISBURSED,
    TODAY,
    books_clean,
    commissioned_loan,
    disbursed_loan,
    frozen_today,
    pending_loan,
)

from filon.funds.models import FundMovement
from filon.funds.services import fund_create
from filon.ledger.models import JournalEntry
from filon.servicing.models import (
    Disbursement,
    DisbursementOrder,
    Payment,
    PaymentStatus,
    ReversalRequest,
)
from filon.servicing.payments import payment_apply

pytestmark = [pytest.mark.django_db, pytest.mark.security]
frozen_time = pytest.fixture(autouse=True)(frozen_today)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def key_on(page: str, prefix: str) -> str:
    """The key the form with `prefix` carries on the page."""
    found = re.search(rf'name="{prefix}-key" value="([0-9a-f]{{32}})"', page)
    assert found, f"the form «{prefix}» carries no key"
    return found.group(1)


def post_twice(client: Client, path: str, data: dict[str, str]) -> tuple[str, str]:
    """Post the same form twice, following each redirect: the two pages the user lands on."""
    first = client.post(path, data)
    assert first.status_code == 302, first.content.decode()[:2000]
    landed = client.get(first["Location"]).content.decode()
    second = client.post(path, data)
    assert second.status_code == 302, second.content.decode()[:2000]
    assert second["Location"] == first["Location"]
    return landed, client.get(second["Location"]).content.decode()


def counts(loan) -> tuple[int, int, int, int]:
    return (
        JournalEntry.objects.count(),
        Disbursement.objects.filter(loan=loan).count(),
        Payment.objects.filter(loan=loan).count(),
        Payment.objects.filter(loan=loan, status=PaymentStatus.REVERSED).count(),
    )


def test_commission_posted_twice_is_paid_once(cast, applicant, sample_rates):
    loan = pending_loan(cast, applicant)
    ana = login(cast.ana)
    key = key_on(ana.get(f"/creditos/{loan.pk}/").content.decode(), "comision")
    entries = JournalEntry.objects.count()
    first, second = post_twice(
        ana, f"/creditos/{loan.pk}/comision/", {"comision-value_date": str(DISBURSED), "comision-key": key}
    )
    assert "Se registró el pago de la comisión por apertura." in first
    assert "Este pago de la comisión ya estaba registrado; no se duplicó." in second
    assert JournalEntry.objects.filter(loan=loan, kind="comision_apertura").count() == 1
    assert JournalEntry.objects.count() == entries + 1
    books_clean()


@pytest.mark.parametrize("revolving", [False, True])
def test_a_disbursement_or_drawdown_posted_twice_is_paid_out_once(revolving, cast, applicant, sample_rates):
    """Four eyes: the analyst's capture posted twice makes one order; the manager's release posted twice
    pays it out once."""
    loan = commissioned_loan(cast, applicant, revolving=revolving)
    ana = login(cast.ana)
    key = key_on(ana.get(f"/creditos/{loan.pk}/").content.decode(), "ministracion")
    data = {
        "ministracion-amount": "1000000.00",
        "ministracion-value_date": str(TODAY),
        "ministracion-key": key,
    }
    if revolving:
        data["ministracion-drawdown_days"] = "90"
    first, second = post_twice(ana, f"/creditos/{loan.pk}/ministraciones/", data)
    what = "la disposición" if revolving else "la ministración"
    assert f"Se capturó la orden de {what} con fecha valor 15/07/2026" in first
    assert f"Esta orden ya estaba capturada ({what} con fecha valor 15/07/2026); no se duplicó." in second
    order = DisbursementOrder.objects.get(loan=loan)
    assert not Disbursement.objects.filter(loan=loan).exists()  # nothing paid out before the release

    gerardo = login(cast.gerardo)
    release_key = key_on(gerardo.get(f"/creditos/{loan.pk}/").content.decode(), f"o{order.pk}")
    first, second = post_twice(
        gerardo, f"/creditos/{loan.pk}/ordenes/{order.pk}/liberar/", {f"o{order.pk}-key": release_key}
    )
    assert "Se liberó la orden de ministración de $1,000,000.00 con fecha valor 15/07/2026." in first
    assert "Esta orden ya estaba liberada; no se duplicó." in second
    assert Disbursement.objects.filter(loan=loan).count() == 1
    assert (
        JournalEntry.objects.filter(loan=loan, kind="disposicion" if revolving else "ministracion").count()
        == 1
    )
    loan.refresh_from_db()
    assert loan.principal_balance == Decimal("1000000.00")
    # the capture form with another amount under its key is refused and moves nothing
    refused = ana.post(f"/creditos/{loan.pk}/ministraciones/", {**data, "ministracion-amount": "5.00"})
    assert refused.status_code == 409
    assert "ya se usó" in refused.content.decode()
    assert DisbursementOrder.objects.filter(loan=loan).count() == 1
    assert Disbursement.objects.filter(loan=loan).count() == 1
    books_clean()


def test_a_payment_and_its_reversal_posted_twice_happen_once(cast, applicant, sample_rates):
    loan = disbursed_loan(cast, applicant)
    ana = login(cast.ana)
    key = key_on(ana.get(f"/creditos/{loan.pk}/").content.decode(), "pago")
    data = {"pago-amount": "1000.00", "pago-value_date": str(TODAY), "pago-key": key}
    first, second = post_twice(ana, f"/creditos/{loan.pk}/pagos/", data)
    assert "Se registró el pago con fecha valor 15/07/2026." in first
    assert "Este pago ya estaba registrado (fecha valor 15/07/2026); no se duplicó." in second
    assert counts(loan)[2:] == (1, 0)
    payment = Payment.objects.get(loan=loan)

    # the analyst asks for the reversal twice: one request; the manager approves it twice: one reversal
    key = key_on(first, "reversa")
    done = counts(loan)
    data = {"reversa-reason": "Cheque devuelto por el banco", "reversa-key": key}
    first, second = post_twice(ana, f"/creditos/{loan.pk}/pagos/{payment.pk}/reversa/", data)
    assert "Se solicitó la reversa del pago del 15/07/2026" in first
    assert "La solicitud de reversa del pago del 15/07/2026 ya estaba registrada; no se duplicó." in second
    assert counts(loan) == done  # nothing posted yet
    request = ReversalRequest.objects.get(payment=payment)
    gerardo = login(cast.gerardo)
    approve_key = key_on(gerardo.get(f"/creditos/{loan.pk}/").content.decode(), f"r{request.pk}")
    first, second = post_twice(
        gerardo, f"/creditos/{loan.pk}/reversas/{request.pk}/aprobar/", {f"r{request.pk}-key": approve_key}
    )
    assert "Se aprobó y registró la reversa del pago del 15/07/2026." in first
    assert "Esta reversa ya estaba aprobada; no se duplicó." in second
    assert counts(loan)[2:] == (1, 1)
    assert counts(loan)[0] == done[0] + 1  # one reversing entry
    books_clean()


def test_a_form_without_its_key_moves_nothing(cast, applicant, sample_rates):
    loan = commissioned_loan(cast, applicant)
    response = login(cast.ana).post(
        f"/creditos/{loan.pk}/ministraciones/",
        {"ministracion-amount": "1000000.00", "ministracion-value_date": str(TODAY)},
    )
    assert response.status_code == 422
    assert "El formulario no trae su clave" in response.content.decode()
    assert not Disbursement.objects.filter(loan=loan).exists()


def test_two_forms_of_one_page_share_its_key_without_clashing(cast, applicant, sample_rates):
    """The kept loan page mints one key per rendering for all its forms: each operation keeps its own."""
    loan = disbursed_loan(cast, applicant)
    payment_apply(user=cast.ana, loan=loan, amount=Decimal("1000.00"), value_date=TODAY, idempotency_key="x")
    ana = login(cast.ana)
    page = ana.get(f"/creditos/{loan.pk}/").content.decode()
    key = key_on(page, "pago")
    assert key_on(page, "reversa") == key
    assert key_on(ana.get(f"/creditos/{loan.pk}/").content.decode(), "pago") != key  # fresh per rendering
    paid = ana.post(
        f"/creditos/{loan.pk}/pagos/",
        {"pago-amount": "500.00", "pago-value_date": str(TODAY), "pago-key": key},
    )
    assert paid.status_code == 302
    latest = Payment.objects.filter(loan=loan).latest("id")
    requested = ana.post(
        f"/creditos/{loan.pk}/pagos/{latest.pk}/reversa/",
        {"reversa-reason": "Error de captura", "reversa-key": key},
    )
    assert requested.status_code == 302
    assert ReversalRequest.objects.filter(payment=latest).count() == 1  # its own operation, not the payment's
    assert counts(loan)[2:] == (2, 0)
    books_clean()


@pytest.mark.parametrize(
    ("kind", "entry_kind"), [("contribution", "fondo_aportacion"), ("interest", "fondo_rendimiento")]
)
def test_a_fund_movement_posted_twice_is_recorded_once(kind, entry_kind, cast):
    fund = fund_create(
        user=cast.omar, code="FOCIR", name="FOCIR", program="cananea", contributor="third_party"
    )
    omar = login(cast.omar)
    page = omar.get(f"/fondos/{fund.pk}/").content.decode()
    found = re.search(r'name="key" value="([0-9a-f]{32})"', page)
    assert found, "the fund's form carries no key"
    key = found.group(1)
    data = {"kind": kind, "amount": "500000.00", "on": str(TODAY), "description": "", "key": key}
    first, second = post_twice(omar, f"/fondos/{fund.pk}/", data)
    assert "quedó registrad" in first
    assert "ya estaba registrad" in second
    assert "no se duplicó" in second
    assert FundMovement.objects.filter(fund=fund, kind=kind).count() == 1
    assert JournalEntry.objects.filter(kind=entry_kind).count() == 1
    books_clean()
