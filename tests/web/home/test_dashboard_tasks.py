"""Overdue post-disbursement obligations show on the regional office's dashboard, and only there."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from conftest import to_ready
from filon.core.calendar import today_mx
from filon.demo.scenarios import loan_disburse
from filon.servicing.models import LoanTask, TaskKind
from filon.servicing.services import commission_pay, loan_create_from_file
from filon.servicing.tasks import task_complete, tasks_overdue_for_user

pytestmark = pytest.mark.django_db


def test_overdue_tasks_on_the_office_dashboard(client, cast, credit_file, sample_rates):
    to_ready(cast, credit_file)
    loan = loan_create_from_file(user=cast.ana, file=credit_file)
    commission_pay(user=cast.ana, loan=loan, value_date=today_mx())
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=Decimal("12000000"),
        value_date=today_mx(),
    )
    proof = loan.tasks.get(kind=TaskKind.PROOF_OF_USE)
    LoanTask.objects.filter(pk=proof.pk).update(due_on=today_mx() - timedelta(days=1))
    assert list(tasks_overdue_for_user(user=cast.ana)) == [LoanTask.objects.get(pk=proof.pk)]
    assert list(tasks_overdue_for_user(user=cast.sofia)) == []
    client.force_login(cast.ana)
    page = client.get("/").content.decode()
    assert "Vencidas" in page
    assert "Comprobación del 100 % de los recursos" in page
    assert "Cartera vigente" in page
    assert f'href="/creditos/{loan.pk}/#obligaciones"' in page  # the overdue obligation opens its loan
    client.force_login(cast.sofia)
    assert "Comprobación del 100 %" not in client.get("/").content.decode()
    visit = loan.tasks.get(kind=TaskKind.QUARTERLY_VISIT)
    task_complete(user=cast.ana, task=visit, note="Visita realizada; estados financieros recabados")
    follow_up = loan.tasks.filter(kind=TaskKind.QUARTERLY_VISIT, status="pending").get()
    assert follow_up.due_on > visit.due_on
