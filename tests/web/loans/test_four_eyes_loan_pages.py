"""The loan page's «Autorizaciones pendientes»: captured disbursement orders with «Liberar»/«Cancelar» and
reversal requests with «Aprobar»/«Rechazar», each offered to whoever may take it; the capturer or requester is
told why not, and a refused post says why (`servicing.release`)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import to_ready
from filon.core.calendar import today_mx
from filon.demo.scenarios import loan_disburse
from filon.servicing.duties import FOUR_EYES
from filon.servicing.models import OrderStatus, PaymentStatus, ReversalStatus
from filon.servicing.payments import payment_apply
from filon.servicing.release import disbursement_capture, reversal_request
from filon.servicing.services import commission_pay, loan_create_from_file
from filon.web.forms import new_key
from web.web_support import HTMX, frozen, login

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)


def url(name: str, *args) -> str:
    return reverse(f"web:{name}", args=args)


@pytest.fixture
def loan(cast, credit_file, sample_rates):
    to_ready(cast, credit_file)
    loan = loan_create_from_file(user=cast.ana, file=credit_file)
    return commission_pay(user=cast.ana, loan=loan, value_date=today_mx())


def test_the_capturer_is_told_why_and_another_user_releases_once(cast, loan):
    order = disbursement_capture(user=cast.ana, loan=loan, amount=Decimal("12000000"), value_date=today_mx())
    release = url("loan_order_release", loan.pk, order.pk)

    ana = login(cast.ana)
    page = ana.get(url("loan", loan.pk)).content.decode()
    assert 'id="autorizaciones"' in page
    assert "Usted la capturó: otra persona debe liberarla." in page
    assert release not in page
    refused = ana.post(release, {f"o{order.pk}-key": new_key()})
    assert refused.status_code == 409
    body = refused.content.decode()
    assert "Usted capturó esta orden de ministración: otra persona debe liberarla" in body
    assert FOUR_EYES in body
    assert not loan.disbursements.exists()

    gerardo = login(cast.gerardo)
    page = gerardo.get(url("loan", loan.pk)).content.decode()
    assert release in page
    assert ">Liberar</button>" in page
    key = new_key()
    done = gerardo.post(release, {f"o{order.pk}-key": key}, **HTMX)
    assert done.status_code == 204
    assert done["HX-Redirect"] == url("loan", loan.pk) + "#autorizaciones"
    again = gerardo.post(release, {f"o{order.pk}-key": key})  # a double click: the same form's key
    assert again.status_code == 302
    assert "Esta orden ya estaba liberada; no se duplicó." in gerardo.get(again["Location"]).content.decode()
    assert loan.disbursements.count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.RELEASED
    assert 'id="autorizaciones"' not in gerardo.get(url("loan", loan.pk)).content.decode()  # nothing pending


def test_an_order_is_cancelled_with_a_reason_and_a_keyless_release_is_refused(cast, loan):
    order = disbursement_capture(user=cast.ana, loan=loan, amount=Decimal("1000000"), value_date=today_mx())
    gerardo = login(cast.gerardo)
    keyless = gerardo.post(url("loan_order_release", loan.pk, order.pk), {})
    assert keyless.status_code == 422
    assert "no trae su clave" in keyless.content.decode()
    cancel = url("loan_order_cancel", loan.pk, order.pk)
    no_reason = login(cast.ana).post(cancel, {f"oc{order.pk}-reason": ""})
    assert no_reason.status_code == 422
    done = login(cast.ana).post(cancel, {f"oc{order.pk}-reason": "Importe equivocado"})
    assert done.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "Importe equivocado")
    late = gerardo.post(url("loan_order_release", loan.pk, order.pk), {f"o{order.pk}-key": new_key()})
    assert late.status_code == 409
    assert "ya está cancelada" in late.content.decode()


def test_a_reversal_is_approved_or_rejected_by_another_user(cast, loan):
    loan_disburse(
        loan,
        amount=Decimal("12000000"),
        value_date=today_mx(),
        captured_by=cast.ana,
        released_by=cast.gerardo,
    )
    paid = payment_apply(
        user=cast.ana, loan=loan, amount=Decimal("1000"), value_date=today_mx(), idempotency_key="p1"
    )
    row = reversal_request(user=cast.gerardo, payment=paid, reason="Cheque devuelto")
    approve = url("loan_reversal_approve", loan.pk, row.pk)

    gerardo = login(cast.gerardo)
    page = gerardo.get(url("loan", loan.pk)).content.decode()
    assert "Usted la solicitó: otra persona debe aprobarla." in page
    refused = gerardo.post(approve, {f"r{row.pk}-key": new_key()})
    assert refused.status_code == 409
    assert "Usted solicitó esta reversa: otra persona debe aprobarla" in refused.content.decode()

    ana = login(cast.ana)  # an analyst neither approves nor rejects another's request
    page = ana.get(url("loan", loan.pk)).content.decode()
    assert approve not in page
    assert url("loan_reversal_reject", loan.pk, row.pk) not in page
    assert ana.post(approve, {f"r{row.pk}-key": new_key()}).status_code == 403

    omar = login(cast.omar)  # the Dirección approves
    assert approve in omar.get(url("loan", loan.pk)).content.decode()
    done = omar.post(approve, {f"r{row.pk}-key": new_key()})
    assert done.status_code == 302
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.REVERSED

    second = payment_apply(
        user=cast.ana, loan=loan, amount=Decimal("2000"), value_date=today_mx(), idempotency_key="p2"
    )
    other = reversal_request(user=cast.ana, payment=second, reason="Duplicado")
    rejected = gerardo.post(url("loan_reversal_reject", loan.pk, other.pk), {f"rr{other.pk}-reason": "No"})
    assert rejected.status_code == 302
    other.refresh_from_db()
    assert (other.status, other.rejection_reason) == (ReversalStatus.REJECTED, "No")
    second.refresh_from_db()
    assert second.status == PaymentStatus.APPLIED
