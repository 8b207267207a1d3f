"""When the rule loader must read the approved amendments again.

The loader keeps the versions built from amendments under a stamp (`selectors.approved_stamp`): the ids and
random marks of the approved amendments. Reading that stamp is one small query; pages ask for their rule set
several times per request, so this process keeps the stamp it read for `STAMP_SECONDS`, unless:

- an amendment was written in this process (`amendments_changed`, from the model's save): read again;
- that write's transaction has not committed yet: read the database on every call while it is open, so an
  approval rolled back is never served from here. Django says nothing of a rollback, so the connection
  remembers the outermost atomic block of the write: once that block has ended without its commit hook
  running, the write was rolled back and the kept stamp is forgotten;
- the tables were flushed or migrated (`post_migrate`, as a test database is emptied): read again.

Another process's approval reaches this one within `STAMP_SECONDS`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from time import monotonic

from django.db import connection, transaction

STAMP_SECONDS = 1.0


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation = 0
        self.kept: tuple[int, float, Hashable] | None = None

    def bump(self) -> None:
        with self.lock:
            self.generation += 1
            self.kept = None


_state = _State()


PENDING = "filon_amendment_write_block"  # attribute of the connection: the atomic block of an open write


def amendments_changed() -> None:
    """An amendment was written: forget the kept stamp and read the database until the write commits."""
    _state.bump()
    if not connection.in_atomic_block:
        return
    setattr(connection, PENDING, connection.atomic_blocks[0])

    def settled() -> None:
        setattr(connection, PENDING, None)
        _state.bump()

    transaction.on_commit(settled)


def _write_open() -> bool:
    """Whether this connection wrote an amendment in a transaction still open; a write whose block ended
    without committing was rolled back: forget it and what was kept meanwhile."""
    block = getattr(connection, PENDING, None)
    if block is None:
        return False
    if connection.atomic_blocks and connection.atomic_blocks[0] is block:
        return True
    setattr(connection, PENDING, None)
    _state.bump()
    return False


def stamp_kept(read: Callable[[], Hashable]) -> Hashable:
    """The stamp, from this process's copy while it is fresh, else from `read()`."""
    if _write_open():
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
