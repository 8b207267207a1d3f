"""Helpers shared by the API routes: reading a JSON body, running a Django form, shaping errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest
from ninja.parser import Parser

from filon.core.errors import InputError
from filon.core.jsonin import read_json
from filon.errors import DomainError, ValidationFailed

JSON_OBJECT_BODY = {
    "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}, "required": True}
}


def json_body(request: HttpRequest) -> Any:
    """The request's JSON, read by the one safe reader (depth, size, integer literals, lone surrogates)."""
    return read_json(request.body or b"null", max_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


class SafeJsonParser(Parser):
    """django-ninja's body parser for the typed routes, with the same reader as `json_body`."""

    def parse_body(self, request: HttpRequest) -> Any:
        return json_body(request)


def json_object(request: HttpRequest) -> dict[str, Any]:
    body = json_body(request)
    if not isinstance(body, dict):
        raise InputError("(documento)", "el cuerpo debe ser un objeto JSON")
    return body


def form_data(form_class: type[forms.Form], payload: dict[str, Any]) -> forms.Form:
    """Validate a JSON object with the same Django form the web page uses (same Spanish messages)."""
    data = {key: ("" if value is None else value) for key, value in payload.items()}
    unknown = sorted(set(data) - set(form_class.base_fields))
    form = form_class(data=data)
    errors = [DomainError("campo desconocido", field=name) for name in unknown]
    if not form.is_valid():
        for name, messages in form.errors.items():
            errors.extend(
                DomainError(str(message), field=name if name != "__all__" else None) for message in messages
            )
    if errors:
        raise ValidationFailed(errors)
    return form
