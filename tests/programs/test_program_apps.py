"""The programs answer origination's questions through its registry, filled when the app starts."""

from __future__ import annotations

from filon.origination.checks import applicant_facts_sources, authorization_checks, stage_checks
from filon.programs.selectors import nom_032_facts
from filon.programs.services import (
    budget_check_authorization,
    program_evidence_check_authorization,
    program_steps_check,
)


def test_the_programs_checks_are_registered_in_origination_at_start_up():
    assert stage_checks()["programs.steps"] is program_steps_check
    assert authorization_checks()["programs.budget"] is budget_check_authorization
    assert applicant_facts_sources()["programs.nom_032"] is nom_032_facts
    assert authorization_checks()["programs.evidence"] is program_evidence_check_authorization
