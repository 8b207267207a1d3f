"""The special programs of Chapter II (SPEC P-1 … P-4, I-4 … I-6) through `evaluate_document`.

Each program overrides the general rules only where it says so; the error findings cite the program's own
sections as recorded in programs.yaml. P-2 and P-4 closed in 2014 (valid_until), so their positive cases are
evaluated on a date inside their validity (2013-03-01); P-1 and P-3 have no end date and use the SPEC
example's date.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from filon.core.evaluation import evaluate_document
from filon.rules import load_ruleset_for_date
from filon.rules.schema import CreditType

pytestmark = pytest.mark.pure

ZERO_COMMISSION = {"rate": "0", "amount": "0.00", "iva": "0.00", "total": "0.00"}


def rules_of(result: dict[str, Any], severity: str) -> set[str]:
    return {f["rule"] for f in result["findings"] if f["severity"] == severity}


def error_rules(result: dict[str, Any]) -> set[str]:
    return rules_of(result, "error")


def messages(result: dict[str, Any], rule: str, severity: str = "error") -> list[str]:
    return [f["message"] for f in result["findings"] if f["rule"] == rule and f["severity"] == severity]


def coverage_summary(result: dict[str, Any]) -> tuple[str, str, bool, str, str]:
    cov = result["coverage"]
    return cov["required"], cov["achieved"], cov["ok"], cov["counted_amount_mxn"], cov["fund_amount_mxn"]


def with_changes(
    doc: dict[str, Any], *, applicant: dict[str, Any] | None = None, **request: Any
) -> dict[str, Any]:
    """A copy of `doc` with applicant fields and request fields replaced (None removes the field)."""
    new = copy.deepcopy(doc)
    for section, changes in (("applicant", applicant or {}), ("request", request)):
        for key, value in changes.items():
            if value is None:
                new[section].pop(key, None)
            else:
                new[section][key] = value
    return new


def mortgage(value: str, appraisal: str, kind: str = "hipoteca_industrial") -> dict[str, str]:
    return {"type": kind, "value": value, "appraisal_date": appraisal}


# ===================================================================================================
# P-2 Programa Nacional de Crédito Directo para la Pequeña Minería (2011-09-22 … 2014-09-22)
# ===================================================================================================

P2_AS_OF = "2013-03-01"
P2_APPRAISAL = "2013-01-10"


@pytest.fixture
def p2(make_doc) -> dict[str, Any]:
    """A small miner (pequeña), refaccionario of 1.5 M MXN at the program's cap, mortgage exactly 1 : 1."""
    return make_doc(
        as_of=P2_AS_OF,
        request={
            "program": "pequena_mineria",
            "credit_type": "refaccionario",
            "amount": "1500000",
            "investment_program": "1500000",
            "term_months": 60,
            "grace_months": 6,
        },
        guarantees=[mortgage("1500000", P2_APPRAISAL)],
    )


def test_p2_baseline_verdict(p2):
    result = evaluate_document(p2)
    assert result["eligible"] is True, result["findings"]
    assert (result["size"], result["committee"]) == ("pequena", "comite_interno")
    assert result["limits"] == {"max_amount": "1500000.00", "max_term_months": 60, "max_grace_months": 6}
    # I-5: 1.5 : 1 in total, the guarantee fund's 0.5 : 1 included: 1.5 M own + 0.75 M fund = 2.25 M.
    assert coverage_summary(result) == ("1.5", "1.5000", True, "1500000.00", "750000.00")
    assert result["coverage"]["rule"] == "P-2 2.8"
    assert result["coverage"]["required_amount_mxn"] == "2250000.00"
    assert result["pricing"]["spread"] == "0.035"  # TIIE + 3.5 points
    assert result["pricing"]["spread_rule"] == "P-2 2.7"


@pytest.mark.parametrize(
    ("credit_type", "amount", "term"),
    [("refaccionario", "1500000", 60), ("habilitacion_avio", "1000000", 36)],
)
def test_p2_charges_no_commissions(p2, credit_type, amount, term):
    result = evaluate_document(with_changes(p2, credit_type=credit_type, amount=amount, term_months=term))
    assert result["eligible"] is True
    assert result["opening_commission"] == ZERO_COMMISSION
    assert "per_drawdown_commission" not in result
    assert any("no cobra comisiones" in m for m in messages(result, "P-2 2.7", "info"))


@pytest.mark.parametrize(
    ("applicant", "size", "eligible"),
    [
        ({"mining_class": "no_concesible", "sector": "industria", "employees": 30}, "micro", True),
        ({}, "pequena", True),  # concesible: 150 M MXN ≈ 3,634 UMA and 2,000 t/month
        ({"mining_class": "no_concesible", "sector": "industria", "employees": 100}, "pequena", True),
        ({"mining_class": "no_concesible", "sector": "industria", "employees": 101}, "mediana", False),
        # concesible: both income (> 5,000 UMA) and production (> 3,000 t) above pequeña (I-1)
        ({"annual_gross_income_mxn": "300000000", "production_tons_month": 4000}, "mediana", False),
    ],
)
def test_p2_serves_micro_and_small_only(p2, applicant, size, eligible):
    result = evaluate_document(with_changes(p2, applicant=applicant))
    assert result["size"] == size
    assert result["eligible"] is eligible
    assert error_rules(result) == (set() if eligible else {"P-2 2.2"})


