"""Loan pages: a loan opened from a ready file through the page, its commission, disbursements, payments
(one per form, whatever the clicks), reversal and obligations through HTMX and plain posts; refusals with
their rule and a 4xx; another office's loan does not exist; central roles see but do not post; the loan page
reads a fixed number of queries for a ten-year loan with ten years of daily closes."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import proposal_data, to_ready
from filon.core.calendar import today_mx
from filon.core.money import format_money
from filon.demo.scenarios import loan_disburse
from filon.ledger import chart
from filon.ledger.models import JournalEntry, Posting
from filon.ledger.services import account_ids, ledger_check, loan_balances
from filon.servicing.models import (
    DailyClose,
    DisbursementOrder,
    Installment,
    InstallmentStatus,
    Loan,
    LoanStatus,
    LoanTask,
    Payment,
    PaymentStatus,
    ScheduleVersion,
    TaskKind,
    TaskStatus,
)
from filon.servicing.release import disbursement_release, reversal_approve, reversal_request
from filon.servicing.selectors import loan_positions
from filon.servicing.services import commission_pay, loan_create_from_file
from filon.servicing.statements import statement_period_default
from filon.web.forms import new_key
from web.web_support import HTMX, frozen, login

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)

AMOUNT = Decimal("12000000")


@pytest.fixture
def ready_file(cast, credit_file, sample_rates):
    return to_ready(cast, credit_file)


@pytest.fixture
def loan(cast, ready_file):
    return loan_create_from_file(user=cast.ana, file=ready_file)


@pytest.fixture
def active_loan(cast, loan):
    commission_pay(user=cast.ana, loan=loan, value_date=today_mx())
    loan_disburse(
        captured_by=cast.ana, released_by=cast.gerardo, loan=loan, amount=AMOUNT, value_date=today_mx()
    )
    loan.refresh_from_db()
    return loan


def _without_keys(body: str) -> str:
    """A page without what changes on every rendering: the forms' keys and the CSRF tokens."""
    body = re.sub(r'name="[a-z]+-key" value="[0-9a-f]{32}"', "", body)
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", body)


def url(name: str, *args) -> str:
    return reverse(f"web:{name}", args=args)


def form_key(body: str) -> str:
    """The idempotency key the payment form carries."""
    found = re.search(r'name="pago-key" value="([0-9a-f]{32})"', body)
    assert found, "the payment form carries no key"
    return found.group(1)


def payment_post(key: str, amount: str = "150000.00", **extra) -> dict[str, str]:
    return {
        "pago-amount": amount,
        "pago-value_date": today_mx().isoformat(),
        "pago-key": key,
        **extra,
    }


def assert_books_clean() -> None:
    assert ledger_check(loan_positions=loan_positions()) == []


# ------------------------------------------------------------------------------------- loan creation


def test_a_ready_file_opens_its_loan_through_the_page(cast, ready_file):
    ana = login(cast.ana)
    page = ana.get(url("file", ready_file.pk)).content.decode()
    assert "Dar de alta el crédito" in page
    assert url("loan_create", ready_file.pk) in page
    # central roles see the file but are not offered the button
    assert "Dar de alta el crédito" not in login(cast.ramon).get(url("file", ready_file.pk)).content.decode()

    response = ana.post(url("loan_create", ready_file.pk))
    loan = Loan.objects.get(file=ready_file)
    assert response.status_code == 302
    assert response["Location"] == url("loan", loan.pk)
    assert loan.status == LoanStatus.PENDING
    assert loan.number == f"CR-{ready_file.folio}"

    page = ana.get(url("loan", loan.pk)).content.decode()
    assert f"Crédito {loan.number}" in page
    assert "RO-2010-1160" in page  # the rule set it was contracted under
    assert "TIIE_FONDEO + 3.50 %" in page
    assert "Pendiente: se paga antes de la primera ministración" in page
    # the file page now leads to the loan instead of offering a second one
    page = ana.get(url("file", ready_file.pk)).content.decode()
    assert "Dar de alta el crédito" not in page
    assert f"Ver el crédito {loan.number}" in page

    again = ana.post(url("loan_create", ready_file.pk))
    assert again.status_code == 409
    assert "El expediente ya tiene su crédito." in again.content.decode()
    assert Loan.objects.filter(file=ready_file).count() == 1


def test_a_file_not_ready_gets_no_loan(cast, credit_file, sample_rates):
    response = login(cast.ana).post(url("loan_create", credit_file.pk))
    assert response.status_code == 409
    assert "Sólo un expediente listo para disponer da lugar a un crédito." in response.content.decode()
    assert not Loan.objects.exists()


def test_another_office_and_central_roles_cannot_open_the_loan(cast, ready_file):
    assert login(cast.sofia).post(url("loan_create", ready_file.pk)).status_code == 404
    response = login(cast.ramon).post(url("loan_create", ready_file.pk))
    assert response.status_code == 403
    assert "no puede dar de alta créditos" in response.content.decode()
    assert not Loan.objects.exists()


