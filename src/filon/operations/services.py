"""Batch runs of the daily close, of a rate import and of an advance of the business date (training mode),
advanced step by step by the worker (STYLE 9).

A start service checks everything it can up front and fixes the work list: the business dates to close
(`servicing.close.dates_to_close`), or the rows of a CSV parsed and validated whole (`marketdata.services.
parse_csv`: a bad line refuses the import and nothing is stored). Each step claims the run with
`select_for_update`, does one unit of work through the existing service (`close_day`; a chunk of rows through
`observations_store`) and records it, all in one transaction: two tabs polling the same run never do the
same date twice (two workers, or a worker and a resumed task), and a step asked with the state it saw
(`seen`) does nothing when the run has moved on since. A step that fails marks the run failed with the message and its rule; the dates already
closed and the chunks already stored stay. Audit records are written when a run starts and when it ends.

Starting a run enqueues `batch_run_advance` (a django-tasks task, database backend) in the same transaction
that creates the run, so the run exists exactly when its task does. `filon worker` picks the task up and
advances the run to its end, renewing the run's heartbeat at each step; the pages only show the progress.
When a worker dies mid-run its task stays claimed and is never retried by django-tasks, so the worker's
sweep (`runs_resume_stale`) enqueues the run again once its heartbeat is stale: the next step starts where
the last committed one ended, and a date is never closed twice (`close_day` is per-date idempotent).

An advance of the business date (`advance_run_start`, training mode only, `filon.operations.business_date`)
is a close run whose every step also moves the stored business date past the day it closed. `RUN_STEPS`
maps each kind of run to its step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from filon.audit.services import audit_record
from filon.core.calendar import add_business_days, add_months, is_business_day, today_mx
from filon.core.errors import InputError, InputErrors
from filon.errors import DomainError, TransitionRefused, ValidationFailed
from filon.limits import upload_size_error
from filon.marketdata.catalog import series_spec
from filon.marketdata.services import import_latest_date, observations_store, parse_csv
from filon.operations.business_date import business_date_forget, business_date_move, training_mode
from filon.operations.models import ACTIVE, BatchRun, RunKind, RunStatus
from filon.operations.selectors import closing_run_active, run_require_kind
from filon.servicing.close import close_day, dates_to_close, last_close_date

logger = logging.getLogger(__name__)

RATE_CHUNK = 250
"""Rows of a rate import stored per step."""
MARKET_DATA_RULE = "C-10"
"""The convention on market data (CSV import, cached locally) that a rejected file breaks."""


# ------------------------------------------------------------------------------------- daily close


def _busy(active: BatchRun | None, kind: str = RunKind.CLOSE) -> TransitionRefused:
    if active is None:
        return TransitionRefused(
            f"Otro {RunKind(kind).label.lower()} acaba de iniciarse; consulte las operaciones en curso."
        )
    who = active.started_by.get_full_name() or active.started_by.username
    started = timezone.localtime(active.started_at)
    return TransitionRefused(
        f"Ya hay un {active.get_kind_display().lower()} en curso (ejecución {active.pk}, iniciada por {who} "
        f"el {started:%d/%m/%Y} a las {started:%H:%M}): siga su avance en su página; solo se ejecuta un "
        "cierre a la vez.",
        field="through" if kind == RunKind.CLOSE else "to",
    )


def close_run_start(*, user: Any, through: date, enqueue: bool = True) -> BatchRun:
    """Start a daily close through `through`: every business day missed since the last close, in order.
    The worker runs it (`enqueue`; the scheduled close advances the run itself and passes False)."""
    run_require_kind(user, RunKind.CLOSE)
    with transaction.atomic():
        active = closing_run_active()
        if active is not None:
            raise _busy(active)
        if through > today_mx():
            raise TransitionRefused(
                f"No se puede cerrar hasta el {through:%d/%m/%Y}: es una fecha futura.", field="through"
            )
        days = dates_to_close(through)
        if not days:
            last = last_close_date()
            since = f" (último cierre: {last:%d/%m/%Y})" if last else ""
            raise TransitionRefused(
                f"No hay días hábiles por cerrar hasta el {through:%d/%m/%Y}{since}.", field="through"
            )
        try:
            with transaction.atomic():
                run = BatchRun.objects.create(
                    kind=RunKind.CLOSE,
                    started_by=user,
                    params={"through": through.isoformat()},
                    items=[day.isoformat() for day in days],
                    total_steps=len(days),
                )
        except IntegrityError:  # a concurrent start won the race
            raise _busy(closing_run_active()) from None
        audit_record(
            user=user,
            action="operations.close.start",
            obj=run,
            after={"through": through.isoformat(), "dates": run.items},
        )
        if enqueue:
            run_enqueue(run)
    return run


def close_run_step(*, run: BatchRun, user: Any = None, seen: int | None = None) -> BatchRun:
    """Close the run's next business date (one `close_day`). `user` is who advances it (default: who
    started it); `seen`, the steps done the caller saw: when the run has moved on since, nothing is done."""
    return _step(run=run, kind=RunKind.CLOSE, user=user, seen=seen, work=_close_next)


def _close_next(run: BatchRun, actor: Any) -> None:
    day = date.fromisoformat(run.items[run.steps_done])
    try:
        record = close_day(business_date=day, user=actor)
    except DomainError as exc:
        raise _StepFailed(f"No se pudo cerrar el {day:%d/%m/%Y}: {exc.message}", exc.rule) from None
    closes = dict(run.result.get("closes", {}))
    closes[day.isoformat()] = record.pk
    run.result = {**run.result, "closes": closes}
    run.steps_done += 1


# --------------------------------------------------------------------------------------- rate import


def _line_error(error: InputError) -> DomainError:
    where = error.field[:1].upper() + error.field[1:]
    return DomainError(f"{where}: {error.message}", field="file", rule=error.rule or MARKET_DATA_RULE)


def _csv_text(file: Any) -> str:
    size = getattr(file, "size", None)
    too_big = upload_size_error(size) if size is not None else None
    if too_big:
        raise ValidationFailed([DomainError(too_big, field="file")])
    content = file.read() if hasattr(file, "read") else file
    if isinstance(content, bytes):
        try:
            return content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed(
                [
                    DomainError(
                        "El archivo no está en UTF-8: guárdelo como «CSV UTF-8» e impórtelo de nuevo.",
                        field="file",
                        rule=MARKET_DATA_RULE,
                    )
                ]
            ) from None
    return str(content)


def rate_import_start(*, user: Any, series: str, file: Any, chunk: int | None = None) -> BatchRun:
    """Parse and validate a whole `date,value` CSV for `series`, then start storing it in chunks.

    `file` is an uploaded file (bytes, UTF-8) or text. Every bad line is reported at once, naming the line
    and the value at fault (`ValidationFailed`), and nothing is stored."""
    run_require_kind(user, RunKind.RATE_IMPORT)
    try:
        spec = series_spec(series, field="series")
    except InputError as exc:
        raise ValidationFailed([DomainError(exc.message, field="series", rule=MARKET_DATA_RULE)]) from None
    try:
        rows, missing = parse_csv(spec, _csv_text(file), latest=import_latest_date())
    except InputErrors as exc:
        raise ValidationFailed([_line_error(e) for e in exc.errors]) from None
    name = str(getattr(file, "name", "") or "")
    with transaction.atomic():
        run = BatchRun.objects.create(
            kind=RunKind.RATE_IMPORT,
            started_by=user,
            params={"series": spec.code, "file": name, "chunk": chunk or RATE_CHUNK},
            items=[[day.isoformat(), str(value)] for day, value in rows],
            total_steps=len(rows),
            result={"created": 0, "updated": 0, "unchanged": 0, "missing": missing},
        )
        audit_record(
            user=user,
            action="operations.rate_import.start",
            obj=run,
            after={"series": spec.code, "file": name, "rows": len(rows), "missing": missing},
        )
        if not rows:  # only missing values: nothing to store
            _finish(run, user)
        else:
            run_enqueue(run)
    return run


def rate_import_step(*, run: BatchRun, user: Any = None, seen: int | None = None) -> BatchRun:
    """Store the run's next chunk of parsed rows through `observations_store` (see `close_run_step`)."""
    return _step(run=run, kind=RunKind.RATE_IMPORT, user=user, seen=seen, work=_store_next)


