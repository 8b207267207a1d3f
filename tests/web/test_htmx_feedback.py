"""What the page's script needs to tell a person that an HTMX action failed: every page carries the alert
region and the htmx configuration that swaps refusals with form errors only; a 403 or 404 stays a whole page,
for a plain request and over HTMX alike, with its message in the content's alert (which the script quotes).
The behaviour in a browser: tests/browser/test_htmx_errors.py."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.urls import reverse
from web_support import HTMX, frozen, login

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)


def htmx_config(body: str) -> dict:
    found = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", body)
    assert found, "the page carries no htmx configuration"
    return json.loads(html.unescape(found.group(1)))


def content_alert(body: str) -> str:
    """The text of the alert inside the page's content (what the script shows for a whole error page)."""
    main = body[body.index('<main id="contenido"') :]
    found = re.search(r'<section[^>]*>.*?role="alert">(.*?)</p>', main, re.S)
    assert found, "the page's content has no alert"
    return html.unescape(found.group(1))


def test_every_page_has_the_alert_region_and_swaps_only_refusals_with_form_errors(cast, credit_file):
    for user, url, status in (
        (cast.ana, reverse("home"), 200),
        (cast.ana, reverse("web:file", args=[credit_file.pk]), 200),
        (cast.sofia, reverse("web:file", args=[credit_file.pk]), 404),
    ):
        response = login(user).get(url)
        assert response.status_code == status, url
        body = response.content.decode()
        assert '<p id="avisos-texto" role="alert"></p>' in body, url
        assert re.search(r'<button type="button" id="avisos-cerrar"[^>]* hidden>Cerrar aviso</button>', body)
        assert 'src="/static/filon/filon.js"' in body
        handling = htmx_config(body)["responseHandling"]
        swapped = [rule["code"] for rule in handling if rule["swap"]]
        assert swapped == ["[23]..", "(400|409|422)"]
        assert handling[-1] == {"code": "[45]..", "swap": False, "error": True}


def test_a_403_and_a_404_stay_whole_pages_with_their_message_over_htmx_too(cast, credit_file):
    url = reverse("web:file_transition", args=[credit_file.pk, "requisitos-completos"])
    for headers in ({}, HTMX):
        refused = login(cast.omar).post(url, **headers)
        assert refused.status_code == 403
        body = refused.content.decode()
        assert body.startswith("<!doctype html>")
        assert content_alert(body).startswith("Su rol (Dirección) no puede declarar requisitos completos")

        missing = login(cast.sofia).post(url, **headers)
        assert missing.status_code == 404
        body = missing.content.decode()
        assert body.startswith("<!doctype html>")
        assert '<h1 id="t404">No encontrado</h1>' in body
    credit_file.refresh_from_db()
    assert credit_file.status == "captured"
