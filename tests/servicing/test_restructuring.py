"""Restructuring of a disbursed credit (Rules 15; 17.2 b, 17.3 b; CNBV Criterio B-6 «pago sostenido»).

One credit of 1.2 M MXN at a fixed 12 %, twelve monthly installments from 20/01/2026, goes unpaid into
cartera vencida (90 days past due on 21/05), is restructured on 22/05 by the Comité Interno (its principal
balance is far below USD 2.0 M at FIX) and then stays in cartera vencida until three consecutive
installments of the new schedule are paid without delay. The books are checked after every step.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from filon.audit.models import AuditRecord
from filon.committees.services import (
    agenda_add_loan_request,
    resolution_record,
    session_attendance,
    session_convene,
    session_hold,
    vote_cast,
)
from filon.core.calendar import MEXICO_CITY
from filon.demo.scenarios import loan_disburse
from filon.errors import Forbidden, TransitionRefused
from filon.ledger.models import JournalEntry
from filon.ledger.services import ledger_check
from filon.origination.models import LoanRequest
from filon.rules import load_ruleset_for_date
from filon.servicing.close import close_day, close_through
from filon.servicing.models import Classification, Installment, InstallmentStatus, Loan
from filon.servicing.payments import payment_apply
from filon.servicing.restructuring import (
    RestructuringTerms,
    restructuring_apply,
    restructuring_propose,
    sustained_payment_run,
)
from filon.servicing.selectors import loan_positions

pytestmark = pytest.mark.django_db

VALUE_DATE = date(2026, 1, 20)
VENCIDA_ON = date(2026, 5, 21)  # installment 1 payable 20/02: 90 days past due
RESTRUCTURED_ON = date(2026, 5, 22)
TERMS = RestructuringTerms(term_months=18, grace_months=0, payment_every_months=1)


@contextmanager
def on_day(day: date):
    with time_machine.travel(
        dt.datetime(day.year, day.month, day.day, 19, 0, tzinfo=MEXICO_CITY), tick=False
    ):
        yield


def books_hold() -> None:
    assert ledger_check(loan_positions=loan_positions()) == []


def filed_loan(cast, credit_file) -> Loan:
    with on_day(VALUE_DATE):
        loan = Loan.objects.create(
            number="CR-REESTRUCTURA",
            applicant=credit_file.applicant,
            office=cast.zac,
            program="primer_piso",
            credit_type="habilitacion_avio",
            currency="MXN",
            ruleset_version="RO-2010-1160",
            contracted_amount=Decimal("1200000.00"),
            contract_date=VALUE_DATE,
            fixed_rate=Decimal("0.12"),
            moratorium_factor=Decimal("1.5"),
            term_months=12,
            payment_every_months=1,
            created_by=cast.ana,
        )
        loan_disburse(
            captured_by=cast.ana,
            released_by=cast.gerardo,
            loan=loan,
            amount=Decimal("1200000.00"),
            value_date=VALUE_DATE,
        )
    # The loan hangs from its file (opened directly: the file's whole origination is not what is tested).
    Loan.objects.filter(pk=loan.pk).update(file=credit_file)
    loan.refresh_from_db()
    return loan


def authorize(cast, request: LoanRequest, day: date) -> LoanRequest:
    session = session_convene(user=cast.sergio, committee=request.committee, date=day, place="Sala")
    item = agenda_add_loan_request(user=cast.sergio, session=session, request=request)
    session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis])
    session_hold(user=cast.sergio, session=session)
    vote_cast(user=cast.marta, item=item, vote="favor")
    vote_cast(user=cast.luis, item=item, vote="favor")
    resolution_record(user=cast.sergio, item=item, decision="authorized")
    request.refresh_from_db()
    return request


def owed_through(loan: Loan, day: date) -> Decimal:
    """What the active installments payable on or before `day` owe (their periods have ended)."""
    rows = Installment.objects.filter(loan=loan, version__active=True, payable__lte=day).exclude(
        status=InstallmentStatus.PAID
    )
    return sum(
        (
            r.principal
            - r.principal_paid
            + r.interest
            - r.interest_paid
            + r.moratorium_accrued
            - r.moratorium_paid
            for r in rows
        ),
        Decimal(0),
    )


@pytest.fixture
def vencida_loan(cast, credit_file):
    loan = filed_loan(cast, credit_file)
    with on_day(VENCIDA_ON):
        close_day(business_date=VENCIDA_ON)
    books_hold()
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.classification) == (90, Classification.VENCIDA)
    return loan


@pytest.fixture
def restructured(cast, vencida_loan):
    loan = vencida_loan
    with on_day(RESTRUCTURED_ON):
        request = restructuring_propose(
            user=cast.ana, loan=loan, terms=TERMS, reason="Caída del precio del mineral.", on=RESTRUCTURED_ON
        )
        request = authorize(cast, request, RESTRUCTURED_ON)
        restructuring_apply(
            user=cast.gerardo, loan=loan, request=request, value_date=RESTRUCTURED_ON, idempotency_key="r-1"
        )
    loan.refresh_from_db()
    request.refresh_from_db()
    return loan, request


# ------------------------------------------------------------------------------- the CNBV threshold


@pytest.mark.parametrize(
    ("every", "installments"),
    [(1, 3), (2, 3), (3, 1), (6, 1), (12, 1)],
)
def test_sustained_payment_threshold_by_period(every, installments):
    """CNBV B-6 «pago sostenido»: three consecutive installments for periods of up to 60 natural days, one
    payment for longer periods (a month counted as 30 days), from the rule set's `restructuring` block."""
    rules = load_ruleset_for_date(RESTRUCTURED_ON).restructuring
    assert rules is not None
    assert rules.sustained_payment_rule == "CNBV B-6"
    assert "pago sostenido" in rules.sustained_payment_source
    assert rules.installments_for(every).installments == installments


