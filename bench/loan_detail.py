"""The loan detail page, its statement and the loan API under load: p50/p95/p99 with 20 concurrent clients.

    python bench/loan_detail.py --database sqlite|postgres [--pg-database NAME] [--years 10] [--loans 200]
        [--clients 20] [--seconds 20] [--warmup 3] [--pause MS] [--workers N] [--profile]
        [--server asgi|wsgi] [--quiet] [--keep] [--reuse]

Builds a fresh database (SQLite: var/bench-loan.sqlite3; PostgreSQL: `filon_bench_loan` on 127.0.0.1:5432,
or the name given with `--pg-database`, user postgres, dropped and recreated) through the real services,
with the clock frozen (time_machine) and moved along business day by business day: the offices, the demo's
logins (`demo_cast_create`), the illustrative sample rates plus an illustrative TIIE 28 and FIX history for the years before the sample, and one
refaccionario of a Zacatecas applicant (12 M MXN, 120 monthly installments, 12 of grace, TIIE 28) contracted
`--years` before TODAY and disbursed that day — originated through every service (applicant, file,
guarantee, requirements, committee resolution, contract) —, paid on every payable date before TODAY
(`payment_apply`), with a daily close (`close_day`) on every business day through TODAY: its ledger has the
real volume, an accrual entry a day and a payment a month. `--loans` other loans (Zacatecas and Hermosillo, refaccionario
and avío, 24 to 84 months) are originated along the way in the same way; most pay on time, one in ten stops
paying after a year (moratorium, cartera vencida). The build time is reported, split into origination,
payments and closes.

Then it starts the production server configuration (`filon serve`: gunicorn, DEBUG off, its default
workers, or `--workers`) on a free loopback port, logs the Zacatecas analyst in through the login form (CSRF) once per client,
creates an API token, and per target drives `--clients` clients at once with wrk (a load generator in C, from
Debian: `make bench-deps`; one connection and one thread per client, each with its own session cookie, or
the token), `--warmup` seconds untimed and then `--seconds` seconds measured, back to back (or `--pause` ms
apart): the loan page (`web:loan`), the statement page and `GET /api/v1/loans/{id}`. Per target: requests,
errors (any status but 200, any socket error), p50/p95/p99 in ms (wrk's latency histogram), requests per
second, the machine's load average before and after (a shared machine's figures mean little without it) and
the verdict on the target at the 95th percentile: 50 ms for the loan page and the API, 100 ms for the
statement. A target that misses it (every target with
`--profile`) is then profiled in this process: one request through Django's test client, its queries grouped
by shape with their time, and the project's functions and all functions by time. `--keep` keeps the database
and `--reuse` measures a kept one again without rebuilding it. `--server wsgi` serves with gunicorn's sync
workers on filon.wsgi instead of `filon serve`, to compare the two.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import logging
import math
import os
import platform
import pstats
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
SQLITE_FILE = VAR / "bench-loan.sqlite3"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_NAME = "filon_bench_loan"
TODAY = date(2026, 11, 13)  # a Friday; the illustrative sample rates run through 31/12/2026
TARGET_MS = 100.0
PROFILE_ROUNDS = 10
ANALYST = "analista.zac"
BUILD_USERS = ("analista.zac", "gerente.zac", "analista.hmo", "gerente.hmo", "juridico", "secretario")
HISTORY_START = date(2010, 1, 4)  # the illustrative TIIE 28 and FIX history starts here; the sample in 2024
SAMPLE_START = date(2024, 1, 1)
MAIN_AMOUNT = Decimal("12000000")


# ------------------------------------------------------------------------------------------ database


@dataclass(frozen=True)
class Work:
    """The run's own files beside its database (one directory per database kind, so that a SQLite and a
    PostgreSQL run can go at once): uploads, collected static files, the rule-set copy, the server log."""

    kind: str

    @property
    def root(self) -> Path:
        return VAR / f"bench-loan-{self.kind}"

    @property
    def media(self) -> Path:
        return self.root / "media"

    @property
    def static(self) -> Path:
        return self.root / "static"

    @property
    def log(self) -> Path:
        return self.root / "server.log"


def _database(kind: str, *, fresh: bool, pg_name: str) -> str:
    if kind == "sqlite":
        VAR.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            if fresh:
                Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{SQLITE_FILE}"
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", pg_name):
        raise SystemExit(f"--pg-database {pg_name!r}: use minúsculas, dígitos y guion bajo.")
    if not fresh:
        return f"{PG_SERVER}/{pg_name}"
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {pg_name}")
    return f"{PG_SERVER}/{pg_name}"


def _drop(kind: str, work: Work, pg_name: str) -> None:
    from django.db import connections

    connections.close_all()
    shutil.rmtree(work.root, ignore_errors=True)
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")


def _settle(kind: str) -> None:
    """Statistics and a checkpoint, as a database in service has them (see bench/close.py)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if kind == "postgres":
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("CHECKPOINT")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# ------------------------------------------------------------------------------------------ the build


