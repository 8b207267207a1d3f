"""The «Mis pendientes» page (the landing page after login), its office section, the notices page with its
unread count in the navigation, and GET /api/v1/pending returning the same items as the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import pdf
from filon.core.calendar import today_mx
from filon.rules.schema import Stage
from filon.worklist.models import Notice
from filon.worklist.selectors import pending_items
from filon.worklist.services import notices_sync
from web.web_support import HTMX, login

pytestmark = pytest.mark.django_db


def test_login_lands_on_mis_pendientes(client, cast):
    response = client.post(
        reverse("login"), {"username": "ana.zac", "password": "clave-de-prueba-123"}, follow=False
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:pending") == "/pendientes/"


def test_an_empty_queue_says_so(cast):
    body = login(cast.omar).get(reverse("web:pending")).content.decode()
    assert "Mis pendientes" in body
    assert "No tiene pendientes: nada espera su acción por ahora." in body
    assert "Pendientes de la gerencia" not in body


def test_the_page_lists_the_items_with_their_clock_rule_and_link(cast, credit_file):
    from conftest import satisfy
    from filon.origination.services import file_requirements_complete

    satisfy(cast, credit_file, Stage.AUTHORIZATION)
    file = file_requirements_complete(user=cast.ana, file=credit_file)
    item = next(i for i in pending_items(cast.ana) if i.kind == "file-attention")
    body = login(cast.ana).get(reverse("web:pending")).content.decode()
    assert f'<a href="/expedientes/{file.pk}/">Iniciar el análisis del expediente {file.folio}</a>' in body
    assert f"vence en {item.days_left} días hábiles" in body
    assert "(Regla 8)" in body
    assert f"{file.attention_deadline:%d/%m/%Y}" in body
    # the manager sees it in the office section, under the analyst
    manager = login(cast.gerardo).get(reverse("web:pending")).content.decode()
    assert "Pendientes de la gerencia, por analista" in manager
    assert 'id="analista-ana.zac"' in manager
    assert f"Iniciar el análisis del expediente {file.folio}" in manager
    # another office sees nothing of it
    other = login(cast.sofia).get(reverse("web:pending")).content.decode()
    assert file.folio not in other


def test_the_page_renders_for_every_demo_role_and_the_api_returns_the_same_items(db, client):
    from filon.accounts.services import api_token_create
    from filon.demo.scenarios import demo_cast_create

    users = demo_cast_create()
    assert all(u.email == f"{u.username}@fifomi.example" for u in users.values())
    for user in users.values():
        response = login(user).get(reverse("web:pending"))
        assert response.status_code == 200, user.username
        assert "Mis pendientes" in response.content.decode()
        token = api_token_create(actor=None, user=user, name="pruebas")[1]
        api = client.get("/api/v1/pending", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert api.status_code == 200
        assert [row["key"] for row in api.json()] == [i.key for i in pending_items(user)]


def test_the_api_item_carries_the_clock(client, cast, credit_file):
    from filon.accounts.services import api_token_create

    item = credit_file.requirements.filter(
        stage=Stage.AUTHORIZATION.value, validity_months__isnull=True
    ).first()
    from filon.origination.services import requirement_upload

    requirement_upload(user=cast.ana, item=item, uploaded=pdf())
    token = api_token_create(actor=None, user=cast.gerardo, name="pruebas")[1]
    rows = client.get("/api/v1/pending", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert rows == [
        {
            "key": f"doc-review:{item.pk}",
            "kind": "doc-review",
            "title": f"Revisar documento «{item.short_name}» del expediente {credit_file.folio}",
            "detail": rows[0]["detail"],
            "url": f"/expedientes/{credit_file.pk}/#requisitos",
            "office": cast.zac.name,
            "assignee": "",
            "assignee_name": "",
            "since": today_mx().isoformat(),
            "due": None,
            "rule": item.rule,
            "days_left": None,
            "business_days": False,
            "overdue": False,
            "clock": "",
        }
    ]
    assert client.get("/api/v1/pending").status_code == 401


def test_notices_page_count_and_marking_read(cast, credit_file):
    notices_sync()
    notice = Notice.objects.get(user=cast.ana)
    ana = login(cast.ana)
    body = ana.get(reverse("web:pending")).content.decode()
    assert 'id="avisos-sin-leer">1<' in body  # the bell in the navigation
    page = ana.get(reverse("web:notices")).content.decode()
    assert notice.title in page
    assert "Marcar como leído" in page
    # another's notice does not exist for them
    assert login(cast.gerardo).post(reverse("web:notice_read", args=[notice.pk])).status_code == 404
    row = ana.post(reverse("web:notice_read", args=[notice.pk]), **HTMX)
    assert row.status_code == 200
    assert f'id="aviso-{notice.pk}"' in row.content.decode()
    assert "Marcar como leído" not in row.content.decode()
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert 'id="avisos-sin-leer"' not in ana.get(reverse("web:pending")).content.decode()
    assert ana.get(reverse("web:notice_read", args=[notice.pk])).status_code == 405
    done = ana.post(reverse("web:notices_read_all"), follow=True)
    assert "0 avisos marcados como leídos." in done.content.decode()


def test_the_pages_need_a_login(client):
    for name in ("web:pending", "web:notices"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith("/entrar/")
