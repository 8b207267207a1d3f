"""The generic lifecycle, without a database: checks in order (role, actor, state, guard), messages built
from the table, `allowed` by role, actor and state only, and tables that name unknown states refused."""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import pytest

from filon.core.lifecycle import Lifecycle, Transition

pytestmark = pytest.mark.pure


class Refused(Exception):
    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field, self.rule = message, field, rule


class NotYours(Refused):
    pass


def check_role(user: Any, roles: Iterable[str], verb: str) -> None:
    if user.role not in roles:
        raise NotYours(f"{user.role} no puede {verb}")


def owner(user: Any, obj: Any, t: Transition) -> None:
    if obj.owner != user.name:
        raise NotYours(f"sólo {obj.owner} puede {t.who}")


def paid(obj: Any) -> None:
    if not obj.paid:
        raise Refused("falta el pago", field="paid")


DOOR = Lifecycle(
    name="puerta",
    labels={"closed": "Cerrada", "open": "Abierta", "locked": "Con llave"},
    refused_message="No se puede {verb}: la puerta {obj.name} está «{state}» y debe estar: {allowed}.",
    check_role=check_role,
    forbidden=NotYours,
    refused=Refused,
    transitions=[
        Transition("open", "abrir", ("closed",), "open", roles=("guard",), actor=owner, guard=paid),
        Transition("close", "cerrar", ("open",), "closed", roles=("guard",), role_verb="cerrar puertas"),
        Transition("lock", "echar llave", ("closed",), "locked"),  # the system's move
    ],
)


def door(state: str, **kw: Any) -> SimpleNamespace:
    return SimpleNamespace(**{"status": state, "name": "norte", "owner": "ana", "paid": True, **kw})


ANA = SimpleNamespace(role="guard", name="ana")
BETO = SimpleNamespace(role="guard", name="beto")
CARLA = SimpleNamespace(role="visitor", name="carla")


def test_allowed_is_role_actor_and_state():
    assert DOOR.allowed(ANA, door("closed")) == ["open"]
    assert DOOR.allowed(ANA, door("open")) == ["close"]
    assert DOOR.allowed(BETO, door("closed")) == []  # not the owner
    assert DOOR.allowed(CARLA, door("open")) == []  # not the role
    assert DOOR.allowed(ANA, door("closed", paid=False)) == ["open"]  # the guard is the service's to explain


def test_refusals_come_in_order_and_in_the_tables_words():
    refusal = DOOR.refusal("open", CARLA, door("open", paid=False))
    assert isinstance(refusal, NotYours)
    assert refusal.message == "visitor no puede abrir"
    assert DOOR.refusal("close", CARLA, door("open")).message == "visitor no puede cerrar puertas"
    assert DOOR.refusal("open", BETO, door("open")).message == "sólo ana puede abrir"
    state = DOOR.refusal("open", ANA, door("locked", paid=False))
    assert (type(state), state.message, state.field) == (
        Refused,
        "No se puede abrir: la puerta norte está «con llave» y debe estar: cerrada.",
        "status",
    )
    assert DOOR.refusal("open", ANA, door("closed", paid=False)).field == "paid"
    assert DOOR.refusal("open", ANA, door("closed")) is None


def test_require_returns_the_transition_and_its_target():
    move = DOOR.require("open", ANA, door("closed"))
    assert (move.action, DOOR.target(move.action)) == ("open", "open")
    with pytest.raises(Refused, match=r"^falta el pago$"):
        DOOR.require("open", ANA, door("closed", paid=False))


def test_the_systems_moves_skip_role_and_actor_and_are_never_offered():
    assert DOOR.refusal("lock", None, door("closed")) is None
    assert "lock" not in DOOR.allowed(ANA, door("closed"))
    with pytest.raises(Refused):
        DOOR.require_state("lock", door("open"))


def test_a_table_with_unknown_states_or_twice_the_same_action_is_refused():
    common: dict[str, Any] = {
        "name": "x",
        "labels": {"a": "A"},
        "refused_message": "{verb}",
        "check_role": check_role,
        "forbidden": NotYours,
        "refused": Refused,
    }
    with pytest.raises(ValueError, match="unknown states"):
        Lifecycle(transitions=[Transition("go", "ir", ("a",), "b")], **common)
    with pytest.raises(ValueError, match="twice"):
        Lifecycle(transitions=[Transition("go", "ir", ("a",)), Transition("go", "ir", ("a",))], **common)
    with pytest.raises(ValueError, match="does not change the state"):
        Lifecycle(transitions=[Transition("go", "ir", ("a",))], **common).target("go")