# ------------------------------------------------------------------------------------ the preview


def test_the_proposal_previews_the_new_schedule_and_routes_by_principal_balance(cast, vencida_loan):
    loan = vencida_loan
    with on_day(RESTRUCTURED_ON):
        request = restructuring_propose(
            user=cast.ana, loan=loan, terms=TERMS, reason="Caída del precio del mineral.", on=RESTRUCTURED_ON
        )
    assert request.kind == LoanRequest.Kind.RESTRUCTURING
    assert request.principal_balance == loan.principal_balance == Decimal("1200000.00")
    assert (request.committee, request.committee_rule) == ("comite_interno", "17.3")
    preview = request.evaluation
    assert preview["principal_balance"] == "1200000.00"
    assert preview["schedule"]["installments"] == 18
    assert Decimal(preview["schedule"]["principal"]) == loan.principal_balance
    assert preview["schedule"]["rows"][0]["due"] == "2026-06-22"
    assert preview["sustained_payment"] == {"applies": True, "installments": 3, "rule": "CNBV B-6"}
    assert any(f["rule"] == "CNBV B-6" for f in preview["findings"])
    assert "coverage" in preview
    assert request.proposal["summary"] == "plazo 18 meses, gracia 0 meses, pagos mensuales"
    # Nothing changed on the loan.
    assert loan.schedule_versions.count() == 1


# --------------------------------------------------------------------------------------- applying


def test_apply_stores_a_new_schedule_version_keeps_what_is_owed_and_the_books(cast, restructured):
    loan, request = restructured
    assert request.status == LoanRequest.Status.APPLIED
    assert request.sustained_payment_pending is True
    active = loan.schedule_versions.get(active=True)
    assert active.number == 2
    assert active.reason == f"Reestructura, acuerdo {request.agreement_number}"
    rows = list(active.installments.order_by("number"))
    kept, new = rows[:5], rows[5:]
    # The overdue installments and the period in progress keep their interest and moratorium owed; their
    # unpaid principal moved to the new schedule.
    assert all(r.principal == r.principal_paid == 0 for r in kept)
    assert all(r.interest > 0 for r in kept)
    assert all(r.moratorium_accrued > 0 for r in kept[:4])
    assert kept[4].due == RESTRUCTURED_ON  # cut at the apply date
    assert len(new) == 18
    assert new[0].number == 6
    assert new[0].start == RESTRUCTURED_ON
    assert sum(r.principal for r in new) == loan.principal_balance
    assert loan.term_months == 18
    assert loan.maturity_date == new[-1].due
    assert loan.classification == Classification.VENCIDA
    assert AuditRecord.objects.filter(action="loan.restructure", object_id=str(loan.pk)).exists()
    books_hold()


def test_apply_is_idempotent_by_key(cast, restructured):
    loan, request = restructured
    with on_day(RESTRUCTURED_ON):
        again = restructuring_apply(
            user=cast.gerardo, loan=loan, request=request, value_date=RESTRUCTURED_ON, idempotency_key="r-1"
        )
    assert again.pk == loan.pk
    assert loan.schedule_versions.count() == 2


