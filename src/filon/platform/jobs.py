"""The jobs the worker can run on a schedule, registered by the apps that own them.

A job is a named unit of unattended work: the nightly close of the previous business day (servicing), the
fetch of the day's rates (marketdata), the notices of new pending items and the obligation reminders
(worklist). The schedule itself — which job runs when — is data kept by `filon.operations`; this module only
names what can be scheduled, so that operations (which runs the worker and shows the schedule) does not have
to import every app that owns a job, and an app low in the layers can offer one without importing operations.

Each app registers its jobs from its `AppConfig.ready()`:

    job_register(Job(code="close", label="Cierre diario", run=close_job))

`run` receives the user the job acts as (the system user of the worker) and returns a short summary for the
run's record (a JSON-able dict). It must be safe to run again after a crash: what it already did is not done
twice (the close is per-date idempotent; notices are unique per user and item).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Job:
    code: str
    """Stable identifier, stored in the schedule (e.g. "close")."""
    label: str
    """Spanish name shown on the operations page (e.g. "Cierre diario")."""
    run: Callable[[Any], dict[str, Any]]
    """Does the work as the given user; returns a summary for the run's record."""
    description: str = ""
    """One sentence for the operations page: what it does and which rule or convention it serves."""


_jobs: dict[str, Job] = {}


def job_register(job: Job) -> None:
    """Offer a job to the schedule. Registering the same code twice with a different job is a programming
    error; registering the same job again (a second `ready()`) is harmless."""
    existing = _jobs.get(job.code)
    if existing is not None and existing != job:
        raise RuntimeError(f"Ya se registró otra tarea con el código «{job.code}».")
    _jobs[job.code] = job


def job_get(code: str) -> Job | None:
    return _jobs.get(code)


def jobs_registered() -> list[Job]:
    """Every job offered, in the order registered."""
    return list(_jobs.values())
