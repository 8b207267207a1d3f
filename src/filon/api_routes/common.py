"""Helpers shared by the API routes: reading a JSON body, running a Django form, shaping errors."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.http import HttpRequest

from filon.core.errors import InputError
from filon.errors import DomainError, ValidationFailed

JSON_OBJECT_BODY = {
    "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}, "required": True}
}


def json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError("(documento)", "el cuerpo no es JSON válido") from None


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
