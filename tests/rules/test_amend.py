"""Amendments as data (SPEC I-10): a change applied to a base version gives a new, validated version; a diff
names each changed path with its rule id."""

from __future__ import annotations

from datetime import date

import pytest

from filon.rules import load_ruleset_dir
from filon.rules.amend import (
    Amendment,
    AmendmentError,
    Change,
    amended_version,
    amendment_apply,
    changes_from_data,
    diff_json,
    diff_lines,
    ruleset_diff,
)
from filon.rules.loader import DEFAULT_RULES_DIR, _build_amended

pytestmark = pytest.mark.pure

BASE = load_ruleset_dir(DEFAULT_RULES_DIR / "ro-2010-09-23")


def amendment(*changes: Change, number="CT-2026-01", effective=date(2026, 1, 15), base=BASE.version, **kw):
    return Amendment(
        number=number,
        agreed_on=effective,
        body="Comité Técnico",
        effective_from=effective,
        base_version=base,
        changes=tuple(changes),
        **kw,
    )


def test_an_extension_of_p2_is_a_new_version_and_the_base_is_untouched():
    new = amendment_apply(BASE, amendment(Change("programs.pequena_mineria.valid_until", "2026-12-31")))
    assert new.version == "RO-2010-1160+CT-2026-01"
    assert new.effective_from == date(2026, 1, 15)
    assert new.programs["pequena_mineria"].valid_until == date(2026, 12, 31)
    assert BASE.programs["pequena_mineria"].valid_until == date(2014, 9, 22)
    assert "Acuerdo CT-2026-01" in new.source
    assert BASE.version in new.source


@pytest.mark.parametrize(
    ("path", "value", "where", "says"),
    [
        ("programs.pequena_mineria.vigencia", "2026-12-31", "programs.pequena_mineria.vigencia", "no existe"),
        ("programs.no_such.valid_until", "2026-12-31", "programs.no_such.valid_until", "no existe"),
        (
            "programs.pequena_mineria.valid_until",
            "31 de diciembre",
            "programs.pequena_mineria.valid_until",
            "fecha válida",
        ),
        (
            "programs.pequena_mineria.allotment_mxn",
            "-5",
            "programs.pequena_mineria.allotment_mxn",
            "mayor o igual que 0",
        ),
        ("programs.cananea.term.months", 0, "programs.cananea.term.months", "mayor que 0"),
        ("programs.pequena_mineria.spread", "mucho", "programs.pequena_mineria.spread", "decimal"),
        ("programs.pequena_mineria.guarantee_funds.7.amount_mxn", "1", "guarantee_funds.7", "índice"),
        ("version", "X", "version", "la fija el propio acuerdo"),
        ("programs..valid_until", "2026-12-31", "programs..valid_until", "mal formada"),
    ],
)
def test_a_bad_change_is_refused_naming_its_path(path, value, where, says):
    with pytest.raises(AmendmentError) as exc:
        amendment_apply(BASE, amendment(Change(path, value)))
    assert any(where in p.path and says in p.message for p in exc.value.problems), exc.value.problems


def test_an_amendment_must_take_effect_after_its_base_and_change_something():
    with pytest.raises(AmendmentError) as exc:
        amendment_apply(BASE, amendment(effective=date(2010, 9, 23)))
    assert {p.path for p in exc.value.problems} == {"effective_from", "changes"}


def test_changes_are_read_as_a_list_or_a_mapping():
    assert changes_from_data({"a.b": 1}) == [Change("a.b", 1)]
    assert changes_from_data([{"path": "a.b", "value": 1}]) == [Change("a.b", 1)]
    with pytest.raises(AmendmentError, match="path"):
        changes_from_data([{"ruta": "a.b"}])


def test_the_version_name_keeps_the_root_and_the_acuerdo():
    assert amended_version("RO-2010-1160+CT-2026-01", "ct 2027/02") == "RO-2010-1160+CT-2027-02"


def test_the_diff_names_each_changed_path_with_its_rule_id():
    new = amendment_apply(
        BASE,
        amendment(
            Change("programs.pequena_mineria.valid_until", "2026-12-31"),
            Change("programs.pequena_mineria.allotment_mxn", "150000000"),
            Change("programs.carbon_coahuila.guarantee_funds.0.amount_mxn", "20000000"),
            Change("products.refaccionario.max_term_months", 96),
            Change("programs.cananea.term.months", 36),
        ),
    )
    diff = ruleset_diff(BASE, new)
    found = {e.path: (e.rule, e.before, e.after) for e in diff.entries}
    assert found == {
        "programs.pequena_mineria.valid_until": ("P-2 2", "2014-09-22", "2026-12-31"),
        "programs.pequena_mineria.allotment_mxn": ("P-2 2", "100000000", "150000000"),
        "programs.carbon_coahuila.guarantee_funds.0.amount_mxn": ("P-4 4.2", "16660000", "20000000"),
        "products.refaccionario.max_term_months": ("9.2.3", 120, 96),
        "programs.cananea.term.months": ("P-3 3.19", 24, 36),
    }
    text = "\n".join(diff_lines(diff))
    assert "[P-2 2] programs.pequena_mineria.valid_until: 22/09/2014 → 31/12/2026" in text
    assert diff_json(diff)["changes"][0]["rule"]
    assert diff_lines(ruleset_diff(BASE, BASE)) == [f"Sin cambios entre {BASE.version} y {BASE.version}."]


def test_amendments_stack_and_each_is_in_force_from_its_date_not_before():
    first = amendment(
        Change("programs.pequena_mineria.valid_until", "2025-12-31"),
        effective=date(2025, 1, 1),
        number="CT-2025-01",
    )
    second = amendment(
        Change("programs.pequena_mineria.allotment_mxn", "120000000"),
        effective=date(2026, 1, 1),
        number="CT-2026-01",
        base=first.version,
    )
    built = _build_amended((BASE,), [second, first])
    assert [r.version for r in built.rulesets] == [BASE.version, first.version, second.version]
    assert built.problems == {}
    top = built.rulesets[-1]
    assert top.programs["pequena_mineria"].valid_until == date(2025, 12, 31)  # kept from the first
    assert top.programs["pequena_mineria"].allotment_mxn == 120000000
    in_force = lambda on: [r for r in built.rulesets if r.effective_from <= on][-1].version  # noqa: E731
    assert in_force(date(2024, 12, 31)) == BASE.version
    assert in_force(date(2025, 1, 1)) == first.version
    assert in_force(date(2026, 1, 1)) == second.version


def test_an_amendment_whose_base_is_gone_is_left_out_with_its_reason():
    lost = amendment(Change("programs.pequena_mineria.valid_until", "2026-12-31"), base="RO-1999")
    built = _build_amended((BASE,), [lost])
    assert [r.version for r in built.rulesets] == [BASE.version]
    assert "RO-1999" in built.problems[lost.version]
