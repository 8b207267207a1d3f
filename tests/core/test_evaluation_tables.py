"""Table-driven tests of the credit-rules engine: every table of the Rules and its boundaries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from filon.core.evaluation import evaluate_document

pytestmark = pytest.mark.pure


def errors(result: dict[str, Any]) -> list[dict[str, str]]:
    return [f for f in result["findings"] if f["severity"] == "error"]


def error_rules(result: dict[str, Any]) -> set[str]:
    return {f["rule"] for f in errors(result)}


def test_spec_example_verdict(make_doc):
    result = evaluate_document(make_doc())
    assert result["eligible"] is True
    assert (result["size"], result["segment"], result["committee"]) == (
        "pequena",
        "habitual",
        "comite_interno",
    )
    assert result["exposure_usd"] == "648648.65"
    # 100 % of the investment program (14 M) is tighter than the cap (3.5 M USD) and equity (30 M).
    assert result["limits"] == {"max_amount": "14000000.00", "max_term_months": 120, "max_grace_months": 24}
    assert result["coverage"]["required"] == "2"
    assert result["coverage"]["achieved"] == "2.1666"  # (20 M + min(10 M, 0.5 × 12 M)) / 12 M
    assert result["opening_commission"] == {
        "rate": "0.015",
        "amount": "180000.00",
        "iva": "28800.00",
        "total": "208800.00",
    }
    assert all(f["rule"] for f in result["findings"])


# --------------------------------------------------------------------------------------------- size


def employees_doc(make_doc, sector: str, employees: int) -> dict[str, Any]:
    return make_doc(applicant={"mining_class": "no_concesible", "sector": sector, "employees": employees})


@pytest.mark.parametrize(
    ("sector", "employees", "size"),
    [
        ("industria", 30, "micro"),
        ("industria", 31, "pequena"),
        ("industria", 100, "pequena"),
        ("industria", 101, "mediana"),
        ("industria", 500, "mediana"),
        ("industria", 501, "grande"),
        ("comercio", 5, "micro"),
        ("comercio", 6, "pequena"),
        ("comercio", 20, "pequena"),
        ("comercio", 21, "mediana"),
        ("comercio", 100, "mediana"),
        ("comercio", 101, "grande"),
        ("servicios", 20, "micro"),
        ("servicios", 21, "pequena"),
        ("servicios", 50, "pequena"),
        ("servicios", 51, "mediana"),
        ("servicios", 100, "mediana"),
        ("servicios", 101, "grande"),
    ],
)
def test_size_by_employees(make_doc, sector, employees, size):
    assert evaluate_document(employees_doc(make_doc, sector, employees))["size"] == size


UMA = Decimal("41273.52")


@pytest.mark.parametrize(
    ("income_uma", "tons", "size"),
    [
        ("5000", None, "pequena"),
        ("5000.01", None, "mediana"),
        ("20000", None, "mediana"),
        ("20000.01", None, "grande"),
        (None, 3000, "pequena"),
        (None, 3001, "mediana"),
        (None, 12000, "mediana"),
        (None, 12001, "grande"),
        # I-1: a miner is small/medium if it meets any criterion, so the smaller class wins.
        ("25000", 2000, "pequena"),
        ("4000", 15000, "pequena"),
        ("15000", 20000, "mediana"),
        ("30000", 20000, "grande"),
    ],
)
def test_concesible_size_by_income_or_production(make_doc, income_uma, tons, size):
    income = None if income_uma is None else str(Decimal(income_uma) * UMA)
    applicant: dict[str, Any] = {"annual_gross_income_mxn": income, "production_tons_month": tons}
    assert evaluate_document(make_doc(applicant=applicant))["size"] == size


def test_concesible_size_needs_income_or_production(make_doc):
    from filon.core.errors import InputError

    doc = make_doc(applicant={"annual_gross_income_mxn": None, "production_tons_month": None})
    with pytest.raises(InputError) as exc:
        evaluate_document(doc)
    assert exc.value.field == "applicant.annual_gross_income_mxn"
    assert exc.value.rule == "5"


def test_uma_comes_from_the_rule_set_by_date_when_not_given(make_doc):
    # 5,000 UMA of 2026 (42,794.64) is 213,973,200; of 2025 (41,273.52) it is 206,367,600.
    doc = make_doc(
        as_of="2026-02-01", applicant={"annual_gross_income_mxn": "213973200", "production_tons_month": None}
    )
    doc.pop("uma_annual_mxn")
    assert evaluate_document(doc)["size"] == "pequena"
    doc["as_of"] = "2026-01-31"
    assert evaluate_document(doc)["size"] == "mediana"


# ------------------------------------------------------------------------------------------ segment


@pytest.mark.parametrize(
    ("years_fifomi", "amount", "years_sales", "segment"),
    [
        ("5.01", "10000000", "6", "preferente"),
        ("5", "10000000", "6", "habitual"),  # "más de 5 años"
        ("6", "9999999.99", "6", "habitual"),  # "al menos 10.0 millones"
        ("0", "1000000", "2", "habitual"),
        ("0", "1000000", "1.99", "nuevo"),
    ],
)
def test_segment(make_doc, years_fifomi, amount, years_sales, segment):
    doc = make_doc(
        applicant={
            "years_satisfactory_with_fifomi": years_fifomi,
            "years_of_sales": years_sales,
            "equity_mxn": "50000000",
        },
        request={"amount": amount, "investment_program": "20000000"},
    )
    assert evaluate_document(doc)["segment"] == segment


# ------------------------------------------------------------------------------------------ routing


def usd_doc(make_doc, amount_usd: str, outstanding: str = "0", **applicant: Any) -> dict[str, Any]:
    return make_doc(
        applicant={
            "group_outstanding_usd": outstanding,
            "equity_mxn": "500000000",
            "usd_income": True,
            **applicant,
        },
        request={"currency": "USD", "amount": amount_usd, "investment_program": "10000000"},
        guarantees=[{"type": "hipoteca_industrial", "value": "1000000000", "appraisal_date": "2026-01-10"}],
    )


@pytest.mark.parametrize(
    ("amount", "outstanding", "committee"),
    [
        ("2000000.00", "0", "comite_interno"),
        ("2000000.01", "0", "comite_externo"),
        ("1500000", "500000", "comite_interno"),
        ("1500000", "500000.01", "comite_externo"),
        ("3500000", "1500000", "comite_externo"),  # exactly 5.0 M
        ("3500000", "1500000.01", "comite_tecnico"),
    ],
)
def test_committee_by_exposure(make_doc, amount, outstanding, committee):
    result = evaluate_document(usd_doc(make_doc, amount, outstanding))
    assert result["committee"] == committee
    assert Decimal(result["exposure_usd"]) == Decimal(amount) + Decimal(outstanding)


def test_large_company_goes_to_the_technical_committee(make_doc):
    doc = make_doc(applicant={"mining_class": "no_concesible", "employees": 501})
    result = evaluate_document(doc)
    assert result["size"] == "grande"
    assert result["committee"] == "comite_tecnico"
    assert result["eligible"] is True  # SPEC: a large company is eligible under
    assert result["pricing"]["spread"] == "0.0450"  # higher than the PYME habitual 0.0350


def test_mxn_exposure_uses_the_fix_rate(make_doc):
    # 37,000,000 MXN at 18.50 = exactly USD 2,000,000.00 → Comité Interno; one centavo more → Externo.
    base = {"equity_mxn": "100000000"}
    doc = make_doc(
        applicant=base,
        request={"amount": "37000000", "investment_program": "40000000"},
        guarantees=[{"type": "hipoteca_industrial", "value": "90000000", "appraisal_date": "2026-01-10"}],
    )
    assert evaluate_document(doc)["committee"] == "comite_interno"
    doc["request"]["amount"] = "37000000.01"
    assert evaluate_document(doc)["committee"] == "comite_externo"


# --------------------------------------------------------------------------------------------- caps


@pytest.mark.parametrize(
    ("credit_type", "cap", "term", "grace"),
    [
        ("habilitacion_avio", "1000000", 60, 12),
        ("refaccionario", "3500000", 120, 24),
        ("pago_pasivos", "2000000", 60, 6),
        ("avio_revolvente", "500000", 12, 0),
        ("avio_revolvente_proveedores", "2500000", 36, 0),
        ("avio_revolvente_introductores", "1000000", 12, 0),
    ],
)
def test_amount_caps_terms_and_grace(make_doc, credit_type, cap, term, grace):
    doc = usd_doc(make_doc, cap)
    doc["request"].update({"credit_type": credit_type, "term_months": term, "grace_months": grace})
    at_cap = evaluate_document(doc)
    assert "9.2.1" not in error_rules(at_cap)
    assert at_cap["limits"]["max_term_months"] == term
    assert at_cap["limits"]["max_grace_months"] == grace
    assert "9.2.3" not in error_rules(at_cap)
    doc["request"]["amount"] = str(Decimal(cap) + Decimal("0.01"))
    assert "9.2.1" in error_rules(evaluate_document(doc))
    doc["request"].update({"amount": cap, "term_months": term + 1})
    assert "9.2.3" in error_rules(evaluate_document(doc))
    doc["request"].update({"term_months": term, "grace_months": grace + 1})
    assert "9.2.3" in error_rules(evaluate_document(doc))


def test_cap_message_names_amount_cap_and_rule(make_doc):
    doc = usd_doc(make_doc, "1000000.01")
    doc["request"].update({"credit_type": "habilitacion_avio", "term_months": 60})
    messages = [f["message"] for f in errors(evaluate_document(doc)) if f["rule"] == "9.2.1"]
    assert messages == [
        "El monto solicitado (USD 1,000,000.01) excede el máximo de USD 1,000,000.00 para habilitación o avío"
        " — Regla 9.2.1"
    ]


def test_mxn_cap_is_the_usd_cap_at_fix(make_doc):
    # refaccionario 3.5 M USD × 18.50 = 64,750,000.00 MXN
    doc = make_doc(
        applicant={"equity_mxn": "900000000"},
        request={"amount": "64750000", "investment_program": "70000000"},
        guarantees=[{"type": "hipoteca_industrial", "value": "200000000", "appraisal_date": "2026-01-10"}],
    )
    result = evaluate_document(doc)
    assert result["limits"]["max_amount"] == "64750000.00"
    assert "9.2.1" not in error_rules(result)
    doc["request"]["amount"] = "64750000.01"
    assert "9.2.1" in error_rules(evaluate_document(doc))


def test_group_cap_includes_current_balances(make_doc):
    doc = usd_doc(make_doc, "1500000", outstanding="3500000")
    result = evaluate_document(doc)
    assert result["limits"]["max_amount"] == "1500000.00"
    assert "9.2.2" not in error_rules(result)
    doc["applicant"]["group_outstanding_usd"] = "3500000.01"
    result = evaluate_document(doc)
    assert result["limits"]["max_amount"] == "1499999.99"
    assert "9.2.2" in error_rules(result)


@pytest.mark.parametrize(
    ("new_project", "investment", "equity", "max_amount"),
    [
        (False, "14000000", "30000000", "14000000.00"),  # 100 % of the investment program
        (False, "40000000", "12000000", "12000000.00"),  # 100 % of equity
        (True, "20000000", "30000000", "10000000.00"),  # new project: 50 %
    ],
)
def test_financing_percentage(make_doc, new_project, investment, equity, max_amount):
    doc = make_doc(
        applicant={"new_project": new_project, "equity_mxn": equity},
        request={"investment_program": investment},
    )
    result = evaluate_document(doc)
    assert result["limits"]["max_amount"] == max_amount
    assert ("7" in error_rules(result)) is (Decimal(max_amount) < Decimal("12000000"))


def test_usd_credit_needs_usd_income(make_doc):
    doc = usd_doc(make_doc, "100000")
    doc["applicant"]["usd_income"] = False
    assert "9.2.2" in error_rules(evaluate_document(doc))
    doc["applicant"].pop("usd_income")
    result = evaluate_document(doc)
    assert "9.2.2" not in error_rules(result)
    assert any(f["rule"] == "9.2.2" and f["severity"] == "warning" for f in result["findings"])


def test_revolvency_window(make_doc):
    doc = make_doc(
        request={
            "credit_type": "avio_revolvente_introductores",
            "amount": "1000000",
            "term_months": 12,
            "grace_months": 0,
            "drawdown_days": 30,
        }
    )
    assert "9.2.3" not in error_rules(evaluate_document(doc))
    for days in (29, 181):
        doc["request"]["drawdown_days"] = days
        assert "9.2.3" in error_rules(evaluate_document(doc))


# ---------------------------------------------------------------------------------------- selection


@pytest.mark.parametrize("flag", ["overdue_debts", "strike", "lawsuits", "embargo", "concurso_mercantil"])
def test_selection_flags_reject(make_doc, flag):
    result = evaluate_document(make_doc(applicant={flag: True}))
    assert result["eligible"] is False
    assert "6" in error_rules(result)


@pytest.mark.parametrize(("keys", "ok"), [([], True), (["83"], True), (["83", "41"], False), (["CL"], False)])
def test_bureau_prevention_keys(make_doc, keys, ok):
    result = evaluate_document(make_doc(applicant={"bureau_prevention_keys": keys}))
    assert ("6" not in error_rules(result)) is ok


@pytest.mark.parametrize(("lost", "bankrupt"), [("0.6666", False), ("0.6667", True), ("1", True)])
def test_technical_bankruptcy_at_two_thirds(make_doc, lost, bankrupt):
    result = evaluate_document(make_doc(applicant={"capital_lost_fraction": lost}))
    assert ("6" in error_rules(result)) is bankrupt


def test_condoned_history_needs_a_trust_guarantee(make_doc):
    doc = make_doc(applicant={"condoned_history": True})
    assert "6" in error_rules(evaluate_document(doc))
    doc["guarantees"][0]["fiduciary"] = True
    assert "6" not in error_rules(evaluate_document(doc))
    doc["request"]["credit_type"] = "pago_pasivos"
    doc["request"]["term_months"] = 60
    doc["request"]["grace_months"] = 6
    assert "6" in error_rules(evaluate_document(doc))


def test_activity_outside_anexo_i_and_double_star(make_doc):
    assert "Anexo I" in error_rules(evaluate_document(make_doc(applicant={"activity": 36})))
    # Activity 1 (comercio de minerales) is (**): only with primary extraction.
    assert "Anexo I" in error_rules(
        evaluate_document(make_doc(applicant={"activity": 1, "primary_extraction": False}))
    )
    assert "Anexo I" not in error_rules(
        evaluate_document(make_doc(applicant={"activity": 1, "primary_extraction": True}))
    )


def test_supplier_credit_counts_the_buyers_activity(make_doc):
    doc = make_doc(
        applicant={"activity": 99, "buyer_activity": 21},
        request={"credit_type": "avio_revolvente_proveedores", "term_months": 36, "grace_months": 0},
    )
    assert "Anexo I" not in error_rules(evaluate_document(doc))


def test_pago_pasivos_purpose(make_doc):
    doc = make_doc(
        request={
            "credit_type": "pago_pasivos",
            "term_months": 60,
            "grace_months": 6,
            "liabilities_to_affiliates": True,
        }
    )
    assert "9.1.5" in error_rules(evaluate_document(doc))


# -------------------------------------------------------------------------------------- commissions


@pytest.mark.parametrize(
    ("credit_type", "term", "rate", "amount", "iva", "total", "per_drawdown"),
    [
        ("refaccionario", 84, "0.015", "150000.00", "24000.00", "174000.00", None),
        ("pago_pasivos", 60, "0.015", "150000.00", "24000.00", "174000.00", None),
        ("avio_revolvente_introductores", 12, "0.015", "150000.00", "24000.00", "174000.00", None),
        ("avio_revolvente_proveedores", 36, "0", "0.00", "0.00", "0.00", "0.005"),
    ],
)
def test_opening_commission(make_doc, credit_type, term, rate, amount, iva, total, per_drawdown):
    doc = make_doc(
        request={"credit_type": credit_type, "amount": "10000000", "term_months": term, "grace_months": 0}
    )
    result = evaluate_document(doc)
    assert result["opening_commission"] == {"rate": rate, "amount": amount, "iva": iva, "total": total}
    assert result.get("per_drawdown_commission", {}).get("rate") == per_drawdown


def test_usd_per_drawdown_commission(make_doc):
    doc = usd_doc(make_doc, "100000")
    doc["request"].update(
        {"credit_type": "avio_revolvente_proveedores", "term_months": 36, "grace_months": 0}
    )
    assert evaluate_document(doc)["per_drawdown_commission"] == {"rate": "0.0015"}


def test_commission_rounds_half_up(make_doc):
    # 1.5 % of 1,000,000.33 = 15,000.00495 → 15,000.00; IVA 2,400.00
    doc = make_doc(request={"amount": "1000000.33"})
    assert evaluate_document(doc)["opening_commission"]["amount"] == "15000.00"
    doc = make_doc(request={"amount": "1000000.34"})  # 15,000.0051 → 15,000.01; IVA 2,400.0016 → 2,400.00
    assert evaluate_document(doc)["opening_commission"] == {
        "rate": "0.015",
        "amount": "15000.01",
        "iva": "2400.00",
        "total": "17400.01",
    }


# ---------------------------------------------------------------------------------- attention time


def test_attention_deadline_counts_mexican_business_days(make_doc):
    # From Friday 2026-03-06, counting business days: Mar 9–13 (5), 17–20 (4; Monday 16 is Benito Juárez),
    # 23–27 (5), Mar 30–Apr 1 (3), Holy Thursday and Friday Apr 2–3 are bank holidays, Apr 6–10 (5),
    # 13–17 (5), 20–22 (3) = 30 → Wednesday 2026-04-22.
    result = evaluate_document(make_doc(request={"requirements_complete_date": "2026-03-06"}))
    assert result["attention_time"]["deadline"] == "2026-04-22"


def test_attention_time_not_applicable_above_two_million_usd(make_doc):
    result = evaluate_document(usd_doc(make_doc, "2000000.01"))
    assert result["attention_time"]["applies"] is False