def _store_next(run: BatchRun, actor: Any) -> None:
    start = run.steps_done
    chunk = run.items[start : start + int(run.params.get("chunk") or RATE_CHUNK)]
    rows = [(date.fromisoformat(day), Decimal(value)) for day, value in chunk]
    try:
        summary = observations_store(series=run.params["series"], rows=rows, user=actor)
    except (InputError, DomainError) as exc:
        raise _StepFailed(
            f"No se pudieron guardar las observaciones del {rows[0][0]:%d/%m/%Y} al {rows[-1][0]:%d/%m/%Y}: "
            f"{exc.message}",
            exc.rule,
        ) from None
    result = dict(run.result)
    for key in ("created", "updated", "unchanged"):
        result[key] = int(result.get(key, 0)) + getattr(summary, key)
    run.result = result
    run.steps_done += len(rows)


# ------------------------------------------------------------------ advancing the business date

ADVANCE_MAX_DAYS = 366
"""The farthest an advance moves the business date at once: a year of daily closes."""

TRAINING_MODE_OFF = (
    "El modo de capacitación está desactivado: la fecha de negocio es la del calendario y no se puede "
    "adelantar."
)


def advance_target(*, days: int = 0, months: int = 0, to: date | None = None) -> date:
    """Where an advance goes from the current business date: `days` business days later, `months` months
    later (`add_months`), or the date `to`. Exactly one of the three."""
    given = [bool(days), bool(months), to is not None]
    if sum(given) != 1:
        raise ValidationFailed(
            [DomainError("Indique cuánto avanzar: días hábiles, meses o una fecha.", field="to")]
        )
    if days < 0 or months < 0:
        raise ValidationFailed([DomainError("La fecha de negocio solo avanza.", field="to")])
    current = today_mx()
    if days:
        return add_business_days(current, days)
    if months:
        return add_months(current, months)
    assert to is not None
    return to


