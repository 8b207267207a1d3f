"""Login abuse: failures are counted per account *and* address, so an attacker locks out only their own
address; one address that fails across many accounts is stopped too. A refusal for a locked account reads,
and costs, the same as one for a wrong password or an unknown user. An administrator unlocks from the CLI.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.hashers import MD5PasswordHasher, PBKDF2PasswordHasher
from django.core.management import CommandError, call_command
from django.db import connections
from django.test import Client

from filon.audit.models import AuditRecord
from filon.core.calendar import MEXICO_CITY

pytestmark = [pytest.mark.security, pytest.mark.django_db]

PASSWORD = "clave-de-prueba-123"  # the cast's (tests/conftest.py)
ATTACKER, OFFICE, HOME = "203.0.113.7", "198.51.100.20", "192.0.2.44"
START = dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY)


def attempt(client: Client, username: str, password: str, address: str, **headers: str):
    return client.post(
        "/entrar/", {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def refusal(response) -> tuple[int, list[str]]:
    """What a refused login shows: the status and the form's messages."""
    return response.status_code, list(response.context["form"].non_field_errors())


def fail(username: str, address: str, times: int) -> None:
    client = Client()
    for _ in range(times):
        attempt(client, username, "no-es-la-clave", address)
        assert not signed_in(client)


@pytest.fixture
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.FILON_LOGIN_ADDRESS_MAX_FAILURES = 8
    return settings


def test_an_attacker_locks_out_only_their_own_address(cast, limits):
    fail("ana.zac", ATTACKER, 3)
    from_attacker = Client()
    attempt(from_attacker, "ana.zac", PASSWORD, ATTACKER)
    assert not signed_in(from_attacker)  # even the right password: guessing cannot go on

    ana = Client()
    attempt(ana, "ana.zac", PASSWORD, OFFICE)  # Ana herself, from her office
    assert signed_in(ana)


def test_one_address_failing_across_many_accounts_is_stopped(cast, limits):
    users = ["ana.zac", "sofia.son", "gerardo.zac", "julia.juridico"]
    for username in users:  # 2 per account: under the account limit, 8 in all from the address
        fail(username, ATTACKER, 2)
    stopped = Client()
    attempt(stopped, "marta.comite", PASSWORD, ATTACKER)  # a fresh account, its right password
    assert not signed_in(stopped)

    marta = Client()
    attempt(marta, "marta.comite", PASSWORD, HOME)
    assert signed_in(marta)


def test_a_locked_account_reads_like_a_wrong_password_or_an_unknown_user(cast, limits):
    wrong = refusal(attempt(Client(), "sofia.son", "no-es-la-clave", ATTACKER))
    unknown = refusal(attempt(Client(), "nadie.existe", "no-es-la-clave", ATTACKER))
    fail("ana.zac", ATTACKER, 3)
    locked = refusal(attempt(Client(), "ana.zac", PASSWORD, ATTACKER))
    fail("nadie.tampoco", ATTACKER, 3)
    locked_unknown = refusal(attempt(Client(), "nadie.tampoco", PASSWORD, ATTACKER))

    assert wrong == unknown == locked == locked_unknown
    status, messages = locked
    assert status == 200
    assert len(messages) == 1
    assert "contraseña" in messages[0]
    assert "bloqueada" not in messages[0].lower()


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """Every password hash computed, by the test suite's hasher (test_settings: MD5)."""
    computed: list[str] = []
    encode = MD5PasswordHasher.encode

    def counting(self, password, salt):
        computed.append(password)
        return encode(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting)
    return computed


def test_every_refusal_computes_one_password_hash(cast, limits, hashes):
    cases = {
        "wrong password": ("sofia.son", "no-es-la-clave"),
        "unknown user": ("nadie.existe", "no-es-la-clave"),
        "locked account": ("ana.zac", PASSWORD),
        "locked unknown user": ("nadie.tampoco", PASSWORD),
    }
    fail("ana.zac", ATTACKER, 3)
    fail("nadie.tampoco", ATTACKER, 3)
    counted = {}
    for case, (username, password) in cases.items():
        hashes.clear()
        attempt(Client(), username, password, ATTACKER)
        counted[case] = len(hashes)
    assert counted == dict.fromkeys(cases, 1)


def test_a_locked_account_takes_as_long_as_an_unknown_user(cast, limits, settings, monkeypatch):
    """Coarse: with a hash that costs tens of milliseconds, the fastest of a few tries of each kind are
    within a factor of two or so of one another. Without the hash, a locked account answers several times
    faster (a sixth of the time, before django-axes)."""
    monkeypatch.setattr(PBKDF2PasswordHasher, "iterations", 60_000)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    for user in (cast.ana, cast.sofia):
        user.set_password(PASSWORD)
        user.save()
    fail("ana.zac", ATTACKER, 3)

    kinds = {
        "unknown user": ("nadie.existe", "no-es-la-clave", None),
        "wrong password": ("sofia.son", "no-es-la-clave", None),
        "locked account": ("ana.zac", PASSWORD, ATTACKER),
    }
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for n in range(7):  # in turns, so that a busy machine slows every kind alike
        for kind, (username, password, address) in kinds.items():
            client = Client()
            begin = time.perf_counter()
            attempt(client, username, password, address or f"192.0.2.{100 + n}")  # new address: not locked
            times[kind].append(time.perf_counter() - begin)
            assert not signed_in(client)
    fastest = {kind: min(seconds) for kind, seconds in times.items()}
    unknown = fastest["unknown user"]
    for kind in ("wrong password", "locked account"):
        assert 0.4 < fastest[kind] / unknown < 2.5, (kind, fastest)


