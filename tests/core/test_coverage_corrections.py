"""Readings of the Rules corrected after an audit, each case citing its rule: sole guarantees (10.1,
10.2.1, I-7), the fianza's covers_balance flag (10.1), a stale aval net-worth statement (10.4), and
refusals that say what failed (9.2.2, 5, 9.1)."""

from __future__ import annotations

from typing import Any

import pytest

from filon.core.errors import InputErrors
from filon.core.evaluation import evaluate_document

pytestmark = pytest.mark.pure

AVIO_5M = {
    "credit_type": "habilitacion_avio",
    "amount": "5000000",
    "investment_program": "5000000",
    "term_months": 36,
    "grace_months": 6,
}  # required 2 : 1 → 10,000,000 (10.2.1)
REVOLVENTE_5M = {**AVIO_5M, "credit_type": "avio_revolvente", "term_months": 12, "grace_months": 0}


def g(gtype: str, value: str, **extra: Any) -> dict[str, Any]:
    guarantee: dict[str, Any] = {"type": gtype, "value": value, **extra}
    if gtype.startswith("hipoteca") or gtype == "concesion_minera":
        guarantee.setdefault("appraisal_date", "2026-01-10")
    return guarantee


def errors_of(result: dict[str, Any]) -> set[str]:
    return {f["rule"] for f in result["findings"] if f["severity"] == "error"}


def messages(result: dict[str, Any], rule: str, severity: str = "error") -> list[str]:
    return [f["message"] for f in result["findings"] if f["rule"] == rule and f["severity"] == severity]


# ----------------------------------------------------------------------- sole guarantees (10.1, I-7)


@pytest.mark.parametrize(
    ("rule", "request_", "guarantees", "achieved", "ok", "sole_error"),
    [
        # Offered alone, a type the Rules let stand alone covers up to its accepted value (I-7).
        ("10.1 I-7", AVIO_5M, [g("garantia_liquida", "10000000")], "2.0000", True, False),
        ("10.1 I-7", AVIO_5M, [g("garantia_liquida", "9999999.99")], "1.9999", False, False),
        (
            "10.1 I-7",
            AVIO_5M,
            [g("garantia_liquida", "6000000"), g("garantia_liquida", "6000000")],
            "2.4000",
            True,
            False,
        ),
        ("10.1 I-7", AVIO_5M, [g("hipoteca_urbana", "10000000")], "2.0000", True, False),
        ("10.2.1 fn 4 I-7", REVOLVENTE_5M, [g("carta_credito", "12000000")], "2.4000", True, False),
        ("10.1 I-7", AVIO_5M, [g("fianza", "10000000", covers_balance=True)], "2.0000", True, False),
        # The fianza stands alone only if it covers the unpaid balance (10.1): else its cell caps it.
        ("10.1", AVIO_5M, [g("fianza", "10000000", covers_balance=False)], "1.0000", False, True),
        ("10.1", AVIO_5M, [g("fianza", "10000000")], "1.0000", False, True),
        # Combined, each type's cell caps its contribution (10.2.1, I-4): líquida and fianza 1 : 1, aval 0.5.
        (
            "10.2.1 I-4",
            AVIO_5M,
            [g("garantia_liquida", "10000000"), g("aval", "2500000")],
            "1.5000",
            False,
            False,
        ),
        (
            "10.2.1 I-4",
            AVIO_5M,
            [g("fianza", "10000000", covers_balance=True), g("aval", "2500000")],
            "1.5000",
            False,
            False,
        ),
        (
            "10.2.1 I-4",
            AVIO_5M,
            [g("garantia_liquida", "10000000"), g("aval", "5000000")],
            "1.5000",
            False,
            False,
        ),
        # Never alone (10.1): semiurbana, rústica, concesión (and its reserves); capped by their cells.
        ("10.1", AVIO_5M, [g("hipoteca_semiurbana", "20000000")], "1.0000", False, True),
        ("10.1", AVIO_5M, [g("hipoteca_rustica", "40000000")], "1.0000", False, True),
        ("10.1", AVIO_5M, [g("concesion_minera", "20000000")], "1.0000", False, True),
        # Only for avío revolvente: a letter of credit alone counts nothing on an avío (10.2.1).
        ("10.2.1", AVIO_5M, [g("carta_credito", "12000000")], "0.0000", False, False),
    ],
)
def test_sole_guarantees(make_doc, rule, request_, guarantees, achieved, ok, sole_error):
    result = evaluate_document(make_doc(request=request_, guarantees=guarantees))
    cov = result["coverage"]
    assert (cov["required"], cov["achieved"], cov["ok"]) == ("2", achieved, ok), rule
    assert ("10.1" in errors_of(result)) is sole_error, rule
    assert result["eligible"] is (ok and not sole_error), (rule, result["findings"])


