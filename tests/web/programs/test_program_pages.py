"""The program pages and the file page's "Pasos del programa" section, through the web client."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from filon.origination.models import CreditFile
from filon.programs.models import (
    ParametricEvaluation,
    ProgramParticipant,
    ProgramStep,
    StepStatus,
    YearBudget,
)
from programs.program_support import IN_2026, p3_file

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def in_2026():
    with time_machine.travel(IN_2026, tick=False):
        yield


def test_program_list_shows_allotments_and_the_budget_form_for_direction(cast):
    page = login(cast.omar).get("/programas/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Programa Nacional de Crédito Directo para la Pequeña Minería" in text
    assert "$100,000,000.00" in text
    assert "$20,000,000.00" in text
    assert "No se ha registrado el presupuesto de 2026" in text
    assert "Guardar presupuesto" in text
    assert "Guardar presupuesto" not in login(cast.ana).get("/programas/").content.decode()


def test_direction_sets_the_year_budget(cast):
    client = login(cast.omar)
    data = {"presupuesto-year": "2026", "presupuesto-first_tier_mxn": "800000000", "presupuesto-notes": ""}
    response = client.post("/programas/presupuesto/", data)
    assert response.status_code == 302
    budget = YearBudget.objects.get(year=2026)
    assert budget.first_tier_mxn == Decimal("800000000")
    text = client.get("/programas/?anio=2026").content.decode()
    assert "$800,000,000.00" in text
    assert "$32,000,000.00" in text
    refused = login(cast.ana).post("/programas/presupuesto/", data)
    assert refused.status_code == 403


def test_participant_over_15_percent_is_refused_on_the_page(cast):
    client = login(cast.ramon)
    data = {
        "part-kind": "state_government",
        "part-name": "Gobierno del Estado de Durango",
        "part-state": "DUR",
        "part-agreement_date": "2012-01-10",
        "part-committed_mxn": "20000000",
    }
    response = client.post("/programas/pequena_mineria/participantes/", data)
    assert response.status_code == 409
    assert "P-2 2.4" in response.content.decode()
    assert not ProgramParticipant.objects.exists()
    data["part-committed_mxn"] = "15000000"
    assert client.post("/programas/pequena_mineria/participantes/", data).status_code == 302
    page = client.get("/programas/pequena_mineria/").content.decode()
    assert "Gobierno del Estado de Durango" in page
    assert "$15,000,000.00" in page
    assert login(cast.omar).get("/programas/no-existe/").status_code == 404


def test_file_page_steps_are_marked_by_the_files_office(cast):
    file = p3_file(cast)
    page = login(cast.sofia).get(f"/expedientes/{file.pk}/")
    text = page.content.decode()
    assert "Pasos del programa" in text
    assert "Relación comercial con la economía de Cananea" in text
    assert "Guardar paso 1" in text

    response = login(cast.sofia).post(
        f"/expedientes/{file.pk}/programa/pasos/1/",
        {"paso-status": "done", "paso-document": "Comprobante de domicilio fiscal", "paso-notes": ""},
    )
    assert response.status_code == 302
    step = ProgramStep.objects.get(file=file, number=1)
    assert (step.status, step.done_by, step.document) == (
        StepStatus.DONE,
        cast.sofia,
        "Comprobante de domicilio fiscal",
    )

    # Parametric evaluation without statements: refused on the page; with them: recorded.
    refused = login(cast.sofia).post(
        f"/expedientes/{file.pk}/programa/parametrica/", {"param-technical_opinion_favorable": "on"}
    )
    assert refused.status_code == 422
    assert "Registre los estados financieros" in refused.content.decode()
    statement = {
        "ef-period_end": "2025-12-31",
        "ef-revenue_mxn": "20000000",
        "ef-operating_costs_mxn": "17000000",
        "ef-ebitda_mxn": "3000000",
        "ef-debt_service_mxn": "100000",
        "ef-total_debt_mxn": "2000000",
        "ef-equity_mxn": "5000000",
    }
    assert (
        login(cast.sofia).post(f"/expedientes/{file.pk}/programa/estados-financieros/", statement).status_code
        == 302
    )
    done = login(cast.sofia).post(
        f"/expedientes/{file.pk}/programa/parametrica/", {"param-technical_opinion_favorable": "on"}
    )
    assert done.status_code == 302
    evaluation = ParametricEvaluation.objects.get(file=file)
    assert evaluation.verdict == "Aprobatorio"
    text = login(cast.sofia).get(f"/expedientes/{file.pk}/").content.decode()
    assert "Aprobatorio" in text
    assert "Capacidad de pago" in text

    # Zacatecas does not see the Sonora file; central roles see the steps without forms.
    assert (
        login(cast.ana).post(f"/expedientes/{file.pk}/programa/pasos/2/", {"paso-status": "done"}).status_code
        == 404
    )
    assert "Guardar paso" not in login(cast.omar).get(f"/expedientes/{file.pk}/").content.decode()
    assert CreditFile.objects.get(pk=file.pk).status == "captured"


def test_primer_piso_file_page_has_no_program_section(cast, credit_file):
    text = login(cast.ana).get(f"/expedientes/{credit_file.pk}/").content.decode()
    assert "Pasos del programa" not in text


def test_direction_records_an_agreed_allotment(cast):
    client = login(cast.omar)
    data = {
        "derrama-amount_mxn": "26000000",
        "derrama-valid_from": "2026-01-15",
        "derrama-valid_until": "2028-01-15",
        "derrama-agreement": "Formalización del fondo FOCIR, 15/01/2026",
    }
    assert client.post("/programas/cananea/derrama/", data).status_code == 302
    page = client.get("/programas/cananea/").content.decode()
    assert "$26,000,000.00" in page
    assert "15/01/2028" in page
    assert "(por acuerdo)" in page
    bad = client.post("/programas/cananea/derrama/", {**data, "derrama-valid_until": "2025-01-01"})
    assert bad.status_code == 422
    assert "La vigencia termina antes de iniciar." in bad.content.decode()
    assert login(cast.sofia).post("/programas/cananea/derrama/", data).status_code == 403
