"""A loan's lifecycle under administration (Rules 16.2.2, 16.5): one table for the services and the pages.

A loan is created «por disponer» from a file ready to disburse; its first ministración makes it «vigente»,
and a line draws again while vigente. It is «liquidado» when nothing is owed and no revolving line is in
force (a payment, or the daily close at a line's expiry), and opens again when a reversal leaves something
owed. No service cancels a loan today: «cancelado» is a state no action leads to.
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
    ],
)
"""The loan's lifecycle."""