@pytest.mark.parametrize(
    ("credit_type", "term", "amount", "max_amount", "refused"),
    [
        ("refaccionario", 60, "1500000", "1500000.00", False),
        ("refaccionario", 60, "1499999.99", "1500000.00", False),
        ("refaccionario", 60, "1500000.01", "1500000.00", True),
        ("habilitacion_avio", 36, "1000000", "1000000.00", False),
        ("habilitacion_avio", 36, "999999.99", "1000000.00", False),
        ("habilitacion_avio", 36, "1000000.01", "1000000.00", True),
    ],
)
def test_p2_amount_caps(p2, credit_type, term, amount, max_amount, refused):
    p2["guarantees"] = [mortgage("2000000", P2_APPRAISAL)]
    doc = with_changes(
        p2, credit_type=credit_type, term_months=term, amount=amount, investment_program="2000000"
    )
    result = evaluate_document(doc)
    assert result["limits"]["max_amount"] == max_amount
    assert error_rules(result) == ({"P-2 2.7"} if refused else set())
    assert result["eligible"] is not refused


@pytest.mark.parametrize(
    ("credit_type", "term", "outstanding", "amount", "max_amount", "refused"),
    [
        # the sum of both credits may not exceed 1.5 M MXN
        ("habilitacion_avio", 36, "500000", "1000000", "1000000.00", False),
        ("habilitacion_avio", 36, "500000", "1000000.01", "1000000.00", True),
        ("habilitacion_avio", 36, "1200000", "300000", "300000.00", False),
        ("habilitacion_avio", 36, "1200000", "300000.01", "300000.00", True),
        ("refaccionario", 60, "1000000", "500000", "500000.00", False),
        ("refaccionario", 60, "1000000", "500000.01", "500000.00", True),
        ("refaccionario", 60, "1500000", "1", "0.00", True),
        ("refaccionario", 60, "2000000", "1", "0.00", True),
    ],
)
def test_p2_sum_of_credits_cap(p2, credit_type, term, outstanding, amount, max_amount, refused):
    doc = with_changes(
        p2,
        applicant={"program_outstanding_mxn": outstanding},
        credit_type=credit_type,
        term_months=term,
        amount=amount,
    )
    result = evaluate_document(doc)
    assert result["limits"]["max_amount"] == max_amount
    assert error_rules(result) == ({"P-2 2.7"} if refused else set())
    if refused:
        assert any("suma máxima por acreditado" in m for m in messages(result, "P-2 2.7"))


@pytest.mark.parametrize(
    ("credit_type", "amount", "term", "grace", "max_term", "refused"),
    [
        ("refaccionario", "1500000", 60, 6, 60, False),
        ("refaccionario", "1500000", 61, 6, 60, True),
        ("refaccionario", "1500000", 60, 7, 60, True),
        ("habilitacion_avio", "1000000", 36, 6, 36, False),
        ("habilitacion_avio", "1000000", 37, 6, 36, True),
        ("habilitacion_avio", "1000000", 36, 7, 36, True),
    ],
)
def test_p2_terms_and_grace(p2, credit_type, amount, term, grace, max_term, refused):
    doc = with_changes(p2, credit_type=credit_type, amount=amount, term_months=term, grace_months=grace)
    result = evaluate_document(doc)
    assert (result["limits"]["max_term_months"], result["limits"]["max_grace_months"]) == (max_term, 6)
    assert error_rules(result) == ({"P-2 2.7"} if refused else set())


@pytest.mark.parametrize(("every", "ok"), [(1, True), (3, True), (2, False), (6, False), (12, False)])
def test_p2_pays_monthly_or_quarterly(p2, every, ok):
    result = evaluate_document(with_changes(p2, payment_every_months=every))
    assert error_rules(result) == (set() if ok else {"P-2 2.7"})


def test_p2_lends_in_pesos_only(p2):
    doc = with_changes(
        p2, applicant={"usd_income": True}, currency="USD", amount="50000", investment_program="100000"
    )
    result = evaluate_document(doc)
    assert error_rules(result) == {"P-2 2.7"}
    assert any("moneda nacional" in m for m in messages(result, "P-2 2.7"))
    # the program's MXN cap in the request currency at FIX: 1,500,000 / 18.50 = 81,081.08 (rounded down)
    assert result["limits"]["max_amount"] == "81081.08"


def test_p2_offers_only_refaccionario_and_avio(p2):
    result = evaluate_document(with_changes(p2, credit_type="pago_pasivos"))
    assert error_rules(result) == {"P-2 2.7"}


