"""Money kept as integer centavos (SPEC C-1), exact on SQLite and PostgreSQL alike.

SQLite has no decimal type: a `DecimalField` is stored as a binary float there, so 99,999,999,999,999.99
came back as …98 and sums over many rows drifted by fractions of a centavo. `CentavosField` stores the
amount as a 64-bit integer count of centavos and shows it to Python as a `Decimal` with exactly two
places: storage is exact, and `Sum` stays an integer sum in SQL on both databases (an aggregate over the
field resolves to the field, so its result comes back through the same converter).

An amount is never rounded on its way in: a fraction of a centavo is refused loudly (services round at
their named points, `filon.core.money.round_money`). Arithmetic in SQL between this field and a plain
number has no meaning (a peso literal next to a centavos column would be off by 100), so such an
expression fails to compile; `money_value()` is the way to put an amount into an expression.

`MoneyToCentavos` is the migration operation that turns a landed decimal money column into centavos,
converting the values exactly on both databases.
"""

from __future__ import annotations

import functools
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core import exceptions
from django.core.exceptions import FieldError
from django.db import models
from django.db.migrations.operations.base import Operation
from django.db.models import Lookup
from django.db.models.expressions import Combinable, CombinedExpression, Value, register_combinable_fields

from filon.core.money import is_cents
from filon.errors import DomainError, ValidationFailed
from filon.rules.schema import RuleSet

INT64_MAX = 2**63 - 1


class NotCentavos(ValueError):
    """An amount with a fraction of a centavo, or no amount at all, on its way to a money column."""


def to_centavos(value: Decimal | int | str) -> int:
    """The exact number of centavos in `value`; a fraction of a centavo or a float is refused."""
    if isinstance(value, float | bool):
        raise NotCentavos(f"Un importe no puede ser {type(value).__name__} ({value!r}): se usa Decimal.")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise NotCentavos(f"{value!r} no es un importe.") from exc
    if not amount.is_finite():
        raise NotCentavos(f"{value!r} no es un importe finito.")
    centavos = amount.scaleb(2)
    if centavos != centavos.to_integral_value():
        raise NotCentavos(f"El importe {value} tiene fracciones de centavo: redondéelo antes de guardarlo.")
    result = int(centavos)
    if abs(result) > INT64_MAX:
        raise NotCentavos(f"El importe {value} excede lo que cabe en un entero de 64 bits en centavos.")
    return result


def from_centavos(centavos: int | Decimal | float) -> Decimal:
    """The amount of `centavos` as a Decimal with exactly two places.

    A sum of a bigint column comes back from PostgreSQL as a numeric (a Decimal): still whole centavos. A
    float only arrives from SQL that made one (SQLite's ROUND or AVG): accepted when it is whole."""
    if isinstance(centavos, float):
        if not centavos.is_integer():
            raise NotCentavos(f"La base de datos devolvió {centavos!r} centavos, que no es un entero.")
        centavos = int(centavos)
    elif isinstance(centavos, Decimal) and centavos != centavos.to_integral_value():
        raise NotCentavos(f"La base de datos devolvió {centavos} centavos, que no es un entero.")
    return Decimal(int(centavos)).scaleb(-2)


class CentavosField(models.Field):  # type: ignore[type-arg]
    """An amount of money: a BIGINT of centavos in the database, a 2-place Decimal in Python."""

    empty_strings_allowed = False
    description = "Importe en centavos"
    default_error_messages = {"invalid": "«%(value)s» debe ser un importe en pesos con hasta dos decimales."}

    def get_internal_type(self) -> str:
        return "BigIntegerField"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        return None if value is None else from_centavos(value)

    def to_python(self, value: Any) -> Decimal | None:
        if value is None:
            return None
        try:
            return from_centavos(to_centavos(Decimal(repr(value)) if isinstance(value, float) else value))
        except NotCentavos as exc:
            raise exceptions.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            ) from exc

    def get_prep_value(self, value: Any) -> int | None:
        value = super().get_prep_value(value)
        return None if value is None else to_centavos(value)

    def get_placeholder(self, value: Any, compiler: Any, connection: Any) -> str:
        """Called for each value an UPDATE sets: an expression must be money too (centavos)."""
        if hasattr(value, "as_sql"):
            _require_money(value, self)
        return "%s"

    def get_lookup(self, lookup_name: str) -> Any:
        lookup = super().get_lookup(lookup_name)
        return None if lookup is None else _checked_lookup(lookup)

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(
            **{"form_class": forms.DecimalField, "max_digits": 18, "decimal_places": 2, **kwargs}
        )


def _require_money(expression: Any, target: Any) -> None:
    """Refuse an SQL expression that is not an amount of money where one is compared or stored: SQLite
    and PostgreSQL would compile `amount - 1.00` without complaint, off by a factor of 100."""
    output = expression.output_field  # an expression mixing centavos with plain numbers raises here
    if not isinstance(output, CentavosField):
        raise FieldError(
            f"{target} guarda centavos: la expresión {expression!r} da {type(output).__name__}; "
            "use money_value() o output_field=CentavosField()."
        )


