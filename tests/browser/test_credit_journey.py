"""A credit's whole journey in a real browser (headless Chromium), as the people involved see it.

The Zacatecas analyst captures the applicant and opens the file, offers a guarantee and uploads a document
that the manager approves and the legal area rules on; the file is proposed; the committee secretary
convenes a session, the members vote and the secretary records the authorization; the legal area
formalizes the contract and the file is released for disbursement; the analyst opens the loan, records
the opening commission and the disbursement, and a month later the first payment, which the account
statement shows applied; a Sonora analyst who opens the Zacatecas file or loan gets the 404 page.
Every page visited is kept as a screenshot (test-artifacts/screenshots/<database>/test_credit_journey/).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from browser_support import (
    Screenshots,
    async_unsafe_allowed,
    browser,
    clock,
    csp_violations,
    http_cookies,
    landed,
    log_in,
    shot,
    sign_in,
)
from playwright.sync_api import Locator, Page, expect

from conftest import satisfy
from filon.applicants.models import Applicant
from filon.committees.models import AgendaItem, CommitteeSession
from filon.core.calendar import MEXICO_CITY
from filon.core.money import format_money
from filon.origination.models import CreditFile
from filon.rules.schema import Stage
from filon.servicing.models import Loan

__all__ = ["async_unsafe_allowed", "browser", "clock", "csp_violations", "http_cookies", "shot", "sign_in"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]

APPLICANT = "Minera La Veta Madre, S.A. de C.V."


def required(label: str) -> re.Pattern[str]:
    """A required field's label, which ends with the «*» mark."""
    return re.compile(rf"^{re.escape(label)} \*$")


def field(scope: Locator, term: str) -> Locator:
    """The value (<dd>) next to a term (<dt>) of a description list."""
    term_cell = scope.locator("dt").filter(has_text=re.compile(rf"^\s*{re.escape(term)}\s*$"))
    return term_cell.locator("xpath=following-sibling::dd[1]")


def header(page: Page):
    return page.locator("#estado")


def status(page: Page):
    return page.locator("#estado h1 .status")


