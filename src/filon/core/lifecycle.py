"""A lifecycle as data: which action moves an object from which states to which, and who may take it.

One table per lifecycle (a credit file, a committee session, a loan) is read by the services, to refuse
an action out of order and to set the new state, and by the pages, to offer only the buttons that the
services would accept. The table decides nothing by itself that the services do not enforce.

The checks run in a fixed order, the order the services have always refused in:

1. the role (`roles`, refused by the lifecycle's `check_role`, e.g. «Su rol (...) no puede ...»);
2. the actor (`actor`: e.g. the regional office of the object, the secretary of the session);
3. the state (`sources`; refused with the lifecycle's `refused_message`, or the transition's own);
4. the guard (`guard`: a condition on the object that is not its state, e.g. a session's date).

Roles, actor and guard are functions that raise the lifecycle's `forbidden` or `refused` error (the
services' own errors, handed in by the app that owns the table), so every refusal reads word for word as
the services wrote it. `allowed` lists the actions that pass 1–3: a guard is left to the service to
explain, so a page offers the button and shows the service's reason when it is refused.

Pure: no Django, so a lifecycle can be read and tested from a Python shell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

Check = Callable[[Any, Any, "Transition"], None]
"""`(user, obj, transition)`: returns when allowed, raises the lifecycle's error when not."""

Guard = Callable[[Any], None]
"""`(obj)`: returns when the object may move, raises the lifecycle's `refused` error when not."""


class ErrorType(Protocol):
    """The services' error classes: a message, the field at fault and the rule cited."""

    def __call__(self, message: str, *, field: str | None = ..., rule: str | None = ...) -> Exception: ...


RoleCheck = Callable[[Any, Iterable[str], str], None]
"""`(user, roles, verb)`: the platform's role check, raising `forbidden` with its own wording."""


@dataclass(frozen=True)
class Transition:
    """One action of a lifecycle.

    `verb` completes «No se puede {verb}: ...» when the state refuses; `role_verb` completes «Su rol (...)
    no puede {role_verb}» (the same as `verb` unless given). `roles` empty means the system takes the
    action (a batch job, another service): no role or actor check. `target` None keeps the state (an
    action allowed in some states that does not move the object).
    """

    action: str
    verb: str
    sources: tuple[str, ...]
    target: str | None = None
    roles: tuple[str, ...] = ()
    role_verb: str = ""
    actor: Check | None = None
    guard: Guard | None = None
    refused_message: str = ""

    @property
    def who(self) -> str:
        return self.role_verb or self.verb


class Lifecycle:
    """The transitions of one kind of object, in the order a page lists its buttons.

    `refused_message` is a format string with `{verb}`, `{state}` (the current state's label, lower
    case), `{allowed}` (the source states' labels) and `{obj}` (the object).
    """

    def __init__(
        self,
        *,
        name: str,
        transitions: Iterable[Transition],
        labels: Mapping[str, str],
        refused_message: str,
        check_role: RoleCheck,
        forbidden: ErrorType,
        refused: ErrorType,
        state_attr: str = "status",
    ) -> None:
        self.name = name
        self.transitions: dict[str, Transition] = {}
        for t in transitions:
            if t.action in self.transitions:
                raise ValueError(f"{name}: action {t.action!r} twice")
            unknown = [s for s in (*t.sources, *([t.target] if t.target else [])) if s not in labels]
            if unknown:
                raise ValueError(f"{name}.{t.action}: unknown states {unknown}")
            self.transitions[t.action] = t
        self.labels = dict(labels)
        self.refused_message = refused_message
        self.check_role = check_role
        self.forbidden = forbidden
        self.refused = refused
        self.state_attr = state_attr
        errors = (forbidden, refused)
        if not all(isinstance(e, type) and issubclass(e, Exception) for e in errors):
            raise TypeError(f"{name}: `forbidden` and `refused` must be exception classes")
        self._forbidden_class: type[Exception] = forbidden  # type: ignore[assignment]
        self._errors: tuple[type[Exception], ...] = (forbidden, refused)  # type: ignore[assignment]

    def __getitem__(self, action: str) -> Transition:
        return self.transitions[action]

    @property
    def states(self) -> list[str]:
        return list(self.labels)

    def roles(self, action: str) -> tuple[str, ...]:
        return self.transitions[action].roles

    def state_of(self, obj: Any) -> str:
        return str(getattr(obj, self.state_attr))

    def target(self, action: str) -> str:
        """The state `action` leads to (for an action that moves the object)."""
        target = self.transitions[action].target
        if target is None:
            raise ValueError(f"{self.name}.{action} does not change the state")
        return target

    # ------------------------------------------------------------------------------------ refusing

    def require_actor(self, action: str, user: Any, obj: Any) -> Transition:
        """Checks 1–2: the user's role, then the actor check (the object's office, the session's secretary)."""
        t = self.transitions[action]
        if t.roles:
            self.check_role(user, t.roles, t.who)
            if t.actor is not None:
                t.actor(user, obj, t)
        return t

    def require_state(self, action: str, obj: Any) -> Transition:
        """Checks 3–4: the object's state is one the action leaves from, then the guard."""
        t = self.transitions[action]
        state = self.state_of(obj)
        if state not in t.sources:
            template = t.refused_message or self.refused_message
            raise self.refused(
                template.format(
                    verb=t.verb,
                    state=self._label(state),
                    allowed=", ".join(self._label(s) for s in t.sources),
                    obj=obj,
                ),
                field=self.state_attr,
            )
        if t.guard is not None:
            t.guard(obj)
        return t

    def require(self, action: str, user: Any, obj: Any) -> Transition:
        """All four checks, in order; returns the transition (its `target` is the new state)."""
        self.require_actor(action, user, obj)
        return self.require_state(action, obj)

    def refusal(self, action: str, user: Any, obj: Any) -> Exception | None:
        """The error `require` would raise, or None when the action is allowed now."""
        try:
            self.require(action, user, obj)
        except self._errors as exc:
            return exc
        return None

    def allowed(self, user: Any, obj: Any) -> list[str]:
        """The actions this user may take on this object now, by role, actor and state (not guards)."""
        out = []
        for action, t in self.transitions.items():
            if not t.roles or self.state_of(obj) not in t.sources:
                continue
            try:
                self.require_actor(action, user, obj)
            except self._forbidden_class:
                continue
            out.append(action)
        return out

    def _label(self, state: str) -> str:
        return self.labels.get(state, state).lower()
