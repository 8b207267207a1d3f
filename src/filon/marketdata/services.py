"""Writes to the market-data store: CSV import, Banxico download, the shipped sample (STYLE 4, 9).

Each import is atomic and idempotent: an observation already stored with the same value and source is left
alone, a different value or source replaces it, and a re-run changes nothing. Slow I/O (the Banxico call)
happens before the transaction opens.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import httpx
from django.db import transaction
from django.utils import timezone

from filon.core.calendar import today_mx
from filon.core.errors import InputError, InputErrors
from filon.core.money import D
from filon.marketdata import banxico
from filon.marketdata.catalog import SeriesSpec, series_spec
from filon.marketdata.models import Observation, Series

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
MAX_DECIMAL_PLACES = 10  # Observation.value's decimal_places
HEADERS = ({"date", "value"}, {"fecha", "valor"})
EARLIEST_RATE_DATE = date(2000, 1, 1)
"""No series we use has an observation before it that a credit of ours could need."""
MAX_CSV_LINE = 200
"""The longest line of a rate CSV (a date, a comma and a value need fewer than 40 characters)."""
PERCENT = Decimal(100)


@dataclass(frozen=True)
class ImportSummary:
    series: str
    created: int
    updated: int
    unchanged: int
    missing: int
    first: date | None
    last: date | None

    def describe(self) -> str:
        span = f" del {self.first:%d/%m/%Y} al {self.last:%d/%m/%Y}" if self.first and self.last else ""
        return (
            f"{self.series}: {self.created} nuevas, {self.updated} actualizadas, "
            f"{self.unchanged} sin cambio, {self.missing} sin dato{span}"
        )


def _parse_day(raw: str) -> date:
    text = raw.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.strptime(text, "%d/%m/%Y").date()  # noqa: DTZ007 — a calendar date, no time


def _value(spec: SeriesSpec, raw: str) -> Decimal:
    value = D(raw.replace(",", ""))
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMAL_PLACES:
        raise ValueError(f"a lo más {MAX_DECIMAL_PLACES} decimales")
    problem = spec.check(value)
    if problem:
        raise ValueError(problem)
    return value


def import_latest_date() -> date:
    """The latest date an imported observation may carry: tomorrow (FIX and TIIE are published the business
    day before they apply); a later date is a typo, not a rate."""
    return today_mx() + timedelta(days=1)


def parse_csv(
    spec: SeriesSpec, text: str, *, latest: date | None = None
) -> tuple[list[tuple[date, Decimal]], int]:
    """(date, value) rows of a `date,value` CSV and how many were missing (`N/E` or empty).

    Lines starting with `#` are comments; the header may be `date,value` or `fecha,valor`; dates are
    AAAA-MM-DD or dd/mm/aaaa, from EARLIEST_RATE_DATE to `latest` (imports pass `import_latest_date()`; the
    shipped sample, which runs ahead of today, passes none). A line longer than MAX_CSV_LINE is refused
    before it is split. Every bad line is reported, by number.
    """
    errors: list[InputError] = []
    rows: dict[date, Decimal] = {}
    missing = 0
    header_seen = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"línea {number}"
        if len(line) > MAX_CSV_LINE:
            errors.append(
                InputError(
                    where,
                    f"el campo es demasiado largo: la línea tiene {len(line):,} caracteres y el máximo es "
                    f"{MAX_CSV_LINE}",
                )
            )
            continue
        try:
            cells = next(csv.reader([line]))
        except csv.Error as exc:
            errors.append(InputError(where, f"no es una línea CSV válida ({exc})"))
            continue
        if not header_seen:
            header_seen = True
            if {cell.strip().lower() for cell in cells} in HEADERS and len(cells) == 2:
                continue
            errors.append(InputError(where, "se esperaba el encabezado «date,value» (o «fecha,valor»)"))
            break
        if len(cells) != 2:
            errors.append(InputError(where, f"se esperaban 2 columnas y hay {len(cells)}"))
            continue
        raw_day, raw_value = cells
        try:
            day = _parse_day(raw_day)
        except ValueError:
            errors.append(InputError(where, f"«{raw_day.strip()}» no es una fecha AAAA-MM-DD ni dd/mm/aaaa"))
            continue
        if day < EARLIEST_RATE_DATE or (latest is not None and day > latest):
            until = f"{latest:%d/%m/%Y}" if latest is not None else "hoy"
            errors.append(
                InputError(
                    where,
                    f"la fecha {day:%d/%m/%Y} está fuera del rango admitido "
                    f"({EARLIEST_RATE_DATE:%d/%m/%Y} a {until})",
                )
            )
            continue
        if raw_value.strip() in ("", banxico.MISSING):
            missing += 1
            continue
        try:
            value = _value(spec, raw_value)
        except ValueError as exc:
            errors.append(InputError(where, f"valor «{raw_value.strip()}» inválido: {exc}"))
            continue
        if day in rows and rows[day] != value:
            errors.append(InputError(where, f"el {day:%d/%m/%Y} aparece dos veces con valores distintos"))
            continue
        rows[day] = value
    if not header_seen:
        errors.append(InputError("archivo", "no tiene datos"))
    if errors:
        raise InputErrors(errors)
    return sorted(rows.items()), missing


def _username(user: Any) -> str:
    return str(getattr(user, "username", "") or "") if user is not None else ""


def _store(
    *,
    spec: SeriesSpec,
    rows: Sequence[tuple[date, Decimal]],
    missing: int,
    source: str,
    user: Any = None,
) -> ImportSummary:
    """Insert or update `rows` of `spec`'s series. Call inside a transaction.

    Real data (CSV, Banxico) replaces sample data; sample data never replaces real data.
    """
    series, _ = Series.objects.get_or_create(
        code=spec.code, defaults={"name": spec.name, "unit": spec.unit, "banxico_id": spec.banxico_id}
    )
    if not rows:
        return ImportSummary(spec.code, 0, 0, 0, missing, None, None)
    first, last = rows[0][0], rows[-1][0]
    stored = {
        obs.date: obs
        for obs in Observation.objects.select_for_update().filter(
            series=series, date__gte=first, date__lte=last
        )
    }
    who = _username(user)
    now = timezone.now()
    created: list[Observation] = []
    changed: list[Observation] = []
    for day, value in rows:
        obs = stored.get(day)
        if obs is None:
            created.append(Observation(series=series, date=day, value=value, source=source, imported_by=who))
        elif source == Observation.Source.SAMPLE and obs.source != Observation.Source.SAMPLE:
            continue  # the sample never replaces real data
        elif obs.value != value or obs.source != source:
            obs.value, obs.source, obs.imported_by, obs.updated_at = value, source, who, now
            changed.append(obs)
    Observation.objects.bulk_create(created, batch_size=500)
    Observation.objects.bulk_update(changed, ["value", "source", "imported_by", "updated_at"], batch_size=500)
    unchanged = len(rows) - len(created) - len(changed)
    return ImportSummary(spec.code, len(created), len(changed), unchanged, missing, first, last)


def _read_text(file: TextIO | str | Path) -> str:
    if isinstance(file, str | Path):
        path = Path(file)
        try:
            return path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError("FILE", f"no se pudo leer {path}: {exc}") from None
    return file.read()


def observations_import_csv(
    *, series: str, file: TextIO | str | Path, user: Any = None, source: str = Observation.Source.CSV
) -> ImportSummary:
    """Import a `date,value` CSV into `series`. Raises `InputError(s)` naming the bad lines. Dates after
    tomorrow are refused, except in illustrative sample data, which may run ahead of today as the shipped
    sample does."""
    spec = series_spec(series)
    latest = None if source == Observation.Source.SAMPLE else import_latest_date()
    rows, missing = parse_csv(spec, _read_text(file), latest=latest)
    with transaction.atomic():
        return _store(spec=spec, rows=rows, missing=missing, source=source, user=user)


def observations_store(
    *,
    series: str,
    rows: Sequence[tuple[date, Decimal]],
    source: str = Observation.Source.CSV,
    user: Any = None,
) -> ImportSummary:
    """Store rows already checked by `parse_csv` (sorted by date) in one transaction: a long import is stored
    chunk by chunk, each chunk a slice of the parsed rows, with the same rules as a whole-file import."""
    with transaction.atomic():
        return _store(spec=series_spec(series), rows=rows, missing=0, source=source, user=user)


def observations_fetch_banxico(
    *,
    series_codes: Sequence[str],
    start: date,
    end: date,
    token: str,
    client: httpx.Client | None = None,
    user: Any = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[ImportSummary]:
    """Download `series_codes` for [start, end] from Banxico's SIE API and store them (all or nothing).

    Raises `InputError(s)` for bad arguments and `banxico.BanxicoError` when the API cannot answer.
    Rates arrive in percent and are stored as annual decimals.
    """
    errors: list[InputError] = []
    specs: list[SeriesSpec] = []
    for code in series_codes:
        try:
            spec = series_spec(code)
        except InputError as exc:
            errors.append(exc)
            continue
        if not spec.banxico_id:
            errors.append(
                InputError("--series", f"{code} no se publica en el SIE de Banxico; impórtela de un CSV")
            )
        specs.append(spec)
    if not series_codes:
        errors.append(InputError("--series", "indique al menos una serie"))
    if end < start:
        errors.append(InputError("--to", "la fecha final es anterior a la inicial"))
    if not token:
        errors.append(
            InputError(banxico.TOKEN_ENV, "falta el token del SIE de Banxico en esta variable de entorno")
        )
    if errors:
        raise InputErrors(errors)
    ids = [spec.banxico_id for spec in specs]
    if client is None:
        with banxico.default_client() as own_client:
            fetched = banxico.fetch_series(
                sie_ids=ids, start=start, end=end, token=token, client=own_client, sleep=sleep
            )
    else:
        fetched = banxico.fetch_series(
            sie_ids=ids, start=start, end=end, token=token, client=client, sleep=sleep
        )
    prepared = [(spec, _banxico_rows(spec, fetched[spec.banxico_id])) for spec in specs]
    with transaction.atomic():
        return [
            _store(spec=spec, rows=rows, missing=0, source=Observation.Source.BANXICO, user=user)
            for spec, rows in prepared
        ]


def _banxico_rows(spec: SeriesSpec, published: Iterable[tuple[date, str]]) -> list[tuple[date, Decimal]]:
    rows: dict[date, Decimal] = {}
    for day, text in published:
        try:
            value = D(text)
        except ValueError:
            raise banxico.BanxicoError(f"Banxico envió un valor inválido «{text}» en {spec.code}.") from None
        rows[day] = value / PERCENT if spec.is_rate else value
        problem = spec.check(rows[day])
        if problem:
            raise banxico.BanxicoError(f"{spec.code} {day:%d/%m/%Y}: {problem}")
    return sorted(rows.items())


def sample_load(*, user: Any = None) -> list[ImportSummary]:
    """Load the shipped MUESTRA ILUSTRATIVA (src/filon/marketdata/sample/*.csv), marked as sample data.

    The sample lets the demo and the schedule command work offline; it is not official data.
    """
    summaries = []
    with transaction.atomic():
        for path in sorted(SAMPLE_DIR.glob("*.csv")):
            spec = series_spec(path.stem, field=str(path.name))
            rows, missing = parse_csv(spec, path.read_text(encoding="utf-8"))
            summaries.append(
                _store(spec=spec, rows=rows, missing=missing, source=Observation.Source.SAMPLE, user=user)
            )
    return summaries
