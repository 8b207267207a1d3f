"""«Mis pendientes» over the API: the same items, in the same order, as the page (filon.worklist)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from filon.worklist.items import PendingItem
from filon.worklist.selectors import pending_items

router = Router(tags=["pendientes"])


class PendingItemOut(Schema):
    key: str
    kind: str
    title: str
    detail: str
    url: str
    office: str
    assignee: str
    assignee_name: str
    since: dt.date
    due: dt.date | None
    rule: str
    days_left: int | None
    business_days: bool
    overdue: bool
    clock: str


def _out(item: PendingItem) -> PendingItemOut:
    return PendingItemOut(
        key=item.key,
        kind=item.kind,
        title=item.title,
        detail=item.detail,
        url=item.url,
        office=item.office,
        assignee=item.assignee,
        assignee_name=item.assignee_name,
        since=item.since,
        due=item.due,
        rule=item.rule,
        days_left=item.days_left,
        business_days=item.business_days,
        overdue=item.overdue,
        clock=item.clock,
    )


@router.get(
    "/pending",
    response=list[PendingItemOut],
    summary="Mis pendientes: lo que espera la acción del usuario, lo vencido y más urgente primero",
)
def pending(request: HttpRequest) -> list[PendingItemOut]:
    return [_out(item) for item in pending_items(request.user)]  # type: ignore[arg-type]
