"""A paid-off loan: «liquidado» with its date once every obligation is paid, its carta de finiquito (the
figures paid, the statement that nothing remains owed, user text escaped) and the legal release of the
guarantees of its file — refused before the loan is liquidado and to any role but the legal area.

Time is frozen on Tuesday 03/03/2026; the loan (1.2 M MXN, 6 monthly payments) was disbursed on Monday
05/01/2026 and is paid off today with a prepayment notified in time.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conftest import proposal_data, to_ready
from filon.audit.models import AuditRecord
from filon.core.calendar import today_mx
from filon.demo.scenarios import loan_disburse
from filon.documents import pdf
from filon.errors import Forbidden, TransitionRefused, ValidationFailed
from filon.origination.models import FileGuarantee, GuaranteeStatus
from filon.servicing.models import GuaranteeRelease, Loan, LoanStatus
from filon.servicing.payments import payment_apply
from filon.servicing.payoff import guarantee_release_record, payoff_summary
from filon.servicing.selectors import loan_payoff
from filon.servicing.services import commission_pay, loan_create_from_file
from web.web_support import frozen

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)

DISBURSED = dt.date(2026, 1, 5)


def disbursed_loan(cast, applicant) -> Loan:
    from filon.origination.services import file_create

    file = file_create(
        user=cast.ana,
        applicant=applicant,
        proposal=proposal_data(amount=Decimal("1200000"), term_months=6, grace_months=0),
    )
    to_ready(cast, file)
    loan = loan_create_from_file(user=cast.ana, file=file)
    commission_pay(user=cast.ana, loan=loan, value_date=DISBURSED)
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=Decimal("1200000"),
        value_date=DISBURSED,
    )
    loan.refresh_from_db()
    return loan


def pay_off(cast, loan: Loan) -> Loan:
    today = today_mx()
    payment_apply(
        user=cast.ana,
        loan=loan,
        amount=loan_payoff(loan=loan, on=today).total,
        value_date=today,
        idempotency_key="liquidacion",
        prepayment=True,
        notified_on=today - dt.timedelta(days=30),
    )
    loan.refresh_from_db()
    return loan


@pytest.fixture
def paid_off(cast, applicant, sample_rates) -> Loan:
    return pay_off(cast, disbursed_loan(cast, applicant))


def test_a_loan_owing_nothing_is_liquidado_with_its_date(paid_off):
    assert paid_off.status == LoanStatus.PAID_OFF
    assert paid_off.paid_off_on == today_mx()
    assert (paid_off.principal_balance, paid_off.accrued_interest, paid_off.accrued_moratorium) == (0, 0, 0)
    assert AuditRecord.objects.filter(action="loan.paid_off", object_id=str(paid_off.pk)).exists()


def test_payoff_summary_adds_up_what_was_paid(paid_off):
    summary = payoff_summary(loan=paid_off)
    assert summary.disbursed == summary.principal == Decimal("1200000")
    assert summary.interest > 0
    assert summary.total == summary.principal + summary.interest + summary.moratorium
    assert summary.paid_off_on == today_mx()


def test_no_carta_before_the_loan_is_liquidado(cast, applicant, sample_rates):
    loan = disbursed_loan(cast, applicant)
    with pytest.raises(TransitionRefused, match="no está liquidado"):
        pdf.payoff_letter_html(loan=loan, user=cast.ana)


def test_carta_de_finiquito_names_the_loan_the_borrower_the_amounts_and_no_balance(cast, paid_off):
    FileGuarantee.objects.filter(file_id=paid_off.file_id).update(owner="<b>Dueño & Cía</b>")
    summary = payoff_summary(loan=paid_off)
    html = pdf.payoff_letter_html(loan=paid_off, user=cast.ana)
    assert "&lt;b&gt;Dueño &amp; Cía&lt;/b&gt;" in html
    assert "<b>Dueño" not in html
    assert pdf.render_pdf(html).startswith(b"%PDF")
    text = _laid_out_text(html)
    for shown in (
        paid_off.number,
        paid_off.applicant.name,
        "03/03/2026",
        "no existe saldo alguno",
        "$1,200,000.00",
        f"${summary.interest:,.2f}",
        "Recibí de conformidad",
    ):
        assert shown in text, shown
    assert "<b>Dueño&Cía</b>" in text.replace(" ", "")  # the owner's text as typed, in a table cell


def _laid_out_text(html: str) -> str:
    """The text of the document as WeasyPrint laid it out on its pages (what the PDF prints)."""
    words: list[str] = []
    for page in pdf.pdf_document(html).pages:
        words += [box.text for box in page._page_box.descendants() if hasattr(box, "text")]
    return " ".join(" ".join(words).split())


def test_guarantees_are_released_by_the_legal_area_after_payoff(cast, paid_off):
    guarantee = FileGuarantee.objects.filter(file_id=paid_off.file_id).first()
    assert guarantee is not None
    release = guarantee_release_record(
        user=cast.julia,
        loan=paid_off,
        guarantee=guarantee,
        released_on=today_mx(),
        instrument="Escritura 4512 de cancelación de hipoteca",
        notes="Notaría 12 de Zacatecas",
    )
    guarantee.refresh_from_db()
    assert guarantee.status == GuaranteeStatus.RELEASED
    assert release.released_on == today_mx()
    assert release.loan_id == paid_off.pk
    assert AuditRecord.objects.filter(action="loan.guarantee_release", object_id=str(release.pk)).exists()
    assert AuditRecord.objects.filter(action="guarantee.released", object_id=str(guarantee.pk)).exists()
    with pytest.raises(TransitionRefused, match="ya no está vigente"):
        guarantee_release_record(
            user=cast.julia, loan=paid_off, guarantee=guarantee, released_on=today_mx(), instrument="Otra"
        )
    assert "Liberada el 03/03/2026" in pdf.payoff_letter_html(loan=paid_off, user=cast.ana)


def test_release_refused_before_payoff_to_other_roles_and_without_instrument(cast, applicant, sample_rates):
    loan = disbursed_loan(cast, applicant)
    guarantee = FileGuarantee.objects.filter(file_id=loan.file_id).first()
    with pytest.raises(TransitionRefused, match="liquidado"):
        guarantee_release_record(
            user=cast.julia, loan=loan, guarantee=guarantee, released_on=today_mx(), instrument="Escritura"
        )
    loan = pay_off(cast, loan)
    for user in (cast.ana, cast.gerardo, cast.omar):
        with pytest.raises(Forbidden):
            guarantee_release_record(
                user=user, loan=loan, guarantee=guarantee, released_on=today_mx(), instrument="Escritura"
            )
    with pytest.raises(ValidationFailed) as refused:
        guarantee_release_record(
            user=cast.julia,
            loan=loan,
            guarantee=guarantee,
            released_on=today_mx() - dt.timedelta(days=90),
            instrument="  ",
        )
    assert {e.field for e in refused.value.errors} == {"instrument", "released_on"}
    assert not GuaranteeRelease.objects.exists()
