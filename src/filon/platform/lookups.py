"""Lookups by key, compiled once per process.

Every request reads a few rows by key: its user with the user's office, the loan's mark on the loan page.
For such a lookup the ORM spends three to four times the CPU building and compiling the queryset that the
database spends answering it. `lookup_statement` compiles the queryset once, with a placeholder key;
`fetch_row` runs the SQL with each key; `instance_from_row` makes the model and the foreign keys selected with
it from the row, with the conversions the ORM applies (the database backend's and the field's), as
`Model.from_db` expects them.

Won against the ORM's own `select_related(...).filter(pk=...).first()` for the same three lookups (the
user, the loan's mark, the loan) on bench/loan_detail.py (SQLite, 20 clients, 2 rounds alternated, the
2-core machine shared at load 7 to 13, so read as the server's CPU per request, medians): loan page 4.3 ms
against 6.0, statement 4.0 against 7.2, API 3.9 against 5.6.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

KEY = -7_000_000_000_000_000_001  # the placeholder key: never a primary key, so never confused with one


def lookup_statement(queryset: QuerySet[Any]) -> str:
    """The SQL of `queryset`, filtered by `pk=KEY` and by nothing else that takes a parameter: it runs
    with `[key]` as its only parameter."""
    sql, params = queryset.query.sql_with_params()
    if params != (KEY,):
        raise ValueError(f"Se esperaba solo la clave como parámetro de la consulta, no {params!r}.")
    return sql


def fetch_row(statement: str, model: type[Model], key: Any) -> tuple[Any, ...] | None:
    """The row of `statement` (from `lookup_statement` on `model`) for `key`, or None. A key that is no
    key of `model` — not a number, or past the primary key's range — has no row, as with the ORM's own
    lookups: it is not sent to the database, which would refuse it."""
    pk = model._meta.pk
    assert pk is not None
    try:
        key = pk.to_python(key)
    except ValidationError:
        return None
    low, high = connection.ops.integer_field_range(pk.get_internal_type())
    if isinstance(key, int) and ((low is not None and key < low) or (high is not None and key > high)):
        return None
    with connection.cursor() as cursor:
        cursor.execute(statement, [key])
        row: tuple[Any, ...] | None = cursor.fetchone()
    return row


@dataclass(frozen=True)
class _Columns:
    """A model's columns in the order a queryset selects them: the attribute names, and each column's
    expression with the converters the compiler would apply to its values."""

    names: list[str]
    converters: list[tuple[Any, list[Any]]]


@functools.cache
def _columns(model: type[Model]) -> _Columns:
    names, converters = [], []
    for field in model._meta.concrete_fields:
        column = field.get_col(model._meta.db_table)
        names.append(field.attname)
        converters.append(
            (column, connection.ops.get_db_converters(column) + column.get_db_converters(connection))
        )
    return _Columns(names, converters)


def _from_row(model: type[M], values: Sequence[Any]) -> M:
    columns = _columns(model)
    converted = []
    for (column, converters), value in zip(columns.converters, values, strict=True):
        for convert in converters:
            value = convert(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, columns.names, converted)


def instance_from_row(model: type[M], related: Sequence[str], row: Sequence[Any]) -> M:
    """The model and its foreign keys named in `related` (one level), from a row of
    `model.objects.select_related(*related)`: the model's columns, then each related model's, in the order
    of the model's fields, as the compiler selects them. A null foreign key is cached as None."""
    at = len(_columns(model).names)
    instance = _from_row(model, row[:at])
    for field in model._meta.concrete_fields:
        if field.name not in related:
            continue
        target = cast(type[Model], field.related_model)
        size = len(_columns(target).names)
        part, at = row[at : at + size], at + size
        setattr(
            instance,
            field.name,
            None if getattr(instance, field.attname) is None else _from_row(target, part),
        )
    if at != len(row):
        raise ValueError(
            f"La fila tiene {len(row)} columnas; {model.__name__} y {', '.join(related)} suman {at}."
        )
    return instance
