"""Bad input never becomes a 500: it comes back as a Spanish error on its field, and nothing is saved.
Refusals of the services show their message and the rule they cite."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from web_support import HTMX, frozen, login

from filon.applicants.models import Applicant
from filon.audit.models import AuditRecord
from filon.origination.models import CreditFile, DocumentUpload, FileGuarantee

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)

APPLICANT = {
    "person_type": "moral",
    "name": "Minera El Tajo, S.A. de C.V.",
    "rfc": "MET120315AB4",
    "state": "ZAC",
    "municipality": "Fresnillo",
    "activity": "21",
    "primary_extraction": "on",
    "mining_class": "concesible",
    "sector": "industria",
    "employees": "45",
    "annual_gross_income_mxn": "150000000",
    "production_tons_month": "2000",
    "years_of_sales": "6",
    "equity_mxn": "30000000",
    "usd_income": "unknown",
}
PROPOSAL = {
    "program": "primer_piso",
    "credit_type": "refaccionario",
    "currency": "MXN",
    "amount": "12000000",
    "investment_program": "14000000",
    "term_months": "84",
    "grace_months": "12",
    "payment_every_months": "1",
    "amortization": "equal_principal",
}


def field_error(body: str, field_id: str) -> str:
    """The text of the error shown next to the field `field_id` (the element the input points to)."""
    marker = f'id="{field_id}_error" role="alert">'
    assert marker in body, f"no error next to {field_id}"
    return body.split(marker, 1)[1].split("</p>", 1)[0]


def test_bad_rfc_is_shown_on_the_rfc_field_and_nothing_is_saved(cast):
    response = login(cast.ana).post(reverse("web:applicant_new"), {**APPLICANT, "rfc": "MVM12031"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "12 caracteres" in field_error(body, "id_rfc")
    assert 'aria-describedby="id_rfc_error"' in body
    assert Applicant.objects.count() == 0
    assert AuditRecord.objects.count() == 0


def test_rfc_check_digit_warning_is_shown_after_saving(cast):
    response = login(cast.ana).post(
        reverse("web:applicant_new"), {**APPLICANT, "rfc": "ABC680524P76"}, follow=True
    )
    assert response.status_code == 200
    assert Applicant.objects.count() == 1
    assert "dígito verificador" in response.content.decode()


def test_a_state_of_another_office_is_an_error_on_the_state_field(cast):
    response = login(cast.sofia).post(reverse("web:applicant_new"), APPLICANT)
    assert response.status_code == 422
    assert "Zacatecas" in field_error(response.content.decode(), "id_state")
    assert Applicant.objects.count() == 0


def test_an_amount_in_words_is_a_field_error_in_spanish_whatever_the_browser(cast, applicant):
    response = login(cast.ana).post(
        reverse("web:file_new", args=[applicant.pk]),
        {**PROPOSAL, "amount": "12 millones"},
        HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9",
    )
    assert response.status_code == 422
    assert field_error(response.content.decode(), "id_amount") == (
        "«Monto solicitado»: escriba el número con punto decimal y, si quiere, comas para los miles, "
        "por ejemplo 1,000,000.50."
    )
    assert CreditFile.objects.count() == 0


def test_a_service_field_error_lands_on_its_field(cast, applicant):
    response = login(cast.ana).post(
        reverse("web:file_new", args=[applicant.pk]),
        {**PROPOSAL, "term_months": "84", "payment_every_months": "5"},
    )
    assert response.status_code == 422
    assert "múltiplo de la periodicidad" in field_error(response.content.decode(), "id_term_months")
    assert CreditFile.objects.count() == 0


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_an_exe_upload_is_refused_on_the_file_field(cast, credit_file, headers):
    item = credit_file.requirements.first()
    exe = SimpleUploadedFile("estados.exe", b"MZ\x90\x00 programa", content_type="application/octet-stream")
    response = login(cast.ana).post(
        reverse("web:requirement_upload", args=[credit_file.pk, item.pk]),
        {f"r{item.pk}-file": exe, f"r{item.pk}-document_date": "2026-03-01"},
        **headers,
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Tipo de archivo no admitido «.exe»" in field_error(body, f"id_r{item.pk}-file")
    assert DocumentUpload.objects.count() == 0
    item.refresh_from_db()
    assert item.status == "pending"


def test_an_upload_without_a_file_is_a_field_error(cast, credit_file):
    item = credit_file.requirements.first()
    response = login(cast.ana).post(reverse("web:requirement_upload", args=[credit_file.pk, item.pk]), {})
    assert response.status_code == 422
    assert "obligatorio" in field_error(response.content.decode(), f"id_r{item.pk}-file")


def test_a_refused_transition_shows_its_message_and_rule(cast, credit_file):
    client = login(cast.ana)
    url = reverse("web:file_transition", args=[credit_file.pk, "requisitos-completos"])
    response = client.post(url)
    assert response.status_code == 409
    body = response.content.decode()
    assert "No se puede declarar requisitos completos: faltan" in body
    assert "(Anexo II)" in body
    assert '<div class="error-box" role="alert"><p>No se puede declarar requisitos completos' in body
    partial = client.post(url, **HTMX)
    assert partial.status_code == 409
    text = partial.content.decode()
    assert text.lstrip().startswith('<section class="card" id="estado"')
    assert "No se puede declarar requisitos completos" in text
    assert 'id="evaluacion" aria-labelledby="h-evaluacion" aria-live="polite" hx-swap-oob="true"' in text
    assert CreditFile.objects.get(pk=credit_file.pk).status == "captured"


def test_the_evaluation_panel_cites_the_coverage_rule_without_guarantees(cast, credit_file):
    body = login(cast.ana).get(reverse("web:file", args=[credit_file.pk])).content.decode()
    evaluation = body.split('id="evaluacion"', 1)[1].split("</section>", 1)[0]
    assert "Regla 10.2.1" in evaluation
    assert "Con impedimentos" in evaluation
    assert "Error" in evaluation


def test_guarantee_form_errors_and_coverage_per_guarantee(cast, credit_file):
    client = login(cast.ana)
    url = reverse("web:guarantee_new", args=[credit_file.pk])
    bad = client.post(
        url,
        {"g-type": "hipoteca_industrial", "g-owner": "", "g-value": "treinta", "g-lien_rank": "1"},
        **HTMX,
    )
    assert bad.status_code == 422
    body = bad.content.decode()
    assert "número" in field_error(body, "id_g-value")
    assert FileGuarantee.objects.count() == 0
    good = client.post(
        url,
        {
            "g-type": "hipoteca_industrial",
            "g-owner": "Minera La Veta Madre",
            "g-description": "Nave industrial en Fresnillo",
            "g-value": "30000000",
            "g-appraisal_date": "2026-02-01",
            "g-lien_rank": "1",
            "g-insurable": "on",
        },
        **HTMX,
    )
    assert good.status_code == 200
    text = good.content.decode()
    assert text.lstrip().startswith('<section class="card" id="garantias"')
    coverage = text.split('id="cobertura"', 1)[1].split("</section>", 1)[0]
    assert "Nave industrial en Fresnillo" in coverage
    assert "$30,000,000.00" in coverage
    assert "cumple" in coverage


def test_a_required_note_is_asked_for_on_its_field(cast, credit_file):
    from conftest import pdf
    from filon.origination.services import requirement_upload

    item = credit_file.requirements.first()
    requirement_upload(user=cast.ana, item=item, uploaded=pdf(), document_date=None)
    response = login(cast.gerardo).post(
        reverse("web:requirement_review", args=[credit_file.pk, item.pk]),
        {f"r{item.pk}-decision": "reject", f"r{item.pk}-note": ""},
    )
    assert response.status_code == 422
    assert "motivo del rechazo" in field_error(response.content.decode(), f"id_r{item.pk}-note")
    item.refresh_from_db()
    assert item.status == "uploaded"


def test_cancel_without_reason_and_with_reason(cast, credit_file):
    client = login(cast.gerardo)
    url = reverse("web:file_cancel", args=[credit_file.pk])
    response = client.post(url, {"cancelar-reason": ""})
    assert response.status_code == 422
    assert "obligatorio" in field_error(response.content.decode(), "id_cancelar-reason")
    response = client.post(url, {"cancelar-reason": "Desistió el solicitante"}, follow=True)
    assert response.status_code == 200
    assert "Expediente cancelado." in response.content.decode()
    assert CreditFile.objects.get(pk=credit_file.pk).status == "cancelled"
