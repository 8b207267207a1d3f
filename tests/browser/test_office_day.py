"""One working day of the Zacatecas office on a fresh demo database (`filon demo load`), in a real browser.

Each person starts from «Mis pendientes» and acts from the item that waits for them: the analyst uploads a
document on a file in capture; the regional manager approves it (never the uploader) and signs off the file
the analyst proposed; the committee's secretary puts it on the agenda of the session already convened and
holds that session early, with the reason; each member sees «Su voto está pendiente» and votes; the secretary
records the authorization; the legal area formalizes the contract; the analyst captures a ministración and
the manager releases it (four eyes); the analyst takes a payment dated today; and in the training mode the
administrator moves the business date a month ahead — the worker runs the closes in between — after which
the loan that was current shows late on the analyst's queue. Screenshots of every page visited are kept
(test-artifacts/screenshots/<database>/test_office_day/).
"""

from __future__ import annotations

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
    demo,
    http_cookies,
    landed,
    shot,
    sign_in,
)
from playwright.sync_api import Page, expect

from filon.committees.models import AgendaItem
from filon.core.calendar import today_mx
from filon.demo.scenarios import DEMO_PASSWORD, demo_crew, requirements_satisfy
from filon.ledger.services import ledger_check
from filon.operations.models import BatchRun, RunStatus
from filon.origination.models import CreditFile, FileStatus, RequirementItem, RequirementStatus
from filon.origination.services import file_ready_to_disburse
from filon.rules.schema import Stage
from filon.servicing.models import DisbursementOrder, Loan, LoanStatus, Payment
from filon.servicing.selectors import loan_positions
from filon.servicing.services import commission_pay, loan_create_from_file

