"""`filon closing`: the closing of a loan from the command line, through the same services as the pages.

- `filon closing request --loan N --user U --reason R`: ask the committee to write the loan off (R-17 routes it);
- `filon closing write-off --loan N --request ID --user U [--date D] [--clave K]`: apply the committee's
  authorized write-off (the guarantee funds pay first);
- `filon closing recover --loan N --amount A --date D --user U [--clave K]`: book a recovery on a written-off
  loan;
- `filon closing release --loan N --guarantee ID --date D --instrument T --user U [--notes T]`: the legal
  release of a guarantee of a liquidado loan;
- `filon closing letter --loan N --user U --out F`: the carta de finiquito of a liquidado loan, as PDF;
- `filon closing show --loan N`: the loan's closing: status, write-off, recoveries, guarantees.

A face of the system like the pages and the API (it writes the carta with `filon.documents`), so it lives
with the other commands above servicing.

The write-off and the recoveries move money once per idempotency key (`filon.idempotency`): by default the
key is derived from the command's data, so rerunning the same command books nothing again and says so.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from filon.accounts.access import require_office
from filon.accounts.models import User
from filon.core.calendar import today_mx
from filon.core.money import format_money
from filon.documents import pdf
from filon.documents.services import document_issued
from filon.errors import DomainError, ValidationFailed
from filon.idempotency.services import replayed
from filon.origination.models import FileGuarantee
from filon.servicing.models import Loan, WriteOff
from filon.servicing.payoff import guarantee_release_record, loan_guarantees
from filon.servicing.selectors import loan_status_label
from filon.servicing.writeoff import (
    recovery_record,
    write_off_apply,
    write_off_request_create,
    write_off_request_get,
    written_off_outstanding,
)


def _date(raw: str | None, field: str) -> date:
    if raw is None:
        return today_mx()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"Campo «{field}»: «{raw}» no es una fecha AAAA-MM-DD.") from None


def _refusal(exc: DomainError) -> CommandError:
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    text = "; ".join(
        (f"Campo «{e.field}»: " if e.field else "") + e.message + (f" ({e.rule})" if e.rule else "")
        for e in errors
    )
    return CommandError(text)


class Command(BaseCommand):
    help = "Cierre de créditos: solicitud y aplicación de castigos, recuperaciones y liberación de garantías."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACCIÓN")
        ask = actions.add_parser("request", help="solicita al comité con facultades el castigo del crédito")
        ask.add_argument("--reason", required=True, help="motivo: por qué el crédito es incobrable")
        off = actions.add_parser("write-off", help="aplica el castigo autorizado por el comité")
        off.add_argument("--request", required=True, type=int, help="número de la solicitud autorizada")
        off.add_argument("--date", default=None, help="fecha del castigo AAAA-MM-DD (por omisión, hoy)")
        off.add_argument("--clave", default=None, help="clave de idempotencia (por omisión, de los datos)")
        rec = actions.add_parser("recover", help="registra una recuperación de cartera castigada")
        rec.add_argument("--amount", required=True, help="importe recuperado")
        rec.add_argument("--date", required=True, help="fecha valor AAAA-MM-DD")
        rec.add_argument("--clave", default=None, help="clave de idempotencia (por omisión, de los datos)")
        rel = actions.add_parser("release", help="registra la liberación de una garantía (área jurídica)")
        rel.add_argument("--guarantee", required=True, type=int, help="número de la garantía del expediente")
        rel.add_argument("--date", required=True, help="fecha de liberación AAAA-MM-DD")
        rel.add_argument("--instrument", required=True, help="escritura u oficio de cancelación")
        rel.add_argument("--notes", default="", help="notas")
        letter = actions.add_parser(
            "letter", help="escribe la carta de finiquito (PDF) de un crédito liquidado"
        )
        letter.add_argument("--out", required=True, help="archivo PDF a escribir")
        show = actions.add_parser("show", help="muestra el cierre del crédito")
        for action in (ask, off, rec, rel, letter, show):
            action.add_argument("--loan", required=True, help="número del crédito")
        for action in (ask, off, rec, rel, letter):
            action.add_argument("--user", required=True, help="usuario que realiza la operación")

    def handle(self, *args: Any, **options: Any) -> None:
        loan = Loan.objects.select_related("applicant", "office").filter(number=options["loan"]).first()
        if loan is None:
            raise CommandError(f"Campo «--loan»: no existe el crédito «{options['loan']}».")
        action = options["action"]
        if action == "show":
            self._show(loan)
            return
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"Campo «--user»: no existe el usuario activo «{options['user']}».")
        try:
            getattr(self, "_" + action.replace("-", "_"))(loan, user, options)
        except DomainError as exc:
            raise _refusal(exc) from None

    def _request(self, loan: Loan, user: User, options: dict[str, Any]) -> None:
        asked = write_off_request_create(user=user, loan=loan, reason=options["reason"])
        self.stdout.write(
            f"Solicitud de castigo {asked.pk} del crédito {loan.number}: turnada a {asked.committee} "
            f"(regla {asked.committee_rule}), saldo de capital {format_money(asked.principal_balance)}."
        )

    def _write_off(self, loan: Loan, user: User, options: dict[str, Any]) -> None:
        on = _date(options["date"], "--date")
        request = write_off_request_get(loan, options["request"])
        done = write_off_apply(
            user=user,
            loan=loan,
            request=request,
            idempotency_key=options["clave"] or f"castigo-{request.pk}-{on.isoformat()}",
            on=on,
        )
        if replayed(done):
            self.stdout.write(
                "Este castigo ya se había aplicado con la misma clave; no se registró de nuevo."
            )
        self.stdout.write(
            f"Crédito {loan.number} castigado el {done.business_date:%d/%m/%Y}: fondos de garantía "
            f"{format_money(done.fund_cover)}, castigado {format_money(done.total)}."
        )

    def _recover(self, loan: Loan, user: User, options: dict[str, Any]) -> None:
        try:
            amount = Decimal(options["amount"])
        except InvalidOperation:
            raise CommandError(f"Campo «--amount»: «{options['amount']}» no es un importe.") from None
        on = _date(options["date"], "--date")
        recovery = recovery_record(
            user=user,
            loan=loan,
            amount=amount,
            value_date=on,
            idempotency_key=options["clave"] or f"recuperacion-{on.isoformat()}-{amount}",
        )
        if replayed(recovery):
            self.stdout.write("Esta recuperación ya estaba registrada con la misma clave; no se duplicó.")
        self.stdout.write(
            f"Recuperación de {format_money(recovery.amount)} del {recovery.value_date:%d/%m/%Y}; pendiente de "
            f"recuperar {format_money(written_off_outstanding(loan))}."
        )

    def _release(self, loan: Loan, user: User, options: dict[str, Any]) -> None:
        guarantee = FileGuarantee.objects.filter(pk=options["guarantee"], file_id=loan.file_id).first()
        if guarantee is None:
            raise CommandError(
                f"Campo «--guarantee»: el expediente del crédito no tiene la garantía {options['guarantee']}."
            )
        release = guarantee_release_record(
            user=user,
            loan=loan,
            guarantee=guarantee,
            released_on=_date(options["date"], "--date"),
            instrument=options["instrument"],
            notes=options["notes"],
        )
        self.stdout.write(
            f"Garantía liberada el {release.released_on:%d/%m/%Y}: {guarantee} ({release.instrument})."
        )

    def _letter(self, loan: Loan, user: User, options: dict[str, Any]) -> None:
        require_office(user, loan.office_id, "El crédito")
        content = pdf.render_pdf(pdf.payoff_letter_html(loan=loan, user=user))
        with open(options["out"], "wb") as out:
            out.write(content)
        document_issued(
            user=user, document="payoff_letter_pdf", obj=loan, filename=options["out"], office=loan.office
        )
        self.stdout.write(
            f"Carta de finiquito del crédito {loan.number}: {options['out']} ({len(content)} bytes)."
        )

    def _show(self, loan: Loan) -> None:
        self.stdout.write(f"Crédito {loan.number} — {loan.applicant.name}: {loan_status_label(loan)}")
        write_off = WriteOff.objects.filter(loan=loan).first()
        if write_off is not None:
            self.stdout.write(
                f"Castigado el {write_off.business_date:%d/%m/%Y}: {format_money(write_off.total)} (fondos de "
                f"garantía antes: {format_money(write_off.fund_cover)}); pendiente de recuperar "
                f"{format_money(written_off_outstanding(loan))}"
            )
            for recovery in loan.recoveries.order_by("value_date", "id"):
                self.stdout.write(
                    f"  Recuperación {recovery.value_date:%d/%m/%Y}: {format_money(recovery.amount)}"
                )
        for guarantee in loan_guarantees(loan):
            release = guarantee.release_or_none  # type: ignore[attr-defined]
            state = (
                f"liberada el {release.released_on:%d/%m/%Y}"
                if release
                else guarantee.get_status_display().lower()
            )
            self.stdout.write(f"  Garantía {guarantee.pk}: {guarantee} — {state}")
