"""The idle timeout is renewed at most once a minute, and a token's last use is written at most once a minute:
a burst of pages or API calls is not a burst of writes."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from filon.accounts.models import ApiToken
from filon.accounts.services import TOKEN_USE_RESOLUTION_SECONDS, api_token_create, api_token_user
from filon.core.calendar import MEXICO_CITY

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY)


def writes(queries: CaptureQueriesContext, table: str) -> int:
    return sum(
        1
        for q in queries.captured_queries
        if f'"{table}"' in q["sql"] and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    )


def expiry(key: str) -> dt.datetime:
    return Session.objects.get(pk=key).expire_date


def test_a_session_is_renewed_once_a_minute_and_expires_when_idle(client, cast, settings):
    age, every = settings.SESSION_COOKIE_AGE, settings.FILON_SESSION_REFRESH_SECONDS
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert every <= 60
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(cast.ana)
        key = client.session.session_key
        with CaptureQueriesContext(connection) as quick:
            assert client.get("/").status_code == 200
            assert client.get("/").status_code == 200
        assert writes(quick, "django_session") == 1  # the first page renews it, the second does not
        assert expiry(key) == START + dt.timedelta(seconds=age)

        clock.shift(every - 1)
        with CaptureQueriesContext(connection) as soon:
            assert client.get("/").status_code == 200
        assert writes(soon, "django_session") == 0
        assert expiry(key) == START + dt.timedelta(seconds=age)

        clock.shift(2)  # past the refresh interval: the page extends the session from now
        assert client.get("/").status_code == 200
        renewed = START + dt.timedelta(seconds=every + 1 + age)
        assert expiry(key) == renewed

        # idle for the whole timeout: the session is gone, the next page asks to sign in again
        clock.move_to(renewed + dt.timedelta(seconds=1))
        sessions = Session.objects.count()
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/entrar/")
        assert Session.objects.count() == sessions  # nothing renewed or created for the expired one


def test_a_session_is_kept_alive_by_steady_use_within_the_timeout(client, cast, settings):
    age, every = settings.SESSION_COOKIE_AGE, settings.FILON_SESSION_REFRESH_SECONDS
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(cast.ana)
        for _ in range(4):  # a page every half timeout: never idle long enough to expire
            clock.shift(age // 2)
            assert client.get("/").status_code == 200
        key = client.session.session_key
        assert expiry(key) >= START + dt.timedelta(seconds=4 * (age // 2) + age - every)


def test_an_anonymous_visit_creates_no_session(client):
    client.get("/entrar/")
    assert Session.objects.count() == 0


def test_a_token_records_its_last_use_once_a_minute(cast):
    token, raw = api_token_create(actor=None, user=cast.ana, name="integración")
    with time_machine.travel(START, tick=False) as clock:
        with CaptureQueriesContext(connection) as burst:
            for _ in range(3):
                assert api_token_user(raw) == cast.ana
        assert writes(burst, "accounts_apitoken") == 1
        token.refresh_from_db()
        assert token.last_used_at == START

        clock.shift(TOKEN_USE_RESOLUTION_SECONDS - 1)
        with CaptureQueriesContext(connection) as soon:
            assert api_token_user(raw) == cast.ana
        assert writes(soon, "accounts_apitoken") == 0
        clock.shift(2)
        assert api_token_user(raw) == cast.ana
        token.refresh_from_db()
        assert token.last_used_at == START + dt.timedelta(seconds=TOKEN_USE_RESOLUTION_SECONDS + 1)


def test_a_revoked_token_is_refused_and_not_marked_used(cast):
    token, raw = api_token_create(actor=None, user=cast.ana, name="integración")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=START)
    assert api_token_user(raw) is None
    token.refresh_from_db()
    assert token.last_used_at is None
