"""`filon users` (issue 16): the administrator resets a password, deactivates and reactivates an account and
lists the users from the command line, through the same services as the pages — audited in the name of the
administrator given with --by, and never on their own account."""

import io

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command

from filon.accounts.management.commands.users import temporary_password
from filon.accounts.models import User
from filon.audit.services import audit_trail

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(cast):
    from conftest import _user

    return _user("adriana.admin", "administrador")


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("users", *args, stdout=out)
    return out.getvalue()


def test_reset_password_prints_a_temporary_password_the_user_must_replace(admin, cast):
    analyst = cast.ana
    out = _run("reset-password", analyst.username, "--by", admin.username)
    password = out.split(": ", 1)[1].split("\n", 1)[0]
    analyst.refresh_from_db()
    assert analyst.check_password(password)
    assert analyst.must_change_password
    record = audit_trail(analyst)[0]
    assert record.action == "user.password_reset"
    assert record.user_id == admin.pk
    assert password not in str(record.before) + str(record.after)


def test_deactivate_and_reactivate_from_the_command_line(admin, cast):
    analyst = cast.ana
    assert "desactivada" in _run("deactivate", analyst.username, "--by", admin.username)
    analyst.refresh_from_db()
    assert not analyst.is_active
    with pytest.raises(CommandError, match="ya está inactivo"):
        _run("deactivate", analyst.username, "--by", admin.username)
    assert "reactivada" in _run("reactivate", analyst.username, "--by", admin.username)
    analyst.refresh_from_db()
    assert analyst.is_active
    assert [r.action for r in audit_trail(analyst)] == ["user.deactivate", "user.reactivate"]


def test_only_an_administrator_and_never_on_their_own_account(admin, cast):
    analyst = cast.ana
    with pytest.raises(CommandError, match="administrar usuarios"):
        _run("deactivate", admin.username, "--by", analyst.username)
    with pytest.raises(CommandError, match="propia cuenta"):
        _run("reset-password", admin.username, "--by", admin.username)
    with pytest.raises(CommandError, match="No existe el administrador «nadie»"):
        _run("reactivate", analyst.username, "--by", "nadie")
    assert User.objects.get(pk=admin.pk).is_active


def test_list_names_role_office_and_state(admin, cast):
    analyst = cast.ana
    _run("deactivate", analyst.username, "--by", admin.username)
    out = _run("list", "--inactive")
    assert analyst.username in out
    assert "inactivo" in out
    assert admin.username not in out


def test_temporary_passwords_pass_django_s_validators():
    for _ in range(20):
        validate_password(temporary_password())
