"""Reads on credit files, scoped by role and regional office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from filon.accounts.access import scope_to_office
from filon.accounts.models import User
from filon.core.calendar import business_days_between, today_mx
from filon.errors import NotFound
from filon.origination.models import CreditFile, FileStatus


def file_list_for_user(*, user: User) -> QuerySet[CreditFile]:
    return scope_to_office(CreditFile.objects.select_related("applicant", "office"), user)


def file_get_for_user(*, user: User, file_id: int) -> CreditFile:
    """Another office's file does not exist for a regional user: 404, never 403."""
    found = file_list_for_user(user=user).filter(pk=file_id).first()
    if found is None:
        raise NotFound("No existe el expediente.")
    return found


@dataclass(frozen=True)
class AttentionClock:
    """Rules 8: business days since requirements were complete, against the deadline."""

    applies: bool
    started_on: date | None
    deadline: date | None
    elapsed_business_days: int
    remaining_business_days: int | None
    overdue: bool


CLOCK_RUNNING = (
    FileStatus.REQUIREMENTS_COMPLETE,
    FileStatus.UNDER_ANALYSIS,
    FileStatus.PROPOSED,
    FileStatus.RETURNED,
)


def attention_clock(file: CreditFile, today: date | None = None) -> AttentionClock:
    today = today or today_mx()
    if file.requirements_complete_on is None or file.attention_deadline is None:
        return AttentionClock(False, file.requirements_complete_on, None, 0, None, False)
    stop = today if file.status in CLOCK_RUNNING else (file.authorized_on or today)
    elapsed = business_days_between(file.requirements_complete_on, stop)
    remaining = (
        business_days_between(stop, file.attention_deadline)
        if stop < file.attention_deadline
        else -business_days_between(file.attention_deadline, stop)
    )
    return AttentionClock(
        True,
        file.requirements_complete_on,
        file.attention_deadline,
        elapsed,
        remaining,
        overdue=file.status in CLOCK_RUNNING and today > file.attention_deadline,
    )


def files_overdue_attention(*, user: User, today: date | None = None) -> list[CreditFile]:
    today = today or today_mx()
    qs = file_list_for_user(user=user).filter(status__in=CLOCK_RUNNING, attention_deadline__lt=today)
    return list(qs.order_by("attention_deadline"))
