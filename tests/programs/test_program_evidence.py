"""Evidence a program requires blocks the authorization while it is missing (P-3 3.1 domicile in Cananea,
P-4 4 NOM-032-STPS-2008 verification): the engine reports it as an error and the committee's
authorization is refused, each citing the program's rule."""

from __future__ import annotations

import pytest
import time_machine
from program_support import IN_2013, IN_2026, fix_2013, p3_file, p4_file, trc_users

from filon.errors import TransitionRefused
from filon.origination.services import file_evaluate
from filon.programs.models import StepKind
from filon.programs.services import (
    program_evidence_check_authorization,
    program_step_record,
    program_steps_ensure,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_2013(cast):
    with time_machine.travel(IN_2013, tick=False):
        fix_2013()
        yield


@pytest.fixture
def in_2026(cast, fix_rate):
    with time_machine.travel(IN_2026, tick=False):
        yield


def _errors(file, rule: str) -> list[str]:
    return [
        f["message"]
        for f in file_evaluate(file=file)["findings"]
        if f["severity"] == "error" and f["rule"] == rule
    ]


@pytest.mark.parametrize(
    ("rule", "municipality", "refused"),
    [
        ("P-3 3", "Cananea", False),
        ("P-3 3", "CANANEA", False),
        ("P-3 3", "Hermosillo", True),
        ("P-3 3", "Nacozari de García", True),
    ],
)
def test_p3_authorization_needs_the_domicile_in_cananea(cast, in_2026, rule, municipality, refused):
    file = p3_file(cast)
    file.applicant.municipality = municipality
    file.applicant.save(update_fields=["municipality"])
    assert bool(_errors(file, rule)) is refused
    if refused:
        with pytest.raises(TransitionRefused) as exc:
            program_evidence_check_authorization(file=file)
        assert (exc.value.rule, exc.value.field) == (rule, "municipality")
        assert "Cananea" in exc.value.message
    else:
        program_evidence_check_authorization(file=file)


@pytest.mark.parametrize(
    ("rule", "status", "refused", "engine_text"),
    [
        ("P-4 4", None, True, "Falta la verificación de la NOM-032-STPS-2008"),  # pending: blocks
        ("P-4 4", "not_approved", True, "La mina no cumple la verificación de la NOM-032-STPS-2008."),
        ("P-4 4", "done", False, None),
    ],
)
def test_p4_authorization_needs_the_nom_032_verification(cast, in_2013, rule, status, refused, engine_text):
    tomas, teresa = trc_users()
    file = p4_file(tomas)
    if status is not None:
        nom = next(s for s in program_steps_ensure(file=file) if s.kind == StepKind.NOM_032)
        program_step_record(user=teresa, step=nom, status=status, document="Dictamen 123", notes="Tiro 2")
    errors = _errors(file, rule)
    if engine_text is None:
        assert not [m for m in errors if "NOM-032" in m]
        program_evidence_check_authorization(file=file)
    else:
        assert any(m.startswith(engine_text) for m in errors), errors
        with pytest.raises(TransitionRefused) as exc:
            program_evidence_check_authorization(file=file)
        assert exc.value.rule == rule
        assert "NOM-032-STPS-2008" in exc.value.message
    assert refused is (engine_text is not None)
