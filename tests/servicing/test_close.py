"""The daily close: accrual, overdue installments, moratorium, aging, CNBV classification, rate revision.

"Today" is frozen on 01/07/2026 so every date below is a fixed, hand-checkable business day. One loan goes
the whole way from a formalized file (`to_ready`, `loan_create_from_file`, `commission_pay`,
`loan_disburse`: captured, then released by another user); the other credits are opened directly on the
applicant with a fixed 12 % rate and disbursed through `loan_disburse`, because a file's whole origination costs about a second and the
close only reads the loan's terms. After every close the ledger must hold (`ledger_check` with every loan's
servicing position).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command

from conftest import to_ready
from filon.core.calendar import MEXICO_CITY, add_months
from filon.core.money import round_money
from filon.demo.scenarios import loan_disburse
from filon.errors import TransitionRefused
from filon.ledger import chart
from filon.ledger.models import JournalEntry, LedgerDay, Posting
from filon.ledger.services import ledger_check, loan_balances
from filon.servicing.close import close_day, close_through
from filon.servicing.models import Classification, DailyClose, Installment, InstallmentStatus, Loan
from filon.servicing.selectors import loan_positions
from filon.servicing.services import commission_pay, loan_create_from_file
from filon.servicing.statements import loan_statement

pytestmark = pytest.mark.django_db

TODAY = date(2026, 7, 1)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2026, 7, 1, 19, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


def closed(day: date) -> DailyClose:
    """Close one date and check the books: every entry balances and each loan matches the ledger."""
    record = close_day(business_date=day)
    assert ledger_check(loan_positions=loan_positions()) == []
    return record


def caught_up(day: date) -> list[DailyClose]:
    records = close_through(business_date=day)
    assert ledger_check(loan_positions=loan_positions()) == []
    return records


def bare_loan(
    cast,
    applicant,
    *,
    number: str,
    value_date: date,
    amount: str = "1200000.00",
    term_months: int = 12,
    every: int = 1,
    fixed_rate: str | None = "0.12",
    base_series: str = "",
    spread: str = "0",
    revolving: bool = False,
    drawdown_days: int | None = None,
) -> Loan:
    loan = Loan.objects.create(
        number=number,
        applicant=applicant,
        office=cast.zac,
        program="primer_piso",
        credit_type="avio_revolvente" if revolving else "habilitacion_avio",
        currency="MXN",
        ruleset_version="RO-2010-1160",
        contracted_amount=Decimal(amount),
        contract_date=value_date,
        fixed_rate=Decimal(fixed_rate) if fixed_rate else None,
        base_series=base_series,
        spread=Decimal(spread),
        moratorium_factor=Decimal("1.5"),
        term_months=term_months,
        payment_every_months=every,
        is_revolving=revolving,
        line_expires_on=add_months(value_date, 12) if revolving else None,
        revolvency_min_days=30 if revolving else None,
        revolvency_max_days=180 if revolving else None,
        created_by=cast.ana,
    )
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=Decimal(amount),
        value_date=value_date,
        drawdown_days=drawdown_days,
    )
    loan.refresh_from_db()
    return loan


def first_installment(loan: Loan) -> Installment:
    return loan.installments.get(version__active=True, number=1)


def counts() -> tuple[int, ...]:
    return (
        JournalEntry.objects.count(),
        Posting.objects.count(),
        LedgerDay.objects.count(),
        DailyClose.objects.count(),
    )


# ---------------------------------------------------------------------------------------- accrual


def test_daily_accrual_adds_up_to_the_installment_interest(cast, credit_file, sample_rates):
    to_ready(cast, credit_file)
    loan = loan_create_from_file(user=cast.ana, file=credit_file)
    start = date(2026, 3, 2)
    commission_pay(user=cast.ana, loan=loan, value_date=start)
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=Decimal("12000000"),
        value_date=start,
    )
    first = first_installment(loan)
    # 31 days to 02/04/2026 (Holy Thursday), payable on Monday 06/04/2026 (C-3).
    assert (first.due, first.payable, first.principal) == (date(2026, 4, 2), date(2026, 4, 6), 0)
    records = caught_up(date(2026, 3, 3))
    assert [r.business_date for r in records] == [date(2026, 3, 3)]  # the first close starts anywhere
    day = date(2026, 3, 3)
    while day < date(2026, 4, 6):
        day += timedelta(days=1)
        records += caught_up(day)
        loan.refresh_from_db()
        first.refresh_from_db()
        # a weekend or holiday closes nothing: its days are accrued by the next business day's close
        assert loan.accrued_through == records[-1].business_date
        elapsed = min((loan.accrued_through - start).days + 1, 31)
        # straight-line over the period, one rounding of the running total
        assert first.interest_accrued == round_money(first.interest * elapsed / 31)
    assert date(2026, 3, 16) not in [r.business_date for r in records]  # Benito Juárez: bank holiday
    assert first.interest_accrued == first.interest  # complete through the day before the due date
    assert first.status == InstallmentStatus.DUE  # payable today
    daily = sum(Decimal(r.interest_accrued.get("MXN", "0")) for r in records)
    assert (
        loan.accrued_interest
        == daily
        == sum(i.interest_accrued for i in loan.installments.filter(version__active=True))
    )
    assert loan_balances(loan.pk)[chart.INTERESES_DEVENGADOS] == daily
    assert loan.accrued_through == date(2026, 4, 6)
    # one accrual entry per close, every posting on the receivable carries the loan
    entries = JournalEntry.objects.filter(kind="devengo")
    assert entries.count() == len(records)
    assert not Posting.objects.filter(
        entry__kind="devengo", account__code=chart.INTERESES_DEVENGADOS, loan=None
    )


def test_unpaid_installment_goes_overdue_and_accrues_moratorium(cast, applicant):
    loan = bare_loan(cast, applicant, number="CR-MORA", value_date=date(2026, 1, 15))
    first = first_installment(loan)
    # 12 % fixed over 31 days on 1,200,000.00: 12,400.00 of interest; 100,000.00 of principal
    assert (first.interest, first.principal) == (Decimal("12400.00"), Decimal("100000.00"))
    assert first.payable == date(2026, 2, 16)  # due Sunday 15/02, payable Monday
    closed(date(2026, 2, 13))
    assert closed(date(2026, 2, 16)).moved_to_overdue == 0
    first.refresh_from_db()
    assert (first.status, first.moratorium_accrued) == (InstallmentStatus.DUE, 0)
    record = closed(date(2026, 2, 17))
    first.refresh_from_db()
    assert record.moved_to_overdue == 1
    assert first.status == InstallmentStatus.OVERDUE
    # 100,000.00 × (1.5 × 12 %) × 1 / 360 = 50.00, from the day after the payable date
    assert first.moratorium_accrued == Decimal("50.00")
    assert record.moratorium_accrued == {"MXN": "50.00"}
    caught_up(date(2026, 2, 23))  # Wed–Fri and Monday (Saturday and Sunday accrued by Monday's close)
    first.refresh_from_db()
    loan.refresh_from_db()
    # 17/02 … 23/02 = 7 days: 100,000.00 × 0.18 × 7 / 360 = 350.00
    assert first.moratorium_accrued == loan.accrued_moratorium == Decimal("350.00")
    assert loan_balances(loan.pk)[chart.INTERESES_MORATORIOS] == Decimal("350.00")
    assert loan.days_past_due == 7
    assert loan.classification == Classification.VIGENTE


# ---------------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("kind", "threshold", "options"),
    [
        ("periodic", 90, {"value_date": date(2026, 1, 20)}),  # payable 20/02: +89 Wed 20/05, +90 Thu
        ("revolving", 60, {"value_date": date(2026, 2, 11), "revolving": True, "drawdown_days": 30}),
        ("single_payment", 30, {"value_date": date(2026, 1, 13), "term_months": 3, "every": 3}),
    ],
)
def test_classification_moves_to_vencida_at_the_cnbv_threshold(cast, applicant, kind, threshold, options):
    loan = bare_loan(cast, applicant, number=f"CR-{kind}", **options)
    payable = first_installment(loan).payable
    if kind == "single_payment":
        assert loan.installments.count() == 1
    closed(payable + timedelta(days=threshold - 1))
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.classification) == (threshold - 1, Classification.VIGENTE)
    record = closed(payable + timedelta(days=threshold))
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.classification) == (threshold, Classification.VENCIDA)
    assert record.reclassified == 1
    transfer = JournalEntry.objects.get(kind="traspaso_vencida")
    moved = dict(transfer.postings.values_list("account__code", "amount"))
    assert moved == {
        chart.CARTERA_VENCIDA: loan.principal_balance,
        chart.CARTERA_VIGENTE: -loan.principal_balance,
        chart.INTERESES_VENCIDOS: loan.accrued_interest,
        chart.INTERESES_DEVENGADOS: -loan.accrued_interest,
    }
    assert set(transfer.postings.values_list("loan_id", flat=True)) == {loan.pk}
    balances = loan_balances(loan.pk)
    assert chart.CARTERA_VIGENTE not in balances
    assert chart.INTERESES_DEVENGADOS not in balances
    # from now on its ordinary interest accrues to the vencida account
    next_day = payable + timedelta(days=threshold + 1)
    while next_day.weekday() >= 5:
        next_day += timedelta(days=1)
    closed(next_day)
    loan.refresh_from_db()
    assert loan_balances(loan.pk)[chart.INTERESES_VENCIDOS] == loan.accrued_interest
    assert chart.INTERESES_DEVENGADOS not in loan_balances(loan.pk)


def test_a_loan_without_arrears_returns_to_vigente(cast, applicant):
    from django.db import transaction

    from filon.ledger.services import Line, entry_post

    loan = bare_loan(cast, applicant, number="CR-REGRESO", value_date=date(2026, 1, 20))
    closed(date(2026, 5, 21))  # 90 days past due: vencida
    loan.refresh_from_db()
    assert loan.classification == Classification.VENCIDA
    # The borrower pays every overdue installment (as the payments engine would post it).
    overdue = list(loan.installments.filter(status=InstallmentStatus.OVERDUE))
    principal = sum(i.principal for i in overdue)
    interest = sum(i.interest_accrued for i in overdue)
    mora = sum(i.moratorium_accrued for i in overdue)
    with transaction.atomic():
        entry_post(
            kind="pago",
            business_date=date(2026, 5, 22),
            description="Pago de las amortizaciones vencidas",
            lines=[
                Line(chart.BANCOS, principal + interest + mora, "MXN"),
                Line(chart.CARTERA_VENCIDA, -principal, "MXN", loan.pk),
                Line(chart.INTERESES_VENCIDOS, -interest, "MXN", loan.pk),
                Line(chart.INTERESES_MORATORIOS, -mora, "MXN", loan.pk),
            ],
        )
        for i in overdue:
            i.principal_paid, i.interest_paid, i.moratorium_paid = (
                i.principal,
                i.interest,
                i.moratorium_accrued,
            )
            i.status = InstallmentStatus.PAID
            i.save()
        Loan.objects.filter(pk=loan.pk).update(
            principal_balance=loan.principal_balance - principal,
            accrued_interest=loan.accrued_interest - interest,
            accrued_moratorium=loan.accrued_moratorium - mora,
        )
    closed(date(2026, 5, 22))
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.classification) == (0, Classification.VIGENTE)
    back = JournalEntry.objects.get(kind="traspaso_vigente")
    assert dict(back.postings.values_list("account__code", "amount")) == {
        chart.CARTERA_VIGENTE: loan.principal_balance,
        chart.CARTERA_VENCIDA: -loan.principal_balance,
        chart.INTERESES_DEVENGADOS: loan.accrued_interest,
        chart.INTERESES_VENCIDOS: -loan.accrued_interest,
    }
    assert loan_balances(loan.pk) == {
        chart.CARTERA_VIGENTE: loan.principal_balance,
        chart.INTERESES_DEVENGADOS: loan.accrued_interest,
    }


def test_the_close_hands_advances_to_the_payments_engine(cast, applicant, monkeypatch):
    """Step 1 calls the payments engine's `unapplied_apply` for the loans with money held and an
    installment payable by the date (the engine itself is faked: it is tested with payments)."""
    from django.db import transaction

    from filon.ledger.services import Line, entry_post
    from filon.servicing import payments

    calls = []
    monkeypatch.setattr(payments, "unapplied_apply", lambda *, loan, on: calls.append((loan.number, on)))
    ahead = bare_loan(cast, applicant, number="CR-ANTICIPO", value_date=date(2026, 1, 15))
    bare_loan(cast, applicant, number="CR-SIN-ANTICIPO", value_date=date(2026, 1, 15))
    later = bare_loan(cast, applicant, number="CR-ANTICIPO-FUTURO", value_date=date(2026, 2, 10))
    with transaction.atomic():  # money received ahead of time, held in «pagos por aplicar»
        for loan in (ahead, later):
            entry_post(
                kind="pago",
                business_date=date(2026, 2, 13),
                description="Pago anticipado",
                lines=[
                    Line(chart.BANCOS, Decimal("5000.00"), "MXN"),
                    Line(chart.PAGOS_POR_APLICAR, Decimal("-5000.00"), "MXN", loan.pk),
                ],
            )
        Loan.objects.filter(pk__in=[ahead.pk, later.pk]).update(unapplied_balance=Decimal("5000.00"))
    closed(date(2026, 2, 16))  # payable 16/02 for the first; 10/03 for the last
    assert calls == [("CR-ANTICIPO", date(2026, 2, 16))]


@pytest.mark.parametrize("step", ["unapplied_apply", "expired_lines_close"])
def test_a_step_that_cannot_run_stops_the_close(cast, applicant, monkeypatch, step):
    """A payments step missing or failing is never skipped: the close raises and closes nothing."""
    from filon.servicing import payments

    loan = bare_loan(cast, applicant, number="CR-PASO", value_date=date(2026, 1, 15))
    Loan.objects.filter(pk=loan.pk).update(unapplied_balance=Decimal("5000.00"))
    before = counts()
    position = Loan.objects.values().get(pk=loan.pk)
    monkeypatch.delattr(payments, step)
    with pytest.raises(AttributeError, match=step):
        close_day(business_date=date(2026, 2, 16))

    def broken(**kwargs):
        raise RuntimeError("el motor de pagos falló")

    monkeypatch.setattr(payments, step, broken, raising=False)
    with pytest.raises(RuntimeError, match="el motor de pagos falló"):
        close_day(business_date=date(2026, 2, 16))
    assert counts() == before
    assert Loan.objects.values().get(pk=loan.pk) == position


def test_aging_buckets(cast, applicant):
    cases = [  # (value date, amount): days past due on Monday 15/06/2026
        (date(2026, 6, 1), "1000000.00"),  # first payable 01/07: current
        (date(2026, 5, 5), "2000000.00"),  # payable Fri 05/06: 10 days
        (date(2026, 4, 1), "3000000.00"),  # due Labor Day 01/05, payable Mon 04/05: 42 days
        (date(2026, 3, 2), "4000000.00"),  # due Holy Thursday 02/04, payable Mon 06/04: 70 days
        (date(2026, 2, 3), "5000000.00"),  # payable Tue 03/03: 104 days → vencida
    ]
    for n, (value_date, amount) in enumerate(cases):
        bare_loan(cast, applicant, number=f"CR-AGE-{n}", value_date=value_date, amount=amount)
    record = closed(date(2026, 6, 15))
    assert record.loans == 5
    assert record.aging == {
        "0": {"loans": 1, "principal": {"MXN": "1000000.00"}},
        "1-30": {"loans": 1, "principal": {"MXN": "2000000.00"}},
        "31-60": {"loans": 1, "principal": {"MXN": "3000000.00"}},
        "61-90": {"loans": 1, "principal": {"MXN": "4000000.00"}},
        "91+": {"loans": 1, "principal": {"MXN": "5000000.00"}},
    }
    assert sorted(Loan.objects.values_list("days_past_due", flat=True)) == [0, 10, 42, 70, 104]
    assert record.reclassified == 1
    # every installment payable before the date is overdue, the rest untouched
    assert record.moved_to_overdue == 0 + 1 + 2 + 3 + 4


# ------------------------------------------------------------------------------- idempotence, order


def test_rerunning_a_closed_date_changes_nothing(cast, applicant):
    loan = bare_loan(cast, applicant, number="CR-IDEM", value_date=date(2026, 1, 15))
    first = closed(date(2026, 3, 3))
    before = counts()
    position = Loan.objects.values().get(pk=loan.pk)
    installments = list(Installment.objects.values().order_by("pk"))
    again = close_day(business_date=date(2026, 3, 3))
    assert again.pk == first.pk
    assert [r.pk for r in close_through(business_date=date(2026, 3, 3))] == [first.pk]
    call_command("close", "--date", "2026-03-03")
    assert counts() == before
    assert Loan.objects.values().get(pk=loan.pk) == position
    assert list(Installment.objects.values().order_by("pk")) == installments


def test_dates_out_of_order_are_refused(cast, applicant):
    bare_loan(cast, applicant, number="CR-ORDEN", value_date=date(2026, 1, 15))
    closed(date(2026, 3, 3))
    with pytest.raises(TransitionRefused, match="anterior al último cierre"):
        close_day(business_date=date(2026, 3, 2))
    with pytest.raises(TransitionRefused, match="anterior al último cierre"):
        close_through(business_date=date(2026, 3, 2))
    with pytest.raises(TransitionRefused, match="Falta cerrar el 04/03/2026"):
        close_day(business_date=date(2026, 3, 5))
    with pytest.raises(TransitionRefused, match="no es día hábil"):
        close_day(business_date=date(2026, 3, 7))
    with pytest.raises(TransitionRefused, match="fecha futura"):
        close_day(business_date=date(2026, 7, 2))
    with pytest.raises(CommandError, match="anterior al último cierre"):
        call_command("close", "--date", "2026-02-27")
    assert DailyClose.objects.count() == 1


def test_missed_dates_are_caught_up_in_order(cast, applicant, capsys):
    loan = bare_loan(cast, applicant, number="CR-PENDIENTES", value_date=date(2026, 2, 20))
    closed(date(2026, 3, 13))
    first = first_installment(loan)
    before = first.interest_accrued  # through Friday 13/03
    call_command("close", "--date", "2026-03-20")
    out = capsys.readouterr().out
    dates = list(DailyClose.objects.values_list("business_date", flat=True))
    # Monday 16/03 is a bank holiday: Tuesday's close accrues Saturday to Tuesday
    assert dates == [
        date(2026, 3, 13),
        date(2026, 3, 17),
        date(2026, 3, 18),
        date(2026, 3, 19),
        date(2026, 3, 20),
    ]
    assert out.index("Cierre del 17/03/2026") < out.index("Cierre del 20/03/2026")
    assert "Antigüedad de saldos" in out
    tuesday = DailyClose.objects.get(business_date=date(2026, 3, 17))
    first.refresh_from_db()
    period = (first.due - first.start).days
    four_days = round_money(first.interest * 26 / period) - before  # 20/02 … 17/03 is 26 days
    assert tuesday.interest_accrued == {"MXN": str(four_days)}
    loan.refresh_from_db()
    assert loan.accrued_through == date(2026, 3, 20)
    assert ledger_check(loan_positions=loan_positions()) == []
    call_command("close", "--date", "2026-03-22")  # Sunday: nothing left to close
    assert "No hay días hábiles por cerrar" in capsys.readouterr().out


# ----------------------------------------------------------------------------------- rate revision


def test_projected_installments_are_repriced_with_the_published_rate(cast, applicant, sample_rates):
    from filon.marketdata.models import Observation, Series

    tiie = Series.objects.get(code="TIIE28")
    Observation.objects.filter(series=tiie, date__gte=date(2026, 2, 1)).delete()
    loan = bare_loan(
        cast,
        applicant,
        number="CR-TIIE",
        value_date=date(2026, 1, 20),
        fixed_rate=None,
        base_series="TIIE28",
        spread="0.035",
    )
    rows = list(loan.installments.filter(version__active=True).order_by("number"))
    assert all(row.projected for row in rows)  # nothing published after 15/01/2026
    projected = [row.interest for row in rows]
    for day, value in [(date(2026, 2, 2), "0.0800"), (date(2026, 2, 19), "0.0810")]:
        Observation.objects.create(series=tiie, date=day, value=Decimal(value), source="csv")
    closed(date(2026, 2, 20))
    rows = list(loan.installments.filter(version__active=True).order_by("number"))
    assert [row.projected_interest for row in rows] == projected  # the projection stays on record
    # 1: its rate (published 15/01) was right; it is no longer a projection
    assert (rows[0].projected, rows[0].interest) == (False, projected[0])
    # 2: starts 20/02, base published 19/02: 1,100,000.00 × (8.10 % + 3.5 %) × 28 / 360 = 9,924.44
    assert (rows[1].projected, rows[1].interest) == (False, Decimal("9924.44"))
    assert rows[1].rate == Decimal("0.009022222")
    assert rows[1].interest_accrued == round_money(Decimal("9924.44") / 28)
    # 3 has not started: still on the projection
    assert (rows[2].projected, rows[2].interest) == (True, projected[2])


# ----------------------------------------------------------------------------- moratorium (I-8)


def test_moratorium_follows_the_base_published_for_each_month_of_the_delay(cast, applicant, sample_rates):
    """R-9.2.5 / I-8: a floating credit's moratorium takes, each day of the delay, the base published for
    that day's month (C-5) + its spread — not the overdue installment's period rate. The payoff quote, the
    daily closes and the payments engine compute it by the same function, so they agree.

    TIIE 28: 7.25 % of 15/01 (prices the first period, from 20/01), 7.00 % of 30/01 (February), 7.10 % of
    27/02 (March). Installment 1 (100,000.00 of principal) is payable Friday 20/02 and left unpaid:
    21–28 Feb, 8 days at 1.5 × (7.00 % + 3.5 %) = 15.75 %: 100,000 × 0.1575 × 8 / 360 = 350.00;
    1–10 Mar, 10 days at 1.5 × (7.10 % + 3.5 %) = 15.90 %: 100,000 × 0.159 × 10 / 360 = 441.666…;
    through 10/03: 791.666… → 791.67. (The period's frozen rate, 10.75 %, gave 806.25.)"""
    from filon.marketdata.models import Observation, Series
    from filon.servicing.selectors import loan_payoff

    tiie = Series.objects.get(code="TIIE28")
    Observation.objects.filter(series=tiie, date__gte=date(2026, 1, 1)).delete()
    for day, value in [
        (date(2026, 1, 15), "0.0725"),
        (date(2026, 1, 30), "0.0700"),
        (date(2026, 2, 27), "0.0710"),
    ]:
        Observation.objects.create(series=tiie, date=day, value=Decimal(value), source="csv")
    loan = bare_loan(
        cast,
        applicant,
        number="CR-MORA-TIIE",
        value_date=date(2026, 1, 20),
        fixed_rate=None,
        base_series="TIIE28",
        spread="0.035",
    )
    first = first_installment(loan)
    assert (first.payable, first.principal) == (date(2026, 2, 20), Decimal("100000.00"))
    assert loan_payoff(loan=loan, on=date(2026, 2, 28)).moratorium == Decimal("350.00")
    assert loan_payoff(loan=loan, on=date(2026, 3, 10)).moratorium == Decimal("791.67")
    closed(date(2026, 2, 19))
    records = caught_up(date(2026, 3, 2))  # Monday: accrues 28/02 and 1–2 March
    first.refresh_from_db()
    # through 02/03: 350.00 + 100,000 × 0.159 × 2 / 360 = 88.333… → 438.33
    assert first.moratorium_accrued == Decimal("438.33")
    records += caught_up(date(2026, 3, 10))
    first.refresh_from_db()
    loan.refresh_from_db()
    assert first.moratorium_accrued == loan.accrued_moratorium == Decimal("791.67")
    assert sum(Decimal(r.moratorium_accrued.get("MXN", "0")) for r in records) == Decimal("791.67")
    assert loan_balances(loan.pk)[chart.INTERESES_MORATORIOS] == Decimal("791.67")


def test_the_close_without_a_date_closes_the_business_day_before_today(capsys):
    """A day is closed after it ends: `filon close` alone closes through yesterday's business day and leaves
    today (Wednesday 01/07) open; `--date` stays explicit."""
    call_command("close")
    assert list(DailyClose.objects.values_list("business_date", flat=True)) == [date(2026, 6, 30)]
    assert "Cierre del 30/06/2026" in capsys.readouterr().out
    assert LedgerDay.objects.filter(business_date=TODAY).exists() is False


# ------------------------------------------------------------------------------ the loan's statement


def test_the_statement_shows_the_loans_own_lines_of_the_closes_accrual(cast, applicant):
    """The close posts one accrual entry for the whole portfolio; each loan's statement shows that entry with
    the loan's own lines only: what the loan accrued that day, not the other loans' nor the counterparts."""
    ours = bare_loan(cast, applicant, number="CR-EDO-1", value_date=date(2026, 6, 1))
    other = bare_loan(cast, applicant, number="CR-EDO-2", value_date=date(2026, 6, 1), amount="600000.00")
    closed(date(2026, 6, 2))
    closed(date(2026, 6, 3))
    period = {"period_from": date(2026, 6, 2), "period_to": date(2026, 6, 3)}
    accrued = {}
    for loan in (ours, other):
        movements = loan_statement(loan=loan, **period).movements
        shared = [m for m in movements if JournalEntry.objects.get(pk=m.entry_id).loan_id is None]
        assert [m.date for m in shared] == [date(2026, 6, 2), date(2026, 6, 3)]
        for movement in shared:
            own = Posting.objects.filter(entry_id=movement.entry_id, loan=loan)
            assert (
                len(movement.lines)
                == own.count()
                < Posting.objects.filter(entry_id=movement.entry_id).count()
            )
            assert sum((line.debit - line.credit for line in movement.lines), Decimal(0)) == sum(
                own.values_list("amount", flat=True), Decimal(0)
            )
        accrued[loan.number] = sum(
            (line.debit for m in shared for line in m.lines if line.account == chart.INTERESES_DEVENGADOS),
            Decimal(0),
        )
        # nothing accrued before the two closes nor was paid: the lines add up to the loan's accrued interest
        assert accrued[loan.number] == loan_balances(loan.pk)[chart.INTERESES_DEVENGADOS] > 0
    # 1,200,000 and 600,000 at the same 12 %: the first accrues twice what the second does
    assert abs(accrued["CR-EDO-1"] - 2 * accrued["CR-EDO-2"]) <= Decimal("0.02")
