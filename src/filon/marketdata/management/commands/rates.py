"""`filon rates …`: the market-data store from the command line (SPEC C-10).

filon rates import ARCHIVO.csv --series TIIE28
filon rates fetch --series TIIE28,TIIE_FONDEO,FIX,UDI --from 2025-01-01 --to 2025-12-31
filon rates show [--series TIIE28] [--last 10]
filon rates load-sample
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from filon.core.errors import InputError, InputErrors
from filon.marketdata import banxico, selectors, services
from filon.marketdata.catalog import CATALOG, series_spec


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"«{raw}» no es una fecha AAAA-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Series de mercado (TIIE 28, TIIE de Fondeo, FIX, Term SOFR, UDI, UMA): importar un CSV, "
        "descargar del SIE de Banxico, mostrar lo guardado o cargar la muestra ilustrativa."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACCIÓN")
        codes = ", ".join(CATALOG)
        imported = actions.add_parser(
            "import", help="importa un CSV «date,value» (o «fecha,valor») a una serie"
        )
        imported.add_argument("file", help="archivo CSV")
        imported.add_argument("--series", required=True, help=f"clave de la serie: {codes}")
        fetched = actions.add_parser(
            "fetch", help=f"descarga del SIE de Banxico (token en la variable {banxico.TOKEN_ENV})"
        )
        fetched.add_argument("--series", required=True, help="claves separadas por comas, p. ej. TIIE28,FIX")
        fetched.add_argument("--from", dest="start", required=True, help="fecha inicial AAAA-MM-DD")
        fetched.add_argument("--to", dest="end", required=True, help="fecha final AAAA-MM-DD")
        shown = actions.add_parser(
            "show", help="resume las series guardadas o lista las últimas observaciones"
        )
        shown.add_argument("--series", help="una serie (por omisión, el resumen de todas)")
        shown.add_argument("--last", type=int, default=10, help="cuántas observaciones recientes (10)")
        actions.add_parser(
            "load-sample", help="carga la MUESTRA ILUSTRATIVA incluida (no son datos oficiales)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except (InputError, InputErrors) as exc:
            errors = exc.errors if isinstance(exc, InputErrors) else [exc]
            raise CommandError("\n".join(err.describe() for err in errors)) from None
        except banxico.BanxicoError as exc:
            raise CommandError(str(exc)) from None

    def _import(self, options: dict[str, Any]) -> None:
        summary = services.observations_import_csv(series=options["series"], file=options["file"])
        self.stdout.write(summary.describe())

    def _fetch(self, options: dict[str, Any]) -> None:
        codes = [code.strip() for code in options["series"].split(",") if code.strip()]
        summaries = services.observations_fetch_banxico(
            series_codes=codes,
            start=_day(options["start"]),
            end=_day(options["end"]),
            token=os.environ.get(banxico.TOKEN_ENV, ""),
        )
        for summary in summaries:
            self.stdout.write(summary.describe())

    def _load_sample(self, options: dict[str, Any]) -> None:
        self.stdout.write("MUESTRA ILUSTRATIVA — no son datos oficiales.")
        for summary in services.sample_load():
            self.stdout.write(summary.describe())

    def _show(self, options: dict[str, Any]) -> None:
        code = options["series"]
        if code is None:
            summaries = selectors.series_summaries()
            if not summaries:
                self.stdout.write("No hay series guardadas. " + selectors.LOAD_HINT)
            for s in summaries:
                span = f"del {s.first:%d/%m/%Y} al {s.last:%d/%m/%Y}" if s.first and s.last else "sin datos"
                sample = f" — {s.sample_count} de MUESTRA ILUSTRATIVA" if s.sample_count else ""
                self.stdout.write(f"{s.code}: {s.count} observaciones {span}{sample}")
            return
        spec = series_spec(code)
        rows = selectors.observations_latest(code, options["last"])
        self.stdout.write(f"{spec.code} — {spec.name}")
        if not rows:
            self.stdout.write("Sin observaciones. " + selectors.LOAD_HINT)
        for day, value, source in rows:
            self.stdout.write(f"{day:%d/%m/%Y}\t{value.normalize():f}\t{source}")
