"""Writing the audit trail. Call inside the same transaction as the change it records (STYLE 5)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import models

from filon.audit.models import AuditRecord


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or None
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """JSON-safe values of a model's concrete fields (or the named ones)."""
    names = (
        list(fields)
        if fields is not None
        else [f.attname for f in obj._meta.concrete_fields if not f.primary_key]
    )
    return {name: _json_value(getattr(obj, name)) for name in names}


def changed(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose values differ, for a compact trail."""
    before = before or {}
    after = after or {}
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def audit_record(
    *,
    user: Any,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    office: Any = None,
    note: str = "",
) -> AuditRecord:
    """Append one record. `before`/`after` are snapshots; unchanged keys are dropped."""
    if before is not None and after is not None:
        before, after = changed(before, after)
    return AuditRecord.objects.create(
        user=user if getattr(user, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        office=office,
        before=before,
        after=after,
        note=note,
    )


def audit_trail(obj: models.Model) -> models.QuerySet[AuditRecord]:
    return AuditRecord.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


@contextmanager
def audited(
    *,
    user: Any,
    action: str,
    obj: models.Model,
    fields: Iterable[str] | Callable[[Any], dict[str, Any]] | None = None,
    office: Any = None,
    note: str = "",
) -> Iterator[AuditRecordHolder]:
    """The one audited change: snapshot `obj` before the block, record before/after when the block ends.

    `fields` names the fields to compare (all concrete fields when omitted) or is a function that takes the
    object and returns its snapshot. The block makes the change and saves it; nothing is recorded when it
    raises, and the caller's transaction rolls the change back. The holder yields the record after the block,
    and lets the block set `note` once it knows it.

        with audited(user=user, action="loan.commission_pay", obj=loan, fields=["opening_commission_paid_on"]):
            loan.opening_commission_paid_on = value_date
            loan.save(update_fields=["opening_commission_paid_on"])
    """
    take: Callable[[Any], dict[str, Any]]
    if callable(fields):
        take = fields
    else:
        names = list(fields) if fields is not None else None
        take = lambda o: snapshot(o, names)  # noqa: E731
    holder = AuditRecordHolder(note=note)
    before = take(obj)
    yield holder
    holder.record = audit_record(
        user=user,
        action=action,
        obj=obj,
        before=before,
        after={**take(obj), **_json_value(holder.facts)},
        office=office,
        note=holder.note,
    )


class AuditRecordHolder:
    """What `audited` hands its block: the note to write, facts the change adds to its "after" (an amount, a
    due date: what the object's fields do not hold), and afterwards the record written."""

    def __init__(self, note: str = "") -> None:
        self.note = note
        self.facts: dict[str, Any] = {}
        self.record: AuditRecord | None = None
