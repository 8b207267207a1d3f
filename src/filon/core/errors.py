"""Errors for bad input: a Spanish message that names the field (and the rule, when one applies)."""

from __future__ import annotations


class InputError(ValueError):
    """Input that cannot be evaluated. `field` is a dotted path into the input document."""

    def __init__(self, field: str, message: str, rule: str | None = None) -> None:
        self.field = field
        self.message = message
        self.rule = rule
        super().__init__(self.describe())

    def describe(self) -> str:
        cite = f" — Regla {self.rule}" if self.rule else ""
        return f"Campo «{self.field}»: {self.message}{cite}"

    def as_dict(self) -> dict[str, str | None]:
        return {"field": self.field, "message": self.message, "rule": self.rule}


class InputErrors(ValueError):
    """Several input errors found at once, reported together."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        super().__init__("\n".join(e.describe() for e in errors))
