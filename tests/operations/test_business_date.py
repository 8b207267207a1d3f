"""The business date of the training mode and its advance, which runs the daily closes in between.

The calendar is frozen on Tuesday 03/03/2026; the books were closed on Monday 02/03/2026. The credits are
opened with tests/servicing/test_close.py's `bare_loan` (monthly installments from the disbursement).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command

from filon.accounts.models import User
from filon.audit.models import AuditRecord
from filon.core.calendar import (
    MEXICO_CITY,
    business_date_provider_set,
    calendar_today_mx,
    is_business_day,
    today_mx,
)
from filon.errors import Forbidden, TransitionRefused, ValidationFailed
from filon.ledger.services import ledger_check
from filon.operations import business_date as bd
from filon.operations.models import BatchRun, BusinessDate, RunKind, RunStatus
from filon.operations.services import (
    TRAINING_MODE_OFF,
    advance_run_start,
    advance_target,
    close_run_start,
    run_step,
)
from filon.servicing.close import close_day
from filon.servicing.models import DailyClose, InstallmentStatus, LoanStatus
from filon.servicing.selectors import loan_positions
from servicing.test_close import bare_loan

pytestmark = pytest.mark.django_db

CALENDAR = date(2026, 3, 3)
FIRST_CLOSE = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def frozen_today() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 3, 3, 10, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


@pytest.fixture
def training(settings) -> Iterator[None]:
    """The training mode on, with the stored business date registered as the calendar's provider."""
    settings.FILON_TRAINING_MODE = True
    bd.business_date_install()
    yield
    business_date_provider_set(None)
    bd.business_date_forget()


@pytest.fixture
def admin(cast) -> User:
    return User.objects.create_user("admin.sistema", password="clave-de-prueba-123", role="administrador")


@pytest.fixture
def portfolio(cast, applicant):
    """A credit disbursed on 20/02/2026 (first installment payable around 20/03), closed through 02/03."""
    loan = bare_loan(cast, applicant, number="CR-BD-1", value_date=date(2026, 2, 20))
    close_day(business_date=FIRST_CLOSE)
    return loan


def run_to_end(run: BatchRun) -> BatchRun:
    dates = [today_mx()]
    while run.is_active:
        run = run_step(run=run)
        dates.append(today_mx())
    run.dates_seen = dates  # type: ignore[attr-defined]
    return run


def business_days(first: date, last: date) -> list[date]:
    return [
        first + timedelta(n) for n in range((last - first).days + 1) if is_business_day(first + timedelta(n))
    ]


def closed() -> list[date]:
    return list(DailyClose.objects.order_by("business_date").values_list("business_date", flat=True))


# ---------------------------------------------------------------------------------- the provider


def test_without_training_mode_the_stored_date_is_ignored(settings):
    BusinessDate.objects.create(date=date(2026, 5, 1))
    settings.FILON_TRAINING_MODE = False
    bd.business_date_install()
    assert today_mx() == calendar_today_mx() == CALENDAR


def test_in_training_mode_today_is_the_stored_date_never_behind_the_calendar(training):
    assert today_mx() == CALENDAR  # no row yet: the calendar's date
    BusinessDate.objects.create(date=date(2026, 5, 1))
    bd.business_date_forget()
    assert today_mx() == date(2026, 5, 1)
    assert calendar_today_mx() == CALENDAR
    BusinessDate.objects.filter(pk=1).update(date=date(2026, 2, 1))
    bd.business_date_forget()
    assert today_mx() == CALENDAR  # a stored date the calendar has passed gives way to the calendar