def _history_csv(code: str) -> io.StringIO:
    """An illustrative series for the years before the shipped sample: TIIE 28 drifting between 4 % and
    11.5 %, FIX between 17 and 21 pesos, two observations a month (the sample's own spacing for TIIE 28)."""
    lines = [
        "# MUESTRA ILUSTRATIVA — no son datos oficiales; historia inventada para el banco de pruebas.",
        "date,value",
    ]
    day, step = HISTORY_START, 0
    while day < SAMPLE_START:
        for dom in (2, 16):
            when = day.replace(day=dom)
            if code == "TIIE28":
                value = Decimal(400 + (step * 53) % 750) / Decimal(10_000)
            else:
                value = Decimal(1700 + (step * 37) % 400) / Decimal(100)
            lines.append(f"{when.isoformat()},{value}")
            step += 1
        day = (day.replace(day=28) + timedelta(days=5)).replace(day=1)
    return io.StringIO("\n".join(lines) + "\n")


@dataclass
class Office:
    analyst: Any
    manager: Any
    state: str
    municipality: str


@dataclass
class Plan:
    """One loan to originate on `day`: what it is and how its borrower pays."""

    n: int
    day: date
    office: str
    credit_type: str
    amount: Decimal
    term: int
    grace: int
    stops_after: int | None  # installments paid before the borrower stops paying, None: always pays


@dataclass
class Build:
    loans: int = 0
    payments: int = 0
    closes: int = 0
    origination_s: float = 0.0
    payments_s: float = 0.0
    closes_s: float = 0.0
    main_loan_id: int = 0
    main_file_id: int = 0
    stops: dict[int, int | None] = field(default_factory=dict)
    paid: dict[int, int] = field(default_factory=dict)


