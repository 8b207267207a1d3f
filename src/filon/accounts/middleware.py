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
