"""CSV import, the shipped sample, the selector the engine reads through, the `rates` command and
`filon schedule` on stored series."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from filon.cli import run
from filon.core.errors import InputError, InputErrors
from filon.core.rates import MissingRate
from filon.marketdata.models import Observation, Series
from filon.marketdata.selectors import rate_series_get
from filon.marketdata.services import SAMPLE_DIR, observations_import_csv, sample_load

pytestmark = pytest.mark.django_db

D = Decimal
TIIE_CSV = """# TIIE a 28 días, de un archivo de Banxico
date,value
2026-01-02,0.0731
05/01/2026,0.073125
2026-01-06,N/E
2026-01-07,0.0730
"""


def test_csv_import_reads_both_date_formats_and_skips_missing_values():
    summary = observations_import_csv(series="TIIE28", file=io.StringIO(TIIE_CSV))
    assert (summary.created, summary.missing, summary.first, summary.last) == (
        3,
        1,
        date(2026, 1, 2),
        date(2026, 1, 7),
    )
    series = rate_series_get("TIIE28")
    assert series.observations() == [
        (date(2026, 1, 2), D("0.0731")),
        (date(2026, 1, 5), D("0.073125")),
        (date(2026, 1, 7), D("0.0730")),
    ]
    assert not series.is_sample


def test_reimporting_changes_nothing_and_a_corrected_value_updates_once():
    observations_import_csv(series="TIIE28", file=io.StringIO(TIIE_CSV))
    again = observations_import_csv(series="TIIE28", file=io.StringIO(TIIE_CSV))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    corrected = observations_import_csv(series="TIIE28", file=io.StringIO("date,value\n2026-01-07,0.0729\n"))
    assert (corrected.created, corrected.updated) == (0, 1)
    assert Observation.objects.get(date=date(2026, 1, 7)).value == D("0.0729")
    assert Observation.objects.count() == 3


def test_bad_lines_are_all_reported_and_nothing_is_stored():
    text = "fecha,valor\n2026-01-02,7.31\n2026-02-30,0.07\n2026-01-03\n2026-01-05,siete\n"
    with pytest.raises(InputErrors) as caught:
        observations_import_csv(series="TIIE28", file=io.StringIO(text))
    described = [e.describe() for e in caught.value.errors]
    assert [d.split("»")[0] for d in described] == [f"Campo «línea {n}" for n in (2, 3, 4, 5)]
    assert "¿viene en porcentaje?" in described[0]
    assert "no es una fecha" in described[1]
    assert "2 columnas" in described[2]
    assert "«siete»" in described[3]
    assert not Observation.objects.exists()


def test_unknown_series_and_missing_header_are_refused():
    with pytest.raises(InputError, match="serie desconocida «TIIE91»"):
        observations_import_csv(series="TIIE91", file=io.StringIO(TIIE_CSV))
    with pytest.raises(InputErrors, match="encabezado"):
        observations_import_csv(series="FIX", file=io.StringIO("2026-01-02,18.1\n"))


def test_the_sample_is_labelled_covers_three_years_and_never_replaces_real_data():
    for path in SAMPLE_DIR.glob("*.csv"):
        assert path.read_text(encoding="utf-8").startswith("# MUESTRA ILUSTRATIVA — no son datos oficiales")
    observations_import_csv(series="TIIE28", file=io.StringIO("date,value\n2024-01-02,0.1150\n"))
    summaries = {s.series: s for s in sample_load()}
    assert set(summaries) == {"TIIE28", "TIIE_FONDEO", "FIX", "TERM_SOFR_1M", "TERM_SOFR_3M", "UDI", "UMA"}
    for code in ("TIIE28", "TIIE_FONDEO", "FIX", "TERM_SOFR_1M", "TERM_SOFR_3M", "UDI"):
        assert summaries[code].first <= date(2024, 1, 2)
        assert summaries[code].last >= date(2026, 12, 15)
    real = Observation.objects.get(series__code="TIIE28", date=date(2024, 1, 2))
    assert real.source == Observation.Source.CSV
    tiie = rate_series_get("TIIE28")
    assert tiie.is_sample
    assert all(D("0.07") <= value <= D("0.12") for _, value in tiie.observations())
    assert Series.objects.count() == 7
    again = sample_load()
    assert sum(s.created + s.updated for s in again) == 0


def test_an_empty_series_is_a_missing_rate_naming_it():
    with pytest.raises(MissingRate, match=r"La serie TIIE_FONDEO no tiene observaciones\. Cárguela"):
        rate_series_get("TIIE_FONDEO")


def test_rates_command(tmp_path):
    csv_file = tmp_path / "tiie.csv"
    csv_file.write_text(TIIE_CSV, encoding="utf-8")
    out = io.StringIO()
    call_command("rates", "import", str(csv_file), "--series", "TIIE28", stdout=out)
    assert "TIIE28: 3 nuevas" in out.getvalue()
    out = io.StringIO()
    call_command("rates", "show", "--series", "TIIE28", "--last", "2", stdout=out)
    assert out.getvalue().splitlines()[1:] == [
        "05/01/2026\t0.073125\tArchivo CSV",
        "07/01/2026\t0.073\tArchivo CSV",
    ]
    out = io.StringIO()
    call_command("rates", "load-sample", stdout=out)
    assert out.getvalue().startswith("MUESTRA ILUSTRATIVA")
    out = io.StringIO()
    call_command("rates", "show", stdout=out)
    assert "de MUESTRA ILUSTRATIVA" in out.getvalue()
    with pytest.raises(CommandError, match="serie desconocida"):
        call_command("rates", "import", str(csv_file), "--series", "LIBOR")


def test_rates_fetch_without_a_token_fails_before_any_request(monkeypatch):
    monkeypatch.delenv("BANXICO_TOKEN", raising=False)
    with pytest.raises(CommandError, match="BANXICO_TOKEN"):
        call_command("rates", "fetch", "--series", "TIIE28", "--from", "2026-01-01", "--to", "2026-01-31")


def test_filon_schedule_reads_the_stored_series_when_the_document_has_none():
    sample_load()
    document = {
        "principal": "1000000.00",
        "disbursement_date": "2026-01-15",
        "term_months": 6,
        "rate": {"base": "TIIE_FONDEO", "spread": "0.03"},
    }
    out, err = io.StringIO(), io.StringIO()
    code = run(["schedule", "-"], stdin=io.StringIO(json.dumps(document)), stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    result = json.loads(out.getvalue())
    assert len(result["installments"]) == 6
    assert not any(i["projected"] for i in result["installments"])  # the sample covers 2026
    assert any("MUESTRA ILUSTRATIVA" in note for note in result["notes"])


def test_filon_schedule_names_a_series_that_is_not_stored():
    document = {
        "principal": "1000000.00",
        "disbursement_date": "2026-01-15",
        "term_months": 6,
        "rate": {"base": "TIIE28", "spread": "0.03"},
    }
    out, err = io.StringIO(), io.StringIO()
    code = run(["schedule", "-"], stdin=io.StringIO(json.dumps(document)), stdout=out, stderr=err)
    assert (code, out.getvalue()) == (2, "")
    assert "Campo «rate.base»: La serie TIIE28 no tiene observaciones" in err.getvalue()


def test_an_illustrative_history_may_run_ahead_of_today_but_an_import_may_not():
    """Sample data (the shipped sample, the benchmark's illustrative history) is marked as such and may
    carry dates past tomorrow, as the shipped sample does; an operator's CSV may not."""
    import time_machine

    text = "date,value\n2026-06-01,0.1100\n"
    with time_machine.travel(date(2016, 11, 14), tick=False):
        with pytest.raises(InputErrors) as refused:
            observations_import_csv(series="TIIE28", file=io.StringIO(text))
        assert "fuera del rango admitido" in str(refused.value)
        summary = observations_import_csv(
            series="TIIE28", file=io.StringIO(text), source=Observation.Source.SAMPLE
        )
    assert summary.created == 1
    assert (
        Observation.objects.get(series__code="TIIE28", date=date(2026, 6, 1)).source
        == Observation.Source.SAMPLE
    )