__all__ = [
    "async_unsafe_allowed",
    "browser",
    "clock",
    "csp_violations",
    "demo",
    "http_cookies",
    "shot",
    "sign_in",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def pending(page: Page) -> None:
    """Back to «Mis pendientes» from the navigation."""
    page.get_by_role("link", name=re.compile(r"^Pendientes")).first.click()
    landed(page, r"/pendientes/$")


def item_link(page: Page, title: str):
    """The link of the pending item with this title."""
    return page.locator("#h-mios ~ *").get_by_role("link", name=title).first


def test_office_day(demo, sign_in, shot: Screenshots, tmp_path: Path, csp_violations: list[str], monkeypatch):
    users = demo
    today = today_mx()
    crew = demo_crew(users, "ZAC")
    open_as = sign_in

    def person(username: str, screenshot: str | None = None) -> Page:
        return open_as(users[username], screenshot=screenshot, password=DEMO_PASSWORD)

    # ------------------------------------------------------------- the analyst uploads a document
    captured = (
        CreditFile.objects.filter(status=FileStatus.CAPTURED, office__code="ZAC")
        .order_by("-requirements__pk")
        .first()
    )
    item = (
        RequirementItem.objects.filter(
            file=captured,
            stage=Stage.AUTHORIZATION.value,
            status=RequirementStatus.PENDING,
            legal_review=False,
            validity_months__isnull=True,
        )
        .order_by("pk")
        .first()
    )
    assert item is not None, "the demo's file in capture has a document to upload"
    ana = person("analista.zac", screenshot="entrar")
    expect(ana.get_by_role("heading", name="Mis pendientes")).to_be_visible()
    ana.goto(f"/expedientes/{captured.pk}/")
    document = tmp_path / "documento.pdf"
    document.write_bytes(b"%PDF-1.4\n% documento del expediente\n%%EOF\n")
    row = ana.locator(f"#req-{item.pk}")
    row.locator("summary", has_text="Acciones").click()
    row.locator(f"#id_r{item.pk}-file").set_input_files(document)
    date_field = row.locator(f"#id_r{item.pk}-document_date")
    if date_field.count():
        date_field.fill(f"{today:%d/%m/%Y}")
    row.get_by_role("button", name="Cargar").click()
    expect(ana.locator("#requisitos .notice")).to_have_text(f"Documento «{item.short_name}» cargado.")
    shot(ana, "documento-cargado")

    # ------------------------------------- the manager reviews it and signs off the proposed file
    awaiting = CreditFile.objects.get(status=FileStatus.PROPOSED, office__code="ZAC", signoff_by__isnull=True)
    gerente = person("gerente.zac")
    expect(
        item_link(gerente, f"Revisar documento «{item.short_name}» del expediente {captured.folio}")
    ).to_be_visible()
    expect(item_link(gerente, f"Dar visto bueno al expediente {awaiting.folio} para comité")).to_be_visible()
    shot(gerente, "pendientes-gerente")
    item_link(gerente, f"Revisar documento «{item.short_name}» del expediente {captured.folio}").click()
    row = gerente.locator(f"#req-{item.pk}")
    row.locator("summary", has_text="Acciones").click()
    row.locator(f"input[name='r{item.pk}-decision'][value='approve']").check()
    row.get_by_role("button", name="Registrar revisión").click()
    expect(gerente.locator("#requisitos .notice")).to_have_text(f"Documento «{item.short_name}» aprobado.")

    pending(gerente)
    item_link(gerente, f"Dar visto bueno al expediente {awaiting.folio} para comité").click()
    gerente.locator("summary", has_text="Dar visto bueno para comité").click()
    gerente.get_by_label("Nota del visto bueno (opcional)").fill("Integrado conforme a las Reglas")
    gerente.get_by_role("button", name="Dar visto bueno").click()
    expect(gerente.locator("#estado .notice")).to_have_text(
        "Visto bueno registrado: el expediente puede ir a comité."
    )
    shot(gerente, "visto-bueno")

    # --------------------- the secretary adds it to the convened session and holds it early, with the reason
    session = AgendaItem.objects.get(
        file__status=FileStatus.PROPOSED, file__signoff_by__isnull=False, resolution__isnull=True
    ).session
    assert session.date > today  # convened for a later day
    secretario = person("secretario")
    item_link(secretario, f"Incluir en el orden del día el expediente {awaiting.folio}").click()
    secretario.goto(f"/comites/{session.pk}/")
    secretario.get_by_label("Expediente propuesto").select_option(str(awaiting.pk))
    secretario.get_by_role("button", name="Agregar al orden del día").click()
    expect(secretario.locator("ol.agenda > li", has_text=awaiting.folio)).to_have_count(1)
    members = [users[name] for name in ("comite.marta", "comite.luis", "comite.elena")]
    secretario.locator("summary", has_text="Registrar asistencia").click()
    for member in members:
        secretario.locator(f"input[name='members'][value='{member.pk}']").check()
    secretario.get_by_role("button", name="Guardar asistencia").click()
    expect(secretario.locator("#sesion")).to_contain_text("Asistencia registrada.")
    expect(secretario.locator("#sesion")).to_contain_text("hay quórum")
    secretario.locator("summary", has_text="Celebrar antes de la fecha convocada").click()
    secretario.get_by_label("Motivo para celebrarla antes de la fecha convocada").fill(
        "Urge la autorización para la temporada de secas"
    )
    secretario.locator("#sesion details", has_text="Celebrar antes de la fecha convocada").get_by_role(
        "button", name="Celebrar sesión"
    ).click()
    expect(secretario.locator("#h-sesion .status")).to_have_text("En sesión")
    expect(secretario.locator("#sesion")).to_contain_text("Urge la autorización para la temporada de secas")
    shot(secretario, "sesion-celebrada-antes")
    agenda_item = AgendaItem.objects.get(session=session, file=awaiting)

    # ------------------------------------------------ each member sees the pending vote and votes
    for member in members:
        page = person(member.username)
        link = page.locator("#h-mios ~ *").get_by_role(
            "link", name=re.compile(rf"^Su voto está pendiente: .*{re.escape(awaiting.folio)}")
        )
        expect(link).to_be_visible()
        shot(page, f"voto-pendiente-{member.first_name.lower()}")
        link.click()
        vote = page.locator(f"#asunto-{agenda_item.pk}")
        vote.locator(f"input[name='a{agenda_item.pk}-vote'][value='favor']").check()
        vote.get_by_role("button", name="Votar").click()
        expect(page.locator(f"#asunto-{agenda_item.pk}")).to_contain_text(
            f"{member.get_full_name()} (a favor)"
        )

    secretario.reload()
    row = secretario.locator(f"#asunto-{agenda_item.pk}")
    row.get_by_label("Resolución").select_option("authorized")
    row.get_by_role("button", name="Registrar acuerdo").click()
    expect(secretario.locator(f"#asunto-{agenda_item.pk} .resolution")).to_contain_text("Autorizado")
    shot(secretario, "acuerdo")

    # ------------------------------------------------------------- legal formalizes the contract
    requirements_satisfy(awaiting, Stage.CONTRACTING, crew=crew, on=today)  # the contracting documents
    juridico = person("juridico")
    item_link(juridico, f"Formalizar el contrato del expediente {awaiting.folio}").click()
    juridico.locator("summary", has_text="Formalizar contrato").click()
    juridico.get_by_label("Fecha de firma del contrato").fill(f"{today:%d/%m/%Y}")
    juridico.get_by_label("Número de contrato").fill("FIFOMI-ZAC-2026-DIA")
    juridico.get_by_role("button", name="Formalizar").click()
    expect(juridico.locator("#estado h1 .status")).to_have_text("Formalizado")
    shot(juridico, "contrato-formalizado")

    # ------------------- one captures the ministración of the demo's formalized credit, another releases it
    formalized = (
        CreditFile.objects.filter(status=FileStatus.FORMALIZED, office__code="ZAC")
        .exclude(pk=awaiting.pk)
        .get()
    )
    requirements_satisfy(formalized, Stage.PRE_DISBURSEMENT, crew=crew, on=today)
    loan = loan_create_from_file(
        user=crew.analyst, file=file_ready_to_disburse(user=crew.analyst, file=formalized)
    )
    commission_pay(user=crew.analyst, loan=loan, value_date=today)
    amount = loan.contracted_amount
    ana.goto(f"/creditos/{loan.pk}/")
    disbursements = ana.locator("#ministraciones")
    disbursements.locator("summary", has_text="Capturar ministración").click()
    disbursements.get_by_label("Importe de la ministración").fill(str(amount))
    disbursements.get_by_label("Fecha valor").fill(f"{today:%d/%m/%Y}")
    disbursements.get_by_role("button", name="Capturar", exact=True).click()
    expect(ana.locator("#ministraciones .notice")).to_contain_text("Se capturó la orden de la ministración")
    order = DisbursementOrder.objects.get(loan=loan)

    pending(gerente)
    release = f"Liberar la ministración de ${amount:,.2f} del crédito {loan.number}"
    expect(item_link(gerente, release)).to_be_visible()
    item_link(gerente, release).click()
    gerente.locator("#autorizaciones").get_by_role("button", name="Liberar").click()
    expect(gerente.locator("#h-credito .status")).to_have_text("Vigente en administración")
    order.refresh_from_db()
    assert (order.captured_by, order.released_by) == (crew.analyst, crew.manager)
    shot(gerente, "ministracion-liberada")

    # ---------------------------------------------------------------- a payment dated today
    current = (
        Loan.objects.filter(status=LoanStatus.ACTIVE, office__code="ZAC", currency="MXN", days_past_due=0)
        .exclude(pk=loan.pk)
        .filter(payments__isnull=False)
        .distinct()
        .order_by("number")
        .first()
    )
    ana.goto(f"/creditos/{current.pk}/")
    payments = ana.locator("#pagos")
    payments.locator("summary", has_text="Registrar pago").click()
    payments.get_by_label("Importe recibido").fill("1000.00")
    payments.get_by_label("Fecha valor").fill(f"{today:%d/%m/%Y}")
    payments.get_by_role("button", name="Registrar pago", exact=True).click()
    expect(ana.locator("#pagos .notice")).to_have_text(
        f"Se registró el pago con fecha valor {today:%d/%m/%Y}."
    )
    assert Payment.objects.filter(loan=current, value_date=today, amount=Decimal("1000.00")).exists()
    shot(ana, "pago-de-hoy")
    pending(ana)
    late_text = f"Crédito {current.number} con"
    expect(ana.locator("main")).not_to_contain_text(late_text)

    # ---------------- the administrator moves the business date a month; the worker runs the closes
    admin = person("admin")
    admin.goto("/operaciones/")
    expect(admin.get_by_role("heading", name="Fecha de negocio (modo de capacitación)")).to_be_visible()
    admin.get_by_role("button", name="+1 mes").click()
    landed(admin, r"/operaciones/\d+/$")
    run = BatchRun.objects.get(kind="advance")
    expect(admin.locator("#run-status")).to_contain_text("En espera del proceso de fondo")
    shot(admin, "avance-en-espera")
    from operations.worker_support import worker_once

    # The worker runs in this process; the run page stops polling meanwhile, because the test database of
    # SQLite is shared in memory with table locks, where a poll reading the closes makes a close's write
    # fail at once (a file database in WAL mode, as served, lets readers and the writer go together).
    admin.goto("about:blank")
    worker_once(monkeypatch, "--no-schedule")
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    admin.goto(f"/operaciones/{run.pk}/")
    expect(admin.locator("#run-status")).to_contain_text("Terminado.")
    new_date = today_mx()
    assert new_date > today
    expect(admin.locator(".business-date-banner")).to_contain_text(f"Fecha de negocio: {new_date:%d/%m/%Y}")
    shot(admin, "avance-terminado")

    ana.goto("/pendientes/")
    expect(ana.locator(".business-date-banner")).to_contain_text(f"{new_date:%d/%m/%Y}")
    expect(
        ana.locator("#h-mios ~ *").get_by_role("link", name=re.compile(re.escape(late_text)))
    ).to_be_visible()
    shot(ana, "pendientes-credito-en-atraso")

    assert ledger_check(loan_positions=loan_positions()) == []
    assert csp_violations == []
