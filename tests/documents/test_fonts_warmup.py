"""The fonts' warm-up: it renders the documents' own tiny PDF once per process (later calls do not render
again), the server's processes and the background worker start it, other commands and tests do not."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command

from filon.documents import pdf, warmup
from filon.operations.management.commands import worker


@pytest.fixture
def fresh(monkeypatch):
    """A process that has not warmed its fonts yet; PDFs counted."""
    monkeypatch.setattr(warmup, "_state", {"seconds": None, "thread": None})
    rendered: list[bytes] = []
    real = pdf.render_pdf

    def counted(html: str) -> bytes:
        rendered.append(real(html))
        return rendered[-1]

    monkeypatch.setattr(pdf, "render_pdf", counted)
    return rendered


@pytest.mark.slow
def test_fonts_warm_renders_the_documents_fonts_once(fresh):
    assert not warmup.fonts_warmed()
    seconds = warmup.fonts_warm()
    assert warmup.fonts_warmed()
    assert len(fresh) == 1
    assert fresh[0].startswith(b"%PDF")
    assert "DejaVu Sans" in warmup.warmup_html()  # the documents' own styles, fonts and all
    assert warmup.fonts_warm() == seconds  # kept: no second render
    assert len(fresh) == 1
    assert warmup.fonts_warm_in_background() is None  # already warm: no thread


@pytest.mark.slow
def test_fonts_warm_in_background_starts_one_thread(fresh):
    thread = warmup.fonts_warm_in_background()
    assert isinstance(thread, threading.Thread)
    assert thread.daemon
    assert warmup.fonts_warm_in_background() is None  # started already
    thread.join(timeout=120)
    assert warmup.fonts_warmed()
    assert len(fresh) == 1


@pytest.mark.pure
@pytest.mark.parametrize(
    ("argv", "serving"),
    [
        (["/srv/filon/.venv/bin/gunicorn", "filon.asgi:application", "--bind", "127.0.0.1:8000"], True),
        (["/srv/filon/.venv/bin/filon", "worker", "--interval", "5"], True),
        (["filon", "runserver"], True),
        (["manage.py", "runserver", "0:8000"], True),
        (["filon", "migrate"], False),
        (["filon", "close", "--through", "2026-03-03"], False),
        (["/srv/filon/.venv/bin/pytest", "-q"], False),
        (["python", "-c"], False),
        ([], False),
    ],
)
def test_only_serving_processes_warm_at_start(argv, serving):
    assert warmup.serving_process(argv) is serving


@pytest.mark.django_db
def test_the_worker_warms_the_fonts_when_it_starts(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(worker, "fonts_warm_in_background", lambda: calls.append("warm"))
    monkeypatch.setattr(worker.FilonWorker, "run", lambda self: calls.append("run"))
    call_command("worker", verbosity=0)
    assert calls == ["warm", "run"]
    calls.clear()
    call_command("worker", "--once", verbosity=0)  # a one-off run renders nothing worth the wait
    assert calls == ["run"]
