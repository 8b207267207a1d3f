"""How many 120-month, monthly, variable-rate schedules one core builds per second.

The base rate (TIIE 28) is a series held in memory with one observation per business day for the whole
term, so every monthly sub-period looks its rate up (C-5) and none is projected. Run with `make bench`;
the last line is the figure: the median of several rounds, as the
machine's neighbours make single rounds noisy.
"""

from __future__ import annotations

import gc
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

from filon.core.calendar import is_business_day
from filon.core.rates import TIIE28, RateSeries
from filon.core.schedule import EqualPrincipal, MonthlyRevisedRate, ScheduleTerms, schedule_build

START = date(2026, 1, 15)
TERM_MONTHS = 120
ROUNDS = 15
PER_ROUND = 200


def _series() -> RateSeries:
    """A business-daily TIIE 28 drifting between 7 % and 11 %, from a week before the disbursement."""
    observations = []
    day = START - timedelta(days=7)
    step = 0
    while day <= START + timedelta(days=31 * (TERM_MONTHS + 1)):
        if is_business_day(day):
            basis_points = 700 + (step * 37) % 400
            observations.append((day, Decimal(basis_points) / Decimal(10_000)))
            step += 1
        day += timedelta(days=1)
    return RateSeries(TIIE28, observations)


def main() -> None:
    terms = ScheduleTerms(
        principal=Decimal("12000000.00"),
        disbursement_date=START,
        term_months=TERM_MONTHS,
        grace_months=12,
        payment_every_months=1,
        amortization=EqualPrincipal(),
        rate=MonthlyRevisedRate(_series(), Decimal("0.035")),
    )
    schedule = schedule_build(terms)  # warm-up (calendar caches)
    assert len(schedule.installments) == TERM_MONTHS
    # The rate series and the calendar caches live as long as the process, as in a server: move them out
    # of the collector's generations so each round measures the schedules, not re-scans of the setup.
    gc.collect()
    gc.freeze()
    rates = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        for _ in range(PER_ROUND):
            schedule_build(terms)
        rates.append(PER_ROUND / (time.perf_counter() - began))
    print(f"{ROUNDS} rondas de {PER_ROUND} calendarios de {TERM_MONTHS} meses con tasa variable (un núcleo)")
    print(f"mejor ronda: {max(rates):,.0f}/s; peor: {min(rates):,.0f}/s")
    print(f"{statistics.median(rates):,.0f} calendarios por segundo (mediana)")


if __name__ == "__main__":
    main()
