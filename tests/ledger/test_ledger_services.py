"""`filon.ledger.services` on its own, with no loan behind the entries: an entry that does not balance is
refused with its message and leaves nothing posted; a reversal is the entry's mirror; the trial balance sums
to zero per currency; `ledger_check` finds each kind of difference planted behind the services' back.

The books as the servicing engine writes them are checked in tests/servicing and tests/security."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from filon.core.calendar import MEXICO_CITY
from filon.errors import TransitionRefused
from filon.ledger import chart
from filon.ledger.models import Account, JournalEntry, LedgerDay, Posting
from filon.ledger.services import (
    Breach,
    Line,
    UnbalancedEntry,
    account_balance,
    day_close,
    entry_post,
    entry_reverse,
    ledger_check,
    trial_balance,
)

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 16)


def post(lines: list[Line], *, on: dt.date = DAY, kind: str = "prueba") -> JournalEntry:
    with transaction.atomic():
        return entry_post(kind=kind, business_date=on, description="Póliza de prueba", lines=lines)


def collect(amount: str, currency: str = "MXN") -> list[Line]:
    """Money received at the bank against the interest income: a balanced pair."""
    return [
        Line(chart.BANCOS, Decimal(amount), currency),
        Line(chart.INGRESOS_INTERESES, -Decimal(amount), currency),
    ]


def postings(entry: JournalEntry) -> set[tuple[str, Decimal, str]]:
    return set(entry.postings.values_list("account__code", "amount", "currency"))


# ---------------------------------------------------------------------------------------------- refusals


def test_an_unbalanced_entry_is_refused_with_its_difference_and_posts_nothing():
    lines = [
        Line(chart.BANCOS, Decimal("100.00"), "MXN"),
        Line(chart.INGRESOS_INTERESES, Decimal("-99.99"), "MXN"),
    ]
    with pytest.raises(UnbalancedEntry) as refused:
        post(lines)
    assert str(refused.value) == "La póliza no cuadra: diferencia {'MXN': Decimal('0.01')}."
    assert refused.value.status == 500  # the caller built the entry wrong: never a user's error
    assert (JournalEntry.objects.count(), Posting.objects.count()) == (0, 0)


def test_balance_is_per_currency_not_across_currencies():
    lines = [
        Line(chart.BANCOS, Decimal("10.00"), "MXN"),
        Line(chart.INGRESOS_INTERESES, Decimal("-10.00"), "USD"),
    ]
    with pytest.raises(UnbalancedEntry, match=r"^La póliza no cuadra: diferencia \{'MXN'.*'USD'.*\}\.$"):
        post(lines)
    assert JournalEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "Una póliza necesita movimientos."),
        (
            [
                Line(chart.BANCOS, Decimal("0.005"), "MXN"),
                Line(chart.INGRESOS_INTERESES, Decimal("-0.005"), "MXN"),
            ],
            "Importe inválido en la cuenta 1101: 0.005.",
        ),
        (collect("5.00", "EUR"), "Moneda desconocida EUR."),
    ],
)
def test_an_entry_with_no_lines_a_sub_centavo_amount_or_an_unknown_currency_is_refused(lines, message):
    with pytest.raises(UnbalancedEntry) as refused:
        post(lines)
    assert str(refused.value) == message
    assert JournalEntry.objects.count() == 0


def test_lines_that_cancel_out_on_one_account_leave_an_empty_entry_refused():
    lines = [Line(chart.BANCOS, Decimal("7.00"), "MXN"), Line(chart.BANCOS, Decimal("-7.00"), "MXN")]
    with pytest.raises(UnbalancedEntry, match=r"^Una póliza necesita movimientos\.$"):
        post(lines)


def test_lines_on_the_same_account_are_merged_into_one_posting():
    entry = post([*collect("40.00"), *collect("2.50")])
    assert postings(entry) == {
        (chart.BANCOS, Decimal("42.50"), "MXN"),
        (chart.INGRESOS_INTERESES, Decimal("-42.50"), "MXN"),
    }


@pytest.mark.django_db(transaction=True)  # a plain test runs inside a transaction of its own
def test_posting_outside_the_use_case_s_transaction_is_a_programming_error():
    with pytest.raises(RuntimeError, match="inside the use case's transaction"):
        entry_post(kind="prueba", business_date=DAY, description="Sin transacción", lines=collect("1.00"))
    assert JournalEntry.objects.count() == 0


def test_a_closed_date_and_any_date_before_it_take_no_postings():
    with transaction.atomic():
        day_close(DAY)
    for on in (DAY, DAY - dt.timedelta(days=3)):
        with pytest.raises(TransitionRefused) as refused:
            post(collect("1.00"), on=on)
        assert str(refused.value) == (
            f"El día contable {on:%d/%m/%Y} está cerrado (último cierre: {DAY:%d/%m/%Y})."
        )
    assert post(collect("1.00"), on=DAY + dt.timedelta(days=1)).business_date == DAY + dt.timedelta(days=1)


# --------------------------------------------------------------------------------------------- reversals


def test_a_reversal_mirrors_the_entry_and_is_linked_to_it():
    entry = post(
        [
            Line(chart.BANCOS, Decimal("1160.00"), "MXN"),
            Line(chart.COMISIONES_COBRADAS, Decimal("-1000.00"), "MXN"),
            Line(chart.IVA_TRASLADADO, Decimal("-160.00"), "MXN"),
        ],
        kind="comision",
    )
    with transaction.atomic():
        mirror = entry_reverse(entry=entry, business_date=DAY, description="Reversa de la comisión")
    assert (mirror.kind, mirror.reverses_id) == ("reversa:comision", entry.pk)
    assert postings(mirror) == {(code, -amount, cur) for code, amount, cur in postings(entry)}
    assert trial_balance() == {}  # the pair leaves nothing on any account
    assert ledger_check() == []


def test_an_entry_is_reversed_once():
    entry = post(collect("10.00"))
    with transaction.atomic():
        entry_reverse(entry=entry, business_date=DAY, description="Primera reversa")
    with pytest.raises(TransitionRefused, match=r"^La póliza ya fue reversada\.$"), transaction.atomic():
        entry_reverse(entry=entry, business_date=DAY, description="Segunda reversa")
    assert JournalEntry.objects.filter(reverses=entry).count() == 1


# ----------------------------------------------------------------------------------------- trial balance


def test_the_trial_balance_sums_to_zero_in_each_currency():
    post(collect("1000.01"))
    post(collect("250.00", "USD"))
    post(
        [
            Line(chart.FONDOS_DE_GARANTIA, Decimal("300.00"), "MXN"),
            Line(chart.BANCOS, Decimal("-299.99"), "MXN"),
            Line(chart.INGRESOS_FONDOS, Decimal("-0.01"), "MXN"),
        ]
    )
    balance = trial_balance()
    assert balance == {
        (chart.BANCOS, "MXN"): Decimal("700.02"),
        (chart.INGRESOS_INTERESES, "MXN"): Decimal("-1000.01"),
        (chart.FONDOS_DE_GARANTIA, "MXN"): Decimal("300.00"),
        (chart.INGRESOS_FONDOS, "MXN"): Decimal("-0.01"),
        (chart.BANCOS, "USD"): Decimal("250.00"),
        (chart.INGRESOS_INTERESES, "USD"): Decimal("-250.00"),
    }
    for currency in ("MXN", "USD"):
        assert sum((v for (_, cur), v in balance.items() if cur == currency), Decimal(0)) == 0
    assert account_balance(chart.BANCOS, "MXN") == Decimal("700.02")
    assert account_balance(chart.CARTERA_VIGENTE, "MXN") == 0


# ------------------------------------------------------------------------------------------ ledger check


def test_ledger_check_finds_a_posting_planted_behind_the_services_back():
    entry = post(collect("10.00"))
    assert ledger_check() == []
    Posting.objects.create(
        entry=entry,
        account=Account.objects.get(code=chart.BANCOS, currency="MXN"),
        currency="MXN",
        amount=Decimal("0.01"),
    )
    (breach,) = ledger_check()
    assert breach.check == "balance"
    assert breach.detail.startswith(f"la póliza {entry.pk} no cuadra en MXN: ")
    assert Decimal(breach.detail.rsplit(" ", 1)[1]) == Decimal("0.01")


def test_ledger_check_finds_a_reversal_that_is_not_the_mirror():
    entry = post(collect("10.00"))
    with transaction.atomic():
        mirror = entry_reverse(entry=entry, business_date=DAY, description="Reversa")
    Posting.objects.filter(entry=mirror, account__code=chart.BANCOS).update(amount=Decimal("-9.00"))
    Posting.objects.filter(entry=mirror, account__code=chart.INGRESOS_INTERESES).update(
        amount=Decimal("9.00")
    )
    assert ledger_check() == [
        Breach("reversal", f"la póliza {mirror.pk} no es la reversa exacta de {entry.pk}")
    ]


def test_ledger_check_finds_an_entry_posted_on_a_date_already_closed():
    entry = post(collect("10.00"))
    LedgerDay.objects.create(business_date=DAY, closed_at=dt.datetime(2026, 3, 1, tzinfo=MEXICO_CITY))
    (breach,) = ledger_check()
    assert breach.check == "closed_date"
    assert breach.detail.startswith(f"la póliza {entry.pk} se registró el ")
    assert breach.detail.endswith(f"en el día cerrado {DAY:%d/%m/%Y}")


def test_ledger_check_compares_each_loan_position_account_by_account():
    assert ledger_check(loan_positions={999: {chart.CARTERA_VIGENTE: Decimal("5.00")}}) == [
        Breach("loan_position", "crédito 999, cuenta 1301: libro 0, cartera 5.00")
    ]
