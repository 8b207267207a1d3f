"""Requests that move money are performed once per key (the contract the payments set: a key minted with the
form, `Idempotency-Key` on the API).

A service calls `once(...)` inside its transaction, AFTER locking the row its operation changes (the loan,
the fund, the document): with that lock held no twin request can decide at the same time, so of twenty
simultaneous requests with one key exactly one performs and the others replay it.

- no record for (operation, scope, key): `perform()` runs and its result is recorded with the request;
- a record with the same canonical request: the first result is returned again, marked as a replay
  (`replayed(result)` is True), and nothing moves;
- a record with other data: `IdempotencyConflict` (409), and nothing moves.

`key=None` means the caller is no request (the demo builder, a batch job that keys its own steps): the
operation simply runs. A refused operation records nothing, so its retry is decided again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.apps import apps
from django.db import IntegrityError, models, transaction

from filon.errors import DomainError, ValidationFailed
from filon.idempotency.models import KEY_MAX, IdempotentRequest

HEADER = "Idempotency-Key"
FIELD = "idempotency_key"
_REPLAYED = "_idempotency_replayed"

R = TypeVar("R")


class IdempotencyConflict(DomainError):
    """The same key sent again with other data: nothing is performed."""

    status = 409


def key_clean(raw: str | None, *, field: str = FIELD) -> str:
    """The key as given, stripped; 1 to KEY_MAX characters or a Spanish refusal naming `field`."""
    key = (raw or "").strip()
    if not key or len(key) > KEY_MAX:
        raise ValidationFailed(
            [
                DomainError(
                    f"La clave de idempotencia ({HEADER}) es obligatoria: una clave única por operación, "
                    f"de 1 a {KEY_MAX} caracteres.",
                    field=field,
                )
            ]
        )
    return key


def scope_of(obj: models.Model) -> str:
    """The scope a key lives in: the locked row, as «model:pk» («loan:12»)."""
    return f"{obj._meta.model_name}:{obj.pk}"


def _canonical_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 1000 and 1000.00 are the same amount
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, str):
        return value.strip()
    if value is None or isinstance(value, bool | int):
        return value
    return str(value)


def canonical(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request as JSON values that compare equal when they mean the same thing."""
    return {name: _canonical_value(value) for name, value in sorted(request.items())}


def fingerprint(request: Mapping[str, Any]) -> str:
    text = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def replayed(result: Any) -> bool:
    """Whether `once` returned this result as the replay of an earlier request (not performed now)."""
    return bool(getattr(result, _REPLAYED, False))


def _mark(result: Any, replay: bool) -> None:
    for item in result if isinstance(result, list) else [result]:
        setattr(item, _REPLAYED, replay)


def _load(record: IdempotentRequest) -> Any:
    model = apps.get_model(record.result_model)
    ids = list(record.result_ids)
    found = {obj.pk: obj for obj in model._default_manager.filter(pk__in=ids)}
    objects = [found[pk] for pk in ids if pk in found]
    return objects if record.many else objects[0]


def _result_reference(result: Any) -> tuple[str, list[Any], bool]:
    many = isinstance(result, list)
    items: Sequence[models.Model] = result if many else [result]
    model = type(items[0]) if items else IdempotentRequest
    return model._meta.label_lower, [item.pk for item in items], many


def _decide(record: IdempotentRequest, asked: dict[str, Any], *, key: str, what: str) -> Any:
    if record.fingerprint != fingerprint(asked):
        first = record.request or {}
        differs = sorted(name for name in {*first, *asked} if first.get(name) != asked.get(name))
        raise IdempotencyConflict(
            f"La clave de idempotencia ({HEADER}) «{key}» ya se usó para {what} con otros datos "
            f"(difiere en: {', '.join(differs)}). No se registró nada: use una clave nueva para una "
            "operación distinta.",
            field=HEADER,
        )
    result = _load(record)
    _mark(result, True)
    return result


def _record(
    *, operation: str, scope: str, key: str, asked: dict[str, Any], user: Any, result: Any
) -> IdempotentRequest:
    model, ids, many = _result_reference(result)
    return IdempotentRequest.objects.create(
        operation=operation,
        scope=scope,
        key=key,
        fingerprint=fingerprint(asked),
        request=asked,
        result_model=model,
        result_ids=ids,
        many=many,
        user=user if getattr(user, "pk", None) else None,
    )


def _find(operation: str, scope: str, key: str) -> IdempotentRequest | None:
    return IdempotentRequest.objects.filter(operation=operation, scope=scope, key=key).first()


def once(
    *,
    operation: str,
    scope: str,
    key: str | None,
    request: Mapping[str, Any],
    user: Any,
    what: str,
    perform: Callable[[], R],
    earlier: Callable[[], tuple[Any, Mapping[str, Any]] | None] | None = None,
) -> R:
    """Perform `perform()` once per (operation, scope, key); see the module docstring. Call it inside the
    service's transaction with the scope's row locked. `what` names the operation in a conflict's message
    («un pago de este crédito»). `earlier` finds a result made before requests were recorded here (a payment
    keyed on its own column): it is adopted as the first result."""
    if key is None:
        return perform()
    assert transaction.get_connection().in_atomic_block, "once() runs inside the service's transaction"
    key = key_clean(key)
    asked = canonical(request)
    record = _find(operation, scope, key)
    if record is None and earlier is not None:
        found = earlier()
        if found is not None:
            result, first = found
            try:
                with transaction.atomic():
                    record = _record(
                        operation=operation,
                        scope=scope,
                        key=key,
                        asked=canonical(first),
                        user=user,
                        result=result,
                    )
            except IntegrityError:
                record = _find(operation, scope, key)
                if record is None:
                    raise
    if record is not None:
        return _decide(record, asked, key=key, what=what)
    try:
        with transaction.atomic():  # a savepoint: a twin that decided unlocked rolls back only this
            result = perform()
            _record(operation=operation, scope=scope, key=key, asked=asked, user=user, result=result)
    except IntegrityError:
        record = _find(operation, scope, key)
        if record is None:
            raise
        return _decide(record, asked, key=key, what=what)
    _mark(result, False)
    return result
