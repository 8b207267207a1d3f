"""The one place where the web pages map domain errors to HTTP (STYLE 7), plus small HTMX helpers.

NotFound → 404 (another office's objects do not exist for a regional user), Forbidden → a 403 page in
Spanish, any other refusal a view did not place on its form → a page with the message and its rule
(never a 500 for bad input).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import translation

from filon import numbers
from filon.errors import DomainError, Forbidden, NotFound, ValidationFailed
from filon.limits import SEARCH_MAX_CHARS
from filon.web.navigation import nav_links, nav_urls

View = Callable[..., HttpResponse]
PAGE_LANGUAGE = "es-mx"
F = TypeVar("F", bound=forms.Form)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def cite(rule: str | None) -> str:
    """How a rule id reads to a person: "10.2.1" → "Regla 10.2.1"; "Anexo II" and "C-9" as they are."""
    if not rule:
        return ""
    rule = str(rule).strip()
    return f"Regla {rule}" if rule[:1].isdigit() else rule


def error_text(error: DomainError) -> str:
    return f"{error.message} ({cite(error.rule)})" if error.rule else error.message


def forbidden(request: HttpRequest, error: Forbidden) -> HttpResponse:
    return render(request, "403.html", {"message": error.message, "rule": cite(error.rule)}, status=403)


def web_view(methods: Iterable[str] = ("GET",)) -> Callable[[View], View]:
    """Allow `methods` and map domain errors that escape the view to HTTP."""
    allowed = [m.upper() for m in methods]

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed:
                return HttpResponseNotAllowed(allowed)
            try:
                # The pages are Spanish whatever the browser asks for (Django's own messages too).
                with translation.override(PAGE_LANGUAGE):
                    return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except Forbidden as exc:
                return forbidden(request, exc)
            except DomainError as exc:
                return render(
                    request,
                    "web/refused.html",
                    {"message": exc.message, "rule": cite(exc.rule)},
                    status=exc.status,
                )

        return wrapper

    return decorate


def place_errors(form: forms.Form, error: DomainError) -> None:
    """Put a service's refusal on the form: each error on its field when the form has it, else on top.

    A ValidationFailed carries several errors; any other DomainError is one. NotFound, and a Forbidden that
    names no field of the form, are not input errors: they go on to the 404 and 403 pages.
    """
    if isinstance(error, NotFound) or (isinstance(error, Forbidden) and error.field not in form.fields):
        raise error
    errors = getattr(error, "errors", None) or [error]
    for item in errors:
        field = item.field if item.field in form.fields else None
        form.add_error(field, error_text(item))


def search_query(request: HttpRequest) -> str:
    """The page's search text (`?q=`), refused (422, naming the field) when longer than SEARCH_MAX_CHARS."""
    query = request.GET.get("q", "").strip()
    if len(query) > SEARCH_MAX_CHARS:
        raise ValidationFailed(
            [DomainError(f"La búsqueda admite a lo más {SEARCH_MAX_CHARS} caracteres.", field="q")]
        )
    return query


def typed_dates(form: F) -> F:
    """Date fields typed and shown as dd/mm/aaaa (`numbers.FechaInput`), not the browser's own picker."""
    for field in form.fields.values():
        if isinstance(field, forms.DateField):
            field.widget = numbers.FechaInput()
    return form


