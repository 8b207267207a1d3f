"""The closing page of a loan: the regional manager applies the committee's write-off (once per form), the
office records a recovery, the loan page links here; a liquidado loan offers its carta de finiquito and the
legal area records each guarantee's release. Another office's loan is a 404, another role a 403, and user
text is escaped."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from filon.audit.models import AuditRecord
from filon.core.calendar import MEXICO_CITY
from filon.origination.models import FileGuarantee, GuaranteeStatus
from filon.servicing.models import LoanStatus, Recovery, WriteOff
from filon.servicing.payments import payment_apply
from filon.servicing.selectors import loan_payoff
from servicing.closing_support import TODAY, authorized, defaulted_loan
from web.web_support import login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_time(sample_rates):
    with time_machine.travel(dt.datetime(2026, 7, 15, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


def test_write_off_and_recovery_from_the_closing_page(cast, applicant):
    loan = defaulted_loan(cast, applicant)
    request = authorized(cast, loan)
    page_url = reverse("web:loan_closing", args=[loan.pk])
    manager = login(cast.gerardo)
    assert page_url in manager.get(reverse("web:loan", args=[loan.pk])).content.decode()
    page = manager.get(page_url).content.decode()
    assert "Aplicar el castigo autorizado" in page
    assert "Aplicar el castigo autorizado" not in login(cast.ana).get(page_url).content.decode()
    assert login(cast.sofia).get(page_url).status_code == 404

    form = {"castigo-request": str(request.pk), "castigo-on": "", "castigo-key": "k-castigo"}
    assert login(cast.ana).post(reverse("web:loan_write_off", args=[loan.pk]), form).status_code == 403
    done = manager.post(reverse("web:loan_write_off", args=[loan.pk]), form, follow=True)
    assert done.status_code == 200
    assert "Se castigó el crédito el 15/07/2026." in done.content.decode()
    assert "Castigado el 15/07/2026" in manager.get(reverse("web:loan", args=[loan.pk])).content.decode()
    again = manager.post(reverse("web:loan_write_off", args=[loan.pk]), form, follow=True)
    assert "Este castigo ya estaba registrado; no se duplicó." in again.content.decode()
    assert WriteOff.objects.count() == 1
    loan.refresh_from_db()
    assert loan.status == LoanStatus.WRITTEN_OFF

    recovery = {"recuperacion-amount": "1000", "recuperacion-value_date": str(TODAY), "recuperacion-key": "r"}
    shown = login(cast.ana).post(reverse("web:loan_recovery", args=[loan.pk]), recovery, follow=True)
    assert "Se registró la recuperación con fecha valor 15/07/2026." in shown.content.decode()
    assert Recovery.objects.get().amount == 1000
    too_much = {**recovery, "recuperacion-amount": "99999999", "recuperacion-key": "r2"}
    refused = login(cast.ana).post(reverse("web:loan_recovery", args=[loan.pk]), too_much)
    assert refused.status_code == 422
    assert "excede lo castigado pendiente de recuperar" in refused.content.decode()


def test_carta_and_guarantee_release_from_the_closing_page(cast, applicant):
    loan = defaulted_loan(cast, applicant)
    FileGuarantee.objects.filter(file_id=loan.file_id).update(owner="<script>alert(1)</script>")
    payment_apply(
        user=cast.ana,
        loan=loan,
        amount=loan_payoff(loan=loan, on=TODAY).total,
        value_date=TODAY,
        idempotency_key="liquida",
        prepayment=True,
        notified_on=TODAY - dt.timedelta(days=30),
    )
    guarantee = FileGuarantee.objects.get(file_id=loan.file_id)
    page_url = reverse("web:loan_closing", args=[loan.pk])
    legal = login(cast.julia)
    page = legal.get(page_url).content.decode()
    assert "Liquidado el 15/07/2026" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "Registrar su liberación" in page
    assert "Registrar su liberación" not in login(cast.ana).get(page_url).content.decode()

    letter = login(cast.ana).get(reverse("web:loan_payoff_letter_pdf", args=[loan.pk]))
    assert letter.status_code == 200
    assert letter["Content-Type"] == "application/pdf"
    assert AuditRecord.objects.filter(action="document.payoff_letter_pdf").count() == 1

    release_url = reverse("web:loan_guarantee_release", args=[loan.pk, guarantee.pk])
    form = {
        "liberacion-released_on": str(TODAY),
        "liberacion-instrument": "Escritura 77",
        "liberacion-notes": "",
    }
    assert login(cast.ana).post(release_url, form).status_code == 403
    empty = legal.post(release_url, {**form, "liberacion-instrument": " "})
    assert empty.status_code == 422
    done = legal.post(release_url, form, follow=True)
    assert "Se registró la liberación de la garantía" in done.content.decode()
    guarantee.refresh_from_db()
    assert guarantee.status == GuaranteeStatus.RELEASED
