"""The Banxico SIE client against recorded responses through httpx.MockTransport — no test touches the network."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from filon.marketdata import banxico
from filon.marketdata.models import Observation
from filon.marketdata.selectors import rate_series_get
from filon.marketdata.services import observations_fetch_banxico

RECORDED = json.loads(
    (Path(__file__).parent / "fixtures" / "banxico_tiie28_fix_udi_2026-01.json").read_text()
)
TOKEN = "token-de-prueba"


class Recorder:
    """A MockTransport handler that answers from a script of responses and remembers every request."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


def ok(payload: object = RECORDED) -> httpx.Response:
    return httpx.Response(200, json=payload)


def test_fetch_parses_dates_skips_ne_and_sends_the_token():
    recorder = Recorder(ok())
    found = banxico.fetch_series(
        sie_ids=["SF43783", "SF43718"],
        start=date(2026, 1, 1),
        end=date(2026, 1, 7),
        token=TOKEN,
        client=recorder.client(),
    )
    (request,) = recorder.requests
    assert request.headers["Bmx-Token"] == TOKEN
    assert request.url.path.endswith("/series/SF43783,SF43718/datos/2026-01-01/2026-01-07")
    assert found["SF43783"] == [
        (date(2026, 1, 2), "7.3150"),
        (date(2026, 1, 5), "7.3125"),
        (date(2026, 1, 7), "7.3050"),
    ]
    assert len(found["SF43718"]) == 3
    assert "SP68257" not in found  # not asked for


def test_at_most_twenty_series_per_request():
    recorder = Recorder(ok({"bmx": {"series": []}}))
    ids = [f"SF{n}" for n in range(45)]
    banxico.fetch_series(
        sie_ids=ids, start=date(2026, 1, 1), end=date(2026, 1, 2), token=TOKEN, client=recorder.client()
    )
    batches = [r.url.path.split("/series/")[1].split("/")[0].split(",") for r in recorder.requests]
    assert [len(b) for b in batches] == [20, 20, 5]
    assert [i for batch in batches for i in batch] == ids


def test_rate_limits_and_server_errors_are_retried_with_backoff():
    waits: list[float] = []
    recorder = Recorder(
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(503),
        ok(),
    )
    found = banxico.fetch_series(
        sie_ids=["SF43783"],
        start=date(2026, 1, 1),
        end=date(2026, 1, 7),
        token=TOKEN,
        client=recorder.client(),
        sleep=waits.append,
    )
    assert len(recorder.requests) == 3
    assert waits == [3.0, banxico.BACKOFF_SECONDS * 2]
    assert len(found["SF43783"]) == 3


def test_retries_give_up_with_a_spanish_message():
    waits: list[float] = []
    recorder = Recorder(httpx.Response(500))
    with pytest.raises(banxico.BanxicoError, match=f"no respondió tras {banxico.MAX_ATTEMPTS} intentos"):
        banxico.fetch_series(
            sie_ids=["SF43783"],
            start=date(2026, 1, 1),
            end=date(2026, 1, 7),
            token=TOKEN,
            client=recorder.client(),
            sleep=waits.append,
        )
    assert len(recorder.requests) == banxico.MAX_ATTEMPTS
    assert len(waits) == banxico.MAX_ATTEMPTS - 1


def test_a_rejected_token_is_not_retried():
    recorder = Recorder(httpx.Response(401))
    with pytest.raises(banxico.BanxicoError, match="rechazó el token"):
        banxico.fetch_series(
            sie_ids=["SF43783"],
            start=date(2026, 1, 1),
            end=date(2026, 1, 7),
            token=TOKEN,
            client=recorder.client(),
        )
    assert len(recorder.requests) == 1


@pytest.mark.django_db
def test_fetch_service_stores_rates_as_decimals_and_is_idempotent():
    recorder = Recorder(ok())
    summaries = observations_fetch_banxico(
        series_codes=["TIIE28", "FIX", "UDI"],
        start=date(2026, 1, 1),
        end=date(2026, 1, 7),
        token=TOKEN,
        client=recorder.client(),
    )
    assert [(s.series, s.created) for s in summaries] == [("TIIE28", 3), ("FIX", 3), ("UDI", 2)]
    tiie = rate_series_get("TIIE28")
    assert tiie.value_before(date(2026, 1, 6)) == Decimal("0.073125")  # 7.3125 % as an annual decimal
    assert rate_series_get("FIX").value_on_or_before(date(2026, 1, 7)) == Decimal("18.1502")
    assert Observation.objects.filter(source=Observation.Source.BANXICO).count() == 8
    again = observations_fetch_banxico(
        series_codes=["TIIE28", "FIX", "UDI"],
        start=date(2026, 1, 1),
        end=date(2026, 1, 7),
        token=TOKEN,
        client=Recorder(ok()).client(),
    )
    assert [(s.created, s.updated, s.unchanged) for s in again] == [(0, 0, 3), (0, 0, 3), (0, 0, 2)]


@pytest.mark.django_db
def test_fetch_refuses_series_banxico_does_not_publish_and_a_missing_token():
    from filon.core.errors import InputErrors

    with pytest.raises(InputErrors) as caught:
        observations_fetch_banxico(
            series_codes=["TERM_SOFR_3M", "LIBOR"],
            start=date(2026, 1, 2),
            end=date(2026, 1, 1),
            token="",
            client=Recorder(ok()).client(),
        )
    messages = [e.describe() for e in caught.value.errors]
    assert any("TERM_SOFR_3M no se publica en el SIE" in m for m in messages)
    assert any("serie desconocida «LIBOR»" in m for m in messages)
    assert any("«--to»" in m for m in messages)
    assert any(banxico.TOKEN_ENV in m for m in messages)
