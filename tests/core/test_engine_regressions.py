"""Cases found by exploring the engine; each once broke SPEC or the Rules."""

from __future__ import annotations

import pytest

from filon.core.errors import InputError, InputErrors
from filon.core.evaluation import evaluate_document

pytestmark = pytest.mark.pure


def rules(result, severity):
    return {f["rule"] for f in result["findings"] if f["severity"] == severity}


def program_doc(make_doc, program, state, activity, amount, guarantees, **applicant):
    return make_doc(
        as_of="2013-03-01",
        applicant={
            "state": state,
            "activity": activity,
            "employees": 20,
            "mining_class": "no_concesible",
            "equity_mxn": "5000000",
            "years_of_sales": 3,
            **applicant,
        },
        request={
            "program": program,
            "credit_type": "refaccionario",
            "amount": amount,
            "investment_program": amount,
            "term_months": 60,
            "grace_months": 6,
            "payment_every_months": 1,
        },
        guarantees=guarantees,
    )


def test_p4_own_pledge_plus_fund_and_letter_is_enough(make_doc):
    # P-4 4.4: the credit's own pledge (1 : 1) + FOGAMICO 0.33 + the retention letter = 1.33.
    doc = program_doc(
        make_doc,
        "carbon_coahuila",
        "COA",
        16,
        "1000000",
        [
            {"type": "prenda_nueva", "value": "1000000", "first_invoice_date": "2013-01-10"},
            {"type": "carta_retencion", "value": "1000000"},
        ],
        nom_032_verified=True,
        municipality="Sabinas",
    )
    result = evaluate_document(doc)
    assert result["coverage"]["achieved"] == "1.3300"
    assert result["coverage"]["ok"] is True
    assert "10.1" not in rules(result, "error") | rules(result, "warning")
    letter = result["coverage"]["guarantees"][1]
    assert (letter["counted"], letter["limited_by"]) == ("0.00", "P-4 4.4")


def test_p2_pledge_or_concession_alone_may_make_the_one_to_one(make_doc):
    for guarantee in (
        {"type": "prenda_nueva", "value": "1500000", "first_invoice_date": "2013-01-10"},
        {"type": "concesion_minera", "value": "1500000", "appraisal_date": "2012-06-01"},
    ):
        doc = program_doc(make_doc, "pequena_mineria", "ZAC", 21, "1500000", [guarantee])
        result = evaluate_document(doc)
        assert result["coverage"]["achieved"] == "1.5000", guarantee["type"]
        assert "10.1" not in rules(result, "error")


def test_p3_used_pledge_appraisal_may_be_twelve_months_old(make_doc):
    doc = make_doc(
        applicant={
            "state": "SON",
            "municipality": "Cananea",
            "activity": 1,
            "employees": 20,
            "mining_class": "no_concesible",
            "equity_mxn": "5000000",
        },
        request={
            "program": "cananea",
            "credit_type": "refaccionario",
            "amount": "2000000",
            "investment_program": "2000000",
            "term_months": 60,
            "grace_months": 6,
            "payment_every_months": 1,
        },
        guarantees=[
            {"type": "hipoteca_industrial", "value": "1500000", "appraisal_date": "2025-12-01"},
            {"type": "prenda_usada", "value": "715000", "appraisal_date": "2025-06-01"},
        ],
    )
    result = evaluate_document(doc)
    assert result["coverage"]["guarantees"][1]["counted"] == "500500.00"  # 70 % of 715,000
    assert result["coverage"]["ok"] is True


def test_p1_spread_is_checked_against_its_own_range_not_the_table(make_doc):
    doc = make_doc(
        request={
            "program": "cadenas_productivas",
            "credit_type": "avio_revolvente_proveedores",
            "term_months": 36,
            "grace_months": 0,
            "spread": "0.03",
        }
    )
    result = evaluate_document(doc)
    assert "9.2.4" not in rules(result, "warning")
    assert result["pricing"]["base"] == "TASA_NAFIN"
    assert result["pricing"]["spread"] == "0.03"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"request": {"amount": "1e30"}}, "request.amount"),
        ({"request": {"amount": "1e-400"}}, "request.amount"),
        ({"fx_usd_mxn": "1e-30"}, "fx_usd_mxn"),
        ({"request": {"requirements_complete_date": "9999-12-31"}}, "request.requirements_complete_date"),
        ({"request": {"application_date": "0001-01-01"}}, "request.application_date"),
        ({"as_of": "2001-03-02"}, "as_of"),
    ],
)
def test_extreme_values_are_input_errors_naming_the_field(make_doc, changes, field):
    with pytest.raises((InputError, InputErrors)) as exc:
        evaluate_document(make_doc(**changes))
    errors = exc.value.errors if isinstance(exc.value, InputErrors) else [exc.value]
    assert field in {e.field for e in errors}
