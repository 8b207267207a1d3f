"""What every answer tells the browser about itself.

Every answer carries the Content-Security-Policy of settings.FILON_CONTENT_SECURITY_POLICY: the pages run only
the application's own script files (HTMX and filon.js), so a script slipped into a page by a stored value
does not run. An answer to a signed-in person — a page, a section swapped by HTMX, a JSON answer to a token, a
PDF — is not stored by the browser or any cache on the way (`Cache-Control: no-store`): on a shared computer,
the back button or the disk cache keeps no credit data after the person leaves.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class PageHeadersMiddleware:
    """Goes right after SecurityMiddleware, so that the answers of the middleware after it carry the headers
    too; it reads the user that AuthenticationMiddleware (or the API's token check) set on the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.FILON_CONTENT_SECURITY_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
