"""Guarantee funds end to end (Rules, Chapter II: P-2 2.4–2.6, P-3 3.4, P-4 4.2): contributions, the P-2
coverage that blocks a new credit while short, a fund paying a defaulted credit through the payment engine
until exhausted, FOGAMICO's 0.33 per credit, FOCIR's 30 % of losses, a miner's refund at payoff and the
fund's interest to FIFOMI. After every step the books check clean.

Time is frozen on Wednesday 15/07/2026. The credits are built through the origination and servicing
services as first-tier credits and then taken into a special program before disbursement (the program's
own steps are the programs app's matter, not the funds'): their servicing is the general one.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from conftest import proposal_data, to_ready
from filon.core.allocation import ALLOCATION_ORDER
from filon.core.calendar import MEXICO_CITY
from filon.demo.scenarios import loan_disburse
from filon.errors import Forbidden, TransitionRefused
from filon.funds.models import FundMovement, MovementKind
from filon.funds.selectors import fund_balance, fund_statement, funds_check, program_coverage
from filon.funds.services import (
    ScenarioDefault,
    fund_apply_to_last_installments,
    fund_contribute,
    fund_cover_default,
    fund_cover_defaults,
    fund_create,
    fund_interest_record,
    fund_refund,
    fund_whatif_for_program,
)
from filon.ledger import chart
from filon.ledger.services import account_balance, ledger_check
from filon.servicing.models import Loan, LoanStatus
from filon.servicing.payments import payment_apply
from filon.servicing.release import reversal_request
from filon.servicing.selectors import loan_positions
from filon.servicing.services import commission_pay, loan_create_from_file

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 7, 15)
DISBURSED = dt.date(2026, 4, 6)
MILLION = Decimal("1000000")
ZERO = Decimal(0)


@pytest.fixture(autouse=True)
def frozen_time(sample_rates):
    with time_machine.travel(dt.datetime(2026, 7, 15, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


def make_loan(cast, applicant, program: str, *, amount=MILLION, term_months=24) -> Loan:
    """A credit ready to disburse in `program`, its commission paid."""
    from filon.origination.services import file_create

    file = file_create(
        user=cast.ana,
        applicant=applicant,
        proposal=proposal_data(
            amount=amount, investment_program=amount * 2, term_months=term_months, grace_months=0
        ),
    )
    to_ready(cast, file)
    loan = loan_create_from_file(user=cast.ana, file=file)
    Loan.objects.filter(pk=loan.pk).update(program=program)
    loan.refresh_from_db()
    commission_pay(user=cast.ana, loan=loan, value_date=DISBURSED)
    return loan


def disburse(cast, loan: Loan) -> Loan:
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=loan.contracted_amount,
        value_date=DISBURSED,
    )
    loan.refresh_from_db()
    return loan


def rule_of(ruleset, program: str) -> str:
    return ruleset.programs[program].guarantee_funds[0].rule


def assert_books() -> None:
    assert ledger_check(loan_positions=loan_positions()) == []
    assert funds_check() == []


def concept_order(payment) -> list[int]:
    order = [c.value for c in ALLOCATION_ORDER]
    return [order.index(piece["concept"]) for piece in payment.allocation]


# -------------------------------------------------------------------------------------------------- P-2


def test_p2_contributions_coverage_block_and_default_paid_in_order(cast, applicant, ruleset):
    p2 = rule_of(ruleset, "pequena_mineria")
    state = fund_create(
        user=cast.omar,
        code="PM-ZAC",
        name="Fondo del Gobierno de Zacatecas",
        program="pequena_mineria",
        contributor="state",
        state="zac",
    )
    assert (state.kind, state.rule, state.state) == ("first_loss_pool", p2, "ZAC")
    first = make_loan(cast, applicant, "pequena_mineria")
    second = make_loan(cast, applicant, "pequena_mineria")

    coverage = program_coverage("pequena_mineria")
    assert (coverage.base, coverage.required, coverage.held) == (2 * MILLION, MILLION, ZERO)
    with pytest.raises(TransitionRefused) as refused:
        disburse(cast, first)
    assert refused.value.rule == p2
    assert "$1,000,000.00" in refused.value.message

    fund_contribute(user=cast.omar, fund=state, amount=Decimal("600000"), on=DISBURSED)
    assert program_coverage("pequena_mineria").shortfall == Decimal("400000")
    with pytest.raises(TransitionRefused):
        disburse(cast, first)
    first.refresh_from_db()
    assert first.status == LoanStatus.PENDING

    fund_contribute(user=cast.omar, fund=state, amount=Decimal("400000"), on=DISBURSED)
    disburse(cast, first)
    disburse(cast, second)
    coverage = program_coverage("pequena_mineria")
    assert (coverage.required, coverage.held, coverage.shortfall) == (MILLION, MILLION, ZERO)
    assert coverage.ratio == Decimal("0.5000")
    assert account_balance(chart.FONDOS_DE_GARANTIA, "MXN") == -MILLION
    assert_books()

    # Nothing paid since April: three installments are late. The fund pays all the credit owes today.
    with pytest.raises(Forbidden):
        fund_cover_default(user=cast.ana, fund=state, loan=first, on=TODAY)
    movement = fund_cover_default(user=cast.gerardo, fund=state, loan=first, on=TODAY)
    payment = movement.payment
    assert payment.amount == movement.amount
    order = concept_order(payment)
    assert order == sorted(order)  # moratorium, overdue interest, overdue principal, current …
    assert payment.allocation[0]["concept"] == "intereses_moratorios"
    assert {p["concept"] for p in payment.allocation} >= {"intereses_vencidos", "capital_vencido"}
    assert not any(p["concept"] == "pagos_por_aplicar" for p in payment.allocation)
    first.refresh_from_db()
    assert first.accrued_moratorium == 0
    assert not first.installments.filter(version__active=True, payable__lt=TODAY, status="pending").exists()
    assert fund_balance(state) == MILLION - movement.amount
    transfer = dict(movement.entry.postings.values_list("account__code", "amount"))
    assert transfer == {chart.FONDOS_DE_GARANTIA: movement.amount, chart.BANCOS: -movement.amount}
    assert_books()

    # A second, small fund runs out on the other credit: moratorium and interest first, then principal.
    small = fund_create(
        user=cast.omar,
        code="PM-ORG",
        name="Fondo de un organismo",
        program="pequena_mineria",
        contributor="organism",
    )
    fund_contribute(user=cast.omar, fund=small, amount=Decimal("50000"), on=TODAY)
    paid = fund_cover_default(user=cast.gerardo, fund=small, loan=second, on=TODAY)
    assert paid.amount == Decimal("50000")
    assert fund_balance(small) == ZERO
    concepts = [p["concept"] for p in paid.payment.allocation]
    assert concepts[0] == "intereses_moratorios"
    assert concepts[-1] == "capital_vencido"
    assert concept_order(paid.payment) == sorted(concept_order(paid.payment))
    with pytest.raises(TransitionRefused) as exhausted:
        fund_cover_default(user=cast.gerardo, fund=small, loan=second, on=TODAY)
    assert exhausted.value.rule == p2
    assert_books()

    statement = fund_statement(user=cast.ramon, fund=state)
    assert statement.totals[MovementKind.CONTRIBUTION] == MILLION
    assert statement.totals[MovementKind.PAYMENT] == movement.amount
    assert statement.balance == MILLION - movement.amount
    assert len(statement.movements) == 3

    # What-if: the first credit defaulting back on 01/05 (its books then: the whole principal) and the second
    # today. The state fund's remaining money goes to the first defaulted; the exhausted one pays nothing.
    outcome, _ = fund_whatif_for_program(
        user=cast.ramon,
        program="pequena_mineria",
        defaults=[ScenarioDefault(second.number, TODAY), ScenarioDefault(first.number, dt.date(2026, 5, 1))],
    )
    assert [loan.loan for loan in outcome.loans] == [first.number, second.number]
    assert outcome.loans[0].defaulted >= MILLION
    paid = {fund.code: fund.paid for fund in outcome.funds}
    assert paid == {"PM-ZAC": MILLION - movement.amount, "PM-ORG": ZERO}
    assert outcome.loans[1].covered == ZERO
    assert outcome.covered + outcome.uncovered == outcome.defaulted


def test_the_fund_pays_the_first_defaulted_credits_first_until_exhausted(cast, applicant, ruleset):
    from filon.servicing.models import Installment

    state = fund_create(
        user=cast.omar,
        code="PM-ZAC",
        name="Fondo estatal",
        program="pequena_mineria",
        contributor="state",
        state="ZAC",
    )
    organism = fund_create(
        user=cast.omar,
        code="PM-ORG",
        name="Fondo de un organismo",
        program="pequena_mineria",
        contributor="organism",
    )
    fund_contribute(user=cast.omar, fund=state, amount=Decimal("950000"), on=DISBURSED)
    fund_contribute(user=cast.omar, fund=organism, amount=Decimal("50000"), on=DISBURSED)
    first = disburse(cast, make_loan(cast, applicant, "pequena_mineria"))
    later = disburse(cast, make_loan(cast, applicant, "pequena_mineria"))
    # The later one paid its first installment: it defaulted a month after the first one.
    row = Installment.objects.get(loan=later, version__active=True, number=1)
    payment_apply(
        user=cast.ana,
        loan=later,
        amount=row.principal + row.interest,
        value_date=row.payable,
        idempotency_key="a1",
    )
    # The small fund is exhausted on the credit that defaulted first; the other gets nothing from it.
    paid = fund_cover_defaults(user=cast.gerardo, fund=organism, on=TODAY)
    assert [(m.loan_id, m.amount) for m in paid] == [(first.pk, Decimal("50000"))]
    assert fund_balance(organism) == ZERO
    # The large one pays what is left overdue, first-defaulted first, and keeps the rest.
    paid = fund_cover_defaults(user=cast.gerardo, fund=state, on=TODAY)
    assert [m.loan_id for m in paid] == [first.pk, later.pk]
    assert fund_balance(state) == Decimal("950000") - sum(m.amount for m in paid)
    for loan in (first, later):
        overdue = Installment.objects.filter(loan=loan, version__active=True, payable__lt=TODAY)
        assert all(r.status == "paid" for r in overdue), [(r.number, r.status) for r in overdue]
    assert fund_cover_defaults(user=cast.gerardo, fund=state, on=TODAY) == []
    assert_books()
    # the same from the command line: nothing left to pay, and bad input named
    out = StringIO()
    call_command(
        "funds", "cover", "--fund", "PM-ZAC", "--date", "2026-07-15", "--user", "gerardo.zac", stdout=out
    )
    assert "0 crédito(s) pagado(s)" in out.getvalue()
    with pytest.raises(CommandError, match="«--fund»"):
        call_command("funds", "cover", "--fund", "NO", "--date", "2026-07-15", "--user", "gerardo.zac")
    with pytest.raises(CommandError, match="no puede aplicar fondos"):
        call_command(
            "funds", "cover", "--fund", "PM-ZAC", "--date", "2026-07-15", "--user", cast.omar.username
        )


def test_a_current_credit_is_not_paid_by_the_fund(cast, applicant, ruleset):
    fund = fund_create(
        user=cast.omar, code="PM-1", name="Fondo", program="pequena_mineria", contributor="state", state="ZAC"
    )
    fund_contribute(user=cast.omar, fund=fund, amount=MILLION, on=DISBURSED)
    with time_machine.travel(dt.datetime(2026, 4, 20, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        loan = disburse(cast, make_loan(cast, applicant, "pequena_mineria"))
        with pytest.raises(TransitionRefused) as refused:
            fund_cover_default(user=cast.gerardo, fund=fund, loan=loan, on=dt.date(2026, 4, 20))
    assert refused.value.rule == rule_of(ruleset, "pequena_mineria")
    assert FundMovement.objects.filter(kind=MovementKind.PAYMENT).count() == 0


# -------------------------------------------------------------------------------------------------- P-4


def test_p4_fogamico_covers_a_third_of_each_credit(cast, applicant, ruleset):
    entry = ruleset.programs["carbon_coahuila"].guarantee_funds[0]
    fogamico = fund_create(
        user=cast.omar,
        code="FOGAMICO",
        name=entry.name,
        program="carbon_coahuila",
        contributor="state",
        state="COA",
    )
    assert fogamico.kind == "liquid_ratio"
    loan = make_loan(cast, applicant, "carbon_coahuila", term_months=6)
    with pytest.raises(TransitionRefused) as short:
        disburse(cast, loan)
    assert short.value.rule == entry.rule
    fund_contribute(user=cast.omar, fund=fogamico, amount=Decimal("330000"), on=DISBURSED)
    fund_contribute(user=cast.omar, fund=fogamico, amount=Decimal("670000"), on=DISBURSED)
    disburse(cast, loan)
    # Three of six installments late (500,000 of principal and more): the fund pays its 0.33 only.
    movement = fund_cover_default(user=cast.gerardo, fund=fogamico, loan=loan, on=TODAY)
    assert movement.amount == entry.fraction_of_credit * MILLION == Decimal("330000")
    assert fund_balance(fogamico) == Decimal("670000")
    with pytest.raises(TransitionRefused) as capped:
        fund_cover_default(user=cast.gerardo, fund=fogamico, loan=loan, on=TODAY)
    assert capped.value.rule == entry.rule
    assert_books()


# -------------------------------------------------------------------------------------------------- P-3


def test_p3_focir_pays_at_most_thirty_percent_of_the_losses(cast, applicant, ruleset):
    entry = ruleset.programs["cananea"].guarantee_funds[0]
    focir = fund_create(
        user=cast.omar, code="FOCIR", name=entry.name, program="cananea", contributor="third_party"
    )
    assert focir.kind == "portfolio_first_loss"
    fund_contribute(user=cast.omar, fund=focir, amount=entry.amount_mxn, on=DISBURSED)
    loan = disburse(cast, make_loan(cast, applicant, "cananea", term_months=6))  # no coverage block in P-3
    movement = fund_cover_default(user=cast.gerardo, fund=focir, loan=loan, on=TODAY)
    assert movement.exposure > 500000  # principal, interest and moratorium owed before the fund paid
    assert movement.amount == (entry.fraction_of_losses * movement.exposure).quantize(
        Decimal("0.01"), rounding=ROUND_DOWN
    )
    assert fund_balance(focir) == entry.amount_mxn - movement.amount
    with pytest.raises(TransitionRefused):  # the credit's losses are already 30 % covered
        fund_cover_default(user=cast.gerardo, fund=focir, loan=loan, on=TODAY)
    assert_books()

    outcome, _ = fund_whatif_for_program(
        user=cast.ramon, program="cananea", defaults=[ScenarioDefault(loan.number, TODAY)]
    )
    assert outcome.funds[0].paid == ZERO  # the same losses give the fund nothing more to pay


# ------------------------------------------------------------------------------------ miner, interest


def test_miner_contribution_refunded_at_payoff(cast, applicant, ruleset):
    p2 = rule_of(ruleset, "pequena_mineria")
    state = fund_create(
        user=cast.omar, code="PM-ZAC", name="Fondo estatal", program="pequena_mineria", contributor="state"
    )
    fund_contribute(user=cast.omar, fund=state, amount=Decimal("400000"), on=DISBURSED)
    loan = make_loan(cast, applicant, "pequena_mineria", term_months=3)
    own = fund_create(
        user=cast.omar,
        code="PM-MINERO-1",
        name="Aportación propia",
        program="pequena_mineria",
        contributor="miner",
        loan=loan,
    )
    fund_contribute(user=cast.omar, fund=own, amount=Decimal("100000"), on=DISBURSED)
    disburse(cast, loan)
    with pytest.raises(TransitionRefused) as early:
        fund_refund(user=cast.omar, fund=own, on=TODAY)
    assert early.value.rule == p2

    # Every installment is due by now: the borrower pays everything owed and the credit is paid off.
    from django.db import transaction

    from filon.servicing.accrual import loan_accrue

    with transaction.atomic():
        loan_accrue(loan=Loan.objects.select_for_update().get(pk=loan.pk), through=TODAY)
    loan.refresh_from_db()
    owed = loan.principal_balance + loan.accrued_interest + loan.accrued_moratorium
    payment_apply(user=cast.ana, loan=loan, amount=owed, value_date=TODAY, idempotency_key="liquida")
    loan.refresh_from_db()
    assert loan.status == LoanStatus.PAID_OFF

    banks = account_balance(chart.BANCOS, "MXN")
    refund = fund_refund(user=cast.omar, fund=own, on=TODAY)
    assert refund.amount == Decimal("100000")
    assert account_balance(chart.BANCOS, "MXN") == banks - Decimal("100000")
    own.refresh_from_db()
    assert not own.active
    assert fund_balance(own) == ZERO
    with pytest.raises(TransitionRefused):
        fund_refund(user=cast.omar, fund=own, on=TODAY)
    with pytest.raises(TransitionRefused):  # a state fund is not refunded
        fund_refund(user=cast.omar, fund=state, on=TODAY)
    assert_books()


def test_fund_interest_is_fifomi_income(cast):
    fund = fund_create(
        user=cast.omar, code="FOCIR", name="FOCIR", program="cananea", contributor="third_party"
    )
    fund_contribute(user=cast.omar, fund=fund, amount=Decimal("6000000"), on=TODAY)
    fund_interest_record(user=cast.omar, fund=fund, amount=Decimal("25000.50"), on=TODAY)
    assert account_balance(chart.INGRESOS_FONDOS, "MXN") == Decimal("-25000.50")
    assert fund_balance(fund) == Decimal("6000000")
    assert account_balance(chart.BANCOS, "MXN") == Decimal("6025000.50")
    statement = fund_statement(user=cast.omar, fund=fund)
    assert statement.totals[MovementKind.INTEREST] == Decimal("25000.50")
    assert statement.balance == Decimal("6000000")
    assert_books()


def test_who_may_do_what(cast):
    with pytest.raises(Forbidden):
        fund_create(user=cast.ana, code="X", name="X", program="cananea", contributor="state")
    with pytest.raises(TransitionRefused):  # primer piso has no guarantee fund in the Rules
        fund_create(user=cast.omar, code="X", name="X", program="primer_piso", contributor="state")
    fund = fund_create(user=cast.omar, code="X", name="X", program="cananea", contributor="state")
    with pytest.raises(Forbidden):
        fund_contribute(user=cast.gerardo, fund=fund, amount=Decimal("1"), on=TODAY)
    with pytest.raises(Forbidden):
        fund_statement(user=cast.ana, fund=fund)


def test_miner_contribution_applied_to_the_last_installments(cast, applicant, ruleset):
    """The other way out of a miner's contribution (P-2 2.5): a prepayment from the last installment back,
    with its notice; the fund's payment is not reversed as the borrower's."""
    p2 = rule_of(ruleset, "pequena_mineria")
    state = fund_create(
        user=cast.omar, code="PM-ZAC", name="Fondo estatal", program="pequena_mineria", contributor="state"
    )
    fund_contribute(user=cast.omar, fund=state, amount=Decimal("500000"), on=DISBURSED)
    on = dt.date(2026, 4, 20)
    with time_machine.travel(dt.datetime(2026, 4, 20, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        loan = make_loan(cast, applicant, "pequena_mineria")
        own = fund_create(
            user=cast.omar,
            code="PM-MINERO-2",
            name="Aportación propia",
            program="pequena_mineria",
            contributor="miner",
            loan=loan,
        )
        fund_contribute(user=cast.omar, fund=own, amount=Decimal("100000"), on=DISBURSED)
        disburse(cast, loan)
        last_before = loan.installments.filter(version__active=True).order_by("-number").first()
        movement = fund_apply_to_last_installments(user=cast.gerardo, fund=own, on=on, notified_on=DISBURSED)
        payment = movement.payment
        assert payment.is_prepayment
        assert [p["concept"] for p in payment.allocation] == ["capital_anticipado"]
        loan.refresh_from_db()
        assert loan.principal_balance == MILLION - Decimal("100000")
        last_after = loan.installments.filter(version__active=True).order_by("-number").first()
        assert last_after.number < last_before.number  # the term shortens from the end
        own.refresh_from_db()
        assert not own.active
        assert fund_balance(own) == ZERO
        with pytest.raises(TransitionRefused) as refused:
            reversal_request(user=cast.gerardo, payment=payment, reason="error")
        assert refused.value.rule == p2
    assert_books()


def test_funds_command(cast):
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db import transaction

    from filon.ledger.services import Line, entry_post

    fund = fund_create(
        user=cast.omar, code="FOCIR", name="FOCIR", program="cananea", contributor="third_party"
    )
    fund_contribute(user=cast.omar, fund=fund, amount=Decimal("6000000"), on=TODAY)
    out = StringIO()
    call_command("funds", "list", stdout=out)
    assert "FOCIR" in out.getvalue()
    assert "$6,000,000.00" in out.getvalue()
    out = StringIO()
    call_command("funds", "check", stdout=out)
    assert "Fondos cuadrados: 1 fondos" in out.getvalue()

    # A movement the ledger does not carry on the fund is a breach.
    with transaction.atomic():
        entry = entry_post(
            kind="x",
            business_date=TODAY,
            description="sin fondo",
            lines=[
                Line(chart.BANCOS, Decimal("10"), "MXN"),
                Line(chart.FONDOS_DE_GARANTIA, Decimal("-10"), "MXN"),
            ],
        )
        FundMovement.objects.create(
            fund=fund,
            kind=MovementKind.CONTRIBUTION,
            business_date=TODAY,
            amount=Decimal("10"),
            entry=entry,
            description="x",
            created_by=cast.omar,
        )
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("funds", "check", stdout=out)
    assert "fondo FOCIR: movimientos 6000010.00, libro 6000000.00" in out.getvalue()


@pytest.mark.parametrize("record", ["contribution", "interest"])
def test_fund_movements_follow_the_one_value_date_rule(cast, record):
    """A contribution or the fund's interest is dated like every money operation: not after today (the
    same rule and message as commissions, disbursements and payments)."""
    from filon.errors import ValidationFailed

    fund = fund_create(
        user=cast.omar, code="PM-ZAC", name="Fondo estatal", program="pequena_mineria", contributor="state"
    )
    post = fund_contribute if record == "contribution" else fund_interest_record
    if record == "interest":
        fund_contribute(user=cast.omar, fund=fund, amount=Decimal("100000"), on=TODAY)
    with pytest.raises(ValidationFailed) as exc:
        post(user=cast.omar, fund=fund, amount=Decimal("1000"), on=TODAY + dt.timedelta(days=1))
    error = exc.value.errors[0]
    assert error.field == "on"
    assert "16/07/2026 no se admite" in error.message
    assert "no puede ser posterior a hoy (15/07/2026)" in error.message
    assert post(user=cast.omar, fund=fund, amount=Decimal("1000"), on=TODAY).amount == Decimal("1000")
