"""The demo's illustrative amendment: P-2 extended to the current year, proposed by the Risk area and
approved by Dirección, marked illustrative; after it a present-day P-2 file is in force."""

from __future__ import annotations

from datetime import date

import pytest

from filon.amendments.models import Amendment
from filon.core.calendar import today_mx
from filon.demo.amendments import illustrative_p2_extension
from filon.demo.scenarios import demo_cast_create
from filon.rules import load_ruleset_for_date
from filon.rules.loader import ruleset_amendment

pytestmark = pytest.mark.django_db


def test_the_illustrative_extension_puts_p2_in_force_today_once():
    users = demo_cast_create(only=["riesgos", "direccion"])
    today = today_mx()
    assert load_ruleset_for_date(today).programs["pequena_mineria"].valid_until == date(2014, 9, 22)
    row = illustrative_p2_extension(proposer=users["riesgos"], approver=users["direccion"], today=today)
    assert (row.status, row.illustrative, row.proposed_by.username, row.decided_by.username) == (
        "approved",
        True,
        "riesgos",
        "direccion",
    )
    in_force = load_ruleset_for_date(today)
    assert in_force.version == row.version
    assert in_force.programs["pequena_mineria"].valid_until == date(today.year, 12, 31)
    assert "ilustrativa" in in_force.description
    assert ruleset_amendment(row.version).illustrative
    again = illustrative_p2_extension(proposer=users["riesgos"], approver=users["direccion"], today=today)
    assert again.pk == row.pk
    assert Amendment.objects.count() == 1