@pytest.mark.parametrize(
    ("guarantees", "achieved", "counted", "ok"),
    [
        (
            [mortgage("1500000", P2_APPRAISAL)],
            "1.5000",
            "1500000.00",
            True,
        ),  # own real guarantee exactly 1 : 1
        ([mortgage("1485000", P2_APPRAISAL)], "1.4900", "1485000.00", False),  # 0.99 : 1
        ([mortgage("1499999.99", P2_APPRAISAL)], "1.4999", "1499999.99", False),
        ([mortgage("3000000", P2_APPRAISAL)], "2.5000", "3000000.00", True),
        # a mortgage plus a natural pledge: 0.75 M each (the pledge under its 50 % share of 2.25 M)
        (
            [
                mortgage("750000", P2_APPRAISAL),
                {"type": "prenda_nueva", "value": "750000", "first_invoice_date": "2013-01-10"},
            ],
            "1.5000",
            "1500000.00",
            True,
        ),
        # 10.3 acceptance still applies in the program: semiurbana at 90 %
        (
            [mortgage("1000000", P2_APPRAISAL), mortgage("555555.56", P2_APPRAISAL, "hipoteca_semiurbana")],
            "1.5000",
            "1500000.00",
            True,
        ),
        # types outside the program's list (hipoteca, prenda, concesión) count nothing
        (
            [mortgage("1000000", P2_APPRAISAL), {"type": "aval", "value": "1000000"}],
            "1.1666",
            "1000000.00",
            False,
        ),
        (
            [mortgage("1000000", P2_APPRAISAL), {"type": "garantia_liquida", "value": "1000000"}],
            "1.1666",
            "1000000.00",
            False,
        ),
        (
            [mortgage("1000000", P2_APPRAISAL), {"type": "fianza", "value": "1000000"}],
            "1.1666",
            "1000000.00",
            False,
        ),
        ([], "0.5000", "0.00", False),  # the fund alone
    ],
)
def test_p2_coverage_includes_the_fund(p2, guarantees, achieved, counted, ok):
    p2["guarantees"] = guarantees
    result = evaluate_document(p2)
    assert coverage_summary(result) == ("1.5", achieved, ok, counted, "750000.00")
    assert ("P-2 2.8" in error_rules(result)) is not ok
    assert result["eligible"] is ok


@pytest.mark.parametrize(
    ("gtype", "limited_by"),
    [
        ("aval", "P-2 2.8"),
        ("garantia_liquida", "P-2 2.8"),
        ("carta_credito", "P-2 2.8"),
        ("prenda_mineral", "P-2 2.8"),
        # fianza is excluded first by its general term policy (10.1: credits of up to 36 months); the
        # retention letter is simply not on the program's list (the program, not 10.1, decides)
        ("fianza", "10.1"),
        ("carta_retencion", "P-2 2.8"),
    ],
)
def test_p2_guarantee_outside_the_program_list_does_not_count(p2, gtype, limited_by):
    p2["guarantees"] = [mortgage("1500000", P2_APPRAISAL), {"type": gtype, "value": "5000000"}]
    result = evaluate_document(p2)
    line = result["coverage"]["guarantees"][1]
    assert (line["counted"], line["limited_by"]) == ("0.00", limited_by)
    assert limited_by in rules_of(result, "warning")
    assert result["coverage"]["achieved"] == "1.5000"
    assert result["coverage"]["counted_amount_mxn"] == "1500000.00"


@pytest.mark.parametrize(
    ("person_type", "keys", "ok"),
    [
        ("moral", [], True),
        ("moral", ["83"], False),  # allowed by the general rule 6, not by the program (Anexo 1: none)
        ("moral", ["CL"], False),
        ("fisica", ["LC"], False),
        ("fisica", [], True),
    ],
)
def test_p2_admits_no_bureau_prevention_keys(p2, person_type, keys, ok):
    doc = with_changes(p2, applicant={"person_type": person_type, "bureau_prevention_keys": keys})
    result = evaluate_document(doc)
    assert error_rules(result) == (set() if ok else {"P-2 Anexo 1"})


@pytest.mark.parametrize(
    ("activity", "ok"),
    [
        (21, True),  # oro, plata
        (16, True),  # carbón
        (4, True),
        (28, True),
        (1, False),  # Anexo I (**) comercio de minerales: not on Anexo 5
        (2, False),  # corte y pulido de mármol: Anexo I only
        (11, False),  # agregados pétreos: excluded (2.2)
        (13, False),  # arena y grava: not on Anexo 5
        (35, False),  # servicios al sector minero: Anexo I only
    ],
)
def test_p2_uses_its_own_activity_list(p2, activity, ok):
    result = evaluate_document(with_changes(p2, applicant={"activity": activity}))
    assert error_rules(result) == (set() if ok else {"P-2 2.2"})


@pytest.mark.parametrize(
    ("as_of", "ok", "text"),
    [
        ("2011-09-21", False, "inicia el 22/09/2011"),
        ("2011-09-22", True, None),
        ("2013-03-01", True, None),
        ("2014-09-22", True, None),
        ("2014-09-23", False, "concluyó el 22/09/2014"),
        ("2026-03-02", False, "concluyó el 22/09/2014"),
    ],
)
def test_p2_program_validity(p2, as_of, ok, text):
    p2["as_of"] = as_of
    p2["guarantees"] = [mortgage("1500000", as_of)]
    result = evaluate_document(p2)
    assert error_rules(result) == (set() if ok else {"P-2 2"})
    if text:
        assert any(text in m for m in messages(result, "P-2 2"))


