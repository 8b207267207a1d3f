"""`filon users unlock USUARIO [--address IP]`: lift a lock-out after failed logins before its cool-off."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from filon.accounts.models import User
from filon.accounts.services import user_unlock


def _address(raw: str) -> str:
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        raise CommandError(f"«{raw}» no es una dirección IP.") from None


class Command(BaseCommand):
    help = "Administra usuarios: desbloquea una cuenta bloqueada por intentos fallidos."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        unlock = sub.add_parser("unlock", help="borra los intentos fallidos que bloquean la cuenta")
        unlock.add_argument("username")
        unlock.add_argument(
            "--address", help="sólo los intentos desde esta dirección IP (por omisión, todos)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No existe el usuario «{options['username']}».")
        address = _address(options["address"]) if options["address"] else None
        cleared = user_unlock(actor=None, user=user, address=address)
        where = f" desde {address}" if address else ""
        self.stdout.write(
            f"Cuenta {user.username} desbloqueada{where}: {cleared} registro(s) de intentos borrados."
        )
