"""Room on every page of the loan and installment tables for the daily close's updates (PostgreSQL).

The close rewrites every active loan row each business day (accrual, `accrued_through`, days past due,
revision mark) and the running installment of each loan. On pages packed full (fillfactor 100, as a
bulk load or a fresh table leaves them) no update can stay on its page, so none is HOT: each writes a new
entry into every index of the table — eight on the loan, five on the installment — for columns none of
which is indexed. Measured on the close benchmark (100,000 loans, a fresh portfolio): 100,000 loan
updates, 0 HOT; ~10 WAL records per loan row and ~7 per installment row, 390 MB of WAL for the two
tables. With half of each loan page free (the previous day's versions are pruned as the next close
reads the page) and a fifth of each installment page free (a page holds the schedules of three or four
loans, of which one or two installments change per close), the updates stay on their page and write no
index entry.

Only pages written from now on take the setting; a table already loaded gets it page by page as rows
move, or at once with `VACUUM FULL`. SQLite has no such setting: nothing to do there.
"""

from django.db import migrations

FILLFACTOR = {"servicing_loan": 50, "servicing_installment": 80}


def _set(apps, schema_editor, *, reset=False):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for table, fillfactor in FILLFACTOR.items():
        if reset:
            schema_editor.execute(f"ALTER TABLE {quote(table)} RESET (fillfactor)")
        else:
            schema_editor.execute(f"ALTER TABLE {quote(table)} SET (fillfactor = {int(fillfactor)})")


def fillfactor_set(apps, schema_editor):  # type: ignore[no-untyped-def]
    _set(apps, schema_editor)


def fillfactor_reset(apps, schema_editor):  # type: ignore[no-untyped-def]
    _set(apps, schema_editor, reset=True)


class Migration(migrations.Migration):
    dependencies = [
        ("servicing", "0004_money_in_centavos"),
    ]

    operations = [migrations.RunPython(fillfactor_set, fillfactor_reset, elidable=False)]
