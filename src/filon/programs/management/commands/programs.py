"""`filon programs scoring-load ARCHIVO.json --user USUARIO`: load a parametric evaluation model approved
by the Comité Interno; `filon programs budget [--year AAAA]`: the year's first-tier budget and each
program's allotment, used and available."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from filon.accounts.models import User
from filon.core.calendar import today_mx
from filon.core.money import format_money
from filon.errors import DomainError, ValidationFailed
from filon.programs.selectors import budget_overview
from filon.programs.services import scoring_model_load
from filon.rules import load_ruleset_for_date


def _error(exc: DomainError) -> CommandError:
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    return CommandError("; ".join(e.message + (f" (regla {e.rule})" if e.rule else "") for e in errors))


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No existe el usuario «{username}».")
    return user


class Command(BaseCommand):
    help = "Programas especiales: cargar un modelo paramétrico (scoring-load) y ver el presupuesto (budget)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("scoring-load", help="carga un modelo de evaluación paramétrica (JSON)")
        load.add_argument("path", help="archivo JSON con code, version, name, committee_agreement, …")
        load.add_argument("--user", required=True, help="secretario de comité o administrador que lo carga")
        show = sub.add_parser("budget", help="presupuesto del año y derramas de los programas")
        show.add_argument("--year", type=int, default=None)
        show.add_argument("--user", required=True, help="usuario que consulta")

    def handle(self, *args: Any, **options: Any) -> None:
        user = _user(options["user"])
        if options["action"] == "scoring-load":
            try:
                data = json.loads(Path(options["path"]).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"No se pudo leer el modelo: {exc}") from None
            if not isinstance(data, dict):
                raise CommandError("El archivo debe contener un objeto JSON.")
            try:
                model = scoring_model_load(user=user, data=data)
            except DomainError as exc:
                raise _error(exc) from None
            self.stdout.write(
                f"Modelo {model.code} v{model.version} cargado ({len(model.factors)} factores)."
            )
            return
        year = options["year"] or today_mx().year
        try:
            overview = budget_overview(user=user, year=year, ruleset=load_ruleset_for_date(today_mx()))
        except DomainError as exc:
            raise _error(exc) from None
        y = overview.year
        if y.budget is None:
            self.stdout.write(f"{year}: sin presupuesto registrado; autorizado {format_money(y.used_mxn)}.")
        else:
            self.stdout.write(
                f"{year}: presupuesto {format_money(y.first_tier_mxn or 0)}, autorizado {format_money(y.used_mxn)}, "
                f"grandes empresas {format_money(y.large_company_used_mxn)} de {format_money(y.large_company_cap_mxn or 0)}."
            )
        for usage in overview.programs:
            amount = usage.allotment.amount_mxn
            total = format_money(amount) if amount is not None else "sin derrama propia"
            self.stdout.write(
                f"{usage.allotment.name}: derrama {total}, autorizado {format_money(usage.used_mxn)}."
            )
