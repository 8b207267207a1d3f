"""Loans from formalized files: commission, disbursements, schedule versions, tasks, the ledger."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from conftest import proposal_data, to_ready
from filon.core.calendar import today_mx
from filon.demo.scenarios import loan_disburse
from filon.errors import TransitionRefused, ValidationFailed
from filon.ledger import chart
from filon.ledger.services import ledger_check, loan_balances
from filon.servicing.models import LoanStatus, TaskKind
from filon.servicing.services import commission_pay, loan_create_from_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def loan(cast, credit_file, sample_rates):
    to_ready(cast, credit_file)
    return loan_create_from_file(user=cast.ana, file=credit_file)


def test_loan_pins_rule_set_rate_and_terms(cast, loan, credit_file):
    assert loan.number == f"CR-{credit_file.folio}"
    assert (loan.ruleset_version, loan.currency, loan.contracted_amount) == (
        "RO-2010-1160",
        "MXN",
        Decimal("12000000"),
    )
    assert loan.base_series == "TIIE_FONDEO"  # contracted from 2025: C-9
    assert loan.spread == Decimal("0.035")
    assert loan.moratorium_factor == Decimal("1.5")
    assert (loan.opening_commission, loan.opening_commission_iva) == (
        Decimal("180000.00"),
        Decimal("28800.00"),
    )
    assert loan.status == LoanStatus.PENDING


def test_no_disbursement_before_the_commission(cast, loan):
    with pytest.raises(TransitionRefused) as exc:
        loan_disburse(
            captured_by=cast.ana,
            released_by=cast.gerardo,
            loan=loan,
            amount=Decimal("1000000"),
            value_date=today_mx(),
        )
    assert exc.value.rule == "14"
    assert loan.disbursements.count() == 0


def test_disbursement_builds_the_schedule_and_posts_to_the_ledger(cast, loan):
    day = today_mx()
    commission_pay(user=cast.ana, loan=loan, value_date=day)
    loan_disburse(
        captured_by=cast.ana, released_by=cast.gerardo, loan=loan, amount=Decimal("12000000"), value_date=day
    )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACTIVE
    assert loan.principal_balance == Decimal("12000000")
    version = loan.schedule_versions.get(active=True)
    rows = list(version.installments.order_by("number"))
    assert len(rows) == 84
    assert sum(r.principal for r in rows) == Decimal("12000000")
    assert all(r.principal == 0 for r in rows[:12])  # 12 months of grace pay interest only
    balances = loan_balances(loan.pk)
    assert balances == {chart.CARTERA_VIGENTE: Decimal("12000000.00")}
    assert ledger_check(loan_positions={loan.pk: {chart.CARTERA_VIGENTE: loan.principal_balance}}) == []
    kinds = set(loan.tasks.values_list("kind", flat=True))
    assert kinds == {
        TaskKind.PROOF_OF_USE,
        TaskKind.QUARTERLY_VISIT,
        TaskKind.ANNUAL_STATEMENTS,
        TaskKind.INSURANCE,
    }
    proof = loan.tasks.get(kind=TaskKind.PROOF_OF_USE)
    assert (proof.due_on, proof.rule) == (day + timedelta(days=90), "13")


def test_a_second_disbursement_makes_a_new_schedule_version(cast, loan):
    day = today_mx()
    commission_pay(user=cast.ana, loan=loan, value_date=day)
    loan_disburse(
        captured_by=cast.ana, released_by=cast.gerardo, loan=loan, amount=Decimal("7000000"), value_date=day
    )
    loan_disburse(
        captured_by=cast.ana, released_by=cast.gerardo, loan=loan, amount=Decimal("5000000"), value_date=day
    )
    versions = list(loan.schedule_versions.order_by("number"))
    assert [v.active for v in versions] == [False, True]
    assert sum(r.principal for r in versions[1].installments.all()) == Decimal("12000000")
    with pytest.raises(ValidationFailed, match="excede el monto contratado"):
        loan_disburse(
            captured_by=cast.ana, released_by=cast.gerardo, loan=loan, amount=Decimal("0.01"), value_date=day
        )


def test_revolving_line_drawdowns(cast, applicant, sample_rates):
    from filon.origination.services import file_create

    f = file_create(
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
    to_ready(cast, f)
    line = loan_create_from_file(user=cast.ana, file=f)
    assert line.is_revolving
    assert (line.revolvency_min_days, line.revolvency_max_days) == (30, 180)
    commission_pay(user=cast.ana, loan=line, value_date=today_mx())
    with pytest.raises(ValidationFailed):
        loan_disburse(
            captured_by=cast.ana,
            released_by=cast.gerardo,
            loan=line,
            amount=Decimal("1000000"),
            value_date=today_mx(),
            drawdown_days=181,
        )
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=line,
        amount=Decimal("3000000"),
        value_date=today_mx(),
        drawdown_days=90,
    )
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=line,
        amount=Decimal("2000000"),
        value_date=today_mx(),
        drawdown_days=30,
    )
    with pytest.raises(ValidationFailed, match="saldo disponible"):
        loan_disburse(
            captured_by=cast.ana,
            released_by=cast.gerardo,
            loan=line,
            amount=Decimal("0.01"),
            value_date=today_mx(),
            drawdown_days=30,
        )
    line.refresh_from_db()
    assert line.principal_balance == Decimal("5000000")
    assert line.installments.count() == 2
    assert loan_balances(line.pk) == {chart.CARTERA_VIGENTE: Decimal("5000000.00")}


def test_accrual_reaches_the_installment_interest_on_its_due_date(cast, loan):
    from filon.ledger.services import ledger_check
    from filon.servicing.accrual import loan_accrue
    from filon.servicing.selectors import loan_position

    day = today_mx()
    commission_pay(user=cast.ana, loan=loan, value_date=day)
    loan_disburse(
        captured_by=cast.ana, released_by=cast.gerardo, loan=loan, amount=Decimal("12000000"), value_date=day
    )
    loan.refresh_from_db()
    first = loan.installments.get(number=1, version__active=True)
    mid = first.start + timedelta(days=(first.due - first.start).days // 2 - 1)
    from django.db import transaction

    with transaction.atomic():
        loan_accrue(loan=loan, through=mid)
    first.refresh_from_db()
    half = first.interest * ((mid - first.start).days + 1) / (first.due - first.start).days
    assert abs(first.interest_accrued - half) <= Decimal("0.01")
    with transaction.atomic():
        loan_accrue(loan=loan, through=first.due - timedelta(days=1))
    first.refresh_from_db()
    loan.refresh_from_db()
    assert first.interest_accrued == first.interest
    assert loan.accrued_interest == first.interest
    assert ledger_check(loan_positions={loan.pk: loan_position(loan)}) == []


def test_no_disbursement_while_past_due(cast, loan):
    from filon.servicing.models import Loan

    commission_pay(user=cast.ana, loan=loan, value_date=today_mx())
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=Decimal("6000000"),
        value_date=today_mx(),
    )
    Loan.objects.filter(pk=loan.pk).update(days_past_due=3)
    loan.refresh_from_db()
    with pytest.raises(TransitionRefused) as exc:
        loan_disburse(
            captured_by=cast.ana,
            released_by=cast.gerardo,
            loan=loan,
            amount=Decimal("1000000"),
            value_date=today_mx(),
        )
    assert exc.value.rule == "6"
    assert loan.disbursements.count() == 1
