"""`filon worker` runs a close unattended, is killed mid-run (SIGKILL: no chance to clean up), and a second
worker finishes it: every business date closed exactly once, with the same books as an uninterrupted close,
and the books balanced.

The worker is the real command, started as a subprocess against the test database. On PostgreSQL that is
the test database itself (the test runs with `transaction=True`, so the subprocess sees its data). SQLite's
test database lives in this process's memory: it is copied to a file for the workers (SQLite's backup API)
and copied back once they are done, so the assertions read what the workers wrote.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from filon.ledger.services import ledger_check
from filon.operations.models import BatchRun, RunStatus
from filon.operations.services import close_run_start
from filon.servicing.close import close_day, close_through, dates_to_close
from filon.servicing.models import DailyClose
from filon.servicing.selectors import loan_positions
from servicing.test_close import bare_loan
from web.operations.test_operations import books

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
FILON = str(Path(sys.executable).parent / "filon")
FIRST_CLOSE = date(2026, 1, 2)
THROUGH = date(2026, 2, 6)  # 24 business days after the first close
WAIT = 180.0


def _database_url(tmp_path: Path) -> tuple[str, Path | None]:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        path = tmp_path / "worker.sqlite3"
        target = sqlite3.connect(path)
        connection.ensure_connection()
        connection.connection.backup(target)
        target.close()
        return f"sqlite:///{path}", path
    auth = quote(settings["USER"] or "")
    if settings.get("PASSWORD"):
        auth += ":" + quote(settings["PASSWORD"])
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{settings['NAME']}", None


def _reader(path: Path | None, run_id: int) -> Callable[[], tuple[str, int]]:
    """The run's (status, steps done) as the workers left it, read without holding a transaction."""
    if path is None:

        def read_postgres() -> tuple[str, int]:
            status, done = BatchRun.objects.filter(pk=run_id).values_list("status", "steps_done").get()
            return status, done

        return read_postgres

    def read_sqlite() -> tuple[str, int]:
        db = sqlite3.connect(path, timeout=20)
        try:
            row = db.execute(
                "SELECT status, steps_done FROM operations_batchrun WHERE id = ?", (run_id,)
            ).fetchone()
        finally:
            db.close()
        return row[0], row[1]

    return read_sqlite


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [FILON, "worker", "--interval", "0.2", "--stale-after", "2", "--no-schedule"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_for(what: Callable[[], bool], log: Path, message: str) -> None:
    deadline = time.monotonic() + WAIT
    while not what():
        if time.monotonic() > deadline:
            pytest.fail(f"{message}\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.05)


def test_a_worker_killed_mid_close_is_resumed_by_the_next_and_the_books_balance(cast, applicant, tmp_path):
    bare_loan(cast, applicant, number="CR-W-1", value_date=date(2025, 11, 14))
    bare_loan(cast, applicant, number="CR-W-2", value_date=date(2025, 12, 10), amount="600000.00")
    close_day(business_date=FIRST_CLOSE)
    days = dates_to_close(THROUGH)
    assert len(days) == 24
    with transaction.atomic():  # the same close uninterrupted, in this process, then undone
        close_through(business_date=THROUGH)
        expected = books()
        transaction.set_rollback(True)

    run = close_run_start(user=cast.omar, through=THROUGH)  # commits the run and its task
    url, sqlite_file = _database_url(tmp_path)
    env = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=url,
        FILON_DEBUG="0",
        FILON_SECRET_KEY="filon-worker-crash-test-key-not-secret-0123456789abcdef",
        FILON_VAR_DIR=str(tmp_path),
        FILON_MEDIA_ROOT=str(tmp_path / "media"),
    )
    log = tmp_path / "worker.log"
    state = _reader(sqlite_file, run.pk)

    first = _start_worker(env, log)
    try:
        _wait_for(lambda: state()[1] >= 1, log, "El primer proceso de fondo no cerró ningún día.")
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    status, done_at_kill = state()
    assert status == RunStatus.RUNNING  # killed mid-run
    assert 1 <= done_at_kill < len(days)

    second = _start_worker(env, log)
    try:
        _wait_for(
            lambda: state()[0] != RunStatus.RUNNING, log, "El segundo proceso de fondo no terminó el cierre."
        )
        os.killpg(second.pid, signal.SIGTERM)  # a clean stop
        assert second.wait(timeout=30) == 0, log.read_text(errors="replace")[-3000:]
    finally:
        if second.poll() is None:
            os.killpg(second.pid, signal.SIGKILL)
            second.wait(timeout=30)
    text = log.read_text(errors="replace")
    assert text.count("Proceso de fondo detenido.") == 1  # the killed one never said it

    if sqlite_file is not None:
        source = sqlite3.connect(sqlite_file)
        source.backup(connection.connection)
        source.close()

    run.refresh_from_db()
    assert (run.status, run.steps_done) == (RunStatus.DONE, len(days))
    assert list(DailyClose.objects.order_by("business_date").values_list("business_date", flat=True)) == [
        FIRST_CLOSE,
        *days,
    ]
    assert books() == expected  # each date closed once: no accrual posted twice, none missing
    assert ledger_check(loan_positions=loan_positions()) == []
    # the killed worker's task stays claimed (django-tasks retries nothing); a resumed one finished the run
    # (a spare one, enqueued while the run waited in the queue, finds it done and does nothing)
    statuses = list(DBTaskResult.objects.values_list("status", flat=True))
    assert statuses.count("RUNNING") == 1
    assert "SUCCESSFUL" in statuses
    assert "FAILED" not in statuses
