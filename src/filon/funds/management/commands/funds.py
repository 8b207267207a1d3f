"""`filon funds list` prints each guarantee fund with its ledger balance and each program's coverage;
`filon funds check` verifies the funds' invariants (movements agree with the ledger, no fund below zero)
and exits 1 on any breach; `filon funds cover --fund F --date D --user U` has the fund pay the program's
defaulted credits, first defaulted first, until exhausted (`fund_cover_defaults`).

`cover` moves money once per idempotency key (`filon.idempotency`): by default the key is the date
(«cubrir-AAAA-MM-DD»), so rerunning the same command — after a crash, or by mistake — pays nothing again and
prints the first run's payments. Another run on the same date (the fund received money since) takes its own
`--clave`."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from filon.accounts.models import User
from filon.core.money import format_money
from filon.errors import DomainError, ValidationFailed
from filon.funds.models import GuaranteeFund
from filon.funds.selectors import fund_balance, funds_check, program_coverage
from filon.funds.services import fund_cover_defaults, fund_formalization_record
from filon.idempotency.services import replayed


class Command(BaseCommand):
    help = "Fondos de garantía: saldos y cobertura por programa (list) o verificación de invariantes (check)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACCIÓN")
        actions.add_parser("list", help="cada fondo con su saldo contable y la cobertura de cada programa")
        actions.add_parser(
            "check",
            help="verifica que los movimientos de cada fondo coincidan con su saldo contable y que ninguno sea "
            "negativo; sale con 1 si algo falla",
        )
        cover = actions.add_parser(
            "cover",
            help="el fondo paga los créditos vencidos de su programa, el primero en incumplir primero",
        )
        formalize = actions.add_parser(
            "formalize",
            help="registra la fecha de formalización del fondo (el plazo de P-3 corre desde ella, 3.19)",
        )
        formalize.add_argument("--fund", required=True, help="clave del fondo")
        formalize.add_argument("--date", required=True, help="fecha de formalización (AAAA-MM-DD)")
        formalize.add_argument("--user", required=True, help="dirección o administración")
        cover.add_argument("--fund", required=True, help="clave del fondo")
        cover.add_argument("--date", required=True, help="fecha del pago (AAAA-MM-DD)")
        cover.add_argument("--user", required=True, help="gerente regional que aplica el fondo")
        cover.add_argument(
            "--clave",
            default=None,
            help="clave de idempotencia de la corrida (por omisión «cubrir-AAAA-MM-DD»: repetir el comando "
            "con la misma fecha no vuelve a pagar)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "formalize":
            self._formalize(options["fund"], options["date"], options["user"])
        elif options["action"] == "cover":
            self._cover(options["fund"], options["date"], options["user"], options["clave"])
        else:
            getattr(self, "_" + options["action"])()

    def _formalize(self, code: str, day: str, username: str) -> None:
        fund = GuaranteeFund.objects.filter(code=code).first()
        if fund is None:
            raise CommandError(f"Campo «--fund»: no existe el fondo «{code}».")
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"Campo «--user»: no existe el usuario activo «{username}».")
        try:
            on = date.fromisoformat(day)
        except ValueError:
            raise CommandError(f"Campo «--date»: «{day}» no es una fecha AAAA-MM-DD.") from None
        try:
            fund = fund_formalization_record(user=user, fund=fund, formalized_on=on)
        except DomainError as exc:
            messages = exc.errors if isinstance(exc, ValidationFailed) else [exc]
            raise CommandError("; ".join(e.message for e in messages)) from None
        self.stdout.write(f"Fondo {fund.code}: formalizado el {on:%d/%m/%Y}.")

    def _cover(self, code: str, day: str, username: str, key: str | None) -> None:
        fund = GuaranteeFund.objects.filter(code=code).first()
        if fund is None:
            raise CommandError(f"Campo «--fund»: no existe el fondo «{code}».")
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"Campo «--user»: no existe el usuario activo «{username}».")
        try:
            on = date.fromisoformat(day)
        except ValueError:
            raise CommandError(f"Campo «--date»: «{day}» no es una fecha AAAA-MM-DD.") from None
        try:
            movements = fund_cover_defaults(
                user=user, fund=fund, on=on, idempotency_key=key or f"cubrir-{on.isoformat()}"
            )
        except DomainError as exc:
            messages = exc.errors if isinstance(exc, ValidationFailed) else [exc]
            text = "; ".join(e.message + (f" ({e.rule})" if e.rule else "") for e in messages)
            raise CommandError(text) from None
        if movements and replayed(movements[0]):
            self.stdout.write(
                "Esta corrida ya se había aplicado con la misma clave; no se pagó nada de nuevo."
            )
        for movement in movements:
            self.stdout.write(f"{movement.description}: {format_money(movement.amount)}")
        self.stdout.write(
            f"{len(movements)} crédito(s) pagado(s); saldo del fondo {fund.code}: {format_money(fund_balance(fund))}"
        )

    def _list(self) -> None:
        funds = list(GuaranteeFund.objects.order_by("program", "code"))
        if not funds:
            self.stdout.write("No hay fondos de garantía registrados.")
            return
        for fund in funds:
            state = "" if fund.active else " (cerrado)"
            self.stdout.write(
                f"{fund.code:<16} {fund.get_program_display():<45} {format_money(fund_balance(fund)):>18}{state}"
            )
        for program in sorted({fund.program for fund in funds}):
            coverage = program_coverage(program)
            if coverage is None:
                continue
            self.stdout.write(
                f"Cobertura {program}: requerido {format_money(coverage.required)}, en los fondos "
                f"{format_money(coverage.held)}, faltante {format_money(coverage.shortfall)} ({coverage.rule})"
            )

    def _check(self) -> None:
        breaches = funds_check()
        for breach in breaches:
            self.stdout.write(breach)
        if breaches:
            raise CommandError(f"Fondos descuadrados: {len(breaches)} incidencia(s).", returncode=1)
        self.stdout.write(f"Fondos cuadrados: {GuaranteeFund.objects.count()} fondos")
