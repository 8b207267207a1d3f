"""`filon restructure`: restructurings of a loan from the command line (Rules 15; 17.2 b, 17.3 b).

- `filon restructure list --loan N --user U` lists the loan's requests to committee;
- `filon restructure propose --loan N --term M [--grace G] [--every P] [--spread S | --fixed T]
  --reason TEXT --user U [--date D]` proposes one (prints the committee it goes to and the new schedule's
  totals);
- `filon restructure apply --loan N --request R --user U [--date D] [--clave K]` applies an authorized one,
  once per key (by default «reestructura-R»: rerunning the command applies nothing again).

Rates are typed in percent points (2.5 = 2.5 %). The committee votes the request on its session (pages or API).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from filon.accounts.models import User
from filon.core.money import format_money
from filon.errors import DomainError, ValidationFailed
from filon.idempotency.services import replayed
from filon.servicing.models import Loan
from filon.servicing.restructuring import RestructuringTerms, restructuring_apply, restructuring_propose
from filon.servicing.selectors import loan_get_for_user, loan_requests_for_loan

HUNDRED = Decimal(100)


def _refusal(exc: DomainError) -> CommandError:
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    return CommandError(
        "; ".join(
            (f"Campo «{e.field}»: " if e.field else "") + e.message + (f" ({e.rule})" if e.rule else "")
            for e in errors
        )
    )


def _percent(raw: str | None, field: str) -> Decimal | None:
    if raw is None:
        return None
    try:
        return Decimal(raw) / HUNDRED
    except InvalidOperation:
        raise CommandError(f"Campo «{field}»: «{raw}» no es un número.") from None


def _day(raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"Campo «--date»: «{raw}» no es una fecha AAAA-MM-DD.") from None


class Command(BaseCommand):
    help = "Reestructuras de un crédito: lista, propuesta al comité y aplicación de la autorizada."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACCIÓN")
        listing = actions.add_parser("list", help="las solicitudes a comité del crédito")
        propose = actions.add_parser("propose", help="propone una reestructura al comité con facultades")
        apply = actions.add_parser("apply", help="aplica la reestructura autorizada (nueva tabla)")
        for sub in (listing, propose, apply):
            sub.add_argument("--loan", required=True, help="número del crédito")
            sub.add_argument("--user", required=True, help="usuario de la gerencia regional del crédito")
        propose.add_argument("--term", type=int, required=True, help="plazo desde la reestructura (meses)")
        propose.add_argument("--grace", type=int, default=0, help="gracia (meses)")
        propose.add_argument("--every", type=int, default=1, help="periodicidad de pago (meses)")
        propose.add_argument("--spread", default=None, help="nueva sobretasa (puntos porcentuales)")
        propose.add_argument("--fixed", default=None, help="tasa fija anual (%%)")
        propose.add_argument("--reason", required=True, help="motivo de la reestructura")
        propose.add_argument("--date", default=None, help="fecha del saldo (AAAA-MM-DD; por omisión, hoy)")
        apply.add_argument("--request", type=int, required=True, help="número de la solicitud")
        apply.add_argument("--date", default=None, help="fecha de aplicación (AAAA-MM-DD; por omisión, hoy)")
        apply.add_argument(
            "--clave", default=None, help="clave de idempotencia (por omisión «reestructura-N»)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"Campo «--user»: no existe el usuario activo «{options['user']}».")
        found = Loan.objects.filter(number=options["loan"]).only("pk").first()
        if found is None:
            raise CommandError(f"Campo «--loan»: no existe el crédito «{options['loan']}».")
        try:
            loan = loan_get_for_user(user=user, loan_id=found.pk)
            getattr(self, "_" + options["action"])(user, loan, options)
        except DomainError as exc:
            raise _refusal(exc) from None

    def _list(self, user: User, loan: Loan, options: dict[str, Any]) -> None:
        requests = loan_requests_for_loan(loan)
        if not requests:
            self.stdout.write(f"El crédito {loan.number} no tiene solicitudes a comité.")
        for r in requests:
            self.stdout.write(
                f"{r.pk:>6}  {r.get_kind_display():<12} {r.as_of:%d/%m/%Y}  "
                f"{format_money(r.principal_balance, r.currency):>20}  {r.committee} ({r.committee_rule})  "
                f"{r.get_status_display()}{'  acuerdo ' + r.agreement_number if r.agreement_number else ''}"
            )

    def _propose(self, user: User, loan: Loan, options: dict[str, Any]) -> None:
        terms = RestructuringTerms(
            term_months=options["term"],
            grace_months=options["grace"],
            payment_every_months=options["every"],
            spread=_percent(options["spread"], "--spread"),
            fixed_rate=_percent(options["fixed"], "--fixed"),
        )
        request = restructuring_propose(
            user=user, loan=loan, terms=terms, reason=options["reason"], on=_day(options["date"])
        )
        schedule = request.evaluation["schedule"]
        self.stdout.write(
            f"Solicitud {request.pk}: reestructura del crédito {loan.number} al comité {request.committee} "
            f"(regla {request.committee_rule}) por el saldo de capital de "
            f"{format_money(request.principal_balance, request.currency)}."
        )
        self.stdout.write(
            f"Nueva tabla: {schedule['installments']} amortizaciones, primer pago el {schedule['first_payable']}, "
            f"vencimiento el {schedule['maturity']}; intereses {format_money(Decimal(schedule['interest']), loan.currency)}."
        )
        for finding in request.evaluation.get("findings", []):
            self.stdout.write(f"  [{finding['severity']}] {finding['message']} ({finding['rule']})")

    def _apply(self, user: User, loan: Loan, options: dict[str, Any]) -> None:
        request = next((r for r in loan_requests_for_loan(loan) if r.pk == options["request"]), None)
        if request is None:
            raise CommandError(f"Campo «--request»: el crédito no tiene la solicitud {options['request']}.")
        applied = restructuring_apply(
            user=user,
            loan=loan,
            request=request,
            value_date=_day(options["date"]),
            idempotency_key=options["clave"] or f"reestructura-{request.pk}",
        )
        if replayed(applied):
            self.stdout.write(
                "Esta reestructura ya estaba aplicada con la misma clave; no se aplicó de nuevo."
            )
            return
        version = applied.schedule_versions.get(active=True)
        self.stdout.write(
            f"Reestructura aplicada al crédito {applied.number}: tabla v{version.number} «{version.reason}», "
            f"vence el {applied.maturity_date:%d/%m/%Y}; clasificación {applied.get_classification_display()}."
        )
