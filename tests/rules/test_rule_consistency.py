"""The schema catches rule data that contradicts itself: the sole-guarantee data (10.1, I-7) and a
program's commissions against its own notes (14, I-6, I-9)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from filon.rules.loader import DEFAULT_RULES_DIR
from filon.rules.schema import Guarantees, GuaranteeType, Program

pytestmark = pytest.mark.pure

DATA = DEFAULT_RULES_DIR / "ro-2010-09-23"


def _read(name: str) -> dict[str, Any]:
    content = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    assert isinstance(content, dict)
    return content


@pytest.fixture
def guarantees() -> dict[str, Any]:
    return copy.deepcopy(_read("guarantees.yaml")["guarantees"])


@pytest.fixture
def programs() -> dict[str, Any]:
    return copy.deepcopy(_read("programs.yaml")["programs"])


# ------------------------------------------------------------------------- sole guarantees (10.1, I-7)


@pytest.mark.parametrize(
    ("gtype", "may_be_sole", "requires", "rule"),
    [
        ("hipoteca_industrial", True, None, "10.1"),
        ("hipoteca_urbana", True, None, "10.1"),
        ("garantia_liquida", True, None, "10.1"),
        ("carta_credito", True, None, "10.1"),
        ("fianza", True, "covers_balance", "10.1"),  # «si se establece que cubre el saldo insoluto»
        ("hipoteca_semiurbana", False, None, "10.1"),
        ("hipoteca_rustica", False, None, "10.1"),
        ("concesion_minera", False, None, "10.1"),  # with the SGM-certified reserves
        ("aval", False, None, "10.1"),
        ("prenda_nueva", False, None, "10.1"),
    ],
)
def test_which_types_may_stand_alone_is_data(guarantees, gtype, may_be_sole, requires, rule):
    parsed = Guarantees.model_validate(guarantees)
    type_rule = parsed.types[GuaranteeType(gtype)]
    assert (type_rule.may_be_sole, type_rule.sole_requires, type_rule.definition_rule) == (
        may_be_sole,
        requires,
        rule,
    )


@pytest.mark.parametrize(
    ("klass", "sole"),
    [
        (
            "general_2a1",
            {"hipoteca_industrial", "hipoteca_urbana", "carta_credito", "garantia_liquida", "fianza"},
        ),
        ("equipo_nuevo_1_5a1", set()),  # 10.2.1 footnote 2: all others complement the new pledge
        ("proveedores_2a1", {"hipoteca_industrial", "hipoteca_urbana", "carta_credito", "garantia_liquida"}),
    ],
)
def test_sole_allowed_per_class_10_2_1(guarantees, klass, sole):
    parsed = Guarantees.model_validate(guarantees)
    assert {t.value for t in parsed.classes[klass].sole_allowed} == sole


@pytest.mark.parametrize("never_sole", ["hipoteca_semiurbana", "hipoteca_rustica", "concesion_minera"])
def test_a_class_cannot_let_a_never_sole_type_stand_alone_10_1(guarantees, never_sole):
    guarantees["classes"]["general_2a1"]["sole_allowed"].append(never_sole)
    with pytest.raises(ValidationError, match="no pueden serlo"):
        Guarantees.model_validate(guarantees)


def test_a_class_cannot_let_a_type_it_refuses_stand_alone_10_2_1(guarantees):
    guarantees["classes"]["proveedores_2a1"]["sole_allowed"].append("fianza")  # n/a in that column
    with pytest.raises(ValidationError, match="no acepta"):
        Guarantees.model_validate(guarantees)


def test_a_sole_condition_needs_a_type_that_may_be_sole_10_1(guarantees):
    guarantees["types"]["aval"]["sole_requires"] = "covers_balance"
    with pytest.raises(ValidationError, match="sole_requires"):
        Guarantees.model_validate(guarantees)


def test_an_unknown_sole_condition_is_refused_10_1(guarantees):
    guarantees["types"]["fianza"]["sole_requires"] = "insured"
    with pytest.raises(ValidationError):
        Guarantees.model_validate(guarantees)


# ------------------------------------------------------------------- program commissions (14, I-6, I-9)


def test_p1_charges_no_commission_and_cites_it_i9(programs):
    p1 = Program.model_validate(programs["cadenas_productivas"])
    assert p1.commissions is False
    assert p1.overrides["commissions"] == "P-1 1.3"


def test_commissions_true_beside_notes_saying_none_is_refused_i9(programs):
    # The defect this guards against: `commissions: true` beside «Sin comisiones para las MIPYMES (1.3)».
    data = programs["cadenas_productivas"]
    data["commissions"] = True
    del data["overrides"]["commissions"]
    with pytest.raises(ValidationError, match="sin comisiones"):
        Program.model_validate(data)


@pytest.mark.parametrize("code", ["cadenas_productivas", "pequena_mineria", "cananea", "carbon_coahuila"])
def test_no_commissions_must_cite_where_the_program_says_so_r14(programs, code):
    data = programs[code]
    assert data["commissions"] is False
    del data["overrides"]["commissions"]
    with pytest.raises(ValidationError, match=r"overrides\.commissions"):
        Program.model_validate(data)


def test_zero_coverage_cannot_require_types_i9(programs):
    data = programs["cadenas_productivas"]
    data["coverage"]["required_types"] = ["hipoteca_industrial"]
    with pytest.raises(ValidationError, match="cobertura mínima 0"):
        Program.model_validate(data)
