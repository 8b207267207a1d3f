"""The fonts warmed once per serving process, so no user waits for them.

WeasyPrint's first document in a process loads and indexes the system's fonts (fontconfig and Pango) and
builds its default stylesheets: the first PDF of a fresh process took 5.2–6.5 s, the first one after the
warm-up 0.2–0.4 s (bench/first_pdf.py, 2 shared cores). `fonts_warm` renders a tiny document with the documents' own
styles and fonts once per process; `fonts_warm_in_background` does it on a daemon thread so the process
starts serving at once. The web server's processes and the background worker call it at start
(`serving_process` tells them from a management command or a test run, which never do).
"""

from __future__ import annotations

import os
import threading
import time

from django.template.loader import render_to_string
from django.utils import timezone

_lock = threading.Lock()
_state: dict[str, float | threading.Thread | None] = {"seconds": None, "thread": None}

SERVING_COMMANDS = ("runserver", "worker")
SERVING_PROGRAMS = ("gunicorn", "uvicorn")


def warmup_html() -> str:
    return render_to_string(
        "documents/warmup.html",
        {
            "title": "Preparación",
            "subject": "Fuentes",
            "generated_at": timezone.localtime(timezone.now()),
            "generated_by": "Filón",
        },
    )


def fonts_warmed() -> bool:
    return _state["seconds"] is not None


def fonts_warm() -> float:
    """Render the tiny document once in this process (later calls return at once); the seconds it took."""
    from filon.documents.pdf import render_pdf

    with _lock:
        seconds = _state["seconds"]
        if isinstance(seconds, float):
            return seconds
        started = time.perf_counter()
        render_pdf(warmup_html())
        elapsed = time.perf_counter() - started
        _state["seconds"] = elapsed
        return elapsed


def fonts_warm_in_background() -> threading.Thread | None:
    """`fonts_warm` on a daemon thread, started once per process; None when already warm or started."""
    with _lock:
        if _state["seconds"] is not None or _state["thread"] is not None:
            return None
        thread = threading.Thread(target=fonts_warm, name="filon-fonts-warm", daemon=True)
        _state["thread"] = thread
    thread.start()
    return thread


def serving_process(argv: list[str]) -> bool:
    """True for a process that serves users: gunicorn's (and uvicorn's) processes, `runserver` and the
    background `worker`; never another management command nor a test run."""
    if not argv:
        return False
    program = os.path.basename(argv[0])
    if program.startswith(SERVING_PROGRAMS):
        return True
    return len(argv) > 1 and program in ("filon", "manage.py", "django-admin") and argv[1] in SERVING_COMMANDS
