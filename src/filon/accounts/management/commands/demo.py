"""`filon demo load|run`: the demo a new user walks through.

`load` migrates nothing by itself: it checks the rule set in force and creates the demo logins in the
configured database (idempotent). `run` migrates the database, collects static files, loads the demo and
serves it with the production WSGI server on the given address, printing the logins.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from filon.core.calendar import today_mx
from filon.rules import load_ruleset_for_date

DEMO_PASSWORD = "filon-demo-2026"  # demo data only; printed on purpose
DEMO_USERS = [
    ("admin", "Administración", "Filón", True),
]


class Command(BaseCommand):
    help = "Carga la demostración (load) o la carga y la sirve en 127.0.0.1:8000 (run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["load", "run"])
        parser.add_argument("--address", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "run":
            call_command("migrate", interactive=False, verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
        ruleset = load_ruleset_for_date(today_mx())
        self._load_users()
        self.stdout.write(f"Reglas de operación en vigor: {ruleset.version} ({ruleset.source})")
        self.stdout.write(f"Usuarios de demostración (contraseña común: {DEMO_PASSWORD}):")
        for username, first, last, _ in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {first} {last}")
        if options["action"] == "run":
            self._serve(options["address"])

    @transaction.atomic
    def _load_users(self) -> None:
        user_model = get_user_model()
        for username, first, last, superuser in DEMO_USERS:
            user, created = user_model.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "is_staff": superuser,
                    "is_superuser": superuser,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()

    def _serve(self, address: str) -> None:
        self.stdout.write(f"Sirviendo en http://{address}/ (Ctrl+C para detener)")
        sys.stdout.flush()
        env = dict(os.environ, FILON_SECURE_COOKIES="0", DJANGO_SETTINGS_MODULE="filon.settings")
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        os.execve(
            gunicorn,
            [
                gunicorn,
                "filon.wsgi:application",
                "--bind",
                address,
                "--workers",
                "2",
                "--access-logfile",
                "-",
            ],
            env,
        )
        raise SystemExit(settings.ROOT_URLCONF)  # unreachable: execve replaces the process
