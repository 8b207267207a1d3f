"""`filon business-date`: show the business date; in training mode, move it forward.

- `filon business-date`: the business date, the calendar's and whether the training mode is on;
- `filon business-date --days N --user U` (N business days), `--months N` or `--to AAAA-MM-DD`: the advance
  run of the operations page (`operations.services.advance_run_start`), run to its end here, one progress
  line per business day closed. The user must be an administrador; outside training mode it is refused.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from filon.accounts.models import User
from filon.errors import DomainError
from filon.operations.business_date import business_date_status
from filon.operations.models import RunStatus
from filon.operations.selectors import run_progress
from filon.operations.services import advance_run_start, advance_target, run_step


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"Campo «--to»: «{raw}» no es una fecha AAAA-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Fecha de negocio: la muestra y, en modo de capacitación, la adelanta ejecutando el cierre diario de "
        "cada día hábil intermedio."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        how = parser.add_mutually_exclusive_group()
        how.add_argument("--days", type=int, help="avanzar N días hábiles")
        how.add_argument("--months", type=int, help="avanzar N meses")
        how.add_argument("--to", help="avanzar hasta la fecha AAAA-MM-DD")
        parser.add_argument("--user", help="administrador que realiza el avance (obligatorio para avanzar)")

    def handle(self, *args: Any, **options: Any) -> None:
        moving = any(options.get(key) is not None for key in ("days", "months", "to"))
        if moving:
            self._advance(options)
        status = business_date_status()
        mode = "activado" if status["training"] else "desactivado"
        self.stdout.write(
            f"Fecha de negocio: {status['business']:%d/%m/%Y} · calendario: {status['calendar']:%d/%m/%Y} · "
            f"modo de capacitación {mode}."
        )

    def _advance(self, options: dict[str, Any]) -> None:
        if not options.get("user"):
            raise CommandError("Campo «--user»: indique el administrador que realiza el avance.")
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"Campo «--user»: no existe el usuario activo «{options['user']}».")
        try:
            target = advance_target(
                days=options.get("days") or 0,
                months=options.get("months") or 0,
                to=_day(options["to"]) if options.get("to") else None,
            )
            run = advance_run_start(user=user, to=target)
        except DomainError as exc:
            messages = [e.message for e in getattr(exc, "errors", None) or [exc]]
            raise CommandError(" ".join(messages)) from None
        while run.is_active:
            self.stdout.write(run_progress(run))
            run = run_step(run=run, user=user)
        if run.status == RunStatus.FAILED:
            raise CommandError(f"{run_progress(run)}: {run.error}")
        self.stdout.write(run_progress(run))
