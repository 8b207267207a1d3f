"""When the rule loader must read the approved amendments again.

The loader keeps the versions built from amendments under a stamp (`selectors.approved_stamp`): the ids and
random marks of the approved amendments. Reading that stamp is one small query; pages ask for their rule set
several times per request, so this process keeps the stamp it read for `STAMP_SECONDS`, unless:

- an amendment was written in this process (`amendments_changed`, from the model's save): read again;
- that write's transaction has not committed yet (or was rolled back — Django says nothing then): read the
  database on every call until a later write commits, so a rolled-back approval is never served from here;
- the tables were flushed or migrated (`post_migrate`, as a test database is emptied): read again.

Another process's approval reaches this one within `STAMP_SECONDS`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from time import monotonic

from django.db import transaction

STAMP_SECONDS = 1.0


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation = 0
        self.pending = False
        self.kept: tuple[int, float, Hashable] | None = None

    def bump(self) -> None:
        with self.lock:
            self.generation += 1
            self.kept = None


_state = _State()


def amendments_changed() -> None:
    """An amendment was written: forget the kept stamp and read the database until the write commits."""
    _state.bump()
    _state.pending = True

    def settled() -> None:
        _state.pending = False
        _state.bump()

    transaction.on_commit(settled)


def stamp_kept(read: Callable[[], Hashable]) -> Hashable:
    """The stamp, from this process's copy while it is fresh, else from `read()`."""
    if _state.pending:
        return read()
    kept, generation, now = _state.kept, _state.generation, monotonic()
    if kept is not None and kept[0] == generation and now - kept[1] < STAMP_SECONDS:
        return kept[2]
    value = read()
    with _state.lock:
        if _state.generation == generation:
            _state.kept = (generation, now, value)
    return value


def reset() -> None:
    """Forget the kept stamp (the tables were flushed or migrated)."""
    _state.bump()
