"""How large a request body, an uploaded file and an upload's name may be — decided here, in one place.

`body_limit(path)` is the largest body a request to `path` may carry: the views that take a file upload
(marked with `@accepts_upload`) get `FILON_MAX_REQUEST_BYTES`, every other address
`DATA_UPLOAD_MAX_MEMORY_SIZE`. `BodyLimitMiddleware`, first in MIDDLEWARE, answers a `Content-Length` above
that limit with a 413 before any layer reads `request.POST` (so nothing is parsed, spooled to disk or kept
in memory), and bounds a body without `Content-Length` (chunked) by wrapping the input stream: reading past
the limit stops the request, which is then answered with the same 413.

A server that reads the body before Django does (an ASGI server) must bound it by itself with
`FILON_MAX_REQUEST_BYTES`, the largest body of any request.
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, get_resolver

UPLOAD_MARK = "filon_accepts_upload"
SEARCH_MAX_CHARS = 100
"""The longest search text (`?q=`): longer is a typing error, and SQLite refuses a LIKE pattern past 50 KB."""
# The longest name an uploaded file is stored under (its stem, in UTF-8 bytes): far below the 255 bytes
# every file system allows for one name, with room for the storage's prefix and de-duplication suffix.
UPLOAD_NAME_BYTES = 100
UPLOAD_EXTENSION_CHARS = 10

BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})
View = Callable[..., HttpResponse]


def accepts_upload(view: View) -> View:
    """Mark a view that receives a file: its requests may carry up to FILON_MAX_REQUEST_BYTES."""
    setattr(view, UPLOAD_MARK, True)
    return view


def form_limit() -> int:
    """The largest body of a request that carries no file: a form or a JSON document."""
    return min(int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE), int(settings.FILON_MAX_REQUEST_BYTES))


def body_limit(path: str) -> int:
    """The largest body, in bytes, a request to `path` may carry."""
    try:
        match = get_resolver().resolve(path)
    except Resolver404:
        match = None
    if match is not None and getattr(match.func, UPLOAD_MARK, False):
        return int(settings.FILON_MAX_REQUEST_BYTES)
    return form_limit()


def megabytes(size: int) -> str:
    """A size as people read it: 10485760 → "10 MB", 1572864 → "1.5 MB", 262144 → "256 KB"."""
    if size < 1024 * 1024:
        return f"{size / 1024:g} KB"
    return f"{round(size / 1024 / 1024, 1):g} MB"


def upload_size_error(size: int | None) -> str | None:
    """Why an uploaded file of `size` bytes is refused (FILON_MAX_UPLOAD_BYTES), or None."""
    limit = int(settings.FILON_MAX_UPLOAD_BYTES)
    if size is None or size > limit:
        return f"El archivo pesa más de {megabytes(limit)}."
    return None


def safe_upload_name(name: str | None, default: str = "documento") -> str:
    """The name an uploaded file is stored under: no directories, no control characters, its stem cut to
    UPLOAD_NAME_BYTES bytes of UTF-8 (a longer name made the file system refuse it), its extension kept."""
    base = os.path.basename(str(name or "").replace("\\", "/"))
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C")
    base = base.strip().lstrip(".") or default
    stem, dot, extension = base.rpartition(".")
    if not dot or not stem or len(extension) > UPLOAD_EXTENSION_CHARS:
        stem, extension = base, ""
    cut = stem.encode("utf-8")[:UPLOAD_NAME_BYTES].decode("utf-8", "ignore").strip() or default
    return f"{cut}.{extension}" if extension else cut


class _BoundedStream:
    """A request's input stream that refuses to give more than `limit` bytes."""

    def __init__(self, stream: Any, limit: int, request: HttpRequest) -> None:
        self._stream = stream
        self._left = limit
        self._request = request

    def _take(self, data: bytes) -> bytes:
        self._left -= len(data)
        if self._left < 0:
            self._request.filon_body_too_large = True  # type: ignore[attr-defined]
            raise RequestDataTooBig("El cuerpo de la solicitud excede el máximo admitido.")
        return data

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self._take(self._stream.read(self._left + 1))
        return self._take(self._stream.read(min(size, self._left + 1)))

    def readline(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self._take(self._stream.readline(self._left + 1))
        return self._take(self._stream.readline(min(size, self._left + 1)))

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    message = f"El cuerpo de la solicitud es demasiado grande: el máximo es {megabytes(limit)}."
    if request.path.startswith("/api/"):
        body = {"detail": [{"field": "(documento)", "message": message, "rule": None}]}
        return HttpResponse(
            json.dumps(body, ensure_ascii=False), status=413, content_type="application/json; charset=utf-8"
        )
    # Rendered without the request: nothing of the session or the database is needed to refuse.
    return HttpResponse(render_to_string("413.html", {"message": message}), status=413)


class BodyLimitMiddleware:
    """First in MIDDLEWARE: an oversized body is refused with a 413 before any other layer reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or ""
        try:
            declared = int(raw) if raw.strip() else None
        except ValueError:
            declared = None  # Django reads a malformed length as no body; the stream is bounded anyway
        limit = form_limit()
        # The address is resolved only when the body may be larger than a form's: most requests (every GET)
        # are bounded without a URL look-up.
        if (declared or 0) > limit or (declared is None and request.method not in BODILESS):
            limit = body_limit(request.path_info)
        if declared is not None and declared > limit:
            return too_large(request, limit)
        # HttpRequest keeps its input in `_stream` (a bounded LimitedStream under WSGI when the length is
        # declared; the body as the server handed it otherwise): bound it to the limit whatever was declared.
        request._stream = _BoundedStream(request._stream, limit, request)  # type: ignore[attr-defined]
        response = self.get_response(request)
        if getattr(request, "filon_body_too_large", False):
            return too_large(request, limit)
        return response
