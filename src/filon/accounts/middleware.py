"""The session's idle timeout, renewed at most once a minute.

Sessions expire after `SESSION_COOKIE_AGE` idle seconds: the session cookie is signed with the time it was
issued, and an older one is refused. Django can renew it on every request (`SESSION_SAVE_EVERY_REQUEST`), but
that signs and sends a new cookie with every page; here a request renews it only when the last renewal is more
than `FILON_SESSION_REFRESH_SECONDS` old, so the timeout holds to within that many seconds. A session that
changed in the request is saved anyway and counts as renewed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

REFRESHED = "_filon_refreshed"  # when the session's expiry was last renewed (Unix seconds)


class SessionRefreshMiddleware:
    """Goes after SessionMiddleware: it marks the session to save before SessionMiddleware answers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty():
            return response  # no session to keep alive (an anonymous visit, a logout)
        now = int(time.time())
        due = session.modified or now - session.get(REFRESHED, 0) >= settings.FILON_SESSION_REFRESH_SECONDS
        # (reading it may have found the session expired meanwhile: then it stays gone)
        if due and not session.is_empty():
            session[REFRESHED] = now  # marks it modified: SessionMiddleware saves it with a new expiry
        return response


# Where a user who must change their password may still go (names in the "web" namespace and the root).
PASSWORD_CHANGE_EXEMPT = ("web:password_change", "logout", "login")
API_PREFIX = "/api/"


class PasswordChangeRequiredMiddleware:
    """A user whose password was reset (or just created) sets a new one before anything else.

    Goes after AuthenticationMiddleware. A signed-in page request is sent to the change page (the change page,
    logout and static files are exempt); an API request — by session or by token — is refused with 403 and
    says why, since an API client cannot follow the change page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self._refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        from django.http import JsonResponse
        from django.shortcuts import redirect
        from django.urls import reverse

        path = request.path_info
        if path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return None
        api = path.startswith(API_PREFIX)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            if api:
                return JsonResponse({"detail": PASSWORD_CHANGE_MESSAGE}, status=403)
            if request.path in {reverse(name) for name in PASSWORD_CHANGE_EXEMPT}:
                return None
            return redirect("web:password_change")
        bearer = request.headers.get("Authorization", "")
        if api and bearer.startswith("Bearer ") and _token_owner_must_change(bearer.removeprefix("Bearer ")):
            return JsonResponse({"detail": PASSWORD_CHANGE_MESSAGE}, status=403)
        return None


PASSWORD_CHANGE_MESSAGE = (
    "Su contraseña fue restablecida: entre a la página y fije una contraseña nueva antes de usar la API."
)


def _token_owner_must_change(raw: str) -> bool:
    from filon.accounts.models import ApiToken
    from filon.accounts.services import _token_hash

    return ApiToken.objects.filter(
        key_hash=_token_hash(raw.strip()), revoked_at__isnull=True, user__must_change_password=True
    ).exists()