# ----------------------------------------------------------------------- commission and disbursement


def test_commission_then_disbursement_through_plain_posts(cast, loan):
    ana = login(cast.ana)
    day = today_mx().isoformat()

    refused = ana.post(
        url("loan_disburse", loan.pk),
        {"ministracion-key": new_key(), "ministracion-amount": "12000000", "ministracion-value_date": day},
    )
    assert refused.status_code == 409
    body = refused.content.decode()
    assert "La comisión por apertura y su IVA deben pagarse antes de disponer. (Regla 14)" in body
    assert not loan.disbursements.exists()

    done = ana.post(url("loan_commission", loan.pk), {"comision-key": new_key(), "comision-value_date": day})
    assert done.status_code == 302
    assert done["Location"] == url("loan", loan.pk) + "#comision"
    loan.refresh_from_db()
    assert loan.opening_commission_paid_on == today_mx()

    captured = ana.post(
        url("loan_disburse", loan.pk),
        {"ministracion-key": new_key(), "ministracion-amount": "12000000", "ministracion-value_date": day},
    )
    assert captured.status_code == 302
    assert captured["Location"] == url("loan", loan.pk) + "#ministraciones"
    page = ana.get(captured["Location"]).content.decode()
    assert "Se capturó la orden de la ministración con fecha valor 03/03/2026" in page
    assert "Usted la capturó: otra persona debe liberarla." in page
    assert not loan.disbursements.exists()  # captured, not posted

    order = loan.disbursement_orders.get()
    gerardo = login(cast.gerardo)
    done = gerardo.post(url("loan_order_release", loan.pk, order.pk), {f"o{order.pk}-key": new_key()})
    assert done.status_code == 302
    assert done["Location"] == url("loan", loan.pk) + "#autorizaciones"
    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACTIVE
    assert loan.principal_balance == AMOUNT
    assert loan_balances(loan.pk) == {chart.CARTERA_VIGENTE: AMOUNT}
    assert_books_clean()

    page = gerardo.get(done["Location"]).content.decode()
    assert "Se liberó la orden de ministración de $12,000,000.00 con fecha valor 03/03/2026." in page
    assert "Pagada el 03/03/2026" in page
    assert "$12,000,000.00" in page
    assert page.count('<tr><td class="num">') >= 84  # the 84 installments of the projected table

    over = ana.post(
        url("loan_disburse", loan.pk),
        {"ministracion-key": new_key(), "ministracion-amount": "0.01", "ministracion-value_date": day},
    )  # the capture is checked as a disbursement is
    assert over.status_code == 422
    body = over.content.decode()
    assert "excede el monto contratado" in body
    assert 'id="id_ministracion-amount_error"' in body  # next to the amount
    assert loan.disbursements.count() == 1


