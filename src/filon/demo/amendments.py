"""The demo's one amendment to the Reglas de Operación (SPEC I-10): an ILLUSTRATIVE extension of P-2.

P-2 gave resources until 22/09/2014 in the shipped rule data, though its text says the term is «prorrogable»
(2.10). The demo records an acuerdo that extends it to the end of the current year, proposed by the Risk
area and approved by Dirección (two people), so that a present-day P-2 file evaluates as in force. It is
marked illustrative — not a real acuerdo of the Comité Técnico — and the pages and `filon rules list` say so.
"""

from __future__ import annotations

from datetime import date

from filon.accounts.models import User
from filon.amendments.models import Amendment, AmendmentStatus
from filon.amendments.services import AmendmentData, amendment_approve, amendment_propose

BODY = "Comité Técnico del FIFOMI (ilustrativo)"


def illustrative_number(year: int) -> str:
    return f"CT-ILUS-{year}-01"


def illustrative_p2_extension(*, proposer: User, approver: User, today: date) -> Amendment:
    """Record and approve the illustrative extension of P-2 to 31 December of `today`'s year (once)."""
    number = illustrative_number(today.year)
    row = Amendment.objects.filter(number=number).first()
    if row is None:
        start = date(today.year, 1, 1)
        row = amendment_propose(
            user=proposer,
            data=AmendmentData(
                number=number,
                agreed_on=start,
                body=BODY,
                effective_from=start,
                summary=(
                    "Prórroga ilustrativa del Programa Nacional de Crédito Directo para la Pequeña Minería "
                    f"(P-2 2.10, «prorrogable») hasta el 31/12/{today.year}. No es un acuerdo real: muestra "
                    "cómo se registra una prórroga como datos, en una versión nueva de las reglas."
                ),
                changes=[
                    {"path": "programs.pequena_mineria.valid_until", "value": date(today.year, 12, 31)},
                ],
                illustrative=True,
            ),
        )
    if row.status == AmendmentStatus.PROPOSED:
        row = amendment_approve(user=approver, amendment=row)
    return row
