from __future__ import annotations

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError


class LoginForm(AuthenticationForm):
    """The login form. Every refusal reads the same — a wrong password, an unknown user, a locked account
    (filon.accounts.backends) — so the page never tells which accounts exist or are locked."""

    error_messages = {
        "invalid_login": (
            "Usuario o contraseña incorrectos. Tras %(max)s intentos fallidos desde una misma dirección, "
            "la entrada se suspende %(minutes)s minutos."
        ),
        "inactive": "Esta cuenta está inactiva.",
    }

    def get_invalid_login_error(self) -> ValidationError:
        return ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={
                "max": settings.AXES_FAILURE_LIMIT,
                "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            },
        )
