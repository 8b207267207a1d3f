"""The business date of the training mode: stored here, read through `filon.core.calendar.today_mx()`.

Every service asks `today_mx()` for "today". In production that is the calendar's date in Mexico City. In
training mode (`settings.FILON_TRAINING_MODE`, on in the demo) `OperationsConfig.ready()` registers
`stored_business_date` as the calendar's business-date provider, so that an administrator may move the
business date forward (`operations.services.advance_run_start`) and show a loan falling due, going late and
being recovered. The rules:

- the business date is the stored date when there is one and it is later than the calendar's, else the
  calendar's: it may run ahead of the calendar, never behind it;
- it only moves forward, one closed business day at a time, by an advance run (audited at its start and end);
- it is read on every request, so the stored date is cached per process for at most `CACHE_SECONDS`; the
  process that moves it drops its cache at once (and again when the transaction commits), the others see
  it within a second.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from filon.core.calendar import business_date_provider_set, calendar_today_mx, today_mx
from filon.errors import TransitionRefused
from filon.operations.models import BusinessDate

CACHE_SECONDS = 1.0

_cached: tuple[float, date | None] | None = None


def training_mode() -> bool:
    return bool(settings.FILON_TRAINING_MODE)


def _read() -> date | None:
    try:
        return BusinessDate.objects.filter(pk=BusinessDate.SINGLETON).values_list("date", flat=True).first()
    except DatabaseError:  # before `filon migrate` has created the table: the calendar's date
        return None


def stored_business_date() -> date | None:
    """The stored business date (None without one, or outside training mode); the calendar's provider."""
    global _cached
    if not training_mode():
        return None
    now = time.monotonic()
    cached = _cached
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    stored = _read()
    _cached = (now, stored)
    return stored


def business_date_forget() -> None:
    """Drop this process's cached business date: the next `today_mx()` reads it again."""
    global _cached
    _cached = None


def business_date_install() -> None:
    """Register the stored business date as the calendar's provider when the training mode is on (called
    from `OperationsConfig.ready()`); outside it, remove any provider: the business date is the calendar's."""
    business_date_forget()
    business_date_provider_set(stored_business_date if training_mode() else None)


def business_date_move(*, to: date, user: Any, reason: str) -> BusinessDate:
    """Store `to` as the business date. Only forward: a date not after the current business date is refused.
    Runs inside the caller's transaction (the advance step that closed the day before)."""
    with transaction.atomic():
        current = BusinessDate.objects.select_for_update().filter(pk=BusinessDate.SINGLETON).first()
        business_date_forget()
        now = max(current.date, calendar_today_mx()) if current is not None else calendar_today_mx()
        if to <= now:
            raise TransitionRefused(
                f"La fecha de negocio solo avanza: el {to:%d/%m/%Y} no es posterior a la fecha de negocio "
                f"actual ({now:%d/%m/%Y}).",
                field="to",
            )
        record = current or BusinessDate(pk=BusinessDate.SINGLETON)
        record.date = to
        record.set_by = user if getattr(user, "pk", None) else None
        record.set_at = timezone.now()
        record.reason = reason[:200]
        record.save()
        transaction.on_commit(business_date_forget)
    return record


def business_date_status() -> dict[str, Any]:
    """What the pages show: the business date, the calendar's, whether they differ, and the mode."""
    business, calendar = today_mx(), calendar_today_mx()
    return {
        "business": business,
        "calendar": calendar,
        "differs": business != calendar,
        "training": training_mode(),
    }
