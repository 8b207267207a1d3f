"""`filon worker`: the background process — django-tasks' database worker, plus the schedule and the sweep.

One process runs, in a loop: the scheduler tick (`operations.schedule.schedule_tick`: the run of every job
whose slot is due, enqueued once per slot), the sweep (`runs_resume_stale`, `job_runs_resume_stale`: work a
dead worker left behind is queued again), then every task in the queue (django-tasks-db's `Worker`: the
batch runs started from the pages, the job runs), then it sleeps `--interval` seconds. While a long queue is
drained, the tick and the sweep still run between tasks at least every `--interval` seconds.

SIGINT or SIGTERM stops it after the task in course (a second signal stops it at once; a task cut short is
resumed by the next worker's sweep). `--once` runs what is due and queued, then exits.

    filon worker [--interval 5] [--stale-after 600] [--once] [--no-schedule]
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.compat import TASKS_LOGGER
from django_tasks_db.management.commands.db_worker import Worker, valid_interval

from filon.documents.warmup import fonts_warm_in_background
from filon.operations.schedule import job_runs_resume_stale, schedule_tick
from filon.operations.services import runs_resume_stale

logger = logging.getLogger("filon.worker")

STOP_SIGNALS = [signal.SIGINT, signal.SIGTERM, *([signal.SIGQUIT] if hasattr(signal, "SIGQUIT") else [])]

STALE_AFTER_SECONDS = 600
"""A run with no heartbeat for this long is taken for dead and resumed. It must exceed the longest single
step (one business date of the close) and the longest job; a run wrongly taken for dead is still safe (each
step claims the run under a lock), only wasted work."""


class FilonWorker(Worker):
    """django-tasks-db's worker with the schedule's tick and the sweep before each drain of the queue and
    between tasks (at most every `interval` seconds)."""

    def __init__(self, *, stale_after: float, schedule: bool, once: bool, **options: Any) -> None:
        super().__init__(batch=True, **options)
        self.stale_after = timedelta(seconds=stale_after)
        self.schedule = schedule
        self.once = once
        self._last_tick = float("-inf")

    def tick(self) -> None:
        """Enqueue what the schedule says is due and what a dead worker left. An error is logged, not fatal
        (a locked SQLite database, a dropped connection): the queue still runs and the next tick tries
        again."""
        self._last_tick = time.monotonic()
        was_running = self.running_task
        self.running_task = True  # a signal now lets the tick finish
        try:
            close_old_connections()
            if self.schedule:
                for run in schedule_tick():
                    logger.info("Tarea programada %s: ejecución %s (%s)", run.code, run.pk, run.slot)
            runs_resume_stale(stale_after=self.stale_after)
            job_runs_resume_stale(stale_after=self.stale_after)
        except Exception:
            logger.exception("Revisión del calendario fallida; se reintenta en la siguiente vuelta")
        finally:
            self.running_task = was_running

    def run_task(self, db_task_result: Any) -> None:
        self.running_task = True  # claimed: a signal now lets it run (the parent sets this a moment later)
        if time.monotonic() - self._last_tick >= max(self.interval, 1):
            self.tick()
        super().run_task(db_task_result)

    def run(self) -> None:
        """Tick, drain the queue (the parent's loop in batch mode), sleep; until told to stop."""
        while self.running:
            self.tick()
            if not self.running:
                return
            super().run()
            self.startup_delay = False
            if self.once or (self.max_tasks is not None and self._run_tasks >= self.max_tasks):
                return
            if self.running:
                time.sleep(self.interval)


class Command(BaseCommand):
    help = (
        "Proceso de fondo: ejecuta las tareas programadas (cierre diario, tasas, avisos) y las operaciones "
        "por lotes iniciadas desde las páginas; reanuda lo que un proceso detenido dejó a medias."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=valid_interval,
            default=5.0,
            help="segundos de espera cuando no hay trabajo (5)",
        )
        parser.add_argument(
            "--stale-after",
            type=valid_interval,
            default=float(STALE_AFTER_SECONDS),
            help=f"segundos sin señal tras los que una ejecución se reanuda ({STALE_AFTER_SECONDS})",
        )
        parser.add_argument("--once", action="store_true", help="ejecuta lo pendiente y termina")
        parser.add_argument(
            "--no-schedule",
            dest="schedule",
            action="store_false",
            help="no programa tareas: solo ejecuta la cola y reanuda lo interrumpido",
        )
        parser.add_argument("--max-tasks", type=int, default=None, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        # each task and each scheduled run at verbosity 1; the queue loop's own chatter (it restarts after
        # every tick) only at 2
        verbosity = options["verbosity"]
        levels = {"filon.worker": 1, TASKS_LOGGER: 1, "django_tasks_db": 2}
        for name, shown_from in levels.items():
            log = logging.getLogger(name)
            log.setLevel(logging.INFO if verbosity >= shown_from else logging.WARNING)
            log.handlers = [logging.StreamHandler(self.stdout)]
            log.propagate = False
        if not options["once"]:
            # a long-running worker renders documents (the batch runs' PDFs): its fonts warm meanwhile
            fonts_warm_in_background()
        worker_id = f"{socket.gethostname()}-{os.getpid()}-{get_random_string(6)}"[:64]
        worker = FilonWorker(
            queue_names=["default"],
            interval=options["interval"],
            backend_name="default",
            startup_delay=not options["once"],
            max_tasks=options["max_tasks"],
            worker_id=worker_id,
            excluded_queue_names=[],
            stale_after=options["stale_after"],
            schedule=options["schedule"],
            once=options["once"],
        )
        self.stdout.write(f"Proceso de fondo {worker_id} iniciado (Ctrl+C para detener).")
        self.stdout.flush()
        previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}
        worker.configure_signals()
        try:
            worker.run()
        except SystemExit as exc:  # the parent's signal handler exits while the worker sleeps
            if exc.code not in (0, None):
                raise
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        self.stdout.write("Proceso de fondo detenido.")