def section_response(
    request: HttpRequest,
    *,
    page: str,
    url: str,
    sections: Iterable[str],
    anchors: dict[str, str],
    section: str,
    context: Callable[..., dict[str, Any]],
    status: int = 200,
    notice: str = "",
    extra: dict[str, Any],
) -> HttpResponse:
    """After an action on a page made of sections (`web/<page>/_<section>.html`): over HTMX the section
    that acted and the others out-of-band; a plain post that went through goes back to the page at the
    section (with its notice); one that did not shows the whole page with its errors."""
    if status == 200 and not is_htmx(request):
        if notice:
            messages.success(request, notice)
        return redirect(f"{url}#{anchors[section]}")
    values = context(notice=notice, notice_section=section, **extra)
    if is_htmx(request):
        values["primary"] = f"web/{page}/_{section}.html"
        values["others"] = [f"web/{page}/_{s}.html" for s in sections if s != section]
        return render(request, "web/files/_sections.html", values, status=status)
    return render(request, f"web/{page}/detail.html", values, status=status)


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the main navigation (`filon.web.navigation`): every entry's address (`nav.<key>`),
    reversed once per process and script prefix, and the user's links by group (`nav_links.main`,
    `nav_links.more`), the ones whose pages the user's role may open. (A page rendered without a request —
    the CSRF failure page — has no user and shows no navigation.)"""
    prefix = get_script_prefix()
    context: dict[str, Any] = {"nav": nav_urls(prefix)}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        match = request.resolver_match
        context["nav_links"] = nav_links(
            role=user.role,
            path=request.path_info,
            view_name=match.view_name if match else "",
            prefix=prefix,
        )
    return context


# ------------------------------------------------------------------------------------- server errors

DATABASE_DOWN = "La base de datos no está disponible en este momento; intente de nuevo en unos minutos."
SERVER_ERROR = "Ocurrió un error en el servidor; la operación no se completó."
RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an exception no layer answered. A database that cannot be reached is a 503 (the request
    may be retried); anything else a 500. The API answers JSON in its error shape, the pages a Spanish page
    rendered without the request (its user and session would need the database)."""
    error = sys.exc_info()[1]
    down = isinstance(error, OperationalError | InterfaceError)
    status, message = (503, DATABASE_DOWN) if down else (500, SERVER_ERROR)
    if request.path.startswith("/api/"):
        body = {"detail": [{"field": None, "message": message, "rule": None}]}
        response = HttpResponse(
            json.dumps(body, ensure_ascii=False),
            status=status,
            content_type="application/json; charset=utf-8",
        )
    else:
        template = "503.html" if down else "500.html"
        response = HttpResponse(render_to_string(template, {"message": message}), status=status)
    if down:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


# ------------------------------------------------------------------------------- a method not allowed

METHOD_NAMES = {
    "GET": "consultarla (abrirla como página)",
    "HEAD": "consultarla (abrirla como página)",
    "POST": "enviarle un formulario",
    "PUT": "reemplazar un registro",
    "PATCH": "modificar un registro",
    "DELETE": "borrar un registro",
    "OPTIONS": "consultar sus opciones",
}


def method_not_allowed_message(allowed: Iterable[str]) -> str:
    uses = list(dict.fromkeys(METHOD_NAMES.get(m.strip().upper(), m.strip()) for m in allowed if m.strip()))
    if not uses:
        return "Esta dirección no admite esa operación."
    listed = uses[0] if len(uses) == 1 else ", ".join(uses[:-1]) + " o " + uses[-1]
    return f"Esta dirección no admite esa operación; sólo permite {listed}."


class MethodNotAllowedPage:
    """A request with a method its address does not take (a GET on an action that only takes a form, a
    POST on a page): Django's bare 405 — an empty body the browser shows in English — becomes a Spanish
    page, and on the API a Spanish error in the API's JSON shape. The status and the Allow header stay."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.get("Content-Type", "").startswith("application/json"):
            return response
        allow = response.get("Allow", "")
        message = method_not_allowed_message(allow.split(","))
        if request.path.startswith("/api/"):
            body = {"detail": [{"field": None, "message": message, "rule": None}]}
            page = HttpResponse(
                json.dumps(body, ensure_ascii=False),
                status=405,
                content_type="application/json; charset=utf-8",
            )
        else:
            with translation.override(PAGE_LANGUAGE):
                page = render(request, "405.html", {"message": message}, status=405)
        if allow:
            page["Allow"] = allow
        return page
