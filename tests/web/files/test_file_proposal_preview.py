"""The credit file's «Tasa, CAT y tabla de amortización» panel: the rate as base + spread = total with the
base's date, the CAT and the amortization table the proposal would give, equal to what the engine computes
from the same terms; a file without an evaluation says what is missing.

Time is frozen on Tuesday 03/03/2026 (a loan disbursed today); the base is the shipped sample series."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from filon.core.calendar import today_mx
from filon.core.cat import schedule_cat
from filon.core.money import format_money
from filon.core.rates import TIIE_FONDEO
from filon.core.schedule import CompoundedInArrearsRate, EqualPrincipal, ScheduleTerms, schedule_build
from filon.marketdata.models import Observation
from filon.marketdata.selectors import rate_series_get
from filon.origination.models import CreditFile
from filon.servicing.preview import proposal_preview
from web.web_support import frozen, login

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)


def test_the_file_page_shows_the_rate_cat_and_table_the_engine_gives(cast, credit_file, sample_rates):
    file = CreditFile.objects.get(pk=credit_file.pk)
    pricing = file.evaluation["pricing"]
    assert pricing["base"] == TIIE_FONDEO
    spread = Decimal(pricing["total_spread"])
    commission = Decimal(file.evaluation["opening_commission"]["amount"])
    today = today_mx()
    engine = schedule_build(
        ScheduleTerms(
            principal=file.amount,
            disbursement_date=today,
            term_months=file.term_months,
            grace_months=file.grace_months,
            payment_every_months=file.payment_every_months,
            amortization=EqualPrincipal(),
            rate=CompoundedInArrearsRate(rate_series_get(TIIE_FONDEO), spread),
            currency=file.currency,
        )
    )
    cat = schedule_cat(engine, upfront_commissions=commission)
    base = Observation.objects.filter(series__code=TIIE_FONDEO, date__lte=today).order_by("-date").first()
    total = base.value + spread
    rate_text = (
        f"TIIE de Fondeo a un día hábil {base.value * 100:.4f} % (al {base.date:%d/%m/%Y}) "
        f"+ {spread * 100:.2f} pp = {total * 100:.4f} %"
    )

    preview = proposal_preview(file, today)
    assert preview.rate.text == rate_text
    assert preview.cat == cat
    assert [(i.payable, i.principal, i.interest) for i in preview.schedule.installments] == [
        (i.payable, i.principal, i.interest) for i in engine.installments
    ]

    page = login(cast.ana).get(reverse("web:file", args=[file.pk])).content.decode()
    assert 'id="tabla"' in page
    assert rate_text in page
    assert f"{cat} %</strong> sin IVA" in page
    assert format_money(engine.totals.interest, file.currency) in page
    first = engine.installments[0]
    assert format_money(first.payment, file.currency) in page
    assert format_money(engine.totals.payment, file.currency) in page


def test_a_file_without_an_evaluation_says_what_is_missing(cast, credit_file, sample_rates):
    CreditFile.objects.filter(pk=credit_file.pk).update(evaluation=None)
    page = login(cast.ana).get(reverse("web:file", args=[credit_file.pk])).content.decode()
    assert (
        "No se puede calcular la tabla de amortización ni el CAT: falta la evaluación del expediente" in page
    )
