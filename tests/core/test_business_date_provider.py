"""`today_mx()` is the business date: the calendar's unless a provider (the training mode's stored date)
gives a later one; `calendar_today_mx()` is always the calendar's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
import time_machine

from filon.core.calendar import MEXICO_CITY, business_date_provider_set, calendar_today_mx, today_mx

pytestmark = pytest.mark.pure


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    # 23:30 in Mexico City is already the next day in UTC: both dates are Mexico City's
    with time_machine.travel(datetime(2026, 3, 3, 23, 30, tzinfo=MEXICO_CITY), tick=False):
        yield
    business_date_provider_set(None)


def test_without_a_provider_today_is_the_calendar_s_date():
    business_date_provider_set(None)
    assert today_mx() == calendar_today_mx() == date(2026, 3, 3)


def test_a_provider_ahead_of_the_calendar_sets_today():
    business_date_provider_set(lambda: date(2026, 4, 6))
    assert today_mx() == date(2026, 4, 6)
    assert calendar_today_mx() == date(2026, 3, 3)


def test_a_provider_with_no_date_or_a_past_one_gives_the_calendar_s():
    business_date_provider_set(lambda: None)
    assert today_mx() == date(2026, 3, 3)
    business_date_provider_set(lambda: date(2026, 3, 1))
    assert today_mx() == date(2026, 3, 3)  # never behind the calendar
    business_date_provider_set(None)
    assert today_mx() == date(2026, 3, 3)
