"""The REST API, version 1 (django-ninja; OpenAPI at /api/v1/docs).

Authentication: `Authorization: Bearer <token>` (a token tied to a user, so to its role and office) or the
web session; the schema and the docs page need one too (`_signed_in_only`, docs/security.md). Every endpoint calls the same services and selectors as the web pages. Errors are JSON:
`{"detail": [{"field", "message", "rule"}]}` with a 4xx status and Spanish messages — never a 500 for bad
input.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.operation import Operation
from ninja.security import HttpBearer, SessionAuth

from filon.accounts.services import api_token_user
from filon.api.common import SafeJsonParser
from filon.core.calendar import calendar_today_mx, today_mx
from filon.core.errors import InputError, InputErrors
from filon.errors import DomainError, ValidationFailed


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """The web session (CSRF-protected for writes), for the browsable docs and the HTMX pages."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


def _signed_in_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The schema and the docs page answer whoever may call the API — a signed-in person or a valid token —
    and nobody else (docs/security.md, «El esquema y la documentación de la API»). Without either, the
    schema is a 401 like any endpoint's, and the docs page, which a person opens in the browser, sends to the
    login page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and request.user.is_active:
            return view(request, *args, **kwargs)
        bearer = request.headers.get("Authorization", "")
        if bearer.startswith("Bearer ") and TokenAuth().authenticate(request, bearer.removeprefix("Bearer ")):
            return view(request, *args, **kwargs)
        if request.resolver_match is not None and request.resolver_match.url_name == "openapi-view":
            return redirect_to_login(request.get_full_path())
        return _unauthenticated(request, AuthenticationError())

    return wrapper


class FilonAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """The operation ids the schema has always published, from when the routers lived in
        filon.api_routes: clients generated from the schema name their calls by them."""
        module = operation.view_func.__module__.replace("filon.api.", "filon.api_routes.", 1)
        return f"{module}_{operation.view_func.__name__}".replace(".", "_")


api = FilonAPI(
    title="Filón API",
    version="1",
    description="Originación y administración de créditos de primer piso conforme a las Reglas de Operación.",
    urls_namespace="api_v1",
    auth=[TokenAuth(), ActiveSessionAuth()],
    docs_url="/docs",
    docs_decorator=_signed_in_only,
    parser=SafeJsonParser(),
)


def _errors(status: int, errors: list[dict[str, Any]]) -> HttpResponse:
    return HttpResponse(
        json.dumps({"detail": errors}, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )


@api.exception_handler(ValidationFailed)
def _validation_failed(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
    return _errors(exc.status, [e.as_dict() for e in exc.errors])


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _errors(exc.status if exc.status < 500 else 409, [exc.as_dict()])


@api.exception_handler(InputErrors)
def _input_errors(request: HttpRequest, exc: InputErrors) -> HttpResponse:
    return _errors(422, [e.as_dict() for e in exc.errors])


@api.exception_handler(InputError)
def _input_error(request: HttpRequest, exc: InputError) -> HttpResponse:
    return _errors(422, [exc.as_dict()])


_PYDANTIC_SPANISH = {
    "missing": "es obligatorio",
    "int_parsing": "debe ser un número entero",
    "int_type": "debe ser un número entero",
    "decimal_parsing": "debe ser un número decimal",
    "decimal_type": "debe ser un número decimal",
    "date_from_datetime_parsing": "debe ser una fecha AAAA-MM-DD",
    "date_parsing": "debe ser una fecha AAAA-MM-DD",
    "date_type": "debe ser una fecha AAAA-MM-DD",
    "string_type": "debe ser un texto",
    "bool_parsing": "debe ser true o false",
    "bool_type": "debe ser true o false",
    "json_invalid": "el cuerpo no es JSON válido",
    "model_attributes_type": "debe ser un objeto JSON",
    "dict_type": "debe ser un objeto JSON",
    "literal_error": "valor no admitido",
    "enum": "valor no admitido",
    "greater_than": "debe ser mayor",
    "greater_than_equal": "es menor que el mínimo",
    "less_than_equal": "excede el máximo",
    "string_too_long": "es demasiado largo",
    "string_too_short": "es demasiado corto",
    "too_long": "tiene demasiados elementos",
    "list_type": "debe ser una lista",
    "extra_forbidden": "campo desconocido",
    "finite_number": "debe ser un número finito",
    "decimal_max_digits": "tiene demasiados dígitos",
    "int_from_float": "debe ser un número entero",
}


@api.exception_handler(NinjaValidationError)
def _ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        loc = [
            str(part)
            for part in err.get("loc", [])
            if part not in ("body", "query", "path", "header", "payload")
        ]
        kind = str(err.get("type", ""))
        message = _PYDANTIC_SPANISH.get(kind, "valor inválido")
        if kind == "value_error":  # our own validators (filon.numbers) word their refusal in Spanish
            message = str((err.get("ctx") or {}).get("error") or message)
        errors.append({"field": ".".join(loc) or None, "message": message, "rule": None})
    return _errors(422, errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _errors(
        401, [{"field": None, "message": "Se requiere autenticación (token Bearer o sesión).", "rule": None}]
    )


# django-ninja's own refusals of a typed body, as the routes that parse JSON themselves word them.
_NINJA_HTTP_ERRORS = {"Cannot parse request body": (422, "(documento)", "el cuerpo no es JSON válido")}


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, InputError):  # the body parser's own refusal, kept as it was worded
        return _errors(422, [exc.__cause__.as_dict()])
    status, field, message = _NINJA_HTTP_ERRORS.get(str(exc), (exc.status_code, None, str(exc)))
    return _errors(status, [{"field": field, "message": message, "rule": None}])


def _register_routers() -> None:
    from filon.api import (
        amendments,
        applicants,
        closing,
        committees,
        engine,
        files,
        loans,
        restructurings,
        worklist,
    )

    api.add_router("/", engine.router)
    api.add_router("/applicants", applicants.router)
    api.add_router("/files", files.router)
    api.add_router("/committees", committees.router)
    api.add_router("/", loans.router)
    api.add_router("/amendments", amendments.router)
    api.add_router("/", closing.router)
    api.add_router("/", restructurings.router)
    api.add_router("/", worklist.router)


_register_routers()


BUSINESS_DATE_HEADER = "X-Filon-Business-Date"


def _business_date_header(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Every answer tells the business date (ISO) in `X-Filon-Business-Date` when it differs from the
    calendar's (training mode), as the pages show it in their banner."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        business = today_mx()
        if business != calendar_today_mx():
            response[BUSINESS_DATE_HEADER] = business.isoformat()
        return response

    return wrapper


def urls() -> Any:
    """The API's URL patterns, exempt from the web login redirect: the API authenticates by itself."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        callback = getattr(pattern, "callback", None)
        if callback is not None:
            callback.login_required = False
            pattern.callback = _business_date_header(callback)
    return patterns, app_name, namespace
