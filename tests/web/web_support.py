"""Helpers for the web-page tests: frozen time (inside the FIX series of `fix_rate`) and logged-in clients.

Not a conftest: tests/conftest.py is imported as `conftest` by every layer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import time_machine
from django.test import Client

from filon.core.calendar import MEXICO_CITY

# A Tuesday; the attention-time clock and document validity depend on the date.
FROZEN_NOW = dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY)
HTMX = {"HTTP_HX_REQUEST": "true"}


def frozen() -> Iterator[None]:
    """Use as `frozen_time = pytest.fixture(autouse=True)(frozen)` in a test module."""
    with time_machine.travel(FROZEN_NOW, tick=False):
        yield


def login(user) -> Client:
    """A test client with `user`'s session."""
    client = Client()
    client.force_login(user)
    return client
