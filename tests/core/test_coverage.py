"""Guarantee coverage (Rules 10): acceptance, caps, sole-guarantee prohibitions, appraisal and policies."""

from __future__ import annotations

from typing import Any

import pytest

from filon.core.evaluation import evaluate_document

pytestmark = pytest.mark.pure

AMOUNT = "10000000"  # MXN; required 2 : 1 → 20,000,000


def doc_with(make_doc, guarantees: list[dict[str, Any]], **request: Any) -> dict[str, Any]:
    req = {"amount": AMOUNT, "investment_program": AMOUNT, **request}
    return make_doc(request=req, guarantees=guarantees)


def coverage(make_doc, guarantees, **request) -> dict[str, Any]:
    return evaluate_document(doc_with(make_doc, guarantees, **request))["coverage"]


def rules_of(result: dict[str, Any], severity: str) -> set[str]:
    return {f["rule"] for f in result["findings"] if f["severity"] == severity}


def mortgage(value: str, kind: str = "hipoteca_industrial", appraisal: str = "2026-01-10") -> dict[str, str]:
    return {"type": kind, "value": value, "appraisal_date": appraisal}


@pytest.mark.parametrize(
    ("gtype", "value", "accepted"),
    [
        ("hipoteca_industrial", "1000000", "1000000.00"),
        ("hipoteca_urbana", "1000000", "1000000.00"),
        ("hipoteca_semiurbana", "1000000", "900000.00"),
        ("hipoteca_rustica", "1000000", "500000.00"),
        ("concesion_minera", "1000000", "1000000.00"),
        ("prenda_usada", "1000000", "700000.00"),
    ],
)
def test_acceptance_percentage_on_appraisal(make_doc, gtype, value, accepted):
    guarantees = [mortgage("20000000"), mortgage(value, gtype)]
    line = coverage(make_doc, guarantees)["guarantees"][1]
    assert line["accepted"] == accepted


def test_mortgage_may_carry_the_whole_requirement(make_doc):
    cov = coverage(make_doc, [mortgage("20000000")])
    assert (cov["achieved"], cov["ok"]) == ("2.0000", True)


@pytest.mark.parametrize(
    ("gtype", "extra", "counted", "rule"),
    [
        # per-type caps of the 2 : 1 column (I-4), as a ratio of the 10 M credit
        ("aval", {}, "5000000.00", "10.2.1"),
        ("garantia_liquida", {}, "10000000.00", "10.2.1"),
        # 10.3 share caps: ≤ 50 % of the 20 M requirement
        ("prenda_nueva", {"first_invoice_date": "2026-01-15"}, "10000000.00", None),
        ("hipoteca_rustica", {"appraisal_date": "2026-01-10"}, "10000000.00", None),
        ("concesion_minera", {"appraisal_date": "2026-01-10"}, "10000000.00", None),
    ],
)
def test_type_caps(make_doc, gtype, extra, counted, rule):
    big = {"type": gtype, "value": "30000000", **extra}
    line = coverage(make_doc, [mortgage("15000000"), big])["guarantees"][1]
    assert line["counted"] == counted
    if rule:
        assert line["limited_by"] == rule


def test_share_cap_is_per_type_across_several_guarantees(make_doc):
    # New-equipment option: required 1.5 × 10 M = 15 M; prenda nueva may give at most 50 % of it (7.5 M),
    # tighter than its 1 : 1 column cap (10 M). Two pledges share that allowance in order.
    pledges = [{"type": "prenda_nueva", "value": "6000000", "first_invoice_date": "2026-01-15"}] * 2
    lines = coverage(make_doc, [*pledges, mortgage("5000000")], new_equipment_option=True)["guarantees"]
    assert [line["counted"] for line in lines[:2]] == ["6000000.00", "1500000.00"]
    assert lines[1]["limited_by"] == "10.3"


