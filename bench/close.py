"""How many loans the daily close processes per second, on SQLite or PostgreSQL.

    python bench/close.py --loans 100000 --database sqlite|postgres [--keep] [--check]

Builds a fresh database (SQLite: var/bench/close.sqlite3; PostgreSQL: `filon_bench` on 127.0.0.1:5432,
user postgres, dropped and recreated), migrates it and generates a portfolio as the previous business
day's close left it, set-based (rows inserted in batches: COPY on PostgreSQL, executemany on SQLite):
one office and applicant; N loans of 12 monthly installments disbursed over the last eleven months — 30 %
at a fixed rate, 30 % on TIIE 28, 40 % on TIIE de Fondeo (whose running period is re-priced every day,
C-9) —, 80 % current and the rest with one to four unpaid installments (moratorium, overdue installments,
some crossing 90 days past due). The figures are the engine's: each schedule is built by `schedule_build`
(a floating loan's as projected at disbursement, on a flat base), the interest accrued through the previous
day by the close's `interest_target` and the moratorium by its `moratorium_delta` at the rule set's factor
and the loan's ordinary rate of each day of the delay (`delay_rate_of`, I-8);
their balances posted to the ledger (the ministraciones net of what was
collected, in entries of 1,000 loans); the rate series published through the previous business day. The
database is then settled as one in service would be (VACUUM ANALYZE and a checkpoint on PostgreSQL, a WAL
checkpoint on SQLite).

Then it times ONE `close_day`, on the latest Monday that is a business day (the ordinary close with the
most work: it also accrues the weekend). The last line is the figure: loans per second, and the seconds
the close took. `--check` runs `ledger_check` over every loan afterwards; `--keep` keeps the database.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SQLITE_FILE = ROOT / "var" / "bench" / "close.sqlite3"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_NAME = "filon_bench"
BATCH = 5000
PER_ENTRY = 1000  # SQLite sums amounts as floats: an entry of 200,000 postings can be off by a centavo
TERM = 12
SPREAD = Decimal("0.035")
PROJECTION = Decimal("0.11")  # the flat base the schedules were projected with
FIXED = Decimal("0.12")
NINE_PLACES = Decimal("0.000000001")


def _database(kind: str) -> str:
    if kind == "sqlite":
        SQLITE_FILE.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{SQLITE_FILE}"
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_NAME}")
    return f"{PG_SERVER}/{PG_NAME}"


def _drop(kind: str) -> None:
    from django.db import connections

    connections.close_all()
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")


def _series(prev: date) -> None:
    """TIIE 28 and TIIE de Fondeo, one observation per business day through `prev`, moving every day."""
    from filon.core.calendar import is_business_day
    from filon.marketdata.models import Observation, Series

    rows = []
    for code, base in (("TIIE28", Decimal("0.1050")), ("TIIE_FONDEO", Decimal("0.1030"))):
        series = Series.objects.create(code=code, name=code, unit="tasa")
        day, step = prev - timedelta(days=420), 0
        while day <= prev:
            if is_business_day(day):
                value = base + Decimal((step * 37) % 90) / Decimal(10_000)
                rows.append(Observation(series=series, date=day, value=value, source="csv"))
                step += 1
            day += timedelta(days=1)
    Observation.objects.bulk_create(rows, batch_size=BATCH)


def _load(model: Any, names: Sequence[str], rows: list[tuple[Any, ...]], **constants: Any) -> None:
    """Insert `rows` (values of `names`) into `model`'s table in batches: COPY on PostgreSQL, executemany on
    SQLite. Every other column takes `constants` or its field default, computed once (model instances for
    1.2 million installments would spend minutes in Django's per-value preparation)."""
    from django.db import connection
    from django.utils import timezone

    from filon.centavos import CentavosField, to_centavos

    now = timezone.now()
    money = [i for i, name in enumerate(names) if isinstance(model._meta.get_field(name), CentavosField)]
    if money:  # amounts are stored as integer centavos
        rows = [
            tuple(to_centavos(v) if i in money and v is not None else v for i, v in enumerate(row))
            for row in rows
        ]
    fixed: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.attname in names or (field.primary_key and field.attname not in constants):
            continue
        if field.attname in constants:
            value = constants[field.attname]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        elif field.has_default():
            value = field.get_default()
        else:
            value = None
        if connection.vendor == "sqlite" or isinstance(field, CentavosField):
            value = field.get_db_prep_save(value, connection)
        fixed[field.column] = value
    columns = [model._meta.get_field(name).column for name in names] + list(fixed)
    tail = tuple(fixed.values())
    table = connection.ops.quote_name(model._meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row + tail)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({column_list}) VALUES ({marks})"
            for first in range(0, len(rows), BATCH):
                cursor.executemany(sql, [row + tail for row in rows[first : first + BATCH]])


def _portfolio(count: int, business_date: date) -> None:
    """The loans, schedules, installments and opening ledger entry, as of the previous business day."""
    from django.db import connection
    from django.db.models import Max
    from django.utils import timezone

    from filon.accounts.models import User
    from filon.accounts.services import regional_offices_sync
    from filon.applicants.models import Applicant
    from filon.core.calendar import previous_business_day
    from filon.core.schedule import EqualPrincipal, FixedRate, Schedule, ScheduleTerms, schedule_build
    from filon.ledger import chart
    from filon.ledger.models import JournalEntry, LedgerDay, Posting
    from filon.ledger.services import account_ids
    from filon.rules import load_ruleset_for_date
    from filon.servicing.accrual import InstallmentState, delay_rate_of, interest_target, moratorium_delta
    from filon.servicing.models import Installment, Loan, ScheduleVersion

    prev = previous_business_day(business_date)
    ruleset = load_ruleset_for_date(prev)
    office = {o.code: o for o in regional_offices_sync()}["ZAC"]
    user = User.objects.create_user("bench", password=None, role="analista", office=office)
    applicant = Applicant.objects.create(
        office=office,
        person_type="moral",
        name="Minera de Prueba, S.A. de C.V.",
        rfc="MPR120315AB4",
        state="ZAC",
        municipality="Fresnillo",
        activity=21,
        mining_class="concesible",
        employees=45,
        equity_mxn=Decimal("30000000"),
        created_by=user,
    )
    _series(prev)
    delay_rates = {
        kind: delay_rate_of(
            fixed_rate=FIXED if kind == "fixed" else None,
            base_series="" if kind == "fixed" else kind,
            spread=Decimal(0) if kind == "fixed" else SPREAD,
        )
        for kind in ("fixed", "TIIE28", "TIIE_FONDEO")
    }
    ids = account_ids()
    zero = Decimal(0)
    bank_total = zero
    entry_id = 0
    # the loans share few terms (50 amounts × 330 value dates × 2 rates meet in 1,650 combinations):
    # each schedule is built once by the engine and laid out for every loan with its terms
    schedules: dict[tuple[Decimal, date, Decimal], Schedule] = {}
    loans: list[tuple[Any, ...]] = []
    installments: list[tuple[Any, ...]] = []
    postings: list[tuple[Any, ...]] = []
    for n in range(count):
        loan_id = n + 1
        if n % PER_ENTRY == 0:  # opening balances in entries of PER_ENTRY loans, each against Bancos
            if bank_total:
                postings.append((entry_id, ids[(chart.BANCOS, "MXN")], None, -bank_total))
            bank_total = zero
            entry_id = JournalEntry.objects.create(
                business_date=prev,
                kind="saldos_iniciales",
                description="Saldos iniciales de la cartera de prueba: ministraciones menos cobros",
            ).pk
        kind = "fixed" if n % 10 < 3 else "TIIE28" if n % 10 < 6 else "TIIE_FONDEO"
        value_date = prev - timedelta(days=(n * 7919) % 330)
        amount = Decimal(1_200_000 + (n % 50) * 100_000)
        # a floating loan's schedule as it was projected at disbursement: a flat base plus its spread
        annual = FIXED if kind == "fixed" else PROJECTION + SPREAD
        schedule = schedules.get((amount, value_date, annual))
        if schedule is None:
            schedule = schedules[(amount, value_date, annual)] = schedule_build(
                ScheduleTerms(
                    principal=amount,
                    disbursement_date=value_date,
                    term_months=TERM,
                    grace_months=0,
                    payment_every_months=1,
                    amortization=EqualPrincipal(),
                    rate=FixedRate(annual),
                )
            )
        payable_before = [i for i in schedule.installments if i.payable <= prev]
        share_of_100 = n % 100  # 80 % current; 8 % one installment late, 5 % two, 3 % three, 4 % four
        unpaid = min(sum(share_of_100 >= edge for edge in (80, 88, 93, 96)), len(payable_before))
        paid_count = len(payable_before) - unpaid
        oldest = payable_before[paid_count].payable if unpaid else None
        days_past_due = max((prev - oldest).days, 0) if oldest else 0
        vencida = days_past_due >= 90
        principal_balance, accrued_interest, accrued_moratorium = amount, zero, zero
        for k, row in enumerate(schedule.installments):
            rate = row.rate.quantize(NINE_PLACES)  # as the column stores it
            # a projected base: the periods to come, and TIIE de Fondeo's running one (compounded in arrears)
            projected = kind != "fixed" and (row.start > prev or (kind == "TIIE_FONDEO" and row.due > prev))
            state = InstallmentState(
                0, row.start, row.due, row.payable, rate, row.interest, zero, row.principal, zero
            )
            accrued = interest_target(state, prev)
            paid = k < paid_count
            mora = zero
            if paid:
                principal_balance -= row.principal
                status = "paid"
            else:
                mora = moratorium_delta(
                    state, row.payable, prev, ruleset.rates.moratorium_factor, delay_rates[kind]
                )
                accrued_interest += accrued
                accrued_moratorium += mora
                status = "overdue" if row.payable < prev else "due" if row.payable == prev else "pending"
            installments.append(
                (
                    loan_id,
                    loan_id,
                    k + 1,
                    row.start,
                    row.due,
                    row.payable,
                    rate,
                    projected,
                    row.opening_balance,
                    row.principal,
                    row.interest,
                    row.interest,
                    accrued,
                    mora,
                    row.principal if paid else zero,
                    row.interest if paid else zero,
                    status,
                )
            )
        loans.append(
            (
                loan_id,
                f"BENCH-{loan_id:07d}",
                amount,
                value_date,
                "" if kind == "fixed" else kind,
                zero if kind == "fixed" else SPREAD,
                FIXED if kind == "fixed" else None,
                "vencida" if vencida else "vigente",
                principal_balance,
                accrued_interest,
                accrued_moratorium,
                days_past_due,
                value_date,
                schedule.maturity,
            )
        )
        for code, balance_ in (
            (chart.CARTERA_VENCIDA if vencida else chart.CARTERA_VIGENTE, principal_balance),
            (chart.INTERESES_VENCIDOS if vencida else chart.INTERESES_DEVENGADOS, accrued_interest),
            (chart.INTERESES_MORATORIOS, accrued_moratorium),
        ):
            if balance_:
                postings.append((entry_id, ids[(code, "MXN")], loan_id, balance_))
                bank_total += balance_
    postings.append((entry_id, ids[(chart.BANCOS, "MXN")], None, -bank_total))
    _load(
        Loan,
        (
            "id",
            "number",
            "contracted_amount",
            "contract_date",
            "base_series",
            "spread",
            "fixed_rate",
            "classification",
            "principal_balance",
            "accrued_interest",
            "accrued_moratorium",
            "days_past_due",
            "first_disbursed_on",
            "maturity_date",
        ),
        loans,
        applicant_id=applicant.pk,
        office_id=office.pk,
        program="primer_piso",
        credit_type="habilitacion_avio",
        currency="MXN",
        ruleset_version=ruleset.version,
        moratorium_factor=ruleset.rates.moratorium_factor,
        term_months=TERM,
        status="active",
        accrued_through=prev,
        created_by_id=user.pk,
    )
    _load(
        ScheduleVersion,
        ("id", "loan_id"),
        [(loan[0], loan[0]) for loan in loans],
        number=1,
        reason="Primera ministración",
        active=True,
    )
    _load(
        Installment,
        (
            "version_id",
            "loan_id",
            "number",
            "start",
            "due",
            "payable",
            "rate",
            "projected",
            "opening_balance",
            "principal",
            "interest",
            "projected_interest",
            "interest_accrued",
            "moratorium_accrued",
            "principal_paid",
            "interest_paid",
            "status",
        ),
        installments,
    )
    _load(Posting, ("entry_id", "account_id", "loan_id", "amount"), postings, currency="MXN")
    LedgerDay.objects.create(business_date=prev, closed_at=timezone.now() + timedelta(seconds=1))
    if connection.vendor == "postgresql":  # explicit ids: move the sequences past them
        from django.core.management.color import no_style

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Loan, ScheduleVersion]):
                cursor.execute(sql)
    assert Loan.objects.aggregate(m=Max("id"))["m"] == count


