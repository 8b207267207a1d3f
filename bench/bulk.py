"""`filon.platform.bulk.rows_update` against Django's `bulk_update`: rows per second, SQLite or PostgreSQL.

    python bench/bulk.py --rows 20000 --database sqlite|postgres

Builds the close benchmark's portfolio of `--rows` loans (`bench/close.py`, same databases), then updates
six columns of every loan as the daily close does — three amounts, a date, a number, a code — in batches
of 5,000 rows, each way three times in turn (each run in a transaction rolled back afterwards, so every
run starts from the same table). Prints the best run of each, in rows per second.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import close as close_bench  # the close benchmark's database and portfolio

BATCH = 5000
COLUMNS = (
    "accrued_interest",
    "accrued_moratorium",
    "principal_balance",
    "accrued_through",
    "days_past_due",
    "classification",
)


def main() -> None:
    parser = argparse.ArgumentParser(description="Actualización masiva: filas por segundo.")
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = close_bench._database(args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "filon.settings")
    sys.path.insert(0, str(close_bench.ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from filon.core.calendar import today_mx
    from filon.platform.bulk import rows_update
    from filon.servicing.models import Loan

    try:
        call_command("migrate", verbosity=0)
        with transaction.atomic():
            close_bench._portfolio(args.rows, today_mx())
        close_bench._settle(args.database)
        ids = list(Loan.objects.order_by("pk").values_list("pk", flat=True))
        day = today_mx()

        def values(run: int, pk: int) -> tuple[object, ...]:
            cents = Decimal(pk % 9973 + run) / 100
            return (
                cents,
                cents * 2,
                Decimal(1_000_000) + cents,
                day - timedelta(days=run),
                pk % 120,
                "vigente",
            )

        def hand_made(run: int) -> None:
            for first in range(0, len(ids), BATCH):
                rows = [(*values(run, pk), pk) for pk in ids[first : first + BATCH]]
                rows_update(Loan, COLUMNS, rows).run()

        def django_way(run: int) -> None:
            loans = []
            for pk in ids:
                loan = Loan(pk=pk)
                for name, value in zip(COLUMNS, values(run, pk), strict=True):
                    setattr(loan, name, value)
                loans.append(loan)
            Loan.objects.bulk_update(loans, COLUMNS, batch_size=BATCH)

        best = {"rows_update": float("inf"), "bulk_update": float("inf")}
        for run in range(3):
            for name, way in (("rows_update", hand_made), ("bulk_update", django_way)):
                with transaction.atomic():
                    began = time.perf_counter()
                    way(run)
                    best[name] = min(best[name], time.perf_counter() - began)
                    assert Loan.objects.filter(days_past_due=ids[-1] % 120, pk=ids[-1]).exists()
                    transaction.set_rollback(True)
        for name, seconds in best.items():
            print(f"{name}: {len(ids) / seconds:,.0f} filas por segundo ({seconds:.2f} s, {args.database})")
    finally:
        close_bench._drop(args.database)


if __name__ == "__main__":
    main()
