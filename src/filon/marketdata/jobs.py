"""The scheduled fetch of the day's rates from Banxico's SIE (`filon.platform.jobs`), registered from this
app's `ready()`. Without a token (BANXICO_TOKEN) it records that nothing was fetched; the rates then come
from CSV imports (C-10)."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from filon.core.calendar import today_mx
from filon.marketdata import banxico
from filon.marketdata.catalog import CATALOG
from filon.marketdata.services import observations_fetch_banxico
from filon.platform.jobs import Job

FETCH_DAYS = 7
"""Days back each fetch asks for: a run missed for a long weekend (or a late publication) is caught up by
the next one; observations already stored are left unchanged."""


def rates_job(user: Any) -> dict[str, Any]:
    token = os.environ.get(banxico.TOKEN_ENV, "")
    if not token:
        return {"resumen": f"Sin token configurado ({banxico.TOKEN_ENV}): no se descargó nada."}
    end = today_mx()
    codes = [code for code, spec in CATALOG.items() if spec.banxico_id]
    summaries = observations_fetch_banxico(
        series_codes=codes, start=end - timedelta(days=FETCH_DAYS), end=end, token=token, user=user
    )
    return {"resumen": "; ".join(summary.describe() for summary in summaries)}


RATES_JOB = Job(
    code="rates",
    label="Tasas del día (Banxico)",
    run=rates_job,
    description="Descarga del SIE de Banxico las series publicadas (TIIE, FIX, UDI…) de los últimos días, si "
    "hay token configurado.",
)