def _business_on_or_after(day: date) -> date:
    from filon.core.calendar import is_business_day

    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def _plans(count: int, first: date, last: date) -> list[Plan]:
    span = (last - first).days
    plans = []
    for n in range(count):
        day = _business_on_or_after(first + timedelta(days=(n + 1) * span // (count + 1)))
        avio = n % 3 == 2
        plans.append(
            Plan(
                n=n,
                day=min(day, last),
                office="HMO" if n % 4 == 3 else "ZAC",
                credit_type="habilitacion_avio" if avio else "refaccionario",
                amount=Decimal(2_000_000 + (n * 7919) % 10 * 1_000_000),
                term=(24, 36)[n % 2] if avio else (36, 60, 84)[n % 3],
                grace=6 if avio else 12,
                stops_after=12 if n % 10 == 9 else None,
            )
        )
    return plans


def _originate(
    *, n: int, office: Office, users: dict[str, Any], credit_type: str, amount: Decimal, term: int, grace: int
) -> tuple[Any, Any]:
    """A credit file from a new applicant to a disbursed loan, through every origination service (the
    scenario builder's walk, filon.demo.scenarios)."""
    from filon.applicants.services import ApplicantData
    from filon.core.calendar import today_mx
    from filon.demo.scenarios import Crew, loan_originate
    from filon.origination.services import GuaranteeData, ProposalData

    today = today_mx()
    letters = "".join("ABCDEFGHJKLMNPRSTUVWXYZ"[(n // 23**k) % 23] for k in range(3))
    name = f"Minera {letters} {n:03d}, S.A. de C.V."
    crew = Crew(
        analyst=office.analyst, manager=office.manager, legal=users["juridico"], secretary=users["secretario"]
    )
    return loan_originate(
        crew=crew,
        applicant=ApplicantData(
            person_type="moral",
            name=name,
            rfc=f"{letters}120315AB4",
            state=office.state,
            municipality=office.municipality,
            activity=21,
            mining_class="concesible",
            employees=45,
            equity_mxn=Decimal("30000000"),
            annual_gross_income_mxn=Decimal("150000000"),
            production_tons_month=Decimal("2000"),
            years_of_sales=Decimal("6"),
            primary_extraction=True,
        ),
        proposal=ProposalData(
            program="primer_piso",
            credit_type=credit_type,
            currency="MXN",
            amount=amount,
            investment_program=amount + Decimal("2000000"),
            term_months=term,
            grace_months=grace,
        ),
        guarantees=[
            GuaranteeData(
                type="hipoteca_industrial",
                owner=name,
                description=f"Nave industrial en {office.municipality}",
                value=amount * 3,
                appraisal_date=today - timedelta(days=30),
                appraiser="Valuadores del Centro",
            )
        ],
        on=today,
        conditions="Seguro de la nave a favor del FIFOMI",
        disburse=amount,
    )


def _pay_due(day: date, offices: dict[str, Office], build: Build) -> None:
    """Every borrower who pays settles what is payable on `day`: the installments whose payable date it is
    and anything left over from before, plus moratorium, by the payments service."""
    from django.db.models import Sum

    from filon.servicing.models import Installment, InstallmentStatus, Loan, LoanStatus
    from filon.servicing.payments import payment_apply

    unpaid = (InstallmentStatus.PENDING, InstallmentStatus.DUE, InstallmentStatus.OVERDUE)
    loan_ids = set(
        Installment.objects.filter(version__active=True, payable=day, status__in=unpaid).values_list(
            "loan_id", flat=True
        )
    )
    for loan in Loan.objects.filter(pk__in=loan_ids, status=LoanStatus.ACTIVE).select_related("office"):
        stops = build.stops.get(loan.pk)
        if stops is not None and build.paid.get(loan.pk, 0) >= stops:
            continue
        owed = Installment.objects.filter(
            loan=loan, version__active=True, payable__lte=day, status__in=unpaid
        ).aggregate(
            principal=Sum("principal"),
            principal_paid=Sum("principal_paid"),
            interest=Sum("interest"),
            interest_paid=Sum("interest_paid"),
            moratorium=Sum("moratorium_accrued"),
            moratorium_paid=Sum("moratorium_paid"),
        )
        amount = (
            owed["principal"]
            - owed["principal_paid"]
            + owed["interest"]
            - owed["interest_paid"]
            + owed["moratorium"]
            - owed["moratorium_paid"]
        )
        if amount <= 0:
            continue
        payment_apply(
            user=offices[loan.office.code].analyst,
            loan=loan,
            amount=amount,
            value_date=day,
            idempotency_key=f"bench-{loan.pk}-{day.isoformat()}",
        )
        build.paid[loan.pk] = build.paid.get(loan.pk, 0) + 1
        build.payments += 1


def _build(*, years: int, loans: int, quiet: bool) -> Build:
    """The whole history, day by day under a frozen clock; returns what was built and how long it took."""
    import time_machine

    from filon.core.calendar import MEXICO_CITY, add_months, is_business_day
    from filon.demo.scenarios import demo_cast_create
    from filon.marketdata.models import Observation
    from filon.marketdata.services import observations_import_csv, sample_load
    from filon.servicing.close import close_day

    build = Build()
    contract = _business_on_or_after(add_months(TODAY, -12 * years))
    plans = _plans(loans, contract + timedelta(days=1), TODAY - timedelta(days=30))
    by_day: dict[date, list[Plan]] = {}
    for plan in plans:
        by_day.setdefault(plan.day, []).append(plan)

    def at(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, 10, 0, tzinfo=MEXICO_CITY)

    with time_machine.travel(at(contract), tick=False) as clock:
        sample_load()
        for code in ("TIIE28", "FIX"):
            observations_import_csv(series=code, file=_history_csv(code), source=Observation.Source.SAMPLE)
        users = demo_cast_create(only=BUILD_USERS)  # the offices and the demo's logins
        offices = {
            "ZAC": Office(users["analista.zac"], users["gerente.zac"], "ZAC", "Fresnillo"),
            "HMO": Office(users["analista.hmo"], users["gerente.hmo"], "SON", "Cananea"),
        }
        began = time.perf_counter()
        day = contract
        last_report = time.perf_counter()
        while day <= TODAY:
            if not is_business_day(day):
                day += timedelta(days=1)
                continue
            clock.move_to(at(day))
            started = time.perf_counter()
            if day == contract:
                file, loan = _originate(
                    n=0,
                    office=offices["ZAC"],
                    users=users,
                    credit_type="refaccionario",
                    amount=MAIN_AMOUNT,
                    term=120,
                    grace=12,
                )
                build.main_loan_id, build.main_file_id = loan.pk, file.pk
                build.loans += 1
            for plan in by_day.get(day, []):
                _, loan = _originate(
                    n=plan.n + 1,
                    office=offices[plan.office],
                    users=users,
                    credit_type=plan.credit_type,
                    amount=plan.amount,
                    term=plan.term,
                    grace=plan.grace,
                )
                build.stops[loan.pk] = plan.stops_after
                build.loans += 1
            originated = time.perf_counter()
            build.origination_s += originated - started
            if day < TODAY:  # TODAY's installments are due at its close, not yet paid: the loan stays active
                _pay_due(day, offices, build)
            paid = time.perf_counter()
            build.payments_s += paid - originated
            close_day(business_date=day)
            build.closes += 1
            build.closes_s += time.perf_counter() - paid
            if not quiet and time.perf_counter() - last_report > 30:
                last_report = time.perf_counter()
                print(
                    f"  … {day:%d/%m/%Y}: {build.loans} créditos, {build.payments:,} pagos, "
                    f"{build.closes:,} cierres ({time.perf_counter() - began:,.0f} s)",
                    flush=True,
                )
            day += timedelta(days=1)
    return build


def _volume() -> dict[str, int]:
    from filon.audit.models import AuditRecord
    from filon.ledger.models import JournalEntry, Posting
    from filon.servicing.models import Installment, Loan, Payment

    return {
        "créditos": Loan.objects.count(),
        "amortizaciones": Installment.objects.count(),
        "pagos": Payment.objects.count(),
        "pólizas": JournalEntry.objects.count(),
        "movimientos contables": Posting.objects.count(),
        "registros de auditoría": AuditRecord.objects.count(),
    }


# ----------------------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _default_workers() -> int:
    return (os.cpu_count() or 1) + 1  # as `filon serve`


def _serve(
    database_url: str, port: int, work: Work, options: list[str], *, wsgi: bool = False
) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        FILON_SECURE_COOKIES="0",
        FILON_DEBUG="0",
        FILON_MEDIA_ROOT=str(work.media),
        FILON_STATIC_ROOT=str(work.static),
        PYTHONPATH=str(ROOT / "src"),  # the code this script runs, whatever the environment installed
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = work.log.open("wb")
    command = [
        str(Path(sys.executable).parent / "filon"),
        "serve",
        "--address",
        f"127.0.0.1:{port}",
        *options,
    ]
    if wsgi:  # for comparison: gunicorn's sync workers on filon.wsgi, one request at a time per process
        workers = (
            options[options.index("--workers") + 1] if "--workers" in options else str(_default_workers())
        )
        env["DJANGO_SETTINGS_MODULE"] = "filon.settings"
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "filon.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            workers,
            "--access-logfile",
            "-",
            "--no-control-socket",
        ]
    return subprocess.Popen(
        command,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        start_new_session=True,
    )


def _wait(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    import httpx

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            if httpx.get(f"{base}/entrar/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
    raise SystemExit(f"El servidor no respondió en {base}:\n{tail}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    import signal

    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _workers(log: Path) -> str:
    """How `filon serve` runs gunicorn: its worker class and how many worker processes (from its log)."""
    text = log.read_text(encoding="utf-8", errors="replace")
    booted = len(re.findall(r"Booting worker with pid", text))
    kind = re.search(r"Using worker: ([\w.]+)", text)
    return f"gunicorn, {booted} procesos «{kind.group(1) if kind else '?'}»"


# ----------------------------------------------------------------------------------------- the clients


def _login(base: str, password: str) -> Any:
    """An httpx.Client with the analyst's session, through the login form and its CSRF token."""
    import httpx

    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/entrar/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if page.status_code != 200 or token is None:
        raise SystemExit(f"El formulario de entrada respondió {page.status_code} sin token CSRF.")
    answer = client.post(
        "/entrar/",
        data={"username": ANALYST, "password": password, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{base}/entrar/"},
    )
    if answer.status_code != 302 or "sessionid" not in client.cookies:
        raise SystemExit(f"No se pudo entrar como {ANALYST}: respuesta {answer.status_code}.")
    return client


# The load generator is wrk (C, from Debian: `make bench-deps`), one connection per client, each on its own
# thread with its own header (a session cookie, or the API token): the clients take a small share of the two
# cores, which a client in Python took from the server it measured.
LOAD_SCRIPT = """
-- Written by bench/loan_detail.py. Each connection (one per thread) sends its client's header and waits
-- PAUSE ms between requests. wrk counts the answers of status 400 and above; a redirect (to the login
-- page, say) would show as responses shorter than the page, which bench/loan_detail.py checks.
local lines = {}
for line in io.lines(HEADERS) do lines[#lines + 1] = line end
local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("mine", lines[(#threads - 1) % #lines + 1])
end
function init(args)
  local name, value = mine:match("^([^:]+):%s*(.*)$")
  wrk.headers[name] = value
end
function delay()
  return PAUSE
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.3f, "bytes": %d, "socket_errors": %d, "not_200": %d, ' ..
    '"p50": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}\\n',
    summary.requests, summary.duration / 1e6, summary.bytes, e.connect + e.read + e.write + e.timeout,
    e.status, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean))
end
"""


@dataclass
class Result:
    name: str
    path: str
    requests: int
    seconds: float
    socket_errors: int
    not_200: int
    p50: float  # ms
    p95: float
    p99: float
    max: float
    mean: float
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 1-minute load average before and after the run
    cpu_ms: float = 0.0  # the server's processes' CPU time (user and system) per request, in ms
    target_ms: float = TARGET_MS

    @property
    def errors(self) -> int:
        return self.socket_errors + self.not_200


def _server_cpu_seconds(group: int) -> float:
    """The CPU time (user and system) that the processes of the server's process group have used so far.
    Beside the latency, which a shared machine's other work moves, what each request costs the server."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[2]) == group:  # the process group, after state and parent
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _wrk(
    base: str,
    path: str,
    headers: list[str],
    seconds: float,
    pause_ms: float,
    work: Work,
    page_bytes: int,
    server_group: int = 0,
) -> Result:
    """`len(headers)` clients at once for `seconds`, each with its header, back to back or `pause_ms` apart.
    Every answer must be the page (`page_bytes` long with its headers, as the probe got it): a tenth fewer
    bytes or more than that on the whole count as that many answers that were not it."""
    import json

    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("Falta wrk, el generador de carga: instálelo con «make bench-deps».")
    header_file = work.root / "load-headers.txt"
    header_file.write_text("\n".join(headers) + "\n", encoding="utf-8")
    script = work.root / "load.lua"
    script.write_text(
        f"HEADERS = {json.dumps(str(header_file))}\nPAUSE = {int(pause_ms)}\n" + LOAD_SCRIPT, encoding="utf-8"
    )
    clients = len(headers)
    load_before = os.getloadavg()[0]
    cpu_before = _server_cpu_seconds(server_group) if server_group else 0.0
    command = [wrk, "-t", str(clients), "-c", str(clients), "-d", f"{seconds:g}s", "--timeout", "30s"]
    done = subprocess.run(
        [*command, "-s", str(script), base + path], capture_output=True, text=True, check=False
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk falló ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    figures = json.loads(line.removeprefix("RESULT "))
    ms = {key: figures[key] / 1000 for key in ("p50", "p95", "p99", "max", "mean")}
    requests = figures["requests"]
    not_200 = figures["not_200"]
    if figures["bytes"] < 0.9 * requests * page_bytes:  # headers vary a little (a renewed session's cookie)
        not_200 = max(not_200, math.ceil((requests * page_bytes - figures["bytes"]) / page_bytes))
    load = (load_before, os.getloadavg()[0])
    cpu = (_server_cpu_seconds(server_group) - cpu_before) if server_group else 0.0
    return Result(
        "",
        path,
        requests,
        figures["seconds"],
        figures["socket_errors"],
        not_200,
        **ms,
        load=load,
        cpu_ms=1000 * cpu / max(requests, 1),
    )


PAGE_TARGET_MS = 50.0


def _report(result: Result) -> bool:
    met = result.p95 < result.target_ms and not result.errors
    print(
        f"{result.name} — GET {result.path}\n"
        f"  {result.requests:,} peticiones en {result.seconds:.1f} s, {result.errors} errores "
        f"({result.not_200} respuestas distintas de 200, {result.socket_errors} de conexión); "
        f"p50 {result.p50:.1f} ms, p95 {result.p95:.1f} ms, p99 {result.p99:.1f} ms, "
        f"máx {result.max:.1f} ms, media {result.mean:.1f} ms; "
        f"{result.requests / result.seconds:,.1f} peticiones/s; "
        f"carga de la máquina (uptime, 1 min) {result.load[0]:.2f} antes, {result.load[1]:.2f} después; "
        f"CPU del servidor {result.cpu_ms:.2f} ms por petición\n"
        f"  p95 < {result.target_ms:.0f} ms: {'sí' if met else 'no'}",
        flush=True,
    )
    return met


# ------------------------------------------------------------------------------------------- profiling


def _profile(name: str, path: str, user: Any, token: str | None) -> None:
    """One request through Django's test client in this process: its queries and its hottest code."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    else:
        client.force_login(user)
    client.get(path, headers=headers)  # warm: templates, rule sets, the rate series cache
    # What this process built stays alive; out of the collector's way, as a server process has no such heap
    gc.collect()
    gc.freeze()
    plain = []
    collector = {"ms": 0.0, "runs": 0, "started": 0.0}

    def on_collect(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collector["started"] = time.perf_counter()
        else:
            collector["ms"] += (time.perf_counter() - collector["started"]) * 1000
            collector["runs"] += 1

    gc.callbacks.append(on_collect)
    try:
        for _ in range(PROFILE_ROUNDS):  # without the profiler: the request's own time, and the collector's
            began = time.perf_counter()
            client.get(path, headers=headers)
            plain.append((time.perf_counter() - began) * 1000)
    finally:
        gc.callbacks.remove(on_collect)
    queries: list[tuple[str, float]] = []

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((sql, (time.perf_counter() - began) * 1000))

    profiler = cProfile.Profile()
    with connection.execute_wrapper(timed):
        began = time.perf_counter()
        profiler.enable()
        response = client.get(path, headers=headers)
        profiler.disable()
        elapsed = (time.perf_counter() - began) * 1000
    in_db = sum(ms for _, ms in queries)
    print(
        f"\nPerfil de «{name}» (una petición en proceso, respuesta {response.status_code}, "
        f"{len(response.content):,} bytes): {elapsed:.1f} ms, {len(queries)} consultas, "
        f"{in_db:.1f} ms en la base de datos"
    )
    print(
        f"  Sin perfilador, {PROFILE_ROUNDS} peticiones una tras otra: mediana {statistics.median(plain):.1f} ms, "
        f"mínimo {min(plain):.1f} ms; el recolector de basura corrió {collector['runs']} veces, "
        f"{collector['ms'] / PROFILE_ROUNDS:.1f} ms por petición"
    )
    shapes: dict[str, list[float]] = {}
    for sql, ms in queries:
        shape = re.sub(r"\b\d+\b", "N", re.sub(r"'[^']*'", "'…'", sql))
        shapes.setdefault(shape, []).append(ms)
    print("  Consultas por forma (veces, ms en total):")
    for shape, times in sorted(shapes.items(), key=lambda item: -sum(item[1]))[:8]:
        print(f"    {len(times):>4} × {sum(times):7.1f} ms  {shape[:260]}")
    src = str(ROOT / "src") + os.sep
    for title, order, restriction in (
        ("Código del proyecto por tiempo acumulado", "cumulative", r"filon"),
        ("Funciones con más tiempo propio", "tottime", r"."),
    ):
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats(order).print_stats(restriction, 14)
        rows = [line for line in stream.getvalue().splitlines() if re.match(r"\s+[\d/]+\s+\d", line)]
        print(f"  {title} (llamadas, s propios, s acumulados, función):")
        for line in rows:
            calls, own, _, cumulative, _, where = line.split(None, 5)
            where = where.replace(src, "").replace(str(Path(sys.prefix)) + os.sep, "")
            print(f"    {calls:>10} {own:>7} {cumulative:>7}  {where[-110:]}")


# ------------------------------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description="Detalle de crédito bajo carga: percentiles de latencia.")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--pg-database", default=PG_NAME, help=f"base de PostgreSQL que crea y borra ({PG_NAME})"
    )
    parser.add_argument("--years", type=int, default=10, help="años de historia del crédito (10)")
    parser.add_argument("--loans", type=int, default=200, help="otros créditos en la cartera (200)")
    parser.add_argument("--clients", type=int, default=20, help="clientes concurrentes (20)")
    parser.add_argument("--seconds", type=float, default=20, help="segundos medidos por página (20)")
    parser.add_argument("--warmup", type=float, default=3, help="segundos de calentamiento por página (3)")
    parser.add_argument(
        "--pause", type=float, default=0, help="ms de espera de cada cliente entre peticiones (0: seguidas)"
    )
    parser.add_argument("--workers", type=int, help="procesos de «filon serve» (su valor por omisión)")
    parser.add_argument(
        "--server",
        choices=("asgi", "wsgi"),
        default="asgi",
        help="asgi: «filon serve» (gunicorn con uvicorn); wsgi: gunicorn síncrono sobre filon.wsgi, para comparar",
    )
    parser.add_argument("--keep", action="store_true", help="conserva la base de datos al terminar")
    parser.add_argument("--profile", action="store_true", help="perfila cada página aunque cumpla")
    parser.add_argument("--quiet", action="store_true", help="sin avance durante la construcción")
    parser.add_argument(
        "--reuse", action="store_true", help="mide la base conservada con --keep, sin reconstruirla"
    )
    args = parser.parse_args()
    database_url = _database(args.database, fresh=not args.reuse, pg_name=args.pg_database)
    os.environ["DATABASE_URL"] = database_url
    work = Work(args.database)
    work.root.mkdir(parents=True, exist_ok=True)
    os.environ["FILON_MEDIA_ROOT"] = str(work.media)
    os.environ["FILON_STATIC_ROOT"] = str(work.static)
    # Plain HTTP on the loopback, as the server it starts: no redirect to HTTPS for the profile's test client
    os.environ["FILON_SECURE_COOKIES"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "filon.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.urls import NoReverseMatch, reverse

    from filon.accounts.models import User
    from filon.accounts.services import api_token_create
    from filon.demo.scenarios import DEMO_PASSWORD
    from filon.ledger.models import Posting
    from filon.servicing.models import Installment, Loan, Payment

    logging.getLogger("httpx").setLevel(logging.WARNING)
    server = None
    try:
        if args.reuse:
            build = Build()
            main_loan = Loan.objects.order_by("pk").first()  # the build originates it first
            if main_loan is None:
                raise SystemExit("No hay base conservada: ejecute antes con --keep.")
            build.main_loan_id, build.main_file_id = main_loan.pk, main_loan.file_id or 0
            print(f"Base conservada ({args.database}), sin reconstruir")
        else:
            call_command("migrate", verbosity=0)
            began = time.perf_counter()
            build = _build(years=args.years, loans=args.loans, quiet=args.quiet)
            built_s = time.perf_counter() - began
            _settle(args.database)
            print(
                f"Base construida en {built_s:,.1f} s ({args.database}): {args.years} años de historia, "
                f"{build.loans} créditos originados ({build.origination_s:,.1f} s), {build.payments:,} "
                f"pagos ({build.payments_s:,.1f} s), {build.closes:,} cierres diarios ({build.closes_s:,.1f} s)"
            )
        volume = _volume()
        print("  " + ", ".join(f"{name}: {count:,}" for name, count in volume.items()))
        loan_id = build.main_loan_id

        print(
            f"  crédito medido (id {loan_id}): {Installment.objects.filter(loan_id=loan_id).count()} "
            f"amortizaciones, {Payment.objects.filter(loan_id=loan_id).count()} pagos, "
            f"{Posting.objects.filter(loan_id=loan_id).count():,} movimientos contables"
        )
        analyst = User.objects.get(username=ANALYST)
        _, token = api_token_create(actor=None, user=analyst, name="Banco de pruebas")
        connection.close()

        try:
            loan_path = reverse("web:loan", kwargs={"pk": loan_id})
            loan_name = "Detalle del crédito"
        except NoReverseMatch:
            loan_path = reverse("web:file", kwargs={"pk": build.main_file_id})
            loan_name = "Detalle del expediente (aún no existe la página del crédito «web:loan»)"
        targets = [
            (loan_name, loan_path, False),
            ("Estado de cuenta", f"/creditos/{loan_id}/estado-de-cuenta/", False),
            ("API: crédito", f"/api/v1/loans/{loan_id}", True),
        ]
        # the loan page and the API answer within half the statement's time (issue 14)
        targets_ms = {loan_path: PAGE_TARGET_MS, f"/api/v1/loans/{loan_id}": PAGE_TARGET_MS}

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = _serve(
            database_url,
            port,
            work,
            [
                *(["--workers", str(args.workers)] if args.workers else []),
            ],
            wsgi=args.server == "wsgi",
        )
        _wait(base, server, work.log)
        print(
            f"Máquina: {os.cpu_count()} núcleos, Python {platform.python_version()}, "
            f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else ''}".rstrip()
            + f"; servidor «filon serve» ({_workers(work.log)}) en {base}"
        )
        if args.database == "postgres":
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                print(f"  PostgreSQL {cursor.fetchone()[0]}")
        sessions = [_login(base, DEMO_PASSWORD) for _ in range(args.clients)]
        cookies = [
            "Cookie: " + "; ".join(f"{name}={value}" for name, value in client.cookies.items())
            for client in sessions
        ]
        print(
            f"{args.clients} clientes concurrentes (wrk: una conexión y un hilo por cliente, cada uno con su "
            f"sesión), {args.seconds:g} s medidos por página tras {args.warmup:g} s de calentamiento, "
            + (f"{args.pause:g} ms entre peticiones\n" if args.pause else "sin espera entre peticiones\n")
        )
        missed = []
        for name, path, is_api in targets:
            headers = [f"Authorization: Bearer {token}"] * args.clients if is_api else cookies
            probe = sessions[0].get(path, headers=dict([headers[0].split(": ", 1)]))
            if probe.status_code == 404:
                print(f"{name} — GET {path}: responde 404, aún no existe; se omite.\n")
                continue
            if probe.status_code != 200:
                raise SystemExit(f"{name} — GET {path} respondió {probe.status_code}, no 200.")
            # the page's length on the wire: its body and its headers, as the probe got them
            page_bytes = len(probe.content) + sum(len(k) + len(v) + 4 for k, v in probe.headers.items()) + 17
            _wrk(base, path, headers, args.warmup, args.pause, work, page_bytes)  # warm-up, not counted
            result = _wrk(base, path, headers, args.seconds, args.pause, work, page_bytes, server.pid)
            result.name = name
            result.target_ms = targets_ms.get(path, TARGET_MS)
            if not _report(result) or args.profile:
                missed.append((name, path, is_api))
            print()
        for client in sessions:
            client.close()
        _stop(server)
        server = None
        for name, path, is_api in missed:
            _profile(name, path, analyst, token if is_api else None)
    finally:
        if server is not None:
            _stop(server)
        if not args.keep and not args.reuse:
            _drop(args.database, work, args.pg_database)


if __name__ == "__main__":
    main()