def _advance_days(current: date, to: date) -> list[date]:
    """The business days an advance to `to` closes: every one not yet closed up to the day before `to` (a
    day is closed after it ends; `to` stays open). With no close yet, from the current business date."""
    through = to - timedelta(days=1)
    if last_close_date() is not None:
        return dates_to_close(through)
    days = []
    day = current
    while day <= through:
        if is_business_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def advance_run_start(*, user: Any, to: date, seen: date | None = None) -> BatchRun:
    """Start moving the business date forward to `to` (training mode only): one step per business day
    between, each closing the day (`close_day`) and moving the business date to the next one, so the date
    moves as the run goes; at the end it is `to`. `seen` is the business date the caller saw: when it has
    moved since (a second click), nothing is started."""
    run_require_kind(user, RunKind.ADVANCE)
    if not training_mode():
        raise TransitionRefused(TRAINING_MODE_OFF, field="to")
    with transaction.atomic():
        active = closing_run_active()
        if active is not None:
            raise _busy(active, RunKind.ADVANCE)
        business_date_forget()  # decide on the stored date, not on this process's cached copy
        current = today_mx()
        if seen is not None and seen != current:
            raise TransitionRefused(
                f"La fecha de negocio ya cambió al {current:%d/%m/%Y} (la página mostraba el "
                f"{seen:%d/%m/%Y}): revise la fecha actual antes de avanzar de nuevo.",
                field="to",
            )
        if to <= current:
            raise TransitionRefused(
                f"La nueva fecha de negocio ({to:%d/%m/%Y}) debe ser posterior a la actual "
                f"({current:%d/%m/%Y}): la fecha de negocio solo avanza.",
                field="to",
            )
        if (to - current).days > ADVANCE_MAX_DAYS:
            raise TransitionRefused(
                f"La fecha de negocio avanza a lo más {ADVANCE_MAX_DAYS} días a la vez; el {to:%d/%m/%Y} "
                f"está a {(to - current).days} días de la actual ({current:%d/%m/%Y}).",
                field="to",
            )
        days = _advance_days(current, to)
        try:
            with transaction.atomic():
                run = BatchRun.objects.create(
                    kind=RunKind.ADVANCE,
                    started_by=user,
                    params={"from": current.isoformat(), "to": to.isoformat()},
                    items=[day.isoformat() for day in days],
                    total_steps=len(days),
                )
        except IntegrityError:  # a concurrent start won the race
            raise _busy(closing_run_active(), RunKind.ADVANCE) from None
        audit_record(
            user=user,
            action="operations.advance.start",
            obj=run,
            after={"from": current.isoformat(), "to": to.isoformat(), "dates": run.items},
        )
        if not days:  # nothing to close in between (a weekend): the date moves at once
            _move_business_date(run, to, user)
            _finish(run, user)
        else:
            run_enqueue(run)
    return run


