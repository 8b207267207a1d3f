"""`filon close [--date AAAA-MM-DD]`: the daily close through a date (default: the business day before
today in Mexico City — a day is closed after it ends).

Closes, in order, every business day missed since the last close (STYLE 9: rerunnable, idempotent per
date), printing a progress line as each date starts and then a summary of each one.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from filon.core.money import format_money
from filon.errors import DomainError
from filon.servicing.close import AGING_BUCKETS, close_default_date, close_through, last_close_date
from filon.servicing.models import DailyClose

BUCKET_LABELS = {"0": "al corriente", "91+": "más de 90 días"}


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"«{raw}» no es una fecha AAAA-MM-DD.") from None


def _amounts(totals: dict[str, str]) -> str:
    return (
        ", ".join(format_money(Decimal(amount), currency) for currency, amount in totals.items()) or "$0.00"
    )


def summary(record: DailyClose) -> str:
    """The Spanish summary of one close."""
    lines = [
        f"Cierre del {record.business_date:%d/%m/%Y}: {record.loans:,} créditos en administración.",
        f"  Interés ordinario devengado: {_amounts(record.interest_accrued)}",
        f"  Interés moratorio devengado: {_amounts(record.moratorium_accrued)}",
        f"  Amortizaciones que pasaron a vencidas: {record.moved_to_overdue:,}",
        f"  Créditos traspasados a cartera vencida: {record.reclassified:,}",
        "  Antigüedad de saldos (días de atraso):",
    ]
    for key, _, _ in AGING_BUCKETS:
        bucket = record.aging.get(key, {"loans": 0, "principal": {}})
        label = BUCKET_LABELS.get(key, f"{key.replace('-', ' a ')} días")
        lines.append(f"    {label}: {bucket['loans']:,} créditos, capital {_amounts(bucket['principal'])}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Cierre diario: devenga intereses ordinarios y moratorios, vence amortizaciones, clasifica la "
        "cartera (vigente / vencida) y registra todo en la contabilidad; pone al corriente los días "
        "hábiles pendientes, en orden."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            dest="date",
            help="fecha de cierre AAAA-MM-DD (por omisión, el día hábil anterior a hoy en la Ciudad de México: un día se cierra después de terminar)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        through = _day(options["date"]) if options.get("date") else close_default_date()
        try:
            closes = close_through(business_date=through, progress=self._progress)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if not closes:
            last = last_close_date()
            since = f" (último cierre: {last:%d/%m/%Y})" if last else ""
            self.stdout.write(f"No hay días hábiles por cerrar hasta el {through:%d/%m/%Y}{since}.")
            return
        for record in closes:
            self.stdout.write(summary(record))

    def _progress(self, day: date, number: int, total: int) -> None:
        """A line per date as the close runs, before the summaries."""
        days = "día" if total == 1 else "días"
        self.stdout.write(f"Cerrando {day:%d/%m/%Y} — {number:,} de {total:,} {days}…")
        self.stdout.flush()
