"""`filon rules amend` records an acuerdo from a YAML file and another person approves it; `filon rules list`
marks amended (and illustrative) versions; `filon rules diff A B` shows what changed with rule ids."""

from __future__ import annotations

import io
import json

import pytest

from filon.cli import run
from filon.core.calendar import today_mx

pytestmark = pytest.mark.django_db

ROOT = "RO-2010-1160"


def cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def acuerdo(tmp_path):
    year = today_mx().year
    path = tmp_path / "acuerdo.yaml"
    path.write_text(
        f"number: CT-{year}-05\n"
        f"agreed_on: {today_mx().isoformat()}\n"
        "body: Comité Técnico\n"
        f"effective_from: {today_mx().isoformat()}\n"
        "illustrative: true\n"
        "changes:\n"
        "  - path: programs.pequena_mineria.valid_until\n"
        f"    value: {year}-12-31\n"
        "  - path: programs.pequena_mineria.allotment_mxn\n"
        "    value: '150000000'\n",
        encoding="utf-8",
    )
    return path


def test_propose_approve_list_and_diff(cast, acuerdo):
    code, out, _ = cli("rules", "amend", str(acuerdo), "--user", cast.ramon.username)
    assert code == 0, out
    version = f"{ROOT}+CT-{today_mx().year}-05"
    assert version in out
    code, out, _ = cli("rules", "amend", "--list")
    assert "Propuesta" in out
    assert "[ILUSTRATIVA]" in out

    code, _, err = cli("rules", "amend", "--approve", "1", "--user", cast.ramon.username)
    assert code == 2
    assert "quien propone no aprueba" in err
    code, out, _ = cli("rules", "amend", "--approve", "1", "--user", cast.omar.username)
    assert code == 0, out

    code, out, _ = cli("rules", "list")
    lines = out.splitlines()
    assert lines[0].startswith(ROOT)
    assert lines[1].startswith(version)
    assert "modificación ILUSTRATIVA" in lines[1]

    code, out, _ = cli("rules", "diff", ROOT, version)
    assert code == 0
    assert f"[P-2 2] programs.pequena_mineria.valid_until: 22/09/2014 → 31/12/{today_mx().year}" in out
    code, out, _ = cli("rules", "diff", ROOT, version, "--json")
    shown = json.loads(out)
    assert (shown["from"], shown["to"]) == (ROOT, version)
    assert {c["path"]: c["rule"] for c in shown["changes"]} == {
        "programs.pequena_mineria.valid_until": "P-2 2",
        "programs.pequena_mineria.allotment_mxn": "P-2 2",
    }


def test_bad_input_exits_2_naming_the_field(cast, tmp_path):
    bad = tmp_path / "malo.yaml"
    bad.write_text(
        "number: CT-1\nagreed_on: 2026-01-02\nbody: CT\neffective_from: 2026-01-02\n"
        "changes: {programs.pequena_mineria.vigencia: 2026-12-31}\n",
        encoding="utf-8",
    )
    code, _, err = cli("rules", "amend", str(bad), "--user", cast.ramon.username)
    assert code == 2
    assert "programs.pequena_mineria.vigencia" in err
    assert "no existe" in err
    code, _, err = cli("rules", "amend", str(bad), "--user", "nadie")
    assert (code, "--user" in err) == (2, True)
    code, _, err = cli("rules", "diff", ROOT, "RO-9")
    assert (code, "No existe la versión" in err) == (2, True)
