"""Users, their roles and their regional offices (gerencias regionales, Rules 4)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.crypto import salted_hmac


class RegionalOffice(models.Model):
    """A gerencia (or subgerencia) regional; its states come from the rule set (Rules 4)."""

    code = models.CharField("clave", max_length=8, unique=True)
    name = models.CharField("nombre", max_length=80)
    kind = models.CharField("tipo", max_length=12, default="gerencia")
    states = models.JSONField("estados que atiende", default=list)

    class Meta:
        ordering = ["name"]
        verbose_name = "gerencia regional"
        verbose_name_plural = "gerencias regionales"

    def __str__(self) -> str:
        return f"Gerencia Regional {self.name}"


class Role(models.TextChoices):
    ANALISTA = "analista", "Promotor / analista de crédito"
    GERENTE_REGIONAL = "gerente_regional", "Gerente regional"
    JURIDICO = "juridico", "Área jurídica"
    RIESGOS = "riesgos", "Área de riesgos"
    SECRETARIO_COMITE = "secretario_comite", "Secretario de comité"
    MIEMBRO_COMITE = "miembro_comite", "Miembro de comité"
    DIRECCION = "direccion", "Dirección"
    ADMINISTRADOR = "administrador", "Administrador"


REGIONAL_ROLES = frozenset({Role.ANALISTA, Role.GERENTE_REGIONAL})


class FilonUserManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        # A superuser administers the system: a central role, with no regional office.
        extra.setdefault("role", Role.ADMINISTRADOR)
        return super().create_superuser(username, email, password, **extra)


def new_session_salt() -> str:
    return secrets.token_hex(16)


class User(AbstractUser):
    objects = FilonUserManager()

    role = models.CharField("rol", max_length=24, choices=Role.choices, default=Role.ANALISTA)
    office = models.ForeignKey(
        RegionalOffice,
        verbose_name="gerencia regional",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    committees = models.JSONField(
        "comités a los que pertenece",
        default=list,
        blank=True,
        help_text="claves de comité (comite_interno, comite_externo, comite_tecnico)",
    )
    session_salt = models.CharField(
        "sal de las sesiones",
        max_length=32,
        default=new_session_salt,
        editable=False,
        help_text="se renueva al salir: termina todas las sesiones abiertas del usuario",
    )
    must_change_password = models.BooleanField(
        "debe cambiar su contraseña",
        default=False,
        help_text="tras un restablecimiento: al entrar, el usuario fija una contraseña nueva antes de seguir",
    )

    class Meta:
        verbose_name = "usuario"
        verbose_name_plural = "usuarios"
        constraints = [
            models.CheckConstraint(
                name="regional_users_have_an_office",
                condition=~models.Q(role__in=["analista", "gerente_regional"])
                | models.Q(office__isnull=False),
            )
        ]

    @property
    def is_regional(self) -> bool:
        return self.role in REGIONAL_ROLES

    def sees_all_offices(self) -> bool:
        return not self.is_regional

    def get_session_auth_hash(self) -> str:
        """What a session carries to prove it is still this user's; Django checks it on every request.

        Django's hash covers the password, so a new password ends the other sessions. The salt covers logging
        out: the session lives in a signed cookie, and a copy of the cookie would outlive the logout if nothing
        on the server changed (`filon.accounts.apps` renews the salt)."""
        return self._session_hash(settings.SECRET_KEY)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        """The same under the retired keys (SECRET_KEY_FALLBACKS), while a key is being rotated."""
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret)

    def _session_hash(self, secret: str) -> str:
        return salted_hmac(
            "filon.accounts.models.User.get_session_auth_hash",
            f"{self.password}\x00{self.session_salt}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the REST API, tied to a user and so to its role and office. Only a hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("nombre", max_length=80)
    prefix = models.CharField("prefijo", max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "token de API"
        verbose_name_plural = "tokens de API"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) de {self.user}"
