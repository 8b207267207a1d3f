"""Production settings from the environment: the one docs/deployment.md documents passes
`filon check --deploy` without a warning, the demo's plain HTTP turns HTTPS off, a bad value stops the start
with a message naming the variable."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.security

ROOT = Path(__file__).resolve().parents[2]
FILON = str(Path(sys.executable).parent / "filon")
MARKER = "<!-- entorno-de-produccion -->"


def documented_environment() -> dict[str, str]:
    """The KEY=value lines of the block that follows the marker in docs/deployment.md."""
    text = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    block = re.search(re.escape(MARKER) + r"\s*```\w*\n(.*?)```", text, re.DOTALL)
    assert block is not None, "docs/deployment.md perdió su bloque de entorno de producción"
    pairs = [line.split("=", 1) for line in block.group(1).splitlines() if line and not line.startswith("#")]
    return {name.strip(): value.strip() for name, value in pairs}


def _environment(tmp_path: Path, variables: dict[str, str]) -> dict[str, str]:
    """Only what the process needs from this one (no FILON_* of the test run), then `variables`, with the
    instance's directories moved under tmp_path."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env.update(variables)
    env.update(
        PYTHONPATH=str(ROOT / "src"),
        FILON_VAR_DIR=str(tmp_path / "var"),
        FILON_MEDIA_ROOT=str(tmp_path / "media"),
        FILON_STATIC_ROOT=str(tmp_path / "static"),
    )
    return env


def _settings(env: dict[str, str], *names: str) -> dict[str, object]:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "filon.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout))


def test_the_documented_production_environment_passes_check_deploy_without_a_warning(tmp_path):
    env = _environment(tmp_path, documented_environment())
    assert env["DATABASE_URL"].startswith("postgres://")
    done = subprocess.run(
        [FILON, "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    assert "WARNING" not in done.stdout + done.stderr

    secure = _settings(
        env,
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
        "CSRF_TRUSTED_ORIGINS",
        "ALLOWED_HOSTS",
    )
    assert secure == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 60 * 60,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "CSRF_TRUSTED_ORIGINS": ["https://creditos.ejemplo.mx"],
        "ALLOWED_HOSTS": ["creditos.ejemplo.mx"],
    }


def test_without_the_documented_https_settings_check_deploy_warns(tmp_path):
    """The check the first test passes can fail: plain HTTP (the demo's settings) is not production."""
    env = _environment(tmp_path, {**documented_environment(), "FILON_SECURE_COOKIES": "0"})
    done = subprocess.run(
        [FILON, "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode != 0
    for check in ("security.W004", "security.W008", "security.W011", "security.W016"):
        assert check in done.stderr


def test_plain_http_on_the_loopback_turns_the_https_redirect_and_hsts_off(tmp_path):
    plain = _settings(
        _environment(tmp_path, {"FILON_SECURE_COOKIES": "0"}),
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
    )
    assert plain == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SESSION_COOKIE_SECURE": False,
        "SECURE_PROXY_SSL_HEADER": None,
    }


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("FILON_HSTS_SECONDS", "un año", "FILON_HSTS_SECONDS='un año' no es un número entero"),
        ("FILON_HSTS_SECONDS", "-1", "FILON_HSTS_SECONDS=-1 debe ser al menos 0"),
        ("FILON_SSL_REDIRECT", "quizá", "FILON_SSL_REDIRECT='quizá' no es un valor booleano"),
        ("FILON_BEHIND_PROXY", "nginx", "FILON_BEHIND_PROXY='nginx' no es un valor booleano"),
        ("FILON_CSRF_TRUSTED_ORIGINS", "creditos.ejemplo.mx", "«creditos.ejemplo.mx» no es un origen"),
        ("FILON_FORWARDED_ALLOW_IPS", "proxy.local", "«proxy.local» no es una dirección IP"),
        ("FILON_HEADER_TIMEOUT", "0", "FILON_HEADER_TIMEOUT=0 debe ser al menos 1"),
    ],
)
def test_a_bad_value_stops_the_start_naming_the_variable(tmp_path, name, value, message):
    env = _environment(tmp_path, {**documented_environment(), name: value})
    done = subprocess.run(
        [FILON, "check", "--deploy"], env=env, capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert done.returncode != 0
    assert message in done.stderr