def test_a_restructured_vencida_loan_stays_vencida_until_sustained_payment(cast, restructured):
    loan, request = restructured
    # The arrears of interest and moratorium are paid the same day: no days past due, still vencida.
    with on_day(RESTRUCTURED_ON):
        payment_apply(
            user=cast.ana,
            loan=loan,
            amount=owed_through(loan, RESTRUCTURED_ON - timedelta(days=1)),
            value_date=RESTRUCTURED_ON,
            idempotency_key="atraso",
        )
        close_day(business_date=RESTRUCTURED_ON)
    books_hold()
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.classification) == (0, Classification.VENCIDA)

    new = list(
        Installment.objects.filter(loan=loan, version__active=True, number__gte=6).order_by("number")[:3]
    )
    for paid, row in enumerate(new, start=1):
        with on_day(row.payable):
            close_through(business_date=row.payable - timedelta(days=1))
            payment_apply(
                user=cast.ana,
                loan=loan,
                amount=owed_through(loan, row.payable),
                value_date=row.payable,
                idempotency_key=f"cuota-{row.number}",
            )
            close_day(business_date=row.payable)
        books_hold()
        loan.refresh_from_db()
        request.refresh_from_db()
        assert sustained_payment_run(loan.pk, request) == paid
        expected = Classification.VIGENTE if paid == 3 else Classification.VENCIDA
        assert (loan.days_past_due, loan.classification) == (0, expected), paid
    assert request.sustained_payment_pending is False
    assert JournalEntry.objects.filter(kind="traspaso_vigente").count() == 1
    assert AuditRecord.objects.filter(action="loan_request.sustained_payment").count() == 1


# ---------------------------------------------------------------------------------------- refusals


def test_apply_refuses_a_request_the_committee_has_not_authorized(cast, vencida_loan):
    loan = vencida_loan
    with on_day(RESTRUCTURED_ON):
        request = restructuring_propose(user=cast.ana, loan=loan, terms=TERMS, reason="Caída del precio.")
        with pytest.raises(TransitionRefused) as info:
            restructuring_apply(user=cast.gerardo, loan=loan, request=request, idempotency_key="x")
    assert info.value.message == (
        "La reestructura está «solicitada»; sólo se aplica una reestructura autorizada por el comité."
    )
    assert info.value.rule == "17.3"
    assert loan.schedule_versions.count() == 1


def test_apply_refuses_a_loan_in_the_wrong_state(cast, restructured):
    loan, request = restructured
    with on_day(RESTRUCTURED_ON), pytest.raises(TransitionRefused) as info:
        restructuring_apply(user=cast.gerardo, loan=loan, request=request, idempotency_key="r-2")
    assert info.value.message == (
        "La reestructura está «aplicada»; sólo se aplica una reestructura autorizada por el comité."
    )
    Loan.objects.filter(pk=loan.pk).update(status="paid_off")
    loan.refresh_from_db()
    with on_day(RESTRUCTURED_ON), pytest.raises(TransitionRefused) as info:
        restructuring_propose(user=cast.ana, loan=loan, terms=TERMS, reason="Otra.")
    assert info.value.message == (
        "El crédito está «liquidado»; sólo se reestructura un crédito vigente en administración."
    )
    assert info.value.rule == "15"


def test_the_proposer_may_not_approve(cast, vencida_loan):
    loan = vencida_loan
    with on_day(RESTRUCTURED_ON):
        request = restructuring_propose(user=cast.gerardo, loan=loan, terms=TERMS, reason="Caída del precio.")
        cast.gerardo.role, cast.gerardo.committees = "miembro_comite", ["comite_interno"]
        cast.gerardo.save(update_fields=["role", "committees"])
        session = session_convene(
            user=cast.sergio, committee="comite_interno", date=RESTRUCTURED_ON, place="S"
        )
        item = agenda_add_loan_request(user=cast.sergio, session=session, request=request)
        session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis, cast.gerardo])
        session_hold(user=cast.sergio, session=session)
        with pytest.raises(Forbidden) as info:
            vote_cast(user=cast.gerardo, item=item, vote="favor")
    assert "no puede votarlo (separación de funciones)" in info.value.message
    assert LoanRequest.objects.get(pk=request.pk).status == LoanRequest.Status.REQUESTED


