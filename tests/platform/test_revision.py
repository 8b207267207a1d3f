"""Every write path gives the loan a new revision mark, always through `filon.platform.revision`: the loan's
own save, a journal entry naming the loan, a met obligation, the new name of who met one. The ledger knows
nothing of loans' pages: it calls the listeners servicing registered."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction

from conftest import to_ready
from filon.core.calendar import today_mx
from filon.demo.scenarios import loan_disburse
from filon.ledger import chart
from filon.ledger.services import Line, entry_post
from filon.platform import revision
from filon.servicing.models import Loan, LoanStatus, TaskKind
from filon.servicing.services import commission_pay, loan_create_from_file
from filon.servicing.tasks import task_complete

pytestmark = pytest.mark.django_db
SRC = Path(revision.__file__).resolve().parent.parent


@pytest.fixture
def loan(cast, credit_file, sample_rates):
    loan = loan_create_from_file(user=cast.ana, file=to_ready(cast, credit_file))
    commission_pay(user=cast.ana, loan=loan, value_date=today_mx())
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=Decimal("1000000"),
        value_date=today_mx(),
    )
    return loan


def _mark(loan: Loan) -> int:
    return Loan.objects.values_list("revision", flat=True).get(pk=loan.pk)


def test_a_saved_loan_takes_a_new_mark_with_or_without_update_fields(loan):
    first = _mark(loan)
    loan.save()
    second = _mark(loan)
    assert second not in (0, first)
    assert loan.revision == second
    loan.status = LoanStatus.ACTIVE
    loan.save(update_fields=["status"])  # the mark goes with the named fields
    assert _mark(loan) not in (first, second)


def test_an_entry_that_names_the_loan_gives_it_a_new_mark_and_another_loans_keeps_its_own(loan, cast):
    other = Loan.objects.exclude(pk=loan.pk).first()
    untouched = None if other is None else _mark(other)
    before = _mark(loan)
    with transaction.atomic():
        entry_post(
            kind="prueba",
            business_date=today_mx(),
            description="Intereses de prueba",
            lines=[
                Line(chart.INTERESES_DEVENGADOS, Decimal("10.00"), "MXN", loan.pk),
                Line(chart.INGRESOS_INTERESES, Decimal("-10.00"), "MXN"),
            ],
        )
    assert _mark(loan) != before
    if other is not None:
        assert _mark(other) == untouched
    # an entry on the entry's loan alone (no posting names it) marks it too
    before = _mark(loan)
    with transaction.atomic():
        entry_post(
            kind="prueba",
            business_date=today_mx(),
            description="Traspaso sin crédito en los movimientos",
            lines=[
                Line(chart.BANCOS, Decimal("5.00"), "MXN"),
                Line(chart.PAGOS_POR_APLICAR, Decimal("-5.00"), "MXN"),
            ],
            loan_id=loan.pk,
        )
    assert _mark(loan) != before


def test_an_entry_naming_no_loan_calls_no_listener(loan, monkeypatch):
    from filon.ledger import services

    heard = []
    monkeypatch.setattr(services, "_entry_listeners", [lambda entry, ids: heard.append(ids)])
    with transaction.atomic():
        entry_post(
            kind="prueba",
            business_date=today_mx(),
            description="Sin crédito",
            lines=[
                Line(chart.BANCOS, Decimal("1.00"), "MXN"),
                Line(chart.IVA_TRASLADADO, Decimal("-1.00"), "MXN"),
            ],
        )
        entry_post(
            kind="prueba",
            business_date=today_mx(),
            description="Con crédito",
            lines=[
                Line(chart.BANCOS, Decimal("1.00"), "MXN"),
                Line(chart.PAGOS_POR_APLICAR, Decimal("-1.00"), "MXN", loan.pk),
            ],
        )
    assert heard == [frozenset({loan.pk})]


def test_a_met_obligation_and_the_new_name_of_who_met_it_give_new_marks(loan, cast):
    task = loan.tasks.get(kind=TaskKind.PROOF_OF_USE)
    before = _mark(loan)
    task_complete(user=cast.ana, task=task, note="Facturas revisadas")
    after_task = _mark(loan)
    assert after_task != before

    cast.ana.last_login = cast.ana.date_joined
    cast.ana.save(update_fields=["last_login"])  # a login's save: nothing the page shows
    assert _mark(loan) == after_task

    cast.ana.first_name = "Anabel"
    cast.ana.save()
    assert _mark(loan) != after_task

    renamed = _mark(loan)
    cast.gerardo.last_name = "Otro"
    cast.gerardo.save()  # met no obligation of this loan
    assert _mark(loan) == renamed


def test_loans_touch_marks_the_loans_named_at_once_and_nothing_for_none(loan, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert revision.loans_touch([None]) == 0
    before = _mark(loan)
    assert revision.loans_touch([loan.pk, loan.pk, None]) == 1
    assert _mark(loan) != before


def test_one_model_carries_the_mark():
    revision.revised_model(Loan)  # servicing registered it already: the same model again is fine
    with pytest.raises(RuntimeError):
        revision.revised_model(LoanStatus)  # type: ignore[arg-type]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("package", ["ledger", "platform"])
def test_the_ledger_and_the_platform_import_no_loan_code(package):
    """The general ledger and the platform sit below servicing: they reach it only through what servicing
    registers with them."""
    higher = ("filon.servicing", "filon.web", "filon.api", "filon.funds", "filon.origination")
    for path in sorted((SRC / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        wrong = {name for name in _imports(path) if name.startswith(higher)}
        assert not wrong, f"{path.name} imports {sorted(wrong)}"
