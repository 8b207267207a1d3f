"""Properties of the credit-rules engine over random proposals (hypothesis).

(a) removing a guarantee never raises the coverage; (b) a larger amount never goes to a lower committee;
(c) `eligible` is false iff some finding is an error; (d) every finding cites a rule and has a message;
(e) well-formed input never makes the engine raise, and malformed input raises only InputError(s).
"""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filon.core.errors import InputError, InputErrors
from filon.core.evaluation import evaluate_document
from filon.rules import load_ruleset_for_date
from filon.rules.schema import (
    ApplicantKind,
    CreditType,
    GuaranteeType,
    MiningClass,
    PersonType,
    ProgramCode,
    Sector,
)

pytestmark = pytest.mark.pure

SPEC_EXAMPLE = json.loads(
    (Path(__file__).resolve().parent.parent / "contracts" / "evaluate" / "spec_example.json").read_text(
        "utf-8"
    )
)
STATES = sorted(load_ruleset_for_date(date(2026, 3, 2)).offices.states)
COMMITTEE_ORDER = ["comite_interno", "comite_externo", "comite_tecnico"]
FIRST_RULES = date(2010, 9, 23)  # the oldest rule set's effective date
FIRST_UMA = date(2010, 1, 1)  # the first reference-unit entry of the rule set (C-7)

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def values(enum: Any) -> list[str]:
    return [member.value for member in enum]


def money(min_cents: int = 1, max_cents: int = 10**10) -> st.SearchStrategy[str]:
    """A positive amount with centavos, as the contract's JSON string."""
    return st.integers(min_cents, max_cents).map(lambda cents: str(Decimal(cents).scaleb(-2)))


def fraction(places: int = 4, maximum: int = 1) -> st.SearchStrategy[str]:
    scale = 10**places
    return st.integers(0, maximum * scale).map(lambda n: str(Decimal(n).scaleb(-places)))


def iso(day: date) -> str:
    return day.isoformat()


def days_before(as_of: date, most: int) -> st.SearchStrategy[str]:
    return st.integers(-10, most).map(lambda d: iso(as_of - timedelta(days=d)))


@st.composite
def guarantees(draw: st.DrawFn, as_of: date, min_size: int = 0, max_size: int = 6) -> list[dict[str, Any]]:
    items = []
    for _ in range(draw(st.integers(min_size, max_size))):
        g: dict[str, Any] = {
            "type": draw(st.sampled_from(values(GuaranteeType))),
            "value": draw(money(1, 5 * 10**9)),
        }
        optional = {
            "appraisal_date": days_before(as_of, 500),
            "first_invoice_date": days_before(as_of, 2500),
            "is_transport": st.booleans(),
            "hechizo": st.booleans(),
            "lien_rank": st.integers(1, 3),
            "insurable": st.booleans(),
            "fiduciary": st.booleans(),
            "net_worth_statement_date": days_before(as_of, 200),
            "reuses_last_appraisal": st.booleans(),
        }
        for key, strategy in optional.items():
            if draw(st.booleans()):
                g[key] = draw(strategy)
        items.append(g)
    return items