# ===================================================================================================
# P-3 Programa Especial de Financiamiento para la Reactivación Económica de Cananea, Sonora
# ===================================================================================================


@pytest.fixture
def p3(make_doc) -> dict[str, Any]:
    return make_doc(
        applicant={
            "state": "SON",
            "municipality": "Cananea",
            "activity": 27,
            "cananea_commercial_relation": True,
        },
        request={
            "program": "cananea",
            "credit_type": "refaccionario",
            "amount": "2000000",
            "investment_program": "2000000",
            "term_months": 60,
            "grace_months": 6,
        },
        guarantees=[mortgage("2000000", "2026-01-10")],
    )


def test_p3_baseline_verdict(p3):
    result = evaluate_document(p3)
    assert result["eligible"] is True, result["findings"]
    assert result["committee"] == "comite_interno"
    assert result["limits"] == {"max_amount": "2000000.00", "max_term_months": 60, "max_grace_months": 6}
    assert coverage_summary(result) == ("1", "1.0000", True, "2000000.00", "0.00")
    assert result["coverage"]["rule"] == "P-3 3.8"
    assert result["opening_commission"] == ZERO_COMMISSION
    assert "per_drawdown_commission" not in result
    assert any("no cobra comisiones" in m for m in messages(result, "P-3 3.6", "info"))
    assert result["authorization_validity_days"] == 45
    assert result["attention_time"] == {
        "applies": True,
        "business_days": 15,
        "deadline": None,
        "rule": "P-3 3.15",
    }
    assert result["pricing"]["spread"] == "0.035"


@pytest.mark.parametrize(
    ("applicant", "errors", "warnings"),
    [
        ({}, set(), set()),
        ({"municipality": "CANANEA"}, set(), set()),
        ({"municipality": "Hermosillo"}, {"P-3 3"}, set()),
        # P-3 3.1 requires the domicile: missing evidence blocks, not only warns
        ({"municipality": None}, {"P-3 3"}, set()),
        ({"state": "CHH"}, {"P-3 3"}, set()),
        ({"cananea_commercial_relation": False}, {"P-3 3"}, set()),
        ({"cananea_commercial_relation": None}, set(), set()),
    ],
)
def test_p3_domicile_in_cananea(p3, applicant, errors, warnings):
    result = evaluate_document(with_changes(p3, applicant=applicant))
    assert error_rules(result) == errors
    assert ("P-3 3" in rules_of(result, "warning")) is bool(warnings)
    assert result["eligible"] is not errors


def test_p3_messages_name_the_municipality(p3):
    result = evaluate_document(with_changes(p3, applicant={"municipality": "Hermosillo"}))
    assert messages(result, "P-3 3") == ["El programa exige domicilio en Cananea; se indicó Hermosillo."]
    result = evaluate_document(with_changes(p3, applicant={"municipality": None}))
    assert messages(result, "P-3 3", "error") == [
        "Falta acreditar el domicilio fiscal u operativo en el municipio de Cananea, que el programa exige "
        "(applicant.municipality)."
    ]


@pytest.mark.parametrize(
    ("credit_type", "term", "outstanding", "amount", "max_amount", "refused"),
    [
        ("refaccionario", 60, "0", "199999.99", "2000000.00", True),  # minimum 200,000
        ("refaccionario", 60, "0", "200000", "2000000.00", False),
        ("refaccionario", 60, "0", "2000000", "2000000.00", False),
        ("refaccionario", 60, "0", "2000000.01", "2000000.00", True),
        ("habilitacion_avio", 36, "0", "2000000", "2000000.00", False),
        ("habilitacion_avio", 36, "0", "2000000.01", "2000000.00", True),
        ("habilitacion_avio", 36, "1800000", "200000", "200000.00", False),  # sum ≤ 2.0 M
        ("habilitacion_avio", 36, "1800000", "200000.01", "200000.00", True),
        ("habilitacion_avio", 36, "1900000", "200000", "100000.00", True),
    ],
)
def test_p3_amounts(p3, credit_type, term, outstanding, amount, max_amount, refused):
    p3["guarantees"] = [mortgage("3000000", "2026-01-10")]
    doc = with_changes(
        p3,
        applicant={"program_outstanding_mxn": outstanding},
        credit_type=credit_type,
        term_months=term,
        amount=amount,
        investment_program="3000000",
    )
    result = evaluate_document(doc)
    assert result["limits"]["max_amount"] == max_amount
    assert error_rules(result) == ({"P-3 3.6"} if refused else set())


def test_p3_minimum_amount_message(p3):
    result = evaluate_document(with_changes(p3, amount="199999.99"))
    assert messages(result, "P-3 3.6") == [
        "El monto mínimo del programa es $200,000.00; se solicitaron $199,999.99."
    ]


