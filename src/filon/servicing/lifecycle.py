"""A loan's lifecycle under administration (Rules 16.2.2, 16.5): one table for the services and the pages.

A loan is created «por disponer» from a file ready to disburse; its first ministración makes it «vigente»,
and a line draws again while vigente. It is «liquidado» when nothing is owed and no revolving line is in
force (a payment, or the daily close at a line's expiry), and opens again when a reversal leaves something
owed. A loan the committee authorized to write off is «castigado» (`servicing.writeoff`): recoveries are
booked on it afterwards, it never opens again. No service cancels a loan today: «cancelado» is a state no action leads to.
"""

from __future__ import annotations

from typing import Any

from filon.accounts.access import require_office, require_role
from filon.accounts.models import Role
from filon.core.lifecycle import Lifecycle, Transition
from filon.errors import Forbidden, TransitionRefused
from filon.servicing.models import LoanStatus

S = LoanStatus
REGIONAL = (Role.ANALISTA, Role.GERENTE_REGIONAL)
# The regional manager applies the committee's write-off: he is also who applies the guarantee funds first.
WRITE_OFF_ROLES = (Role.GERENTE_REGIONAL,)
LEGAL = (Role.JURIDICO,)


def _same_office(user: Any, loan: Any, transition: Transition) -> None:
    require_office(user, loan.office_id, "El crédito")


LOAN = Lifecycle(
    name="crédito",
    labels=dict(S.choices),
    refused_message="No se puede {verb}: el crédito está «{state}» y debe estar: {allowed}.",
    check_role=require_role,
    forbidden=Forbidden,
    refused=TransitionRefused,
    transitions=[
        Transition(
            action="disburse",
            verb="ministrar",
            sources=(S.PENDING, S.ACTIVE),
            target=S.ACTIVE,
            roles=REGIONAL,
            role_verb="registrar ministraciones",
            actor=_same_office,
            refused_message="El crédito no admite disposiciones.",
        ),
        # The system's moves: the position settles after a payment, a reversal or the daily close.
        Transition(action="pay_off", verb="liquidar", sources=(S.ACTIVE,), target=S.PAID_OFF),
        Transition(action="reopen", verb="reabrir", sources=(S.PAID_OFF,), target=S.ACTIVE),
        # Closing (`servicing.writeoff`, `servicing.payoff`): the committee's write-off of an unrecoverable
        # loan, the recoveries booked on it afterwards, and the legal release of a paid-off loan's guarantees.
        Transition(
            action="write_off",
            verb="castigar",
            sources=(S.ACTIVE,),
            target=S.WRITTEN_OFF,
            roles=WRITE_OFF_ROLES,
            role_verb="aplicar castigos de cartera",
            actor=_same_office,
        ),
        Transition(
            action="recover",
            verb="registrar una recuperación",
            sources=(S.WRITTEN_OFF,),
            roles=REGIONAL,
            role_verb="registrar recuperaciones de cartera castigada",
            actor=_same_office,
        ),
        Transition(
            action="guarantee_release",
            verb="liberar garantías",
            sources=(S.PAID_OFF,),
            roles=LEGAL,
            role_verb="registrar la liberación de garantías",
            actor=_same_office,
        ),
    ],
)
"""The loan's lifecycle."""