def test_a_sole_liquid_guarantee_is_not_capped_by_its_cell_i7(make_doc):
    # The audit's case: avío of 5 M with a sole líquida of 10 M was refused at 1.0 : 1; it is 2 : 1.
    result = evaluate_document(make_doc(request=AVIO_5M, guarantees=[g("garantia_liquida", "10000000")]))
    line = result["coverage"]["guarantees"][0]
    assert (line["accepted"], line["counted"], line["limited_by"]) == ("10000000.00", "10000000.00", "10.1")
    assert "I-7" in line["note"]
    assert any("única garantía ofrecida" in m for m in messages(result, "10.1", "info"))
    assert result["eligible"] is True


def test_the_fianza_says_why_it_cannot_stand_alone_10_1(make_doc):
    result = evaluate_document(
        make_doc(request=AVIO_5M, guarantees=[g("fianza", "10000000", covers_balance=False)])
    )
    (text,) = messages(result, "10.1")
    assert text.startswith(
        "Fianza de pago o de crédito no puede ser la única garantía: se indicó que no lo cubre"
    )
    assert "covers_balance" in text
    assert "saldo insoluto" in text
    result = evaluate_document(make_doc(request=AVIO_5M, guarantees=[g("fianza", "10000000")]))
    assert "no se indicó que lo cubra" in messages(result, "10.1")[0]


def test_the_fianza_alone_still_backs_only_up_to_three_years_10_1(make_doc):
    request_ = {**AVIO_5M, "term_months": 37}
    result = evaluate_document(
        make_doc(request=request_, guarantees=[g("fianza", "10000000", covers_balance=True)])
    )
    assert result["coverage"]["guarantees"][0]["counted"] == "0.00"
    assert result["eligible"] is False


def test_nothing_stands_alone_in_the_new_equipment_class_10_2_1_fn2(make_doc):
    # Footnote 2: every other guarantee complements the new equipment's own pledge.
    request_ = {"amount": "5000000", "investment_program": "5000000", "new_equipment_option": True}
    result = evaluate_document(make_doc(request=request_, guarantees=[g("garantia_liquida", "10000000")]))
    assert result["coverage"]["guarantees"][0]["counted"] == "2500000.00"  # its 0.5 : 1 cell
    assert "10.2.1" in errors_of(result)
    assert result["eligible"] is False


# ---------------------------------------------------------------- covers_balance is read or refused


@pytest.mark.parametrize(
    ("rule", "guarantees", "bad"),
    [
        ("10.1", [g("garantia_liquida", "10000000", covers_balance=True)], [0]),
        ("10.1", [g("carta_credito", "10000000", covers_balance=False)], [0]),
        ("10.1", [g("hipoteca_urbana", "10000000"), g("aval", "1", covers_balance=True)], [1]),
        (
            "10.1",
            [g("hipoteca_urbana", "10000000", covers_balance=True), g("fianza", "1", covers_balance=True)],
            [0],
        ),
    ],
)
def test_covers_balance_on_a_type_that_does_not_read_it_is_refused(make_doc, rule, guarantees, bad):
    with pytest.raises(InputErrors) as caught:
        evaluate_document(make_doc(request=AVIO_5M, guarantees=guarantees))
    assert [e.field for e in caught.value.errors] == [f"guarantees[{i}].covers_balance" for i in bad]
    for e in caught.value.errors:
        assert e.rule == rule
        assert "sólo aplica a fianza de pago o de crédito" in e.message


