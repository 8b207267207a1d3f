"""A failing browser test keeps its pages (tests/conftest.py): the helper that writes them, and the report
hook that calls it for a failed `browser` test only, without a browser (pages stand in for Playwright's)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

import conftest
from conftest import BROWSER_PAGES, clear_failed_pages, save_failed_page

pytestmark = pytest.mark.pure


class StandInPage:
    """Playwright's Page as far as saving it goes: a screenshot written to a path, and the page's HTML."""

    def __init__(self, html: str = "<html><body><p>Crédito 1</p></body></html>", fails: bool = False):
        self.html = html
        self.fails = fails
        self.full_page: bool | None = None

    def screenshot(self, *, path: str, full_page: bool) -> bytes:
        if self.fails:
            raise RuntimeError("Target page, context or browser has been closed")
        self.full_page = full_page
        Path(path).write_bytes(b"\x89PNG imagen")
        return b"\x89PNG imagen"

    def content(self) -> str:
        return self.html


def report_of(item, *, when: str = "call", failed: bool = True):
    """Run the hook wrapper around a report as pytest would, and return the report."""
    report = SimpleNamespace(when=when, failed=failed, sections=[])
    wrapper = conftest.pytest_runtest_makereport(item, None)
    next(wrapper)
    with pytest.raises(StopIteration):
        wrapper.send(SimpleNamespace(get_result=lambda: report))
    return report


def browser_item(name: str, pages, marked: bool = True):
    item = SimpleNamespace(
        name=name,
        stash=pytest.Stash(),
        get_closest_marker=lambda marker: object() if marked and marker == "browser" else None,
    )
    item.stash[BROWSER_PAGES] = pages
    return item


def test_the_page_is_saved_whole_with_its_html_beside_it(tmp_path: Path):
    page = StandInPage()
    saved = save_failed_page(page, directory=tmp_path / "sqlite", test_name="test_journey[pago-404]")
    assert saved == [
        tmp_path / "sqlite" / "failed-test_journey_pago-404.png",
        tmp_path / "sqlite" / "failed-test_journey_pago-404.html",
    ]
    assert saved[0].read_bytes() == b"\x89PNG imagen"
    assert saved[1].read_text(encoding="utf-8") == page.html
    assert page.full_page is True


def test_a_failed_browser_test_saves_each_persons_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from django.db import connection

    monkeypatch.setattr(conftest, "SCREENSHOTS", tmp_path)
    item = browser_item("test_journey", [("ana", StandInPage()), ("sofia", StandInPage("<html>404</html>"))])
    report = report_of(item)
    folder = tmp_path / connection.vendor
    assert sorted(path.name for path in folder.iterdir()) == [
        "failed-test_journey-ana.html",
        "failed-test_journey-ana.png",
        "failed-test_journey-sofia.html",
        "failed-test_journey-sofia.png",
    ]
    assert (folder / "failed-test_journey-sofia.html").read_text(encoding="utf-8") == "<html>404</html>"
    assert [title for title, _ in report.sections] == ["página de la falla", "página de la falla"]
    assert str(folder / "failed-test_journey-ana.png") in report.sections[0][1]

    # The next run of the test clears them, whether it fails again or not.
    clear_failed_pages(folder, "test_journey")
    assert list(folder.iterdir()) == []


def test_one_page_is_named_after_the_test_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from django.db import connection

    monkeypatch.setattr(conftest, "SCREENSHOTS", tmp_path)
    report_of(browser_item("test_alert", [("ana", StandInPage())]))
    folder = tmp_path / connection.vendor
    assert sorted(path.name for path in folder.iterdir()) == [
        "failed-test_alert.html",
        "failed-test_alert.png",
    ]


@pytest.mark.parametrize(
    ("when", "failed", "marked"),
    [("call", False, True), ("setup", True, True), ("teardown", True, True), ("call", True, False)],
    ids=["passed", "failed-in-setup", "failed-in-teardown", "not-a-browser-test"],
)
def test_nothing_is_saved_unless_a_browser_test_fails_in_its_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str, failed: bool, marked: bool
):
    monkeypatch.setattr(conftest, "SCREENSHOTS", tmp_path)
    report = report_of(browser_item("test_alert", [("ana", StandInPage())], marked), when=when, failed=failed)
    assert list(tmp_path.iterdir()) == []
    assert report.sections == []


def test_a_closed_page_is_reported_without_hiding_the_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(conftest, "SCREENSHOTS", tmp_path)
    report = report_of(browser_item("test_alert", [("ana", StandInPage(fails=True))]))
    assert report.sections == [
        (
            "página de la falla",
            "No se pudo guardar la página de ana: Target page, context or browser has been closed",
        )
    ]
