"""Role checks and regional scoping in one place (STYLE 6)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from filon.accounts.models import Role, User
from filon.errors import DomainError, Forbidden

M = TypeVar("M", bound=Model)

ROLE_NAMES = dict(Role.choices)


def require_role(user: Any, roles: Iterable[str], action: str) -> None:
    """Refuse unless the user is active and holds one of `roles`."""
    allowed = set(roles)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise Forbidden("Debe iniciar sesión.")
    if user.role not in allowed:
        names = ", ".join(sorted(ROLE_NAMES.get(r, r) for r in allowed))
        raise Forbidden(
            f"Su rol ({ROLE_NAMES.get(user.role, user.role)}) no puede {action}; corresponde a: {names}."
        )


def scope_to_office(queryset: QuerySet[M], user: User, office_field: str = "office") -> QuerySet[M]:
    """Regional users see only their office's objects; central roles see all."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if user.is_regional:
        return queryset.filter(**{office_field: user.office_id})
    return queryset


def office_in_scope(user: User, office_id: int) -> bool:
    """`scope_to_office` for one object already read: whether the user sees an object of `office_id`."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return not user.is_regional or office_id == user.office_id


def require_office(user: User, office_id: int | None, what: str = "El expediente") -> None:
    """Refuse a regional user an object of another office (`what` names it: «El crédito», «La EPO»).

    The selectors already hide other offices' objects; this guards direct service calls and URLs typed by hand.
    """
    if user.is_regional and user.office_id != office_id:
        raise Forbidden(f"{what} pertenece a otra gerencia regional.")


SEGREGATION_OF_DUTIES = "separación de funciones"
"""The internal control every approval obeys: whoever captures, uploads, proposes or requests a matter does
not accept, sign off, vote or resolve it; another person does (four eyes).

The Rules do not state it as a numbered rule (they name who decides, not who may not), so it is cited by
this name, the same words the committees' refusals have always used, and not by a rule id. Where the Rules
do assign the approval (e.g. the Gerente Regional who validates the parametric evaluation, P-2 2.x e,
P-3 3.x e), the refusal also names who should act.
"""


def require_another_person(
    user: Any,
    makers: Iterable[int | None],
    refusal: str,
    field: str,
    *,
    control: str = SEGREGATION_OF_DUTIES,
    error: type[DomainError] = Forbidden,
) -> None:
    """Refuse `user` when they are one of `makers` (user ids): «{refusal} ({control}).» — by default
    «(separación de funciones)» as a Forbidden; a caller whose control has longer words (the loan's money,
    `servicing.duties.FOUR_EYES`) or that refuses a state change passes its own."""
    if getattr(user, "pk", None) in {pk for pk in makers if pk}:
        raise error(f"{refusal} ({control}).", field=field)
