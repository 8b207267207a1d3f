"""`filon demo run` runs the server and the worker together (`filon.demo.supervise`): both stop on Ctrl+C or
SIGTERM, each with a clean SIGTERM of its own, and when either one stops, so does the other. The children
here are small Python programs that record how they were stopped."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from filon.demo.management.commands.demo import demo_env
from filon.demo.supervise import Child, supervise

pytestmark = pytest.mark.pure

WAITS = """
import pathlib, signal, sys, time
mark = pathlib.Path(sys.argv[1])
def stop(signum, frame):
    mark.write_text("detenido")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
mark.with_suffix(".started").write_text("")
time.sleep(60)
"""
ENDS = """
import pathlib, sys, time
while not pathlib.Path(sys.argv[1]).exists():  # the other one is up, its handler set
    time.sleep(0.05)
sys.exit(3)
"""
DEAF = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"


def child(name: str, code: str, *args: str) -> Child:
    return Child(name, [sys.executable, "-c", code, *args])


def test_when_one_process_ends_the_other_is_stopped(tmp_path: Path):
    out = io.StringIO()
    started = time.monotonic()
    code = supervise(
        [
            child("servidor", WAITS, str(tmp_path / "server")),
            child("proceso de fondo", ENDS, str(tmp_path / "server.started")),
        ],
        out=out,
    )
    assert code == 3
    assert "El proceso de fondo terminó (código 3); se detiene lo demás." in out.getvalue()
    assert (tmp_path / "server").read_text() == "detenido"  # a clean SIGTERM, not a kill
    assert time.monotonic() - started < 30


def test_a_stop_signal_stops_both_and_a_deaf_one_is_killed(tmp_path: Path):
    def stop_when_started() -> None:
        deadline = time.monotonic() + 30
        while not (tmp_path / "server.started").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl+C

    previous = signal.getsignal(signal.SIGINT)
    threading.Thread(target=stop_when_started, daemon=True).start()
    out = io.StringIO()
    code = supervise(
        [child("servidor", WAITS, str(tmp_path / "server")), child("proceso de fondo", DEAF)],
        out=out,
        grace=1,
    )
    assert code == 0
    assert "Deteniendo" in out.getvalue()
    assert (tmp_path / "server").read_text() == "detenido"
    assert signal.getsignal(signal.SIGINT) is previous  # this process's handler is back


def test_the_demo_runs_in_training_mode_and_writes_mail_to_a_folder(tmp_path: Path):
    env = demo_env(tmp_path / "correo")
    assert env["FILON_TRAINING_MODE"] == "1"
    assert env["FILON_EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert env["FILON_EMAIL_FILE_PATH"] == str(tmp_path / "correo")
