"""User administration by the administrator: create users with a role and an office, change them,
deactivate and reactivate them, reset a password (the user sets a new one at the next login) and unlock an
account locked by failed logins. Only the administrador role may do it, never on their own account, and every
change leaves an audit record (passwords never enter it).

A user's own password change, forced after a reset, is `password_change_own`: Django's password validators
(settings.AUTH_PASSWORD_VALIDATORS) judge it, and their messages read in Spanish."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from filon.accounts.access import ROLE_NAMES, require_role
from filon.accounts.models import REGIONAL_ROLES, RegionalOffice, Role, User, new_session_salt
from filon.accounts.services import user_unlock
from filon.audit.services import audit_record, audited, snapshot
from filon.errors import DomainError, Forbidden, ValidationFailed
from filon.rules.schema import CommitteeCode

# What the trail shows of a user: never the password.
AUDITED_FIELDS = [
    "username",
    "first_name",
    "last_name",
    "email",
    "role",
    "office_id",
    "committees",
    "is_active",
    "must_change_password",
]
COMMITTEE_ROLES = frozenset({Role.MIEMBRO_COMITE, Role.SECRETARIO_COMITE})
ADMINISTER = "administrar usuarios"


def _require_admin(actor: Any, user: User | None = None, action: str = ADMINISTER) -> None:
    require_role(actor, [Role.ADMINISTRADOR], action)
    if user is not None and user.pk == actor.pk:
        raise Forbidden(
            "Nadie puede cambiar su propia cuenta desde la administración de usuarios: "
            "otro administrador debe hacerlo, para que cada cambio tenga quien lo revise."
        )


def _check_assignment(role: str, office: RegionalOffice | None, committees: list[str]) -> list[str]:
    """The role, office and committees agree: regional roles have an office, central roles have none, and
    only committee roles belong to committees. Returns the committees, deduplicated in order."""
    errors: list[DomainError] = []
    if role not in Role.values:
        errors.append(DomainError(f"Rol desconocido «{role}».", field="role"))
    elif role in REGIONAL_ROLES and office is None:
        errors.append(
            DomainError(
                f"El rol {ROLE_NAMES[role]} es regional: indique su gerencia regional.", field="office"
            )
        )
    elif role not in REGIONAL_ROLES and office is not None:
        errors.append(
            DomainError(
                f"El rol {ROLE_NAMES[role]} es central: no pertenece a una gerencia regional.",
                field="office",
            )
        )
    known = {c.value for c in CommitteeCode}
    unknown = [c for c in committees if c not in known]
    if unknown:
        errors.append(DomainError(f"Comité desconocido: {', '.join(unknown)}.", field="committees"))
    if committees and role not in COMMITTEE_ROLES:
        errors.append(
            DomainError("Sólo los miembros y secretarios de comité pertenecen a comités.", field="committees")
        )
    if role == Role.MIEMBRO_COMITE and not committees:
        errors.append(DomainError("Indique a qué comité pertenece el miembro.", field="committees"))
    if errors:
        raise ValidationFailed(errors) if len(errors) > 1 else errors[0]
    return list(dict.fromkeys(committees))


def password_check(password: str, user: User, *, field: str = "password") -> None:
    """Django's password validators, their messages in Spanish; a ValidationFailed names `field`."""
    with translation.override("es"):
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed([DomainError(str(m), field=field) for m in exc.messages]) from None


@transaction.atomic
def user_admin_create(
    *,
    actor: Any,
    username: str,
    password: str,
    role: str,
    office: RegionalOffice | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    committees: list[str] | None = None,
) -> User:
    """A new user with a temporary password that they replace at their first login."""
    _require_admin(actor)
    username = username.strip()
    if not username:
        raise DomainError("Indique el nombre de usuario.", field="username")
    committees = _check_assignment(role, office, committees or [])
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(f"Ya existe el usuario «{username}».", field="username")
    user = User(
        username=username,
        role=role,
        office=office,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        committees=committees,
        is_staff=role == Role.ADMINISTRADOR,
        is_superuser=role == Role.ADMINISTRADOR,
        must_change_password=True,
    )
    password_check(password, user)
    user.set_password(password)
    user.save()
    audit_record(
        user=actor, action="user.create", obj=user, after=snapshot(user, AUDITED_FIELDS), office=office
    )
    return user


@transaction.atomic
def user_change(
    *,
    actor: Any,
    user: User,
    role: str,
    office: RegionalOffice | None,
    committees: list[str] | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
) -> User:
    """Change a user's role, office and committees (and names and email when given)."""
    _require_admin(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    committees = _check_assignment(role, office, committees or [])
    with audited(user=actor, action="user.change", obj=user, fields=AUDITED_FIELDS, office=office):
        user.role = role
        user.office = office
        user.committees = committees
        user.is_staff = user.is_superuser = role == Role.ADMINISTRADOR
        for name, value in (("first_name", first_name), ("last_name", last_name), ("email", email)):
            if value is not None:
                setattr(user, name, value.strip())
        user.save()
    return user


@transaction.atomic
def user_deactivate(*, actor: Any, user: User) -> User:
    """The user can no longer sign in nor use their API tokens; their open sessions end."""
    _require_admin(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise DomainError(f"El usuario «{user.username}» ya está inactivo.", field="is_active")
    with audited(user=actor, action="user.deactivate", obj=user, fields=AUDITED_FIELDS, office=user.office):
        user.is_active = False
        user.session_salt = new_session_salt()
        user.save(update_fields=["is_active", "session_salt"])
    return user


@transaction.atomic
def user_reactivate(*, actor: Any, user: User) -> User:
    _require_admin(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        raise DomainError(f"El usuario «{user.username}» ya está activo.", field="is_active")
    with audited(user=actor, action="user.reactivate", obj=user, fields=AUDITED_FIELDS, office=user.office):
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def user_password_reset(*, actor: Any, user: User, password: str) -> User:
    """Give the user a temporary password (validated like any other): their open sessions end, and at the
    next login they must set their own before anything else."""
    _require_admin(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    password_check(password, user)
    with audited(
        user=actor, action="user.password_reset", obj=user, fields=AUDITED_FIELDS, office=user.office
    ):
        user.set_password(password)  # a new password hash ends the user's sessions
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
    return user


def user_admin_unlock(*, actor: Any, user: User) -> int:
    """Clear the failed logins that lock the user out (from every address); audited by `user_unlock`."""
    _require_admin(actor, user)
    return user_unlock(actor=actor, user=user)


@transaction.atomic
def password_change_own(*, user: User, current: str, new: str, confirm: str) -> User:
    """The user sets their own password (forced after a reset or at their first login)."""
    if not user.is_authenticated or not user.is_active:
        raise Forbidden("Debe iniciar sesión.")
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(current):
        raise DomainError("La contraseña actual no es correcta.", field="current")
    if new != confirm:
        raise DomainError("Las dos contraseñas nuevas no coinciden.", field="confirm")
    if new == current:
        raise DomainError("La contraseña nueva debe ser distinta de la actual.", field="new")
    password_check(new, user, field="new")
    with audited(user=user, action="user.password_change", obj=user, fields=["must_change_password"]) as rec:
        user.set_password(new)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        rec.facts["password_changed"] = True
    return user
