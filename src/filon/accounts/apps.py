from typing import Any

from django.apps import AppConfig
from django.http import HttpRequest


class AccountsConfig(AppConfig):
    name = "filon.accounts"
    verbose_name = "Usuarios y oficinas"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        user_logged_out.connect(_logged_out, dispatch_uid="filon.accounts.logged_out")


def _logged_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Logging out ends the user's sessions everywhere, not just the cookie this browser drops: a session is
    a signed cookie, and a copy taken before the logout must not keep working."""
    from filon.accounts.services import user_sessions_end

    if user is not None and user.pk is not None:
        user_sessions_end(actor=user, user=user)
