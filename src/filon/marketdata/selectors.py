"""Reads from the market-data store. The engine sees a series only as a pure `filon.core.rates.RateSeries`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import DatabaseError
from django.db.models import Count, Max, Min, Q

from filon.core.rates import MissingRate, RateSeries
from filon.marketdata.models import Observation, Series

LOAD_HINT = (
    "Cárguela con «filon rates import ARCHIVO --series CLAVE» o «filon rates fetch», "
    "o use «filon rates load-sample» para la muestra ilustrativa."
)


def rate_series_get(code: str) -> RateSeries:
    """Every stored observation of `code`, as the engine reads it (C-5, C-9). Raises `MissingRate` when the
    series has none, and `LookupError` (Spanish) when the database cannot be read."""
    try:
        rows = list(
            Observation.objects.filter(series__code=code)
            .order_by("date")
            .values_list("date", "value", "source")
        )
    except DatabaseError as exc:
        raise LookupError(
            f"No se pudo leer la serie {code} de la base de datos ({exc}); ¿ejecutó «filon migrate»?"
        ) from None
    if not rows:
        raise MissingRate(code, None, hint=LOAD_HINT)
    is_sample = any(source == Observation.Source.SAMPLE for _, _, source in rows)
    return RateSeries(code, [(day, value) for day, value, _ in rows], is_sample=is_sample)


@dataclass(frozen=True)
class SeriesSummary:
    code: str
    name: str
    count: int
    first: date | None
    last: date | None
    sample_count: int


def series_summaries() -> list[SeriesSummary]:
    rows = Series.objects.annotate(
        count=Count("observations"),
        first=Min("observations__date"),
        last=Max("observations__date"),
        sample_count=Count("observations", filter=Q(observations__source=Observation.Source.SAMPLE)),
    )
    return [SeriesSummary(s.code, s.name, s.count, s.first, s.last, s.sample_count) for s in rows]


def observations_latest(code: str, count: int) -> list[tuple[date, Decimal, str]]:
    """The `count` most recent observations of `code`, oldest first: (date, value, source label)."""
    rows = Observation.objects.filter(series__code=code).order_by("-date")[:count]
    return [(o.date, o.value, o.get_source_display()) for o in reversed(rows)]
