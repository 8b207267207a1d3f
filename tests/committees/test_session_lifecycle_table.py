"""The committee session's lifecycle table against its services: for every state and every action, the
session page offers the action (`SESSION.allowed`) exactly when the service accepts it.

One Comité Interno session with marta, luis and elena present and one proposed file: each case puts the
session in one state, lays out what the action needs (a matter on the agenda, its votes), calls the
service inside a savepoint and rolls it back. Only the state, the role and the secretary can refuse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from conftest import to_proposed
from filon.committees.lifecycle import SESSION
from filon.committees.models import AgendaItem, CommitteeSession, SessionStatus, Vote
from filon.committees.services import (
    agenda_add_file,
    agenda_withdraw,
    resolution_record,
    session_attendance,
    session_close,
    session_convene,
    session_hold,
    session_reschedule,
    vote_cast,
)
from filon.core.calendar import today_mx
from filon.errors import Forbidden, TransitionRefused

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


@pytest.fixture
def setting(cast, credit_file):
    file = to_proposed(cast, credit_file)
    session = session_convene(user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala 1")
    session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis, cast.elena])
    return session, file


def _matter(session: CommitteeSession, file: Any, *, voted_by: tuple[Any, ...] = ()) -> AgendaItem:
    item = AgendaItem.objects.create(session=session, order=1, file=file, added_by=session.secretary)
    for member in voted_by:
        Vote.objects.create(item=item, member=member, vote="favor")
    return item


def _calls(cast: Any, session: CommitteeSession, file: Any) -> dict[str, tuple[Any, Callable[[Any], object]]]:
    members = (cast.marta, cast.luis, cast.elena)
    return {
        "hold": (cast.sergio, lambda u: session_hold(user=u, session=session)),
        "reschedule": (
            cast.sergio,
            lambda u: session_reschedule(
                user=u, session=session, new_date=session.date + dt.timedelta(days=1), reason="Se mueve"
            ),
        ),
        "close": (cast.sergio, lambda u: session_close(user=u, session=session)),
        "attendance": (
            cast.sergio,
            lambda u: session_attendance(user=u, session=session, members=list(members)),
        ),
        "agenda_add": (cast.sergio, lambda u: agenda_add_file(user=u, session=session, file=file)),
        "agenda_withdraw": (
            cast.sergio,
            lambda u: agenda_withdraw(user=u, item=_matter(session, file), reason="Se retira"),
        ),
        "resolution_record": (
            cast.sergio,
            lambda u: resolution_record(
                user=u, item=_matter(session, file, voted_by=members), decision="authorized"
            ),
        ),
        "vote": (cast.marta, lambda u: vote_cast(user=u, item=_matter(session, file), vote="favor")),
    }


def _put(session: CommitteeSession, state: str) -> CommitteeSession:
    CommitteeSession.objects.filter(pk=session.pk).update(status=state)
    return CommitteeSession.objects.select_related("secretary").get(pk=session.pk)


def _accepts(call: Callable[[Any], object], user: Any) -> bool:
    try:
        with transaction.atomic():
            call(user)
            raise Rollback
    except Rollback:
        return True
    except (TransitionRefused, Forbidden):
        return False


def test_every_action_is_offered_exactly_when_its_service_accepts_it(cast, setting):
    session, file = setting
    mismatches, accepted = [], {}
    for state in SessionStatus.values:
        session = _put(session, state)
        calls = _calls(cast, session, file)
        assert set(calls) == set(SESSION.transitions)
        for action, (user, call) in calls.items():
            offered = action in SESSION.allowed(user, session)
            took = _accepts(call, user)
            if took:
                accepted.setdefault(action, []).append(state)
            if offered != took:
                mismatches.append((state, action, f"offered={offered}", f"accepted={took}"))
    assert mismatches == []
    assert {a: sorted(s) for a, s in accepted.items()} == {  # written out here, not read from the table
        "hold": ["convened"],
        "reschedule": ["convened"],
        "close": ["held"],
        "attendance": ["convened", "held"],
        "agenda_add": ["convened", "held"],
        "agenda_withdraw": ["convened", "held"],
        "resolution_record": ["held"],
        "vote": ["held"],
    }
    assert {a: sorted(s) for a, s in accepted.items()} == {
        a: sorted(t.sources) for a, t in SESSION.transitions.items()
    }


def test_only_the_sessions_secretary_is_offered_its_actions(cast, setting):
    session, _ = setting
    other = type(cast.sergio).objects.create_user(
        "otro.secretario",
        password="clave-de-prueba-123",
        role="secretario_comite",
        committees=["comite_interno"],
    )
    assert SESSION.allowed(other, session) == []
    assert SESSION.allowed(cast.marta, session) == []  # convened: a member has nothing to do yet
    assert SESSION.allowed(cast.sergio, session) == [
        "hold",
        "reschedule",
        "attendance",
        "agenda_add",
        "agenda_withdraw",
    ]
    with pytest.raises(Forbidden) as refused:
        session_hold(user=other, session=session)
    assert (
        refused.value.message == f"Sólo el secretario de la sesión {session.number} puede celebrar la sesión."
    )


def test_the_guard_is_the_services_refusal_not_a_hidden_button(cast):
    """A session convened for a later date: the page offers «celebrar» and the service says why not."""
    later = session_convene(
        user=cast.sergio,
        committee="comite_interno",
        date=today_mx().replace(year=today_mx().year + 1),
        place="Sala 2",
    )
    assert "hold" in SESSION.allowed(cast.sergio, later)
    refusal = SESSION.refusal("hold", cast.sergio, later)
    assert isinstance(refusal, TransitionRefused)
    assert refusal.message == (
        f"La sesión está convocada para el {later.date:%d/%m/%Y}: para celebrarla antes indique el motivo, "
        "o cambie su fecha."
    )
    with pytest.raises(TransitionRefused, match="está convocada para el"):
        session_hold(user=cast.sergio, session=later)
