"""The scenario builder (filon.demo.scenarios): a file walked to a disbursed, paid loan through the services,
and the demo's place at the top of the layers."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine

from conftest import applicant_data, proposal_data
from filon.audit.models import AuditRecord
from filon.committees.models import CommitteeSession, SessionStatus, Vote
from filon.core.calendar import MEXICO_CITY
from filon.demo.scenarios import (
    DEMO_PASSWORD,
    demo_cast_create,
    demo_crew,
    installments_pay,
    loan_originate,
)
from filon.ledger import chart
from filon.ledger.services import ledger_check, loan_balances
from filon.origination.models import FileStatus
from filon.origination.services import GuaranteeData
from filon.servicing.models import InstallmentStatus, LoanStatus
from filon.servicing.selectors import loan_positions

SRC = Path(__file__).resolve().parents[2] / "src" / "filon"
TODAY = dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY)
CONTRACTED = dt.date(2025, 9, 1)  # a Monday, six months back: six installments fall due by TODAY
AMOUNT = Decimal("8000000")


@pytest.mark.django_db
def test_the_builder_walks_a_file_to_a_paid_loan_through_the_services(sample_rates):
    with time_machine.travel(TODAY, tick=False):
        users = demo_cast_create(only=None)
        crew = demo_crew(users, "ZAC")
        file, loan = loan_originate(
            crew=crew,
            applicant=applicant_data(),
            proposal=proposal_data(
                amount=AMOUNT, investment_program=Decimal("9500000"), term_months=36, grace_months=0
            ),
            guarantees=[
                GuaranteeData(
                    type="hipoteca_industrial",
                    owner="Minera La Veta Madre",
                    description="Nave industrial en Fresnillo",
                    value=Decimal("24000000"),
                    appraisal_date=CONTRACTED - dt.timedelta(days=30),
                    appraiser="Valuadores del Centro",
                )
            ],
            on=CONTRACTED,
            conditions="Seguro de la nave a favor del FIFOMI",
            committee="comite_interno",
            disburse=AMOUNT,
        )
        paid = installments_pay(loan, user=crew.analyst, through=TODAY.date())

    file.refresh_from_db()
    loan.refresh_from_db()
    assert file.status == FileStatus.READY_TO_DISBURSE
    assert file.authorized_on == CONTRACTED
    assert file.conditions == "Seguro de la nave a favor del FIFOMI"
    # The committee sat: convened on the day, every member present voted, the minutes closed it.
    session = CommitteeSession.objects.get()
    assert (session.committee, session.date, session.status) == (
        "comite_interno",
        CONTRACTED,
        SessionStatus.CLOSED,
    )
    assert set(Vote.objects.values_list("member__username", flat=True)) == {
        "comite.marta",
        "comite.luis",
        "comite.elena",
    }
    # Each step went through its service, which left its audit record.
    actions = set(AuditRecord.objects.values_list("action", flat=True))
    assert actions >= {
        "applicant.create",
        "file.create",
        "guarantee.add",
        "requirement.upload",
        "requirement.review",
        "requirement.legal_opinion",
        "file.requirements_complete",
        "file.start_analysis",
        "file.propose",
        "committee_session.convene",
        "committee_vote.cast",
        "committee_resolution.authorized",
        "file.resolve.authorized",
        "file.formalize",
        "file.ready_to_disburse",
        "loan.create",
        "loan.commission_pay",
        "loan.disburse",
        "payment.apply",
    }
    # The loan: disbursed, every installment due by today paid, the ledger agreeing with it.
    assert loan.status == LoanStatus.ACTIVE
    assert paid == 6  # October to March
    due = loan.installments.filter(version__active=True, payable__lte=TODAY.date())
    assert due.count() == paid
    assert set(due.values_list("status", flat=True)) == {InstallmentStatus.PAID}
    assert loan.payments.count() == paid
    assert loan.principal_balance < AMOUNT
    assert loan_balances(loan.pk)[chart.CARTERA_VIGENTE] == loan.principal_balance
    assert ledger_check(loan_positions=loan_positions()) == []
    assert users["analista.zac"].check_password(DEMO_PASSWORD)


def _imports(path: Path) -> set[str]:
    """The filon modules a source file imports (at any indentation)."""
    text = path.read_text(encoding="utf-8")
    found = set(re.findall(r"^\s*from (filon(?:\.\w+)+) import", text, re.MULTILINE))
    found |= set(re.findall(r"^\s*import (filon(?:\.\w+)+)", text, re.MULTILINE))
    return found


def test_only_the_demo_app_imports_the_demo_portfolio():
    importers = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if any(name.startswith("filon.demo.portfolio") for name in _imports(path))
    )
    assert importers
    assert all(name.startswith("demo/") for name in importers), importers


def test_accounts_imports_no_app_above_it():
    # The pure core and rules, the audit log, and the project-wide helpers that hold no business rule.
    allowed = {"core", "rules", "audit", "errors", "centavos", "env", "limits", "platform", "accounts"}
    imported = {
        name.split(".")[1]: str(path.relative_to(SRC))
        for path in (SRC / "accounts").rglob("*.py")
        for name in _imports(path)
    }
    assert set(imported) <= allowed, {k: v for k, v in imported.items() if k not in allowed}
