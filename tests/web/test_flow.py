"""A credit from capture to authorization, through the pages as people use them.

The analyst captures the applicant, opens the file, offers a guarantee and uploads documents that the
manager approves and the legal area rules on; the file is declared complete, analysed and proposed; the
committee secretary convenes a session, records attendance and the agenda, the members vote and the
secretary records the resolution: the file is authorized, and the minutes and the audit trail say so.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from web_support import HTMX, frozen, login

from conftest import satisfy
from filon.applicants.models import Applicant
from filon.committees.models import AgendaItem, CommitteeSession
from filon.origination.models import CreditFile
from filon.rules.schema import Stage

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)


def ok(response, status=200):
    assert response.status_code == status, response.content.decode()[:3000]
    return response


def test_from_capture_to_authorization(cast):
    ana, gerardo, julia, sergio = login(cast.ana), login(cast.gerardo), login(cast.julia), login(cast.sergio)

    # Capture the applicant
    response = ok(
        ana.post(
            reverse("web:applicant_new"),
            {
                "person_type": "moral",
                "name": "Minera La Veta Madre, S.A. de C.V.",
                "rfc": "MVM120315AB4",
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
            },
        ),
        302,
    )
    applicant = Applicant.objects.get()
    assert response["Location"] == reverse("web:applicant", args=[applicant.pk])

    # Open the file
    response = ok(
        ana.post(
            reverse("web:file_new", args=[applicant.pk]),
            {
                "program": "primer_piso",
                "credit_type": "refaccionario",
                "currency": "MXN",
                "amount": "12000000",
                "investment_program": "14000000",
                "term_months": "84",
                "grace_months": "12",
                "payment_every_months": "1",
                "amortization": "equal_principal",
                "purpose": "Equipo de molienda",
            },
        ),
        302,
    )
    file = CreditFile.objects.get()
    assert file.folio.startswith("ZAC-2026-")
    file_url = reverse("web:file", args=[file.pk])
    assert response["Location"] == file_url

    # Offer a guarantee (HTMX: the guarantees section comes back, the coverage panel follows out-of-band)
    response = ok(
        ana.post(
            reverse("web:guarantee_new", args=[file.pk]),
            {
                "g-type": "hipoteca_industrial",
                "g-owner": "Minera La Veta Madre",
                "g-description": "Nave industrial en Fresnillo",
                "g-value": "30000000",
                "g-appraisal_date": "2026-02-01",
                "g-appraiser": "Valuadores del Centro",
                "g-lien_rank": "1",
                "g-insurable": "on",
            },
            **HTMX,
        )
    )
    assert 'id="cobertura"' in response.content.decode()

    # One document through the pages: upload, approval by the manager, legal opinion where required
    items = list(file.requirements.filter(stage="authorization").order_by("pk"))
    item = next((i for i in items if i.legal_review), items[0])
    pdf = SimpleUploadedFile("acta.pdf", b"%PDF-1.4 acta constitutiva", content_type="application/pdf")
    ok(
        ana.post(
            reverse("web:requirement_upload", args=[file.pk, item.pk]),
            {f"r{item.pk}-file": pdf, f"r{item.pk}-document_date": "2026-03-02"},
            **HTMX,
        )
    )
    ok(
        gerardo.post(
            reverse("web:requirement_review", args=[file.pk, item.pk]),
            {f"r{item.pk}-decision": "approve", f"r{item.pk}-note": ""},
        ),
        302,
    )
    if item.legal_review:
        ok(
            julia.post(
                reverse("web:requirement_legal", args=[file.pk, item.pk]),
                {f"r{item.pk}dj-opinion": "favorable"},
            ),
            302,
        )
    item.refresh_from_db()
    assert item.status == "approved"
    upload = item.uploads.get()
    download = ok(ana.get(reverse("web:document", args=[file.pk, upload.pk])))
    assert b"".join(download.streaming_content).startswith(b"%PDF")

    # The rest of the authorization documents, quickly
    satisfy(cast, file, Stage.AUTHORIZATION)

    # Requirements complete → analysis → proposal
    for client, action in ((ana, "requisitos-completos"), (ana, "iniciar-analisis"), (ana, "proponer")):
        ok(client.post(reverse("web:file_transition", args=[file.pk, action])), 302)
    file.refresh_from_db()
    assert file.status == "proposed"
    # The Zacatecas manager signs it off for the committee (ana, who proposed it, may not)
    assert "Dar visto bueno" not in ok(ana.get(file_url)).content.decode()
    ok(gerardo.post(reverse("web:file_signoff", args=[file.pk]), {"visto-bueno-note": "Conforme"}), 302)
    file.refresh_from_db()
    assert file.signoff_by == cast.gerardo
    assert file.committee == "comite_interno"
    page = ok(ana.get(file_url)).content.decode()
    assert "Propuesto a comité" in page
    assert "Tiempo de atención" in page

    # The secretary convenes a session, records attendance, puts the file on the agenda and holds it
    ok(
        sergio.post(
            reverse("web:session_new"),
            {"committee": "comite_interno", "date": "2026-03-03", "place": "Sala de Consejo, CDMX"},
        ),
        302,
    )
    session = CommitteeSession.objects.get()
    members = [cast.marta.pk, cast.luis.pk, cast.elena.pk]
    ok(sergio.post(reverse("web:session_attendance", args=[session.pk]), {"members": members}, **HTMX))
    assert "Sala de Consejo" in ok(sergio.get(reverse("web:session", args=[session.pk]))).content.decode()
    ok(sergio.post(reverse("web:agenda_add", args=[session.pk]), {"file": file.pk}), 302)
    item = AgendaItem.objects.get()
    ok(sergio.post(reverse("web:session_hold", args=[session.pk])), 302)

    # A resolution before the votes is refused with the reason
    refused = sergio.post(
        reverse("web:resolution", args=[session.pk, item.pk]), {f"a{item.pk}r-decision": "authorized"}
    )
    assert refused.status_code == 422
    assert "Faltan los votos de" in refused.content.decode()

    # The members vote, the secretary records the resolution
    for member in (cast.marta, cast.luis, cast.elena):
        ok(
            login(member).post(
                reverse("web:vote", args=[session.pk, item.pk]), {f"a{item.pk}-vote": "favor"}, **HTMX
            )
        )
    response = ok(
        sergio.post(
            reverse("web:resolution", args=[session.pk, item.pk]),
            {
                f"a{item.pk}r-decision": "authorized",
                f"a{item.pk}r-conditions": "Seguro de la nave a favor del FIFOMI",
            },
            **HTMX,
        )
    )
    assert "Acuerdo CI-2026-01/001 registrado." in response.content.decode()

    file.refresh_from_db()
    assert file.status == "authorized"
    assert file.conditions == "Seguro de la nave a favor del FIFOMI"
    page = ok(ana.get(file_url)).content.decode()
    assert "Autorizado" in page
    assert "Autorizado por el comité" in page  # audit trail
    assert "Sergio" in page

    # The session closes and its minutes are shown
    ok(sergio.post(reverse("web:session_close", args=[session.pk])), 302)
    minutes = ok(sergio.get(reverse("web:session", args=[session.pk]))).content.decode()
    assert "ACTA DE LA SESIÓN CI-2026-01" in minutes
    assert file.folio in minutes


def test_after_authorization_formalize_release_and_disburse(cast):
    from conftest import applicant_data, proposal_data, to_authorized
    from filon.applicants.services import applicant_create
    from filon.origination.models import GuaranteeChange
    from filon.origination.services import file_create

    applicant = applicant_create(user=cast.ana, data=applicant_data()).obj
    file = to_authorized(cast, file_create(user=cast.ana, applicant=applicant, proposal=proposal_data()))
    julia, gerardo, ana = login(cast.julia), login(cast.gerardo), login(cast.ana)
    page = ok(julia.get(reverse("web:file", args=[file.pk]))).content.decode()
    assert "Formalizar contrato" in page

    # The extension needs a bureau consultation after the authorization (Rules 11)
    refused = gerardo.post(reverse("web:file_transition", args=[file.pk, "prorrogar"]), **HTMX)
    assert refused.status_code == 409
    assert "La prórroga requiere actualizar la consulta al buró" in refused.content.decode()
    assert "(Regla 11)" in refused.content.decode()

    # Formalizing without the contracting documents is refused with their rule
    url = reverse("web:file_formalize", args=[file.pk])
    data = {"formalizar-signed_on": "2026-03-03", "formalizar-contract_number": "FIFOMI-001"}
    refused = julia.post(url, data)
    assert refused.status_code == 422
    assert "No se puede formalizar: faltan" in refused.content.decode()
    assert "(Regla 16.2.1)" in refused.content.decode()
    satisfy(cast, file, Stage.CONTRACTING)
    ok(julia.post(url, data), 302)
    file.refresh_from_db()
    assert (file.status, file.contract_number) == ("formalized", "FIFOMI-001")

    # A release request for the active guarantee goes to the committee's pending list
    guarantee = file.guarantees.get()
    ok(ana.get(reverse("web:guarantee_change", args=[file.pk, guarantee.pk])))
    ok(
        ana.post(
            reverse("web:guarantee_change", args=[file.pk, guarantee.pk]),
            {"solicitud-kind": "release", "solicitud-reason": "Pago anticipado parcial"},
        ),
        302,
    )
    assert GuaranteeChange.objects.get().status == "requested"
    assert "Liberación de garantía" in ok(login(cast.sergio).get("/")).content.decode()

    # Pre-disbursement documents, then the file is ready to disburse
    satisfy(cast, file, Stage.PRE_DISBURSEMENT)
    ok(gerardo.post(reverse("web:file_transition", args=[file.pk, "listo-para-disponer"])), 302)
    file.refresh_from_db()
    assert file.status == "ready_to_disburse"


def test_htmx_upload_returns_the_checklist_and_the_other_sections_out_of_band(cast, credit_file):
    item = credit_file.requirements.order_by("pk").first()
    pdf = SimpleUploadedFile("solicitud.pdf", b"%PDF-1.4 solicitud", content_type="application/pdf")
    response = ok(
        login(cast.ana).post(
            reverse("web:requirement_upload", args=[credit_file.pk, item.pk]),
            {f"r{item.pk}-file": pdf, f"r{item.pk}-document_date": "2026-03-02"},
            **HTMX,
        )
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="requisitos"')
    assert f"Documento «{item.short_name}» cargado." in body
    for section in ("estado", "evaluacion", "tabla", "cobertura", "garantias", "bitacora"):
        assert f'id="{section}"' in body
    assert body.count('hx-swap-oob="true"') == 6
    item.refresh_from_db()
    assert item.status == "uploaded"
    assert "<html" not in body
