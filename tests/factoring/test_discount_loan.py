"""A discount opens its loan through servicing (`servicing.services.loan_open`): it is audited as every
loan is, and it passes every disbursement's checks — the guarantee funds' coverage among them, asked with the
advance — so a registered refusal stops the discount and nothing is written."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from factoring_support import TODAY, authorized_epo, frozen_today, supplier

from filon.audit.models import AuditRecord
from filon.errors import TransitionRefused
from filon.factoring.models import DocumentStatus, InterestMode
from filon.factoring.services import document_discount, document_upload, supplier_adhere
from filon.funds.services import coverage_refusal
from filon.servicing import checks
from filon.servicing.models import Loan, LoanStatus

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen_today)

FACE = Decimal("1000000.00")


@pytest.fixture
def document(cast, sample_rates):
    epo = authorized_epo(cast)
    firm = supplier(cast)
    supplier_adhere(
        user=cast.ana, epo=epo, supplier=firm, agreement_ref="CA-2026-001", spread=Decimal("0.03")
    )
    return document_upload(
        user=cast.ana,
        epo=epo,
        supplier=firm,
        kind="invoice",
        number="F-2001",
        face_value=FACE,
        issue_date=TODAY - dt.timedelta(days=5),
        due_date=TODAY + dt.timedelta(days=90),
        uploaded_by="supplier",
    )


def test_the_discount_loan_is_opened_by_servicing_and_asks_the_funds(cast, document, monkeypatch):
    asked = []

    def spy(*, loan, amount):
        asked.append((loan.number, loan.status, amount))
        return coverage_refusal(loan=loan, amount=amount)

    monkeypatch.setitem(checks._disbursement, "funds.coverage", spy)
    discount = document_discount(user=cast.ana, document=document, interest_mode=InterestMode.AT_MATURITY)
    loan = discount.loan
    assert asked == [(loan.number, LoanStatus.PENDING, discount.advance)]
    loan.refresh_from_db()
    assert (loan.status, loan.principal_balance, loan.maturity_date) == (
        LoanStatus.ACTIVE,
        discount.advance,
        document.due_date,
    )
    opened = AuditRecord.objects.get(
        action="loan.create", object_type="servicing.loan", object_id=str(loan.pk)
    )
    assert opened.after["number"] == loan.number
    (version,) = loan.schedule_versions.all()
    assert (version.number, version.reason, version.active) == (1, f"Descuento de {document}", True)


def test_a_refusal_of_the_disbursement_checks_stops_the_discount(cast, document, monkeypatch):
    def refuses(*, loan, amount):
        return TransitionRefused(f"El fondo del programa no cubre {amount}.", field="fund", rule="R-2.6")

    monkeypatch.setitem(checks._disbursement, "test.refuses", refuses)
    with pytest.raises(
        TransitionRefused, match=re.escape("El fondo del programa no cubre 1000000.00.")
    ) as exc:
        document_discount(user=cast.ana, document=document, interest_mode=InterestMode.UP_FRONT)
    assert exc.value.rule == "R-2.6"
    document.refresh_from_db()
    assert document.status == DocumentStatus.UPLOADED
    assert not Loan.objects.filter(program="cadenas_productivas").exists()
