"""What every answer tells the browser: a Content-Security-Policy that runs only the application's own
scripts (HTMX and filon.js, from its static files), and for a signed-in person `Cache-Control: no-store`, so
a shared computer's cache or back button keeps no page of credit data. The API's schema and docs need a
signed-in person or a token, and the docs page loads nothing from outside the server.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from filon.accounts.services import api_token_create

pytestmark = [pytest.mark.security, pytest.mark.django_db]

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "filon" / "templates"


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.status_code} sin Content-Security-Policy"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict_policy(response) -> None:
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]


def no_store(response) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


def test_anonymous_answers_carry_the_policy(db):
    anonymous = Client()
    login = anonymous.get("/entrar/")
    assert login.status_code == 200
    assert_strict_policy(login)
    redirect = anonymous.get("/creditos/")
    assert redirect.status_code == 302
    assert_strict_policy(redirect)


def test_signed_in_pages_are_not_stored_and_carry_the_policy(cast):
    client = Client()
    client.force_login(cast.ana)
    for path in ("/", "/solicitantes/", "/expedientes/", "/comites/", "/creditos/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert no_store(response), path
        assert_strict_policy(response)
    missing = client.get("/creditos/999999/")
    assert missing.status_code == 404
    assert no_store(missing)
    assert_strict_policy(missing)


def test_api_answers_with_a_token_are_not_stored(cast):
    _, raw = api_token_create(actor=None, user=cast.ana, name="integración")
    response = Client().get("/api/v1/rules", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert no_store(response)


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(cast):
    client = Client()
    client.force_login(cast.ana)
    body = client.get("/").content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", body)
    assert config is not None
    assert '"includeIndicatorStyles":false' in config.group(1)
    assert '"allowEval":false' in config.group(1)
    assert '"allowScriptTags":false' in config.group(1)
    # htmx would copy an old element's style attribute onto its replacement with setAttribute: refused
    assert '"attributesToSettle":["class","width","height"]' in config.group(1)


def test_no_template_has_inline_script_style_or_handlers():
    """The policy forbids them; a template that had one would break in the browser. The printed documents
    (documents/, rendered to PDF on the server, never shown as a page) keep their own <style>."""
    offending = []
    patterns = {
        "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
        "<style>": re.compile(r"<style\b", re.IGNORECASE),
        "style=": re.compile(r"\sstyle\s*=", re.IGNORECASE),
        "on…= handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
        "hx-on": re.compile(r"\shx-on", re.IGNORECASE),
        "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
        "js: value": re.compile(r"hx-vals=['\"]\s*js:", re.IGNORECASE),
    }
    templates = [p for p in TEMPLATES.rglob("*.html") if "documents" not in p.relative_to(TEMPLATES).parts]
    assert len(templates) > 40
    for template in templates:
        text = template.read_text(encoding="utf-8")
        for what, pattern in patterns.items():
            if pattern.search(text):
                offending.append(f"{template.relative_to(TEMPLATES)}: {what}")
    assert offending == []


# ------------------------------------------------------------------------------- the API's schema and docs


def test_the_api_schema_and_docs_need_a_signed_in_person_or_a_token(cast):
    anonymous = Client()
    schema = anonymous.get("/api/v1/openapi.json")
    assert schema.status_code == 401
    assert schema.json()["detail"][0]["message"].startswith("Se requiere autenticación")
    docs = anonymous.get("/api/v1/docs")
    assert docs.status_code == 302
    assert docs["Location"].startswith("/entrar/?next=/api/v1/docs")

    _, raw = api_token_create(actor=None, user=cast.ana, name="integración")
    with_token = Client().get("/api/v1/openapi.json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert with_token.status_code == 200
    assert "/api/v1/evaluations" in with_token.json()["paths"]
    assert (
        Client().get("/api/v1/openapi.json", HTTP_AUTHORIZATION="Bearer fln_no-es-un-token").status_code
        == 401
    )

    signed_in = Client()
    signed_in.force_login(cast.ana)
    assert signed_in.get("/api/v1/openapi.json").status_code == 200
    page = signed_in.get("/api/v1/docs")
    assert page.status_code == 200
    assert no_store(page)
    assert_strict_policy(page)


def test_the_docs_page_loads_only_the_servers_own_files(cast):
    client = Client()
    client.force_login(cast.ana)
    html = client.get("/api/v1/docs").content.decode()
    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert any(s.endswith("swagger-ui-bundle.js") for s in sources)
    outside = [s for s in sources if not s.startswith("/")]
    assert outside == []
    for source in sources:  # each one among the application's static files
        assert source.startswith(settings.STATIC_URL), source
        assert finders.find(source.removeprefix(settings.STATIC_URL).split("?")[0]), source
