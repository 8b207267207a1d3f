"""`filon closing`: the write-off request and the committee's write-off from the command line (once per key:
the same command twice books once), a recovery, the carta de finiquito written as PDF, the legal release,
and refusals naming the option."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from filon.core.calendar import MEXICO_CITY
from filon.origination.models import FileGuarantee
from filon.servicing.models import LoanStatus, Recovery, WriteOff
from filon.servicing.payments import payment_apply
from filon.servicing.selectors import loan_payoff
from servicing.closing_support import TODAY, authorized, defaulted_loan

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_time(sample_rates):
    with time_machine.travel(dt.datetime(2026, 7, 15, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


def closing(*args: str) -> str:
    out = StringIO()
    call_command("closing", *args, stdout=out)
    return out.getvalue()


def test_write_off_and_recovery_from_the_command_line(cast, applicant):
    loan = defaulted_loan(cast, applicant)
    request = authorized(cast, loan)
    command = (
        "write-off",
        "--loan",
        loan.number,
        "--request",
        str(request.pk),
        "--user",
        cast.gerardo.username,
    )
    assert "castigado el 15/07/2026" in closing(*command)
    assert "ya se había aplicado con la misma clave" in closing(*command)
    assert WriteOff.objects.count() == 1
    recover = ("recover", "--loan", loan.number, "--amount", "500", "--date", str(TODAY), "--user", "ana.zac")
    assert "Recuperación de $500.00" in closing(*recover)
    assert "ya estaba registrada" in closing(*recover)
    assert Recovery.objects.count() == 1
    shown = closing("show", "--loan", loan.number)
    assert "Castigado" in shown
    assert "Recuperación 15/07/2026: $500.00" in shown
    with pytest.raises(CommandError, match="--loan"):
        closing("show", "--loan", "NO-EXISTE")
    with pytest.raises(CommandError, match="Campo «amount»"):
        closing("recover", "--loan", loan.number, "--amount", "-1", "--date", str(TODAY), "--user", "ana.zac")


def test_letter_and_release_from_the_command_line(cast, applicant, tmp_path):
    loan = defaulted_loan(cast, applicant)
    payment_apply(
        user=cast.ana,
        loan=loan,
        amount=loan_payoff(loan=loan, on=TODAY).total,
        value_date=TODAY,
        idempotency_key="liquida",
        prepayment=True,
        notified_on=TODAY - dt.timedelta(days=30),
    )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.PAID_OFF
    out = tmp_path / "carta.pdf"
    assert "Carta de finiquito" in closing(
        "letter", "--loan", loan.number, "--user", "ana.zac", "--out", str(out)
    )
    assert out.read_bytes().startswith(b"%PDF")
    guarantee = FileGuarantee.objects.get(file_id=loan.file_id)
    release = ("release", "--loan", loan.number, "--guarantee", str(guarantee.pk), "--date", str(TODAY))
    with pytest.raises(CommandError):
        closing(*release, "--instrument", "Escritura 5", "--user", "ana.zac")
    assert "Garantía liberada el 15/07/2026" in closing(
        *release, "--instrument", "Escritura 5", "--user", "julia.juridico"
    )
