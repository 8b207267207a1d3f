"""Reads of batch runs, scoped by role (STYLE 6): a user sees the runs of the operations its role may run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from filon.accounts.access import require_role
from filon.errors import NotFound
from filon.ledger.models import JournalEntry
from filon.operations.models import ACTIVE, RUN_ACTIONS, RUN_ROLES, BatchRun, RunKind, RunStatus
from filon.servicing.close import ACCRUAL_KIND, TO_VENCIDA_KIND, TO_VIGENTE_KIND
from filon.servicing.models import DailyClose

CLOSE_ENTRY_KINDS = (ACCRUAL_KIND, TO_VENCIDA_KIND, TO_VIGENTE_KIND)


def run_kinds_for_user(user: Any) -> list[str]:
    """The kinds of run `user`'s role may start and follow."""
    role = getattr(user, "role", None)
    return [kind for kind, roles in RUN_ROLES.items() if role in roles]


def run_require_kind(user: Any, kind: str) -> None:
    require_role(user, RUN_ROLES[kind], RUN_ACTIONS[kind])


def _require_some_kind(user: Any) -> None:
    roles = {role for roles in RUN_ROLES.values() for role in roles}
    require_role(user, roles, "ejecutar operaciones por lotes")


def require_operations_access(user: Any) -> None:
    """The operations page (runs, the worker's schedule) is for the roles that run some kind of operation."""
    _require_some_kind(user)


def run_list_for_user(*, user: Any) -> QuerySet[BatchRun]:
    _require_some_kind(user)
    return BatchRun.objects.filter(kind__in=run_kinds_for_user(user)).select_related("started_by")


def run_get_for_user(*, user: Any, run_id: int) -> BatchRun:
    """The run, for a role that may run its kind (403 otherwise; 404 when there is no such run)."""
    _require_some_kind(user)
    run = BatchRun.objects.select_related("started_by").filter(pk=run_id).first()
    if run is None:
        raise NotFound("No existe esa ejecución.")
    run_require_kind(user, run.kind)
    return run


def close_run_active() -> BatchRun | None:
    """The daily close in course, if any (at most one: a database constraint keeps it so)."""
    return BatchRun.objects.select_related("started_by").filter(kind=RunKind.CLOSE, status__in=ACTIVE).first()


CLOSING_KINDS = (RunKind.CLOSE, RunKind.ADVANCE)
"""The runs that close business days: one of them at a time."""


def closing_run_active() -> BatchRun | None:
    """The daily close or advance of the business date in course, if any."""
    return (
        BatchRun.objects.select_related("started_by")
        .filter(kind__in=CLOSING_KINDS, status__in=ACTIVE)
        .order_by("started_at", "id")
        .first()
    )


# -------------------------------------------------------------------------------------- page text


def _days(n: int) -> str:
    return f"{n:,} día" if n == 1 else f"{n:,} días"


def run_next_date(run: BatchRun) -> date | None:
    if run.kind not in CLOSING_KINDS or run.steps_done >= len(run.items):
        return None
    return date.fromisoformat(run.items[run.steps_done])


def run_progress(run: BatchRun) -> str:
    """One Spanish line on where the run stands: «Cerrando 14/03/2026 — 3 de 10 días»."""
    done, total = run.steps_done, run.total_steps
    if run.kind == RunKind.CLOSE:
        day = run_next_date(run)
        if run.status == RunStatus.DONE:
            return f"Cierre terminado — {done:,} de {_days(total)} cerrados"
        if run.status == RunStatus.FAILED:
            where = f" en el {day:%d/%m/%Y}" if day else ""
            return f"Cierre detenido{where} — {done:,} de {_days(total)} cerrados"
        assert day is not None
        return f"Cerrando {day:%d/%m/%Y} — {done + 1:,} de {_days(total)}"
    if run.kind == RunKind.ADVANCE:
        day = run_next_date(run)
        target = date.fromisoformat(run.params["to"])
        if run.status == RunStatus.DONE:
            return f"Fecha de negocio movida al {target:%d/%m/%Y} — {done:,} de {_days(total)} cerrados"
        if run.status == RunStatus.FAILED:
            where = f" en el {day:%d/%m/%Y}" if day else ""
            return f"Avance detenido{where} — {done:,} de {_days(total)} cerrados"
        if day is None:
            return f"Moviendo la fecha de negocio al {target:%d/%m/%Y}"
        return f"Cerrando {day:%d/%m/%Y} — {done + 1:,} de {_days(total)} (hasta el {target:%d/%m/%Y})"
    series = run.params.get("series", "")
    if run.status == RunStatus.DONE:
        return f"Importación de {series} terminada — {done:,} de {total:,} observaciones"
    if run.status == RunStatus.FAILED:
        return f"Importación de {series} detenida — {done:,} de {total:,} observaciones guardadas"
    return f"Importando {series} — {done:,} de {total:,} observaciones guardadas"


SILENT_AFTER = timedelta(minutes=2)
"""A run in course with no heartbeat for this long is shown as waiting for the worker."""


def run_worker_note(run: BatchRun, now: datetime | None = None) -> str:
    """What the page says of the worker while the run is in course: not taken yet, or silent for a while."""
    if not run.is_active:
        return ""
    if run.heartbeat_at is None:
        return "En espera del proceso de fondo: empieza en cuanto lo tome (filon worker)."
    if (now or timezone.now()) - run.heartbeat_at > SILENT_AFTER:
        since = timezone.localtime(run.heartbeat_at)
        return (
            f"Sin señal del proceso de fondo desde el {since:%d/%m/%Y} a las {since:%H:%M}: al reanudarse, "
            "continúa donde quedó."
        )
    return ""


@dataclass(frozen=True)
class CloseDay:
    record: DailyClose
    entries: int


def close_run_days(run: BatchRun) -> list[CloseDay]:
    """The closes a run has done so far, each with the journal entries the close posted on its date
    (accrual, transfers to and from cartera vencida)."""
    if run.kind not in CLOSING_KINDS or not run.steps_done:
        return []
    closed = [date.fromisoformat(day) for day in run.items[: run.steps_done]]
    entries = dict(
        JournalEntry.objects.filter(business_date__in=closed, kind__in=CLOSE_ENTRY_KINDS)
        .order_by()
        .values_list("business_date")
        .annotate(n=Count("id"))
    )
    return [
        CloseDay(record, entries.get(record.business_date, 0))
        for record in DailyClose.objects.filter(business_date__in=closed).order_by("business_date")
    ]
