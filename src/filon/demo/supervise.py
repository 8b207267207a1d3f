"""Run a few processes together (the demo's server and worker): start them all, and stop them all when any
one ends or when this process is told to stop (Ctrl+C, SIGTERM).

Each child runs in its own session, so a Ctrl+C in the terminal reaches only this process, which then asks
each child to stop with one SIGTERM (the worker finishes its task in course; gunicorn its requests) and
kills whatever is still running after `grace` seconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class Child:
    name: str
    """Spanish, for the messages («servidor», «proceso de fondo»)."""
    argv: list[str]
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))


def _stop(processes: Sequence[tuple[Child, subprocess.Popen[bytes]]], grace: float) -> None:
    for _, process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for _, process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def supervise(
    children: Sequence[Child], *, out: Any = sys.stdout, grace: float = 30, poll: float = 0.2
) -> int:
    """Run `children` until one ends or a stop signal arrives; then stop the others. The exit code is 0
    after a stop signal, else the code of the child that ended first (1 if it ended with 0: it should not
    have)."""
    stopping: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    for number in STOP_SIGNALS:
        signal.signal(number, on_signal)
    processes: list[tuple[Child, subprocess.Popen[bytes]]] = []
    code = 0
    try:
        for child in children:
            processes.append((child, subprocess.Popen(child.argv, env=child.env, start_new_session=True)))
        while not stopping:
            ended = next(((c, p) for c, p in processes if p.poll() is not None), None)
            if ended is not None:
                child, process = ended
                code = process.returncode or 1
                out.write(f"El {child.name} terminó (código {process.returncode}); se detiene lo demás.\n")
                break
            time.sleep(poll)
        else:
            out.write("Deteniendo…\n")
        out.flush()
    finally:
        _stop(processes, grace)
        for number, handler in previous.items():
            signal.signal(number, handler)
    return code
