"""The lists' search boxes: accent- and case-insensitive on SQLite and PostgreSQL alike («proano», «PROAÑO»
and «Proaño» find «Minera Proaño»), with no database extension.

A column is compared folded by `core.text.fold`: on SQLite through that very function, registered on the
connection; on PostgreSQL as `LOWER(TRANSLATE(column, marked letters, plain letters))` over the table of
Latin letters with marks that `core.text` derives from the same function. The search text is folded in
Python. Searches are over short lists of one office; no index is involved.
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, F, Func, Q, QuerySet, Value

from filon.core.text import MARKED_LETTERS, PLAIN_LETTERS, fold

SQLITE_FOLD = "filon_fold"


class Folded(Func):
    """`Folded("applicant__name")`: the column without accents, in lower case."""

    output_field = CharField()

    def __init__(self, expression: Any, **extra: Any) -> None:
        super().__init__(F(expression) if isinstance(expression, str) else expression, **extra)

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        lowered = Func(
            Func(
                self.source_expressions[0], Value(MARKED_LETTERS), Value(PLAIN_LETTERS), function="TRANSLATE"
            ),
            function="LOWER",
            output_field=CharField(),
        )
        return compiler.compile(lowered)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        connection.ensure_connection()
        connection.connection.create_function(SQLITE_FOLD, 1, _fold_or_null, deterministic=True)
        return super().as_sql(compiler, connection, function=SQLITE_FOLD, **extra_context)


def _fold_or_null(value: Any) -> str | None:
    return None if value is None else fold(str(value))


def search(queryset: QuerySet[Any], query: str, *fields: str) -> QuerySet[Any]:
    """The rows of `queryset` one of whose `fields` contains `query`, both folded."""
    needle = fold(query)
    aliases = {f"search_{index}": Folded(field) for index, field in enumerate(fields)}
    found = Q()
    for alias in aliases:
        found |= Q(**{f"{alias}__contains": needle})
    return queryset.alias(**aliases).filter(found)