@pytest.mark.parametrize(("covers", "eligible"), [(True, True), (False, False), (None, False)])
def test_covers_balance_changes_the_answer_10_1(make_doc, covers, eligible):
    fianza = g("fianza", "10000000") if covers is None else g("fianza", "10000000", covers_balance=covers)
    result = evaluate_document(make_doc(request=AVIO_5M, guarantees=[fianza]))
    assert result["eligible"] is eligible


# ----------------------------------------------------------------- aval net-worth statement (10.4)


@pytest.mark.parametrize(
    ("rule", "statement", "counted", "ok", "warning_text"),
    [
        ("10.4", "2025-12-02", "6000000.00", True, None),  # exactly 3 months before the application
        ("10.4", "2026-02-15", "6000000.00", True, None),
        ("10.4", "2025-12-01", "0.00", False, "tiene más de 3 meses"),  # stale: counts 0, like an appraisal
        ("10.4", "2024-01-01", "0.00", False, "tiene más de 3 meses"),
        ("10.4", None, "6000000.00", True, "debe presentar relación patrimonial"),  # pending: still counts
    ],
)
def test_aval_net_worth_statement_age(make_doc, rule, statement, counted, ok, warning_text):
    # SPEC example: refaccionario 12 M (requires 24 M), hipoteca 20 M, aval 10 M (cell 0.5 : 1 = 6 M).
    aval = {"type": "aval", "value": "10000000"}
    if statement:
        aval["net_worth_statement_date"] = statement
    result = evaluate_document(make_doc(guarantees=[g("hipoteca_industrial", "20000000"), aval]))
    line = result["coverage"]["guarantees"][1]
    assert line["counted"] == counted, rule
    assert result["coverage"]["ok"] is ok
    found = messages(result, "10.4", "warning")
    if warning_text is None:
        assert found == []
    else:
        assert any(warning_text in m for m in found), found
    if counted == "0.00":
        assert line["limited_by"] == "10.4"
        assert any("no computa" in m for m in found)


# ------------------------------------------------------------------ refusals say what failed (9.2.2 …)


def test_usd_refusal_says_what_is_missing_9_2_2(make_doc):
    doc = make_doc(request={"currency": "USD", "amount": "500000", "investment_program": "600000"})
    doc["applicant"]["usd_income"] = False
    result = evaluate_document(doc)
    (text,) = messages(result, "9.2.2")
    assert text.startswith(
        "Crédito en dólares no procedente: la empresa no cotiza ni factura sus productos o servicios en "
        "dólares ni genera divisas suficientes para la amortización del crédito (applicant.usd_income)."
    )
    assert "Procede en dólares sólo si:" in text


@pytest.mark.parametrize(
    ("rule", "applicant", "request_", "text"),
    [
        ("5", {"mexican": False}, {}, "El solicitante no es persona o sociedad mexicana"),
        (
            "9.1",
            {},
            {
                "credit_type": "pago_pasivos",
                "term_months": 60,
                "grace_months": 6,
                "liabilities_current": False,
            },
            "El solicitante no está al corriente en sus pagos",
        ),
        (
            "9.1",
            {},
            {
                "credit_type": "pago_pasivos",
                "term_months": 60,
                "grace_months": 6,
                "liabilities_to_affiliates": True,
            },
            "Los pasivos a pagar son con empresas filiales",
        ),
        (
            "9.2.3",
            {},
            {"term_months": 12, "grace_months": 12},
            "La gracia de 12 meses no es menor que el plazo de 12",
        ),
    ],
)
def test_refusals_state_the_failure(make_doc, rule, applicant, request_, text):
    doc = make_doc(request={"amount": "2000000", "investment_program": "2000000", **request_})
    doc["applicant"].update(applicant)
    result = evaluate_document(doc)
    assert any(
        m.startswith(text) for f in result["findings"] if f["severity"] == "error" for m in [f["message"]]
    ), (
        rule,
        result["findings"],
    )
