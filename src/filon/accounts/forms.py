from __future__ import annotations

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "Usuario o contraseña incorrectos. Tras %(max)s intentos fallidos la cuenta se bloquea.",
        "inactive": "Esta cuenta está inactiva.",
        "locked": "La cuenta está bloqueada temporalmente por intentos fallidos; intente en %(minutes)s minutos.",
    }

    def get_invalid_login_error(self) -> ValidationError:
        if getattr(self.request, "filon_login_locked", False):
            return ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"minutes": settings.FILON_LOGIN_LOCK_MINUTES},
            )
        return ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={"max": settings.FILON_LOGIN_MAX_FAILURES},
        )
