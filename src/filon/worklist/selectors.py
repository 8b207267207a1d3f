"""Reads of the worklist: «Mis pendientes» (`pending_items`), the regional manager's office queue by analyst
(`office_queue`) and the in-app notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from filon.accounts.models import Role, User
from filon.core.calendar import today_mx
from filon.worklist.items import PendingItem, items_sorted
from filon.worklist.models import Notice
from filon.worklist.sources import person, sources_run


def pending_items(user: User, today: date | None = None) -> list[PendingItem]:
    """What waits for `user`'s action, overdue and most urgent first, then oldest (every source of
    `sources.SOURCES`, each scoped by the user's role and regional office)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    return items_sorted(sources_run(user, today or today_mx()))


@dataclass(frozen=True)
class AnalystQueue:
    username: str
    name: str
    items: list[PendingItem]

    @property
    def overdue(self) -> int:
        return sum(1 for item in self.items if item.overdue)


def office_queue(user: User, today: date | None = None) -> list[AnalystQueue]:
    """For a regional manager: the queues of the other active people of their office, by person (only the
    items that name them as assignee; what waits for anyone of a role is in the manager's own queue). Empty
    for every other role."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.role != Role.GERENTE_REGIONAL or user.office_id is None:
        return []
    today = today or today_mx()
    others = (
        User.objects.filter(
            is_active=True, office_id=user.office_id, role__in=[Role.ANALISTA, Role.GERENTE_REGIONAL]
        )
        .exclude(pk=user.pk)
        .order_by("first_name", "last_name", "username")
    )
    out = []
    for other in others:
        items = [item for item in pending_items(other, today) if item.assignee == other.username]
        if items:
            out.append(AnalystQueue(other.username, person(other), items))
    return out


def notices_for_user(*, user: User) -> QuerySet[Notice]:
    """The user's own notices, newest first (nobody reads another's)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Notice.objects.none()
    return Notice.objects.filter(user=user).order_by("-created_at", "-pk")


def notices_unread_count(*, user: User) -> int:
    return notices_for_user(user=user).filter(read_at__isnull=True).count()
