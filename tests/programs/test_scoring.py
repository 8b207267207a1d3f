"""The parametric evaluation in pure code (filon.core.scoring): model validation, bands, DSCR, verdict."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from filon.core import scoring

pytestmark = pytest.mark.pure
RULE = "P-2 2"


def band(lo, hi, points):
    return {"min": lo, "max": hi, "points": points}


FACTORS = [
    {
        "code": "dscr",
        "label": "Capacidad de pago",
        "weight": "60",
        "bands": [band(None, "1", "0"), band("1", "1.5", "50"), band("1.5", None, "100")],
    },
    {
        "code": "technical_opinion",
        "label": "Opinión técnica",
        "weight": "40",
        "bands": [band(None, "1", "0"), band("1", None, "100")],
    },
]


def model(factors=FACTORS, pass_mark="70"):
    return scoring.parse_model(code="m", version="1", factors=factors, pass_mark=pass_mark)


@pytest.mark.parametrize(
    ("dscr", "opinion", "total", "verdict"),
    [
        ("2.00", "1", "100.00", "Aprobatorio"),
        ("1.50", "1", "100.00", "Aprobatorio"),  # lower bound inclusive
        ("1.49", "1", "70.00", "Aprobatorio"),  # exactly the pass mark passes
        ("1.00", "0", "30.00", "No aprobatorio"),
        ("0.99", "1", "40.00", "No aprobatorio"),
        ("5", "0", "60.00", "No aprobatorio"),
    ],
)
def test_score_by_bands(dscr, opinion, total, verdict):
    result = scoring.score(model(), {"dscr": Decimal(dscr), "technical_opinion": Decimal(opinion)}, rule=RULE)
    assert result.total == Decimal(total)
    assert result.verdict == verdict
    assert result.approved is (verdict == "Aprobatorio")
    last = result.findings[-1]
    assert last.rule == RULE
    assert last.severity.value == ("info" if result.approved else "error")
    assert verdict in last.message


def test_missing_value_scores_zero_with_a_warning():
    result = scoring.score(model(), {"dscr": None, "technical_opinion": Decimal(1)}, rule=RULE)
    assert [f.points for f in result.factors] == [Decimal(0), Decimal(100)]
    assert result.total == Decimal("40.00")
    warnings = [f for f in result.findings if f.severity.value == "warning"]
    assert len(warnings) == 1
    assert "Capacidad de pago: sin dato" in warnings[0].message
    assert result.as_dict()["verdict"] == "No aprobatorio"


def test_value_in_a_gap_scores_zero():
    factors = [
        {"code": "a", "weight": "100", "bands": [band("0", "1", "100"), band("2", None, "50")]},
    ]
    result = scoring.score(model(factors, "10"), {"a": Decimal("1.5")}, rule=RULE)
    assert result.total == Decimal(0)
    assert "fuera de los rangos" in result.findings[0].message


@pytest.mark.parametrize(
    ("factors", "pass_mark", "message"),
    [
        ([], "70", "no tiene factores"),
        ([{**FACTORS[0], "weight": "50"}, FACTORS[1]], "70", "Los pesos suman 90.00; deben sumar 100."),
        ([FACTORS[0], {**FACTORS[1], "code": "dscr"}], "70", "clave repetida"),
        (
            [{**FACTORS[0], "bands": [band(None, "2", "0"), band("1", None, "100")]}, FACTORS[1]],
            "70",
            "se traslapan",
        ),
        ([{**FACTORS[0], "bands": [band("2", "1", "0")]}, FACTORS[1]], "70", "menor que el máximo"),
        ([{**FACTORS[0], "bands": [band(None, None, "120")]}, FACTORS[1]], "70", "de 0 a 100"),
        ([{**FACTORS[0], "weight": "sesenta"}, FACTORS[1]], "70", "no es un número"),
        ([{**FACTORS[0], "weight": 60.0}, FACTORS[1]], "70", "se espera un número"),
        (FACTORS, "0", "calificación aprobatoria"),
    ],
)
def test_bad_models_are_refused(factors, pass_mark, message):
    with pytest.raises(scoring.ScoringModelError) as exc:
        model(factors, pass_mark)
    assert message in str(exc.value)


@pytest.mark.parametrize(
    ("amount", "term", "grace", "rate", "expected"),
    [
        ("1200000", 60, 0, "0", "240000.00"),
        ("1500000", 60, 6, "0.035", "385833.33"),  # 1.5 M / 54 months × 12 + 3.5 % of 1.5 M
        ("1000000", 6, 0, "0", "1000000.00"),  # a credit shorter than a year: the whole amount
        ("0", 60, 0, "0.1", "0"),
    ],
)
def test_annual_debt_service(amount, term, grace, rate, expected):
    service = scoring.annual_debt_service(
        amount=Decimal(amount), term_months=term, grace_months=grace, annual_rate=Decimal(rate)
    )
    assert service == Decimal(expected)


def test_dscr_and_leverage_edges():
    assert scoring.dscr(ebitda=Decimal("300"), debt_service=Decimal("200")) == Decimal("1.5000")
    assert scoring.dscr(ebitda=Decimal("300"), debt_service=Decimal(0)) is None
    assert scoring.leverage(total_debt=Decimal("5"), equity=Decimal("10")) == Decimal("0.5000")
    assert scoring.leverage(total_debt=Decimal("5"), equity=Decimal("-1")) is None


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e12"), places=2)


@given(ebitda=money, service=money, extra=money)
def test_dscr_properties(ebitda, service, extra):
    ratio = scoring.dscr(ebitda=ebitda, debt_service=service)
    assert ratio is not None
    assert ratio >= 0
    # Covering the service exactly is 1; a heavier service never raises the coverage.
    assert (ratio >= 1) == (ebitda / service >= Decimal("0.99995"))
    heavier = scoring.dscr(ebitda=ebitda, debt_service=service + extra)
    assert heavier is not None
    assert heavier <= ratio
    # Within a rounding step of the exact quotient.
    assert abs(ratio - ebitda / service) <= Decimal("0.00005")


@given(st.decimals(min_value=Decimal(0), max_value=Decimal(10), places=4))
def test_points_are_monotone_in_dscr(value):
    m = model()
    lower = scoring.score(m, {"dscr": value, "technical_opinion": Decimal(1)}, rule=RULE).total
    higher = scoring.score(
        m, {"dscr": value + Decimal("0.5"), "technical_opinion": Decimal(1)}, rule=RULE
    ).total
    assert Decimal(40) <= lower <= higher <= Decimal(100)
