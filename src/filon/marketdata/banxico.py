"""A small client for Banxico's SIE API (SPEC C-10). Only the market-data import calls it — never a computation.

GET {SIE_URL}/series/{id,id,…}/datos/{AAAA-MM-DD}/{AAAA-MM-DD} with the token in the `Bmx-Token` header
answers {"bmx": {"series": [{"idSerie": …, "titulo": …, "datos": [{"fecha": "dd/MM/yyyy", "dato": "11.2500"}]}]}}.
At most 20 series go in one request; "N/E" (no existe) marks a missing value and is skipped. Rate limits
(HTTP 429) and server errors are retried with exponential backoff, honouring `Retry-After`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import httpx

SIE_URL = "https://www.banxico.org.mx/SieAPIRest/service/v1"
TOKEN_ENV = "BANXICO_TOKEN"
MAX_SERIES_PER_REQUEST = 20
MAX_ATTEMPTS = 4
BACKOFF_SECONDS = 2.0
MAX_WAIT_SECONDS = 60.0
TIMEOUT_SECONDS = 30.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MISSING = "N/E"


class BanxicoError(RuntimeError):
    """The SIE API could not give the data; the message (Spanish) says why."""


def _wait_for(response: httpx.Response | None, attempt: int) -> float:
    if response is not None:
        retry_after = response.headers.get("Retry-After", "")
        if retry_after.isdigit():
            return min(float(retry_after), MAX_WAIT_SECONDS)
    return min(BACKOFF_SECONDS * 2 ** (attempt - 1), MAX_WAIT_SECONDS)


def _get_json(client: httpx.Client, url: str, token: str, sleep: Callable[[float], None]) -> Any:
    problem = ""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        response: httpx.Response | None = None
        try:
            response = client.get(url, headers={"Bmx-Token": token, "Accept": "application/json"})
        except httpx.TransportError as exc:
            problem = f"error de red: {exc}"
        else:
            if response.status_code == 200:
                try:
                    return response.json()
                except ValueError:
                    raise BanxicoError("Banxico respondió algo que no es JSON.") from None
            if response.status_code in (401, 403):
                raise BanxicoError(
                    f"Banxico rechazó el token (HTTP {response.status_code}); revise {TOKEN_ENV}."
                )
            if response.status_code not in RETRY_STATUSES:
                raise BanxicoError(f"Banxico respondió HTTP {response.status_code} a {url}.")
            problem = f"HTTP {response.status_code}"
        if attempt < MAX_ATTEMPTS:
            sleep(_wait_for(response, attempt))
    raise BanxicoError(f"Banxico no respondió tras {MAX_ATTEMPTS} intentos ({problem}). Intente más tarde.")


def _parse_day(raw: object, sie_id: str) -> date:
    try:
        return datetime.strptime(str(raw), "%d/%m/%Y").date()  # noqa: DTZ007 — a calendar date, no time
    except ValueError:
        raise BanxicoError(f"Banxico envió una fecha inválida «{raw}» en la serie {sie_id}.") from None


def fetch_series(
    *,
    sie_ids: Sequence[str],
    start: date,
    end: date,
    token: str,
    client: httpx.Client,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, list[tuple[date, str]]]:
    """Observations of each SIE series in [start, end] as (date, value text as published); N/E skipped."""
    if not token:
        raise BanxicoError(f"Falta el token del SIE de Banxico: defina la variable de entorno {TOKEN_ENV}.")
    found: dict[str, list[tuple[date, str]]] = {sie_id: [] for sie_id in sie_ids}
    ids = list(sie_ids)
    for first in range(0, len(ids), MAX_SERIES_PER_REQUEST):
        batch = ids[first : first + MAX_SERIES_PER_REQUEST]
        url = f"{SIE_URL}/series/{','.join(batch)}/datos/{start.isoformat()}/{end.isoformat()}"
        payload = _get_json(client, url, token, sleep)
        try:
            series_list = payload["bmx"]["series"]
        except (KeyError, TypeError):
            raise BanxicoError("La respuesta de Banxico no trae «bmx.series».") from None
        for series in series_list:
            sie_id = series.get("idSerie")
            if sie_id not in found:
                continue
            for item in series.get("datos") or []:
                value = str(item.get("dato", "")).strip()
                if not value or value == MISSING:
                    continue
                found[sie_id].append((_parse_day(item.get("fecha"), sie_id), value.replace(",", "")))
    return found


def default_client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
