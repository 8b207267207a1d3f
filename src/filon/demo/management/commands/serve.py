"""`filon serve [--address 127.0.0.1:8000] [--workers N]`: the production server configuration.

Gunicorn managing worker processes that run uvicorn's event loop over Django's ASGI application
(filon.worker, filon.asgi), DEBUG off, static files collected and served by WhiteNoise from this process (no
CDN needed on a closed network), access log to standard output. In production it listens on the loopback
behind a reverse proxy that ends TLS and buffers requests (docs/deployment.md).

Why not the sync workers it had: a sync process reads a request's headers and body itself, so as many
clients as processes, each trickling a body a byte a second, stopped every page. On an event loop a slow
client holds a coroutine; the limits on what a client may take (FILON_HEADER_TIMEOUT, FILON_KEEPALIVE_SECONDS,
FILON_WORKER_CONNECTIONS, FILON_MAX_REQUEST_BYTES) and the threads per process (FILON_SERVE_THREADS) are set
in filon.settings from the environment.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from filon.worker import HEADER_TIMEOUT_ENV


def gunicorn_command(
    address: str, workers: int, extra_env: dict[str, str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of gunicorn serving filon.asgi with filon.worker.FilonWorker. One
    process more than cores keeps the cores busy while a process waits for PostgreSQL; each process runs
    Django's views on its FILON_SERVE_THREADS threads (filon.asgi.ThreadPool)."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="filon.settings",
        **{HEADER_TIMEOUT_ENV: str(settings.FILON_HEADER_TIMEOUT)},
        **(extra_env or {}),
    )
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    argv = [
        gunicorn,
        "filon.asgi:application",
        "--bind",
        address,
        "--workers",
        str(workers),
        "--worker-class",
        "filon.worker.FilonWorker",
        "--worker-connections",
        str(settings.FILON_WORKER_CONNECTIONS),
        "--keep-alive",
        str(settings.FILON_KEEPALIVE_SECONDS),
        "--timeout",
        str(settings.FILON_WORKER_TIMEOUT),
        "--graceful-timeout",
        "30",
        "--forwarded-allow-ips",
        ",".join(settings.FILON_FORWARDED_ALLOW_IPS),
        "--access-logfile",
        "-",
        # gunicorn's control socket is one path per user ($HOME/.gunicorn/gunicorn.ctl): two servers on
        # one machine (the demo, a test's) would take it from each other; Filón does not use it.
        "--no-control-socket",
    ]
    return argv, env


def exec_gunicorn(address: str, workers: int, extra_env: dict[str, str] | None = None) -> None:
    """Replace this process with gunicorn (`gunicorn_command`)."""
    argv, env = gunicorn_command(address, workers, extra_env)
    os.execve(argv[0], argv, env)


class Command(BaseCommand):
    help = "Sirve Filón con la configuración de producción (gunicorn y uvicorn, DEBUG apagado, estáticos locales)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--address", default="127.0.0.1:8000")
        parser.add_argument(
            "--workers", type=int, default=(os.cpu_count() or 1) + 1, help="procesos (núcleos + 1)"
        )
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DEBUG:
            raise CommandError("filon serve es la configuración de producción: apague FILON_DEBUG.")
        if options["workers"] < 1:
            raise CommandError("--workers debe ser al menos 1.")
        call_command("migrate", interactive=False, verbosity=0, check=False)
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Filón en http://{options['address']}/ ({options['workers']} procesos)")
        sys.stdout.flush()
        exec_gunicorn(options["address"], options["workers"])
