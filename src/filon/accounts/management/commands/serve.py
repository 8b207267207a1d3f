"""`filon serve [--address 127.0.0.1:8000] [--workers N] [--threads N]`: the production server configuration.

Gunicorn (a real WSGI server) with DEBUG off, static files collected and served by WhiteNoise from this
process (no CDN, no separate web server needed on a closed network), access log to standard output.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


def exec_gunicorn(
    address: str, workers: int, extra_env: dict[str, str] | None = None, *, threads: int = 1
) -> None:
    """Replace this process with gunicorn serving filon.wsgi. One thread per worker process is gunicorn's
    sync worker: a process serves one request at a time, on its own core, with no other thread of its own
    waiting for the interpreter lock (on two cores, 2 sync processes answered the loan page half again as
    fast as 2 processes of 4 threads). One process more than cores keeps the cores busy while a process
    waits for PostgreSQL. More threads (gthread) keep slow clients from holding a process."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="filon.settings", **(extra_env or {}))
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    os.execve(
        gunicorn,
        [
            gunicorn,
            "filon.wsgi:application",
            "--bind",
            address,
            "--workers",
            str(workers),
            "--worker-class",
            "sync" if threads == 1 else "gthread",
            "--threads",
            str(threads),
            "--access-logfile",
            "-",
            "--timeout",
            "120",
        ],
        env,
    )


class Command(BaseCommand):
    help = "Sirve Filón con la configuración de producción (gunicorn, DEBUG apagado, estáticos locales)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--address", default="127.0.0.1:8000")
        parser.add_argument(
            "--workers", type=int, default=(os.cpu_count() or 1) + 1, help="procesos (núcleos + 1)"
        )
        parser.add_argument(
            "--threads", type=int, default=1, help="hilos por proceso (1: una petición a la vez por proceso)"
        )
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DEBUG:
            raise CommandError("filon serve es la configuración de producción: apague FILON_DEBUG.")
        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers y --threads deben ser al menos 1.")
        call_command("migrate", interactive=False, verbosity=0, check=False)
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(
            f"Filón en http://{options['address']}/ ({options['workers']} procesos de {options['threads']} hilo(s))"
        )
        sys.stdout.flush()
        exec_gunicorn(options["address"], options["workers"], threads=options["threads"])
