"""`filon users`: the administrator's user administration from the command line.

- `list [--office CLAVE] [--role ROL] [--inactive]`: the users, one line each;
- `unlock USUARIO [--address IP]`: lift a lock-out after failed logins before its cool-off;
- `reset-password USUARIO --by ADMIN`: a temporary password, printed once; the user sets their own at the
  next login;
- `deactivate USUARIO --by ADMIN` and `reactivate USUARIO --by ADMIN`.

The changes go through the same services as the pages (`filon.accounts.admin_services`): `--by` names the
administrator who answers for the change in the audit trail, and no administrator changes their own account.
`unlock` may run without `--by` (an operator lifting a lock-out at the console), as before.
"""

from __future__ import annotations

import ipaddress
import secrets
import string
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from filon.accounts.access import ROLE_NAMES
from filon.accounts.admin_services import (
    user_admin_unlock,
    user_deactivate,
    user_password_reset,
    user_reactivate,
)
from filon.accounts.models import Role, User
from filon.accounts.services import user_unlock
from filon.errors import DomainError, ValidationFailed

TEMPORARY_PASSWORD_LENGTH = 16
_ALPHABET = string.ascii_letters + string.digits


def _address(raw: str) -> str:
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        raise CommandError(f"«{raw}» no es una dirección IP.") from None


def _user(username: str, what: str = "el usuario") -> User:
    user = User.objects.select_related("office").filter(username=username).first()
    if user is None:
        raise CommandError(f"No existe {what} «{username}».")
    return user


def temporary_password() -> str:
    """A random password the validators accept: letters and digits, never all digits, never common."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(TEMPORARY_PASSWORD_LENGTH))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


class Command(BaseCommand):
    help = "Administra usuarios: lista, desbloquea, restablece contraseñas, desactiva y reactiva cuentas."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="los usuarios, uno por línea")
        listing.add_argument("--office", help="clave de la gerencia regional")
        listing.add_argument("--role", choices=Role.values, help="sólo este rol")
        listing.add_argument("--inactive", action="store_true", help="sólo las cuentas desactivadas")
        unlock = sub.add_parser("unlock", help="borra los intentos fallidos que bloquean la cuenta")
        unlock.add_argument("username")
        unlock.add_argument(
            "--address", help="sólo los intentos desde esta dirección IP (por omisión, todos)"
        )
        unlock.add_argument("--by", help="el administrador que responde por el desbloqueo")
        for name, text in (
            ("reset-password", "da una contraseña temporal; el usuario pone la suya al entrar"),
            ("deactivate", "la cuenta ya no entra ni usa sus llaves de API; sus sesiones terminan"),
            ("reactivate", "la cuenta vuelve a poder entrar"),
        ):
            action = sub.add_parser(name, help=text)
            action.add_argument("username")
            action.add_argument("--by", required=True, help="el administrador que responde por el cambio")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list(options)
            return
        user = _user(options["username"])
        actor = _user(options["by"], "el administrador") if options.get("by") else None
        try:
            self._act(action, user, actor, options)
        except ValidationFailed as exc:
            raise CommandError(" ".join(e.message for e in exc.errors)) from None
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _act(self, action: str, user: User, actor: User | None, options: dict[str, Any]) -> None:
        if action == "unlock":
            address = _address(options["address"]) if options["address"] else None
            if actor is not None and address is None:
                cleared = user_admin_unlock(actor=actor, user=user)
            else:
                cleared = user_unlock(actor=actor, user=user, address=address)
            where = f" desde {address}" if address else ""
            self.stdout.write(
                f"Cuenta {user.username} desbloqueada{where}: {cleared} registro(s) de intentos borrados."
            )
            return
        assert actor is not None  # --by is required by the parser for the other actions
        if action == "reset-password":
            password = temporary_password()
            user_password_reset(actor=actor, user=user, password=password)
            self.stdout.write(
                f"Contraseña temporal de {user.username}: {password}\n"
                "Entréguela por un medio seguro: al entrar, el usuario debe poner una propia."
            )
        elif action == "deactivate":
            user_deactivate(actor=actor, user=user)
            self.stdout.write(f"Cuenta {user.username} desactivada; sus sesiones terminaron.")
        elif action == "reactivate":
            user_reactivate(actor=actor, user=user)
            self.stdout.write(f"Cuenta {user.username} reactivada.")

    def _list(self, options: dict[str, Any]) -> None:
        users = User.objects.select_related("office").order_by("office__name", "role", "username")
        if options["office"]:
            users = users.filter(office__code=options["office"])
        if options["role"]:
            users = users.filter(role=options["role"])
        if options["inactive"]:
            users = users.filter(is_active=False)
        for user in users:
            office = user.office.name if user.office else "central"
            state = "activo" if user.is_active else "inactivo"
            if user.must_change_password:
                state += ", debe cambiar su contraseña"
            self.stdout.write(
                f"{user.username:<20} {ROLE_NAMES.get(user.role, user.role):<28} {office:<24} {state}"
            )