def advance_run_step(*, run: BatchRun, user: Any = None, seen: int | None = None) -> BatchRun:
    """Close the run's next business day and move the business date past it (see `close_run_step`)."""
    return _step(run=run, kind=RunKind.ADVANCE, user=user, seen=seen, work=_advance_next)


def _move_business_date(run: BatchRun, to: date, actor: Any) -> None:
    if to > today_mx():
        business_date_move(to=to, user=actor, reason=f"Avance de la fecha de negocio (ejecución {run.pk})")
    run.result = {**run.result, "business_date": today_mx().isoformat()}


def _advance_next(run: BatchRun, actor: Any) -> None:
    if not training_mode():
        raise _StepFailed(TRAINING_MODE_OFF)
    business_date_forget()  # another process may have moved the date a moment ago
    day = date.fromisoformat(run.items[run.steps_done])
    _move_business_date(run, day, actor)  # the day being closed is at most the business date
    try:
        record = close_day(business_date=day, user=actor)
    except DomainError as exc:
        raise _StepFailed(f"No se pudo cerrar el {day:%d/%m/%Y}: {exc.message}", exc.rule) from None
    closes = dict(run.result.get("closes", {}))
    closes[day.isoformat()] = record.pk
    run.result = {**run.result, "closes": closes}
    run.steps_done += 1
    following = (
        date.fromisoformat(run.items[run.steps_done])
        if run.steps_done < len(run.items)
        else date.fromisoformat(run.params["to"])
    )
    _move_business_date(run, following, actor)


# ---------------------------------------------------------------------------------------- the steps


class _StepFailed(Exception):
    def __init__(self, message: str, rule: str | None = None) -> None:
        self.message = message
        self.rule = rule or ""
        super().__init__(message)


class RunStep(Protocol):
    def __call__(self, *, run: BatchRun, user: Any = None, seen: int | None = None) -> BatchRun: ...


RUN_STEPS: dict[str, RunStep] = {
    RunKind.CLOSE: close_run_step,
    RunKind.RATE_IMPORT: rate_import_step,
    RunKind.ADVANCE: advance_run_step,
}
"""The step of each kind of run, called as `step(run=, user=, seen=)`. A new kind of long operation adds its
kind to `RunKind`, its start service (which calls `run_enqueue`) and its step here."""


def run_step(*, run: BatchRun, user: Any = None, seen: int | None = None) -> BatchRun:
    """Advance a run of any kind by one step."""
    return RUN_STEPS[run.kind](run=run, user=user, seen=seen)


# ------------------------------------------------------------------------------------- the worker


def run_enqueue(run: BatchRun) -> None:
    """Hand the run to the worker. Called inside the transaction that creates the run: the task row commits
    (or rolls back) with it, so no run waits for a task that was never written."""
    batch_run_advance.enqueue(run.pk)


