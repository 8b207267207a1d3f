"""Loans to close for the tests: a credit defaulted since its disbursement and the committee's write-off
authorization, through the real services (origination, committees, servicing).

Meant for time frozen on Wednesday 15/07/2026: the credit (1 M MXN, 24 monthly payments, no grace) is
disbursed on Monday 06/04/2026 and nothing is paid, so three installments are late.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from conftest import proposal_data, to_ready
from filon.committees.services import (
    agenda_add_loan_request,
    resolution_record,
    session_attendance,
    session_convene,
    session_hold,
    vote_cast,
)
from filon.core.calendar import today_mx
from filon.demo.scenarios import loan_disburse
from filon.origination.models import LoanRequest
from filon.servicing.models import Loan
from filon.servicing.services import commission_pay, loan_create_from_file
from filon.servicing.writeoff import write_off_request_create

TODAY = dt.date(2026, 7, 15)
DISBURSED = dt.date(2026, 4, 6)
MILLION = Decimal("1000000")


def defaulted_loan(cast, applicant, program: str = "primer_piso") -> Loan:
    from filon.origination.services import file_create

    file = file_create(
        user=cast.ana,
        applicant=applicant,
        proposal=proposal_data(
            amount=MILLION, investment_program=2 * MILLION, term_months=24, grace_months=0
        ),
    )
    to_ready(cast, file)
    loan = loan_create_from_file(user=cast.ana, file=file)
    Loan.objects.filter(pk=loan.pk).update(program=program)
    loan.refresh_from_db()
    commission_pay(user=cast.ana, loan=loan, value_date=DISBURSED)
    loan_disburse(
        captured_by=cast.ana, released_by=cast.gerardo, loan=loan, amount=MILLION, value_date=DISBURSED
    )
    loan.refresh_from_db()
    return loan


def authorized(cast, loan: Loan, *, decision: str = "authorized") -> LoanRequest:
    """The regional manager asks to write the loan off; the Comité Interno authorizes it in session."""
    request = write_off_request_create(user=cast.gerardo, loan=loan, reason="Incobrable: la mina cerró.")
    session = session_convene(user=cast.sergio, committee=request.committee, date=today_mx(), place="Sala")
    item = agenda_add_loan_request(user=cast.sergio, session=session, request=request)
    session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis])
    session_hold(user=cast.sergio, session=session)
    vote = "favor" if decision == "authorized" else "contra"
    vote_cast(user=cast.marta, item=item, vote=vote)
    vote_cast(user=cast.luis, item=item, vote=vote)
    resolution_record(user=cast.sergio, item=item, decision=decision)
    request.refresh_from_db()
    return request
