"""`filon factoring sync`: after the daily close (or a payment on a discount's loan page), the documents
mirror their loans — «vencido» while the EPO is late, «cobrado» once paid off. Idempotent.

`filon factoring fees --month AAAA-MM --user USUARIO`: the month's platform fee (P-1 1.5) of every EPO of
the user's office that carried a balance; rerunnable, each EPO is charged once per month."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from filon.accounts.models import User
from filon.core.money import format_money
from filon.errors import DomainError, ValidationFailed
from filon.factoring.services import documents_overdue_sync, platform_fees_charge_month


def _month(raw: str) -> date:
    try:
        year, month = raw.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise CommandError(f"«{raw}» no es un mes AAAA-MM.") from None


def _error(exc: DomainError) -> CommandError:
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    return CommandError("; ".join(e.message + (f" ({e.rule})" if e.rule else "") for e in errors))


class Command(BaseCommand):
    help = (
        "Cadenas Productivas: estado de los documentos descontados (sync) y contraprestación mensual (fees)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sync", help="refleja en los documentos el atraso o la liquidación de su crédito")
        fees = sub.add_parser("fees", help="cobra la contraprestación por plataforma de un mes terminado")
        fees.add_argument("--month", required=True, help="mes AAAA-MM")
        fees.add_argument("--user", required=True, help="usuario de la gerencia regional que la cobra")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "sync":
            self.stdout.write(f"Documentos actualizados: {documents_overdue_sync()}.")
            return
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No existe el usuario «{options['user']}».")
        try:
            charged = platform_fees_charge_month(user=user, month=_month(options["month"]))
        except DomainError as exc:
            raise _error(exc) from None
        for fee in charged:
            self.stdout.write(
                f"{fee.epo.applicant.name}: saldo promedio {format_money(fee.average_balance)}, "
                f"contraprestación {format_money(fee.fee)} + IVA {format_money(fee.iva)}."
            )
        self.stdout.write(f"EPO con contraprestación cobrada: {len(charged)}.")
