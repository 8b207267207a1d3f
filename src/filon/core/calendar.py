"""Mexican bank business days (SPEC C-3, C-4).

The calendar is the `holidays` package's Mexican exchange calendar, which follows the CNBV bank-closing
list; it is maintained upstream, not here.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

MEXICO_CITY = ZoneInfo("America/Mexico_City")
MONTHS_PER_YEAR = 12


BusinessDateProvider = Callable[[], date | None]
_business_date_provider: BusinessDateProvider | None = None


def calendar_today_mx() -> date:
    """The calendar's date in Mexico City, whatever the business date is."""
    return datetime.now(MEXICO_CITY).date()


def business_date_provider_set(provider: BusinessDateProvider | None) -> None:
    """Register (or, with None, remove) where the business date comes from.

    The core touches no database: the training mode (`filon.operations.business_date`) registers a provider
    that reads the stored business date. Without one, the business date is the calendar's."""
    global _business_date_provider
    _business_date_provider = provider


def today_mx() -> date:
    """The business date: the day operations are dated on and the day the close measures from.

    It is the calendar's date in Mexico City unless a provider is registered (training mode) and gives a later
    date: a business date may run ahead of the calendar, never behind it."""
    calendar_today = datetime.now(MEXICO_CITY).date()
    provider = _business_date_provider
    if provider is None:
        return calendar_today
    stored = provider()
    return stored if stored is not None and stored > calendar_today else calendar_today


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.financial_holidays("XMEX", years=year).keys())


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


@lru_cache(maxsize=65536)
def next_business_day(day: date) -> date:
    """The same day if it is a business day, else the next one (C-3 payment roll)."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def previous_business_day(day: date) -> date:
    """The business day strictly before `day`."""
    day -= timedelta(days=1)
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def add_business_days(start: date, count: int) -> date:
    """The date `count` business days after `start` (start itself not counted)."""
    if count < 0:
        raise ValueError("count must be non-negative")
    day = start
    remaining = count
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    return day


def business_days_between(start: date, end: date) -> int:
    """Business days in (start, end]: how many business days have elapsed since `start` by `end`."""
    if end <= start:
        return 0
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_business_day(day):
            count += 1
    return count


@lru_cache(maxsize=1024)
def days_in_month(year: int, month: int) -> int:
    return _calendar.monthrange(year, month)[1]


@lru_cache(maxsize=65536)
def add_months(day: date, months: int, anchor_day: int | None = None) -> date:
    """`day` plus `months`, on `anchor_day` (default: day's own) clamped to the month's end (C-3).

    Jan 31 + 1 month -> Feb 28/29; with anchor 31, Feb 28 + 1 month -> Mar 31.
    """
    anchor = anchor_day if anchor_day is not None else day.day
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return date(year, month, min(anchor, days_in_month(year, month)))