def run_advance(run_id: int) -> BatchRun:
    """Advance the run step by step to its end (done or failed), as who started it. Each step is its own
    transaction and renews the heartbeat, so a crash loses at most the step in course."""
    BatchRun.objects.filter(pk=run_id, status__in=ACTIVE).update(heartbeat_at=timezone.now())
    run = BatchRun.objects.get(pk=run_id)
    while run.is_active:
        run = run_step(run=run)
    return run


@task()
def batch_run_advance(run_id: int) -> dict[str, Any]:
    """The worker's task for a batch run (`run_advance`)."""
    run = run_advance(run_id)
    return {"run": run.pk, "status": run.status, "steps_done": run.steps_done}


def runs_resume_stale(*, stale_after: timedelta, now: datetime | None = None) -> list[int]:
    """Enqueue again every active run without a heartbeat for `stale_after` (its worker died, or was never
    started: a pending run's start time counts as its first heartbeat). The heartbeat is renewed as the run
    is enqueued, with a compare-and-set, so two sweeping workers enqueue it once."""
    now = now or timezone.now()
    cutoff = now - stale_after
    stale = BatchRun.objects.filter(status__in=ACTIVE).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    resumed = []
    for run_id, beat in stale.values_list("pk", "heartbeat_at"):
        with transaction.atomic():
            if not BatchRun.objects.filter(pk=run_id, status__in=ACTIVE, heartbeat_at=beat).update(
                heartbeat_at=now
            ):
                continue  # another worker resumed it, or it moved on
            batch_run_advance.enqueue(run_id)
        logger.warning("Ejecución %s sin señal desde %s: se reanuda", run_id, beat)
        resumed.append(run_id)
    return resumed


def _step(
    *, run: BatchRun, kind: str, user: Any, seen: int | None, work: Callable[[BatchRun, Any], None]
) -> BatchRun:
    if user is not None:
        run_require_kind(user, kind)
    with transaction.atomic():
        locked = BatchRun.objects.select_for_update().select_related("started_by").get(pk=run.pk)
        if locked.kind != kind:
            raise TransitionRefused(f"La ejecución {locked.pk} no es de {RunKind(kind).label.lower()}.")
        if not locked.is_active or (seen is not None and seen != locked.steps_done):
            return locked  # finished, or another request already did this step
        actor = user if user is not None else locked.started_by
        try:
            work(locked, actor)
        except _StepFailed as exc:
            _fail(locked, actor, exc.message, exc.rule)
            return locked
        except Exception as exc:  # recorded on the run, so that polling stops instead of retrying forever
            logger.exception("Ejecución %s: paso fallido", locked.pk)
            _fail(
                locked,
                actor,
                f"Error inesperado ({type(exc).__name__}); lo ya hecho se conserva. Avise al administrador "
                "del sistema.",
                "",
            )
            return locked
        if locked.steps_done >= locked.total_steps:
            _finish(locked, actor)
        else:
            locked.status = RunStatus.RUNNING
            locked.heartbeat_at = timezone.now()
            locked.save(update_fields=["steps_done", "status", "result", "heartbeat_at"])
    return locked


def _finish(run: BatchRun, actor: Any) -> None:
    run.status = RunStatus.DONE
    run.finished_at = run.heartbeat_at = timezone.now()
    run.save(update_fields=["steps_done", "status", "result", "finished_at", "heartbeat_at"])
    audit_record(
        user=actor,
        action=f"operations.{run.kind}.finish",
        obj=run,
        after={"status": run.status, "steps_done": run.steps_done, "result": run.result},
    )


def _fail(run: BatchRun, actor: Any, message: str, rule: str) -> None:
    run.status = RunStatus.FAILED
    run.error = message
    run.error_rule = rule
    run.finished_at = run.heartbeat_at = timezone.now()
    run.save(update_fields=["status", "error", "error_rule", "finished_at", "heartbeat_at"])
    audit_record(
        user=actor,
        action=f"operations.{run.kind}.finish",
        obj=run,
        after={"status": run.status, "steps_done": run.steps_done, "error": message, "rule": rule},
    )
