"""Money is exact on both databases: amounts are kept as integer centavos, so what is stored is what was
entered and what SQL sums is the exact sum; an amount no credit of the Rules can reach is refused with a
Spanish error naming the field and citing the rule that sets the ceiling."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum

from filon.errors import DomainError, ValidationFailed
from filon.ledger.models import Posting
from filon.ledger.services import Line, entry_post, ledger_check, trial_balance
from filon.rules import load_ruleset_for_date
from filon.servicing.models import Loan
from filon.servicing.selectors import loan_positions

pytestmark = [pytest.mark.security, pytest.mark.django_db]

START = date(2026, 2, 3)
OLD_FAILURE = Decimal("99999999999999.99")  # stored as …98 on SQLite before amounts were centavos


def ceiling() -> Decimal:
    return load_ruleset_for_date(START).currencies.amount_ceiling.max_amount


def the_error(error: DomainError) -> DomainError:
    """The one error refused (a ValidationFailed carries its field errors)."""
    if isinstance(error, ValidationFailed):
        assert len(error.errors) == 1, error.errors
        return error.errors[0]
    return error


def make_loan(user, office, amount: Decimal, number: str = "CR-EXACTO-1") -> Loan:
    from conftest import applicant_data
    from filon.applicants.services import applicant_create

    applicant = applicant_create(user=user, data=applicant_data()).obj
    ruleset = load_ruleset_for_date(START)
    return Loan.objects.create(
        number=number,
        applicant=applicant,
        office=office,
        program="primer_piso",
        credit_type="habilitacion_avio",
        currency="MXN",
        ruleset_version=ruleset.version,
        contracted_amount=amount,
        contract_date=START,
        fixed_rate=Decimal("0.12"),
        moratorium_factor=ruleset.rates.moratorium_factor,
        term_months=12,
        is_revolving=False,
        created_by=user,
    )


def test_the_ceiling_is_rule_data_far_above_the_group_cap():
    ruleset = load_ruleset_for_date(START)
    limit = ruleset.currencies.amount_ceiling
    assert limit.rule == ruleset.currencies.rule == "9.2.2"
    # Far above the USD 5 M group cap at any exchange rate a peso has seen (FIX < 100 MXN/USD)
    assert limit.max_amount > ruleset.currencies.group_cap_usd * 100
    # 100,000 loans at the ceiling, summed in centavos, fit a signed 64-bit integer many times over
    assert limit.max_amount * 100 * 1_000_000 < 2**63


@pytest.mark.parametrize("field", ["amount"])
def test_a_payment_beyond_the_ceiling_is_refused_naming_the_field(cast, field):
    from filon.servicing.payments import payment_apply

    loan = make_loan(cast.ana, cast.zac, Decimal("1000000"))
    with pytest.raises(DomainError) as refused:
        payment_apply(
            user=cast.ana, loan=loan, amount=OLD_FAILURE, value_date=START, idempotency_key="grande"
        )
    error = the_error(refused.value)
    assert error.field == field
    assert error.rule == "9.2.2"
    assert "importe" in error.message
    assert "máximo" in error.message
    assert not loan.payments.exists()


def test_a_disbursement_beyond_the_ceiling_is_refused(cast):
    from filon.demo.scenarios import loan_disburse

    loan = make_loan(cast.ana, cast.zac, Decimal("1000000"))
    with pytest.raises(DomainError) as refused:
        loan_disburse(
            captured_by=cast.ana,
            released_by=cast.gerardo,
            loan=loan,
            amount=ceiling() + Decimal("0.01"),
            value_date=START,
        )
    error = the_error(refused.value)
    assert (error.field, error.rule) == ("amount", "9.2.2")


@pytest.mark.parametrize(
    "amount",
    ["0.29", "0.01", "1234567.89", "99999999.99", "9999999999.99", "CEILING", "CEILING-0.01"],
)
def test_amounts_round_trip_exactly(cast, amount):
    if amount.startswith("CEILING"):
        value = ceiling() - (Decimal("0.01") if amount.endswith("0.01") else 0)
    else:
        value = Decimal(amount)
    loan = make_loan(cast.ana, cast.zac, value)
    stored = Loan.objects.get(pk=loan.pk)
    assert stored.contracted_amount == value
    assert stored.contracted_amount.as_tuple().exponent == -2
    assert Loan.objects.filter(contracted_amount=value).count() == 1
    entry = entry_post(
        kind="prueba",
        business_date=START,
        description="Importe exacto",
        lines=[Line("1301", value, "MXN", None), Line("1101", -value, "MXN", None)],
        user=cast.ana,
    )
    amounts = sorted(entry.postings.values_list("amount", flat=True))
    assert amounts == [-value, value]
    assert Posting.objects.filter(entry=entry, amount__gt=0).aggregate(t=Sum("amount"))["t"] == value


def test_sums_of_many_large_amounts_are_exact(cast):
    """Ten thousand postings near the ceiling, every one with centavos: SQL's sum is Python's sum."""
    from filon.ledger.models import JournalEntry
    from filon.ledger.services import account_ids

    top = ceiling()
    values = [top - Decimal(n * 7919 % 100_000) / 100 - Decimal("0.01") * (n % 97) for n in range(10_000)]
    entry = JournalEntry.objects.create(business_date=START, kind="prueba", description="Suma exacta")
    ids = account_ids()
    Posting.objects.bulk_create(
        [
            Posting(entry=entry, account_id=ids[(code, "MXN")], currency="MXN", amount=sign * v)
            for v in values
            for code, sign in (("1301", 1), ("1101", -1))
        ]
    )
    expected = sum(values)
    total = Posting.objects.filter(entry=entry, amount__gt=0).aggregate(t=Sum("amount"))["t"]
    assert total == expected
    assert trial_balance()[("1301", "MXN")] == expected
    assert trial_balance()[("1101", "MXN")] == -expected
    assert ledger_check() == []


def test_a_disbursement_and_payment_at_large_amounts_keep_the_books(cast):
    import time_machine

    from filon.core.calendar import MEXICO_CITY
    from filon.demo.scenarios import loan_disburse
    from filon.servicing.payments import payment_apply

    top = ceiling()
    loan = make_loan(cast.ana, cast.zac, top)
    with time_machine.travel(datetime.combine(START, time(10), MEXICO_CITY), tick=False):
        loan_disburse(
            captured_by=cast.ana,
            released_by=cast.gerardo,
            loan=loan,
            amount=top - Decimal("0.03"),
            value_date=START,
        )
        payment_apply(
            user=cast.ana,
            loan=Loan.objects.get(pk=loan.pk),
            amount=Decimal("1234567.89"),
            value_date=START + timedelta(days=0),
            idempotency_key="uno",
        )
    loan.refresh_from_db()
    # nothing is due on the day of the drawdown: the payment waits in «pagos por aplicar»
    assert loan.principal_balance == top - Decimal("0.03")
    assert loan.unapplied_balance == Decimal("1234567.89")
    assert ledger_check(loan_positions=loan_positions()) == []


# ------------------------------------------------------------------------------ SQL over centavos


def test_sql_arithmetic_over_money_is_exact_or_refused(cast):
    from django.core.exceptions import FieldError
    from django.db.models import F
    from django.db.models.functions import Coalesce

    from filon.centavos import money_value

    loan = make_loan(cast.ana, cast.zac, Decimal("1234567.89"))
    Loan.objects.filter(pk=loan.pk).update(
        principal_balance=Decimal("1000.10"), accrued_interest=Decimal("0.29")
    )
    rows = Loan.objects.filter(pk=loan.pk)
    # centavos with centavos: exact, and read back as pesos
    total = rows.annotate(t=F("principal_balance") + F("accrued_interest")).get().t
    assert total == Decimal("1000.39")
    assert total.as_tuple().exponent == -2
    # an amount put into SQL as money: sent as centavos
    assert rows.annotate(t=F("contracted_amount") - money_value(Decimal("0.89"))).get().t == Decimal(
        "1234567.00"
    )
    rows.update(principal_balance=F("principal_balance") - money_value(Decimal("0.10")))
    assert Loan.objects.get(pk=loan.pk).principal_balance == Decimal("1000.00")
    # a plain peso number next to a centavos column would be off by 100: it does not compile
    with pytest.raises(FieldError), transaction.atomic():
        list(rows.annotate(t=F("principal_balance") - Decimal("1.00")))
    with pytest.raises(FieldError), transaction.atomic():
        rows.update(principal_balance=F("principal_balance") - Decimal("1.00"))
    with pytest.raises(FieldError), transaction.atomic():
        rows.update(principal_balance=F("principal_balance") * 2)
    with pytest.raises(FieldError), transaction.atomic():
        list(rows.filter(principal_balance__gt=F("accrued_interest") + Decimal("1.00")))
    assert rows.filter(principal_balance__gt=F("accrued_interest") + money_value(Decimal("999.70"))).exists()
    assert not rows.filter(
        principal_balance__gt=F("accrued_interest") + money_value(Decimal("999.71"))
    ).exists()
    assert rows.filter(principal_balance=Decimal("1000.00"), accrued_interest__lt=1).exists()
    # an empty sum: None, or the amount given as money
    empty = Posting.objects.filter(pk=-1)
    assert empty.aggregate(t=Sum("amount"))["t"] is None
    assert empty.aggregate(t=Coalesce(Sum("amount"), money_value(Decimal(0))))["t"] == Decimal("0.00")


@pytest.mark.parametrize("value", ["1.005", "0.001", "-3.141"])
def test_a_fraction_of_a_centavo_is_refused_not_rounded(cast, value):
    from filon.centavos import NotCentavos

    with pytest.raises(NotCentavos), transaction.atomic():
        make_loan(cast.ana, cast.zac, Decimal(value))
    assert not Loan.objects.exists()


def test_a_float_is_refused():
    from filon.centavos import NotCentavos, to_centavos

    with pytest.raises(NotCentavos):
        to_centavos(0.29)  # type: ignore[arg-type]


@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_landed_amounts_exactly_and_back():
    """Postings written as decimals before the change read back to the centavo after it, and the
    migration undone gives the same decimals."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("ledger", "0003_posting_fund")], [("ledger", "0004_money_in_centavos")]
    values = [Decimal(v) for v in ("0.29", "0.01", "1234567.89", "9999999999.99", "10000000000.00", "-0.07")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps
        account = old.get_model("ledger", "Account").objects.get_or_create(
            code="1301", currency="MXN", defaults={"name": "Cartera", "kind": "activo", "normal": "debe"}
        )[0]
        entry = old.get_model("ledger", "JournalEntry").objects.create(
            business_date=START, kind="prueba", description="Antes de los centavos"
        )
        Old = old.get_model("ledger", "Posting")
        Old.objects.bulk_create([Old(entry=entry, account=account, currency="MXN", amount=v) for v in values])
        MigrationExecutor(connection).migrate(after)
        assert sorted(Posting.objects.filter(entry_id=entry.pk).values_list("amount", flat=True)) == sorted(
            values
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT amount FROM {Posting._meta.db_table} WHERE entry_id = %s", [entry.pk])
            assert sorted(int(row[0]) for row in cursor.fetchall()) == sorted(int(v * 100) for v in values)
        MigrationExecutor(connection).migrate(before)
        old = MigrationExecutor(connection).loader.project_state(before).apps
        restored = old.get_model("ledger", "Posting").objects.filter(entry_id=entry.pk)
        assert sorted(restored.values_list("amount", flat=True)) == sorted(values)
    finally:
        # Every app back to its latest migration: undoing ledger 0004 also undid the later migrations of
        # the apps that depend on it.
        latest = MigrationExecutor(connection)
        latest.loader.build_graph()
        latest.migrate(latest.loader.graph.leaf_nodes())


def test_the_audit_trail_shows_amounts_as_pesos():
    from filon.servicing.models import Payment
    from filon.web.files.audit import _value

    assert _value(Payment._meta.get_field("amount"), "amount", "1234567.89") == "1,234,567.89"
    assert _value(Loan._meta.get_field("principal_balance"), "principal_balance", "0.29") == "0.29"
