"""A hypothesis state machine over servicing: random disbursements, payments (early, late, partial,
duplicated keys, prepayments), reversals, daily closes, write-offs authorized by the committee and
recoveries on written-off loans, and restructurings, on several loans. After every step the books
balance and `ledger check` finds no breach: each entry balances, nothing is posted on a closed date, and
every loan's ledger balances equal its servicing position; and what the loan page keeps under each loan's
revision mark is what it would compute afresh. A written-off loan owes nothing on the books (its receivables
went to the loss account) and a recovery never reopens them.

A restructuring authorized by the committee gives a loan a new schedule on the day it is applied.

Each example runs inside one transaction that is rolled back at teardown, and travels in time from a
fixed business day, so the daily closes and value dates are deterministic.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from filon.core.calendar import MEXICO_CITY, is_business_day, next_business_day
from filon.errors import DomainError
from filon.ledger.services import ledger_check, loan_balances, trial_balance
from filon.servicing.models import Loan, LoanStatus, Payment, PaymentStatus
from filon.servicing.selectors import loan_positions

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=False)]

START = date(2026, 2, 3)  # a Tuesday, a business day


class Books(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.today = START
        self.traveller = time_machine.travel(datetime.combine(START, time(10), MEXICO_CITY), tick=False)
        self.traveller.start()
        self.loans: list[Loan] = []
        self.keys_used: list[tuple[int, str]] = []

    def teardown(self) -> None:
        self.traveller.stop()
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    @initialize()
    def portfolio(self) -> None:
        from conftest import _user, applicant_data
        from filon.accounts.services import regional_offices_sync
        from filon.applicants.services import applicant_create
        from filon.rules import load_ruleset_for_date

        offices = {o.code: o for o in regional_offices_sync()}
        from filon.marketdata.services import sample_load

        sample_load()  # the FIX a credit file is opened with (the loans themselves are at a fixed rate)
        self.user = _user("ana.estado", "analista", offices["ZAC"])
        self.manager = _user("gerardo.estado", "gerente_regional", offices["ZAC"])
        self.applicant = applicant = applicant_create(user=self.user, data=applicant_data()).obj
        ruleset = load_ruleset_for_date(START)
        for number, (amount, term, revolving) in enumerate(
            [(Decimal("1200000"), 12, False), (Decimal("600000"), 6, False), (Decimal("300000"), 12, True)], 1
        ):
            self.loans.append(
                Loan.objects.create(
                    number=f"CR-ESTADO-{number}",
                    applicant=applicant,
                    office=offices["ZAC"],
                    program="primer_piso",
                    credit_type="avio_revolvente" if revolving else "habilitacion_avio",
                    currency="MXN",
                    ruleset_version=ruleset.version,
                    contracted_amount=amount,
                    contract_date=START,
                    fixed_rate=Decimal("0.12"),
                    moratorium_factor=ruleset.rates.moratorium_factor,
                    term_months=term,
                    is_revolving=revolving,
                    line_expires_on=START + timedelta(days=365) if revolving else None,
                    revolvency_min_days=30 if revolving else None,
                    revolvency_max_days=180 if revolving else None,
                    created_by=self.user,
                )
            )

    # ----------------------------------------------------------------------------------------- rules

    @rule(
        index=st.integers(0, 2),
        share=st.sampled_from(["1", "0.5", "0.25"]),
        days=st.sampled_from([30, 60, 90]),
    )
    def disburse(self, index: int, share: str, days: int) -> None:
        from filon.demo.scenarios import loan_disburse

        loan = Loan.objects.get(pk=self.loans[index].pk)
        amount = (loan.contracted_amount * Decimal(share)).quantize(Decimal("0.01"))
        # Over the limit, no period left, line exhausted, past due: refused, and nothing changes.
        with contextlib.suppress(DomainError):
            loan_disburse(
                captured_by=self.user,
                released_by=self.manager,
                loan=loan,
                amount=amount,
                value_date=self.today,
                drawdown_days=days if loan.is_revolving else None,
            )

    @rule(
        index=st.integers(0, 2),
        amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("400000"), places=2),
        key=st.sampled_from(["a", "b", "c", "d", "e", "f"]),
        prepayment=st.booleans(),
    )
    def pay(self, index: int, amount: Decimal, key: str, prepayment: bool) -> None:
        from filon.servicing.payments import payment_apply

        loan = Loan.objects.get(pk=self.loans[index].pk)
        try:
            first = payment_apply(
                user=self.user,
                loan=loan,
                amount=amount,
                value_date=self.today,
                idempotency_key=key,
                prepayment=prepayment,
                notified_on=self.today - timedelta(days=7),
            )
        except DomainError:
            return
        again = payment_apply(
            user=self.user,
            loan=loan,
            amount=amount,
            value_date=self.today,
            idempotency_key=key,
            prepayment=prepayment,
            notified_on=self.today - timedelta(days=7),
        )
        assert again.pk == first.pk  # the same key posts once and returns the first result
        assert Payment.objects.filter(loan=loan, idempotency_key=key).count() == 1

    @rule(index=st.integers(0, 2))
    def reverse_latest(self, index: int) -> None:
        from filon.demo.scenarios import payment_reversal

        latest = (
            Payment.objects.filter(loan_id=self.loans[index].pk, status=PaymentStatus.APPLIED)
            .order_by("-value_date", "-id")
            .first()
        )
        if latest is None:
            return
        try:
            payment_reversal(
                latest,
                reason="Depósito devuelto por el banco",
                requested_by=self.user,
                approved_by=self.manager,
            )
        except DomainError:
            return

    def _authorized(self, loan: Loan, kind: str, proposal: dict[str, Any]) -> Any:
        """The committee's authorized request of `kind` on `loan` (set up here; the committee path is tested
        with the committees). The request hangs from the credit's file: a loan without one gets it now."""
        from conftest import proposal_data
        from filon.origination.models import LoanRequest
        from filon.origination.services import file_create

        if loan.file_id is None:
            loan.file = file_create(user=self.user, applicant=self.applicant, proposal=proposal_data())
            loan.save(update_fields=["file"])
        found = LoanRequest.objects.filter(
            file_id=loan.file_id, kind=kind, status=LoanRequest.Status.AUTHORIZED
        ).first()
        return found or LoanRequest.objects.create(
            file_id=loan.file_id,
            loan_number=loan.number,
            kind=kind,
            committee="comite_interno",
            committee_rule="17.3",
            currency=loan.currency,
            principal_balance=loan.principal_balance,
            principal_balance_usd=loan.principal_balance,
            fx_usd_mxn=Decimal(1),
            as_of=self.today,
            proposal=proposal,
            reason="Decisión del comité",
            status=LoanRequest.Status.AUTHORIZED,
            requested_by=self.manager,
        )

    @rule(index=st.integers(0, 1), term=st.sampled_from([12, 18, 30]), key=st.sampled_from(["re-a", "re-b"]))
    def restructure(self, index: int, term: int, key: str) -> None:
        """A restructuring authorized by the committee, applied once per key: a new schedule from today."""
        from filon.servicing.restructuring import RestructuringTerms, restructuring_apply

        loan = Loan.objects.get(pk=self.loans[index].pk)
        if loan.status != LoanStatus.ACTIVE or loan.principal_balance <= 0:
            return
        request = self._authorized(loan, "restructuring", RestructuringTerms(term_months=term).as_json())
        with contextlib.suppress(DomainError):  # accrued past today, a reused key with other data
            restructuring_apply(
                user=self.manager, loan=loan, request=request, value_date=self.today, idempotency_key=key
            )

    @rule(index=st.integers(0, 2), key=st.sampled_from(["castigo-a", "castigo-b"]))
    def write_off(self, index: int, key: str) -> None:
        """The committee authorized writing the loan off (its request is set up here; the committee path is
        tested with the committees); the write-off is applied once per key."""
        from filon.servicing.writeoff import write_off_apply

        loan = Loan.objects.get(pk=self.loans[index].pk)
        if loan.status != LoanStatus.ACTIVE:
            return
        request = self._authorized(loan, "write_off", {})
        try:
            first = write_off_apply(user=self.manager, loan=loan, request=request, idempotency_key=key)
        except DomainError:
            return  # nothing owed, a closed day: refused, and nothing changes
        request.refresh_from_db()
        again = write_off_apply(user=self.manager, loan=loan, request=request, idempotency_key=key)
        assert again.pk == first.pk  # the same key writes off once
        loan.refresh_from_db()
        assert loan.status == LoanStatus.WRITTEN_OFF
        assert loan_balances(loan.pk) == {}  # every receivable of the loan left the books

    @rule(
        index=st.integers(0, 2),
        amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900000"), places=2),
        key=st.sampled_from(["r1", "r2", "r3"]),
    )
    def recover(self, index: int, amount: Decimal, key: str) -> None:
        from filon.servicing.writeoff import recovery_record

        loan = Loan.objects.get(pk=self.loans[index].pk)
        with contextlib.suppress(DomainError):  # not written off, more than is written off, a reused key
            recovery_record(
                user=self.user, loan=loan, amount=amount, value_date=self.today, idempotency_key=key
            )
        if loan.status == LoanStatus.WRITTEN_OFF:
            assert loan_balances(loan.pk) == {}  # a recovery is income: no receivable reopens

    @precondition(lambda self: self.today < START + timedelta(days=200))
    @rule(days=st.sampled_from([0, 2, 16, 34, 94]))
    def close_days(self, days: int) -> None:
        """Close every business day from today through today + days, then open the next business day."""
        from filon.servicing.close import close_through

        target = self.today + timedelta(days=days)
        while not is_business_day(target):
            target += timedelta(days=1)
        self._travel(target, time(20))
        self.loan_pages_show_the_current_state()  # the pages seen on the evening of the close …
        close_through(business_date=target)
        self.loan_pages_show_the_current_state()  # … and seen again the same evening, after it
        self.today = next_business_day(target + timedelta(days=1))
        self._travel(self.today, time(10))

    def _travel(self, day: date, at: time) -> None:
        self.traveller.stop()
        self.traveller = time_machine.travel(datetime.combine(day, at, MEXICO_CITY), tick=False)
        self.traveller.start()

    # ------------------------------------------------------------------------------------ invariants

    @invariant()
    def books_balance(self) -> None:
        if not self.loans:
            return
        totals: dict[str, Decimal] = {}
        for (_, currency), amount in trial_balance().items():
            totals[currency] = totals.get(currency, Decimal(0)) + amount
        assert all(total == 0 for total in totals.values()), totals
        assert ledger_check(loan_positions=loan_positions()) == []

    @invariant()
    def loan_pages_show_the_current_state(self) -> None:
        """What the loan page (its parts and its whole body) and the account statement keep under a loan's
        revision mark is what they would compute now: every step that changed a loan gave it a new mark (a kept entry of the old state is never
        shown)."""
        from django.test import RequestFactory

        from filon.core.calendar import today_mx
        from filon.servicing.selectors import loan_mark_for_user
        from filon.servicing.statements import loan_statement, loan_statement_kept, statement_period_default
        from filon.web.loans.views import _compute_parts, _page_body, kept_page_body, loan_page_parts

        request = RequestFactory().get("/")
        request.user = self.user
        for kept in self.loans:
            loan = Loan.objects.select_related("applicant", "office").get(pk=kept.pk)
            today = today_mx()
            assert _shown(loan_page_parts(loan, today)) == _shown(_compute_parts(loan, today)), loan.number
            mark = loan_mark_for_user(user=self.user, loan_id=loan.pk)
            assert kept_page_body(request, mark) == _page_body(request, loan), loan.number
            start, end = statement_period_default(today)
            assert loan_statement_kept(loan=loan, period_from=start, period_to=end) == loan_statement(
                loan=loan, period_from=start, period_to=end
            ), loan.number


def _shown(parts: Any) -> tuple[Any, ...]:
    versions = [parts.active_version, *parts.earlier_versions]
    return (
        parts.balances,
        parts.total_due,
        [(v.pk, v.number, v.active, v.rows) for v in versions if v is not None],
        parts.schedule,
        [(d.pk, d.amount, d.value_date) for d in parts.disbursements],
        parts.disbursed,
        parts.payments,
        parts.payments_shown,
        parts.payments_count,
        parts.latest_payment,
    )


Books.TestCase.settings = settings(
    max_examples=12, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
)


def test_books_balance_after_any_sequence(db):
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(Books, settings=Books.TestCase.settings)