@pytest.mark.parametrize(
    ("credit_type", "amount", "term", "grace", "every", "refused"),
    [
        ("refaccionario", "2000000", 60, 6, 1, False),
        ("refaccionario", "2000000", 61, 6, 1, True),
        ("refaccionario", "2000000", 60, 7, 1, True),
        ("habilitacion_avio", "2000000", 36, 6, 1, False),
        ("habilitacion_avio", "2000000", 37, 6, 1, True),
        ("refaccionario", "2000000", 60, 6, 3, True),  # monthly only
    ],
)
def test_p3_terms_grace_and_monthly_payments(p3, credit_type, amount, term, grace, every, refused):
    doc = with_changes(
        p3,
        credit_type=credit_type,
        amount=amount,
        term_months=term,
        grace_months=grace,
        payment_every_months=every,
    )
    assert error_rules(evaluate_document(doc)) == ({"P-3 3.6"} if refused else set())


@pytest.mark.parametrize(
    ("complete", "deadline"),
    [
        # Friday 2026-03-06 + 15 business days; Monday 16 (Benito Juárez) is a bank holiday.
        ("2026-03-06", "2026-03-30"),
        # Friday 2026-03-27: Mar 30–Apr 1 (3), Holy Thursday/Friday closed, Apr 6–17 (10), Apr 20–21 (2).
        ("2026-03-27", "2026-04-21"),
    ],
)
def test_p3_answers_within_15_business_days(p3, complete, deadline):
    result = evaluate_document(with_changes(p3, requirements_complete_date=complete))
    assert result["attention_time"] == {
        "applies": True,
        "business_days": 15,
        "deadline": deadline,
        "rule": "P-3 3.15",
    }
    assert "P-3 3.15" in rules_of(result, "info")


def test_p3_answer_time_differs_from_the_general_rule(p3, make_doc):
    general = evaluate_document(make_doc(request={"requirements_complete_date": "2026-03-06"}))
    assert (general["attention_time"]["business_days"], general["authorization_validity_days"]) == (30, 90)
    program = evaluate_document(with_changes(p3, requirements_complete_date="2026-03-06"))
    assert (program["attention_time"]["business_days"], program["authorization_validity_days"]) == (15, 45)


@pytest.mark.parametrize(
    ("guarantees", "achieved", "counted", "ok"),
    [
        ([mortgage("2000000", "2026-01-10")], "1.0000", "2000000.00", True),
        ([mortgage("1999999.99", "2026-01-10")], "0.9999", "1999999.99", False),
        ([mortgage("2000000", "2026-01-10", "hipoteca_urbana")], "1.0000", "2000000.00", True),
        (
            [
                mortgage("1000000", "2026-01-10"),
                {"type": "prenda_nueva", "value": "1000000", "first_invoice_date": "2026-01-15"},
            ],
            "1.0000",
            "2000000.00",
            True,
        ),
        # concesión minera, aval, garantía líquida are not among the program's guarantees (3.6, 3.8)
        (
            [mortgage("1000000", "2026-01-10"), mortgage("1000000", "2026-01-10", "concesion_minera")],
            "0.5000",
            "1000000.00",
            False,
        ),
        (
            [mortgage("1000000", "2026-01-10"), {"type": "aval", "value": "5000000"}],
            "0.5000",
            "1000000.00",
            False,
        ),
        (
            [mortgage("1000000", "2026-01-10"), {"type": "garantia_liquida", "value": "5000000"}],
            "0.5000",
            "1000000.00",
            False,
        ),
    ],
)
def test_p3_coverage_at_least_one_to_one(p3, guarantees, achieved, counted, ok):
    p3["guarantees"] = guarantees
    result = evaluate_document(p3)
    assert coverage_summary(result) == ("1", achieved, ok, counted, "0.00")
    assert ("P-3 3.8" in error_rules(result)) is not ok


@pytest.mark.parametrize(
    ("activity", "ok"),
    [
        (27, True),  # cobre
        (36, True),  # sal: no. 36 exists only on Cananea's 110-activity list
        (50, True),
        (110, True),
        (111, False),
    ],
)
def test_p3_uses_the_cananea_activity_list(p3, activity, ok):
    result = evaluate_document(with_changes(p3, applicant={"activity": activity}))
    assert error_rules(result) == (set() if ok else {"P-3 3.1"})


def test_p3_activity_numbers_are_not_anexo_i(make_doc):
    # Cananea no. 50 ("equipo automatizado para la mezcla de pinturas") is outside Anexo I's 35 activities.
    assert "Anexo I" in error_rules(evaluate_document(make_doc(applicant={"activity": 50})))


@pytest.mark.parametrize(
    ("employees", "size", "ok"),
    [(30, "micro", True), (100, "pequena", True), (500, "mediana", True), (501, "grande", False)],
)
def test_p3_serves_mipymes(p3, employees, size, ok):
    doc = with_changes(
        p3, applicant={"mining_class": "no_concesible", "sector": "industria", "employees": employees}
    )
    result = evaluate_document(doc)
    assert result["size"] == size
    assert error_rules(result) == (set() if ok else {"P-3 3.2"})


# ===================================================================================================
# P-4 Programa Especial de Financiamiento para la Pequeña Minería del Carbón de Coahuila (2011-05-11, 3 y)
# ===================================================================================================

