"""`filon token create USUARIO --name NOMBRE` prints a new API token once; `filon token revoke PREFIJO`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from filon.accounts.models import ApiToken, User
from filon.accounts.services import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Crea o revoca tokens de la API REST."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("username")
        create.add_argument("--name", default="API")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            user = User.objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"No existe el usuario «{options['username']}».")
            token, raw = api_token_create(actor=None, user=user, name=options["name"])
            self.stdout.write(f"Token para {user.username} ({token.name}); se muestra una sola vez:\n{raw}")
            return
        token = ApiToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True).first()
        if token is None:
            raise CommandError("No hay un token activo con ese prefijo.")
        api_token_revoke(actor=None, token=token)
        self.stdout.write(f"Token {token.prefix}… revocado.")
