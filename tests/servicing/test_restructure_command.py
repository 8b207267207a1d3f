"""`filon restructure list | propose | apply` (Rules 15; 17.3 b)."""

from __future__ import annotations

import datetime as dt
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from filon.committees.services import (
    agenda_add_loan_request,
    resolution_record,
    session_attendance,
    session_convene,
    session_hold,
    vote_cast,
)
from filon.core.calendar import MEXICO_CITY
from filon.demo.scenarios import loan_disburse
from filon.origination.models import LoanRequest
from filon.servicing.models import Loan

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(dt.datetime(2026, 3, 2, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


@pytest.fixture
def loan(cast, credit_file):
    loan = Loan.objects.create(
        number="CR-CLI",
        applicant=credit_file.applicant,
        office=cast.zac,
        program="primer_piso",
        credit_type="habilitacion_avio",
        currency="MXN",
        ruleset_version="RO-2010-1160",
        contracted_amount=Decimal("600000.00"),
        contract_date=TODAY,
        fixed_rate=Decimal("0.12"),
        moratorium_factor=Decimal("1.5"),
        term_months=12,
        created_by=cast.ana,
    )
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=Decimal("600000.00"),
        value_date=TODAY,
    )
    Loan.objects.filter(pk=loan.pk).update(file=credit_file)
    loan.refresh_from_db()
    return loan


def run(*args: str) -> str:
    out = StringIO()
    call_command("restructure", *args, stdout=out)
    return out.getvalue()


def test_propose_list_and_apply_from_the_command_line(cast, loan):
    assert "no tiene solicitudes a comité" in run("list", "--loan", "CR-CLI", "--user", "ana.zac")
    text = run(
        "propose", "--loan", "CR-CLI", "--term", "24", "--fixed", "11.5", "--reason", "Paro técnico.",
        "--user", "ana.zac",
    )  # fmt: skip
    request = LoanRequest.objects.get()
    assert (
        f"Solicitud {request.pk}: reestructura del crédito CR-CLI al comité comite_interno (regla 17.3)"
        in text
    )
    assert "Nueva tabla: 24 amortizaciones" in text
    assert request.proposal["fixed_rate"] == "0.115"
    assert "Solicitada" in run("list", "--loan", "CR-CLI", "--user", "ana.zac")

    with pytest.raises(CommandError) as info:
        run("apply", "--loan", "CR-CLI", "--request", str(request.pk), "--user", "ana.zac")
    assert "sólo se aplica una reestructura autorizada por el comité. (17.3)" in str(info.value)
    with pytest.raises(CommandError) as info:
        run("list", "--loan", "CR-CLI", "--user", "sofia.son")
    assert "No existe el crédito" in str(info.value)

    session = session_convene(user=cast.sergio, committee="comite_interno", date=TODAY, place="Sala")
    item = agenda_add_loan_request(user=cast.sergio, session=session, request=request)
    session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis])
    session_hold(user=cast.sergio, session=session)
    vote_cast(user=cast.marta, item=item, vote="favor")
    vote_cast(user=cast.luis, item=item, vote="favor")
    resolution_record(user=cast.sergio, item=item, decision="authorized")

    with time_machine.travel(dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        text = run("apply", "--loan", "CR-CLI", "--request", str(request.pk), "--user", "ana.zac")
        assert f"tabla v2 «Reestructura, acuerdo {session.number}/001»" in text
        again = run("apply", "--loan", "CR-CLI", "--request", str(request.pk), "--user", "ana.zac")
    assert "ya estaba aplicada con la misma clave" in again
    loan.refresh_from_db()
    assert (loan.term_months, loan.fixed_rate) == (24, Decimal("0.115"))