P4_AS_OF = "2013-03-01"


def retention_letter(value: str = "300000") -> dict[str, str]:
    return {"type": "carta_retencion", "value": value}


@pytest.fixture
def p4(make_doc) -> dict[str, Any]:
    return make_doc(
        as_of=P4_AS_OF,
        applicant={"state": "COA", "activity": 16, "nom_032_verified": True},
        request={
            "program": "carbon_coahuila",
            "credit_type": "refaccionario",
            "amount": "1000000",
            "investment_program": "1000000",
            "term_months": 60,
            "grace_months": 6,
        },
        guarantees=[mortgage("1000000", "2013-01-10"), retention_letter()],
    )


def test_p4_baseline_verdict(p4):
    result = evaluate_document(p4)
    assert result["eligible"] is True, result["findings"]
    assert result["committee"] == "comite_interno"
    assert result["limits"] == {"max_amount": "1000000.00", "max_term_months": 60, "max_grace_months": 6}
    # 1.33 : 1 = own guarantee 1.0 + FOGAMICO's liquid 0.33 (+ the retention letter)
    assert coverage_summary(result) == ("1.33", "1.3300", True, "1000000.00", "330000.00")
    assert result["coverage"]["rule"] == "P-4 4.4"
    assert result["opening_commission"] == ZERO_COMMISSION
    assert "per_drawdown_commission" not in result
    assert any("no cobra comisiones" in m for m in messages(result, "P-4 4.4", "info"))
    assert result["pricing"]["spread"] == "0.035"


@pytest.mark.parametrize(
    ("credit_type", "term", "outstanding", "amount", "max_amount", "refused"),
    [
        ("refaccionario", 60, "0", "1000000", "1000000.00", False),
        ("refaccionario", 60, "0", "1000000.01", "1000000.00", True),
        ("habilitacion_avio", 36, "0", "1000000", "1000000.00", False),
        ("habilitacion_avio", 36, "0", "1000000.01", "1000000.00", True),
        ("habilitacion_avio", 36, "400000", "600000", "600000.00", False),  # sum ≤ 1.0 M
        ("habilitacion_avio", 36, "400000", "600000.01", "600000.00", True),
        ("refaccionario", 60, "1", "1000000", "999999.00", True),
    ],
)
def test_p4_amount_cap(p4, credit_type, term, outstanding, amount, max_amount, refused):
    p4["guarantees"] = [mortgage("2000000", "2013-01-10"), retention_letter()]
    doc = with_changes(
        p4,
        applicant={"program_outstanding_mxn": outstanding},
        credit_type=credit_type,
        term_months=term,
        amount=amount,
        investment_program="2000000",
    )
    result = evaluate_document(doc)
    assert result["limits"]["max_amount"] == max_amount
    assert error_rules(result) == ({"P-4 4.4"} if refused else set())


@pytest.mark.parametrize(
    ("credit_type", "term", "grace", "every", "refused"),
    [
        ("refaccionario", 60, 6, 1, False),
        ("refaccionario", 61, 6, 1, True),
        ("refaccionario", 60, 7, 1, True),
        ("habilitacion_avio", 36, 6, 1, False),
        ("habilitacion_avio", 37, 6, 1, True),
        ("refaccionario", 60, 6, 3, True),  # monthly only
    ],
)
def test_p4_terms_grace_and_monthly_payments(p4, credit_type, term, grace, every, refused):
    doc = with_changes(
        p4, credit_type=credit_type, term_months=term, grace_months=grace, payment_every_months=every
    )
    assert error_rules(evaluate_document(doc)) == ({"P-4 4.4"} if refused else set())


@pytest.mark.parametrize(
    ("person_type", "keys", "ok"),
    [
        ("moral", [], True),
        ("moral", ["83"], True),
        ("moral", ["CL"], False),
        ("moral", ["LC"], False),
        ("moral", ["83", "41"], False),
        ("fisica", [], True),
        ("fisica", ["CL"], True),
        ("fisica", ["LC"], True),
        ("fisica", ["cl", "LC"], True),
        ("fisica", ["83"], False),
    ],
)
def test_p4_bureau_keys(p4, person_type, keys, ok):
    doc = with_changes(p4, applicant={"person_type": person_type, "bureau_prevention_keys": keys})
    result = evaluate_document(doc)
    assert error_rules(result) == (set() if ok else {"P-4 4.8 Anexo 1"})


@pytest.mark.parametrize(
    ("verified", "severity"),
    # P-4 4: the NOM-032-STPS-2008 verification is required; while missing it blocks, not only warns
    [(True, None), (False, "error"), (None, "error")],
)
def test_p4_nom_032_verification(p4, verified, severity):
    result = evaluate_document(with_changes(p4, applicant={"nom_032_verified": verified}))
    nom = [f for f in result["findings"] if "NOM-032" in f["message"] and f["severity"] != "info"]
    assert [(f["rule"], f["severity"]) for f in nom] == ([] if severity is None else [("P-4 4", severity)])
    assert result["eligible"] is (severity != "error")