@pytest.mark.parametrize(
    "gtype", ["hipoteca_semiurbana", "hipoteca_rustica", "concesion_minera", "aval", "prenda_mineral"]
)
def test_types_that_cannot_stand_alone(make_doc, gtype):
    result = evaluate_document(doc_with(make_doc, [mortgage("90000000", gtype)]))
    assert result["eligible"] is False
    assert "10.1" in rules_of(result, "error") or result["coverage"]["ok"] is False


def test_carta_de_credito_may_be_sole_for_avio_revolvente_only(make_doc):
    letter = [{"type": "carta_credito", "value": "1000000"}]
    req = {
        "credit_type": "avio_revolvente",
        "amount": "500000",
        "investment_program": "500000",
        "term_months": 12,
        "grace_months": 0,
    }
    result = evaluate_document(make_doc(request=req, guarantees=letter))
    assert result["coverage"]["ok"] is True
    assert result["eligible"] is True
    req.update({"credit_type": "habilitacion_avio", "term_months": 12})
    result = evaluate_document(make_doc(request=req, guarantees=letter))
    assert result["coverage"]["guarantees"][0]["counted"] == "0.00"
    assert result["eligible"] is False


def test_retention_letter_backs_only_revolving_credits(make_doc):
    result = evaluate_document(
        doc_with(make_doc, [mortgage("20000000"), {"type": "carta_retencion", "value": "5000000"}])
    )
    line = result["coverage"]["guarantees"][1]
    assert line["counted"] == "0.00"
    assert line["limited_by"] == "10.1"


@pytest.mark.parametrize(
    ("gtype", "appraisal", "counts"),
    [
        ("hipoteca_industrial", "2025-03-02", True),  # exactly 12 months before the application
        ("hipoteca_industrial", "2025-03-01", False),
        ("prenda_usada", "2025-09-02", True),  # additional used pledge: 6 months
        ("prenda_usada", "2025-09-01", False),
    ],
)
def test_appraisal_validity(make_doc, gtype, appraisal, counts):
    result = evaluate_document(
        doc_with(make_doc, [mortgage("20000000"), mortgage("1000000", gtype, appraisal)])
    )
    line = result["coverage"]["guarantees"][1]
    assert (line["counted"] != "0.00") is counts
    if not counts:
        assert line["limited_by"] == "10.5"


def test_missing_appraisal_does_not_count(make_doc):
    line = coverage(make_doc, [{"type": "hipoteca_industrial", "value": "20000000"}])["guarantees"][0]
    assert (line["counted"], line["limited_by"]) == ("0.00", "10.5")


def test_renewal_reuses_the_last_appraisal(make_doc):
    old = {**mortgage("20000000", appraisal="2020-01-01"), "reuses_last_appraisal": True}
    assert coverage(make_doc, [old])["ok"] is True


def test_new_equipment_older_than_twelve_months_is_used(make_doc):
    pledge = {
        "type": "prenda_nueva",
        "value": "1000000",
        "first_invoice_date": "2025-03-01",
        "appraisal_date": "2026-01-01",
    }
    result = evaluate_document(doc_with(make_doc, [mortgage("20000000"), pledge]))
    line = result["coverage"]["guarantees"][1]
    assert (line["type"], line["accepted"]) == ("prenda_usada", "700000.00")
    assert "10.4" in rules_of(result, "warning")


@pytest.mark.parametrize(
    ("extra", "rule"),
    [
        ({"hechizo": True}, "10.4"),
        ({"insurable": False}, "10.6"),
        ({"lien_rank": 2}, "10.4"),
        ({"is_transport": True, "first_invoice_date": "2021-03-01"}, "10.4"),
    ],
)
def test_policy_exclusions(make_doc, extra, rule):
    pledge = {"type": "prenda_usada", "value": "1000000", "appraisal_date": "2026-01-01", **extra}
    line = coverage(make_doc, [mortgage("20000000"), pledge])["guarantees"][1]
    assert (line["counted"], line["limited_by"]) == ("0.00", rule)


