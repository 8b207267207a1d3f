"""The payoff date of a loan (`Loan.paid_off_on`): set when the loan is closed (liquidado), cleared when a
reversal reopens it. Loans already paid off take the value date of their last applied payment."""

from django.db import migrations, models


def backfill_paid_off_on(apps, schema_editor):
    Loan = apps.get_model("servicing", "Loan")
    Payment = apps.get_model("servicing", "Payment")
    for loan in Loan.objects.filter(status="paid_off", paid_off_on__isnull=True):
        last = (
            Payment.objects.filter(loan=loan, status="applied")
            .order_by("-value_date", "-id")
            .values_list("value_date", flat=True)
            .first()
        )
        loan.paid_off_on = last or loan.accrued_through
        loan.save(update_fields=["paid_off_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("servicing", "0002_loan_revision"),
    ]

    operations = [
        migrations.AddField(
            model_name="loan",
            name="paid_off_on",
            field=models.DateField(
                blank=True,
                help_text="the value date of the payment (or, for a revolving line, the line's expiry) after "
                "which nothing was owed; set with status paid_off and cleared when the loan is reopened",
                null=True,
                verbose_name="liquidado el",
            ),
        ),
        migrations.RunPython(backfill_paid_off_on, migrations.RunPython.noop),
    ]