@pytest.mark.parametrize(
    ("guarantees", "achieved", "counted", "ok", "missing_letter"),
    [
        ([mortgage("1000000", "2013-01-10"), retention_letter()], "1.3300", "1000000.00", True, False),
        ([mortgage("999999.99", "2013-01-10"), retention_letter()], "1.3299", "999999.99", False, False),
        ([mortgage("1000000", "2013-01-10")], "1.3300", "1000000.00", False, True),  # the letter is required
        ([mortgage("1500000", "2013-01-10")], "1.8300", "1500000.00", False, True),
        # aval and fianza are not among the program's guarantees (4.4)
        (
            [mortgage("500000", "2013-01-10"), {"type": "aval", "value": "5000000"}, retention_letter()],
            "0.8300",
            "500000.00",
            False,
            False,
        ),
        (
            [mortgage("500000", "2013-01-10"), {"type": "fianza", "value": "5000000"}, retention_letter()],
            "0.8300",
            "500000.00",
            False,
            False,
        ),
        # the fund's 0.33 alone
        ([retention_letter()], "0.3300", "0.00", False, False),
    ],
)
def test_p4_coverage(p4, guarantees, achieved, counted, ok, missing_letter):
    p4["guarantees"] = guarantees
    result = evaluate_document(p4)
    assert coverage_summary(result) == ("1.33", achieved, ok, counted, "330000.00")
    assert ("P-4 4.4" in error_rules(result)) is not ok
    assert any("Falta la garantía requerida" in m for m in messages(result, "P-4 4.4")) is missing_letter


@pytest.mark.parametrize(
    ("applicant", "rule"),
    [
        ({"state": "ZAC"}, "P-4 4"),
        ({"state": "SON"}, "P-4 4"),
        ({"activity": 21}, "P-4 4.1"),  # only coal (Anexo I no. 16)
        ({"mining_class": "no_concesible", "sector": "industria", "employees": 101}, "P-4 4.5"),
    ],
)
def test_p4_population(p4, applicant, rule):
    result = evaluate_document(with_changes(p4, applicant=applicant))
    assert error_rules(result) == {rule}


@pytest.mark.parametrize(
    ("as_of", "ok", "text"),
    [
        ("2011-05-10", False, "inicia el 11/05/2011"),
        ("2011-05-11", True, None),
        ("2014-05-11", True, None),
        ("2014-05-12", False, "concluyó el 11/05/2014"),
        ("2026-03-02", False, "concluyó el 11/05/2014"),
    ],
)
def test_p4_program_validity(p4, as_of, ok, text):
    p4["as_of"] = as_of
    p4["guarantees"] = [mortgage("1000000", as_of), retention_letter()]
    result = evaluate_document(p4)
    assert error_rules(result) == (set() if ok else {"P-4 4"})
    if text:
        assert any(text in m for m in messages(result, "P-4 4"))


# ===================================================================================================
# P-1 Cadenas Productivas FIFOMI–NAFIN
# ===================================================================================================


def document(due: str, face: str = "100000", advance: str | None = None) -> dict[str, str]:
    doc = {"face_value": face, "due_date": due}
    if advance is not None:
        doc["advance"] = advance
    return doc


@pytest.fixture
def p1(make_doc) -> dict[str, Any]:
    return make_doc(
        request={
            "program": "cadenas_productivas",
            "credit_type": "avio_revolvente_proveedores",
            "amount": "2000000",
            "investment_program": "2000000",
            "term_months": 36,
            "grace_months": 0,
            "documents": [document("2026-08-29", advance="100000")],
        },
        guarantees=[mortgage("2000000", "2026-01-10")],
    )


def test_p1_baseline_verdict(p1):
    result = evaluate_document(p1)
    assert result["eligible"] is True, result["findings"]
    assert result["committee"] == "comite_interno"
    assert result["limits"] == {"max_amount": "2000000.00", "max_term_months": 36, "max_grace_months": 0}
    # I-9: the supplier needs no guarantee (1.3); the EPO's mortgage 1 : 1 (1.6) is checked at its admission
    assert coverage_summary(result) == ("0", "1.0000", True, "2000000.00", "0.00")
    assert result["coverage"]["rule"] == "P-1 1.3"
    assert "P-1 1.3" in rules_of(result, "info")


@pytest.mark.parametrize(
    ("currency", "amount", "rate"),
    [("MXN", "2000000", "0.005"), ("USD", "100000", "0.0015")],
)
def test_p1_supplier_pays_no_commission(p1, currency, amount, rate):
    # I-9 (P-1 1.3 «sin comisiones»): no opening and no per-drawdown commission on the supplier. `rate` is
    # what the Capítulo I supplier line would pay per drawdown (I-6); P-1 does not charge it.
    doc = with_changes(
        p1, applicant={"usd_income": True}, currency=currency, amount=amount, investment_program=amount
    )
    result = evaluate_document(doc)
    assert result["eligible"] is True, result["findings"]
    assert result["opening_commission"] == ZERO_COMMISSION
    assert "per_drawdown_commission" not in result
    assert "I-6" not in rules_of(result, "info")
    assert any("no cobra comisiones" in m for m in messages(result, "P-1 1.3", "info"))
    general = evaluate_document(with_changes(doc, program="primer_piso", documents=None))
    assert general["per_drawdown_commission"] == {"rate": rate}  # I-6 still holds outside P-1


