"""The funds answer servicing's and origination's questions through their registries, filled when the app
starts."""

from __future__ import annotations

from filon.funds.services import (
    coverage_refusal,
    fund_payment_reversal_refusal,
    program_term_authorization_check,
    program_term_opening_check,
    program_term_stage_check,
    write_off_fund_cover,
)
from filon.origination.checks import authorization_checks, opening_checks, stage_checks
from filon.servicing.checks import disbursement_checks, reversal_checks
from filon.servicing.writeoff import write_off_covers


def test_the_funds_checks_are_registered_in_servicing_at_start_up():
    assert disbursement_checks()["funds.coverage"] is coverage_refusal
    assert reversal_checks()["funds.payment"] is fund_payment_reversal_refusal
    assert write_off_covers()["funds.cover"] is write_off_fund_cover


def test_the_program_term_is_asked_when_a_file_opens_goes_to_committee_and_is_authorized():
    assert opening_checks()["funds.program_term"] is program_term_opening_check
    assert stage_checks()["funds.program_term"] is program_term_stage_check
    assert authorization_checks()["funds.program_term"] is program_term_authorization_check
