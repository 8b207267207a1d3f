"""A finding's message cites the rule ids of the rule set it was evaluated with, not copies of them: with
the ids changed in a copy of the shipped rule set, the messages name the copy's ids."""

from __future__ import annotations

from typing import Any

import pytest

from filon.core.evaluation import evaluate_document
from filon.rules import RuleSet

pytestmark = pytest.mark.pure


@pytest.fixture(scope="module")
def moved(ruleset: RuleSet) -> RuleSet:
    """The shipped rule set with the ids these messages cite moved to ones no section of the Rules has."""
    selection = ruleset.selection
    guarantees = ruleset.guarantees
    introductores = guarantees.introductores.model_copy(
        update={
            "rule": "910.2.2",
            "columns": [c for c in guarantees.introductores.columns if c.history == "regular"],
        }
    )
    return ruleset.model_copy(
        update={
            "selection": selection.model_copy(
                update={
                    "technical_bankruptcy_rule": "93",
                    "condoned_history": selection.condoned_history.model_copy(update={"rule": "96.1"}),
                }
            ),
            "guarantees": guarantees.model_copy(update={"rule": "910", "introductores": introductores}),
        }
    )


def messages(result: dict[str, Any], rule: str) -> list[str]:
    return [f["message"] for f in result["findings"] if f["rule"] == rule]


def test_technical_bankruptcy_cites_the_definitions_rule(make_doc, moved):
    result = evaluate_document(make_doc(applicant={"capital_lost_fraction": "0.7"}), moved)
    assert any(m.endswith("(umbral: 2/3 partes, Regla 93).") for m in messages(result, moved.selection.rule))


def test_condoned_history_cites_its_rule_and_the_coverage_rule(make_doc, moved):
    doc = make_doc(applicant={"condoned_history": True})
    refused = messages(evaluate_document(doc, moved), "96.1")
    assert any(m.endswith("conforme a la cobertura del apartado 910.") for m in refused), refused
    doc["guarantees"][0]["fiduciary"] = True
    met = messages(evaluate_document(doc, moved), "96.1")
    assert met == ["Antecedente de condonación o quita: cuenta con la garantía que exige la Regla 96.1."]


def test_an_introductor_with_no_matrix_column_cites_the_matrix(make_doc, moved):
    doc = make_doc(
        applicant={"credit_history": "irregular"},
        request={
            "credit_type": "avio_revolvente_introductores",
            "amount": "1000000",
            "term_months": 12,
            "grace_months": 0,
            "drawdown_days": 30,
        },
    )
    assert messages(evaluate_document(doc, moved), "910.2.2") == [
        "No hay columna de la matriz 910.2.2 para este solicitante."
    ]
