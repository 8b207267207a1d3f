"""The registry of checks the apps above origination add to a file's life (`origination.checks`)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from filon.errors import TransitionRefused
from filon.origination import checks
from filon.rules.schema import Stage


def test_stage_checks_run_in_order_and_the_first_refusal_stops_the_rest(monkeypatch):
    monkeypatch.setattr(checks, "_stage", {})
    asked = []

    def passes(*, file, stage, action):
        asked.append(("passes", stage))

    def refuses(*, file, stage, action):
        asked.append(("refuses", stage))
        raise TransitionRefused(f"No se puede {action}.", field="program_steps")

    def never(*, file, stage, action):
        asked.append(("never", stage))

    checks.stage_check_register("a.passes", passes)
    checks.stage_check_register("b.refuses", refuses)
    checks.stage_check_register("c.never", never)
    with pytest.raises(TransitionRefused, match=re.escape("No se puede formalizar.")):
        checks.stage_checks_run(file=None, stage=Stage.CONTRACTING, action="formalizar")
    assert asked == [("passes", Stage.CONTRACTING), ("refuses", Stage.CONTRACTING)]


def test_authorization_checks_receive_the_resolution_date(monkeypatch):
    monkeypatch.setattr(checks, "_authorization", {})
    seen = []
    checks.authorization_check_register("budget", lambda *, file, on: seen.append(on))
    checks.authorization_checks_run(file=None, on=dt.date(2026, 3, 3))
    assert seen == [dt.date(2026, 3, 3)]


def test_applicant_facts_merge_what_each_source_knows(monkeypatch):
    monkeypatch.setattr(checks, "_facts", {})
    checks.applicant_facts_register("nom", lambda file: {"nom_032_verified": True})
    checks.applicant_facts_register("none", lambda file: {})
    checks.applicant_facts_register("other", lambda file: {"strike": False})
    assert checks.applicant_facts(None) == {"nom_032_verified": True, "strike": False}
