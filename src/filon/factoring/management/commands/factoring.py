"""`filon factoring sync`: after the daily close, the discounted documents whose EPO is late read «vencido»
(and «descontado» again once regularized). Idempotent; run it after `filon close`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from filon.factoring.services import documents_overdue_sync


class Command(BaseCommand):
    help = "Cadenas Productivas: refleja en los documentos descontados el atraso de la EPO (sync)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sync", help="marca vencidos los documentos cuyo crédito tiene atraso")

    def handle(self, *args: Any, **options: Any) -> None:
        changed = documents_overdue_sync()
        self.stdout.write(f"Documentos actualizados: {changed}.")
