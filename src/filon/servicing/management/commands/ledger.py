"""`filon ledger check` verifies every invariant of the books; `filon ledger balance` prints the trial balance.

`check` exits 1 on any breach: an entry that does not balance per currency, a posting on a closed date, a
reversal that is not the exact mirror of its original, a loan whose ledger balances differ from its servicing
position (STYLE 8).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from filon.core.money import format_amount
from filon.ledger import chart
from filon.ledger.models import JournalEntry
from filon.ledger.services import ledger_check, trial_balance
from filon.servicing.models import Loan
from filon.servicing.selectors import loan_positions

ZERO = Decimal(0)
CHECK_NAMES = {
    "balance": "Póliza descuadrada",
    "closed_date": "Registro en día cerrado",
    "reversal": "Reversa inexacta",
    "loan_position": "Saldo del crédito distinto de la cartera",
}


class Command(BaseCommand):
    help = "Libro mayor: verifica sus invariantes (check) o muestra la balanza de comprobación (balance)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACCIÓN")
        actions.add_parser(
            "check",
            help="verifica que cada póliza cuadre, que nada se registre en un día cerrado, que las reversas "
            "sean exactas y que el saldo contable de cada crédito sea el de su cartera; sale con 1 si algo falla",
        )
        actions.add_parser("balance", help="balanza de comprobación por cuenta y moneda")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["action"])()

    def _check(self) -> None:
        breaches = ledger_check(loan_positions=loan_positions())
        for breach in breaches:
            self.stdout.write(f"{CHECK_NAMES.get(breach.check, breach.check)}: {breach.detail}")
        if breaches:
            raise CommandError(f"Libros descuadrados: {len(breaches)} incidencia(s).", returncode=1)
        self.stdout.write(
            f"Libros cuadrados: {JournalEntry.objects.count()} pólizas, {Loan.objects.count()} créditos"
        )

    def _balance(self) -> None:
        names = {spec.code: spec.name for spec in chart.CHART}
        rows = trial_balance()
        if not rows:
            self.stdout.write("No hay movimientos registrados.")
            return
        self.stdout.write(f"{'Cuenta':<8}{'Nombre':<64}{'Moneda':<8}{'Debe':>20}{'Haber':>20}")
        for currency in sorted({cur for _, cur in rows}):
            debit = credit = ZERO
            for (code, cur), total in sorted(rows.items()):
                if cur != currency:
                    continue
                debit += max(total, ZERO)
                credit += max(-total, ZERO)
                debit_col = format_amount(total) if total > 0 else ""
                credit_col = format_amount(-total) if total < 0 else ""
                self.stdout.write(
                    f"{code:<8}{names.get(code, code)[:62]:<64}{cur:<8}{debit_col:>20}{credit_col:>20}"
                )
            footer = "Sumas iguales" if debit == credit else "SUMAS DESIGUALES"
            self.stdout.write(
                f"{'':<8}{footer:<64}{currency:<8}{format_amount(debit):>20}{format_amount(credit):>20}"
            )
