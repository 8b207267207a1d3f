"""Operations pages: the daily close and a rate import, run in steps by the worker; the run page polls
their progress.

The suite keeps the production tasks backend (django-tasks' database backend): starting a run writes its
task row in the same transaction, and the tests either run the steps through the services (`run_step`),
as the worker's task does, or run the worker itself in-process (`filon worker --once`).

"Today" is frozen on 01/07/2026 as in tests/servicing/test_close.py, whose `bare_loan` opens the credits.
The books are closed once on Monday 02/03/2026, so a close through Monday 09/03/2026 has five business days
to run: 03, 04, 05, 06 and 09/03.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from filon.accounts.models import User
from filon.audit.models import AuditRecord
from filon.core.calendar import MEXICO_CITY
from filon.errors import Forbidden, TransitionRefused, ValidationFailed
from filon.ledger.models import JournalEntry, Posting
from filon.ledger.services import ledger_check
from filon.marketdata.models import Observation, Series
from filon.operations import services
from filon.operations.models import BatchRun, RunKind, RunStatus
from filon.operations.selectors import CLOSE_ENTRY_KINDS, close_run_days
from filon.operations.services import (
    close_run_start,
    close_run_step,
    rate_import_start,
    rate_import_step,
    run_step,
)
from filon.servicing.close import close_day, close_through
from filon.servicing.models import DailyClose, Installment, Loan
from filon.servicing.selectors import loan_positions
from operations.worker_support import worker_once
from servicing.test_close import bare_loan
from web.web_support import HTMX, login

pytestmark = pytest.mark.django_db

FIRST_CLOSE = date(2026, 3, 2)
THROUGH = date(2026, 3, 9)
DAYS = [date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 5), date(2026, 3, 6), date(2026, 3, 9)]


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2026, 7, 1, 19, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


@pytest.fixture
def admin(cast):
    return User.objects.create_user("admin.sistema", password="clave-de-prueba-123", role="administrador")


@pytest.fixture
def portfolio(cast, applicant):
    """Two credits, one of them late from 16/02 (its first installment is never paid), closed on 02/03."""
    loans = [
        bare_loan(cast, applicant, number="CR-OPS-1", value_date=date(2026, 1, 15)),
        bare_loan(cast, applicant, number="CR-OPS-2", value_date=date(2026, 2, 20), amount="600000.00"),
    ]
    close_day(business_date=FIRST_CLOSE)
    return loans


def books() -> tuple[list, ...]:
    """What a close leaves behind, without ids, clock times and revision marks (which differ between two
    runs)."""
    closes = list(
        DailyClose.objects.order_by("business_date").values(
            "business_date",
            "loans",
            "interest_accrued",
            "moratorium_accrued",
            "moved_to_overdue",
            "reclassified",
            "aging",
        )
    )
    loans = list(Loan.objects.order_by("number").values().values())
    loans = [{k: v for k, v in row.items() if k not in ("id", "created_at", "revision")} for row in loans]
    installments = list(
        Installment.objects.order_by("loan__number", "version__number", "number").values(
            "number", "status", "interest_accrued", "moratorium_accrued", "principal_paid", "rate"
        )
    )
    postings = list(
        Posting.objects.order_by(
            "entry__business_date", "entry__kind", "account__code", "loan__number"
        ).values_list("entry__business_date", "entry__kind", "account__code", "loan__number", "amount")
    )
    return closes, loans, installments, postings


def csv_file(text: str, name: str = "tiie.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


GOOD_CSV = (
    "fecha,valor\n"
    + "".join(f"{day:02d}/06/2026,0.07{day:02d}\n" for day in range(1, 11))
    + "11/06/2026,N/E\n"
)


# ------------------------------------------------------------------------------------- daily close


def test_close_run_advanced_step_by_step_equals_close_through(cast, portfolio):
    with transaction.atomic():  # the same close by the command-line path, then undone
        assert [r.business_date for r in close_through(business_date=THROUGH)] == DAYS
        expected = books()
        transaction.set_rollback(True)
    assert DailyClose.objects.count() == 1

    client = login(cast.omar)  # dirección
    response = client.post(reverse("web:close_new"), {"through": "2026-03-09"})
    run = BatchRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:run", args=[run.pk])
    assert (run.kind, run.status, run.total_steps, run.steps_done) == (RunKind.CLOSE, RunStatus.PENDING, 5, 0)
    assert run.items == [day.isoformat() for day in DAYS]

    task = DBTaskResult.objects.get()  # handed to the worker with the run, in the same transaction
    assert (task.task_path, task.args_kwargs["args"]) == (
        "filon.operations.services.batch_run_advance",
        [run.pk],
    )

    page = client.get(reverse("web:run", args=[run.pk])).content.decode()
    assert "Cerrando 03/03/2026 — 1 de 5 días" in page
    assert '<progress max="5" value="0"' in page
    assert 'aria-live="polite"' in page
    assert 'hx-trigger="load delay:1s"' in page
    status = reverse("web:run_status", args=[run.pk])
    assert f'hx-get="{status}"' in page
    assert "hx-post" not in page  # the page advances nothing
    assert "En espera del proceso de fondo" in page  # no worker has taken it yet
    assert "puede cerrar esta página" in page

    for done in range(5):
        run_step(run=run)  # one step of the worker's task
        response = client.get(status, **HTMX)
        assert response.status_code == 200
        text = response.content.decode()
        assert DailyClose.objects.count() == 2 + done
        assert ledger_check(loan_positions=loan_positions()) == []
        if done < 4:
            assert f"Cerrando {DAYS[done + 1]:%d/%m/%Y} — {done + 2} de 5 días" in text
            assert 'hx-trigger="load delay:1s"' in text  # keeps polling
            assert "En espera del proceso de fondo" not in text  # the heartbeat is fresh
    run.refresh_from_db()
    assert (run.status, run.steps_done) == (RunStatus.DONE, 5)
    assert run.finished_at is not None
    assert "Cierre terminado — 5 de 5 días cerrados" in text
    assert "hx-trigger" not in text  # polling stops
    assert 'hx-swap-oob="true"' in text
    assert "Días cerrados" in text
    assert text.count("<tr>") == 1 + 5

    assert books() == expected
    assert set(run.result["closes"]) == {day.isoformat() for day in DAYS}
    actions = list(
        AuditRecord.objects.filter(object_type="operations.batchrun", object_id=str(run.pk)).values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["operations.close.finish", "operations.close.start"]

    page = client.get(reverse("web:run", args=[run.pk])).content.decode()
    assert "A cartera vencida" in page
    days = close_run_days(run)
    assert [d.record.business_date for d in days] == DAYS
    posted = [
        JournalEntry.objects.filter(business_date=day, kind__in=CLOSE_ENTRY_KINDS).count() for day in DAYS
    ]
    assert [d.entries for d in days] == posted
    assert min(posted) >= 1  # one accrual entry per close at least
    listing = client.get(reverse("web:operations")).content.decode()
    assert "Cierre terminado" in listing
    assert "Terminada" in listing


def test_the_worker_runs_a_close_started_from_the_page_to_its_end(cast, portfolio, monkeypatch):
    login(cast.omar).post(reverse("web:close_new"), {"through": "2026-03-09"})
    run = BatchRun.objects.get()
    worker_once(monkeypatch, "--no-schedule")
    run.refresh_from_db()
    assert (run.status, run.steps_done) == (RunStatus.DONE, 5)
    assert run.heartbeat_at is not None
    assert list(DailyClose.objects.values_list("business_date", flat=True)) == [FIRST_CLOSE, *DAYS]
    assert ledger_check(loan_positions=loan_positions()) == []
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert login(cast.omar).post(reverse("web:run_status", args=[run.pk])).status_code == 405


def test_a_second_close_run_is_refused_while_one_is_running(cast, portfolio, admin):
    run = close_run_start(user=cast.omar, through=THROUGH)
    with pytest.raises(TransitionRefused, match=f"Ya hay un cierre diario en curso \\(ejecución {run.pk}"):
        close_run_start(user=admin, through=THROUGH)
    close_run_step(run=run, user=admin)  # anyone allowed may continue it
    response = login(admin).post(reverse("web:close_new"), {"through": "2026-03-09"})
    assert response.status_code == 422
    assert "Ya hay un cierre diario en curso" in response.content.decode()
    assert BatchRun.objects.count() == 1
    # the database refuses it too, should two starts race past the check
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchRun.objects.create(kind=RunKind.CLOSE, started_by=admin, items=[], total_steps=0)
    # once the run ends, a new close may start; with nothing left to close it is refused
    for _ in range(4):
        close_run_step(run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    with pytest.raises(TransitionRefused, match="No hay días hábiles por cerrar hasta el 09/03/2026"):
        close_run_start(user=admin, through=THROUGH)


def test_a_step_asked_twice_for_the_same_state_closes_one_date(cast, portfolio):
    run = close_run_start(user=cast.omar, through=THROUGH)
    assert close_run_step(run=run, seen=0).steps_done == 1
    again = close_run_step(run=run, seen=0)  # a second worker that saw the same state
    assert again.steps_done == 1
    assert list(DailyClose.objects.values_list("business_date", flat=True)) == [FIRST_CLOSE, DAYS[0]]
    assert close_run_step(run=run, seen=1).steps_done == 2
    client = login(cast.omar)
    status = reverse("web:run_status", args=[run.pk])
    assert client.get(status)["Location"] == reverse("web:run", args=[run.pk])  # without JavaScript
    assert "Cerrando 05/03/2026 — 3 de 5 días" in client.get(status, **HTMX).content.decode()


def test_a_failed_step_stops_the_run_and_keeps_the_closed_dates(cast, portfolio, monkeypatch):
    real = services.close_day

    def close_day_failing(*, business_date, user=None):
        if business_date == DAYS[1]:
            raise TransitionRefused("falta la tasa publicada", field="base_series", rule="C-5")
        return real(business_date=business_date, user=user)

    monkeypatch.setattr(services, "close_day", close_day_failing)
    run = close_run_start(user=cast.omar, through=THROUGH)
    close_run_step(run=run)
    run = close_run_step(run=run)
    assert (run.status, run.steps_done) == (RunStatus.FAILED, 1)
    assert run.error == "No se pudo cerrar el 04/03/2026: falta la tasa publicada"
    assert run.error_rule == "C-5"
    assert DailyClose.objects.filter(business_date=DAYS[0]).exists()
    assert not DailyClose.objects.filter(business_date=DAYS[1]).exists()
    page = login(cast.omar).get(reverse("web:run", args=[run.pk])).content.decode()
    assert "Cierre detenido en el 04/03/2026 — 1 de 5 días cerrados" in page
    assert "falta la tasa publicada (C-5)" in page
    assert "hx-trigger" not in page
    # a failed run no longer blocks: the next close starts with the date that failed
    monkeypatch.setattr(services, "close_day", real)
    assert close_run_start(user=cast.omar, through=THROUGH).items[0] == DAYS[1].isoformat()


def test_filon_close_prints_a_progress_line_per_date(cast, portfolio, capsys):
    call_command("close", "--date", "2026-03-09")
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("Cerrando")]
    assert lines == [f"Cerrando {day:%d/%m/%Y} — {n} de 5 días…" for n, day in enumerate(DAYS, start=1)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql  # row locks and concurrent connections; SQLite serializes writers anyway
def test_two_workers_stepping_at_once_never_close_a_date_twice(cast, applicant):
    assert connection.vendor == "postgresql", "run this test only on the PostgreSQL tier (marker postgresql)"
    bare_loan(cast, applicant, number="CR-OPS-1", value_date=date(2026, 1, 15))
    close_day(business_date=FIRST_CLOSE)
    run = close_run_start(user=cast.omar, through=THROUGH)

    def poll_all(seen: list[int | None]) -> list[BaseException]:
        barrier = threading.Barrier(len(seen))
        errors: list[BaseException] = []

        def poll(state: int | None) -> None:
            try:
                barrier.wait()
                close_run_step(run=BatchRun.objects.get(pk=run.pk), user=cast.omar, seen=state)
            except BaseException as exc:
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=poll, args=(state,)) for state in seen]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return errors

    assert poll_all([0, 0, 0, 0]) == []  # four workers that saw the same state: one date closed
    run.refresh_from_db()
    assert (run.status, run.steps_done) == (RunStatus.RUNNING, 1)
    assert poll_all([None, None, None]) == []  # three steps without a state: the next three dates, in turn
    run.refresh_from_db()
    assert run.steps_done == 4
    closed = list(DailyClose.objects.values_list("business_date", flat=True))
    assert closed == [FIRST_CLOSE, *DAYS[:4]]
    assert ledger_check(loan_positions=loan_positions()) == []


# ------------------------------------------------------------------------------------- rate import


def test_a_rate_import_with_bad_lines_is_refused_and_stores_nothing(cast):
    bad = "fecha,valor\n01/06/2026,0.0712\n02/06/2026,abc\n31/06/2026,0.0713\n04/06/2026,7.13\n"
    with pytest.raises(ValidationFailed) as refused:
        rate_import_start(user=cast.ramon, series="TIIE28", file=csv_file(bad))
    messages = [e.message for e in refused.value.errors]
    assert [m.split(":")[0] for m in messages] == ["Línea 3", "Línea 4", "Línea 5"]
    assert "valor «abc» inválido" in messages[0]
    assert "«31/06/2026» no es una fecha" in messages[1]
    assert {e.field for e in refused.value.errors} == {"file"}
    assert {e.rule for e in refused.value.errors} == {"C-10"}

    response = login(cast.ramon).post(
        reverse("web:rate_import_new"), {"series": "TIIE28", "file": csv_file(bad)}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Línea 3: valor «abc» inválido" in page
    assert "(C-10)" in page
    assert "Línea 5: valor «7.13» inválido" in page
    assert "El archivo tiene 3 errores (vea la lista arriba); no se guardó nada." in page
    assert not Observation.objects.filter(series__code="TIIE28").exists()
    assert not BatchRun.objects.exists()


def test_a_good_rate_import_completes_in_chunks(cast, monkeypatch):
    monkeypatch.setattr(services, "RATE_CHUNK", 4)
    series = Series.objects.create(code="TIIE28", name="TIIE a 28 días", unit="tasa_anual")
    Observation.objects.create(series=series, date=date(2026, 6, 1), value=Decimal("0.05"), source="csv")
    client = login(cast.ramon)
    response = client.post(reverse("web:rate_import_new"), {"series": "TIIE28", "file": csv_file(GOOD_CSV)})
    run = BatchRun.objects.get()
    assert response.status_code == 302
    assert (run.kind, run.total_steps, run.params["chunk"]) == (RunKind.RATE_IMPORT, 10, 4)
    assert Observation.objects.filter(series=series).count() == 1  # nothing stored until the steps run

    page = client.get(reverse("web:run", args=[run.pk])).content.decode()
    assert "Importando TIIE28 — 0 de 10 observaciones guardadas" in page
    status = reverse("web:run_status", args=[run.pk])
    texts = []
    for done in (0, 4, 8):
        rate_import_step(run=run, seen=done)
        texts.append(client.get(status, **HTMX).content.decode())
    assert "Importando TIIE28 — 4 de 10 observaciones guardadas" in texts[0]
    assert "Importando TIIE28 — 8 de 10 observaciones guardadas" in texts[1]
    assert "Importación de TIIE28 terminada — 10 de 10 observaciones" in texts[2]
    run.refresh_from_db()
    assert (run.status, run.steps_done) == (RunStatus.DONE, 10)
    assert run.result == {"created": 9, "updated": 1, "unchanged": 0, "missing": 1}
    stored = dict(Observation.objects.filter(series=series).values_list("date", "value"))
    assert stored == {date(2026, 6, day): Decimal(f"0.07{day:02d}") for day in range(1, 11)}
    assert set(series.observations.values_list("imported_by", flat=True)) == {"ramon.riesgos"}
    assert "Observaciones nuevas" in texts[2]
    assert "hx-swap-oob" in texts[2]


# -------------------------------------------------------------------------------------------- roles


def test_roles(cast, portfolio, admin):
    close_run = close_run_start(user=cast.omar, through=THROUGH)
    rate_run = rate_import_start(user=cast.ramon, series="TIIE28", file=csv_file(GOOD_CSV))
    pages = {
        "operations": reverse("web:operations"),
        "close": reverse("web:close_new"),
        "rates": reverse("web:rate_import_new"),
        "close_run": reverse("web:run", args=[close_run.pk]),
        "rate_run": reverse("web:run", args=[rate_run.pk]),
    }
    allowed = {
        cast.omar: {"operations", "close", "close_run"},  # dirección
        admin: set(pages),
        cast.ramon: {"operations", "rates", "rate_run"},  # riesgos
    }
    for user in (cast.ana, cast.gerardo, cast.julia, cast.sergio, cast.marta, cast.omar, admin, cast.ramon):
        client = login(user)
        for name, url in pages.items():
            expected = 200 if name in allowed.get(user, set()) else 403
            assert client.get(url).status_code == expected, (user.username, name)
        home = client.get(reverse("home")).content.decode()
        assert (reverse("web:operations") in home) == (user in allowed), user.username
    for user in (cast.ana, cast.ramon):
        response = login(user).get(reverse("web:run_status", args=[close_run.pk]), **HTMX)
        assert response.status_code == 403
    assert DailyClose.objects.count() == 1
    with pytest.raises(Forbidden, match="no puede ejecutar el cierre diario"):
        close_run_step(run=close_run, user=cast.ramon)
    assert login(admin).get(reverse("home")).content.decode().count(reverse("web:rate_import_new")) == 1
    assert login(cast.ana).get(reverse("web:run", args=[999999])).status_code == 403
    assert login(admin).get(reverse("web:run", args=[999999])).status_code == 404


def test_the_close_page_proposes_the_business_day_before_today(cast):
    """Today (Wednesday 01/07) stays open for the day's operations: the form proposes Tuesday 30/06."""
    response = login(cast.omar).get(reverse("web:close_new"))
    assert response.status_code == 200
    assert 'value="30/06/2026"' in response.content.decode()
