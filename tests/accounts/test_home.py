"""Every page requires login; the home page shows the rule set in force."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/entrar/")


def test_logged_in_user_sees_rule_set_in_force(client):
    user = get_user_model().objects.create_user("patricia", password="una-clave-larga-123", role="direccion")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "RO-2010-1160" in body
    assert "23/09/2010" in body


def test_login_with_wrong_password_fails_in_spanish(client):
    get_user_model().objects.create_user("patricia", password="una-clave-larga-123", role="direccion")
    response = client.post("/entrar/", {"username": "patricia", "password": "otra"})
    assert response.status_code == 200
    assert "contraseña" in response.content.decode().lower()
    assert "_auth_user_id" not in client.session


def test_createsuperuser_gets_the_administrator_role():
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "una-clave-larga-123")
    assert (admin.role, admin.office) == ("administrador", None)
