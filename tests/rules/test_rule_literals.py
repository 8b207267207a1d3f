"""No rule number written into a page or a message: every "Regla 10.4" a person reads comes from the
rule-set data. Templates are scanned whole; Python modules only in their string literals (f-strings'
literal parts included), so docstrings and comments may still name the sections they implement."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import filon

pytestmark = pytest.mark.pure

SOURCE = Path(filon.__file__).resolve().parent
LITERAL = re.compile(r"\bReglas?\s+\d", re.IGNORECASE)


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def python_literals(source: str) -> list[int]:
    """The lines of the string literals (not docstrings) in `source` that write a rule number."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and LITERAL.search(node.value)
    )


def template_literals(source: str) -> list[int]:
    return [n for n, line in enumerate(source.splitlines(), start=1) if LITERAL.search(line)]


def test_the_scan_tells_a_message_from_a_docstring():
    source = (
        '"""Rules 10 and Regla 10.2 in a docstring."""\n'
        "def f(rule):\n"
        '    """Regla 6 in a docstring."""\n'
        "    # Regla 7 in a comment\n"
        '    a = f"Regla {rule}"\n'
        '    return a, "cuenta con la Regla 6.", f"umbral {a}, regla 3)"\n'
    )
    assert python_literals(source) == [6, 6]
    assert template_literals("<h2>{{ r|regla }}</h2>\n<small>(Reglas 5 y 7)</small>") == [2]


def test_no_page_or_message_writes_a_rule_number():
    found = [
        f"{path.relative_to(SOURCE)}:{line}"
        for path in sorted(SOURCE.rglob("*.html"))
        for line in template_literals(path.read_text(encoding="utf-8"))
    ] + [
        f"{path.relative_to(SOURCE)}:{line}"
        for path in sorted(SOURCE.rglob("*.py"))
        for line in python_literals(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "rule numbers written as literals (cite the rule set's ids instead):\n" + "\n".join(
        found
    )