@pytest.mark.parametrize(
    "credit_type",
    [
        "refaccionario",
        "habilitacion_avio",
        "avio_revolvente",
        "avio_revolvente_introductores",
        "pago_pasivos",
    ],
)
def test_p1_needs_the_supplier_revolving_credit(p1, credit_type):
    result = evaluate_document(with_changes(p1, credit_type=credit_type, term_months=12))
    assert "P-1 1.5" in error_rules(result)
    name = load_ruleset_for_date(date(2026, 3, 2)).products[CreditType(credit_type)].name.lower()
    assert (
        f"Se solicitó {name}; Cadenas Productivas opera sólo con avío revolvente para apoyo de proveedores."
        in messages(result, "P-1 1.5")
    )


@pytest.mark.parametrize(("term", "refused"), [(12, False), (36, False), (37, True)])
def test_p1_line_up_to_three_years(p1, term, refused):
    result = evaluate_document(with_changes(p1, term_months=term))
    assert ("P-1 1.5" in error_rules(result)) is refused
    assert result["eligible"] is not refused


@pytest.mark.parametrize(
    ("documents", "bad"),
    [
        ([document("2026-08-29")], {}),  # as_of 2026-03-02 + 180 days
        ([document("2026-03-03")], {}),  # tomorrow
        ([document("2026-08-30")], {0: "vence en 181 días"}),
        ([document("2026-03-02")], {0: "ya venció"}),  # due today
        ([document("2026-03-01")], {0: "ya venció"}),
        ([document("2026-04-01", advance="100000")], {}),  # 100 % of face value
        ([document("2026-04-01", advance="100000.01")], {0: "excede el 100 %"}),
        (
            [document("2026-04-01"), document("2026-09-30"), document("2026-05-01", advance="200000")],
            {1: "vence en 212 días", 2: "excede el 100 %"},
        ),
        ([], {}),
    ],
)
def test_p1_documents(p1, documents, bad):
    result = evaluate_document(with_changes(p1, documents=documents))
    found = messages(result, "P-1 1.5")
    assert len(found) == len(bad)
    for index, text in bad.items():
        assert any(m.startswith(f"request.documents[{index}]:") and text in m for m in found), found
    assert result["eligible"] is not bad


def test_p1_document_messages(p1):
    doc = with_changes(p1, documents=[document("2026-08-30"), document("2026-04-01", advance="100000.01")])
    assert messages(evaluate_document(doc), "P-1 1.5") == [
        "request.documents[0]: vence en 181 días; el plazo máximo de los documentos es de 180 días.",
        "request.documents[1]: el anticipo ($100,000.01) excede el 100 % del valor nominal ($100,000.00).",
    ]


@pytest.mark.parametrize(
    "guarantees",
    [
        # I-9 (P-1 1.3): the supplier discounts «sin garantías adicionales» — none is required; what it
        # offers is shown but never a condition. Before I-9 these were read as the EPO's 1 : 1 (1.6).
        [],
        [mortgage("2000000", "2026-01-10", "hipoteca_urbana")],
        [mortgage("1999999.99", "2026-01-10")],
        [{"type": "aval", "value": "5000000"}],
        [mortgage("1000000", "2026-01-10"), mortgage("5000000", "2026-01-10", "hipoteca_semiurbana")],
    ],
)
def test_p1_supplier_needs_no_guarantee(p1, guarantees):
    p1["guarantees"] = guarantees
    result = evaluate_document(p1)
    assert result["coverage"]["required"] == "0"
    assert result["coverage"]["ok"] is True
    assert result["eligible"] is True, result["findings"]
    assert not {"P-1 1.3", "P-1 1.6", "10.1", "10.2.1"} & error_rules(result)


@pytest.mark.parametrize(
    ("spread", "ok"), [("0.02", True), ("0.07", True), ("0.0199", False), ("0.0701", False)]
)
def test_p1_supplier_spread_range(p1, spread, ok):
    result = evaluate_document(with_changes(p1, spread=spread))
    assert ("P-1 1.5" in error_rules(result)) is not ok


def test_p1_large_suppliers_are_refused(p1):
    doc = with_changes(
        p1, applicant={"mining_class": "no_concesible", "sector": "industria", "employees": 501}
    )
    result = evaluate_document(doc)
    assert result["size"] == "grande"
    assert error_rules(result) == {"P-1 1.4"}


# ===================================================================================================
# common to P-2 … P-4: the program's overrides never leak into the general rules
# ===================================================================================================


def test_general_rules_keep_their_own_figures(make_doc):
    result = evaluate_document(make_doc())
    assert result["coverage"]["required"] == "2"
    assert result["coverage"]["fund_amount_mxn"] == "0.00"
    assert Decimal(result["opening_commission"]["total"]) > 0
    assert result["authorization_validity_days"] == 90
