"""Reference-rate look-ups (C-5, C-9), compounding in arrears and the TMIC (R-9.2.6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from filon.core.money import ONE, finance_context
from filon.core.rates import TIIE28, TIIE_FONDEO, MissingRate, RateSeries, compounded_in_arrears
from filon.core.tmic import tmic_display, tmic_factor, tmic_percent

pytestmark = pytest.mark.pure

D = Decimal


@pytest.fixture
def tiie() -> RateSeries:
    # Thu 2026-01-08, Fri 2026-01-09, Mon 2026-01-12
    return RateSeries(
        TIIE28,
        [(date(2026, 1, 9), D("0.0730")), (date(2026, 1, 8), D("0.0725")), (date(2026, 1, 12), D("0.0740"))],
    )


def test_c5_takes_the_latest_observation_strictly_before(tiie):
    assert tiie.value_before(date(2026, 1, 9)) == D("0.0725")  # not the same day's value
    assert tiie.value_before(date(2026, 1, 10)) == D("0.0730")
    assert tiie.value_before(date(2026, 1, 12)) == D("0.0730")  # Monday uses Friday's
    assert tiie.value_before(date(2026, 1, 13)) == D("0.0740")


def test_c9_takes_the_observation_of_the_day_or_the_one_before(tiie):
    assert tiie.value_on_or_before(date(2026, 1, 9)) == D("0.0730")
    assert tiie.value_on_or_before(date(2026, 1, 11)) == D("0.0730")  # Sunday: Friday's value


def test_a_missing_value_is_an_error_naming_series_and_date(tiie):
    with pytest.raises(MissingRate, match=r"TIIE28 anterior al 08/01/2026") as caught:
        tiie.value_before(date(2026, 1, 8))
    assert isinstance(caught.value, LookupError)
    with pytest.raises(MissingRate, match="del 07/01/2026"):
        tiie.value_on_or_before(date(2026, 1, 7))
    with pytest.raises(MissingRate, match="no tiene observaciones"):
        RateSeries(TIIE28, []).value_before(date(2026, 1, 1))


def test_values_after_the_last_publication_are_flagged_as_projections(tiie):
    # Last observation Monday 12th: the value for Tuesday 13th is published; for Wednesday 14th it is not.
    assert not tiie.is_projection_before(date(2026, 1, 13))
    assert tiie.is_projection_before(date(2026, 1, 14))
    assert tiie.value_before(date(2030, 1, 1)) == D("0.0740")
    assert not tiie.is_projection_on_or_before(date(2026, 1, 12))
    assert tiie.is_projection_on_or_before(date(2026, 1, 13))


def test_conflicting_observations_and_floats_are_refused():
    with pytest.raises(ValueError, match="dos valores distintos"):
        RateSeries(TIIE28, [(date(2026, 1, 8), D("0.07")), (date(2026, 1, 8), D("0.08"))])
    with pytest.raises(TypeError):
        RateSeries(TIIE28, [(date(2026, 1, 8), 0.07)])  # type: ignore[list-item]


def test_compounded_in_arrears_compounds_every_calendar_day():
    series = RateSeries(
        TIIE_FONDEO,
        [(date(2026, 1, 8), D("0.10")), (date(2026, 1, 9), D("0.11")), (date(2026, 1, 12), D("0.12"))],
    )
    # [Thu 8, Tue 13): Thu at 10 %, Fri-Sat-Sun at Friday's 11 %, Mon at 12 %.
    with finance_context():
        expected = (1 + D("0.10") / 360) * (1 + D("0.11") / 360) ** 3 * (1 + D("0.12") / 360)
    assert compounded_in_arrears(series, date(2026, 1, 8), date(2026, 1, 13)) == expected
    assert compounded_in_arrears(series, date(2026, 1, 8), date(2026, 1, 8)) == 1


def test_overnight_runs_split_where_the_projection_starts():
    series = RateSeries(TIIE_FONDEO, [(date(2026, 1, 8), D("0.10")), (date(2026, 1, 9), D("0.11"))])
    runs = series.overnight_runs(date(2026, 1, 8), date(2026, 1, 15))
    assert [(r.start, r.end, r.value, r.projected) for r in runs] == [
        (date(2026, 1, 8), date(2026, 1, 9), D("0.10"), False),
        (date(2026, 1, 9), date(2026, 1, 12), D("0.11"), False),
        (date(2026, 1, 12), date(2026, 1, 15), D("0.11"), True),
    ]


# --- TMIC: the Rules' worked example (9.2.6) -------------------------------------------------------

EXAMPLE = [(D("0.0715"), 30), (D("0.0720"), 30), (D("0.0722"), 30), (D("0.0729"), 30)]


def test_tmic_reproduces_the_rules_worked_example(ruleset):
    tmic = tmic_percent(EXAMPLE)
    # (1.00595833…)(1.006)(1.00601666…)(1.006075) − 1 = 0.02426776810637…
    assert tmic.quantize(D("0.000001")) == D("2.426777")
    assert tmic_display(tmic, ruleset.rates.tmic_display_places) == D("2.4267")
    # Truncated, not rounded: rounding to 4 places would print 2.4268.
    assert tmic.quantize(D("0.0001")) == D("2.4268")


def test_tmic_factor_is_never_rounded():
    factor = tmic_factor(EXAMPLE)
    with finance_context():
        expected = ONE
        for rate, days in EXAMPLE:
            expected *= 1 + rate * days / 360
    assert factor == expected
    assert len(factor.as_tuple().digits) > 30


def test_tmic_display_places_come_from_the_caller():
    tmic = tmic_percent(EXAMPLE)
    assert tmic_display(tmic, 2) == D("2.42")
    assert tmic_display(tmic, 6) == D("2.426776")
