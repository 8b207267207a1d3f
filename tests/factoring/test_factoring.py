"""Cadenas Productivas (P-1): EPO admission, adhesion, documents ≤ 180 days, discounts up front and at
maturity with exact figures, collection, a late EPO through the daily close, the platform fee, and the
books checking clean after each. Time is frozen on Tuesday 03/03/2026 unless a test travels."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from factoring_support import (
    TODAY,
    admit,
    authorized_epo,
    epo_file,
    frozen_today,
    supplier,
    to_authorized,
    travel,
)

from filon.errors import Forbidden, TransitionRefused, ValidationFailed
from filon.factoring.models import DocumentStatus, EpoStatus, InterestMode
from filon.factoring.services import (
    document_collect,
    document_discount,
    document_upload,
    documents_overdue_sync,
    platform_fee_charge,
    supplier_adhere,
)
from filon.ledger import chart
from filon.ledger.services import ledger_check, loan_balances
from filon.marketdata.selectors import rate_series_get
from filon.servicing.close import close_through
from filon.servicing.models import Classification, InstallmentStatus, LoanStatus

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen_today)

FACE = Decimal("1000000.00")


@pytest.fixture
def epo(cast, sample_rates):
    return authorized_epo(cast)


@pytest.fixture
def provider(cast, epo):
    firm = supplier(cast)
    supplier_adhere(
        user=cast.ana, epo=epo, supplier=firm, agreement_ref="CA-2026-001", spread=Decimal("0.03")
    )
    return firm


def upload(cast, epo, firm, days=180, number="F-1001", face=FACE, user=None):
    return document_upload(
        user=user or cast.ana,
        epo=epo,
        supplier=firm,
        kind="invoice",
        number=number,
        face_value=face,
        issue_date=TODAY - dt.timedelta(days=5),
        due_date=TODAY + dt.timedelta(days=days),
        uploaded_by="supplier",
    )


# ------------------------------------------------------------------------------------------ admission


def test_epo_admitted_by_the_comite_interno_with_a_one_to_one_mortgage(cast, epo):
    assert epo.status == EpoStatus.ADMITTED
    assert epo.committee == "comite_interno"
    assert epo.base_series == "TIIE28"  # P-1 1.5
    assert epo.line_expires_on == dt.date(2029, 3, 3)  # 36 months, line_max_months
    assert epo.next_review_on == dt.date(2027, 3, 3)  # review_months
    assert epo.file.program == "cadenas_productivas"


def test_a_mortgage_of_099_to_1_is_refused_with_the_rule(cast, sample_rates):
    file = epo_file(cast)
    to_authorized(cast, file)
    with pytest.raises(ValidationFailed) as exc:
        admit(cast, file, guarantee_value=Decimal("19800000"))
    error = exc.value.errors[0]
    assert (error.field, error.rule) == ("guarantee_value", "P-1 1.6")
    assert "0.99 a 1" in error.message
    with pytest.raises(ValidationFailed) as exc:
        admit(cast, file, guarantee_type="prenda_usada")
    assert exc.value.errors[0].rule == "P-1 1.6"


def test_admission_needs_the_committee_authorization_and_the_rule_set_ranges(cast, sample_rates):
    file = epo_file(cast)
    with pytest.raises(TransitionRefused) as exc:
        admit(cast, file)  # captured, not authorized
    assert exc.value.rule == "P-1 1"
    to_authorized(cast, file)
    with pytest.raises(ValidationFailed) as exc:
        admit(cast, file, spread=Decimal("0.05"), line_months=37)
    assert {(e.field, e.rule) for e in exc.value.errors} == {
        ("spread", "P-1 1.5"),
        ("line_months", "P-1 1.5"),
    }
    with pytest.raises(Forbidden):
        admit(cast, file, user=cast.sofia)


# ------------------------------------------------------------------------------------------ adhesion


def test_supplier_adhesion_and_its_rate_limits(cast, epo):
    firm = supplier(cast)
    with pytest.raises(ValidationFailed) as exc:
        supplier_adhere(
            user=cast.ana,
            epo=epo,
            supplier=firm,
            agreement_ref="CA-1",
            spread=Decimal("0.045"),
        )
    assert exc.value.errors[0].rule == "P-1 1.5"
    with pytest.raises(ValidationFailed) as exc:  # 4 + 3.5 points > Tasa NAFIN + 7
        supplier_adhere(
            user=cast.ana,
            epo=epo,
            supplier=firm,
            agreement_ref="CA-1",
            spread=Decimal("0.04"),
            admin_points=Decimal("0.035"),
        )
    assert exc.value.errors[0].message.startswith("La sobretasa por administración")
    with pytest.raises(ValidationFailed) as exc:
        supplier_adhere(
            user=cast.ana,
            epo=epo,
            supplier=firm,
            agreement_ref="CA-1",
            spread=Decimal("0.04"),
            admin_points=Decimal("0.03") + Decimal("0.005"),
        )
    adhesion = supplier_adhere(
        user=cast.ana,
        epo=epo,
        supplier=firm,
        agreement_ref="CA-1",
        spread=Decimal("0.04"),
        admin_points=Decimal("0.03"),
    )
    assert adhesion.active
    assert adhesion.supplier == firm


# ------------------------------------------------------------------------------------------ documents


def test_a_document_due_in_180_days_is_accepted_and_181_refused_with_the_rule(cast, epo, provider):
    document = upload(cast, epo, provider, days=180)
    assert document.status == DocumentStatus.UPLOADED
    with pytest.raises(ValidationFailed) as exc:
        upload(cast, epo, provider, days=181, number="F-1002")
    error = exc.value.errors[0]
    assert (error.field, error.rule) == ("due_date", "P-1 1.5")
    assert "hasta 180 días" in error.message
    assert "a 181 días" in error.message


def test_a_supplier_not_adhered_is_refused_with_the_rule(cast, epo):
    stranger = supplier(cast, name="Fletes del Desierto, S.A. de C.V.", rfc="FDE100101AB5")
    with pytest.raises(TransitionRefused) as exc:
        upload(cast, epo, stranger)
    assert (exc.value.field, exc.value.rule) == ("supplier", "P-1 1")
    assert "no está adherido" in exc.value.message


def test_documents_beyond_the_line_are_refused(cast, epo, provider):
    upload(cast, epo, provider, face=Decimal("19500000.00"))
    with pytest.raises(ValidationFailed) as exc:
        upload(cast, epo, provider, number="F-2", face=Decimal("500000.01"))
    assert exc.value.errors[0].field == "face_value"
    assert "$" not in exc.value.errors[0].message or "500,000.00" in exc.value.errors[0].message


def test_another_office_cannot_upload(cast, epo, provider):
    with pytest.raises(Forbidden):
        upload(cast, epo, provider, user=cast.sofia)


# ------------------------------------------------------------------------------------------ discount


def _base() -> Decimal:
    return rate_series_get("TIIE28").value_before(TODAY)


def test_discount_with_interest_up_front(cast, epo, provider):
    document = upload(cast, epo, provider, days=90)
    discount = document_discount(user=cast.ana, document=document, interest_mode=InterestMode.UP_FRONT)
    rate = _base() + Decimal("0.03")
    assert discount.rate == rate
    assert discount.days == 90
    interest = (FACE * rate * 90 / 360).quantize(Decimal("0.01"))
    assert discount.interest == interest
    # I-9 (P-1 1.3): the supplier discounts «sin comisiones»; only the up-front interest is kept back.
    assert (discount.commission, discount.commission_iva) == (Decimal("0.00"), Decimal("0.00"))
    assert discount.disbursed_amount == FACE - interest
    loan = discount.loan
    assert (loan.program, loan.credit_type, loan.applicant) == (
        "cadenas_productivas",
        "avio_revolvente_proveedores",
        epo.applicant,
    )
    (row,) = loan.installments.all()
    assert (row.principal, row.interest, row.due) == (FACE, Decimal("0"), TODAY + dt.timedelta(days=90))
    assert loan_balances(loan.pk) == {chart.CARTERA_VIGENTE: FACE}
    assert ledger_check() == []
    document.refresh_from_db()
    assert document.status == DocumentStatus.DISCOUNTED


def test_discount_exact_figures_up_front(cast, epo, provider):
    """By hand: TIIE 28 of the sample published 02/03/2026 is 7.54 % (C-5: the latest before 03/03), + 3
    points = 10.54 %; 90 days on 1,000,000.00 → 26,350.00; no commission on the supplier (P-1 1.3, I-9)."""
    document = upload(cast, epo, provider, days=90)
    discount = document_discount(user=cast.ana, document=document, interest_mode=InterestMode.UP_FRONT)
    assert (discount.base_rate, discount.rate) == (Decimal("0.0754"), Decimal("0.1054"))
    assert discount.interest == Decimal("26350.00")
    assert (discount.commission, discount.commission_iva) == (Decimal("0.00"), Decimal("0.00"))
    assert discount.disbursed_amount == Decimal("973650.00")
    entry = discount.loan.disbursements.get().entry
    postings = {(p.account.code, p.amount) for p in entry.postings.select_related("account")}
    assert postings == {
        (chart.CARTERA_VIGENTE, Decimal("1000000.00")),
        (chart.BANCOS, Decimal("-973650.00")),
        (chart.INGRESOS_INTERESES, Decimal("-26350.00")),
    }


def test_discount_with_interest_at_maturity_and_collection(cast, epo, provider):
    document = upload(cast, epo, provider, days=60)
    discount = document_discount(user=cast.ana, document=document, interest_mode=InterestMode.AT_MATURITY)
    interest = Decimal("17566.67")  # 1,000,000.00 × 10.54 % × 60 / 360 = 17,566.666…
    assert discount.interest == interest
    assert discount.disbursed_amount == Decimal("1000000.00")  # interest at maturity; no commission (I-9)
    (row,) = discount.loan.installments.all()
    assert row.interest == interest
    TODAY + dt.timedelta(days=60)  # Saturday 02/05/2026: payable Monday 04/05
    assert row.payable == dt.date(2026, 5, 4)
    with travel(row.payable):
        document_collect(user=cast.ana, document=document, value_date=row.payable)
    document.refresh_from_db()
    discount.refresh_from_db()
    loan = discount.loan
    loan.refresh_from_db()
    assert document.status == DocumentStatus.COLLECTED
    assert discount.collected_on == row.payable
    assert loan.status == LoanStatus.PAID_OFF
    payment = loan.payments.get()
    assert payment.amount == Decimal("1017566.67")
    assert loan_balances(loan.pk) == {}
    assert ledger_check() == []


def test_a_late_epo_enters_the_overdue_flow_with_moratorium(cast, epo, provider):
    document = upload(cast, epo, provider, days=30)
    discount = document_discount(user=cast.ana, document=document, interest_mode=InterestMode.AT_MATURITY)
    (row,) = discount.loan.installments.all()
    assert row.due == dt.date(2026, 4, 2)  # Holy Thursday, a bank holiday: payable Monday 06/04
    assert row.payable == dt.date(2026, 4, 6)
    late_close = row.payable + dt.timedelta(days=10)
    with travel(late_close):
        close_through(business_date=late_close)
        out = io.StringIO()
        call_command("factoring", "sync", stdout=out)
        assert out.getvalue().strip() == "Documentos actualizados: 1."
        assert documents_overdue_sync() == 0  # idempotent
    loan = discount.loan
    loan.refresh_from_db()
    row.refresh_from_db()
    assert row.status == InstallmentStatus.OVERDUE
    assert loan.days_past_due == 10
    assert loan.accrued_interest == discount.interest
    assert discount.interest == Decimal("8783.33")  # 30 days at 10.54 %
    # 9.2.5: 1.5 × the ordinary rate on the unpaid principal, 10 days after the payable date, Actual/360
    mora = Decimal("4391.67")
    assert loan.accrued_moratorium == mora
    assert loan.classification == Classification.VIGENTE  # single payment: vencida after 30 days
    document.refresh_from_db()
    assert document.status == DocumentStatus.OVERDUE
    assert ledger_check() == []
    pay_day = late_close + dt.timedelta(days=1)
    with travel(pay_day):
        document_collect(user=cast.ana, document=document, value_date=pay_day)
    loan.refresh_from_db()
    document.refresh_from_db()
    assert loan.status == LoanStatus.PAID_OFF
    assert document.status == DocumentStatus.COLLECTED
    payment = loan.payments.get()
    # one more day of moratorium for the payment on the day after the close: 11 days in all, 4,830.83 (not
    # 4,391.67 + a day's 439.17 rounded apart)
    assert payment.amount == FACE + discount.interest + Decimal("4830.83")
    assert loan_balances(loan.pk) == {}
    assert ledger_check() == []


def test_a_document_already_discounted_is_not_discounted_again(cast, epo, provider):
    document = upload(cast, epo, provider, days=30)
    document_discount(user=cast.ana, document=document, interest_mode=InterestMode.UP_FRONT)
    with pytest.raises(TransitionRefused):
        document_discount(user=cast.ana, document=document, interest_mode=InterestMode.UP_FRONT)


# ------------------------------------------------------------------------------------------ platform fee


def test_platform_fee_on_the_average_daily_balance(cast, epo, provider):
    document = upload(cast, epo, provider, days=58)  # due 30/04/2026
    document_discount(user=cast.ana, document=document, interest_mode=InterestMode.UP_FRONT)
    with pytest.raises(TransitionRefused) as exc:
        platform_fee_charge(user=cast.ana, epo=epo, month=dt.date(2026, 3, 1))
    assert exc.value.rule == "P-1 1.5"
    with travel(dt.date(2026, 4, 1)):
        fee = platform_fee_charge(user=cast.ana, epo=epo, month=dt.date(2026, 3, 1))
        with pytest.raises(TransitionRefused):
            platform_fee_charge(user=cast.ana, epo=epo, month=dt.date(2026, 3, 1))
    # 1,000,000.00 outstanding from 03/03 to 31/03: 29 of 31 days
    assert fee.average_balance == Decimal("935483.87")
    assert fee.rate == Decimal("0.005")  # illustrative setting
    assert fee.fee == (Decimal("935483.87") * Decimal("0.005") * 31 / 360).quantize(Decimal("0.01"))
    assert fee.iva == (fee.fee * Decimal("0.16")).quantize(Decimal("0.01"))
    assert (fee.fee, fee.iva) == (Decimal("402.78"), Decimal("64.44"))
    assert ledger_check() == []


def test_the_monthly_fee_command_charges_each_epo_once(cast, epo, provider):
    document = upload(cast, epo, provider, days=58)
    document_discount(user=cast.ana, document=document, interest_mode=InterestMode.AT_MATURITY)
    with travel(dt.date(2026, 4, 1)):
        out = io.StringIO()
        call_command("factoring", "fees", "--month", "2026-03", "--user", "ana.zac", stdout=out)
        assert "saldo promedio $935,483.87, contraprestación $402.78 + IVA $64.44" in out.getvalue()
        again = io.StringIO()
        call_command("factoring", "fees", "--month", "2026-03", "--user", "ana.zac", stdout=again)
        assert again.getvalue().strip() == "EPO con contraprestación cobrada: 0."
    assert epo.platform_fees.count() == 1


def test_a_payment_on_the_loan_page_marks_the_document_collected_on_sync(cast, epo, provider):
    from filon.servicing.payments import payment_apply

    document = upload(cast, epo, provider, days=60)
    discount = document_discount(user=cast.ana, document=document, interest_mode=InterestMode.UP_FRONT)
    (row,) = discount.loan.installments.all()
    with travel(row.payable):
        payment_apply(
            user=cast.ana, loan=discount.loan, amount=FACE, value_date=row.payable, idempotency_key="epo-1"
        )
        assert documents_overdue_sync() == 1
    document.refresh_from_db()
    discount.refresh_from_db()
    assert document.status == DocumentStatus.COLLECTED
    assert discount.collected_on == row.payable


def test_a_document_unpaid_30_days_after_maturity_becomes_cartera_vencida(cast, epo, provider):
    document = upload(cast, epo, provider, days=30)
    discount = document_discount(user=cast.ana, document=document, interest_mode=InterestMode.UP_FRONT)
    (row,) = discount.loan.installments.all()
    assert row.interest == 0
    day = dt.date(2026, 5, 8)  # 32 days after the payable Monday 06/04
    with travel(day):
        close_through(business_date=day)
        documents_overdue_sync()
    loan = discount.loan
    loan.refresh_from_db()
    assert loan.days_past_due == 32
    assert loan.classification == Classification.VENCIDA  # single payment at maturity: 30 days (CNBV B-6)
    assert loan.accrued_interest == 0  # charged up front
    assert loan.accrued_moratorium > 0
    assert loan_balances(loan.pk).get(chart.CARTERA_VENCIDA) == FACE
    document.refresh_from_db()
    assert document.status == DocumentStatus.OVERDUE
    assert ledger_check() == []


# ------------------------------------------------------------------------------------------ life of the line


def test_a_lapsed_annual_review_stops_new_documents_until_recorded(cast, epo, provider):
    from filon.factoring.services import epo_review

    later = dt.date(2027, 3, 4)  # the day after the review was due
    with travel(later):
        with pytest.raises(TransitionRefused) as exc:
            upload(cast, epo, provider, number="F-R")
        assert exc.value.rule == "P-1 1.5"
        with pytest.raises(Forbidden):
            epo_review(user=cast.ana, epo=epo)
        epo = epo_review(user=cast.gerardo, epo=epo)
        assert epo.next_review_on == dt.date(2028, 3, 4)
        document = document_upload(
            user=cast.ana,
            epo=epo,
            supplier=provider,
            kind="invoice",
            number="F-R",
            face_value=FACE,
            issue_date=later,
            due_date=later + dt.timedelta(days=30),
            uploaded_by="epo",
        )
    assert document.status == DocumentStatus.UPLOADED


def test_a_suspended_epo_and_a_withdrawn_supplier_publish_nothing(cast, epo, provider):
    from filon.factoring.models import SupplierAdhesion
    from filon.factoring.services import epo_status_set, supplier_withdraw

    document = upload(cast, epo, provider, number="F-S1")
    epo_status_set(user=cast.gerardo, epo=epo, status="suspended", reason="Incumplimiento del convenio")
    with pytest.raises(TransitionRefused):
        upload(cast, epo, provider, number="F-S2")
    with pytest.raises(TransitionRefused):
        document_discount(user=cast.ana, document=document, interest_mode=InterestMode.UP_FRONT)
    epo_status_set(user=cast.gerardo, epo=epo, status="admitted", reason="Convenio regularizado")
    adhesion = SupplierAdhesion.objects.get(epo=epo, supplier=provider)
    supplier_withdraw(user=cast.ana, adhesion=adhesion, reason="Dejó de ser proveedor")
    with pytest.raises(TransitionRefused) as exc:
        upload(cast, epo, provider, number="F-S3")
    assert exc.value.rule == "P-1 1"
    with pytest.raises(TransitionRefused):
        document_discount(user=cast.ana, document=document, interest_mode=InterestMode.UP_FRONT)


def test_a_document_cannot_fall_due_after_the_line(cast, sample_rates):
    file = epo_file(cast)
    to_authorized(cast, file)
    epo = admit(cast, file, line_months=3)  # the line ends 03/06/2026
    firm = supplier(cast)
    supplier_adhere(user=cast.ana, epo=epo, supplier=firm, agreement_ref="CA-3", spread=Decimal("0.02"))
    with pytest.raises(ValidationFailed) as exc:
        upload(cast, epo, firm, days=100)
    assert (exc.value.errors[0].field, exc.value.errors[0].rule) == ("due_date", "P-1 1.5")
    assert upload(cast, epo, firm, days=92).due_date == dt.date(2026, 6, 3)
