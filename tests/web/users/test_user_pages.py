"""User administration pages (issue 16): only the administrador; the forced password change after a reset, end
to end with the test client; the API refuses a token of a user who must change their password."""

import pytest

from conftest import _user
from filon.accounts.models import User
from filon.accounts.services import api_token_create
from filon.audit.services import audit_trail

pytestmark = pytest.mark.django_db

TEMP = "Temporal-de-prueba-2026"
NEW = "Nueva-clave-segura-9"


@pytest.fixture
def admin(cast):
    return _user("adriana.admin", "administrador")


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def test_only_the_administrator_sees_the_pages_and_the_navigation(client, cast, admin):
    for who in (cast.ana, cast.gerardo, cast.omar, cast.ramon):
        client.force_login(who)
        assert client.get("/usuarios/").status_code == 403
        assert client.get(f"/usuarios/{cast.julia.pk}/").status_code == 403
        assert client.post(f"/usuarios/{cast.julia.pk}/accion/desactivar/").status_code == 403
        assert 'href="/usuarios/"' not in client.get("/").content.decode()
    assert User.objects.get(pk=cast.julia.pk).is_active
    client.force_login(admin)
    assert 'href="/usuarios/"' in client.get("/").content.decode()


def test_the_list_filters_by_office_role_and_state(admin_client, cast):
    page = admin_client.get("/usuarios/", {"office": cast.zac.pk}).content.decode()
    assert "ana.zac" in page
    assert "sofia.son" not in page
    page = admin_client.get("/usuarios/", {"role": "miembro_comite"}).content.decode()
    assert "marta.comite" in page
    assert "ana.zac" not in page
    User.objects.filter(pk=cast.omar.pk).update(is_active=False)
    page = admin_client.get("/usuarios/", {"active": "no"}).content.decode()
    assert "omar.direccion" in page
    assert "ana.zac" not in page


def test_create_a_user_from_the_page_and_see_the_refusals_on_the_form(admin_client, cast):
    data = {"username": "nora.zac", "role": "analista", "office": "", "password": TEMP, "first_name": "Nora"}
    refused = admin_client.post("/usuarios/nuevo/", data)
    assert refused.status_code == 422
    assert "es regional: indique su gerencia regional" in refused.content.decode()
    weak = admin_client.post("/usuarios/nuevo/", {**data, "office": cast.zac.pk, "password": "123"})
    assert "demasiado corta" in weak.content.decode()
    done = admin_client.post("/usuarios/nuevo/", {**data, "office": cast.zac.pk})
    user = User.objects.get(username="nora.zac")
    assert done.status_code == 302
    assert done["Location"] == f"/usuarios/{user.pk}/"
    assert user.must_change_password
    assert user.office == cast.zac


def test_user_text_is_escaped(admin_client, cast):
    User.objects.filter(pk=cast.julia.pk).update(first_name="<script>alert(1)</script>")
    for url in ("/usuarios/", f"/usuarios/{cast.julia.pk}/"):
        page = admin_client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_change_deactivate_and_unlock_from_the_page(admin_client, cast, admin):
    changed = admin_client.post(
        f"/usuarios/{cast.ana.pk}/", {"role": "gerente_regional", "office": cast.hmo.pk, "first_name": "Ana"}
    )
    assert changed.status_code == 302
    ana = User.objects.get(pk=cast.ana.pk)
    assert (ana.role, ana.office) == ("gerente_regional", cast.hmo)
    bad = admin_client.post(f"/usuarios/{cast.ana.pk}/", {"role": "juridico", "office": cast.hmo.pk})
    assert bad.status_code == 422
    assert "es central" in bad.content.decode()
    assert admin_client.post(f"/usuarios/{cast.ana.pk}/accion/desactivar/").status_code == 302
    assert not User.objects.get(pk=cast.ana.pk).is_active
    assert admin_client.post(f"/usuarios/{cast.ana.pk}/accion/desbloquear/").status_code == 302
    actions = set(audit_trail(ana).values_list("action", flat=True))
    assert actions == {"user.change", "user.deactivate", "user.unlock"}
    assert audit_trail(ana).filter(user=admin).count() == 3


def test_the_administrator_cannot_act_on_their_own_account(admin_client, admin):
    page = admin_client.get(f"/usuarios/{admin.pk}/").content.decode()
    assert "otro administrador debe cambiarla" in page
    refused = admin_client.post(f"/usuarios/{admin.pk}/accion/desactivar/")
    assert refused.status_code == 403
    assert "su propia cuenta" in refused.content.decode()
    assert admin_client.post(f"/usuarios/{admin.pk}/", {"role": "riesgos"}).status_code == 403
    admin.refresh_from_db()
    assert admin.is_active
    assert admin.role == "administrador"


def test_a_reset_password_is_changed_at_the_next_login_before_anything_else(admin_client, cast, client):
    from django.test import Client

    reset = admin_client.post(f"/usuarios/{cast.julia.pk}/accion/restablecer/", {"password": TEMP})
    assert reset.status_code == 302
    token = api_token_create(actor=cast.julia, user=cast.julia, name="script")[1]

    julia = Client()
    login = julia.post("/entrar/", {"username": "julia.juridico", "password": TEMP})
    assert login.status_code == 302
    home = julia.get("/")
    assert home.status_code == 302
    assert home["Location"] == "/mi-contrasena/"
    assert julia.get("/solicitantes/")["Location"] == "/mi-contrasena/"
    assert julia.get("/mi-contrasena/").status_code == 200
    api = julia.get("/api/v1/openapi.json")
    assert api.status_code == 403
    assert "fije una contraseña nueva" in api.json()["detail"]
    by_token = Client().get("/api/v1/openapi.json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert by_token.status_code == 403
    assert "fije una contraseña nueva" in by_token.json()["detail"]

    weak = julia.post("/mi-contrasena/", {"current": TEMP, "new": "1234567890", "confirm": "1234567890"})
    assert weak.status_code == 422
    assert "completamente numérica" in weak.content.decode()
    done = julia.post("/mi-contrasena/", {"current": TEMP, "new": NEW, "confirm": NEW})
    assert done.status_code == 302
    assert julia.get("/").status_code == 200  # the session stays open, and the pages are open again
    assert Client().get("/api/v1/openapi.json", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert not User.objects.get(pk=cast.julia.pk).must_change_password


def test_logout_stays_reachable_while_the_change_is_pending(admin_client, cast):
    from django.test import Client

    admin_client.post(f"/usuarios/{cast.julia.pk}/accion/restablecer/", {"password": TEMP})
    julia = Client()
    julia.post("/entrar/", {"username": "julia.juridico", "password": TEMP})
    out = julia.post("/salir/")
    assert out.status_code == 302
    assert out["Location"] != "/mi-contrasena/"
