"""Fixtures shared by every test layer."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from filon.rules import RuleSet, load_ruleset_for_date

TESTS_DIR = Path(__file__).resolve().parent
SPEC_EXAMPLE = TESTS_DIR / "contracts" / "evaluate" / "spec_example.json"


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    """The rule set in force on the SPEC example's date."""
    return load_ruleset_for_date(date(2026, 3, 2))


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


@pytest.fixture(scope="session")
def spec_example() -> dict[str, Any]:
    return json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def make_doc(spec_example: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """The SPEC example proposal with nested changes: make_doc(request={"amount": "1"})."""

    def build(**changes: Any) -> dict[str, Any]:
        return _merge(copy.deepcopy(spec_example), changes)

    return build
