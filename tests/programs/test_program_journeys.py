"""Each special program's credit end to end through the services (issue 7): applicant, file, guarantees,
requirements, the program's steps with its parametric evaluation, proposal, the committee's authorization,
contracting and formalization, the steps due before release, the loan, the program's guarantee fund (a
short fund refuses the disbursement citing its rule), the disbursement, and then the default the fund pays
(P-2 until its fund is exhausted, P-4 up to FOGAMICO's 0.33, P-3 up to FOCIR's 30 % of the losses) or the
payoff with a miner's own contribution refunded. After every money step the ledger and the funds check clean.

P-2 and P-4 live in 2013 (their terms ended in 2014) with an illustrative TIIE 28 and FIX of that period;
P-3 in the cast's 2026 with the shipped illustrative series.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import pairwise

import pytest
import time_machine
from program_support import (
    IN_2013,
    IN_2026,
    analysed,
    fix_2013,
    mortgage,
    p2_file,
    p3_file,
    p3_fund_formalized,
    p4_file,
    propose_and_authorize,
    retention_letter,
    statement,
    steps_due_before,
    tiie_2013,
    to_ready_as,
    trc_users,
)

from filon.accounts.models import User
from filon.core.allocation import ALLOCATION_ORDER
from filon.core.calendar import MEXICO_CITY, today_mx
from filon.core.money import cap_money, round_money
from filon.demo.scenarios import loan_disburse
from filon.errors import TransitionRefused
from filon.funds.models import MovementKind
from filon.funds.selectors import fund_balance, fund_statement, funds_check, program_coverage
from filon.funds.services import fund_contribute, fund_cover_default, fund_create, fund_refund
from filon.ledger import chart
from filon.ledger.services import account_balance, ledger_check
from filon.origination.models import FileStatus
from filon.programs.models import ProgramStep, StepKind, StepStatus
from filon.programs.services import parametric_evaluation_record
from filon.rules import load_ruleset_for_date
from filon.rules.schema import Stage
from filon.servicing.close import close_through
from filon.servicing.models import Loan, LoanStatus
from filon.servicing.payments import payment_apply
from filon.servicing.selectors import loan_positions
from filon.servicing.services import commission_pay, loan_create_from_file

pytestmark = pytest.mark.django_db

ZERO = Decimal(0)


# ------------------------------------------------------------------------------------------- helpers


def at(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(11, 0), tzinfo=MEXICO_CITY), tick=False)


def assert_books() -> None:
    assert ledger_check(loan_positions=loan_positions()) == []
    assert funds_check() == []


def rows(loan: Loan):
    return list(loan.installments.filter(version__active=True).order_by("number"))


def overdue(loan: Loan, on: dt.date) -> dict[str, Decimal]:
    """What the credit owes on `on` that fell due before it, by concept (its installments as the books
    keep them)."""
    owed = {"intereses_moratorios": ZERO, "intereses_vencidos": ZERO, "capital_vencido": ZERO}
    for r in rows(loan):
        owed["intereses_moratorios"] += r.moratorium_accrued - r.moratorium_paid
        if r.payable < on:
            owed["intereses_vencidos"] += r.interest_accrued - r.interest_paid
            owed["capital_vencido"] += r.principal - r.principal_paid
    return owed


def accrued(loan: Loan, through: dt.date) -> Loan:
    """The credit accrued through `through` (what a payment on that date accrues first)."""
    from django.db import transaction

    from filon.servicing.accrual import loan_accrue

    with transaction.atomic():
        loan_accrue(loan=Loan.objects.select_for_update().get(pk=loan.pk), through=through)
    loan.refresh_from_db()
    return loan


def due_on(loan: Loan, on: dt.date) -> Decimal:
    """Everything payable on `on` (the credit accrued through it)."""
    return sum(
        (
            (r.moratorium_accrued - r.moratorium_paid)
            + (
                (r.interest_accrued - r.interest_paid) + (r.principal - r.principal_paid)
                if r.payable <= on
                else ZERO
            )
            for r in rows(loan)
        ),
        ZERO,
    )


def assert_moratorium_by_the_rule(loan: Loan, on: dt.date, rate: Decimal) -> None:
    """R-9.2.5: each late installment owes its unpaid principal × 1.5 × the ordinary rate × the days since
    its payable date / 360, rounded once — however many daily closes accrued it."""
    for r in rows(loan):
        if r.payable < on:
            days = (on - r.payable).days
            assert r.moratorium_accrued == round_money(
                r.principal * loan.moratorium_factor * rate * days / 360
            ), (r.number, days)


def by_concept(payment) -> dict[str, Decimal]:
    paid: dict[str, Decimal] = {}
    for piece in payment.allocation:
        paid[piece["concept"]] = paid.get(piece["concept"], ZERO) + Decimal(str(piece["amount"]))
    return paid


def in_order(payment) -> bool:
    order = [c.value for c in ALLOCATION_ORDER]
    seen = [order.index(piece["concept"]) for piece in payment.allocation]
    return seen == sorted(seen)


def authorization_steps(cast, file, *, analyst, evaluator=None):
    """The statements, the parametric evaluation recorded and every step due before the committee."""
    statement(analyst, file.applicant)
    evaluation = parametric_evaluation_record(
        user=evaluator or analyst, file=file, technical_opinion_favorable=True
    )
    assert evaluation.approved
    steps_due_before(analyst, file, Stage.AUTHORIZATION)
    step = ProgramStep.objects.get(file=file, kind=StepKind.PARAMETRIC)
    assert step.status == StepStatus.DONE
    assert "Aprobatorio" in step.document
    return evaluation


def no_commission(user, loan: Loan) -> None:
    """The programs charge no opening commission: the loan has none and paying one is refused."""
    assert loan.opening_commission == loan.opening_commission_iva == ZERO
    with pytest.raises(TransitionRefused) as refused:
        commission_pay(user=user, loan=loan, value_date=today_mx())
    assert refused.value.field == "opening_commission"
    assert "no tiene comisión por apertura" in refused.value.message


def disburse(user, loan: Loan, on: dt.date) -> Loan:
    """`user` captures the whole amount and the Dirección (a central role, any office) releases it."""
    releaser = User.objects.get(username="omar.direccion")
    loan_disburse(loan, amount=loan.contracted_amount, value_date=on, captured_by=user, released_by=releaser)
    loan.refresh_from_db()
    return loan


@pytest.fixture
def in_2013(cast):
    with time_machine.travel(IN_2013, tick=False):
        fix_2013()
        tiie_2013()
        yield


@pytest.fixture
def in_2026(cast, sample_rates):
    with time_machine.travel(IN_2026, tick=False):
        yield


# ------------------------------------------------------------------------------------------- P-2


def test_p2_from_application_to_default_paid_by_the_fund_until_exhausted(cast, in_2013):
    ruleset = load_ruleset_for_date(today_mx())
    program = ruleset.programs["pequena_mineria"]
    entry = program.guarantee_funds[0]
    file = p2_file(cast, term_months=12, grace_months=0)
    analysed(cast, file, user=cast.ana, guarantees=[mortgage(file, "2000000")])
    authorization_steps(cast, file, analyst=cast.ana)
    file = propose_and_authorize(cast, file, proposer=cast.gerardo)
    assert file.status == FileStatus.AUTHORIZED
    file = to_ready_as(cast, file, analyst=cast.ana, manager=cast.gerardo)
    assert file.status == FileStatus.READY_TO_DISBURSE
    assert not ProgramStep.objects.filter(file=file, status=StepStatus.PENDING).exists()

    loan = loan_create_from_file(user=cast.ana, file=file)
    assert (loan.program, loan.contracted_amount, loan.base_series) == (
        "pequena_mineria",
        Decimal("1500000"),
        "TIIE28",
    )
    no_commission(cast.ana, loan)
    assert_books()

    # The fund: 50 % of each credit (P-2 2.4, 2.6). Short, it refuses the disbursement citing the rule.
    state = fund_create(
        user=cast.omar,
        code="PM-ZAC",
        name="Fondo del Gobierno del Estado de Zacatecas",
        program="pequena_mineria",
        contributor="state",
        state="ZAC",
    )
    assert (state.kind, state.rule) == ("first_loss_pool", entry.rule)
    fund_contribute(user=cast.omar, fund=state, amount=Decimal("500000"), on=today_mx())
    assert_books()
    with pytest.raises(TransitionRefused) as short:
        disburse(cast.ana, loan, today_mx())
    assert short.value.rule == entry.rule == "P-2 2.4"
    assert "faltan $250,000.00" in short.value.message
    loan.refresh_from_db()
    assert loan.status == LoanStatus.PENDING
    fund_contribute(user=cast.omar, fund=state, amount=Decimal("250000"), on=today_mx())
    disbursed_on = today_mx()
    loan = disburse(cast.ana, loan, disbursed_on)
    assert loan.status == LoanStatus.ACTIVE
    assert program_coverage("pequena_mineria").shortfall == ZERO
    assert account_balance(chart.FONDOS_DE_GARANTIA, "MXN") == Decimal("-750000")
    close_through(business_date=disbursed_on)
    assert_books()

    # The borrower never pays: the daily closes run for six months and the credit falls overdue.
    default_on = dt.date(2013, 9, 10)
    with at(default_on):
        close_through(business_date=default_on - dt.timedelta(days=1))
        loan.refresh_from_db()
        assert loan.days_past_due > 90
        owed = overdue(accrued(loan, default_on), default_on)
        # Six of twelve installments of 125,000 at 7.80 % (TIIE 4.30 % + 3.5 points) on the balance,
        # actual/360 (10,075.00 on 1,500,000 for March's 31 days …), and 1.5 × 7.80 % on each late
        # principal for 158, 127, 97, 67, 36 and 5 days.
        assert owed == {
            "intereses_moratorios": Decimal("19906.27"),
            "intereses_vencidos": Decimal("47314.58"),
            "capital_vencido": Decimal("750000.00"),
        }
        assert_moratorium_by_the_rule(loan, default_on, Decimal("0.078"))
        assert_books()

        movement = fund_cover_default(user=cast.gerardo, fund=state, loan=loan, on=default_on)
        assert movement.amount == Decimal("750000.00")  # all the fund had
        paid = by_concept(movement.payment)
        assert in_order(movement.payment)
        assert paid["intereses_moratorios"] == owed["intereses_moratorios"] > 0
        assert paid["intereses_vencidos"] == owed["intereses_vencidos"] > 0
        assert (
            paid["capital_vencido"]
            == Decimal("750000") - owed["intereses_moratorios"] - owed["intereses_vencidos"]
        )
        assert paid["capital_vencido"] == Decimal("682779.15")
        assert fund_balance(state) == ZERO
        loan.refresh_from_db()
        left = overdue(loan, default_on)
        assert left == {
            "intereses_moratorios": ZERO,
            "intereses_vencidos": ZERO,
            "capital_vencido": Decimal("750000") - paid["capital_vencido"],
        }
        assert loan.principal_balance == Decimal("1500000") - paid["capital_vencido"] == Decimal("817220.85")
        assert loan.status == LoanStatus.ACTIVE
        assert_books()

        with pytest.raises(TransitionRefused) as exhausted:
            fund_cover_default(user=cast.gerardo, fund=state, loan=loan, on=default_on)
        assert exhausted.value.rule == entry.rule
        assert "ya no tiene recursos" in exhausted.value.message
        from filon.audit.models import AuditRecord

        audit = AuditRecord.objects.get(action="fund.payment")
        assert audit.after["balance"] == "0.00"
        assert {p["concept"] for p in audit.after["allocation"]} == set(paid)
        totals = fund_statement(user=cast.ramon, fund=state).totals
        assert totals[MovementKind.CONTRIBUTION] == totals[MovementKind.PAYMENT] == Decimal("750000")
        # The day closes over the fund's payment; the rest stays owed by the borrower.
        close_through(business_date=default_on)
        loan.refresh_from_db()
        assert loan.principal_balance == Decimal("1500000") - paid["capital_vencido"]
        assert overdue(loan, default_on)["capital_vencido"] == left["capital_vencido"]
        assert_books()


def test_p2_payoff_refunds_the_miners_own_contribution(cast, in_2013):
    entry = load_ruleset_for_date(today_mx()).programs["pequena_mineria"].guarantee_funds[0]
    file = p2_file(
        cast,
        amount="1000000",
        rfc="MVE120315AB3",
        name="Minera La Veta, S.A. de C.V.",
        term_months=6,
        grace_months=0,
    )
    analysed(cast, file, user=cast.ana, guarantees=[mortgage(file, "1500000")])
    authorization_steps(cast, file, analyst=cast.ana)
    propose_and_authorize(cast, file, proposer=cast.gerardo)
    file = to_ready_as(cast, file, analyst=cast.ana, manager=cast.gerardo)
    loan = loan_create_from_file(user=cast.ana, file=file)
    no_commission(cast.ana, loan)

    # Half of the credit: 400,000 from the state and 100,000 of the miner's own (P-2 2.4, 2.5).
    state = fund_create(
        user=cast.omar, code="PM-ZAC", name="Fondo estatal", program="pequena_mineria", contributor="state"
    )
    own = fund_create(
        user=cast.omar,
        code="PM-MINERO-VETA",
        name="Aportación propia de Minera La Veta",
        program="pequena_mineria",
        contributor="miner",
        loan=loan,
    )
    fund_contribute(user=cast.omar, fund=state, amount=Decimal("400000"), on=today_mx())
    with pytest.raises(TransitionRefused) as short:
        disburse(cast.ana, loan, today_mx())
    assert short.value.rule == entry.rule
    assert "faltan $100,000.00" in short.value.message
    fund_contribute(user=cast.omar, fund=own, amount=Decimal("100000"), on=today_mx())
    loan = disburse(cast.ana, loan, today_mx())
    close_through(business_date=today_mx())
    assert_books()
    with pytest.raises(TransitionRefused) as early:
        fund_refund(user=cast.omar, fund=own, on=today_mx())
    assert early.value.rule == entry.rule
    assert "no está liquidado" in early.value.message

    # The borrower pays every installment on its payable date; the day before, the books are closed.
    paid_in = ZERO
    for row in rows(loan):
        with at(row.payable):
            close_through(business_date=row.payable - dt.timedelta(days=1))
            amount = due_on(accrued(loan, row.payable), row.payable)
            payment_apply(
                user=cast.ana,
                loan=loan,
                amount=amount,
                value_date=row.payable,
                idempotency_key=f"abono-{row.number}",
            )
            paid_in += amount
            loan.refresh_from_db()
            assert loan.days_past_due == 0
            assert_books()
    assert loan.status == LoanStatus.PAID_OFF
    assert (loan.principal_balance, loan.accrued_interest, loan.accrued_moratorium) == (ZERO, ZERO, ZERO)
    assert paid_in > Decimal("1000000")  # principal and its interest
    assert not any(r.moratorium_accrued for r in rows(loan))

    with at(loan.maturity_date):
        banks = account_balance(chart.BANCOS, "MXN")
        refund = fund_refund(user=cast.omar, fund=own, on=today_mx())
        assert refund.amount == Decimal("100000")
        assert account_balance(chart.BANCOS, "MXN") == banks - Decimal("100000")
        own.refresh_from_db()
        assert not own.active
        assert fund_balance(own) == ZERO
        assert fund_balance(state) == Decimal("400000")  # the state's stays for the next credits
        with pytest.raises(TransitionRefused):
            fund_refund(user=cast.omar, fund=state, on=today_mx())
        totals = fund_statement(user=cast.ramon, fund=own).totals
        assert (totals[MovementKind.CONTRIBUTION], totals[MovementKind.REFUND]) == (
            Decimal("100000"),
            Decimal("100000"),
        )
        assert totals[MovementKind.PAYMENT] == ZERO
        assert_books()


# ------------------------------------------------------------------------------------------- P-4


def test_p4_from_application_to_default_fogamico_pays_its_third(cast, in_2013):
    entry = load_ruleset_for_date(today_mx()).programs["carbon_coahuila"].guarantee_funds[0]
    tomas, teresa = trc_users()
    file = p4_file(tomas, term_months=12, grace_months=0)
    analysed(cast, file, user=tomas, guarantees=[mortgage(file, "1500000"), retention_letter(file)])
    authorization_steps(cast, file, analyst=tomas, evaluator=teresa)
    # The retention letter and the liquid guarantee's deposit come after the committee.
    assert set(
        ProgramStep.objects.filter(file=file, status=StepStatus.PENDING).values_list("due", flat=True)
    ) == {"contracting", "pre_disbursement"}
    file = propose_and_authorize(cast, file, proposer=teresa)
    assert file.status == FileStatus.AUTHORIZED
    file = to_ready_as(cast, file, analyst=tomas, manager=teresa)
    assert not ProgramStep.objects.filter(file=file, status=StepStatus.PENDING).exists()
    loan = loan_create_from_file(user=tomas, file=file)
    assert (loan.office.code, loan.program) == ("TRC", "carbon_coahuila")
    no_commission(tomas, loan)

    # FOGAMICO: 0.33 of each credit, contributed in parts as the requests come in (P-4 4.2, 4.3).
    fogamico = fund_create(
        user=cast.omar,
        code="FOGAMICO",
        name=entry.name,
        program="carbon_coahuila",
        contributor="state",
        state="COA",
    )
    assert (fogamico.kind, fogamico.rule) == ("liquid_ratio", entry.rule)
    fund_contribute(user=cast.omar, fund=fogamico, amount=Decimal("200000"), on=today_mx())
    with pytest.raises(TransitionRefused) as short:
        disburse(tomas, loan, today_mx())
    assert short.value.rule == entry.rule == "P-4 4.2"
    assert "se requieren $330,000.00" in short.value.message
    fund_contribute(user=cast.omar, fund=fogamico, amount=Decimal("800000"), on=today_mx())
    loan = disburse(tomas, loan, today_mx())
    close_through(business_date=today_mx())
    assert_books()

    # Nothing paid: five of twelve installments late by 13/08/2013.
    default_on = dt.date(2013, 8, 13)
    with at(default_on):
        close_through(business_date=default_on - dt.timedelta(days=1))
        owed = overdue(accrued(loan, default_on), default_on)
        assert owed == {
            "intereses_moratorios": Decimal("9343.75"),
            "intereses_vencidos": Decimal("27625.00"),
            "capital_vencido": Decimal("416666.65"),
        }
        assert_moratorium_by_the_rule(loan, default_on, Decimal("0.078"))
        assert_books()
        movement = fund_cover_default(user=teresa, fund=fogamico, loan=loan, on=default_on)
        # The fund pays its 0.33 of the credit only, though it holds more and more is owed.
        assert movement.amount == entry.fraction_of_credit * loan.contracted_amount == Decimal("330000")
        paid = by_concept(movement.payment)
        assert in_order(movement.payment)
        assert paid["intereses_moratorios"] == owed["intereses_moratorios"] > 0
        assert paid["intereses_vencidos"] == owed["intereses_vencidos"] > 0
        assert (
            paid["capital_vencido"]
            == Decimal("330000") - owed["intereses_moratorios"] - owed["intereses_vencidos"]
        )
        assert paid["capital_vencido"] == Decimal("293031.25")
        assert fund_balance(fogamico) == Decimal("670000")
        loan.refresh_from_db()
        assert (
            overdue(loan, default_on)["capital_vencido"] == owed["capital_vencido"] - paid["capital_vencido"]
        )
        assert loan.principal_balance == Decimal("1000000") - paid["capital_vencido"] == Decimal("706968.75")
        assert_books()
        with pytest.raises(TransitionRefused) as capped:
            fund_cover_default(user=teresa, fund=fogamico, loan=loan, on=default_on)
        assert capped.value.rule == entry.rule
        close_through(business_date=default_on)
        assert_books()


# ------------------------------------------------------------------------------------------- P-3


def test_p3_from_application_to_default_focir_pays_thirty_percent_of_the_losses(cast, in_2026):
    from program_support import hmo_manager

    entry = load_ruleset_for_date(today_mx()).programs["cananea"].guarantee_funds[0]
    hector = hmo_manager()
    file = p3_file(cast, term_months=12, grace_months=0)
    analysed(cast, file, user=cast.sofia, guarantees=[mortgage(file, "3000000")])
    authorization_steps(cast, file, analyst=cast.sofia)
    file = propose_and_authorize(cast, file, proposer=hector)
    assert file.status == FileStatus.AUTHORIZED
    file = to_ready_as(cast, file, analyst=cast.sofia, manager=hector)
    loan = loan_create_from_file(user=cast.sofia, file=file)
    assert (loan.office.code, loan.program, loan.base_series) == ("HMO", "cananea", "TIIE_FONDEO")
    no_commission(cast.sofia, loan)

    # FOCIR covers the portfolio's first losses; P-3 asks no fraction of each credit, so it blocks nothing.
    focir = p3_fund_formalized(cast)  # created (and formalized, P-3 3.19) with the file
    assert (focir.kind, focir.rule) == ("portfolio_first_loss", entry.rule)
    assert program_coverage("cananea") is None
    fund_contribute(user=cast.omar, fund=focir, amount=entry.amount_mxn, on=today_mx())
    loan = disburse(cast.sofia, loan, today_mx())
    close_through(business_date=today_mx())
    assert_books()

    default_on = dt.date(2026, 8, 11)
    with at(default_on):
        close_through(business_date=default_on - dt.timedelta(days=1))
        loan = accrued(loan, default_on)
        owed = overdue(loan, default_on)
        # Five of twelve installments of 125,000 late, at the TIIE de Fondeo compounded plus 3.5 points.
        # Moratorium (R-9.2.5, I-8): each day of the delay at 1.5 × (the base published for its month
        # by C-5 + 3.5 %); the sample's Fondeo before 1 Apr/May/Jun/Jul/Aug is 7.22/7.18/7.15/7.11/7.06 %.
        # 125,000 × 1.5 / 360 × Σ rate: #1 (payable Mon 6 Apr, Good Friday the 3rd) 24 days at 10.72 %
        # + 31 at 10.68 % + 30 at 10.65 % + 31 at 10.61 % + 11 at 10.56 % = 7,046.51; #2 (4 May)
        # 5,484.01; #3 (3 Jun) 3,815.73; #4 (3 Jul) 2,152.29; #5 (3 Aug) 8 days at 10.56 % = 440.00.
        assert owed == {
            "intereses_moratorios": Decimal("18938.54"),
            "intereses_vencidos": Decimal("56798.93"),
            "capital_vencido": Decimal("625000.00"),
        }
        # The losses: the whole principal, the interest accrued (August's too) and the moratorium.
        exposure = loan.principal_balance + loan.accrued_interest + loan.accrued_moratorium
        assert exposure == Decimal("1578046.63")
        assert_books()
        movement = fund_cover_default(user=hector, fund=focir, loan=loan, on=default_on)
        assert movement.exposure == exposure
        # 30 % of 1,578,046.63 is 473,413.989: the fund pays at most its share, cut to 473,413.98.
        assert movement.amount == cap_money(entry.fraction_of_losses * exposure) == Decimal("473413.98")
        assert movement.amount < sum(owed.values())  # the rest of what fell due stays owed
        paid = by_concept(movement.payment)
        assert in_order(movement.payment)
        assert paid["intereses_moratorios"] == owed["intereses_moratorios"] > 0
        assert paid["intereses_vencidos"] == owed["intereses_vencidos"] > 0
        assert (
            paid["capital_vencido"]
            == movement.amount - owed["intereses_moratorios"] - owed["intereses_vencidos"]
        )
        assert paid["capital_vencido"] == Decimal("397676.51")
        assert fund_balance(focir) == entry.amount_mxn - movement.amount == Decimal("5526586.02")
        loan.refresh_from_db()
        assert loan.principal_balance == Decimal("1500000") - paid["capital_vencido"]
        assert_books()
        with pytest.raises(TransitionRefused) as covered:
            fund_cover_default(user=hector, fund=focir, loan=loan, on=default_on)
        assert covered.value.rule == entry.rule
        close_through(business_date=default_on)
        assert_books()


# ---------------------------------------------------------------------------- moratorium over daily closes


def test_daily_moratorium_adds_up_to_one_accrual_over_the_span():
    """The closes above accrue a late installment's moratorium day by day: the days add up to the same
    centavos as the whole span at once (R-9.2.5). Each day rounded apart gained half a centavo a day on
    125,000 at 1.5 × 7.80 % (40.625 a day)."""
    from filon.core.accrual import DelayRate
    from filon.servicing.accrual import InstallmentState, moratorium_delta

    row = InstallmentState(
        id=1,
        start=dt.date(2013, 3, 5),
        due=dt.date(2013, 4, 5),
        payable=dt.date(2013, 4, 5),
        rate=Decimal("0.078") * 31 / 360,
        interest=Decimal("10075.00"),
        interest_accrued=Decimal("10075.00"),
        principal_unpaid=Decimal("125000"),
        moratorium_accrued=ZERO,
    )
    factor = Decimal("1.5")
    rate = DelayRate(fixed=Decimal("0.078"))
    days = [row.payable + dt.timedelta(days=n) for n in range(159)]
    daily = sum((moratorium_delta(row, a, b, factor, rate) for a, b in pairwise(days)), ZERO)
    assert daily == moratorium_delta(row, row.payable, days[-1], factor, rate) == Decimal("6418.75")