def test_the_stored_date_is_cached_a_second_and_dropped_at_once_by_who_moves_it(training, admin, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(bd.time, "monotonic", lambda: clock[0])
    BusinessDate.objects.create(date=date(2026, 4, 1))
    bd.business_date_forget()
    assert today_mx() == date(2026, 4, 1)
    BusinessDate.objects.filter(pk=1).update(date=date(2026, 4, 2))  # as another process would
    assert today_mx() == date(2026, 4, 1)  # cached
    clock[0] += bd.CACHE_SECONDS
    assert today_mx() == date(2026, 4, 2)  # a second later, read again
    bd.business_date_move(to=date(2026, 4, 6), user=admin, reason="prueba")
    assert today_mx() == date(2026, 4, 6)  # the writing process sees its own move at once
    row = BusinessDate.objects.get()
    assert (row.set_by, row.reason) == (admin, "prueba")


def test_the_business_date_only_moves_forward(training, admin):
    bd.business_date_move(to=date(2026, 3, 10), user=admin, reason="prueba")
    with pytest.raises(TransitionRefused) as refused:
        bd.business_date_move(to=date(2026, 3, 9), user=admin, reason="prueba")
    assert refused.value.message == (
        "La fecha de negocio solo avanza: el 09/03/2026 no es posterior a la fecha de negocio actual (10/03/2026)."
    )


# ---------------------------------------------------------------------------------- the advance


def test_advance_one_business_day_closes_today_and_moves_the_date(training, admin, portfolio):
    target = advance_target(days=1)
    assert target == date(2026, 3, 4)
    run = advance_run_start(user=admin, to=target)
    assert (run.kind, run.items, run.total_steps) == (RunKind.ADVANCE, ["2026-03-03"], 1)
    run = run_to_end(run)
    assert run.status == RunStatus.DONE
    assert closed() == [FIRST_CLOSE, date(2026, 3, 3)]
    assert today_mx() == date(2026, 3, 4)
    assert calendar_today_mx() == CALENDAR
    assert ledger_check(loan_positions=loan_positions()) == []
    actions = list(
        AuditRecord.objects.filter(action__startswith="operations.advance").values_list("action", flat=True)
    )
    assert sorted(actions) == ["operations.advance.finish", "operations.advance.start"]


def test_advance_one_month_closes_every_business_day_between_and_the_loan_falls_late(
    training, admin, portfolio
):
    target = advance_target(months=1)
    assert target == date(2026, 4, 3)
    run = run_to_end(advance_run_start(user=admin, to=target))
    assert run.status == RunStatus.DONE, run.error
    expected = business_days(date(2026, 3, 3), date(2026, 4, 2))
    assert date(2026, 3, 16) not in expected  # Benito Juárez's day (third Monday of March): no close
    assert closed() == [FIRST_CLOSE, *expected]
    assert run.total_steps == len(expected)
    # the date moved as the run went: each step to the next business day, at the end to the target
    assert run.dates_seen == [CALENDAR, *expected[1:], target]  # type: ignore[attr-defined]
    assert today_mx() == target
    assert ledger_check(loan_positions=loan_positions()) == []

    loan = portfolio
    loan.refresh_from_db()
    first = loan.installments.filter(version__active=True).order_by("number").first()
    assert first.payable < target
    assert first.status == InstallmentStatus.OVERDUE
    assert loan.status == LoanStatus.ACTIVE
    assert loan.days_past_due == (expected[-1] - first.payable).days
    assert loan.days_past_due > 0
    assert loan.accrued_through == expected[-1]


def test_advance_to_a_date_closes_up_to_the_day_before(training, admin, portfolio):
    run = run_to_end(advance_run_start(user=admin, to=date(2026, 3, 10)))
    assert closed() == [FIRST_CLOSE, *business_days(date(2026, 3, 3), date(2026, 3, 9))]
    assert today_mx() == date(2026, 3, 10)
    assert run.result["business_date"] == "2026-03-10"


def test_an_advance_over_a_weekend_only_moves_the_date(training, admin, portfolio):
    run = run_to_end(advance_run_start(user=admin, to=date(2026, 3, 6)))  # closes 03, 04 and 05
    run = advance_run_start(user=admin, to=date(2026, 3, 7))  # Friday 06 -> Saturday 07: closes Friday
    run = run_to_end(run)
    saturday = advance_run_start(user=admin, to=date(2026, 3, 8))  # Saturday -> Sunday: nothing to close
    assert (saturday.status, saturday.total_steps) == (RunStatus.DONE, 0)
    assert today_mx() == date(2026, 3, 8)
    assert closed()[-1] == date(2026, 3, 6)


# ---------------------------------------------------------------------------------- refusals


def test_only_the_administrator_advances_the_date(training, cast, portfolio):
    with pytest.raises(Forbidden):
        advance_run_start(user=cast.omar, to=date(2026, 3, 4))  # dirección closes, but does not move the date
    assert not BatchRun.objects.exists()


def test_outside_training_mode_the_advance_is_refused(admin, portfolio):
    with pytest.raises(TransitionRefused) as refused:
        advance_run_start(user=admin, to=date(2026, 3, 4))
    assert refused.value.message == TRAINING_MODE_OFF
    assert "modo de capacitación está desactivado" in TRAINING_MODE_OFF
    assert not BatchRun.objects.exists()


def test_a_target_not_after_the_business_date_is_refused(training, admin, portfolio):
    with pytest.raises(TransitionRefused) as refused:
        advance_run_start(user=admin, to=CALENDAR)
    assert refused.value.message == (
        "La nueva fecha de negocio (03/03/2026) debe ser posterior a la actual (03/03/2026): la fecha de "
        "negocio solo avanza."
    )


def test_more_than_a_year_at_once_or_no_step_is_refused(training, admin, portfolio):
    with pytest.raises(TransitionRefused) as refused:
        advance_run_start(user=admin, to=date(2027, 4, 1))
    assert refused.value.message == (
        "La fecha de negocio avanza a lo más 366 días a la vez; el 01/04/2027 está a 394 días de la actual "
        "(03/03/2026)."
    )
    with pytest.raises(ValidationFailed) as none:
        advance_target()
    assert none.value.errors[0].message == "Indique cuánto avanzar: días hábiles, meses o una fecha."
    assert not BatchRun.objects.exists()


def test_a_second_start_while_a_run_is_active_is_refused(training, admin, cast, portfolio):
    run = advance_run_start(user=admin, to=date(2026, 3, 10))
    with pytest.raises(TransitionRefused) as refused:
        advance_run_start(user=admin, to=date(2026, 3, 11))
    assert refused.value.message.startswith(
        f"Ya hay un avance de la fecha de negocio en curso (ejecución {run.pk}, iniciada por"
    )
    with pytest.raises(TransitionRefused, match="Ya hay un avance de la fecha de negocio en curso"):
        close_run_start(user=cast.omar, through=date(2026, 3, 3))


def test_a_start_from_a_stale_page_is_refused(training, admin, portfolio):
    run_to_end(advance_run_start(user=admin, to=date(2026, 3, 4), seen=CALENDAR))
    with pytest.raises(TransitionRefused) as refused:  # the same click again
        advance_run_start(user=admin, to=date(2026, 3, 5), seen=CALENDAR)
    assert refused.value.message.startswith("La fecha de negocio ya cambió al 04/03/2026")


# ---------------------------------------------------------------------------------- the command


def test_filon_business_date_shows_and_advances_with_a_progress_line(training, admin, portfolio, capsys):
    call_command("business_date")
    assert capsys.readouterr().out.strip() == (
        "Fecha de negocio: 03/03/2026 · calendario: 03/03/2026 · modo de capacitación activado."
    )
    call_command("business_date", "--to", "2026-03-06", "--user", admin.username)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == [
        "Cerrando 03/03/2026 — 1 de 3 días (hasta el 06/03/2026)",
        "Cerrando 04/03/2026 — 2 de 3 días (hasta el 06/03/2026)",
        "Cerrando 05/03/2026 — 3 de 3 días (hasta el 06/03/2026)",
        "Fecha de negocio movida al 06/03/2026 — 3 de 3 días cerrados",
        "Fecha de negocio: 06/03/2026 · calendario: 03/03/2026 · modo de capacitación activado.",
    ]
    call_command("business_date", "--days", "1", "--user", admin.username)
    assert today_mx() == date(2026, 3, 9)
    with pytest.raises(CommandError, match=r"^La nueva fecha de negocio \(01/03/2026\) debe ser posterior"):
        call_command("business_date", "--to", "2026-03-01", "--user", admin.username)
    with pytest.raises(CommandError, match="indique el administrador"):
        call_command("business_date", "--months", "1")


def test_filon_business_date_outside_training_mode_refuses_to_advance(admin, portfolio):
    with pytest.raises(CommandError, match=r"^El modo de capacitación está desactivado"):
        call_command("business_date", "--days", "1", "--user", admin.username)
    assert today_mx() == CALENDAR


def test_the_cli_spells_the_command_with_a_hyphen():
    from filon.cli import COMMAND_ALIASES

    assert COMMAND_ALIASES["business-date"] == "business_date"