def test_transport_up_to_five_years_counts(make_doc):
    pledge = {
        "type": "prenda_usada",
        "value": "1000000",
        "appraisal_date": "2026-01-01",
        "is_transport": True,
        "first_invoice_date": "2021-03-02",
    }
    assert coverage(make_doc, [mortgage("20000000"), pledge])["guarantees"][1]["counted"] == "700000.00"


def test_fianza_only_backs_credits_up_to_three_years(make_doc):
    bond = {"type": "fianza", "value": "10000000"}
    assert coverage(make_doc, [mortgage("10000000"), bond], term_months=36, grace_months=6)["ok"] is True
    line = coverage(make_doc, [mortgage("10000000"), bond], term_months=37, grace_months=6)["guarantees"][1]
    assert line["counted"] == "0.00"


def test_new_equipment_option_needs_1_5_and_adds_a_point(make_doc):
    pledge = {"type": "prenda_nueva", "value": "10000000", "first_invoice_date": "2026-01-15"}
    guarantees = [pledge, mortgage("5000000")]
    result = evaluate_document(doc_with(make_doc, guarantees, new_equipment_option=True))
    # prenda nueva: min(10 M, cap 1 × 10 M, 50 % of the 15 M required) = 7.5 M; mortgage cap 0.5 → 5 M.
    assert result["coverage"]["required"] == "1.5"
    assert result["coverage"]["counted_amount_mxn"] == "12500000.00"
    assert result["coverage"]["ok"] is False
    result = evaluate_document(
        doc_with(make_doc, [*guarantees, {"type": "aval", "value": "5000000"}], new_equipment_option=True)
    )
    assert result["coverage"]["ok"] is True
    assert result["pricing"]["total_spread"] == "0.0450"  # 3.50 habitual + 1 point (10.2.1)


def test_new_equipment_option_only_up_to_two_million_usd(make_doc):
    doc = doc_with(
        make_doc,
        [mortgage("90000000")],
        new_equipment_option=True,
        amount="37000000.01",
        investment_program="40000000",
    )
    doc["applicant"]["equity_mxn"] = "90000000"
    assert "10.2.1" in rules_of(evaluate_document(doc), "error")


def test_introductores_need_retention_letter_and_mineral_pledge(make_doc):
    req = {
        "credit_type": "avio_revolvente_introductores",
        "amount": "1500000",
        "investment_program": "1500000",
        "term_months": 12,
        "grace_months": 0,
    }
    guarantees = [
        mortgage("1500000"),
        {"type": "carta_retencion", "value": "1500000"},
        {"type": "prenda_mineral", "value": "1500000"},
    ]
    result = evaluate_document(make_doc(request=req, guarantees=guarantees))
    assert result["eligible"] is True, result["findings"]
    result = evaluate_document(make_doc(request=req, guarantees=guarantees[:2]))
    assert "10.2.2" in rules_of(result, "error")


def test_introductores_irregular_history_needs_the_concession(make_doc):
    req = {
        "credit_type": "avio_revolvente_introductores",
        "amount": "1500000",
        "investment_program": "1500000",
        "term_months": 12,
        "grace_months": 0,
    }
    guarantees = [
        mortgage("1500000"),
        {"type": "carta_retencion", "value": "1500000"},
        {"type": "prenda_mineral", "value": "1500000"},
    ]
    doc = make_doc(applicant={"credit_history": "irregular"}, request=req, guarantees=guarantees)
    assert "10.2.2" in rules_of(evaluate_document(doc), "error")
    doc["guarantees"].append(mortgage("1000000", "concesion_minera"))
    assert "10.2.2" not in rules_of(evaluate_document(doc), "error")


def test_aval_needs_a_recent_net_worth_statement(make_doc):
    aval = {"type": "aval", "value": "5000000", "net_worth_statement_date": "2025-12-02"}
    result = evaluate_document(doc_with(make_doc, [mortgage("20000000"), aval]))
    assert not any(f["rule"] == "10.4" for f in result["findings"])
    aval["net_worth_statement_date"] = "2025-12-01"
    result = evaluate_document(doc_with(make_doc, [mortgage("20000000"), aval]))
    assert "10.4" in rules_of(result, "warning")
