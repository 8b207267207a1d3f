"""`filon demo load|run`: the demo a new user walks through.

`load` brings the configured database to a demo state: the regional offices of the rule set in force,
the illustrative sample rate series, one login per role (`filon.demo.scenarios.demo_cast_create`), and a
realistic portfolio built through the services (`filon.demo.portfolio`, walked with the scenario builder
`filon.demo.scenarios`: applicants, files at every stage, committee sessions, loans with their payments, the
offices' goals), with the daily close brought up to today. Idempotent: a second load adds nothing. `run`
also migrates the database and collects static files, then loads, prints the logins, and runs the
production server (`filon serve`) and the background worker (`filon worker`) side by side, in training
mode, with every mail written as a file in one folder; Ctrl+C stops both, and if either stops, so does the
other (`filon.demo.supervise`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from filon.accounts.models import RegionalOffice, Role, User
from filon.core.calendar import today_mx
from filon.demo.management.commands.serve import gunicorn_command
from filon.demo.portfolio import PortfolioSkipped, portfolio_load
from filon.demo.scenarios import DEMO_PASSWORD, DEMO_USERS, demo_cast_create
from filon.demo.supervise import Child, supervise
from filon.errors import DomainError
from filon.marketdata.services import sample_load
from filon.rules import load_ruleset_for_date


class Command(BaseCommand):
    help = "Carga la demostración (load) o la carga y la sirve en 127.0.0.1:8000 (run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["load", "run"])
        parser.add_argument("--address", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "run":
            call_command("migrate", interactive=False, verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
        self._load()
        self._portfolio()
        ruleset = load_ruleset_for_date(today_mx())  # after the portfolio: it may approve an amendment
        self.stdout.write(f"Reglas de operación en vigor: {ruleset.version} ({ruleset.source})")
        self.stdout.write("Tasas de referencia: muestra ilustrativa (no son datos oficiales).")
        self.stdout.write(f"Usuarios de demostración (contraseña común: {DEMO_PASSWORD}):")
        roles = dict(Role.choices)
        for username, role, office, first, last, _ in DEMO_USERS:
            where = f" — Gerencia {RegionalOffice.objects.get(code=office).name}" if office else ""
            self.stdout.write(f"  {username:<14} {roles[role]}{where} ({first} {last})")
        if options["action"] == "run":
            mail = Path(settings.EMAIL_FILE_PATH)
            mail.mkdir(parents=True, exist_ok=True)
            self.stdout.write(f"Los correos se escriben en {mail}")
            sys.exit(self._serve(options["address"], mail))

    @transaction.atomic
    def _load(self) -> None:
        sample_load()
        demo_cast_create()

    def _portfolio(self) -> None:
        users = {u.username: u for u in User.objects.filter(username__in=[row[0] for row in DEMO_USERS])}
        try:
            summary = portfolio_load(users=users)
        except PortfolioSkipped as exc:
            self.stderr.write(f"Se omitió la cartera de demostración: {exc}")
            return
        except DomainError as exc:
            raise CommandError(f"No se pudo cargar la cartera de demostración: {exc.message}") from None
        for line in summary.lines():
            self.stdout.write(line)

    def _serve(self, address: str, mail: Path) -> int:
        env = demo_env(mail)
        server, server_env = gunicorn_command(address, 2, env)
        filon = os.path.join(os.path.dirname(sys.executable), "filon")
        worker = Child("proceso de fondo", [filon, "worker"], {**os.environ, **env})
        self.stdout.write(
            f"Sirviendo en http://{address}/ con el proceso de fondo (Ctrl+C para detener ambos)"
        )
        sys.stdout.flush()
        return supervise([Child("servidor", server, server_env), worker], out=self.stdout)


def demo_env(mail: Path) -> dict[str, str]:
    """What the demo's server and worker share: training mode, mail as files in `mail`, and — served over
    plain HTTP on the loopback — cookies that do not require HTTPS (with FILON_SECURE_COOKIES=0 nothing
    redirects to it nor sends HSTS; filon.settings)."""
    return {
        "FILON_TRAINING_MODE": "1",
        "FILON_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "FILON_EMAIL_FILE_PATH": str(mail),
        "FILON_SECURE_COOKIES": "0",
    }
