"""User administration services (issue 16): only the administrador, never on their own account; role and office
agree; Django's password validators in Spanish; every change audited with before/after, never the password."""

import pytest

from filon.accounts.admin_services import (
    password_change_own,
    user_admin_create,
    user_admin_unlock,
    user_change,
    user_deactivate,
    user_password_reset,
    user_reactivate,
)
from filon.accounts.models import User
from filon.audit.services import audit_trail
from filon.errors import DomainError, Forbidden, ValidationFailed

pytestmark = pytest.mark.django_db

TEMP = "Temporal-de-prueba-2026"


@pytest.fixture
def admin(cast):
    from conftest import _user

    return _user("adriana.admin", "administrador")


def _messages(exc: DomainError) -> list[str]:
    return [e.message for e in getattr(exc, "errors", None) or [exc]]


def test_the_administrator_creates_a_regional_user_who_must_change_the_password(admin, cast):
    user = user_admin_create(
        actor=admin, username="nora.zac", password=TEMP, role="analista", office=cast.zac, first_name="Nora"
    )
    assert user.must_change_password
    assert user.check_password(TEMP)
    assert user.office == cast.zac
    record = audit_trail(user).get()
    assert record.action == "user.create"
    assert record.user == admin
    assert record.after["role"] == "analista"
    assert record.after["office_id"] == cast.zac.pk
    assert "password" not in record.after
    assert TEMP not in str(record.after)


@pytest.mark.parametrize(
    ("role", "office", "committees", "field", "text"),
    [
        ("analista", None, [], "office", "es regional"),
        ("gerente_regional", None, [], "office", "es regional"),
        ("juridico", "zac", [], "office", "es central"),
        ("administrador", "zac", [], "office", "es central"),
        ("riesgos", None, ["comite_interno"], "committees", "Sólo los miembros"),
        ("miembro_comite", None, [], "committees", "Indique a qué comité"),
        ("miembro_comite", None, ["comite_de_nadie"], "committees", "Comité desconocido"),
        ("cajero", None, [], "role", "Rol desconocido"),
    ],
)
def test_a_role_office_or_committee_that_do_not_agree_are_refused(
    admin, cast, role, office, committees, field, text
):
    with pytest.raises(DomainError) as refused:
        user_admin_create(
            actor=admin,
            username="nuevo",
            password=TEMP,
            role=role,
            office=getattr(cast, office) if office else None,
            committees=committees,
        )
    errors = getattr(refused.value, "errors", None) or [refused.value]
    assert any(e.field == field and text in e.message for e in errors)
    assert not User.objects.filter(username="nuevo").exists()


def test_a_weak_password_is_refused_by_django_s_validators_in_spanish(admin, cast):
    with pytest.raises(ValidationFailed) as refused:
        user_admin_create(actor=admin, username="nora.zac", password="12345", role="juridico")
    text = " ".join(_messages(refused.value))
    assert "demasiado corta" in text
    assert "10 caracteres" in text
    assert "completamente numérica" in text
    assert all(e.field == "password" for e in refused.value.errors)


def test_a_duplicate_username_is_refused(admin, cast):
    with pytest.raises(DomainError, match="Ya existe el usuario"):
        user_admin_create(actor=admin, username="ANA.ZAC", password=TEMP, role="juridico")


@pytest.mark.parametrize(
    "act",
    [
        lambda actor, user: user_change(actor=actor, user=user, role="riesgos", office=None),
        lambda actor, user: user_deactivate(actor=actor, user=user),
        lambda actor, user: user_reactivate(actor=actor, user=user),
        lambda actor, user: user_password_reset(actor=actor, user=user, password=TEMP),
        lambda actor, user: user_admin_unlock(actor=actor, user=user),
    ],
)
def test_only_the_administrator_and_never_on_their_own_account(admin, cast, act):
    for outsider in (cast.omar, cast.gerardo, cast.ana):
        with pytest.raises(Forbidden, match="no puede administrar usuarios"):
            act(outsider, cast.julia)
    with pytest.raises(Forbidden, match="su propia cuenta"):
        act(admin, admin)
    with pytest.raises(Forbidden, match="no puede administrar usuarios"):
        user_admin_create(actor=cast.omar, username="x", password=TEMP, role="juridico")
    assert not audit_trail(cast.julia).exists()
    assert not audit_trail(admin).exists()


