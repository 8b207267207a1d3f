"""`filon goals set --office ZAC --year 2026 --placement 120000000 [--ta N] [--courses N] [--participants N]`
and `filon goals show [--year AAAA]`: the regional offices' yearly goals, and the placement, the
technical-assistance visits, the courses held and their attendees against them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from filon.accounts.models import RegionalOffice, User
from filon.core.calendar import today_mx
from filon.core.money import format_money, format_percent
from filon.errors import DomainError, ValidationFailed
from filon.goals.selectors import goal_list, office_scorecard
from filon.goals.services import goal_set


def _amount(raw: str) -> Decimal:
    try:
        return Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise CommandError(f"«{raw}» no es un importe.") from None


def _error(exc: DomainError) -> CommandError:
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    return CommandError("; ".join(e.message + (f" (regla {e.rule})" if e.rule else "") for e in errors))


class Command(BaseCommand):
    help = "Metas anuales de las gerencias regionales: fijarlas (set) y ver su avance (show)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        put = sub.add_parser("set", help="fija o cambia las metas de una gerencia para un año")
        put.add_argument("--office", required=True, help="clave de la gerencia (ZAC, HMO, …)")
        put.add_argument("--year", type=int, default=None, help="año (por omisión, el actual)")
        put.add_argument("--placement", required=True, help="meta de colocación en pesos")
        put.add_argument("--ta", type=int, default=None, help="meta de servicios de asistencia técnica")
        put.add_argument("--courses", type=int, default=None, help="meta de cursos de capacitación")
        put.add_argument("--participants", type=int, default=None, help="meta de participantes")
        put.add_argument("--notes", default=None)
        put.add_argument("--user", default=None, help="usuario de dirección o administración que la fija")
        show = sub.add_parser("show", help="metas y colocación del año por gerencia")
        show.add_argument("--year", type=int, default=None, help="año (por omisión, el actual)")

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"] or today_mx().year
        if options["action"] == "set":
            self._set(year, options)
        else:
            self._show(year)

    def _set(self, year: int, options: dict[str, Any]) -> None:
        office = RegionalOffice.objects.filter(code=options["office"].upper()).first()
        if office is None:
            codes = ", ".join(RegionalOffice.objects.order_by("code").values_list("code", flat=True))
            raise CommandError(
                f"No existe la gerencia «{options['office']}»" + (f"; claves: {codes}." if codes else ".")
            )
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No existe el usuario «{options['user']}».")
        try:
            goal = goal_set(
                user=user,
                office=office,
                year=year,
                placement_mxn=_amount(options["placement"]),
                technical_assistance_services=options["ta"],
                training_courses=options["courses"],
                training_participants=options["participants"],
                notes=options["notes"],
            )
        except DomainError as exc:
            raise _error(exc) from None
        self.stdout.write(
            f"Metas {goal.year} de la Gerencia Regional {office.name}: colocación "
            f"{format_money(goal.placement_mxn)}, asistencia técnica {goal.technical_assistance_services}, "
            f"cursos {goal.training_courses}, participantes {goal.training_participants}."
        )

    def _show(self, year: int) -> None:
        goals = goal_list(year=year)
        if not goals:
            self.stdout.write(f"No hay metas registradas para {year}.")
            return
        self.stdout.write(f"Metas {year} y colocación del año (créditos contratados en {year}):")
        for goal in goals:
            try:
                card = office_scorecard(office=goal.office, year=year)
            except DomainError as exc:
                raise _error(exc) from None
            progress = card.placement
            assert progress is not None
            ratio = progress.ratio or Decimal(0)
            self.stdout.write(
                f"  {goal.office.code:<4} {goal.office.name:<16} meta {format_money(goal.placement_mxn):>18}  "
                f"colocado {format_money(progress.placed):>18} ({format_percent(ratio, 1)}; "
                f"{progress.loans} crédito{'s' if progress.loans != 1 else ''})  "
                f"faltan {format_money(progress.remaining or Decimal(0))}"
            )
            ta, courses, people = (
                card.target(k) for k in ("technical_assistance", "courses", "participants")
            )
            n = card.scheduled_courses
            scheduled = f" ({n} programado{'s' if n != 1 else ''})" if n else ""
            self.stdout.write(
                f"       asistencia técnica {ta.actual} de {ta.goal}, cursos {courses.actual} de "
                f"{courses.goal}{scheduled}, participantes {people.actual} de {people.goal}"
            )
