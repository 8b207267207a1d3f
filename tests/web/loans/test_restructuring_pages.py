"""The restructuring pages of a loan: propose (HTMX), the request's detail with the proposed schedule, the
committee's session listing it, and applying it once authorized (Rules 15; 17.3 b)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import to_ready
from filon.committees.services import (
    resolution_record,
    session_attendance,
    session_convene,
    session_hold,
    vote_cast,
)
from filon.core.calendar import today_mx
from filon.demo.scenarios import loan_disburse
from filon.origination.models import LoanRequest
from filon.servicing.services import commission_pay, loan_create_from_file
from web.web_support import HTMX, frozen, login

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)


@pytest.fixture
def active_loan(cast, credit_file, sample_rates):
    loan = loan_create_from_file(user=cast.ana, file=to_ready(cast, credit_file))
    commission_pay(user=cast.ana, loan=loan, value_date=today_mx())
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=Decimal("12000000"),
        value_date=today_mx(),
    )
    loan.refresh_from_db()
    return loan


def url(name: str, *args) -> str:
    return reverse(f"web:{name}", args=args)


PROPOSAL = {
    "reestructura-term_months": "96",
    "reestructura-grace_months": "6",
    "reestructura-payment_every_months": "1",
    "reestructura-amortization": "equal_principal",
    "reestructura-rate_mode": "keep",
    "reestructura-reason": "Paro técnico de la planta <b>tres meses</b>.",
}


def test_a_restructuring_goes_from_the_loan_page_to_committee_and_back(cast, active_loan):
    loan = active_loan
    ana = login(cast.ana)
    assert url("loan_restructuring", loan.pk) in ana.get(url("loan", loan.pk)).content.decode()
    page = ana.get(url("loan_restructuring", loan.pk)).content.decode()
    assert "Proponer una reestructura" in page
    assert "Solicitar la reestructura al comité" in page

    refused = ana.post(
        url("loan_restructuring", loan.pk), {**PROPOSAL, "reestructura-grace_months": "96"}, **HTMX
    )
    assert refused.status_code == 422
    assert "La gracia debe ser menor que el plazo" in refused.content.decode()
    assert LoanRequest.objects.count() == 0

    response = ana.post(url("loan_restructuring", loan.pk), PROPOSAL, **HTMX)
    assert response.status_code == 204
    request = LoanRequest.objects.get()
    assert response["HX-Redirect"] == url("loan_restructuring_request", loan.pk, request.pk)
    assert (request.committee, request.committee_rule) == ("comite_interno", "17.3")
    detail = ana.get(response["HX-Redirect"]).content.decode()
    assert "Tabla propuesta" in detail
    assert "96 amortizaciones" in detail
    assert "&lt;b&gt;tres meses&lt;/b&gt;" in detail  # the reason is escaped
    assert "Aplicar la nueva tabla" not in detail  # not authorized yet

    # Another office's user does not see the loan; a central role sees it but may not propose.
    assert login(cast.sofia).get(url("loan_restructuring", loan.pk)).status_code == 404
    assert (
        "Solicitar la reestructura al comité"
        not in login(cast.ramon).get(url("loan_restructuring", loan.pk)).content.decode()
    )

    # The committee's session page offers the request for its agenda, and lists it once added.
    session = session_convene(user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala")
    sergio = login(cast.sergio)
    assert "Reestructura del crédito" in sergio.get(url("session", session.pk)).content.decode()
    added = sergio.post(url("agenda_add_loan_request", session.pk), {"loan_request": str(request.pk)}, **HTMX)
    assert added.status_code == 200
    assert f"Reestructura del crédito {loan.number}" in added.content.decode()
    item = session.items.get()
    session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis])
    session_hold(user=cast.sergio, session=session)
    vote_cast(user=cast.marta, item=item, vote="favor")
    vote_cast(user=cast.luis, item=item, vote="favor")
    resolution_record(user=cast.sergio, item=item, decision="authorized")

    detail = ana.get(url("loan_restructuring_request", loan.pk, request.pk)).content.decode()
    assert "Aplicar la nueva tabla" in detail
    key = detail.split('name="aplicar-key" value="')[1][:32]
    apply_on = today_mx()  # disbursed today: nothing accrued yet
    applied = ana.post(
        url("loan_restructuring_apply", loan.pk, request.pk),
        {"aplicar-value_date": apply_on.isoformat(), "aplicar-key": key},
        **HTMX,
    )
    body = applied.content.decode()
    assert applied.status_code == 200, body
    assert "Se aplicó la reestructura" in body
    request.refresh_from_db()
    assert request.status == LoanRequest.Status.APPLIED
    loan.refresh_from_db()
    assert loan.term_months == 96
    assert (
        loan.schedule_versions.get(active=True).reason == f"Reestructura, acuerdo {request.agreement_number}"
    )
    again = ana.post(
        url("loan_restructuring_apply", loan.pk, request.pk),
        {"aplicar-value_date": apply_on.isoformat(), "aplicar-key": key},
        **HTMX,
    )
    assert "ya estaba aplicada; no se duplicó" in again.content.decode()


def test_a_request_is_withdrawn_from_its_page_by_its_requester_with_a_reason(cast, active_loan):
    from filon.audit.models import AuditRecord

    loan = active_loan
    ana = login(cast.ana)
    created = ana.post(url("loan_restructuring", loan.pk), PROPOSAL, **HTMX)
    request = LoanRequest.objects.get()
    detail = ana.get(created["HX-Redirect"]).content.decode()
    assert "Retirar la solicitud" in detail
    # Another office's analyst never reaches it; a central role sees the page but not the form.
    assert login(cast.sofia).post(url("loan_request_withdraw", loan.pk, request.pk), {}).status_code == 404
    assert "Retirar la solicitud" not in login(cast.ramon).get(created["HX-Redirect"]).content.decode()

    refused = ana.post(url("loan_request_withdraw", loan.pk, request.pk), {"retiro-reason": " "}, **HTMX)
    assert refused.status_code == 422
    assert LoanRequest.objects.get().status == LoanRequest.Status.REQUESTED

    done = ana.post(
        url("loan_request_withdraw", loan.pk, request.pk),
        {"retiro-reason": "El acreditado <i>liquidó</i> el atraso."},
        **HTMX,
    )
    assert done.status_code == 200
    assert "Se retiró la solicitud" in done.content.decode()
    assert LoanRequest.objects.get().status == LoanRequest.Status.WITHDRAWN
    record = AuditRecord.objects.get(action="loan_request.withdraw")
    assert (record.user_id, record.note) == (cast.ana.pk, "El acreditado <i>liquidó</i> el atraso.")
    again = ana.get(created["HX-Redirect"]).content.decode()
    assert "Retirar la solicitud" not in again  # withdrawn: nothing left to withdraw
