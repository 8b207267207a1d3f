"""Running `filon worker --once` inside a test's transaction."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django_tasks_db.management.commands import db_worker

from filon.operations.management.commands import worker


def worker_once(monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    """`filon worker --once`, in this process. The worker checks its connection between tasks
    (`close_old_connections`), which drops a connection left outside autocommit — the test's transaction
    on PostgreSQL — so the check is a no-op here."""

    def keep(**kwargs: Any) -> None:
        return None

    monkeypatch.setattr(db_worker, "close_old_connections", keep)
    monkeypatch.setattr(worker, "close_old_connections", keep)
    call_command("worker", "--once", *args, verbosity=0)
