"""Cadenas Productivas pages: the EPO list and page with its line, suppliers and documents; the upload form
with Spanish field errors citing the rule; the discount and collection actions; office scoping (a Sonora
analyst gets 404) and read-only access for risk and direction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from factoring.factoring_support import TODAY, authorized_epo, frozen_today, supplier
from filon.factoring.models import DocumentStatus, FactoringDocument
from filon.factoring.services import supplier_adhere
from filon.ledger.services import ledger_check
from filon.web.forms import new_key

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen_today)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def epo(cast, sample_rates):
    epo = authorized_epo(cast)
    firm = supplier(cast)
    supplier_adhere(
        user=cast.ana, epo=epo, supplier=firm, agreement_ref="CA-2026-001", spread=Decimal("0.03")
    )
    epo.firm = firm
    return epo


def _form(epo, days=90, number="F-77", face="250000.00"):
    return {
        "doc-supplier": str(epo.firm.pk),
        "doc-kind": "contra_recibo",
        "doc-number": number,
        "doc-face_value": face,
        "doc-issue_date": (TODAY - dt.timedelta(days=3)).isoformat(),
        "doc-due_date": (TODAY + dt.timedelta(days=days)).isoformat(),
        "doc-uploaded_by": "epo",
        "doc-document_file": SimpleUploadedFile("cr.pdf", b"%PDF-1.4\n% contrarrecibo\n", "application/pdf"),
    }


def test_list_and_page_show_the_line(cast, epo):
    client = login(cast.ana)
    page = client.get("/cadenas/")
    assert page.status_code == 200
    assert '<a href="/cadenas/" aria-current="page">Cadenas</a>' in page.content.decode()  # the nav link
    assert "Grupo Minero del Norte ZAC" in page.content.decode()
    detail = client.get(f"/cadenas/{epo.pk}/").content.decode()
    assert "$20,000,000.00" in detail
    assert "Servicios Mineros de Fresnillo" in detail
    assert "Publicar documento" in detail


def test_upload_discount_and_collect_through_the_pages(cast, epo):
    client = login(cast.ana)
    response = client.post(f"/cadenas/{epo.pk}/documentos/", _form(epo))
    assert response.status_code == 302
    document = FactoringDocument.objects.get(number="F-77")
    assert document.document_file.name.endswith(".pdf")
    page = client.get(response["Location"]).content.decode()
    assert "Se publicó el documento F-77." in page
    assert "$19,750,000.00" in page  # available
    download = client.get(f"/cadenas/documentos/{document.pk}/archivo/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert login(cast.sofia).get(f"/cadenas/documentos/{document.pk}/archivo/").status_code == 404
    response = client.post(
        f"/cadenas/documentos/{document.pk}/descontar/",
        {"descuento-interest_mode": "up_front", "descuento-key": new_key()},
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == DocumentStatus.DISCOUNTED
    page = client.get(response["Location"]).content.decode()
    assert document.discount.loan.number in page
    assert "Comisión $0.00 + IVA $0.00" in page  # the supplier discounts without commission (P-1 1.3, I-9)
    assert ledger_check() == []


def test_a_document_due_in_181_days_gets_a_spanish_field_error_with_the_rule(cast, epo):
    response = login(cast.ana).post(f"/cadenas/{epo.pk}/documentos/", _form(epo, days=181))
    assert response.status_code == 422
    body = response.content.decode()
    assert "El plazo de cada documento es de hasta 180 días" in body
    assert "P-1 1.5" in body
    assert not FactoringDocument.objects.exists()


def test_missing_fields_are_refused_in_spanish(cast, epo):
    data = _form(epo)
    data["doc-face_value"] = ""
    response = login(cast.ana).post(f"/cadenas/{epo.pk}/documentos/", data)
    assert response.status_code == 422
    assert "Este campo es obligatorio." in response.content.decode()


def test_another_office_gets_404_and_central_roles_only_read(cast, epo):
    sofia = login(cast.sofia)
    assert sofia.get(f"/cadenas/{epo.pk}/").status_code == 404
    assert sofia.post(f"/cadenas/{epo.pk}/documentos/", _form(epo)).status_code == 404
    assert "Grupo Minero" not in sofia.get("/cadenas/").content.decode()
    for user in (cast.ramon, cast.omar):
        page = login(user).get(f"/cadenas/{epo.pk}/")
        assert page.status_code == 200
        assert "Publicar documento" not in page.content.decode()
    assert login(cast.ramon).post(f"/cadenas/{epo.pk}/documentos/", _form(epo)).status_code == 403
    assert login(cast.julia).get("/cadenas/").status_code == 403


def test_the_discount_loan_page_and_statement_render(cast, epo):
    from filon.factoring.models import InterestMode
    from filon.factoring.services import document_discount, document_upload

    document = document_upload(
        user=cast.ana,
        epo=epo,
        supplier=epo.firm,
        kind="invoice",
        number="F-9",
        face_value=Decimal("100000.00"),
        issue_date=TODAY,
        due_date=TODAY + dt.timedelta(days=45),
        uploaded_by="supplier",
    )
    discount = document_discount(user=cast.ana, document=document, interest_mode=InterestMode.AT_MATURITY)
    client = login(cast.ana)
    page = client.get(f"/creditos/{discount.loan.pk}/")
    assert page.status_code == 200
    assert discount.loan.number in page.content.decode()
    assert client.get(f"/creditos/{discount.loan.pk}/estado-de-cuenta/").status_code == 200
    assert login(cast.sofia).get(f"/creditos/{discount.loan.pk}/").status_code == 404


def test_admission_and_adhesion_through_the_pages(cast, sample_rates):
    from factoring.factoring_support import epo_file, supplier, to_authorized
    from filon.factoring.models import Epo, SupplierAdhesion

    file = epo_file(cast)
    to_authorized(cast, file)
    client = login(cast.ana)
    assert file.folio in client.get("/cadenas/").content.decode()
    data = {
        "epo-file": str(file.pk),
        "epo-line_amount": "20000000",
        "epo-line_months": "36",
        "epo-guarantee_type": "hipoteca_urbana",
        "epo-guarantee_value": "19800000",
        "epo-spread": "3",
        "epo-admin_points": "0",
    }
    refused = client.post("/cadenas/admitir/", data)
    assert refused.status_code == 422
    assert "0.99 a 1" in refused.content.decode()
    assert "P-1 1.6" in refused.content.decode()
    data["epo-guarantee_value"] = "20000000"
    response = client.post("/cadenas/admitir/", data)
    assert response.status_code == 302
    epo = Epo.objects.get(file=file)
    assert epo.spread == Decimal("0.03")
    firm = supplier(cast)
    adhesion = {
        "adh-supplier": str(firm.pk),
        "adh-agreement_ref": "CA-9",
        "adh-spread": "5",
        "adh-admin_points": "0",
    }
    refused = client.post(f"/cadenas/{epo.pk}/proveedores/", adhesion)
    assert refused.status_code == 422
    assert "La sobretasa del proveedor va de 2.00 a 4.00 puntos. (P-1 1.5)" in refused.content.decode()
    adhesion["adh-spread"] = "2.5"
    assert client.post(f"/cadenas/{epo.pk}/proveedores/", adhesion).status_code == 302
    assert SupplierAdhesion.objects.get(epo=epo).spread == Decimal("0.025")
    assert login(cast.sofia).post(f"/cadenas/{epo.pk}/proveedores/", adhesion).status_code == 404
