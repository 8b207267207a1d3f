"""Input no database can store, refused before any view sees it.

PostgreSQL text cannot hold the NUL character (SQLite can): a NUL in a query parameter, a form field or a
JSON string would otherwise reach a query and fail there as a server error. The request is answered with
a 400 naming the field, in JSON under /api/ and as a page elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

NUL = "\x00"
MESSAGE = "contiene el carácter nulo (\\0), que no se admite"


def _field_with_nul(request: HttpRequest) -> str | None:
    if NUL in request.path:
        return "(ruta)"
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in v for v in values):
            return name.replace(NUL, "\\0")
    content_type = request.content_type or ""
    if content_type == "application/x-www-form-urlencoded" or content_type.startswith("multipart/"):
        for name, values in request.POST.lists():
            if NUL in name or any(NUL in v for v in values):
                return name.replace(NUL, "\\0")
    elif request.method in ("POST", "PUT", "PATCH") and (
        b"\x00" in request.body or b"\\u0000" in request.body
    ):
        return "(documento)"
    return None


class NulGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = _field_with_nul(request)
        if field is None:
            return self.get_response(request)
        message = f"Campo «{field}»: {MESSAGE}."
        if request.path.startswith("/api/"):
            body = {"detail": [{"field": field, "message": message, "rule": None}]}
            return HttpResponse(
                json.dumps(body, ensure_ascii=False),
                status=400,
                content_type="application/json; charset=utf-8",
            )
        return render(request, "web/refused.html", {"message": message, "rule": ""}, status=400)
