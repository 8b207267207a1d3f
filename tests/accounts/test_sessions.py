"""Sessions are signed cookies: renewed at most once a minute, refused when idle, forged or logged out (on
every copy). A token's last use is written at most once a minute: a burst of API calls is not a burst of
writes."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from filon.accounts.middleware import REFRESHED
from filon.accounts.models import ApiToken, User
from filon.accounts.services import TOKEN_USE_RESOLUTION_SECONDS, api_token_create, api_token_user
from filon.audit.models import AuditRecord
from filon.core.calendar import MEXICO_CITY

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY)
PASSWORD = "clave-de-prueba-123"  # the cast's (tests/conftest.py)


def writes(queries: CaptureQueriesContext, table: str) -> int:
    return sum(
        1
        for q in queries.captured_queries
        if f'"{table}"' in q["sql"] and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    )


def renewed(response) -> bool:
    """Whether the response signed the session anew (a new session cookie, not a deletion)."""
    cookie = response.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie is not None and bool(cookie.value)


def signed_in(client) -> bool:
    response = client.get("/")
    if response.status_code == 302:
        assert response["Location"].startswith("/entrar/")
        return False
    assert response.status_code == 200
    return True


def test_a_session_is_renewed_once_a_minute_and_expires_when_idle(client, cast, settings):
    age, every = settings.SESSION_COOKIE_AGE, settings.FILON_SESSION_REFRESH_SECONDS
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert every <= 60
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(cast.ana)
        with CaptureQueriesContext(connection) as quick:
            first, second = client.get("/"), client.get("/")
        assert (first.status_code, second.status_code) == (200, 200)
        assert (renewed(first), renewed(second)) == (True, False)  # the first page renews it, the second not
        assert not [q for q in quick.captured_queries if "django_session" in q["sql"]]  # no session table

        clock.shift(every - 1)
        assert not renewed(client.get("/"))
        clock.shift(2)  # past the refresh interval: the page renews it from now
        assert renewed(client.get("/"))
        renewal = START + dt.timedelta(seconds=every + 1)

        clock.move_to(renewal + dt.timedelta(seconds=age - 1))
        stale = client.cookies[settings.SESSION_COOKIE_NAME].value
        assert signed_in(client)  # a second short of the idle timeout (and this page renews it)
        client.cookies[settings.SESSION_COOKIE_NAME] = stale
        clock.shift(2)  # the cookie of the last renewal, idle for the whole timeout: asks to sign in again
        assert not signed_in(client)


def test_a_session_is_kept_alive_by_steady_use_within_the_timeout(client, cast, settings):
    age = settings.SESSION_COOKIE_AGE
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(cast.ana)
        for _ in range(4):  # a page every half timeout: never idle long enough to expire
            clock.shift(age // 2)
            assert signed_in(client)


def test_an_anonymous_visit_creates_no_session(client):
    response = client.get("/entrar/")
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_the_session_cookie_holds_only_who_is_signed_in_and_cannot_be_forged(client, cast):
    client.post("/entrar/", {"username": "ana.zac", "password": PASSWORD})
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    payload = signing.loads(value, salt="django.contrib.sessions.backends.signed_cookies")
    assert set(payload) == {"_auth_user_id", "_auth_user_backend", "_auth_user_hash", REFRESHED}
    assert payload["_auth_user_id"] == str(cast.ana.pk)

    # another user's id with Ana's signature, or a cookie signed with another key, is nobody's session
    forged = signing.dumps(
        {**payload, "_auth_user_id": str(cast.sofia.pk)},
        salt="django.contrib.sessions.backends.signed_cookies",
        key="otra-clave-que-no-es-la-del-servidor-0123456789",
        compress=True,
    )
    client.cookies[settings.SESSION_COOKIE_NAME] = forged
    assert not signed_in(client)
    client.cookies[settings.SESSION_COOKIE_NAME] = value[:-3] + ("AAA" if value[-3:] != "AAA" else "BBB")
    assert not signed_in(client)
    client.cookies[settings.SESSION_COOKIE_NAME] = value
    assert signed_in(client)


def test_logging_out_ends_every_copy_of_the_users_session(cast):
    office, home, elsewhere = Client(), Client(), Client()
    for browser in (office, home):
        browser.post("/entrar/", {"username": "ana.zac", "password": PASSWORD})
    elsewhere.cookies[settings.SESSION_COOKIE_NAME] = office.cookies[settings.SESSION_COOKIE_NAME].value
    sofia = Client()
    sofia.force_login(cast.sofia)
    assert all(signed_in(b) for b in (office, home, elsewhere, sofia))  # a copied cookie works until...

    response = office.post("/salir/")
    assert response.status_code == 302
    assert [signed_in(b) for b in (office, home, elsewhere, sofia)] == [False, False, False, True]
    record = AuditRecord.objects.get(action="user.sessions_end")
    assert (record.user, record.object_id) == (cast.ana, str(cast.ana.pk))

    office.post("/entrar/", {"username": "ana.zac", "password": PASSWORD})  # signing in again works
    assert signed_in(office)
    assert not signed_in(elsewhere)


def test_a_new_password_or_a_deactivation_ends_the_open_sessions(cast):
    browser = Client()
    browser.force_login(cast.ana)
    assert signed_in(browser)
    cast.ana.set_password("otra-clave-de-prueba-456")
    cast.ana.save()
    assert not signed_in(browser)

    browser.force_login(cast.ana)
    assert signed_in(browser)
    User.objects.filter(pk=cast.ana.pk).update(is_active=False)
    assert not signed_in(browser)


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


def test_the_sessions_user_is_the_orms_user_with_its_office(cast):
    """The backend reads the user and the office with a statement compiled once (filon.platform.lookups): the same
    values, of the same types, as the ORM's `select_related("office")`."""
    from django.contrib.auth.models import update_last_login

    from filon.accounts.backends import AccountBackend

    update_last_login(None, cast.ana)  # a datetime to convert, as a user who signed in has
    User.objects.filter(pk=cast.sergio.pk).update(last_login=START, is_staff=True)
    backend = AccountBackend()
    for expected in User.objects.select_related("office").order_by("pk"):
        with CaptureQueriesContext(connection) as queries:
            user = backend.get_user(str(expected.pk))
            office = user.office
        assert len(queries) == 1  # the office came in the same row
        for field in User._meta.concrete_fields:
            got, want = getattr(user, field.attname), getattr(expected, field.attname)
            assert (got, type(got)) == (want, type(want)), field.name
        assert user.committees == expected.committees
        if expected.office is None:
            assert office is None
        else:
            assert (office.pk, office.code, office.name, office.kind, office.states) == (
                expected.office.pk,
                expected.office.code,
                expected.office.name,
                expected.office.kind,
                expected.office.states,
            )
            assert isinstance(office.states, list)
            assert office.states
        assert user._state.adding is False
        assert user == expected

    assert User.objects.get(pk=cast.ana.pk).last_login is not None
    assert [u.username for u in User.objects.filter(last_login=START, is_staff=True)] == ["sergio.secretario"]
    User.objects.filter(pk=cast.ana.pk).update(is_active=False)
    missing = User.objects.order_by("-pk").first().pk + 1
    assert [backend.get_user(key) for key in (str(cast.ana.pk), str(missing), "x", None)] == [None] * 4
