"""Dated reference series and the only two ways the engine reads them (SPEC C-5, C-9).

A `RateSeries` is a code and its observations: annual decimals for rates (`0.0725` = 7.25 %), pesos per
dollar for FIX, pesos for UDI and UMA. It is filled from the market-data store or from the document being
computed; nothing here fetches anything (C-10).

Look-ups:
- `value_before(d)` — C-5: the latest observation dated strictly before `d` (the rate "publicada el día
  hábil inmediato anterior a su aplicación", Rules 3).
- `value_on_or_before(d)` — C-9: the overnight rate of calendar day `d` (a Friday value serves the weekend).

A date before the first observation has no value: `MissingRate`, never a silent zero. A date after the last
observation gets the last value, flagged as a *projection* (`is_projection_before`): an amortization table
looks years ahead and can only project the base rate flat; the servicing side re-prices each period with
the published values once they exist.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from filon.core.calendar import next_business_day
from filon.core.daycount import daily_compounded_growth
from filon.core.money import ONE, finance_context

TIIE28 = "TIIE28"
TIIE_FONDEO = "TIIE_FONDEO"
FIX = "FIX"
UDI = "UDI"
UMA = "UMA"
TERM_SOFR = {months: f"TERM_SOFR_{months}M" for months in range(1, 13)}

# Base rates a credit may float on, and the currency each one prices (SPEC C-9, R-9.2.4, I-3).
BASE_RATE_CURRENCY: dict[str, str] = {
    TIIE28: "MXN",
    TIIE_FONDEO: "MXN",
    **dict.fromkeys(TERM_SOFR.values(), "USD"),
}
# Overnight series, compounded in arrears over the period instead of being fixed at its start (C-9).
OVERNIGHT_SERIES = frozenset({TIIE_FONDEO})


class MissingRate(LookupError):
    """No observation of `series` serves `day`. The message (Spanish) names both; `rule` is the look-up's."""

    def __init__(
        self, series: str, day: date | None, *, strictly_before: bool = True, hint: str = ""
    ) -> None:
        self.series = series
        self.day = day
        self.rule = "C-5" if strictly_before else "C-9"
        if day is None:
            message = f"La serie {series} no tiene observaciones."
        elif strictly_before:
            message = (
                f"No hay observación de la serie {series} anterior al {day:%d/%m/%Y}; "
                "cada periodo usa la última publicada antes de su inicio."
            )
        else:
            message = f"No hay observación de la serie {series} del {day:%d/%m/%Y} ni anterior."
        super().__init__(f"{message} {hint}" if hint else message)


class RateRun(NamedTuple):
    """Consecutive calendar days [start, end) that share one observation `value`."""

    start: date
    end: date
    value: Decimal
    projected: bool


class RateSeries:
    """A series code and its observations, sorted by date; immutable once built."""

    __slots__ = ("_days", "_next_expected", "_values", "code", "is_sample")

    def __init__(
        self, code: str, observations: Iterable[tuple[date, Decimal]], *, is_sample: bool = False
    ) -> None:
        by_day: dict[date, Decimal] = {}
        for day, value in observations:
            if not isinstance(value, Decimal):
                raise TypeError(f"{code} {day}: el valor debe ser Decimal, no {type(value).__name__}")
            if day in by_day and by_day[day] != value:
                raise ValueError(f"La serie {code} tiene dos valores distintos el {day:%d/%m/%Y}.")
            by_day[day] = value
        self.code = code
        self.is_sample = is_sample
        self._days = sorted(by_day)
        self._values = [by_day[day] for day in self._days]
        # The first business day after the last observation: from it on, values are projections.
        self._next_expected = (
            next_business_day(self._days[-1] + timedelta(days=1)) if self._days else date.max
        )

    def __len__(self) -> int:
        return len(self._days)

    def __repr__(self) -> str:
        span = f"{self._days[0]}..{self._days[-1]}" if self._days else "vacía"
        return f"RateSeries({self.code!r}, {len(self)} observaciones, {span})"

    @property
    def first_date(self) -> date | None:
        return self._days[0] if self._days else None

    @property
    def last_date(self) -> date | None:
        return self._days[-1] if self._days else None

    def observations(self) -> list[tuple[date, Decimal]]:
        return list(zip(self._days, self._values, strict=True))

    def value_before(self, day: date) -> Decimal:
        """C-5: the latest observation dated strictly before `day`."""
        index = bisect_left(self._days, day) - 1
        if index < 0:
            raise MissingRate(self.code, day if self._days else None)
        return self._values[index]

    def value_on_or_before(self, day: date) -> Decimal:
        """C-9: the latest observation dated on or before `day` (a Friday value serves the weekend)."""
        index = bisect_right(self._days, day) - 1
        if index < 0:
            raise MissingRate(self.code, day if self._days else None, strictly_before=False)
        return self._values[index]

    def is_projection_before(self, day: date) -> bool:
        """True when the C-5 value for `day` is not published yet, so the last one stands in for it."""
        return self._next_expected < day

    def is_projection_on_or_before(self, day: date) -> bool:
        """True when the C-9 value for `day` is not published yet, so the last one stands in for it."""
        return self._next_expected <= day

    def overnight_runs(self, start: date, end: date) -> list[RateRun]:
        """The days [start, end) grouped into runs that share one C-9 observation.

        The run on the last observation is cut where the projection begins, so each run is either
        published or projected.
        """
        if end <= start:
            return []
        index = bisect_right(self._days, start) - 1
        if index < 0:
            raise MissingRate(self.code, start if self._days else None, strictly_before=False)
        runs: list[RateRun] = []
        day = start
        while day < end:
            is_last = index + 1 >= len(self._days)
            run_end = end if is_last else min(end, self._days[index + 1])
            value = self._values[index]
            if is_last and day < self._next_expected < run_end:
                runs.append(RateRun(day, self._next_expected, value, False))
                day = self._next_expected
            runs.append(RateRun(day, run_end, value, self.is_projection_on_or_before(day)))
            day = run_end
            index += 1
        return runs


def compounded_in_arrears(series: RateSeries, start: date, end: date) -> Decimal:
    """C-9: Π over each calendar day d of [start, end) of (1 + r(d)/360), r(d) by `value_on_or_before`.

    The factor is not rounded. The period rate of a credit is this factor − 1 plus its spread × D/360.
    """
    with finance_context():
        factor = ONE
        for run in series.overnight_runs(start, end):
            factor *= daily_compounded_growth(run.value, (run.end - run.start).days)
        return factor