def test_commission_and_disbursement_through_htmx(cast, loan):
    ana = login(cast.ana)
    day = today_mx().isoformat()
    response = ana.post(
        url("loan_commission", loan.pk), {"comision-key": new_key(), "comision-value_date": day}, **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="comision"')
    assert "Se registró el pago de la comisión por apertura." in body
    assert 'id="pagos" aria-labelledby="h-pagos" hx-swap-oob="true"' in body  # the rest out-of-band

    refused = ana.post(
        url("loan_disburse", loan.pk),
        {"ministracion-key": new_key(), "ministracion-amount": "13000000", "ministracion-value_date": day},
        **HTMX,
    )
    assert refused.status_code == 422
    body = refused.content.decode()
    assert body.lstrip().startswith('<section class="card" id="ministraciones"')
    assert "excede el monto contratado" in body
    assert 'aria-invalid="true"' in body

    bad = ana.post(
        url("loan_disburse", loan.pk), {"ministracion-key": new_key(), "ministracion-amount": "mucho"}, **HTMX
    )
    assert bad.status_code == 422
    assert "«Importe de la ministración»: escriba el número con punto decimal" in bad.content.decode()

    captured = ana.post(
        url("loan_disburse", loan.pk),
        {"ministracion-key": new_key(), "ministracion-amount": "12000000", "ministracion-value_date": day},
        **HTMX,
    )
    assert captured.status_code == 200
    assert "Se capturó la orden de la ministración" in captured.content.decode()
    order = loan.disbursement_orders.get()
    gerardo = login(cast.gerardo)
    done = gerardo.post(url("loan_order_release", loan.pk, order.pk), {f"o{order.pk}-key": new_key()}, **HTMX)
    assert done.status_code == 204
    page = gerardo.get(url("loan", loan.pk)).content.decode()
    assert "Se liberó la orden de ministración" in page
    assert "Vigente en administración" in page
    assert loan_balances(loan.pk) == {chart.CARTERA_VIGENTE: AMOUNT}
    assert_books_clean()


def test_a_past_due_loan_takes_no_disbursement_and_cites_the_rule(cast, active_loan):
    Loan.objects.filter(pk=active_loan.pk).update(days_past_due=5)
    response = login(cast.ana).post(
        url("loan_disburse", active_loan.pk),
        {
            "ministracion-key": new_key(),
            "ministracion-amount": "1",
            "ministracion-value_date": today_mx().isoformat(),
        },
        **HTMX,
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "5 días de atraso" in body
    assert re.search(r"\(Regla [0-9.]+\)", body)


# ------------------------------------------------------------------------------------------ payments


def test_a_payment_form_posted_twice_records_one_payment(cast, active_loan):
    ana = login(cast.ana)
    page = ana.get(url("loan", active_loan.pk)).content.decode()
    key = form_key(page)
    assert form_key(ana.get(url("loan", active_loan.pk)).content.decode()) != key  # fresh per render

    first = ana.post(url("loan_payment", active_loan.pk), payment_post(key))
    second = ana.post(url("loan_payment", active_loan.pk), payment_post(key))  # back + resubmit
    assert (first.status_code, second.status_code) == (302, 302)
    assert Payment.objects.filter(loan=active_loan).count() == 1
    payment = Payment.objects.get(loan=active_loan)
    assert payment.idempotency_key == key
    assert payment.amount == Decimal("150000.00")
    page = ana.get(second["Location"]).content.decode()
    assert "Este pago ya estaba registrado" in page
    assert form_key(page) != key
    assert_books_clean()


def test_a_double_click_through_htmx_records_one_payment_and_shows_a_fresh_form(cast, active_loan):
    ana = login(cast.ana)
    key = form_key(ana.get(url("loan", active_loan.pk)).content.decode())
    responses = [
        ana.post(url("loan_payment", active_loan.pk), payment_post(key, "2500.50"), **HTMX) for _ in range(2)
    ]
    assert [r.status_code for r in responses] == [200, 200]
    assert Payment.objects.filter(loan=active_loan).count() == 1
    first, second = (r.content.decode() for r in responses)
    assert first.lstrip().startswith('<section class="card" id="pagos"')
    assert "Se registró el pago con fecha valor 03/03/2026." in first
    assert "Este pago ya estaba registrado" in second
    assert key not in first
    assert key not in second
    assert form_key(first) != form_key(second)
    # nothing is due on the day of the disbursement: the money waits in «pagos por aplicar»
    assert "$2,500.50" in first
    active_loan.refresh_from_db()
    assert active_loan.unapplied_balance == Decimal("2500.50")
    assert_books_clean()

    again = ana.post(url("loan_payment", active_loan.pk), payment_post(form_key(second), "100"), **HTMX)
    assert again.status_code == 200
    assert Payment.objects.filter(loan=active_loan).count() == 2


def test_a_refused_payment_keeps_its_key_and_says_why(cast, active_loan):
    ana = login(cast.ana)
    key = "a" * 32
    future = (today_mx() + dt.timedelta(days=1)).isoformat()
    response = ana.post(
        url("loan_payment", active_loan.pk), payment_post(key, **{"pago-value_date": future}), **HTMX
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert f"no puede ser posterior a hoy ({today_mx():%d/%m/%Y})." in body
    assert 'id="id_pago-value_date_error"' in body
    assert form_key(body) == key
    assert not Payment.objects.exists()

    prepay = ana.post(
        url("loan_payment", active_loan.pk), payment_post(key, **{"pago-prepayment": "on"}), **HTMX
    )
    assert prepay.status_code == 422
    body = prepay.content.decode()
    assert "debe notificarse con al menos" in body
    assert 'id="id_pago-notified_on_error"' in body
    assert re.search(r"\((Regla [0-9.]+|C-\d+)\)", body)
    assert not Payment.objects.exists()

    keyless = ana.post(url("loan_payment", active_loan.pk), payment_post(""), **HTMX)
    assert keyless.status_code == 422
    assert "no trae su clave" in keyless.content.decode()


def test_a_payment_beyond_the_ceiling_is_shown_on_the_amount_with_its_rule(cast, active_loan):
    ana = login(cast.ana)
    response = ana.post(
        url("loan_payment", active_loan.pk), payment_post("b" * 32, "99999999999999.99"), **HTMX
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "excede el importe máximo admitido por operación" in body
    assert 'id="id_pago-amount_error"' in body
    assert "(Regla 9.2.2)" in body
    assert not Payment.objects.exists()


def test_the_latest_payment_is_reversed_with_a_reason(cast, active_loan):
    ana = login(cast.ana)
    ana.post(url("loan_payment", active_loan.pk), payment_post("k1", "1000"))
    ana.post(url("loan_payment", active_loan.pk), payment_post("k2", "2000"))
    first, latest = Payment.objects.filter(loan=active_loan).order_by("id")
    page = ana.get(url("loan", active_loan.pk)).content.decode()
    assert url("loan_payment_reverse", active_loan.pk, latest.pk) in page
    assert url("loan_payment_reverse", active_loan.pk, first.pk) not in page

    no_reason = ana.post(
        url("loan_payment_reverse", active_loan.pk, latest.pk),
        {"reversa-key": new_key(), "reversa-reason": ""},
    )
    assert no_reason.status_code == 422
    older = ana.post(
        url("loan_payment_reverse", active_loan.pk, first.pk),
        {"reversa-key": new_key(), "reversa-reason": "Depósito duplicado"},
        **HTMX,
    )
    assert older.status_code == 409
    assert "Sólo se reversa el último pago aplicado" in older.content.decode()

    asked = ana.post(
        url("loan_payment_reverse", active_loan.pk, latest.pk),
        {"reversa-key": new_key(), "reversa-reason": "Cheque devuelto"},
    )
    assert asked.status_code == 302
    page = ana.get(asked["Location"]).content.decode()
    assert "Se solicitó la reversa del pago del 03/03/2026" in page
    assert "Usted la solicitó: otra persona debe aprobarla." in page
    latest.refresh_from_db()
    assert latest.status == PaymentStatus.APPLIED  # asked, not posted
    row = latest.reversal_requests.get()
    gerardo = login(cast.gerardo)
    done = gerardo.post(url("loan_reversal_approve", active_loan.pk, row.pk), {f"r{row.pk}-key": new_key()})
    assert done.status_code == 302
    latest.refresh_from_db()
    assert latest.status == PaymentStatus.REVERSED
    assert latest.reversal_reason == "Cheque devuelto"
    active_loan.refresh_from_db()
    assert active_loan.unapplied_balance == Decimal("1000")
    page = gerardo.get(done["Location"]).content.decode()
    assert "Se aprobó y registró la reversa del pago del 03/03/2026." in page
    assert "Cheque devuelto" in page
    assert_books_clean()


# --------------------------------------------------------------------------------------------- tasks


def test_an_obligation_is_completed_through_the_page(cast, active_loan):
    ana = login(cast.ana)
    task = active_loan.tasks.get(kind=TaskKind.PROOF_OF_USE)
    page = ana.get(url("loan", active_loan.pk)).content.decode()
    assert "Comprobación del 100 % de los recursos (13)" in page
    assert url("loan_task_complete", active_loan.pk, task.pk) in page

    response = ana.post(
        url("loan_task_complete", active_loan.pk, task.pk),
        {f"t{task.pk}-note": "Facturas del equipo revisadas"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Obligación cumplida" in response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.done_on, task.note) == (
        TaskStatus.DONE,
        today_mx(),
        "Facturas del equipo revisadas",
    )
    again = ana.post(url("loan_task_complete", active_loan.pk, task.pk), {}, **HTMX)
    assert again.status_code == 409
    assert "La obligación ya está cumplida." in again.content.decode()

    visit = active_loan.tasks.get(kind=TaskKind.QUARTERLY_VISIT)
    plain = ana.post(url("loan_task_complete", active_loan.pk, visit.pk), {})
    assert plain.status_code == 302
    assert plain["Location"].endswith("#obligaciones")
    # a recurring obligation schedules the next one
    assert active_loan.tasks.filter(kind=TaskKind.QUARTERLY_VISIT, status=TaskStatus.PENDING).exists()


def test_text_people_typed_reads_escaped_in_the_rows_built_by_the_view(cast, active_loan):
    """A reversal reason and an obligation's note are shown as text, never as markup."""
    ana = login(cast.ana)
    ana.post(url("loan_payment", active_loan.pk), payment_post("k1", "1000"))
    payment = Payment.objects.get(loan=active_loan)
    reason = '<script>alert("x")</script> & devuelto'
    assert (
        ana.post(
            url("loan_payment_reverse", active_loan.pk, payment.pk),
            {"reversa-key": new_key(), "reversa-reason": reason},
        ).status_code
        == 302
    )
    page = ana.get(url("loan", active_loan.pk)).content.decode()  # the pending request shows the reason
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; devuelto" in page
    reversal_approve(user=cast.gerardo, request=payment.reversal_requests.get())
    task = active_loan.tasks.get(kind=TaskKind.PROOF_OF_USE)
    note = "<b>Facturas</b> revisadas"
    ana.post(url("loan_task_complete", active_loan.pk, task.pk), {f"t{task.pk}-note": note})
    page = ana.get(url("loan", active_loan.pk)).content.decode()
    assert "<script>alert" not in page
    assert "<b>Facturas</b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; devuelto" in page
    assert f'<tr id="obligacion-{task.pk}"><td>Comprobación del 100 % de los recursos (13)</td>' in page
    assert "<br><small>&lt;b&gt;Facturas&lt;/b&gt; revisadas</small>" in page
    assert '<span class="badge danger">Reversado</span>' in page


# ------------------------------------------------------------------------------------ who sees what


def test_another_office_gets_404_on_the_loan_and_every_form(cast, active_loan):
    sofia = login(cast.sofia)
    task = active_loan.tasks.first()
    key = "b" * 32
    login(cast.ana).post(url("loan_payment", active_loan.pk), payment_post(key, "10"))
    payment = Payment.objects.get(idempotency_key=key)
    asked = reversal_request(user=cast.ana, payment=payment, reason="Duplicado")
    order = DisbursementOrder.objects.create(
        loan=active_loan, amount=Decimal("1"), value_date=today_mx(), captured_by=cast.ana
    )
    for page in (url("loan", active_loan.pk), url("loan_statement", active_loan.pk)):
        assert sofia.get(page).status_code == 404, page
    posts = {
        url("loan_commission", active_loan.pk): {
            "comision-key": new_key(),
            "comision-value_date": today_mx().isoformat(),
        },
        url("loan_disburse", active_loan.pk): {
            "ministracion-key": new_key(),
            "ministracion-amount": "1",
            "ministracion-value_date": today_mx().isoformat(),
        },
        url("loan_payment", active_loan.pk): payment_post("c" * 32),
        url("loan_payment_reverse", active_loan.pk, payment.pk): {
            "reversa-key": new_key(),
            "reversa-reason": "x",
        },
        url("loan_task_complete", active_loan.pk, task.pk): {},
        url("loan_order_release", active_loan.pk, order.pk): {f"o{order.pk}-key": new_key()},
        url("loan_order_cancel", active_loan.pk, order.pk): {f"oc{order.pk}-reason": "x"},
        url("loan_reversal_approve", active_loan.pk, asked.pk): {f"r{asked.pk}-key": new_key()},
        url("loan_reversal_reject", active_loan.pk, asked.pk): {f"rr{asked.pk}-reason": "x"},
    }
    for target, data in posts.items():
        assert sofia.post(target, data).status_code == 404, target
        assert sofia.post(target, data, **HTMX).status_code == 404, target
    assert Payment.objects.count() == 1
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.APPLIED
    assert active_loan.disbursements.count() == 1
    assert active_loan.number not in sofia.get(url("loans")).content.decode()


def test_the_loan_mark_is_the_loans_row_scoped_like_the_loan_list(cast, active_loan):
    """The mark is read with its own SQL (no ORM on the page's hot path): the same row, and the same office
    scope, as the ORM's `loan_list_for_user`."""
    import hashlib

    from django.contrib.auth.models import AnonymousUser

    from filon.accounts.models import User
    from filon.errors import NotFound
    from filon.servicing.selectors import loan_list_for_user, loan_mark_for_user

    retired = User.objects.create_user(
        "rita.zac", password="clave-de-prueba-123", role="analista", office=cast.zac, is_active=False
    )
    users = [cast.ana, cast.gerardo, cast.sofia, cast.julia, cast.sergio, cast.omar, retired, AnonymousUser()]
    seen = []
    for user in users:
        for loan_id in (active_loan.pk, active_loan.pk + 1000):
            rows = list(
                loan_list_for_user(user=user)
                .filter(pk=loan_id)
                .values_list(
                    "pk",
                    "number",
                    "revision",
                    "office_id",
                    "applicant__name",
                    "applicant__rfc",
                    "office__name",
                )
            )
            if not rows:
                with pytest.raises(NotFound):
                    loan_mark_for_user(user=user, loan_id=loan_id)
                continue
            mark = loan_mark_for_user(user=user, loan_id=loan_id)
            pk, number, revision, office_id, *names = rows[0]
            digest = hashlib.blake2b("\x00".join(names).encode(), digest_size=8).hexdigest()
            assert (mark.pk, mark.number, mark.revision, mark.office_id, mark.names) == (
                pk,
                number,
                revision,
                office_id,
                digest,
            )
            seen.append(getattr(user, "username", ""))
    assert seen == ["ana.zac", "gerardo.zac", "julia.juridico", "sergio.secretario", "omar.direccion"]


def test_the_loan_read_by_its_compiled_statement_is_the_orms_loan(cast, active_loan):
    from filon.servicing.selectors import loan_get_for_user, loan_list_for_user

    expected = loan_list_for_user(user=cast.gerardo).get(pk=active_loan.pk)
    with CaptureQueriesContext(connection) as queries:
        loan = loan_get_for_user(user=cast.gerardo, loan_id=str(active_loan.pk))
        applicant, office = loan.applicant, loan.office
    assert len(queries) == 1  # the applicant and the office came in the same row
    for model, got, want in ((Loan, loan, expected), (type(applicant), applicant, expected.applicant)):
        for field in model._meta.concrete_fields:
            value, wanted = getattr(got, field.attname), getattr(want, field.attname)
            assert (value, type(value)) == (wanted, type(wanted)), field.name
    assert isinstance(loan.spread, Decimal)
    assert loan.contracted_amount == expected.contracted_amount
    assert (office.pk, office.name, office.states) == (
        expected.office.pk,
        expected.office.name,
        expected.office.states,
    )


def test_a_loan_number_past_any_key_is_not_found(cast, active_loan):
    """The compiled lookups answer a key the database would refuse as the ORM does: no such loan."""
    from filon.accounts.services import api_token_create

    _, token = api_token_create(actor=None, user=cast.ana, name="prueba")
    ana = login(cast.ana)
    for key in ("9" * 19, "9" * 30):
        assert ana.get(f"/creditos/{key}/").status_code == 404
        assert ana.get(f"/creditos/{key}/estado-de-cuenta/").status_code == 404
        response = ana.get(f"/api/v1/loans/{key}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code in (404, 422), response.content


def test_committee_and_legal_see_the_loan_but_cannot_post_payments(cast, active_loan):
    for who in (cast.marta, cast.julia):
        client = login(who)
        page = client.get(url("loan", active_loan.pk))
        assert page.status_code == 200
        assert "Registrar pago" not in page.content.decode()
        response = client.post(url("loan_payment", active_loan.pk), payment_post("d" * 32))
        assert response.status_code == 403
        assert "no puede registrar pagos" in response.content.decode()
        htmx = client.post(url("loan_payment", active_loan.pk), payment_post("d" * 32), **HTMX)
        assert htmx.status_code == 403
    assert not Payment.objects.exists()


# --------------------------------------------------------------------------------- list and statement


def test_the_list_filters_and_shows_balances(cast, active_loan, offices):
    ana = login(cast.ana)
    body = ana.get(url("loans")).content.decode()
    assert active_loan.number in body
    assert "$12,000,000.00" in body
    assert 'name="gerencia"' not in body  # a regional user sees only its office
    assert active_loan.number not in ana.get(url("loans") + "?clasificacion=vencida").content.decode()
    assert active_loan.number in ana.get(url("loans") + "?estado=active").content.decode()
    assert active_loan.number not in ana.get(url("loans") + "?estado=pending").content.decode()

    omar = login(cast.omar)
    body = omar.get(url("loans")).content.decode()
    assert 'name="gerencia"' in body
    assert active_loan.number in body
    assert active_loan.number in omar.get(url("loans") + "?gerencia=ZAC").content.decode()
    assert active_loan.number not in omar.get(url("loans") + "?gerencia=HMO").content.decode()
    assert f'<a href="{url("loans")}" aria-current="page">Créditos</a>' in body  # the nav link


def test_the_list_pages_keep_their_filters(cast, active_loan):
    for n in range(55):
        Loan.objects.create(
            number=f"CR-Z{n:03d}",
            applicant=active_loan.applicant,
            office=active_loan.office,
            program=active_loan.program,
            credit_type=active_loan.credit_type,
            currency="MXN",
            ruleset_version=active_loan.ruleset_version,
            contracted_amount=Decimal("1000"),
            contract_date=today_mx(),
            moratorium_factor=Decimal("1.5"),
            term_months=12,
            created_by=cast.ana,
        )
    body = login(cast.omar).get(url("loans") + "?clasificacion=vigente&gerencia=ZAC").content.decode()
    assert "Página 1 de 2" in body
    assert "?clasificacion=vigente&amp;gerencia=ZAC&amp;pagina=2" in body


def test_the_statement_shows_balances_movements_payments_and_next_payments(cast, active_loan):
    ana = login(cast.ana)
    ana.post(url("loan_payment", active_loan.pk), payment_post("e" * 32, "5000"))
    response = ana.get(url("loan_statement", active_loan.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Estado de cuenta del crédito {active_loan.number}" in body
    assert "Cartera de crédito vigente" in body or "1301" in body
    assert "La contabilidad y la cartera no coinciden" not in body
    assert "Ministración del crédito" in body
    assert "Pagos por aplicar" in body
    assert "$5,000.00" in body
    assert "Próximos pagos" in body
    assert "03/04/2026" in body


def test_the_statement_period_opens_with_the_balance_brought_forward(cast, active_loan):
    ana = login(cast.ana)
    disbursed = active_loan.disbursements.get()
    after = disbursed.value_date + dt.timedelta(days=1)
    until = after + dt.timedelta(days=30)
    period = {"desde": after.isoformat(), "hasta": until.isoformat()}
    response = ana.get(url("loan_statement", active_loan.pk), period)
    assert response.status_code == 200
    body = response.content.decode()
    # the disbursement falls before the period: not a movement, but the opening balance carries it
    assert "Ministración del crédito" not in body
    assert (
        f"Saldo de capital al inicio del periodo: <strong>{format_money(disbursed.amount)}</strong>" in body
    )
    # the PDF link asks for the same period
    assert f"estado-de-cuenta.pdf?desde={after.isoformat()}&amp;hasta={until.isoformat()}" in body
    # a period that ends before it starts is a field error, not a 500
    response = ana.get(url("loan_statement", active_loan.pk), {"desde": "2026-03-01", "hasta": "2026-02-01"})
    assert response.status_code == 422
    assert "La fecha final del periodo es anterior a la inicial." in response.content.decode()
    response = ana.get(url("loan_statement_pdf", active_loan.pk), {"desde": "2026-13-01"})
    assert response.status_code == 422


# ------------------------------------------------------------------------------------- performance


def _ten_years_of_history(user, loan: Loan) -> None:
    """Ten years of daily closes (one accrual entry each), 120 payments with their allocation and
    entries, 40 met obligations and earlier schedule versions, written in bulk."""
    ids = account_ids()
    start = today_mx() - dt.timedelta(days=3650)
    days = [start + dt.timedelta(days=i) for i in range(3650)]
    DailyClose.objects.bulk_create(
        [
            DailyClose(business_date=d, started_at=loan.created_at, finished_at=loan.created_at, loans=1)
            for d in days
        ],
        ignore_conflicts=True,
    )
    accruals = JournalEntry.objects.bulk_create(
        [JournalEntry(business_date=d, kind="devengo", description="Devengo diario", loan=loan) for d in days]
    )
    payment_entries = JournalEntry.objects.bulk_create(
        [
            JournalEntry(business_date=days[i * 30], kind="pago", description="Pago", loan=loan)
            for i in range(120)
        ]
    )
    postings = []
    for entry in accruals:
        postings += [
            Posting(
                entry=entry,
                account_id=ids[(chart.INTERESES_DEVENGADOS, "MXN")],
                loan=loan,
                currency="MXN",
                amount=Decimal("100.00"),
            ),
            Posting(
                entry=entry,
                account_id=ids[(chart.INGRESOS_INTERESES, "MXN")],
                currency="MXN",
                amount=Decimal("-100.00"),
            ),
        ]
    Posting.objects.bulk_create(postings, batch_size=2000)
    Payment.objects.bulk_create(
        [
            Payment(
                loan=loan,
                idempotency_key=f"historia-{i}",
                value_date=entry.business_date,
                amount=Decimal("3000.00"),
                currency="MXN",
                allocation=[
                    {"concept": "intereses_vencidos", "installment": i + 1, "amount": "1000.00"},
                    {"concept": "capital_vencido", "installment": i + 1, "amount": "2000.00"},
                ],
                entry=entry,
                created_by=user,
            )
            for i, entry in enumerate(payment_entries)
        ]
    )
    active = loan.schedule_versions.get(active=True)
    Installment.objects.filter(version=active, number__lte=100).update(status=InstallmentStatus.PAID)
    rows = list(active.installments.all())
    for number in range(active.number + 1, active.number + 6):
        old = ScheduleVersion.objects.create(loan=loan, number=number, reason="Pago anticipado", active=False)
        for row in rows:
            row.pk, row.version = None, old
        Installment.objects.bulk_create(rows)
    LoanTask.objects.bulk_create(
        [
            LoanTask(
                loan=loan,
                kind=TaskKind.QUARTERLY_VISIT,
                rule="16.4",
                due_on=days[i * 90],
                status=TaskStatus.DONE,
                done_on=days[i * 90],
                done_by=user,
            )
            for i in range(40)
        ]
    )


def test_the_loan_page_reads_the_same_queries_for_a_ten_year_loan(
    cast, applicant, sample_rates, django_assert_max_num_queries
):
    from filon.origination.services import file_create

    loans = {}
    for name, term in (("short", 12), ("long", 120)):
        file = file_create(
            user=cast.ana,
            applicant=applicant,
            proposal=proposal_data(
                amount=Decimal("1200000"),
                investment_program=Decimal("1400000"),
                term_months=term,
                grace_months=0,
            ),
        )
        to_ready(cast, file)
        loan = loan_create_from_file(user=cast.ana, file=file)
        commission_pay(user=cast.ana, loan=loan, value_date=today_mx())
        loan_disburse(
            captured_by=cast.ana,
            released_by=cast.gerardo,
            loan=loan,
            amount=Decimal("1200000"),
            value_date=today_mx(),
        )
        loans[name] = loan
    short, long = loans["short"], loans["long"]
    _ten_years_of_history(cast.ana, long)
    assert long.installments.filter(version__active=True).count() == 120
    assert JournalEntry.objects.filter(loan=long).count() > 3650
    assert short.installments.filter(version__active=True).count() == 12

    ana = login(cast.ana)
    ana.get(url("loan", short.pk))  # warm the session
    # each loan's page computed afresh (no cached parts) reads as many queries as the one-year loan's
    caches["pages"].clear()
    with CaptureQueriesContext(connection) as short_queries:
        response = ana.get(url("loan", short.pk))
    assert response.status_code == 200
    with django_assert_max_num_queries(len(short_queries)):
        response = ana.get(url("loan", long.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('<tr class="overdue">') == 0  # nothing late: the history's rows were paid
    assert "Versión 6: Pago anticipado" in body
    assert "$3,000.00" in body
    # shown again, the same state of the loan: its parts come from the cache, the schedule, payments and
    # disbursements are not read again, and the page is the same
    with CaptureQueriesContext(connection) as warm_queries:
        again = ana.get(url("loan", long.pk))
    assert len(warm_queries) <= len(short_queries) - 4
    read = " ".join(q["sql"] for q in warm_queries.captured_queries)
    for table in ("servicing_installment", "servicing_payment", "servicing_disbursement"):
        assert f'"{table}"' not in read  # quoted: the pending orders' own table is another
    assert _without_keys(again.content.decode()) == _without_keys(body)
    with django_assert_max_num_queries(15):
        ana.get(url("loan", short.pk))
    # the statement reads only its period's movements (the last three months by default), paged
    with django_assert_max_num_queries(20):
        statement = ana.get(url("loan_statement", long.pk)).content.decode()
    start, end = statement_period_default(today_mx())
    in_period = JournalEntry.objects.filter(loan=long, business_date__range=(start, end)).count()
    assert 60 < in_period < 100
    pages = -(-in_period // 50)
    assert f"Página {pages} de {pages}" in statement  # the latest movements first
    # the whole history on demand: starting from nothing, every entry counted
    whole = ana.get(url("loan_statement", long.pk), {"desde": "2000-01-01"}).content.decode()
    total = JournalEntry.objects.filter(loan=long).count()
    assert f"Página {-(-total // 50)} de {-(-total // 50)}" in whole


def test_a_revolving_line_asks_for_the_drawdown_term(cast, applicant, sample_rates):
    from filon.origination.services import file_create

    file = file_create(
        user=cast.ana,
        applicant=applicant,
        proposal=proposal_data(
            credit_type="avio_revolvente",
            amount=Decimal("5000000"),
            investment_program=Decimal("5000000"),
            term_months=12,
            grace_months=0,
        ),
    )
    to_ready(cast, file)
    line = loan_create_from_file(user=cast.ana, file=file)
    commission_pay(user=cast.ana, loan=line, value_date=today_mx())
    ana = login(cast.ana)
    page = ana.get(url("loan", line.pk)).content.decode()
    assert "Disposiciones de la línea" in page
    assert '<label for="id_ministracion-drawdown_days">Plazo de la disposición (días)' in page
    day = today_mx().isoformat()
    data = {"ministracion-key": new_key(), "ministracion-amount": "1000000", "ministracion-value_date": day}
    missing = ana.post(url("loan_disburse", line.pk), data, **HTMX)
    assert missing.status_code == 422
    assert 'id="id_ministracion-drawdown_days_error"' in missing.content.decode()
    too_long = ana.post(url("loan_disburse", line.pk), {**data, "ministracion-drawdown_days": "181"}, **HTMX)
    assert too_long.status_code == 422
    body = too_long.content.decode()
    assert "Cada disposición es de 30 a 180 días." in body
    assert re.search(r"Cada disposición es de 30 a 180 días\. \(Regla [0-9.]+\)", body)
    captured = ana.post(url("loan_disburse", line.pk), {**data, "ministracion-drawdown_days": "90"}, **HTMX)
    assert captured.status_code == 200
    assert "Se capturó la orden de la disposición" in captured.content.decode()
    order = line.disbursement_orders.get()
    assert order.drawdown_days == 90
    disbursement_release(user=cast.gerardo, order=order)
    line.refresh_from_db()
    assert line.principal_balance == Decimal("1000000")
    assert line.disbursements.get().due_date == today_mx() + dt.timedelta(days=90)
    assert_books_clean()


def test_the_kept_page_shows_every_change_at_once(cast, active_loan):
    """The page's body is kept between views of the same state; whatever changes what it shows — an
    obligation met, the name of who met it, the applicant's name, a user who may not act on the loan — is on
    the next view."""
    from filon.applicants.models import Applicant
    from filon.servicing.tasks import task_complete

    ana = login(cast.ana)
    page = ana.get(url("loan", active_loan.pk)).content.decode()
    assert "Registrar pago" in page
    assert _without_keys(ana.get(url("loan", active_loan.pk)).content.decode()) == _without_keys(page)

    task = active_loan.tasks.get(kind=TaskKind.PROOF_OF_USE)
    task_complete(user=cast.ana, task=task, note="Facturas revisadas")
    page = ana.get(url("loan", active_loan.pk)).content.decode()
    assert f"por {cast.ana.get_full_name()}" in page

    cast.ana.first_name = "Anabel"
    cast.ana.save()
    page = ana.get(url("loan", active_loan.pk)).content.decode()
    assert f"por {cast.ana.get_full_name()}" in page
    assert "Anabel" in cast.ana.get_full_name()

    Applicant.objects.filter(pk=active_loan.applicant_id).update(name="Minera Renombrada, S.A. de C.V.")
    assert "Minera Renombrada, S.A. de C.V." in ana.get(url("loan", active_loan.pk)).content.decode()

    # the same state seen by a central role: no form of the analyst's, and its own CSRF token
    central = login(cast.omar).get(url("loan", active_loan.pk)).content.decode()
    assert "Minera Renombrada, S.A. de C.V." in central
    for form in ("Registrar pago", "Registrar cumplimiento", "Solicitar la reversa del último pago"):
        assert form not in central
    assert "\x00" not in central
    assert re.search(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]{64}"', page)
    keys = {form_key(ana.get(url("loan", active_loan.pk)).content.decode()) for _ in range(3)}
    assert len(keys) == 3  # a fresh payment key on every view