def test_credit_journey(
    cast, sample_rates, sign_in, shot: Screenshots, clock, tmp_path: Path, csp_violations: list[str]
):
    # ------------------------------------------------------------------ the analyst captures the applicant
    ana = sign_in(cast.ana, screenshot="entrar")
    assert ana.evaluate("typeof window.htmx") == "object"  # the vendored HTMX is served by the live server
    ana.get_by_role("link", name="Solicitantes").click()
    landed(ana, r"/solicitantes/$")
    shot(ana, "solicitantes")
    ana.goto("/solicitantes/nuevo/")
    ana.get_by_label("Tipo de persona").select_option("moral")
    ana.get_by_label("Nombre o razón social").fill(APPLICANT)
    ana.get_by_label(required("RFC")).fill("MVM120315AB4")
    ana.get_by_label("Estado (clave de 3 letras)").select_option("ZAC")
    ana.get_by_label("Municipio").fill("Fresnillo")
    ana.get_by_label("Actividad (Anexo I)").select_option("21")
    ana.get_by_label("Realiza extracción primaria").check()
    ana.get_by_label("Clase de minería").select_option("concesible")
    ana.get_by_label("Sector").select_option("industria")
    ana.get_by_label("Empleos permanentes").fill("45")
    ana.get_by_label("Ingresos brutos anuales (MXN)").fill("150000000")
    ana.get_by_label("Producción (t/mes)").fill("2000")
    ana.get_by_label("Años con ventas").fill("6")
    ana.get_by_label("Capital contable (MXN)").fill("30000000")
    shot(ana, "captura-solicitante")
    ana.get_by_role("button", name="Guardar").click()

    landed(ana, r"/solicitantes/\d+/$")
    expect(ana.get_by_role("heading", level=1)).to_contain_text(APPLICANT)
    applicant = Applicant.objects.get(rfc="MVM120315AB4")
    assert (applicant.state, applicant.office_id) == ("ZAC", cast.zac.pk)  # the office follows the state
    shot(ana, "solicitante")

    # ------------------------------------------------------------------------ the file with its proposal
    ana.get_by_role("link", name="Abrir expediente").click()
    landed(ana, r"/expedientes/nuevo/$")
    ana.get_by_label(required("Programa")).select_option("primer_piso")
    ana.get_by_label("Tipo de crédito").select_option("refaccionario")
    ana.get_by_label("Moneda").select_option("MXN")
    ana.get_by_label("Monto solicitado").fill("12000000")
    ana.get_by_label("Programa de inversión sin IVA").fill("14000000")
    ana.get_by_label("Plazo (meses)").fill("84")
    ana.get_by_label("Gracia de capital (meses)").fill("12")
    ana.get_by_label("Periodicidad de pago (meses)").fill("1")
    ana.get_by_label("Amortización").select_option("equal_principal")
    ana.get_by_label("Destino del crédito").fill("Equipo de molienda")
    shot(ana, "propuesta")
    ana.get_by_role("button", name="Abrir expediente").click()

    landed(ana, r"/expedientes/\d+/$")
    file = CreditFile.objects.get(applicant=applicant)
    file_url = f"/expedientes/{file.pk}/"
    assert ana.url.endswith(file_url)
    expect(header(ana)).to_contain_text(f"Expediente {file.folio}")
    expect(status(ana)).to_have_text("Capturado")
    expect(header(ana)).to_contain_text("$12,000,000.00")
    expect(header(ana)).to_contain_text("84 meses, 12 de gracia")
    assert file.folio.startswith("ZAC-2026-")

    # The evaluation panel: findings, each with the rule it applies; no guarantee yet, so an impediment
    evaluation = ana.locator("#evaluacion")
    expect(evaluation.get_by_role("heading", name="Hallazgos")).to_be_visible()
    expect(evaluation.locator(".badge").first).to_have_text("Con impedimentos")
    impediment = evaluation.locator("li.finding.error")
    expect(impediment).to_have_count(1)
    expect(impediment).to_contain_text("La cobertura de garantías es 0 a 1, menor que la mínima de 2 a 1")
    expect(impediment.locator(".rule")).to_have_text("Regla 10.2.1")
    office = evaluation.locator("li.finding", has_text="Lo atiende la Gerencia Regional Zacatecas.")
    expect(office.locator(".rule")).to_have_text("Regla 4")
    shot(ana, "expediente-evaluacion")

    # --------------------------------------------------------------------- a guarantee, through its form
    guarantees = ana.locator("#garantias")
    guarantees.locator("summary", has_text="Agregar garantía").click()
    guarantees.get_by_label("Tipo de garantía").select_option("hipoteca_industrial")
    guarantees.get_by_label("Propietario").fill("Minera La Veta Madre")
    guarantees.get_by_label("Descripción").fill("Nave industrial en Fresnillo")
    guarantees.get_by_label("Valor (avalúo, factura sin IVA o nominal) en pesos").fill("30000000")
    guarantees.get_by_label("Fecha del avalúo").fill("01/02/2026")
    guarantees.get_by_label("Valuador").fill("Valuadores del Centro")
    guarantees.get_by_label("Grado de gravamen").fill("1")
    guarantees.get_by_label("Asegurable").check()
    guarantees.get_by_role("button", name="Agregar garantía").click()

    guarantees = ana.locator("#garantias")
    expect(guarantees.locator(".notice")).to_have_text("Garantía registrada; el expediente se reevaluó.")
    expect(guarantees.locator("tbody tr")).to_have_count(1)
    expect(guarantees.locator("tbody")).to_contain_text("Nave industrial en Fresnillo")
    expect(guarantees.locator("tbody")).to_contain_text("$30,000,000.00")
    coverage = ana.locator("#cobertura")  # re-rendered out-of-band with the new coverage
    expect(coverage.locator(".badge")).to_have_text("cumple")
    evaluation = ana.locator("#evaluacion")  # re-evaluated: the impediment is gone
    expect(evaluation.locator(".badge").first).to_have_text("Sin impedimentos")
    expect(evaluation.locator("li.finding.error")).to_have_count(0)
    shot(ana, "garantia-y-cobertura")

    # -------------------------------------- a document uploaded through the browser, approved, ruled on
    items = list(file.requirements.filter(stage=Stage.AUTHORIZATION.value).order_by("pk"))
    item = next(i for i in items if i.legal_review)
    document = tmp_path / "acta-constitutiva.pdf"
    document.write_bytes(b"%PDF-1.4\n% acta constitutiva de Minera La Veta Madre\n%%EOF\n")
    row = ana.locator(f"#req-{item.pk}")
    row.locator("summary", has_text="Acciones").click()
    row.locator(f"#id_r{item.pk}-file").set_input_files(document)
    row.locator(f"#id_r{item.pk}-document_date").fill("02/03/2026")
    row.get_by_role("button", name="Cargar").click()
    checklist = ana.locator("#requisitos")
    expect(checklist.locator(".notice")).to_have_text(f"Documento «{item.short_name}» cargado.")
    row = ana.locator(f"#req-{item.pk}")
    expect(row.get_by_role("link", name="acta-constitutiva.pdf")).to_be_visible()
    expect(row).to_contain_text("documento del 02/03/2026")
    shot(ana, "documento-cargado")

    # The manager approves it, the legal area gives its opinion (both in their own browsers)
    gerardo = sign_in(cast.gerardo)
    gerardo.goto(file_url)
    row = gerardo.locator(f"#req-{item.pk}")
    row.locator("summary", has_text="Acciones").click()
    row.locator(f"input[name='r{item.pk}-decision'][value='approve']").check()
    row.get_by_role("button", name="Registrar revisión").click()
    expect(gerardo.locator("#requisitos .notice")).to_have_text(f"Documento «{item.short_name}» aprobado.")
    shot(gerardo, "documento-aprobado-gerente")

    julia = sign_in(cast.julia)
    julia.goto(file_url)
    row = julia.locator(f"#req-{item.pk}")
    row.locator("summary", has_text="Acciones").click()
    row.locator(f"input[name='r{item.pk}dj-opinion'][value='favorable']").check()
    row.get_by_role("button", name="Emitir dictamen").click()
    expect(julia.locator("#requisitos .notice")).to_have_text(
        f"Dictamen jurídico registrado para «{item.short_name}»."
    )
    row = julia.locator(f"#req-{item.pk}")
    expect(row.locator(".req-status")).to_contain_text("Cumplido")
    expect(row.locator(".req-status")).to_contain_text("Dictamen: Favorable")
    shot(julia, "dictamen-juridico")

    # The other authorization documents go through the same three forms; to keep the test short they are
    # uploaded, approved and ruled on through the services (tests/conftest.py `satisfy`, which goes over
    # the whole stage, the document above included), as the same people: ana, gerardo and julia.
    satisfy(cast, file, Stage.AUTHORIZATION)

    # --------------------------------------------- requirements complete → analysis → proposal (buttons)
    ana.reload()
    expect(ana.locator("#requisitos details.stage summary").first).to_contain_text(
        f"{len(items)} de {len(items)} cumplidos"
    )
    ana.get_by_role("button", name="Declarar requisitos completos").click()
    expect(status(ana)).to_have_text("Requisitos completos")
    ana.get_by_role("button", name="Iniciar análisis").click()
    expect(status(ana)).to_have_text("En análisis")
    expect(header(ana).locator(".notice")).to_have_text("El expediente está en análisis.")
    shot(ana, "expediente-en-analisis")

    ana.get_by_role("button", name="Proponer a comité").click()
    expect(status(ana)).to_have_text("Propuesto a comité")
    expect(header(ana)).to_contain_text("Tiempo de atención")
    expect(header(ana)).to_contain_text("Comité Interno")
    shot(ana, "propuesto-a-comite")

    # ------------------------------------------- the regional manager signs it off for the committee
    gerardo.goto(file_url)
    gerardo.locator("summary", has_text="Dar visto bueno para comité").click()
    gerardo.get_by_label("Nota del visto bueno (opcional)").fill("Integrado conforme a las Reglas")
    gerardo.get_by_role("button", name="Dar visto bueno").click()
    expect(header(gerardo).locator(".notice")).to_have_text(
        "Visto bueno registrado: el expediente puede ir a comité."
    )
    expect(header(gerardo)).to_contain_text("Integrado conforme a las Reglas")
    shot(gerardo, "visto-bueno-gerente")

    # ------------------------------------------------------------------------ the committee authorizes
    sergio = sign_in(cast.sergio)
    sergio.get_by_role("link", name="Comités").click()
    landed(sergio, r"/comites/$")
    shot(sergio, "comites")
    sergio.goto("/comites/convocar/")
    sergio.get_by_label("Comité").select_option("comite_interno")
    sergio.get_by_label("Fecha de la sesión").fill("03/03/2026")
    sergio.get_by_label("Lugar").fill("Sala de Consejo, CDMX")
    shot(sergio, "convocar-sesion")
    sergio.get_by_role("button", name="Convocar").click()

    landed(sergio, r"/comites/\d+/$")
    session = CommitteeSession.objects.get()
    session_url = f"/comites/{session.pk}/"
    expect(sergio.locator("#h-sesion")).to_contain_text(f"Sesión {session.number}")
    expect(sergio.locator("#h-sesion .status")).to_have_text("Convocada")
    expect(sergio.locator("#sesion")).to_contain_text("Sala de Consejo, CDMX")

    sergio.locator("summary", has_text="Registrar asistencia").click()
    for member in (cast.marta, cast.luis, cast.elena):
        sergio.locator(f"input[name='members'][value='{member.pk}']").check()
    sergio.get_by_role("button", name="Guardar asistencia").click()
    expect(sergio.locator("#sesion")).to_contain_text("3 presentes")
    expect(sergio.locator("#sesion")).to_contain_text("hay quórum")

    sergio.get_by_label("Expediente propuesto").select_option(str(file.pk))
    sergio.get_by_role("button", name="Agregar al orden del día").click()
    agenda = sergio.locator("ol.agenda > li")
    expect(agenda).to_have_count(1)
    expect(agenda).to_contain_text(file.folio)
    expect(agenda).to_contain_text("$12,000,000.00")
    sergio.get_by_role("button", name="Celebrar sesión").click()
    expect(sergio.locator("#h-sesion .status")).to_have_text("En sesión")
    shot(sergio, "sesion-celebrada")
    item = AgendaItem.objects.get(session=session)

    # Each member votes in their own browser
    for member in (cast.marta, cast.luis, cast.elena):
        page = sign_in(member)
        page.goto(session_url)
        vote = page.locator(f"#asunto-{item.pk}")
        vote.locator(f"input[name='a{item.pk}-vote'][value='favor']").check()
        vote.get_by_role("button", name="Votar").click()
        expect(page.locator(f"#asunto-{item.pk}")).to_contain_text(f"{member.first_name} (a favor)")
        shot(page, f"voto-{member.first_name.lower()}")

    # The secretary records the resolution
    sergio.reload()
    agenda_item = sergio.locator(f"#asunto-{item.pk}")
    expect(agenda_item).to_contain_text("Marta (a favor); Luis (a favor); Elena (a favor)")
    agenda_item.get_by_label("Resolución").select_option("authorized")
    agenda_item.get_by_label("Condiciones").fill("Seguro de la nave a favor del FIFOMI")
    agenda_item.get_by_role("button", name="Registrar acuerdo").click()
    expect(sergio.locator("#sesion .notice")).to_have_text("Acuerdo CI-2026-01/001 registrado.")
    resolution = sergio.locator(f"#asunto-{item.pk} .resolution")
    expect(resolution).to_contain_text("Autorizado")
    expect(resolution).to_contain_text("condiciones: Seguro de la nave a favor del FIFOMI")
    shot(sergio, "acuerdo-autorizado")

    sergio.get_by_role(
        "button", name="Concluir la sesión y asentar el acta"
    ).click()  # confirmed in the dialog
    expect(sergio.locator("#h-sesion .status")).to_have_text("Cerrada")
    expect(sergio.locator("pre.minutes")).to_contain_text("ACTA DE LA SESIÓN CI-2026-01")
    expect(sergio.locator("pre.minutes")).to_contain_text(file.folio)
    shot(sergio, "acta")

    ana.goto(file_url)
    expect(status(ana)).to_have_text("Autorizado")
    expect(header(ana)).to_contain_text("Seguro de la nave a favor del FIFOMI")
    expect(ana.locator("#bitacora")).to_contain_text("Autorizado por el comité")
    shot(ana, "expediente-autorizado")

    # --------------------------------------------------- formalization and release for disbursement
    # The contracting documents, through the services as above; the legal area formalizes the contract.
    satisfy(cast, file, Stage.CONTRACTING)
    julia.goto(file_url)
    julia.locator("summary", has_text="Formalizar contrato").click()
    julia.get_by_label("Fecha de firma del contrato").fill("03/03/2026")
    julia.get_by_label("Número de contrato").fill("FIFOMI-ZAC-001")
    julia.get_by_role("button", name="Formalizar").click()
    expect(status(julia)).to_have_text("Formalizado")
    expect(header(julia)).to_contain_text("FIFOMI-ZAC-001, firmado el 03/03/2026")
    shot(julia, "contrato-formalizado")

    # The pre-disbursement documents (services, as above); the analyst releases the file.
    satisfy(cast, file, Stage.PRE_DISBURSEMENT)
    ana.goto(file_url)
    ana.get_by_role("button", name="Liberar para disposición").click()
    expect(status(ana)).to_have_text("Listo para disponer")
    expect(header(ana).locator(".notice")).to_have_text("El expediente está listo para disponer.")
    shot(ana, "listo-para-disponer")

    # ------------------------------------------ the loan: opened, commission paid, disbursed in full
    ana.get_by_role("button", name="Dar de alta el crédito").click()
    landed(ana, r"/creditos/\d+/$")
    loan = Loan.objects.get(file=file)
    loan_url = f"/creditos/{loan.pk}/"
    assert ana.url.endswith(loan_url)
    expect(ana.locator(".messages")).to_contain_text(f"Se dio de alta el crédito {loan.number}.")
    expect(ana.locator("#h-credito")).to_contain_text(f"Crédito {loan.number}")
    expect(ana.locator("#h-credito .status")).to_have_text("Por disponer")
    expect(field(ana.locator("#credito"), "Monto contratado")).to_contain_text("$12,000,000.00")
    commission = ana.locator("#comision")
    expect(field(commission, "Total")).to_have_text("$208,800.00")  # 1.5 % of the amount plus IVA
    expect(commission).to_contain_text("Pendiente: se paga antes de la primera ministración")
    shot(ana, "credito-alta")

    commission.locator("summary", has_text="Registrar pago de comisión").click()
    commission.get_by_label("Fecha del pago de la comisión").fill("03/03/2026")
    commission.get_by_role("button", name="Registrar pago de comisión").click()
    commission = ana.locator("#comision")
    expect(commission.locator(".notice")).to_have_text("Se registró el pago de la comisión por apertura.")
    expect(field(commission, "Estado")).to_have_text("Pagada el 03/03/2026")

    # Four eyes: the analyst captures the ministración; the manager releases it.
    disbursements = ana.locator("#ministraciones")
    disbursements.locator("summary", has_text="Capturar ministración").click()
    disbursements.get_by_label("Importe de la ministración").fill("12000000")
    disbursements.get_by_label("Fecha valor").fill("03/03/2026")
    disbursements.get_by_role("button", name="Capturar", exact=True).click()
    expect(ana.locator("#ministraciones .notice")).to_contain_text(
        "Se capturó la orden de la ministración con fecha valor 03/03/2026"
    )
    ana.reload()
    expect(ana.locator("#autorizaciones")).to_contain_text("Usted la capturó: otra persona debe liberarla.")
    expect(ana.locator("#h-credito .status")).to_have_text("Por disponer")
    shot(ana, "ministracion-capturada")

    gerardo.goto(loan_url)
    gerardo.locator("#autorizaciones").get_by_role(
        "button", name="Liberar"
    ).click()  # confirmed in the dialog
    expect(gerardo.locator(".messages")).to_contain_text(
        "Se liberó la orden de ministración de $12,000,000.00 con fecha valor 03/03/2026."
    )
    disbursements = gerardo.locator("#ministraciones")
    expect(disbursements).to_contain_text("Dispuesto: $12,000,000.00 de $12,000,000.00 contratados.")
    expect(gerardo.locator("#h-credito .status")).to_have_text("Vigente en administración")
    expect(field(gerardo.locator("#credito"), "Capital")).to_have_text("$12,000,000.00")
    expect(gerardo.locator("#tabla summary").first).to_contain_text("Proyectada (84 amortizaciones)")
    shot(gerardo, "credito-ministrado")
    ana.goto(loan_url)

    # ---------------------- a month on, the first installment (interest only, in the grace period) is paid
    first = loan.schedule_versions.get(active=True).installments.get(number=1)
    assert (first.due, first.payable, first.principal) == (
        dt.date(2026, 4, 3),
        dt.date(2026, 4, 6),  # Good Friday is no banking day: payable on Monday
        Decimal("0.00"),
    )
    installment = format_money(first.interest)
    clock.move_to(dt.datetime(2026, 4, 6, 10, 0, tzinfo=MEXICO_CITY))
    ana.reload()  # the session expired long ago (30 idle minutes): the analyst signs in again
    landed(ana, r"/entrar/\?next=")
    log_in(ana, cast.ana, shot, "entrar-de-nuevo")
    landed(ana, rf"{loan_url}$")
    expect(ana.locator("#h-posicion")).to_have_text("Posición al 06/04/2026")
    expect(field(ana.locator("#credito"), "Exigible hoy")).to_have_text(installment)

    payments = ana.locator("#pagos")
    payments.locator("summary", has_text="Registrar pago").click()
    payments.get_by_label("Importe recibido").fill(str(first.interest))
    payments.get_by_label("Fecha valor").fill("06/04/2026")
    payments.get_by_role("button", name="Registrar pago", exact=True).click()
    payments = ana.locator("#pagos")
    expect(payments.locator(".notice")).to_have_text("Se registró el pago con fecha valor 06/04/2026.")
    expect(payments.locator("tbody tr")).to_have_count(1)
    expect(payments.locator("tbody tr")).to_contain_text(installment)
    expect(payments.locator("tbody tr")).to_contain_text("Aplicado")
    expect(field(ana.locator("#credito"), "Exigible hoy")).to_have_text("$0.00")
    shot(ana, "pago-registrado")

    # The account statement shows the payment and where it went; the books agree with the portfolio
    ana.locator("#credito").get_by_role("link", name="Estado de cuenta").click()
    landed(ana, rf"{loan_url}estado-de-cuenta/$")
    expect(ana.locator("#h-edc")).to_contain_text(f"Estado de cuenta del crédito {loan.number} al 06/04/2026")
    summary = ana.locator("section", has=ana.locator("#h-edc"))
    expect(field(summary, "Saldo de capital")).to_have_text("$12,000,000.00")
    expect(field(summary, "Exigible hoy")).to_have_text("$0.00")
    paid = ana.locator("section", has=ana.locator("#h-edc-pagos")).locator("tbody tr")
    expect(paid).to_have_count(1)
    expect(paid).to_contain_text("06/04/2026")
    expect(paid).to_contain_text(f"Intereses ordinarios exigibles (amortización 1): {installment}")
    books = ana.locator("section", has=ana.locator("#h-saldos"))
    expect(books.locator("tbody tr").first).to_contain_text("Cartera de crédito vigente")
    expect(books.locator(".badge.danger")).to_have_count(0)  # every account agrees with the portfolio
    shot(ana, "estado-de-cuenta")

    # ------------------------------------ a Sonora analyst cannot see the Zacatecas file or loan at all
    sofia = sign_in(cast.sofia)
    for name, url in (
        ("expediente", file_url),
        ("credito", loan_url),
        ("estado-de-cuenta", f"{loan_url}estado-de-cuenta/"),
    ):
        response = sofia.goto(url)
        assert response is not None
        assert response.status == 404, url
        expect(sofia.get_by_role("heading", name="No encontrado")).to_be_visible()
        expect(sofia.locator("main").get_by_role("alert")).to_contain_text(
            "no pertenece a su gerencia regional"
        )
        expect(sofia.locator("main")).not_to_contain_text(file.folio)
        shot(sofia, f"sonora-{name}-404")

    # every page and HTMX action of the journey ran under the Content-Security-Policy, refused nothing
    assert csp_violations == []