def test_the_lock_ends_after_the_cool_off(cast, limits):
    with time_machine.travel(START, tick=False) as clock:
        fail("ana.zac", ATTACKER, 3)
        clock.shift(django_settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=5))
        early = Client()
        attempt(early, "ana.zac", PASSWORD, ATTACKER)
        assert not signed_in(early)
        # a try during the lock starts the cool-off again
        clock.shift(django_settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1))
        late = Client()
        attempt(late, "ana.zac", PASSWORD, ATTACKER)
        assert signed_in(late)


def test_a_successful_login_clears_the_accounts_failures(cast, limits):
    fail("ana.zac", OFFICE, 2)
    ana = Client()
    attempt(ana, "ana.zac", PASSWORD, OFFICE)
    assert signed_in(ana)
    fail("ana.zac", OFFICE, 2)  # 2 more: 4 since the start, but only 2 since the last success
    again = Client()
    attempt(again, "ana.zac", PASSWORD, OFFICE)
    assert signed_in(again)


def test_forwarded_for_headers_are_not_trusted_by_default(cast, limits):
    """Behind no proxy, a client choosing its X-Forwarded-For cannot pass for many addresses."""
    client = Client()
    for n in range(3):
        attempt(client, "ana.zac", "no-es-la-clave", ATTACKER, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    attempt(client, "ana.zac", PASSWORD, ATTACKER, HTTP_X_FORWARDED_FOR="10.0.0.99")
    assert not signed_in(client)


def test_behind_a_proxy_the_configured_header_names_the_client(cast, limits, settings):
    settings.FILON_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    proxy = "127.0.0.1"
    client = Client()
    for _ in range(3):
        attempt(client, "ana.zac", "no-es-la-clave", proxy, HTTP_X_REAL_IP=ATTACKER)
    attempt(client, "ana.zac", PASSWORD, proxy, HTTP_X_REAL_IP=ATTACKER)
    assert not signed_in(client)
    ana = Client()
    attempt(ana, "ana.zac", PASSWORD, proxy, HTTP_X_REAL_IP=OFFICE)  # through the same proxy
    assert signed_in(ana)


def test_an_administrator_unlocks_an_account_from_the_command_line(cast, limits, capsys, monkeypatch):
    fail("ana.zac", ATTACKER, 3)
    fail("ana.zac", OFFICE, 3)
    call_command("users", "unlock", "ana.zac", "--address", OFFICE)
    from_office, from_attacker = Client(), Client()
    attempt(from_office, "ana.zac", PASSWORD, OFFICE)
    attempt(from_attacker, "ana.zac", PASSWORD, ATTACKER)
    assert (signed_in(from_office), signed_in(from_attacker)) == (True, False)

    from filon.cli import main

    # a command run from the shell closes the database connections when it ends: here, the test's own
    monkeypatch.setattr(connections, "close_all", lambda: None)
    assert main(["users", "unlock", "ana.zac"]) == 0  # every address, through the `filon` command
    assert "ana.zac" in capsys.readouterr().out
    from_attacker = Client()
    attempt(from_attacker, "ana.zac", PASSWORD, ATTACKER)
    assert signed_in(from_attacker)

    records = list(AuditRecord.objects.filter(action="user.unlock").order_by("pk"))
    assert [(r.object_id, r.after) for r in records] == [
        (str(cast.ana.pk), {"address": OFFICE, "attempts_cleared": 1}),
        (str(cast.ana.pk), {"address": None, "attempts_cleared": 1}),
    ]


def test_unlocking_an_unknown_user_is_an_error(cast):
    with pytest.raises(CommandError, match="No existe el usuario"):
        call_command("users", "unlock", "nadie.existe")
    assert not AuditRecord.objects.filter(action="user.unlock").exists()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FILON_CLIENT_IP_HEADER", "X-Real-IP", "debe ser REMOTE_ADDR o una cabecera"),
        ("FILON_LOGIN_ADDRESS_MAX_FAILURES", "0", "debe ser un entero positivo"),
        ("FILON_LOGIN_MAX_FAILURES", "cinco", "no es un número entero"),
    ],
)
def test_a_malformed_throttle_setting_stops_the_process(variable, value, message, tmp_path):
    environment = {**os.environ, variable: value, "FILON_VAR_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", "import filon.settings"], env=environment, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert f"{variable}=" in done.stderr
    assert message in done.stderr