def test_a_loan_without_a_file_is_refused(cast, applicant):
    with on_day(VALUE_DATE):
        loan = Loan.objects.create(
            number="CR-SIN-EXPEDIENTE",
            applicant=applicant,
            office=cast.zac,
            program="primer_piso",
            credit_type="habilitacion_avio",
            currency="MXN",
            ruleset_version="RO-2010-1160",
            contracted_amount=Decimal("100000.00"),
            contract_date=VALUE_DATE,
            fixed_rate=Decimal("0.12"),
            moratorium_factor=Decimal("1.5"),
            term_months=12,
            created_by=cast.ana,
        )
        loan_disburse(
            captured_by=cast.ana,
            released_by=cast.gerardo,
            loan=loan,
            amount=Decimal("100000.00"),
            value_date=VALUE_DATE,
        )
        with pytest.raises(TransitionRefused) as info:
            restructuring_propose(user=cast.ana, loan=loan, terms=TERMS, reason="Caída del precio.")
    assert info.value.message == (
        "El crédito CR-SIN-EXPEDIENTE no tiene expediente de crédito: una reestructura o un castigo se "
        "solicita al comité sobre el expediente del crédito."
    )
    assert info.value.field == "file"
    assert LoanRequest.objects.count() == 0


def test_a_payment_made_before_the_restructuring_is_not_reversed(cast, credit_file):
    from filon.demo.scenarios import payment_reversal

    loan = filed_loan(cast, credit_file)
    first = Installment.objects.get(loan=loan, version__active=True, number=1)
    with on_day(first.payable):
        close_through(business_date=first.payable - timedelta(days=1))
        payment = payment_apply(
            user=cast.ana,
            loan=loan,
            amount=owed_through(loan, first.payable),
            value_date=first.payable,
            idempotency_key="cuota-1",
        )
    day = date(2026, 3, 2)
    with on_day(day):
        request = restructuring_propose(user=cast.ana, loan=loan, terms=TERMS, reason="Caída del precio.")
        request = authorize(cast, request, day)
        restructuring_apply(user=cast.gerardo, loan=loan, request=request, idempotency_key="r")
        with pytest.raises(TransitionRefused) as info:
            payment_reversal(
                requested_by=cast.ana, approved_by=cast.gerardo, payment=payment, reason="Error de captura."
            )
    assert info.value.message == (
        f"El crédito se reestructuró después de este pago (acuerdo {request.agreement_number}); el pago ya "
        "no puede reversarse."
    )
    books_hold()


def test_the_guarantee_changes_are_evaluated_on_the_balance_and_applied(cast, credit_file):
    from conftest import mortgage
    from filon.errors import ValidationFailed
    from filon.origination.models import FileGuarantee, GuaranteeStatus
    from filon.origination.services import guarantee_add

    loan = filed_loan(cast, credit_file)
    day = date(2026, 3, 2)
    with on_day(day):
        old = guarantee_add(user=cast.ana, file=credit_file, data=mortgage("3000000"))
        FileGuarantee.objects.filter(pk=old.pk).update(status=GuaranteeStatus.ACTIVE)
        with pytest.raises(ValidationFailed) as info:
            restructuring_propose(
                user=cast.ana,
                loan=loan,
                terms=RestructuringTerms(term_months=18, release_guarantee_ids=(old.pk + 100,)),
                reason="Sustitución.",
            )
        assert info.value.errors[0].field == "release_guarantee_ids"
        terms = RestructuringTerms(
            term_months=18, release_guarantee_ids=(old.pk,), new_guarantees=(mortgage("1000000"),)
        )
        request = restructuring_propose(user=cast.ana, loan=loan, terms=terms, reason="Sustitución.")
        coverage = request.evaluation["coverage"]
        # The coverage is measured on the principal balance with the replacement only.
        assert [g["value"] for g in coverage["guarantees"]] == ["1000000.00"]
        assert (
            Decimal(coverage["required_amount_mxn"]) == Decimal(coverage["required"]) * loan.principal_balance
        )
        assert "libera 1 garantía(s), otorga 1 garantía(s) nueva(s)" in request.proposal["summary"]
        request = authorize(cast, request, day)
        restructuring_apply(user=cast.gerardo, loan=loan, request=request, idempotency_key="g")
    old.refresh_from_db()
    assert old.status == GuaranteeStatus.RELEASED
    new = FileGuarantee.objects.exclude(pk=old.pk).get(file=credit_file)
    assert (new.status, new.value) == (GuaranteeStatus.ACTIVE, Decimal("1000000.00"))
    assert AuditRecord.objects.filter(action="guarantee.restructuring_add", object_id=str(new.pk)).exists()
    books_hold()