def _settle(kind: str) -> None:
    """What a database in service has and a bulk load has not: statistics, hint bits and the visibility
    map (VACUUM ANALYZE, as autovacuum would), and the load's dirty pages written out (a checkpoint), so
    the timed close does not pay for the setup's I/O."""
    from django.db import connection

    with connection.cursor() as cursor:
        if kind == "postgres":
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("CHECKPOINT")
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def main() -> None:
    parser = argparse.ArgumentParser(description="Cierre diario: créditos por segundo.")
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--keep", action="store_true", help="conserva la base de datos al terminar")
    parser.add_argument("--check", action="store_true", help="verifica la contabilidad al terminar")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = _database(args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "filon.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from filon.core.calendar import is_business_day, today_mx
    from filon.servicing.close import close_day

    try:
        call_command("migrate", verbosity=0)
        business_date = today_mx()  # the latest Monday close: it also accrues the weekend
        while business_date.weekday() != 0 or not is_business_day(business_date):
            business_date -= timedelta(days=1)
        began = time.perf_counter()
        with transaction.atomic():
            _portfolio(args.loans, business_date)
        print(
            f"Cartera de {args.loans:,} créditos generada en {time.perf_counter() - began:.1f} s ({args.database})"
        )
        began = time.perf_counter()
        record = close_day(business_date=business_date)
        elapsed = time.perf_counter() - began
        aging = ", ".join(f"{key}: {bucket['loans']:,}" for key, bucket in record.aging.items())
        print(
            f"Cierre del {business_date:%d/%m/%Y}: {record.loans:,} créditos, "
            f"{record.moved_to_overdue:,} amortizaciones vencidas, {record.reclassified:,} a cartera vencida, "
            f"antigüedad {aging}"
        )
        if args.check:
            from filon.ledger.services import ledger_check
            from filon.servicing.selectors import loan_positions

            breaches = ledger_check(loan_positions=loan_positions())
            print(
                f"Contabilidad: {len(breaches)} diferencias"
                + "".join(f"\n  {b.detail}" for b in breaches[:10])
            )
        print(
            f"{record.loans / elapsed:,.0f} créditos por segundo ({elapsed:.1f} s por cierre, {args.database})"
        )
    finally:
        if not args.keep:
            _drop(args.database)


if __name__ == "__main__":
    main()
