"""Shared setup of the Cadenas Productivas tests (not a conftest): an EPO admitted from its P-1 file
authorized by the Comité Interno, and a supplier adhered to it. Time is frozen on Tuesday 03/03/2026."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import time_machine

from conftest import applicant_data, mortgage, proposal_data, satisfy
from filon.core.calendar import MEXICO_CITY

TODAY = dt.date(2026, 3, 3)
LINE = Decimal("20000000")


def travel(day: dt.date) -> time_machine.travel:
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, 11, 0, tzinfo=MEXICO_CITY), tick=False
    )


def frozen_today() -> Iterator[None]:
    with travel(TODAY):
        yield


def epo_file(cast, office_user=None):
    """The EPO (a large mining company) with its P-1 file authorized by the Comité Interno."""
    from filon.applicants.services import applicant_create
    from filon.origination.services import file_create

    user = office_user or cast.ana
    state = "SON" if user.office.code == "HMO" else "ZAC"
    company = applicant_create(
        user=user,
        data=applicant_data(
            name=f"Grupo Minero del Norte {state}, S.A. de C.V.",
            rfc="GMN050101AB1" if state == "ZAC" else "GMS050101AB2",
            employees=800,
            state=state,
            municipality="Fresnillo" if state == "ZAC" else "Cananea",
        ),
    ).obj
    file = file_create(
        user=user,
        applicant=company,
        proposal=proposal_data(
            program="cadenas_productivas",
            credit_type="avio_revolvente_proveedores",
            amount=LINE,
            investment_program=LINE,
            term_months=36,
            grace_months=0,
        ),
    )
    return file


def admit(cast, file, user=None, **changes):
    from filon.factoring.services import epo_admit

    values = {
        "line_amount": LINE,
        "line_months": 36,
        "guarantee_type": "hipoteca_industrial",
        "guarantee_value": LINE,
        "spread": Decimal("0.03"),
    }
    values.update(changes)
    return epo_admit(user=user or cast.ana, file=file, **values)


def supplier(cast, name="Servicios Mineros de Fresnillo, S.A. de C.V.", rfc="SMF100101AB3"):
    from filon.applicants.services import applicant_create

    return applicant_create(
        user=cast.ana, data=applicant_data(name=name, rfc=rfc, employees=40, activity=21)
    ).obj


def program_steps_done(cast, file) -> None:
    """The program's own steps of the file, recorded done (when the programs app tracks them)."""
    try:
        from filon.programs.services import program_step_record, program_steps_ensure
    except ImportError:  # pragma: no cover - steps not tracked
        return
    for step in program_steps_ensure(file=file):
        program_step_record(user=cast.ana, step=step, status="done", document=f"Acuerdo {step.code}")


def to_authorized(cast, file):
    """The EPO's P-1 file proposed to and authorized by the Comité Interno."""
    from filon.core.calendar import today_mx
    from filon.origination.services import (
        file_propose,
        file_requirements_complete,
        file_resolve,
        file_start_analysis,
        guarantee_add,
    )
    from filon.rules.schema import Stage

    guarantee_add(user=cast.ana, file=file, data=mortgage())
    satisfy(cast, file, Stage.AUTHORIZATION)
    file_requirements_complete(user=cast.ana, file=file)
    file_start_analysis(user=cast.ana, file=file)
    program_steps_done(cast, file)
    file_propose(user=cast.gerardo, file=file)
    return file_resolve(user=cast.sergio, file=file, decision="authorized", resolved_on=today_mx())


def authorized_epo(cast):
    file = epo_file(cast)
    to_authorized(cast, file)
    return admit(cast, file)
