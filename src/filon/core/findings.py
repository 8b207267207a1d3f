"""Decisions explain themselves (STYLE 2): every check returns findings that cite their rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "severity": self.severity.value, "message": self.message}


def error(rule: str, message: str) -> Finding:
    return Finding(rule, Severity.ERROR, message)


def warning(rule: str, message: str) -> Finding:
    return Finding(rule, Severity.WARNING, message)


def info(rule: str, message: str) -> Finding:
    return Finding(rule, Severity.INFO, message)


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
