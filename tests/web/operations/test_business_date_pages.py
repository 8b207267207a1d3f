"""The training mode on the pages: the operations page's business-date panel, its run, the banner every page
shows when the business date is not the calendar's, and the API's business-date header.

The calendar is frozen on Tuesday 03/03/2026; the books were closed on Monday 02/03/2026.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
import time_machine
from django.urls import reverse

from filon.accounts.models import User
from filon.core.calendar import MEXICO_CITY, business_date_provider_set, today_mx
from filon.ledger.services import ledger_check
from filon.operations import business_date as bd
from filon.operations.models import BatchRun, RunKind, RunStatus
from filon.operations.services import run_step
from filon.servicing.close import close_day
from filon.servicing.models import DailyClose
from filon.servicing.selectors import loan_positions
from servicing.test_close import bare_loan
from web.web_support import HTMX, login

pytestmark = pytest.mark.django_db

BANNER = "Fecha de negocio: <strong>{}</strong> · calendario: 03/03/2026 · modo de capacitación"


@pytest.fixture(autouse=True)
def frozen_today() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 3, 3, 10, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


@pytest.fixture
def training(settings) -> Iterator[None]:
    settings.FILON_TRAINING_MODE = True
    bd.business_date_install()
    yield
    business_date_provider_set(None)
    bd.business_date_forget()


@pytest.fixture
def admin(cast) -> User:
    return User.objects.create_user("admin.sistema", password="clave-de-prueba-123", role="administrador")


@pytest.fixture
def loan(cast, applicant):
    loan = bare_loan(cast, applicant, number="CR-BDW-1", value_date=date(2026, 2, 20))
    close_day(business_date=date(2026, 3, 2))
    return loan


def advance(client, run: BatchRun) -> str:
    """Run the advance as the worker's task does (one step at a time, through the services), then read the
    progress the run page polls."""
    for _ in range(run.total_steps):
        run_step(run=BatchRun.objects.get(pk=run.pk))
    response = client.get(reverse("web:run_status", args=[run.pk]), **HTMX)
    assert response.status_code == 200
    return response.content.decode() + client.get(reverse("web:run", args=[run.pk])).content.decode()


def test_the_administrator_moves_the_date_a_month_and_the_loan_page_shows_it_late(training, admin, loan):
    client = login(admin)
    page = client.get(reverse("web:operations")).content.decode()
    assert "Fecha de negocio (modo de capacitación)" in page
    assert "+1 día hábil" in page
    assert "+1 mes" in page
    assert "Avanzar a la fecha" in page
    assert 'name="seen" value="2026-03-03"' in page
    assert "business-date-banner" not in page  # the dates are still the same

    response = client.post(reverse("web:business_date_advance"), {"how": "month", "seen": "2026-03-03"})
    run = BatchRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:run", args=[run.pk])
    assert (run.kind, run.params) == (RunKind.ADVANCE, {"from": "2026-03-03", "to": "2026-04-03"})
    page = client.get(reverse("web:run", args=[run.pk])).content.decode()
    assert "Avance de la fecha de negocio" in page
    assert "Nueva fecha de negocio" in page
    assert f"Cerrando 03/03/2026 — 1 de {run.total_steps} días (hasta el 03/04/2026)" in page
    assert 'hx-trigger="load delay:1s"' in page  # the page polls the progress the worker makes

    # a second click while the run goes is refused, with the run named
    again = client.post(reverse("web:business_date_advance"), {"how": "day", "seen": "2026-03-03"})
    assert again.status_code == 422
    assert f"Ya hay un avance de la fecha de negocio en curso (ejecución {run.pk}" in again.content.decode()
    to_date = client.post(
        reverse("web:business_date_advance"), {"how": "date", "to": "2026-03-20", "seen": "2026-03-03"}
    )
    assert to_date.status_code == 422
    assert f"Ya hay un avance de la fecha de negocio en curso (ejecución {run.pk}" in to_date.content.decode()
    assert BatchRun.objects.count() == 1

    text = advance(client, run)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert (
        f"Fecha de negocio movida al 03/04/2026 — {run.total_steps} de {run.total_steps} días cerrados"
        in text
    )
    assert "Días cerrados" in text
    assert DailyClose.objects.count() == 1 + run.total_steps
    assert today_mx() == date(2026, 4, 3)
    assert ledger_check(loan_positions=loan_positions()) == []

    loan.refresh_from_db()
    assert loan.days_past_due > 0
    page = client.get(reverse("web:loan", args=[loan.pk])).content.decode()
    assert BANNER.format("03/04/2026") in page  # every page: the business date is not the calendar's
    assert f'<dt>Días de atraso</dt><dd class="overdue-text">{loan.days_past_due}</dd>' in page


def test_one_business_day_and_to_a_date(training, admin, loan):
    client = login(admin)
    client.post(reverse("web:business_date_advance"), {"how": "day", "seen": "2026-03-03"})
    advance(client, BatchRun.objects.get())
    assert today_mx() == date(2026, 3, 4)
    response = client.post(
        reverse("web:business_date_advance"), {"how": "date", "to": "2026-03-09", "seen": "2026-03-04"}
    )
    run = BatchRun.objects.filter(kind=RunKind.ADVANCE).first()
    assert response.status_code == 302
    assert run.items == ["2026-03-04", "2026-03-05", "2026-03-06"]
    advance(client, run)
    assert today_mx() == date(2026, 3, 9)
    home = client.get(reverse("home")).content.decode()
    assert BANNER.format("09/03/2026") in home


def test_refusals_are_shown_on_the_panel(training, admin, loan):
    client = login(admin)
    stale = client.post(reverse("web:business_date_advance"), {"how": "day", "seen": "2026-03-02"})
    assert stale.status_code == 422
    assert (
        "La fecha de negocio ya cambió al 03/03/2026 (la página mostraba el 02/03/2026)"
        in stale.content.decode()
    )
    back = client.post(
        reverse("web:business_date_advance"), {"how": "date", "to": "2026-03-01", "seen": "2026-03-03"}
    )
    assert back.status_code == 422
    assert (
        "debe ser posterior a la actual (03/03/2026): la fecha de negocio solo avanza."
        in back.content.decode()
    )
    missing = client.post(
        reverse("web:business_date_advance"), {"how": "date", "to": "", "seen": "2026-03-03"}
    )
    assert missing.status_code == 422
    assert "Indique la nueva fecha de negocio." in missing.content.decode()
    assert not BatchRun.objects.exists()


def test_without_training_mode_no_panel_no_banner_and_the_advance_is_refused(admin, loan):
    client = login(admin)
    page = client.get(reverse("web:operations")).content.decode()
    assert "Fecha de negocio (modo de capacitación)" not in page
    assert "business-date-banner" not in page
    response = client.post(reverse("web:business_date_advance"), {"how": "day", "seen": "2026-03-03"})
    assert response.status_code == 409
    assert "El modo de capacitación está desactivado" in response.content.decode()
    assert not BatchRun.objects.exists()


def test_only_the_administrator_sees_the_panel_and_may_advance(training, cast, loan):
    client = login(cast.omar)  # dirección runs the close, not the training date
    page = client.get(reverse("web:operations")).content.decode()
    assert "Fecha de negocio (modo de capacitación)" not in page
    response = client.post(reverse("web:business_date_advance"), {"how": "day", "seen": "2026-03-03"})
    assert response.status_code == 403
    assert not BatchRun.objects.exists()


def test_the_api_tells_the_business_date_when_it_differs(training, admin, cast, loan):
    client = login(cast.ana)
    url = f"/api/v1/loans/{loan.pk}"
    response = client.get(url)
    assert response.status_code == 200
    assert "X-Filon-Business-Date" not in response.headers
    bd.business_date_move(to=date(2026, 3, 5), user=admin, reason="prueba")
    response = client.get(url)
    assert response.headers["X-Filon-Business-Date"] == "2026-03-05"
    refused = client.get("/api/v1/loans/999999")  # errors carry it too
    assert refused.status_code == 404
    assert refused.headers["X-Filon-Business-Date"] == "2026-03-05"