@functools.cache
def _checked_lookup(lookup: type[Lookup]) -> type[Lookup]:  # type: ignore[type-arg]
    """`lookup` that refuses a right-hand side computed with plain numbers (a Value or an arithmetic
    expression that is not money); columns, subqueries and plain values pass as before."""

    class Checked(lookup):  # type: ignore[valid-type,misc]
        def process_rhs(self, compiler: Any, connection: Any) -> Any:
            if isinstance(self.rhs, CombinedExpression | Value):
                _require_money(self.rhs, self.lhs)
            return super().process_rhs(compiler, connection)

    Checked.__name__ = Checked.__qualname__ = f"Centavos{lookup.__name__}"
    return Checked


# Centavos add to and subtract from centavos; any other mix (a peso literal, a rate) must say what it
# means with money_value() or an explicit output_field.
for _connector in (Combinable.ADD, Combinable.SUB):
    register_combinable_fields(CentavosField, _connector, CentavosField, CentavosField)


def money_value(amount: Decimal) -> Value:
    """An amount as an SQL value of a money column (sent as centavos)."""
    return Value(amount, output_field=CentavosField())


# ------------------------------------------------------------------------------------- the ceiling


def amount_check(
    amount: Decimal | None,
    *,
    field: str,
    label: str,
    ruleset: RuleSet,
    errors: list[DomainError] | None = None,
    cents: bool = False,
) -> None:
    """Refuse an amount above the rule set's ceiling (`currencies.amount_ceiling`, cited by 9.2.2), which no
    credit of these Rules reaches — such a figure is a typing error or a hostile one — and, with `cents`,
    one with a fraction of a centavo (a money column never rounds it; callers that already refuse those
    with their own message leave it off). With `errors`, the refusal is added to that list (for input
    that reports every field at once); without, it is raised. Whether the amount may be zero or negative
    is the caller's rule."""
    if amount is None or not isinstance(amount, Decimal):
        return
    ceiling = ruleset.currencies.amount_ceiling
    error = None
    if not amount.is_finite():
        error = DomainError(f"{label} debe ser un número.", field=field)
    elif abs(amount) > ceiling.max_amount:
        error = DomainError(
            f"{label} ({amount:,.2f}) excede el importe máximo admitido por operación "
            f"({ceiling.max_amount:,.2f}), muy por encima de cualquier crédito de las Reglas.",
            field=field,
            rule=ceiling.rule,
        )
    elif cents and not is_cents(amount):
        error = DomainError(f"{label} debe estar en centavos (dos decimales).", field=field)
    if error is None:
        return
    if errors is not None:
        errors.append(error)
        return
    raise ValidationFailed([error])


# ----------------------------------------------------------------------------------- the migration


class MoneyToCentavos(Operation):
    """Turn the decimal money column `model_name.name` into a `CentavosField`, converting every value
    exactly: PostgreSQL multiplies the numeric by 100 in the type change itself; SQLite (whose decimals
    are binary floats holding at most 15 significant digits) rounds each value ×100 to the nearest
    integer, which is the amount it held, and then rebuilds the table with the integer column."""

    reversible = True

    def __init__(self, model_name: str, name: str, field: models.Field) -> None:  # type: ignore[type-arg]
        self.model_name = model_name
        self.name = name
        self.field = field

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (
            self.__class__.__name__,
            [],
            {"model_name": self.model_name, "name": self.name, "field": self.field},
        )

    def state_forwards(self, app_label: str, state: Any) -> None:
        state.alter_field(app_label, self.model_name.lower(), self.name, self.field, True)

    def _convert(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any, *, forwards: bool
    ) -> None:
        to_model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, to_model):
            return
        from_model = from_state.apps.get_model(app_label, self.model_name)
        old = from_model._meta.get_field(self.name)
        new = to_model._meta.get_field(self.name)
        qn = schema_editor.quote_name
        table, column = qn(to_model._meta.db_table), qn(new.column)
        if schema_editor.connection.vendor == "postgresql":
            using = f"({column} * 100)::bigint" if forwards else f"({column}::numeric / 100)"
            schema_editor.execute(
                f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {new.db_type(schema_editor.connection)} "
                f"USING {using}"
            )
            return
        if forwards:
            schema_editor.execute(
                f"UPDATE {table} SET {column} = CAST(ROUND({column} * 100) AS INTEGER) WHERE {column} IS NOT NULL"
            )
            schema_editor.alter_field(from_model, old, new)
        else:
            schema_editor.alter_field(from_model, old, new)
            schema_editor.execute(
                f"UPDATE {table} SET {column} = {column} / 100.0 WHERE {column} IS NOT NULL"
            )

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        self._convert(app_label, schema_editor, from_state, to_state, forwards=True)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        # from_state holds the centavos field, to_state the decimal one: the same steps, the other way
        self._convert(app_label, schema_editor, from_state, to_state, forwards=False)

    def describe(self) -> str:
        return f"Keep {self.model_name}.{self.name} as integer centavos"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_{self.name}_centavos"
