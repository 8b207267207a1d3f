"""Charts drawn on the server as SVG: figures in (Decimal), geometry out.

Nothing here reads the database or writes markup: a chart is a dataclass of coordinates and labels that the
partials under `web/charts/` draw, with the same figures as a table under the picture. Three kinds:

- `line_chart`: several series over the same categories (months), each a polyline.
- `bar_chart`: vertical bars, stacked when there is more than one series.
- `hbar_chart`: one horizontal bar per row, with an optional reference mark (a goal or a rule's clock).

Coordinates are Decimals rounded to a tenth of a unit of the SVG's viewBox.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
TENTH = Decimal("0.1")
NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
TICKS = 4  # gridlines above zero

WIDTH = 640
LEFT, RIGHT, TOP, BOTTOM = 72, 28, 12, 28  # margins of the plot area inside the viewBox

Number = Decimal | int


def _d(value: Number | None) -> Decimal:
    return ZERO if value is None else Decimal(value)


def _at(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def nice_ceiling(value: Number) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least `value` (1 for nothing to show)."""
    value = _d(value)
    if value <= 0:
        return Decimal(1)
    power = Decimal(10) ** value.adjusted()
    for step in NICE_STEPS:
        if value <= step * power:
            return (step * power).normalize()
    return (10 * power).normalize()  # pragma: no cover - NICE_STEPS ends at 10


def compact(value: Number, kind: str = "number") -> str:
    """An axis label: «120 M», «2.5 M», «800 mil», «45 %», «12»."""
    value = _d(value)
    if kind == "percent":
        return f"{(value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)} %"
    for size, suffix in ((Decimal(1_000_000), " M"), (Decimal(1_000), " mil")):
        if abs(value) >= size:
            short = (value / size).quantize(TENTH, rounding=ROUND_HALF_UP).normalize()
            return f"{short:f}{suffix}"
    return f"{value.quantize(TENTH, rounding=ROUND_HALF_UP).normalize():f}"


@dataclass(frozen=True)
class Tick:
    at: Decimal  # y for vertical charts, x for horizontal ones
    label: str


def _ticks(top: Decimal, to_coord: Callable[[Decimal], Decimal], kind: str) -> list[Tick]:
    return [Tick(to_coord(top * i / TICKS), compact(top * i / TICKS, kind)) for i in range(TICKS + 1)]


@dataclass(frozen=True)
class Series:
    """One named series of values, one per category (None: nothing to draw there)."""

    label: str
    values: Sequence[Number | None]
    dashed: bool = False


# ------------------------------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class Point:
    x: Decimal
    y: Decimal
    value: Decimal


@dataclass(frozen=True)
class Line:
    label: str
    index: int  # 1-based: the CSS class `s1`, `s2` … gives its colour
    dashed: bool
    points: list[Point]

    @property
    def path(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)


@dataclass(frozen=True)
class Label:
    at: Decimal
    text: str


@dataclass(frozen=True)
class Chart:
    """What every chart shares: its id (for aria-labelledby), title, description and the table's figures."""

    key: str
    title: str
    desc: str
    kind: str  # how its figures read: "money", "number", "percent", "days"
    width: int
    height: int
    categories: list[str]
    series: list[Series]
    ticks: list[Tick] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)

    @property
    def rows(self) -> list[tuple[str, list[Number | None]]]:
        """The table under the picture: one row per category, one column per series."""
        return [(c, [s.values[i] for s in self.series]) for i, c in enumerate(self.categories)]

    @property
    def plot_left(self) -> int:
        return LEFT

    @property
    def plot_top(self) -> int:
        return TOP

    @property
    def plot_right(self) -> int:
        return self.width - RIGHT

    @property
    def plot_bottom(self) -> int:
        return self.height - BOTTOM


@dataclass(frozen=True)
class LineChart(Chart):
    lines: list[Line] = field(default_factory=list)


def _scale(top: Decimal, bottom: int, height: int) -> Callable[[Number | None], Decimal]:
    return lambda v: _at(Decimal(bottom) - Decimal(height) * _d(v) / top)


def line_chart(
    *,
    key: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    kind: str = "money",
    height: int = 260,
) -> LineChart:
    """Each series as a polyline over the categories, on one scale from zero to a round ceiling."""
    values = [_d(v) for s in series for v in s.values if v is not None]
    top = nice_ceiling(max(values, default=ZERO))
    bottom = height - BOTTOM
    y = _scale(top, bottom, bottom - TOP)
    span = Decimal(WIDTH - RIGHT - LEFT)
    n = len(categories)
    step = span / (n - 1) if n > 1 else ZERO

    def x(i: int) -> Decimal:
        return _at(LEFT + step * i) if n > 1 else _at(LEFT + span / 2)

    lines = [
        Line(
            s.label,
            i + 1,
            s.dashed,
            [Point(x(j), y(v), _d(v)) for j, v in enumerate(s.values) if v is not None],
        )
        for i, s in enumerate(series)
    ]
    return LineChart(
        key=key,
        title=title,
        desc=desc,
        kind=kind,
        width=WIDTH,
        height=height,
        categories=list(categories),
        series=list(series),
        ticks=_ticks(top, y, kind),
        labels=[Label(x(i), c) for i, c in enumerate(categories)],
        lines=lines,
    )


