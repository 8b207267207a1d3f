"""The tests' own layout: `tests/` mirrors `src/filon/` folder by folder, and no two test modules share a
basename (the folders are not packages, so two modules of one name would collide on import)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import filon

pytestmark = pytest.mark.pure

TESTS = Path(__file__).resolve().parent
SOURCE = Path(filon.__file__).resolve().parent
# Folders that test across the apps rather than one of them.
ACROSS = {"browser", "contracts", "security", "api", "web", "audit"}


def _folders(root: Path) -> set[str]:
    return {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}


def _modules() -> list[Path]:
    return [p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts and p.name != "conftest.py"]


def test_every_test_module_basename_is_unique():
    counts = Counter(p.name for p in _modules())
    shared = {
        name: sorted(str(p.relative_to(TESTS)) for p in _modules() if p.name == name)
        for name, n in counts.items()
        if n > 1
    }
    assert shared == {}


def test_each_test_folder_names_a_folder_of_the_source():
    strays = _folders(TESTS) - ACROSS - _folders(SOURCE)
    assert strays == set(), f"tests/<dir> without a src/filon/<dir>: {sorted(strays)}"


def test_each_web_test_folder_names_an_area_of_the_pages():
    strays = _folders(TESTS / "web") - _folders(SOURCE / "web")
    assert strays == set(), f"tests/web/<area> without a src/filon/web/<area>: {sorted(strays)}"


def test_the_layout_checks_see_the_folders_they_check():
    """Guard against a check that passes because it looks at nothing."""
    assert {"core", "ledger", "servicing", "web"} <= _folders(TESTS)
    assert {"core", "ledger", "servicing", "web"} <= _folders(SOURCE)
    assert TESTS / "test_layout.py" in _modules()
