"""Domain errors raised by services and selectors; views and the API map them to HTTP in one place."""

from __future__ import annotations


class DomainError(Exception):
    """A refused operation, with a Spanish message a person understands.

    `field` names the input at fault (or None for the object as a whole); `rule` cites the rule that
    refuses it, when one does.
    """

    status = 400

    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None) -> None:
        self.message = message
        self.field = field
        self.rule = rule
        super().__init__(message)

    def as_dict(self) -> dict[str, str | None]:
        return {"field": self.field, "message": self.message, "rule": self.rule}


class ValidationFailed(DomainError):
    """Input that cannot be accepted; may carry several field errors."""

    status = 422

    def __init__(self, errors: list[DomainError]) -> None:
        self.errors = errors
        super().__init__("; ".join(e.message for e in errors), field=errors[0].field if errors else None)


class TransitionRefused(DomainError):
    """A state change out of order or with unmet conditions."""

    status = 409


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    """Also raised for objects of another regional office: they do not exist for this user."""

    status = 404
