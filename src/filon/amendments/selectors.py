"""Reads of amendments: the source the rule loader consults, the lists and the diff the pages show."""

from __future__ import annotations

import secrets
from collections.abc import Hashable
from typing import Any

from django.db.models import QuerySet

from filon.accounts.access import require_role
from filon.accounts.models import Role, User
from filon.amendments.models import Amendment, AmendmentStatus
from filon.amendments.stamp import reset, stamp_kept
from filon.errors import NotFound
from filon.rules import amend
from filon.rules.loader import RuleSetSource, load_ruleset_version

READERS = (Role.RIESGOS, Role.DIRECCION, Role.ADMINISTRADOR)
PROPOSERS = (Role.RIESGOS,)
APPROVERS = (Role.RIESGOS, Role.DIRECCION)


def new_mark() -> int:
    return secrets.randbits(62)


def _read_stamp() -> Hashable:
    return tuple(
        Amendment.objects.filter(status=AmendmentStatus.APPROVED).order_by("id").values_list("id", "mark")
    )


def approved_stamp() -> Hashable:
    """Changes whenever the approved amendments change (ids and random marks)."""
    return stamp_kept(_read_stamp)


def as_rules(row: Amendment) -> amend.Amendment:
    return amend.Amendment(
        number=row.number,
        agreed_on=row.agreed_on,
        body=row.body,
        effective_from=row.effective_from,
        base_version=row.base_version,
        changes=tuple(amend.changes_from_data(row.changes)),
        illustrative=row.illustrative,
        summary=row.summary,
    )


def approved_amendments() -> list[amend.Amendment]:
    return [as_rules(row) for row in Amendment.objects.filter(status=AmendmentStatus.APPROVED)]


SOURCE = RuleSetSource(stamp=approved_stamp, amendments=approved_amendments)


def tables_reset(**kwargs: Any) -> None:
    """`post_migrate`: the tables were created or flushed; what this process kept is stale."""
    reset()


def amendment_list_for_user(*, user: User) -> QuerySet[Amendment]:
    require_role(user, READERS, "consultar las modificaciones a las reglas")
    return Amendment.objects.select_related("proposed_by", "decided_by").order_by("-proposed_at", "-id")


def amendment_get_for_user(*, user: User, amendment_id: int) -> Amendment:
    require_role(user, READERS, "consultar las modificaciones a las reglas")
    found = Amendment.objects.select_related("proposed_by", "decided_by").filter(pk=amendment_id).first()
    if found is None:
        raise NotFound("No existe esa modificación a las reglas.")
    return found


def amendment_preview(row: Amendment) -> amend.RuleSetDiff:
    """What the amendment changes from its base version (for a proposal, what it would change)."""
    base = load_ruleset_version(row.base_version)
    return amend.ruleset_diff(base, amend.amendment_apply(base, as_rules(row)))
