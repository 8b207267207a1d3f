"""Rule sets as versioned data: loading, validation with paths, selection by date, and a change."""

from __future__ import annotations

import io
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from filon.cli import run
from filon.core.evaluation import evaluate_document
from filon.rules import (
    NoRuleSetInForce,
    RuleSetError,
    available_rulesets,
    check_ruleset_dir,
    load_ruleset_dir,
    load_ruleset_for_date,
    load_ruleset_version,
)
from filon.rules.loader import DEFAULT_RULES_DIR

pytestmark = pytest.mark.pure

SHIPPED = DEFAULT_RULES_DIR / "ro-2010-09-23"


def copy_version(tmp_path: Path, name: str, version: str, effective: str) -> Path:
    target = tmp_path / name
    shutil.copytree(SHIPPED, target)
    manifest = yaml.safe_load((target / "manifest.yaml").read_text(encoding="utf-8"))
    manifest.update({"version": version, "effective_from": effective})
    (target / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    return target


def edit(directory: Path, filename: str, change) -> None:
    path = directory / filename
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_shipped_rule_set_is_valid_and_complete():
    assert check_ruleset_dir(SHIPPED) == []
    rs = load_ruleset_dir(SHIPPED)
    assert rs.version == "RO-2010-1160"
    assert len(rs.offices.offices) == 14
    assert len(rs.offices.states) == 32
    assert len(rs.activity_lists["anexo_i"].activities) == 35
    assert {p.value for p in rs.programs} == {
        "primer_piso",
        "cadenas_productivas",
        "pequena_mineria",
        "cananea",
        "carbon_coahuila",
    }


@pytest.mark.parametrize(
    ("state", "office"),
    [
        ("ZAC", "Zacatecas"),
        ("AGU", "Zacatecas"),
        ("SON", "Hermosillo"),
        ("BCN", "Hermosillo"),
        ("COA", "Torreón"),
        ("CMX", "Toluca"),
        ("CHP", "Mérida"),
        ("BCS", "Culiacán"),
        ("QUE", "San Luis Potosí"),
    ],
)
def test_each_state_is_served_by_its_regional_office(ruleset, state, office):
    assert [o.name for o in ruleset.offices.offices if state in o.states] == [office]


def test_every_entry_that_decides_carries_a_rule_id(ruleset):
    data = ruleset.model_dump()
    for section in (
        "offices",
        "size",
        "selection",
        "financing",
        "attention_time",
        "currencies",
        "rates",
        "guarantees",
        "commissions",
        "authorization",
        "proof_of_use",
        "committees",
        "budget",
    ):
        assert data[section]["rule"], section
    for code, product in ruleset.products.items():
        assert all((product.caps_rule, product.terms_rule, product.purpose_rule)), code
    for checklist in ruleset.checklists:
        assert checklist.rule
    for committee in ruleset.committees.committees:
        assert committee.rule
    cited_by_pages = (
        ruleset.disbursement_rule,
        ruleset.checklists_rule,
        ruleset.selection.technical_bankruptcy_rule,
        ruleset.guarantees.policies.appraisal_rule,
    )
    assert cited_by_pages == ("12", "16", "3", "10.5")


def test_an_empty_or_missing_cited_id_is_a_problem_with_its_path(tmp_path):
    bad = copy_version(tmp_path, "bad", "BAD", "2030-01-01")
    edit(bad, "applicants.yaml", lambda d: d.update(disbursement_rule=""))
    edit(bad, "checklists.yaml", lambda d: d.pop("checklists_rule"))
    edit(bad, "guarantees.yaml", lambda d: d["guarantees"]["policies"].update(appraisal_rule=""))
    edit(bad, "applicants.yaml", lambda d: d["selection"].pop("technical_bankruptcy_rule"))
    described = sorted(p.path for p in check_ruleset_dir(bad))
    assert described == [
        "checklists_rule",
        "disbursement_rule",
        "guarantees.policies.appraisal_rule",
        "selection.technical_bankruptcy_rule",
    ]


def test_check_reports_every_problem_with_its_path(tmp_path):
    bad = copy_version(tmp_path, "bad", "BAD", "2030-01-01")
    edit(
        bad,
        "products.yaml",
        lambda d: d["products"]["refaccionario"].update(max_usd="-1", max_term_months="x"),
    )
    edit(bad, "guarantees.yaml", lambda d: d["guarantees"]["types"]["aval"].pop("name"))
    problems = check_ruleset_dir(bad)
    described = [p.describe() for p in problems]
    assert any(d.startswith("products.yaml: products.refaccionario.max_usd") for d in described)
    assert any(d.startswith("products.yaml: products.refaccionario.max_term_months") for d in described)
    assert any(d.startswith("guarantees.yaml: guarantees.types.aval.name") for d in described)
    assert len(problems) == 3


def test_check_refuses_duplicate_keys_and_unknown_fields(tmp_path):
    bad = copy_version(tmp_path, "dup", "DUP", "2030-01-01")
    (bad / "extra.yaml").write_text(
        "budget: {rule: '5', large_company_max_fraction: '0.04'}\n", encoding="utf-8"
    )
    assert any("definida también en" in p.message for p in check_ruleset_dir(bad))
    (bad / "extra.yaml").write_text("colour: red\ncolour: blue\n", encoding="utf-8")
    assert any("clave repetida" in p.message for p in check_ruleset_dir(bad))
    (bad / "extra.yaml").write_text("colour: red\n", encoding="utf-8")
    assert any(p.path == "colour" for p in check_ruleset_dir(bad))


def test_cli_rules_check_exit_codes(tmp_path):
    out = io.StringIO()
    assert run(["rules", "check", str(SHIPPED)], stdout=out) == 0
    bad = copy_version(tmp_path, "bad", "BAD", "2030-01-01")
    edit(bad, "rates.yaml", lambda d: d["rates"].update(moratorium_factor="uno y medio"))
    out = io.StringIO()
    assert run(["rules", "check", str(bad)], stdout=out) == 1
    assert "rates.yaml: rates.moratorium_factor" in out.getvalue()
    assert "1 problema(s)" in out.getvalue()


def test_cli_rules_show_by_date_and_section():
    out = io.StringIO()
    assert run(["rules", "show", "--as-of", "2026-03-02", "--section", "committees"], stdout=out) == 0
    shown = json.loads(out.getvalue())
    assert shown["version"] == "RO-2010-1160"
    assert shown["committees"]["committees"][0]["max_exposure_usd"] == "2000000"
    err = io.StringIO()
    assert run(["rules", "show", "--as-of", "1999-01-01"], stdout=io.StringIO(), stderr=err) == 2
    assert "No hay reglas de operación vigentes" in err.getvalue()


def test_selection_by_date_picks_the_version_in_force(tmp_path):
    base = tmp_path / "rules"
    base.mkdir()
    copy_version(base, "v1", "V1", "2010-09-23")
    copy_version(base, "v2", "V2", "2027-01-01")
    assert [r.version for r in available_rulesets(base)] == ["V1", "V2"]
    assert load_ruleset_for_date(date(2026, 12, 31), base).version == "V1"
    assert load_ruleset_for_date(date(2027, 1, 1), base).version == "V2"
    assert load_ruleset_version("V1", base).version == "V1"
    with pytest.raises(NoRuleSetInForce):
        load_ruleset_for_date(date(2010, 9, 22), base)
    with pytest.raises(NoRuleSetInForce):
        load_ruleset_version("V9", base)


def test_a_rule_set_change_gives_each_versions_answer(tmp_path, make_doc):
    """Riesgos raises the avío cap to USD 1.2 M and the Comité Interno limit to USD 2.5 M from 2027."""
    base = tmp_path / "rules"
    base.mkdir()
    copy_version(base, "v1", "V1", "2010-09-23")
    v2 = copy_version(base, "v2", "V2", "2027-01-01")
    edit(v2, "products.yaml", lambda d: d["products"]["habilitacion_avio"].update(max_usd="1200000"))
    edit(
        v2,
        "commissions.yaml",
        lambda d: (
            d["committees"]["committees"][0].update(max_exposure_usd="2500000")
            or d["committees"]["committees"][1].update(min_exposure_usd_exclusive="2500000")
        ),
    )
    doc = make_doc(
        applicant={"usd_income": True, "equity_mxn": "90000000"},
        request={
            "credit_type": "habilitacion_avio",
            "currency": "USD",
            "amount": "1100000",
            "investment_program": "1100000",
            "term_months": 60,
            "grace_months": 12,
        },
        guarantees=[{"type": "hipoteca_industrial", "value": "50000000", "appraisal_date": "2026-01-10"}],
        applicant_group=None,
    )
    doc.pop("applicant_group")
    doc["applicant"]["group_outstanding_usd"] = "1200000"  # exposure 2.3 M USD
    old = evaluate_document(doc, load_ruleset_version("V1", base))
    new = evaluate_document(doc, load_ruleset_version("V2", base))
    assert (old["eligible"], old["limits"]["max_amount"], old["committee"]) == (
        False,
        "1000000.00",
        "comite_externo",
    )
    assert (new["eligible"], new["limits"]["max_amount"], new["committee"]) == (
        True,
        "1100000.00",
        "comite_interno",
    )
    assert (old["ruleset_version"], new["ruleset_version"]) == ("V1", "V2")


def test_invalid_directory_raises_with_all_problems(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RuleSetError) as exc:
        load_ruleset_dir(empty)
    assert "manifest.yaml" in str(exc.value)