@st.composite
def applicants(draw: st.DrawFn, as_of: date) -> dict[str, Any]:
    mining_class = draw(st.sampled_from(values(MiningClass)))
    income = draw(st.none() | money(0, 5 * 10**11))
    tons = draw(st.none() | st.integers(0, 30000))
    if mining_class == "concesible" and income is None and tons is None:
        tons = draw(st.integers(0, 30000))  # a concesible miner is sized by income or production
    applicant: dict[str, Any] = {
        "person_type": draw(st.sampled_from(values(PersonType))),
        "state": draw(st.sampled_from(STATES)),
        "activity": draw(st.integers(1, 115)),
        "primary_extraction": draw(st.booleans()),
        "mining_class": mining_class,
        "sector": draw(st.sampled_from(values(Sector))),
        "employees": draw(st.integers(0, 1200)),
        "annual_gross_income_mxn": income,
        "production_tons_month": tons,
        "years_of_sales": draw(fraction(2, 30)),
        "years_satisfactory_with_fifomi": draw(fraction(2, 30)),
        "equity_mxn": draw(money(0, 2 * 10**11)),
        "new_project": draw(st.booleans()),
        "bureau_prevention_keys": draw(st.lists(st.sampled_from(["83", "CL", "LC", "41", "cl"]), max_size=3)),
        "capital_lost_fraction": draw(fraction()),
        "overdue_debts": draw(st.booleans()),
        "strike": draw(st.booleans()),
        "lawsuits": draw(st.booleans()),
        "embargo": draw(st.booleans()),
        "concurso_mercantil": draw(st.booleans()),
        "condoned_history": draw(st.booleans()),
        "group_outstanding_usd": draw(money(0, 7 * 10**8)),
    }
    optional = {
        "mexican": st.booleans(),
        "municipality": st.sampled_from(["Cananea", "cananea", "Hermosillo", "Saltillo"]),
        "usd_income": st.booleans(),
        "buyer_activity": st.integers(1, 40),
        "program_outstanding_mxn": money(0, 3 * 10**8),
        "introductor_kind": st.sampled_from(values(ApplicantKind)),
        "credit_history": st.sampled_from(["regular", "irregular"]),
        "nom_032_verified": st.booleans(),
        "cananea_commercial_relation": st.booleans(),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            applicant[key] = draw(strategy)
    return applicant


@st.composite
def requests(draw: st.DrawFn, as_of: date) -> dict[str, Any]:
    request: dict[str, Any] = {
        "program": draw(st.sampled_from(values(ProgramCode))),
        "credit_type": draw(st.sampled_from(values(CreditType))),
        "currency": draw(st.sampled_from(["MXN", "USD"])),
        "amount": draw(money(1, 2 * 10**10)),
        "investment_program": draw(money(1, 3 * 10**10)),
        "term_months": draw(st.integers(1, 130)),
        "grace_months": draw(st.integers(0, 30)),
        "new_equipment_option": draw(st.booleans()),
    }
    optional = {
        "application_date": days_before(as_of, 60),
        "requirements_complete_date": days_before(as_of, 60),
        "drawdown_days": st.integers(1, 400),
        "past_investment_months": st.integers(0, 30),
        "liabilities_to_affiliates": st.booleans(),
        "liabilities_current": st.booleans(),
        "payment_every_months": st.integers(1, 12),
        "spread": fraction(4).map(lambda f: str(Decimal(f) / 10)),
        "documents": st.lists(
            st.fixed_dictionaries(
                {"face_value": money(1, 10**9), "due_date": st.just(iso(as_of))},
                optional={"advance": money(1, 10**9)},
            ),
            max_size=3,
        ),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            request[key] = draw(strategy)
    if "documents" in request:  # due dates around the 180-day window (P-1)
        for doc in request["documents"]:
            doc["due_date"] = iso(as_of + timedelta(days=draw(st.integers(-5, 200))))
    return request


@st.composite
def proposals(draw: st.DrawFn) -> dict[str, Any]:
    as_of = draw(st.dates(FIRST_RULES, date(2026, 12, 31)))
    doc: dict[str, Any] = {
        "as_of": iso(as_of),
        "fx_usd_mxn": draw(st.integers(100000, 300000).map(lambda n: str(Decimal(n).scaleb(-4)))),
        "applicant": draw(applicants(as_of)),
        "request": draw(requests(as_of)),
        "guarantees": draw(guarantees(as_of)),
    }
    if as_of < FIRST_UMA or draw(st.booleans()):
        doc["uma_annual_mxn"] = draw(st.sampled_from(["39606.36", "41273.52", "42794.64"]))
    return doc


def severities(result: dict[str, Any]) -> set[str]:
    return {f["severity"] for f in result["findings"]}


# ----------------------------------------------------------------------------------------- (a)


@st.composite
def coverage_cases(draw: st.DrawFn) -> tuple[dict[str, Any], int]:
    as_of = draw(st.sampled_from([date(2013, 3, 1), date(2026, 3, 2)]))
    doc = copy.deepcopy(SPEC_EXAMPLE)
    doc["as_of"] = iso(as_of)
    doc["request"].update(
        program=draw(st.sampled_from(values(ProgramCode))),
        credit_type=draw(st.sampled_from(values(CreditType))),
        amount=draw(money(100_000, 10**10)),
        term_months=draw(st.integers(1, 120)),
        grace_months=0,
        new_equipment_option=draw(st.booleans()),
    )
    doc["guarantees"] = draw(guarantees(as_of, min_size=1, max_size=6))
    removed = draw(st.integers(0, len(doc["guarantees"]) - 1))
    return doc, removed


@SETTINGS
@given(coverage_cases())
def test_removing_a_guarantee_never_increases_coverage(case):
    """Fewer guarantees never cover more — except where the removal leaves one type that the Rules let stand
    alone (I-7): its cell capped it while combined, alone it covers up to its accepted value (for example a
    garantía líquida beside a mortgage of one centavo, and then alone once the mortgage is withdrawn)."""
    doc, removed = case
    full = evaluate_document(doc)["coverage"]
    fewer_doc = copy.deepcopy(doc)
    del fewer_doc["guarantees"][removed]
    fewer = evaluate_document(fewer_doc)["coverage"]
    alone = [line for line in fewer["guarantees"] if "(I-7)" in line["note"]]
    if alone and not any("(I-7)" in line["note"] for line in full["guarantees"]):
        assert all(Decimal(line["counted"]) == Decimal(line["accepted"]) for line in alone)
        assert len({line["type"] for line in alone}) == 1
    else:
        assert Decimal(fewer["counted_amount_mxn"]) <= Decimal(full["counted_amount_mxn"])
        assert Decimal(fewer["achieved"]) <= Decimal(full["achieved"])
    assert fewer["required"] == full["required"]
    assert fewer["fund_amount_mxn"] == full["fund_amount_mxn"]


@SETTINGS
@given(coverage_cases())
def test_counted_never_exceeds_accepted_nor_value(case):
    doc, _ = case
    cov = evaluate_document(doc)["coverage"]
    for line in cov["guarantees"]:
        assert Decimal(line["counted"]) <= Decimal(line["accepted"]) <= Decimal(line["value"])
    total = sum((Decimal(line["counted"]) for line in cov["guarantees"]), Decimal(0))
    # each line is rounded to centavos on output: the total may differ by at most half a centavo per line
    assert abs(total - Decimal(cov["counted_amount_mxn"])) <= Decimal("0.005") * max(
        len(cov["guarantees"]), 1
    )


# ----------------------------------------------------------------------------------------- (b)


@st.composite
def committee_cases(draw: st.DrawFn) -> tuple[dict[str, Any], str, str]:
    doc = copy.deepcopy(SPEC_EXAMPLE)
    currency = draw(st.sampled_from(["MXN", "USD"]))
    top = 2 * 10**10 if currency == "MXN" else 10**9  # cents: 200 M MXN / 10 M USD
    low, high = sorted([draw(money(1, top)), draw(money(1, top))], key=Decimal)
    applicant = {"group_outstanding_usd": draw(money(0, 7 * 10**8))}
    if draw(st.booleans()):
        applicant.update(mining_class="no_concesible", sector=draw(st.sampled_from(values(Sector))))
        applicant["employees"] = draw(st.integers(0, 1200))
    else:
        applicant.update(
            annual_gross_income_mxn=draw(money(0, 2 * 10**12)),
            production_tons_month=draw(st.integers(0, 30000)),
        )
    doc["applicant"].update(applicant)
    doc["fx_usd_mxn"] = draw(st.integers(100000, 300000).map(lambda n: str(Decimal(n).scaleb(-4))))
    doc["request"].update(
        currency=currency,
        program=draw(st.sampled_from(values(ProgramCode))),
        credit_type=draw(st.sampled_from(values(CreditType))),
    )
    return doc, low, high


@SETTINGS
@given(committee_cases())
def test_a_larger_amount_never_goes_to_a_lower_committee(case):
    doc, low, high = case
    doc["request"]["amount"] = low
    smaller = evaluate_document(doc)
    doc["request"]["amount"] = high
    larger = evaluate_document(doc)
    assert smaller["size"] == larger["size"]
    assert Decimal(smaller["exposure_usd"]) <= Decimal(larger["exposure_usd"])
    assert COMMITTEE_ORDER.index(smaller["committee"]) <= COMMITTEE_ORDER.index(larger["committee"])


# ----------------------------------------------------------------------------------- (c)–(e)


@settings(SETTINGS, max_examples=300)
@given(proposals())
def test_random_proposals(doc):
    result = evaluate_document(doc)  # (e) well-formed input never raises
    # (c) eligible iff no error finding
    assert result["eligible"] is ("error" not in severities(result))
    assert severities(result) <= {"error", "warning", "info"}
    # (d) every finding cites a rule and explains itself
    for finding in result["findings"]:
        assert isinstance(finding["rule"], str), finding
        assert finding["rule"].strip(), finding
        assert isinstance(finding["message"], str), finding
        assert finding["message"].strip(), finding
    # the contract's shape holds for every verdict
    assert result["committee"] in COMMITTEE_ORDER
    assert result["size"] in {"micro", "pequena", "mediana", "grande"}
    assert result["segment"] in {"preferente", "habitual", "nuevo"}
    assert Decimal(result["limits"]["max_amount"]) >= 0
    coverage = result["coverage"]
    if Decimal(coverage["achieved"]) < Decimal(coverage["required"]):
        assert coverage["ok"] is False
        assert "error" in severities(result)
    assert json.loads(json.dumps(result)) == result  # JSON-ready: decimals are strings
    # findings come errors first, then warnings, then information
    rank = {"error": 0, "warning": 1, "info": 2}
    ranks = [rank[f["severity"]] for f in result["findings"]]
    assert ranks == sorted(ranks)


_REMOVE = object()


def _corrupt(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set (or remove) the field at a dotted path; skipped when an earlier corruption removed its parent."""
    *parents, last = path.split(".")
    target: Any = doc
    for key in parents:
        target = target.get(key) if isinstance(target, dict) else None
    if not isinstance(target, dict):
        return
    if value is _REMOVE:
        target.pop(last, None)
    else:
        target[last] = value


CORRUPTIONS: list[tuple[str, Any]] = [
    ("as_of", "2026-02-30"),
    ("as_of", "02/03/2026"),
    ("as_of", _REMOVE),
    ("fx_usd_mxn", "0"),
    ("fx_usd_mxn", "-18.5"),
    ("fx_usd_mxn", 18.5),
    ("fx_usd_mxn", "NaN"),
    ("uma_annual_mxn", "Infinity"),
    ("applicant", None),
    ("applicant", _REMOVE),
    ("applicant.state", "XX"),
    ("applicant.state", ""),
    ("applicant.person_type", "empresa"),
    ("applicant.activity", 0),
    ("applicant.activity", "21"),
    ("applicant.employees", -1),
    ("applicant.mining_class", "metalica"),
    ("applicant.equity_mxn", "abc"),
    ("applicant.equity_mxn", _REMOVE),
    ("applicant.capital_lost_fraction", "1.5"),
    ("applicant.bureau_prevention_keys", "83"),
    ("applicant.overdue_debts", "no"),
    ("applicant.group_outstanding_usd", "-1"),
    ("applicant.unknown_field", True),
    ("request", []),
    ("request.credit_type", "hipotecario"),
    ("request.credit_type", _REMOVE),
    ("request.currency", "EUR"),
    ("request.program", "programa_x"),
    ("request.amount", "0"),
    ("request.amount", "-1000"),
    ("request.amount", "1,000.00"),
    ("request.amount", 1000.5),
    ("request.amount", "Infinity"),
    ("request.term_months", 0),
    ("request.term_months", 12.5),
    ("request.grace_months", -1),
    ("request.payment_every_months", 13),
    ("request.documents", [{"face_value": "-1", "due_date": "2026-04-01"}]),
    ("request.documents", [{"face_value": "1", "due_date": "mañana"}]),
    ("request.documents", "factura"),
    ("guarantees", "hipoteca"),
    ("guarantees", [{"type": "hipoteca_industrial"}]),
    ("guarantees", [{"type": "pagare", "value": "100"}]),
    ("guarantees", [{"type": "aval", "value": "-100"}]),
    ("guarantees", [{"type": "aval", "value": "100", "lien_rank": 0}]),
    ("guarantees", [{"type": "aval", "value": "100", "appraisal_date": "ayer"}]),
]


@settings(SETTINGS, max_examples=100)
@given(proposals(), st.lists(st.sampled_from(range(len(CORRUPTIONS))), min_size=1, max_size=3, unique=True))
def test_malformed_input_raises_only_input_errors(doc, picks):
    for index in picks:
        _corrupt(doc, *CORRUPTIONS[index])
    with pytest.raises((InputError, InputErrors)) as exc:
        evaluate_document(doc)
    errors = exc.value.errors if isinstance(exc.value, InputErrors) else [exc.value]
    assert errors
    assert all(e.field and e.message for e in errors)


def test_a_type_left_alone_covers_its_whole_accepted_value():
    """The case the property above excepts (I-7), found by hypothesis: a garantía líquida beside a mortgage of
    one centavo is capped by its cell; once the mortgage is withdrawn it stands alone and covers its value."""
    doc = json.loads(LIQUID_BESIDE_A_CENTAVO)
    combined = evaluate_document(doc)["coverage"]
    del doc["guarantees"][1]
    alone = evaluate_document(doc)["coverage"]
    assert combined["counted_amount_mxn"] == "1000.01"
    assert [line["counted"] for line in combined["guarantees"]] == ["0.00", "0.01", "0.00", "1000.00"]
    assert alone["counted_amount_mxn"] == "1000.02"
    assert "(I-7)" in alone["guarantees"][-1]["note"]


LIQUID_BESIDE_A_CENTAVO = """{"as_of": "2013-03-01", "fx_usd_mxn": "18.50", "uma_annual_mxn": "41273.52", "applicant": {"person_type": "moral", "state": "ZAC", "activity": 21, "primary_extraction": true, "mining_class": "concesible", "sector": "industria", "employees": 45, "annual_gross_income_mxn": "150000000", "production_tons_month": 2000, "years_of_sales": 6, "years_satisfactory_with_fifomi": 0, "equity_mxn": "30000000", "new_project": false, "bureau_prevention_keys": [], "capital_lost_fraction": "0.1", "overdue_debts": false, "strike": false, "lawsuits": false, "embargo": false, "concurso_mercantil": false, "condoned_history": false, "group_outstanding_usd": "0"}, "request": {"program": "primer_piso", "credit_type": "refaccionario", "currency": "MXN", "amount": "1000.00", "investment_program": "14000000", "term_months": 1, "grace_months": 0, "new_equipment_option": false}, "guarantees": [{"type": "hipoteca_industrial", "value": "0.01"}, {"type": "hipoteca_industrial", "value": "0.01", "appraisal_date": "2013-03-01"}, {"type": "hipoteca_industrial", "value": "0.01"}, {"type": "garantia_liquida", "value": "1000.02"}]}"""
