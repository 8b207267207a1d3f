"""The demo portfolio's restructured and closed loans: one written off by the committee with a partial
recovery, one restructured by the committee (a new schedule), one paid off with its carta de finiquito and
its mortgage released; the books check clean after the load."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from filon.accounts.models import User
from filon.documents import pdf
from filon.ledger.services import ledger_check
from filon.origination.models import FileGuarantee, GuaranteeStatus, LoanRequest
from filon.servicing.models import Loan, LoanStatus, WriteOff
from filon.servicing.selectors import loan_positions
from filon.servicing.writeoff import written_off_outstanding

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_demo_has_a_written_off_and_a_paid_off_loan(capsys):
    call_command("demo", "load")
    capsys.readouterr()
    written_off = Loan.objects.get(applicant__rfc="MSO100512AB3")
    assert written_off.status == LoanStatus.WRITTEN_OFF
    write_off = WriteOff.objects.get(loan=written_off)
    assert write_off.request.status == LoanRequest.Status.APPLIED
    recovered = sum(r.amount for r in written_off.recoveries.all())
    assert 0 < recovered < write_off.total
    assert written_off_outstanding(written_off) == write_off.total - recovered

    restructured = Loan.objects.get(applicant__rfc="MDS080715QW3")
    assert restructured.status == LoanStatus.ACTIVE
    assert restructured.schedule_versions.count() >= 2
    assert (
        LoanRequest.objects.get(loan_number=restructured.number, kind=LoanRequest.Kind.RESTRUCTURING).status
        == LoanRequest.Status.APPLIED
    )

    paid_off = Loan.objects.get(applicant__rfc="APN090315KL2")
    assert paid_off.status == LoanStatus.PAID_OFF
    assert paid_off.paid_off_on is not None
    guarantees = FileGuarantee.objects.filter(file_id=paid_off.file_id)
    assert guarantees.exists()
    assert all(g.status == GuaranteeStatus.RELEASED for g in guarantees)
    html = pdf.payoff_letter_html(loan=paid_off, user=User.objects.get(username="analista.chi"))
    assert "Escritura 10,482" in html
    assert ledger_check(loan_positions=loan_positions()) == []
