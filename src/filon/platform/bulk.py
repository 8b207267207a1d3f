"""Set-based reads and writes of many rows of one table, on SQLite and PostgreSQL: the batch jobs' way past
Django's per-row machinery (STYLE 9).

- `rows_update(model, names, rows)`: UPDATE the named columns of each row, keyed by its primary key;
- `rows_insert(model, names, rows)`: INSERT the rows;
- `rows_read(queryset, names)`: `queryset.values_list(*names)`, read through the cursor;
- `pipeline()`: PostgreSQL's pipeline mode, in which prepared writes run without waiting for their results.

A write is prepared first (`Write`) and run later (`Write.run()`), so that a job can compute its next
batch while the server applies the previous one. Amounts of money (`CentavosField`) are converted to and
from integer centavos here, a fraction of a centavo refused (never rounded).

Benchmark (`bench/bulk.py --rows 20000`: six columns of 20,000 loans, of the kinds the close updates — three
amounts, a date, a number, a code — in batches of 5,000, best of three; measured on the shared 2-core
machine with a load average of 7–10, so the ratio counts more than the absolute figures):

    rows per second        rows_update   Django's bulk_update
    PostgreSQL                  39,500                    123   (0.51 s against 162 s)
    SQLite                      42,900                    329   (0.47 s against 61 s)

Django's `bulk_update` writes one `CASE WHEN pk = … THEN …` per column with a branch per row, which the
database walks for every row it updates (quadratic in the batch); `rows_update` sends one array per
column (PostgreSQL: `UPDATE … FROM unnest(arrays)`, parsed by the server; SQLite: one prepared
statement run per row, in-process). The close of 100,000 loans updates ~250,000 rows: Django's way would
take it from seconds to tens of minutes, far past its target of 30 s.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
from django.db import connection, models
from django.db.models import QuerySet

from filon.centavos import CentavosField, from_centavos, to_centavos

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Write:
    """One set-based write, prepared ahead of running it: PostgreSQL runs `sql` once with one array
    literal per column, parsed by the server (far cheaper than the driver dumping a million values one by
    one); SQLite runs it once per row with executemany (in-process). A write of no rows does nothing."""

    sql: str
    params: list[Any]

    def run(self) -> None:
        if not self.params:
            return
        if connection.vendor == "postgresql":
            with psycopg.Cursor(connection.connection) as cursor:  # server-side binding
                cursor.execute(self.sql, self.params)
        else:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, self.params)


NOTHING = Write("", [])


def rows_update(model: type[models.Model], names: Sequence[str], rows: Sequence[Row]) -> Write:
    """UPDATE model's table SET `names`… WHERE pk = the row's last value, for every row of `rows` (each
    row: the values of `names`, then the primary key).

    PostgreSQL: one `UPDATE … FROM unnest(arrays)`, whose key range (`pk BETWEEN min AND max`, implied
    by the keys) lets the planner read only that range of the primary key rather than hash the whole
    table for every batch; SQLite: one executemany."""
    if not rows:
        return NOTHING
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    fields = _fields(model, names)
    stored = _stored(fields, rows)
    columns = [qn(f.column) for f in fields]
    pk = qn(model._meta.pk.column)
    if connection.vendor != "postgresql":
        sets = ", ".join(f"{column} = %s" for column in columns)
        return Write(f"UPDATE {table} SET {sets} WHERE {pk} = %s", stored)
    aliases = [f"c{i}" for i in range(len(fields))]
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    sets = ", ".join(f"{column} = v.{alias}" for column, alias in zip(columns, aliases, strict=True))
    keys = [row[-1] for row in rows]
    key_type = model._meta.pk.db_type(connection)
    sql = (
        f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}, %s::{key_type}[]) AS v({', '.join(aliases)}, k) "
        f"WHERE t.{pk} = v.k AND t.{pk} BETWEEN %s::{key_type} AND %s::{key_type}"
    )
    return Write(sql, [*_arrays(stored), min(keys), max(keys)])


def rows_insert(model: type[models.Model], names: Sequence[str], rows: Sequence[Row]) -> Write:
    """INSERT `rows` (the values of `names`) into model's table: one statement (PostgreSQL: INSERT …
    SELECT FROM unnest(arrays)) or one executemany (SQLite). Every other column takes its database
    default (or NULL): model defaults are not applied."""
    if not rows:
        return NOTHING
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    fields = _fields(model, names)
    stored = _stored(fields, rows)
    columns = ", ".join(qn(f.column) for f in fields)
    if connection.vendor != "postgresql":
        marks = ", ".join(["%s"] * len(fields))
        return Write(f"INSERT INTO {table} ({columns}) VALUES ({marks})", stored)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    return Write(f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays})", _arrays(stored))


def rows_read(queryset: QuerySet[Any], names: Sequence[str]) -> list[Row]:
    """`queryset.values_list(*names)` read through the cursor, converted here column by column instead of
    through Django's per-value converters, which cost the close more than all of its arithmetic: money
    columns hold integer centavos (read as 2-place Decimals); SQLite returns the other decimals (rates) as
    floats (or ints), each read as the shortest decimal that round-trips (`repr`), exact for the up to 15
    significant digits these columns hold. PostgreSQL already returns those as Decimals."""
    sql, params = queryset.values_list(*names).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[Row] = cursor.fetchall()
    opts = queryset.model._meta
    fields = [opts.pk if name == "pk" else opts.get_field(name) for name in names]
    money = [i for i, f in enumerate(fields) if isinstance(f, CentavosField)]
    decimals = [i for i, f in enumerate(fields) if isinstance(f, models.DecimalField)]
    if connection.vendor != "sqlite":
        decimals = []
    if not money and not decimals:
        return rows

    def read(value: Any) -> Any:
        if isinstance(value, float):
            return Decimal(repr(value))
        return value if value is None else Decimal(value)

    converted = []
    for row in rows:
        values = list(row)
        for i in money:
            if values[i] is not None:
                values[i] = from_centavos(values[i])
        for i in decimals:
            values[i] = read(values[i])
        converted.append(tuple(values))
    return converted


def pipeline() -> AbstractContextManager[Any]:
    """PostgreSQL's pipeline mode: statements are sent without waiting for their results, and a read
    waits for everything sent before it; on SQLite, which runs in-process, nothing."""
    if connection.vendor == "postgresql":
        return connection.connection.pipeline()
    return nullcontext()


def _fields(model: type[models.Model], names: Sequence[str]) -> list[models.Field[Any, Any]]:
    return [model._meta.get_field(name.removesuffix("_id")) for name in names]


def _stored(fields: Sequence[models.Field[Any, Any]], rows: Sequence[Row]) -> list[Row]:
    """The rows as the columns store them: amounts of money as integer centavos (a fraction of a centavo
    is refused, never rounded)."""
    money = [i for i, f in enumerate(fields) if isinstance(f, CentavosField)]
    if not money:
        return list(rows)
    stored = []
    for row in rows:
        values = list(row)
        for i in money:
            if values[i] is not None:
                values[i] = to_centavos(values[i])
        stored.append(tuple(values))
    return stored


def _arrays(rows: list[Row]) -> list[str]:
    """One PostgreSQL array literal per column."""
    return [_array(column) for column in zip(*rows, strict=True)]


def _array(values: Sequence[Any]) -> str:
    """A PostgreSQL array literal: numbers, dates and booleans as they print; text quoted."""
    if any(isinstance(value, str) for value in values):
        return "{" + ",".join("NULL" if value is None else _quoted(value) for value in values) + "}"
    text = ",".join(map(str, values))
    if "None" in text:  # only a NULL prints so
        text = ",".join("NULL" if value is None else str(value) for value in values)
    return "{" + text + "}"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
