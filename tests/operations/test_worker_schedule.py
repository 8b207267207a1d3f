"""The worker's schedule: slots, one run per (job, slot), the close and rates jobs, the sweep, and the
operations page where the administrador changes a job's time and asks for a run now.

"Today" is frozen on Wednesday 01/07/2026 at 01:00 in Mexico City: the close's 00:30 slot of today is due,
the rates' 13:30 slot of today is not (its latest is Tuesday's).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from filon.accounts.models import User
from filon.audit.models import AuditRecord
from filon.core.calendar import MEXICO_CITY
from filon.errors import Forbidden, TransitionRefused, ValidationFailed
from filon.ledger.services import ledger_check
from filon.marketdata.jobs import RATES_JOB
from filon.operations.models import BatchRun, JobRun, JobStatus, RunStatus, ScheduledJob
from filon.operations.schedule import (
    CLOSE_JOB,
    MAX_ATTEMPTS,
    job_run_execute_now,
    job_run_request,
    job_runs_resume_stale,
    schedule_ensure,
    schedule_tick,
    schedule_update,
    slot_latest,
    slot_next,
    when_text,
)
from filon.operations.services import close_run_start, runs_resume_stale
from filon.platform.jobs import job_get, jobs_registered
from filon.servicing.close import close_day
from filon.servicing.models import DailyClose
from filon.servicing.selectors import loan_positions
from operations.worker_support import worker_once
from servicing.test_close import bare_loan
from web.web_support import login

NOW = datetime(2026, 7, 1, 1, 0, tzinfo=MEXICO_CITY)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MEXICO_CITY)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin(cast):
    return User.objects.create_user("admin.sistema", password="clave-de-prueba-123", role="administrador")


# ------------------------------------------------------------------------------------------ slots


def test_daily_slots_skip_the_days_that_are_not_business_days():
    job = ScheduledJob(code="close", daily_at=time(0, 30), business_days_only=True)
    monday_night = at(date(2026, 7, 6), 0, 10)  # before Monday's slot: the latest is Friday's
    assert slot_latest(job, monday_night) == at(date(2026, 7, 3), 0, 30)
    assert slot_next(job, monday_night) == at(date(2026, 7, 6), 0, 30)
    saturday = at(date(2026, 7, 4), 12)
    assert slot_next(job, saturday) == at(date(2026, 7, 6), 0, 30)
    job.business_days_only = False
    assert slot_latest(job, saturday) == at(date(2026, 7, 4), 0, 30)
    assert when_text(job) == "Diario a las 00:30, todos los días"


def test_every_n_minutes_slots_count_from_midnight():
    job = ScheduledJob(code="avisos", every_minutes=5, business_days_only=False)
    now = at(date(2026, 7, 4), 10, 7)
    assert slot_latest(job, now) == at(date(2026, 7, 4), 10, 5)
    assert slot_next(job, now) == at(date(2026, 7, 4), 10, 10)
    assert slot_next(job, at(date(2026, 7, 4), 23, 58)) == at(date(2026, 7, 5), 0, 0)
    job.business_days_only = True
    assert slot_latest(job, now) is None  # a Saturday
    assert slot_next(job, now) == at(date(2026, 7, 6), 0, 0)
    assert when_text(job) == "Cada 5 minutos, días hábiles"


# ------------------------------------------------------------------------------ ticks and the jobs


@pytest.mark.django_db
def test_every_registered_job_gets_a_schedule_and_each_slot_runs_once(frozen, cast):
    assert job_get("close") is CLOSE_JOB  # registered by operations' ready()
    assert job_get("rates") is RATES_JOB  # by marketdata's
    rows = schedule_ensure()
    assert [row.code for row in rows] == [job.code for job in jobs_registered()]
    assert {"close", "rates"} <= {row.code for row in rows}
    close = ScheduledJob.objects.get(code="close")
    assert (close.daily_at, close.business_days_only, close.enabled) == (time(0, 30), True, True)

    created = schedule_tick()
    by_code = {run.code: run for run in created}
    assert by_code["close"].slot == at(date(2026, 7, 1), 0, 30)
    assert by_code["rates"].slot == at(date(2026, 6, 30), 13, 30)  # today's is not due yet
    assert DBTaskResult.objects.count() == len(created)  # each run enqueued with it
    assert schedule_tick() == []  # the same slots: nothing new
    ScheduledJob.objects.filter(code="rates").update(enabled=False)
    with time_machine.travel(at(date(2026, 7, 2), 14), tick=False):
        assert [run.code for run in schedule_tick() if run.code in ("close", "rates")] == ["close"]
    schedule_ensure()  # idempotent: the administrator's choice stays
    assert not ScheduledJob.objects.get(code="rates").enabled


@pytest.mark.django_db
def test_the_worker_runs_the_nightly_close_unattended(frozen, cast, applicant, monkeypatch):
    monkeypatch.delenv("BANXICO_TOKEN", raising=False)
    bare_loan(cast, applicant, number="CR-SCH-1", value_date=date(2026, 6, 1))
    close_day(business_date=date(2026, 6, 25))
    schedule_ensure()
    ScheduledJob.objects.exclude(code__in=("close", "rates")).update(enabled=False)  # other apps' jobs

    worker_once(monkeypatch)

    closed = list(DailyClose.objects.order_by("business_date").values_list("business_date", flat=True))
    assert closed == [date(2026, 6, 25), date(2026, 6, 26), date(2026, 6, 29), date(2026, 6, 30)]
    assert ledger_check(loan_positions=loan_positions()) == []
    close = JobRun.objects.get(code="close")
    assert close.status == JobStatus.DONE
    assert close.result["resumen"] == "Cierre terminado — 3 de 3 días cerrados"
    run = BatchRun.objects.get(pk=close.result["ejecucion"])
    assert (run.status, run.started_by.username) == (RunStatus.DONE, "sistema.tareas")
    assert not run.started_by.has_usable_password()
    rates = JobRun.objects.get(code="rates")
    assert rates.status == JobStatus.DONE
    assert rates.result == {"resumen": "Sin token configurado (BANXICO_TOKEN): no se descargó nada."}
    assert close.seconds is not None
    assert close.seconds >= 0

    # later the same night: the slot has its run; the next night closes the next day
    with time_machine.travel(at(date(2026, 7, 1), 0, 45), tick=False):
        worker_once(monkeypatch)
    assert JobRun.objects.filter(code="close").count() == 1  # the same slot: not run again
    with time_machine.travel(at(date(2026, 7, 2), 0, 45), tick=False):
        worker_once(monkeypatch)
    latest = JobRun.objects.filter(code="close").order_by("-slot").first()
    assert latest is not None
    assert latest.status == JobStatus.DONE
    assert "Cierre terminado — 1 de 1 día" in latest.result["resumen"]  # 01/07 closed on the 2nd


@pytest.mark.django_db
def test_a_failing_job_is_recorded_with_its_message(frozen, cast, monkeypatch):
    from filon.marketdata import jobs
    from filon.marketdata.services import ImportSummary

    monkeypatch.setenv("BANXICO_TOKEN", "token-de-prueba")
    asked = []

    def fetched(**kwargs):
        asked.append(kwargs)
        return [ImportSummary("FIX", 2, 0, 0, 0, date(2026, 6, 29), date(2026, 6, 30))]

    monkeypatch.setattr(jobs, "observations_fetch_banxico", fetched)
    admin = User.objects.create_user("adm", role="administrador")
    run = job_run_execute_now(job_run_request(user=admin, code="rates").pk)
    assert run.status == JobStatus.DONE
    assert run.result == {
        "resumen": "FIX: 2 nuevas, 0 actualizadas, 0 sin cambio, 0 sin dato del 29/06/2026 al 30/06/2026"
    }
    assert (asked[0]["start"], asked[0]["end"], asked[0]["token"]) == (
        date(2026, 6, 24),
        date(2026, 7, 1),
        "token-de-prueba",
    )
    assert "FIX" in asked[0]["series_codes"]

    def refused(**kwargs):
        raise RuntimeError("Banxico no respondió")

    monkeypatch.setattr(jobs, "observations_fetch_banxico", refused)
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        run = job_run_execute_now(job_run_request(user=admin, code="rates").pk)
    assert run.status == JobStatus.FAILED
    assert run.error == "Error inesperado (RuntimeError): Banxico no respondió"
    assert job_run_execute_now(run.pk).status == JobStatus.FAILED  # not pending: not run again


# ------------------------------------------------------------------------------------- the sweep


@pytest.mark.django_db
def test_the_sweep_requeues_work_left_by_a_dead_worker(cast, applicant, monkeypatch):
    bare_loan(cast, applicant, number="CR-SCH-2", value_date=date(2026, 1, 15))
    close_day(business_date=date(2026, 3, 2))
    run = close_run_start(user=cast.omar, through=date(2026, 3, 5))
    DBTaskResult.objects.all().delete()
    stale = timedelta(minutes=10)
    assert runs_resume_stale(stale_after=stale) == []  # just started: not stale
    later = timezone.now() + timedelta(minutes=11)
    assert runs_resume_stale(stale_after=stale, now=later) == [run.pk]
    assert runs_resume_stale(stale_after=stale, now=later) == []  # its heartbeat was renewed
    assert DBTaskResult.objects.get().args_kwargs["args"] == [run.pk]
    worker_once(monkeypatch, "--no-schedule")
    run.refresh_from_db()
    assert (run.status, run.steps_done) == (RunStatus.DONE, 3)

    job_run = JobRun.objects.create(
        code="rates", slot=timezone.now(), status=JobStatus.RUNNING, started_at=timezone.now(), attempts=1
    )
    assert job_runs_resume_stale(stale_after=stale) == []
    assert job_runs_resume_stale(stale_after=stale, now=later) == [job_run.pk]
    job_run.refresh_from_db()
    assert job_run.status == JobStatus.PENDING
    JobRun.objects.filter(pk=job_run.pk).update(status=JobStatus.RUNNING, attempts=MAX_ATTEMPTS)
    assert job_runs_resume_stale(stale_after=stale, now=later + stale * 2) == []
    job_run.refresh_from_db()
    assert job_run.status == JobStatus.FAILED
    assert job_run.error.startswith(f"Interrumpida {MAX_ATTEMPTS} veces")

    # a run whose task a worker claimed and died with, before the run started
    waiting = JobRun.objects.create(code="close", slot=timezone.now())
    assert job_runs_resume_stale(stale_after=stale) == []
    assert job_runs_resume_stale(stale_after=stale, now=later) == [waiting.pk]
    assert job_runs_resume_stale(stale_after=stale, now=later) == []  # queued again just now


# -------------------------------------------------------------------------------------- the page


@pytest.mark.django_db
def test_the_operations_page_shows_the_schedule_and_the_administrador_changes_it(frozen, cast, admin):
    page = login(cast.omar).get(reverse("web:operations")).content.decode()
    assert "Tareas programadas" in page
    assert "Cierre diario" in page
    assert "Diario a las 00:30, días hábiles" in page
    assert "02/07/2026 00:30" in page  # the next close
    assert "Ejecutar ahora" not in page  # dirección sees it, the administrador runs it
    edit = reverse("web:schedule_edit", args=["close"])
    assert login(cast.omar).get(edit).status_code == 403
    assert login(cast.omar).post(reverse("web:job_run_now", args=["close"])).status_code == 403
    assert login(cast.ana).get(reverse("web:operations")).status_code == 403

    client = login(admin)
    assert "Ejecutar ahora" in client.get(reverse("web:operations")).content.decode()
    assert client.get(edit).status_code == 200
    both = client.post(edit, {"enabled": "on", "daily_at": "01:15", "every_minutes": "5"})
    assert both.status_code == 422
    assert "no ambas" in both.content.decode()
    response = client.post(edit, {"enabled": "on", "daily_at": "01:15", "business_days_only": "on"})
    assert response.status_code == 302
    row = ScheduledJob.objects.get(code="close")
    assert (row.daily_at, row.enabled) == (time(1, 15), True)
    record = AuditRecord.objects.get(action="operations.schedule.update")
    assert (record.before, record.after) == ({"daily_at": "00:30"}, {"daily_at": "01:15"})
    client.post(edit, {"daily_at": "01:15", "business_days_only": "on"})  # turned off
    assert not ScheduledJob.objects.get(code="close").enabled
    assert "Desactivada" in client.get(reverse("web:operations")).content.decode()
    assert client.get(reverse("web:schedule_edit", args=["no-existe"])).status_code == 404
    with pytest.raises(ValidationFailed):
        schedule_update(
            user=admin, code="close", enabled=True, daily_at=None, every_minutes=None, business_days_only=True
        )
    with pytest.raises(Forbidden):
        job_run_request(user=cast.omar, code="close")

    response = client.post(reverse("web:job_run_now", args=["rates"]))
    assert response.status_code == 302
    run = JobRun.objects.get(code="rates")
    assert (run.manual, run.requested_by, run.status) == (True, admin, JobStatus.PENDING)
    assert DBTaskResult.objects.get().args_kwargs["args"] == [run.pk]
    assert AuditRecord.objects.filter(action="operations.schedule.run_now").count() == 1
    with pytest.raises(TransitionRefused, match="ya está en espera"):
        job_run_request(user=admin, code="rates")
    job_run_execute_now(run.pk)
    page = client.get(reverse("web:operations")).content.decode()
    assert "Sin token configurado" in page
    assert "a petición de" in page
