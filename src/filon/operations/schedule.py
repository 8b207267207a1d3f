"""The worker's schedule: which registered job (`filon.platform.jobs`) runs when, and each run's record.

A `ScheduledJob` row says when a job is due: a daily time in Mexico City, or every N minutes from midnight;
on business days only, or every day. Each due moment is a *slot*. The worker's tick (`schedule_tick`) takes,
for every enabled job, its latest slot not in the future and creates its `JobRun` — unique per (job, slot),
so two workers, or a worker restarted within the same slot, run it once — enqueuing the task that executes
it in the same transaction. A worker off for days runs only the latest slot of each job: the jobs catch up by
themselves (the close closes every business day missed; the rates fetch asks for the last days).

A run whose worker died stays `running`; the sweep (`job_runs_resume_stale`) puts it back in the queue once
it is older than the stale threshold, up to `MAX_ATTEMPTS` times, then records it failed. Jobs are written to
be run again (`filon.platform.jobs`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from filon.accounts.access import require_role
from filon.accounts.models import Role, User
from filon.audit.services import audit_record
from filon.core.calendar import MEXICO_CITY, is_business_day
from filon.errors import DomainError, NotFound, TransitionRefused, ValidationFailed
from filon.operations.models import JobRun, JobStatus, RunStatus, ScheduledJob
from filon.operations.selectors import close_run_active, require_operations_access, run_progress
from filon.operations.services import close_run_start, run_advance
from filon.platform.jobs import Job, job_get, jobs_registered
from filon.servicing.close import close_default_date

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
"""Executions of one run before a crash-interrupted run is recorded failed instead of queued again."""

SCHEDULE_ROLES = (Role.ADMINISTRADOR,)
"""Who changes the schedule and asks for a run now: the administrador operates the system's scheduled
processes (see `operations.models.CLOSE_ROLES`)."""

WORKER_USERNAME = "sistema.tareas"
"""The user the worker acts as in the jobs it runs (audit records, the scheduled close's run). It cannot log
in (no usable password)."""


@dataclass(frozen=True)
class When:
    daily_at: time | None = None
    every_minutes: int | None = None
    business_days_only: bool = True


DEFAULT_WHEN: dict[str, When] = {
    # The close of the previous business day, after midnight: the day has ended.
    "close": When(daily_at=time(0, 30)),
    # Banxico publishes the FIX about 12:00 and the TIIE about 12:30 (Mexico City) on business days.
    "rates": When(daily_at=time(13, 30)),
    "notices": When(every_minutes=5, business_days_only=False),
    "reminders": When(daily_at=time(8, 0)),
}
"""The schedule a job gets when it first appears; any other job runs daily at 06:00 on business days."""
FALLBACK_WHEN = When(daily_at=time(6, 0))


# ------------------------------------------------------------------------------------------ slots


def _local(moment: datetime) -> datetime:
    return moment.astimezone(MEXICO_CITY)


def _daily(day: Any, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=MEXICO_CITY)


def slot_latest(job: ScheduledJob, now: datetime) -> datetime | None:
    """The job's latest due moment on or before `now` (None when it has none: every N minutes, on a day that
    is not a business day)."""
    local = _local(now)
    if job.every_minutes:
        if job.business_days_only and not is_business_day(local.date()):
            return None
        midnight = _daily(local.date(), time(0, 0))
        minutes = int((local - midnight).total_seconds() // 60)
        return midnight + timedelta(minutes=minutes - minutes % job.every_minutes)
    assert job.daily_at is not None
    day = local.date()
    for _ in range(30):
        slot = _daily(day, job.daily_at)
        if slot <= local and (not job.business_days_only or is_business_day(day)):
            return slot
        day -= timedelta(days=1)
    return None


def slot_next(job: ScheduledJob, now: datetime) -> datetime | None:
    """The job's next due moment after `now`."""
    local = _local(now)
    if job.every_minutes:
        midnight = _daily(local.date(), time(0, 0))
        for days in range(30):
            start = midnight + timedelta(days=days)
            if job.business_days_only and not is_business_day(start.date()):
                continue
            if days:
                return start
            minutes = int((local - midnight).total_seconds() // 60)
            slot = midnight + timedelta(minutes=minutes - minutes % job.every_minutes + job.every_minutes)
            if slot.date() == local.date():
                return slot
        return None
    assert job.daily_at is not None
    day = local.date()
    for _ in range(30):
        slot = _daily(day, job.daily_at)
        if slot > local and (not job.business_days_only or is_business_day(day)):
            return slot
        day += timedelta(days=1)
    return None


def when_text(job: ScheduledJob) -> str:
    """«Diario a las 00:30, días hábiles» / «Cada 5 minutos, todos los días»."""
    days = "días hábiles" if job.business_days_only else "todos los días"
    if job.every_minutes:
        every = "Cada minuto" if job.every_minutes == 1 else f"Cada {job.every_minutes} minutos"
        return f"{every}, {days}"
    assert job.daily_at is not None
    return f"Diario a las {job.daily_at:%H:%M}, {days}"


# --------------------------------------------------------------------------------------- the rows


def _default_row(job: Job) -> ScheduledJob:
    when = DEFAULT_WHEN.get(job.code, FALLBACK_WHEN)
    return ScheduledJob(
        code=job.code,
        daily_at=when.daily_at,
        every_minutes=when.every_minutes,
        business_days_only=when.business_days_only,
    )


def schedule_ensure() -> list[ScheduledJob]:
    """A schedule row for every registered job (its default when it first appears), in registration order.
    Idempotent: an existing row — the administrator's choice — is never changed."""
    rows = {row.code: row for row in ScheduledJob.objects.all()}
    for job in jobs_registered():
        if job.code not in rows:
            row = _default_row(job)
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:  # another worker created it first
                row = ScheduledJob.objects.get(code=job.code)
            rows[job.code] = row
    return [rows[job.code] for job in jobs_registered()]


def worker_user() -> User:
    """The user the worker acts as (created on first use)."""
    user = User.objects.filter(username=WORKER_USERNAME).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            user = User(
                username=WORKER_USERNAME,
                first_name="Proceso",
                last_name="automático",
                role=Role.ADMINISTRADOR,
            )
            user.set_unusable_password()
            user.save()
    except IntegrityError:
        user = User.objects.get(username=WORKER_USERNAME)
    return user


# -------------------------------------------------------------------------------- ticks and runs


def _job_run_create(*, code: str, slot: datetime, manual: bool = False, user: Any = None) -> JobRun | None:
    try:
        with transaction.atomic():
            run = JobRun.objects.create(code=code, slot=slot, manual=manual, requested_by=user)
            job_run_execute.enqueue(run.pk)
    except IntegrityError:  # the slot is taken: another worker, or this one before a restart
        return None
    return run


def schedule_tick(now: datetime | None = None) -> list[JobRun]:
    """Create (and enqueue) the run of every enabled job whose latest slot has no run yet."""
    now = now or timezone.now()
    created = []
    for row in schedule_ensure():
        if not row.enabled or job_get(row.code) is None:
            continue
        slot = slot_latest(row, now)
        if slot is None or JobRun.objects.filter(code=row.code, slot=slot).exists():
            continue
        run = _job_run_create(code=row.code, slot=slot)
        if run is not None:
            created.append(run)
    return created


def _summary_text(result: Any) -> str:
    if isinstance(result, dict):
        if "resumen" in result:
            return str(result["resumen"])
        return "; ".join(f"{key}: {value}" for key, value in result.items())
    return "" if result is None else str(result)


def job_run_execute_now(job_run_id: int) -> JobRun:
    """Execute one job run, if it is still waiting: claim it, run its job as the worker's user, record the
    result (or the error) and the time it took."""
    with transaction.atomic():
        run = JobRun.objects.select_for_update().filter(pk=job_run_id).first()
        if run is None or run.status != JobStatus.PENDING:
            return run  # type: ignore[return-value]  # done, or another worker has it
        run.status = JobStatus.RUNNING
        run.started_at = timezone.now()
        run.finished_at = None
        run.attempts += 1
        run.save(update_fields=["status", "started_at", "finished_at", "attempts"])
    job = job_get(run.code)
    status, result, error = JobStatus.DONE, {}, ""
    if job is None:
        status, error = JobStatus.FAILED, f"La tarea «{run.code}» ya no está registrada en esta versión."
    else:
        try:
            result = job.run(worker_user()) or {}
        except DomainError as exc:
            status, error = JobStatus.FAILED, exc.message + (f" ({exc.rule})" if exc.rule else "")
        except Exception as exc:
            logger.exception("Tarea %s (ejecución %s) fallida", run.code, run.pk)
            status, error = JobStatus.FAILED, f"Error inesperado ({type(exc).__name__}): {exc}"[:2000]
    run.status, run.result, run.error, run.finished_at = status, result, error, timezone.now()
    run.save(update_fields=["status", "result", "error", "finished_at"])
    return run


@task()
def job_run_execute(job_run_id: int) -> dict[str, Any]:
    """The worker's task for a job run (`job_run_execute_now`)."""
    run = job_run_execute_now(job_run_id)
    return {"job_run": job_run_id, "status": run.status if run else None}


def job_runs_resume_stale(*, stale_after: timedelta, now: datetime | None = None) -> list[int]:
    """Queue again the runs a dead worker left: `running` since before the stale threshold, or still waiting
    long after they were queued (a worker claimed the task and died before starting the run); after
    `MAX_ATTEMPTS` executions, record the run failed instead. Each change is a compare-and-set, so two
    sweeping workers queue a run once."""
    now = now or timezone.now()
    cutoff = now - stale_after
    resumed = []
    stale = JobRun.objects.filter(
        Q(status=JobStatus.RUNNING, started_at__lt=cutoff)
        | Q(status=JobStatus.PENDING, enqueued_at__lt=cutoff)
    )
    for run in stale:
        again = run.status == JobStatus.PENDING or run.attempts < MAX_ATTEMPTS
        changes: dict[str, Any] = (
            {"status": JobStatus.PENDING, "enqueued_at": now}
            if again
            else {
                "status": JobStatus.FAILED,
                "finished_at": now,
                "error": f"Interrumpida {run.attempts} veces: el proceso de fondo se detuvo antes de terminar.",
            }
        )
        with transaction.atomic():
            claimed = JobRun.objects.filter(
                pk=run.pk, status=run.status, started_at=run.started_at, enqueued_at=run.enqueued_at
            ).update(**changes)
            if not claimed:
                continue
            if again:
                job_run_execute.enqueue(run.pk)
                resumed.append(run.pk)
        logger.warning("Ejecución de tarea %s (%s) interrumpida: %s", run.pk, run.code, changes["status"])
    return resumed


# ----------------------------------------------------------------------------- the administrator


def schedule_require_role(user: Any) -> None:
    require_role(user, SCHEDULE_ROLES, "cambiar las tareas programadas")


def schedule_row_for_code(code: str) -> ScheduledJob:
    for row in schedule_ensure():
        if row.code == code:
            return row
    raise NotFound("No existe esa tarea programada.")


def _snapshot(row: ScheduledJob) -> dict[str, Any]:
    return {
        "enabled": row.enabled,
        "daily_at": row.daily_at.strftime("%H:%M") if row.daily_at else None,
        "every_minutes": row.every_minutes,
        "business_days_only": row.business_days_only,
    }


def schedule_update(
    *,
    user: Any,
    code: str,
    enabled: bool,
    daily_at: time | None,
    every_minutes: int | None,
    business_days_only: bool,
) -> ScheduledJob:
    """Change when a job runs (or turn it on or off); audited with the before and after."""
    schedule_require_role(user)
    errors = []
    if daily_at is None and not every_minutes:
        errors.append(
            DomainError("Indique la hora diaria o cada cuántos minutos se ejecuta.", field="daily_at")
        )
    if daily_at is not None and every_minutes:
        errors.append(
            DomainError("Indique la hora diaria o cada cuántos minutos, no ambas.", field="every_minutes")
        )
    if every_minutes is not None and not 1 <= every_minutes <= 24 * 60:
        errors.append(DomainError("Cada cuántos minutos: entre 1 y 1440.", field="every_minutes"))
    if errors:
        raise ValidationFailed(errors)
    schedule_row_for_code(code)
    with transaction.atomic():
        row = ScheduledJob.objects.select_for_update().get(code=code)
        before = _snapshot(row)
        row.enabled, row.daily_at, row.every_minutes = enabled, daily_at, every_minutes or None
        row.business_days_only = business_days_only
        row.save()
        audit_record(
            user=user, action="operations.schedule.update", obj=row, before=before, after=_snapshot(row)
        )
    return row


def job_run_request(*, user: Any, code: str) -> JobRun:
    """«Ejecutar ahora»: one run of the job, queued for the worker; audited."""
    schedule_require_role(user)
    schedule_row_for_code(code)
    if JobRun.objects.filter(code=code, status__in=(JobStatus.PENDING, JobStatus.RUNNING)).exists():
        raise TransitionRefused("Esa tarea ya está en espera o en proceso; espere a que termine.")
    with transaction.atomic():
        run = _job_run_create(code=code, slot=timezone.now(), manual=True, user=user)
        if run is None:
            raise TransitionRefused("Esa tarea acaba de pedirse; espere a que termine.")
        audit_record(user=user, action="operations.schedule.run_now", obj=run, after={"code": code})
    return run


# ------------------------------------------------------------------------------ the close job


def close_job(user: Any) -> dict[str, Any]:
    """The nightly close: every business day missed through the previous business day
    (`servicing.close.close_default_date`), as a close run advanced here to its end. A close already in
    course (started from the page, or by a run of this job a crash interrupted) is continued instead."""
    run = close_run_active()
    if run is None:
        try:
            run = close_run_start(user=user, through=close_default_date(), enqueue=False)
        except TransitionRefused as exc:
            return {"resumen": exc.message}
    run = run_advance(run.pk)
    if run.status == RunStatus.FAILED:
        raise DomainError(f"Ejecución {run.pk}: {run.error}", rule=run.error_rule or None)
    return {"resumen": run_progress(run), "ejecucion": run.pk}


CLOSE_JOB = Job(
    code="close",
    label="Cierre diario",
    run=close_job,
    description="Cierra, en orden, los días hábiles pendientes hasta el día hábil anterior: devenga intereses, "
    "vence amortizaciones y clasifica la cartera.",
)


# ----------------------------------------------------------------------------------- what is shown


@dataclass(frozen=True)
class ScheduleLine:
    job: Job
    row: ScheduledJob
    when: str
    next_at: datetime | None
    last: JobRun | None

    @property
    def last_summary(self) -> str:
        if self.last is None:
            return ""
        return self.last.error or _summary_text(self.last.result)


def schedule_overview(*, user: Any, now: datetime | None = None) -> list[ScheduleLine]:
    """Every registered job with its schedule, next run and last run (for the operations page)."""
    require_operations_access(user)
    now = now or timezone.now()
    lines = []
    for row in schedule_ensure():
        job = job_get(row.code)
        assert job is not None
        last = JobRun.objects.filter(code=row.code).order_by("-slot", "-id").first()
        lines.append(
            ScheduleLine(job, row, when_text(row), slot_next(row, now) if row.enabled else None, last)
        )
    return lines


def job_runs_recent(*, user: Any, limit: int = 30) -> list[tuple[JobRun, str, str]]:
    """The latest job runs, each with its job's label and its summary."""
    require_operations_access(user)
    labels = {job.code: job.label for job in jobs_registered()}
    runs = JobRun.objects.select_related("requested_by").order_by("-slot", "-id")[:limit]
    return [(run, labels.get(run.code, run.code), run.error or _summary_text(run.result)) for run in runs]


def can_schedule(user: Any) -> bool:
    return getattr(user, "role", None) in SCHEDULE_ROLES
