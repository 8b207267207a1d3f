"""The charts' geometry (filon.web.charts): figures in, coordinates out, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from filon.web import charts
from filon.web.charts import Series, bar_chart, compact, hbar_chart, line_chart, nice_ceiling

pytestmark = pytest.mark.pure


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [
        (0, Decimal(1)),
        (Decimal("0.8"), Decimal("1")),
        (7, Decimal(10)),
        (Decimal("120000000"), Decimal("200000000")),
        (Decimal("230000000"), Decimal("250000000")),
        (Decimal("100"), Decimal("100")),
        (Decimal("101"), Decimal("200")),
        (Decimal("0.35"), Decimal("0.5")),
    ],
)
def test_nice_ceiling(value, ceiling):
    assert nice_ceiling(value) == ceiling


def test_compact_axis_labels():
    assert compact(Decimal("120000000")) == "120 M"
    assert compact(Decimal("2500000")) == "2.5 M"
    assert compact(Decimal("800000")) == "800 mil"
    assert compact(12) == "12"
    assert compact(Decimal("0.25"), "percent") == "25 %"


def test_line_chart_places_points_on_one_scale():
    chart = line_chart(
        key="k",
        title="t",
        desc="d",
        categories=["ene", "feb", "mar"],
        series=[
            Series("Contratado", [Decimal(50), Decimal(100), Decimal(150)]),
            Series("Meta", [Decimal(200)] * 3, dashed=True),
        ],
        height=260,
    )
    bottom = 260 - charts.BOTTOM
    plot_h = bottom - charts.TOP
    contracted, goal = chart.lines
    # x runs from the left margin to the right one in equal steps
    right = charts.WIDTH - charts.RIGHT
    assert [p.x for p in contracted.points] == [Decimal(72), Decimal(72 + right) / 2, Decimal(right)]
    # the ceiling is 200: the goal sits on the top of the plot, 100 half way, 0 on the axis
    assert {p.y for p in goal.points} == {Decimal(charts.TOP)}
    assert contracted.points[1].y == Decimal(bottom) - Decimal(plot_h) / 2
    assert contracted.path.startswith("72.0,")
    assert goal.dashed
    assert goal.index == 2
    assert [t.label for t in chart.ticks] == ["0", "50", "100", "150", "200"]
    assert chart.rows[0] == ("ene", [Decimal(50), Decimal(200)])


def test_line_chart_skips_missing_values_and_draws_nothing_to_zero():
    chart = line_chart(key="k", title="t", desc="d", categories=["a", "b"], series=[Series("s", [None, 0])])
    (line,) = chart.lines
    assert len(line.points) == 1
    assert line.points[0].y == Decimal(260 - charts.BOTTOM)


def test_bar_chart_stacks_series():
    chart = bar_chart(
        key="k",
        title="t",
        desc="d",
        categories=["Interno", "Externo"],
        series=[Series("Autorizado", [3, 1]), Series("Rechazado", [1, 0])],
        kind="number",
        height=228,
    )
    bottom = 228 - charts.BOTTOM  # 200
    plot_h = bottom - charts.TOP  # 188, for a ceiling of 5
    first, second, third = chart.rects
    assert (first.index, first.value, first.h) == (1, Decimal(3), Decimal("112.8"))
    assert first.y + first.h == Decimal(bottom)
    assert second.index == 2
    assert second.y + second.h == first.y
    assert second.h == Decimal(plot_h) / 5
    assert third.label == "Externo: Autorizado"  # a zero segment draws nothing
    assert first.w == second.w
    assert first.x == second.x


def test_hbar_chart_marks_the_reference():
    chart = hbar_chart(
        key="k",
        title="t",
        desc="d",
        categories=["Zacatecas", "Sonora"],
        series=[Series("Contratado", [Decimal(30), Decimal(100)])],
        references=[Decimal(120), None],
        reference_label="Meta",
    )
    span = Decimal(charts.WIDTH - charts.RIGHT - charts.HBAR_LEFT)  # ceiling 200
    zac, son = chart.bars
    assert zac.segments[0].x == Decimal(charts.HBAR_LEFT)
    assert zac.segments[0].w == (span * 30 / 200).quantize(Decimal("0.1"))
    assert zac.mark == (charts.HBAR_LEFT + span * 120 / 200).quantize(Decimal("0.1"))
    assert son.mark is None
    assert zac.bottom == zac.y + zac.h
    assert chart.height == charts.TOP + charts.ROW_H * 2 + charts.BOTTOM
    assert chart.rows == [("Zacatecas", [Decimal(30), Decimal(120)]), ("Sonora", [Decimal(100), None])]
