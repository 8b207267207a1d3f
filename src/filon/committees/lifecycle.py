"""A committee session's lifecycle (Rules 17): one table for the services and the session page.

A session is convened, held on or after its date with quorum (earlier only with the reason recorded), and
closed once every matter is resolved; while convened, its secretary may move it to another date.
While convened or held, its secretary records attendance and keeps the agenda; once held, the present
members vote and the secretary records the resolutions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from filon.accounts.access import require_role
from filon.accounts.models import Role
from filon.committees.models import SessionStatus
from filon.core.calendar import today_mx
from filon.core.lifecycle import Lifecycle, Transition
from filon.errors import Forbidden, TransitionRefused

S = SessionStatus
OPEN = (S.CONVENED, S.HELD)
SECRETARY = (Role.SECRETARIO_COMITE,)


def _the_secretary(user: Any, session: Any, transition: Transition) -> None:
    """Only the session's own secretary acts on it."""
    if user.pk != session.secretary_id:
        raise Forbidden(
            f"Sólo el secretario de la sesión {session.number} puede {transition.who}.", field="secretary"
        )


def early_hold_refusal(session: Any) -> TransitionRefused:
    """Holding a session before its date needs the reason on record (or moving the session)."""
    date: dt.date = session.date
    return TransitionRefused(
        f"La sesión está convocada para el {date:%d/%m/%Y}: para celebrarla antes indique el motivo, "
        "o cambie su fecha.",
        field="held_early_reason",
    )


def _on_or_after_its_date(session: Any) -> None:
    """Without a reason, a session is held on or after its date (the hold service takes the reason)."""
    if session.date > today_mx():
        raise early_hold_refusal(session)


def _t(action: str, verb: str, sources: tuple[str, ...], target: str | None = None, **kw: Any) -> Transition:
    return Transition(
        action=action, verb=verb, sources=sources, target=target, roles=SECRETARY, actor=_the_secretary, **kw
    )


SESSION = Lifecycle(
    name="sesión de comité",
    labels=dict(S.choices),
    refused_message="No se puede {verb}: la sesión {obj.number} está «{state}» y debe estar: {allowed}.",
    check_role=require_role,
    forbidden=Forbidden,
    refused=TransitionRefused,
    transitions=[
        _t("hold", "celebrar la sesión", (S.CONVENED,), S.HELD, guard=_on_or_after_its_date),
        _t("reschedule", "cambiar la fecha de la sesión", (S.CONVENED,)),
        _t("close", "cerrar la sesión", (S.HELD,), S.CLOSED),
        _t("attendance", "registrar la asistencia", OPEN),
        _t("agenda_add", "agregar asuntos", OPEN, role_verb="integrar el orden del día"),
        _t("agenda_withdraw", "retirar asuntos", OPEN, role_verb="retirar asuntos del orden del día"),
        _t("resolution_record", "registrar resoluciones", (S.HELD,)),
        # Membership and presence are the vote service's checks (they read the session's attendance).
        Transition(
            action="vote",
            verb="votar",
            sources=(S.HELD,),
            roles=(Role.MIEMBRO_COMITE,),
            role_verb="votar en comité",
        ),
    ],
)
"""The committee session's lifecycle."""