def test_a_change_of_role_and_office_is_audited_with_before_and_after(admin, cast):
    user_change(actor=admin, user=cast.ana, role="gerente_regional", office=cast.hmo)
    ana = User.objects.get(pk=cast.ana.pk)
    assert (ana.role, ana.office) == ("gerente_regional", cast.hmo)
    record = audit_trail(ana).get(action="user.change")
    assert record.before == {"role": "analista", "office_id": cast.zac.pk}
    assert record.after == {"role": "gerente_regional", "office_id": cast.hmo.pk}

    user_change(actor=admin, user=ana, role="miembro_comite", office=None, committees=["comite_tecnico"])
    ana.refresh_from_db()
    assert (ana.role, ana.office, ana.committees) == ("miembro_comite", None, ["comite_tecnico"])
    with pytest.raises(DomainError, match="es regional"):
        user_change(actor=admin, user=ana, role="analista", office=None)


def test_deactivation_ends_sessions_and_is_undone_by_reactivation(admin, cast):
    salt = cast.julia.session_salt
    user_deactivate(actor=admin, user=cast.julia)
    julia = User.objects.get(pk=cast.julia.pk)
    assert not julia.is_active
    assert julia.session_salt != salt
    with pytest.raises(DomainError, match="ya está inactivo"):
        user_deactivate(actor=admin, user=julia)
    user_reactivate(actor=admin, user=julia)
    julia.refresh_from_db()
    assert julia.is_active
    actions = list(audit_trail(julia).order_by("pk").values_list("action", "before", "after"))
    assert actions == [
        ("user.deactivate", {"is_active": True}, {"is_active": False}),
        ("user.reactivate", {"is_active": False}, {"is_active": True}),
    ]


def test_a_password_reset_sets_a_temporary_password_and_is_audited_without_it(admin, cast):
    user_password_reset(actor=admin, user=cast.julia, password=TEMP)
    julia = User.objects.get(pk=cast.julia.pk)
    assert julia.must_change_password
    assert julia.check_password(TEMP)
    record = audit_trail(julia).get(action="user.password_reset")
    assert record.before == {"must_change_password": False}
    assert record.after == {"must_change_password": True}
    with pytest.raises(ValidationFailed, match=r"demasiado común|demasiado corta"):
        user_password_reset(actor=admin, user=julia, password="password")


def test_the_user_sets_their_own_password_validated_in_spanish(admin, cast):
    user_password_reset(actor=admin, user=cast.julia, password=TEMP)
    julia = User.objects.get(pk=cast.julia.pk)
    with pytest.raises(DomainError, match="actual no es correcta"):
        password_change_own(
            user=julia, current="otra", new="Nueva-clave-segura-9", confirm="Nueva-clave-segura-9"
        )
    with pytest.raises(DomainError, match="no coinciden"):
        password_change_own(user=julia, current=TEMP, new="Nueva-clave-segura-9", confirm="Nueva-clave-9")
    with pytest.raises(DomainError, match="distinta de la actual"):
        password_change_own(user=julia, current=TEMP, new=TEMP, confirm=TEMP)
    with pytest.raises(ValidationFailed) as refused:
        password_change_own(user=julia, current=TEMP, new="julia.juridico", confirm="julia.juridico")
    assert "La contraseña es demasiado similar a la de nombre de usuario." in _messages(refused.value)
    password_change_own(user=julia, current=TEMP, new="Nueva-clave-segura-9", confirm="Nueva-clave-segura-9")
    julia.refresh_from_db()
    assert not julia.must_change_password
    assert julia.check_password("Nueva-clave-segura-9")
    record = audit_trail(julia).get(action="user.password_change")
    assert record.user == julia
    assert record.after == {"must_change_password": False, "password_changed": True}


def test_unlock_clears_the_failed_logins_and_is_audited(admin, cast, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/entrar/", {"username": "julia.juridico", "password": "equivocada"})
    locked = client.post("/entrar/", {"username": "julia.juridico", "password": "clave-de-prueba-123"})
    assert locked.status_code == 200  # the login page again: the right password is refused while locked
    assert user_admin_unlock(actor=admin, user=cast.julia) >= 1
    record = audit_trail(cast.julia).get(action="user.unlock")
    assert record.user == admin
    assert record.after["attempts_cleared"] >= 1
    response = client.post("/entrar/", {"username": "julia.juridico", "password": "clave-de-prueba-123"})
    assert response.status_code == 302
