"""The funds answer servicing's questions through its registry, filled when the app starts."""

from __future__ import annotations

from filon.funds.services import coverage_refusal, fund_payment_reversal_refusal
from filon.servicing.checks import disbursement_checks, reversal_checks


def test_the_funds_checks_are_registered_in_servicing_at_start_up():
    assert disbursement_checks()["funds.coverage"] is coverage_refusal
    assert reversal_checks()["funds.payment"] is fund_payment_reversal_refusal