# -------------------------------------------------------------------------------------------------- bars


@dataclass(frozen=True)
class Rect:
    x: Decimal
    y: Decimal
    w: Decimal
    h: Decimal
    index: int  # the series, 1-based (CSS class)
    value: Decimal
    label: str  # "category: series value" for the tooltip-free reader; the table says it too


@dataclass(frozen=True)
class BarChart(Chart):
    rects: list[Rect] = field(default_factory=list)


def bar_chart(
    *,
    key: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    kind: str = "money",
    height: int = 240,
) -> BarChart:
    """One vertical bar per category, its series stacked from zero up in order."""
    totals = [sum((_d(s.values[i]) for s in series), ZERO) for i in range(len(categories))]
    top = nice_ceiling(max(totals, default=ZERO))
    bottom = height - BOTTOM
    plot_h = Decimal(bottom - TOP)
    y = _scale(top, bottom, bottom - TOP)
    n = max(len(categories), 1)
    slot = Decimal(WIDTH - RIGHT - LEFT) / n
    bar_w = _at(slot * Decimal("0.6"))
    rects = []
    for i, category in enumerate(categories):
        base = ZERO
        for k, s in enumerate(series):
            value = _d(s.values[i])
            if value <= 0:
                continue
            h = _at(plot_h * value / top)
            rects.append(
                Rect(
                    x=_at(LEFT + slot * i + (slot - bar_w) / 2),
                    y=_at(Decimal(bottom) - plot_h * (base + value) / top),
                    w=bar_w,
                    h=h,
                    index=k + 1,
                    value=value,
                    label=f"{category}: {s.label}",
                )
            )
            base += value
    return BarChart(
        key=key,
        title=title,
        desc=desc,
        kind=kind,
        width=WIDTH,
        height=height,
        categories=list(categories),
        series=list(series),
        ticks=_ticks(top, y, kind),
        labels=[Label(_at(LEFT + slot * i + slot / 2), c) for i, c in enumerate(categories)],
        rects=rects,
    )


@dataclass(frozen=True)
class HBar:
    label: str
    y: Decimal
    h: Decimal
    segments: list[Rect]
    mark: Decimal | None  # x of the reference mark, if any
    reference: Decimal | None

    @property
    def bottom(self) -> Decimal:
        return self.y + self.h


@dataclass(frozen=True)
class HBarChart(Chart):
    bars: list[HBar] = field(default_factory=list)
    reference_label: str = ""

    @property
    def label_x(self) -> int:
        """Where the rows' names end (right-aligned), left of the bars."""
        return HBAR_LEFT - 4

    @property
    def rows(self) -> list[tuple[str, list[Number | None]]]:
        """The table adds the reference as its last column when there is one."""
        rows = super().rows
        if not self.reference_label:
            return rows
        return [(c, [*values, bar.reference]) for (c, values), bar in zip(rows, self.bars, strict=True)]


ROW_H = 30
HBAR_LEFT = 180  # room for the rows' names


def hbar_chart(
    *,
    key: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    references: Sequence[Number | None] | None = None,
    reference_label: str = "",
    kind: str = "money",
) -> HBarChart:
    """One horizontal bar per category (segments stacked left to right), with a mark at its reference."""
    refs = [None if r is None else _d(r) for r in (references or [None] * len(categories))]
    totals = [sum((_d(s.values[i]) for s in series), ZERO) for i in range(len(categories))]
    top = nice_ceiling(max([*totals, *(r for r in refs if r is not None)], default=ZERO))
    span = Decimal(WIDTH - RIGHT - HBAR_LEFT)

    def x(v: Decimal) -> Decimal:
        return _at(HBAR_LEFT + span * v / top)

    height = TOP + ROW_H * len(categories) + BOTTOM
    bars = []
    for i, category in enumerate(categories):
        row_y = Decimal(TOP + ROW_H * i + 5)
        h = Decimal(ROW_H - 10)
        base = ZERO
        segments = []
        for k, s in enumerate(series):
            value = _d(s.values[i])
            if value <= 0:
                continue
            segments.append(
                Rect(x(base), row_y, _at(span * value / top), h, k + 1, value, f"{category}: {s.label}")
            )
            base += value
        ref = refs[i]
        bars.append(HBar(category, row_y, h, segments, None if ref is None else x(ref), ref))
    chart = HBarChart(
        key=key,
        title=title,
        desc=desc,
        kind=kind,
        width=WIDTH,
        height=height,
        categories=list(categories),
        series=list(series),
        ticks=_ticks(top, x, kind),
        labels=[Label(bar.y + bar.h / 2, bar.label) for bar in bars],
        bars=bars,
        reference_label=reference_label,
    )
    return chart
