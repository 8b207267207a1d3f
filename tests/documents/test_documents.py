"""Documents that leave the system: the PDFs (amortization table, account statement, dictamen, minutes) hold
the real figures, the Excel exports hold typed cells equal to the schedule and the positions, another
office's loan or file is a 404, and every download leaves an audit record.

Time is frozen on Tuesday 03/03/2026; the loan (12 M MXN, 36 monthly payments, no grace) was disbursed on
Monday 05/01/2026 and its first installment paid on its due date, Thursday 05/02/2026.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from conftest import proposal_data, to_proposed, to_ready
from filon.audit.models import AuditRecord
from filon.committees.services import (
    agenda_add_file,
    resolution_record,
    session_attendance,
    session_close,
    session_convene,
    session_hold,
    vote_cast,
)
from filon.core.calendar import today_mx
from filon.core.money import format_money
from filon.demo.scenarios import loan_disburse
from filon.documents import excel, pdf
from filon.origination.selectors import file_findings as findings
from filon.servicing.models import Installment, Loan
from filon.servicing.payments import payment_apply
from filon.servicing.services import commission_pay, loan_create_from_file
from filon.web.http import cite
from web.web_support import frozen, login

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)

DISBURSED = dt.date(2026, 1, 5)
FIRST_DUE = dt.date(2026, 2, 5)


@pytest.fixture
def loan(cast, applicant, sample_rates):
    from filon.origination.services import file_create

    file = file_create(
        user=cast.ana, applicant=applicant, proposal=proposal_data(term_months=36, grace_months=0)
    )
    to_ready(cast, file)
    loan = loan_create_from_file(user=cast.ana, file=file)
    commission_pay(user=cast.ana, loan=loan, value_date=DISBURSED)
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=Decimal("12000000"),
        value_date=DISBURSED,
    )
    first = installments(loan)[0]
    payment_apply(
        user=cast.ana,
        loan=loan,
        amount=first.principal + first.interest,
        value_date=first.payable,
        idempotency_key="pago-1",
    )
    loan.refresh_from_db()
    return loan


@pytest.fixture
def closed_session(cast, credit_file):
    """The file proposed, authorized in session with two votes in favour and one abstention, closed."""
    to_proposed(cast, credit_file)
    session = session_convene(
        user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala de Consejo, CDMX"
    )
    item = agenda_add_file(user=cast.sergio, session=session, file=credit_file)
    session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis, cast.elena])
    session_hold(user=cast.sergio, session=session)
    vote_cast(user=cast.marta, item=item, vote="favor")
    vote_cast(user=cast.luis, item=item, vote="favor")
    vote_cast(user=cast.elena, item=item, vote="abstencion")
    resolution_record(
        user=cast.sergio,
        item=item,
        decision="authorized",
        conditions="Constituir la hipoteca en primer lugar antes de la primera disposición.",
    )
    return session_close(user=cast.sergio, session=session)


def installments(loan: Loan) -> list[Installment]:
    return list(Installment.objects.filter(loan=loan, version__active=True).order_by("number"))


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(BytesIO(response.content))


def number(cell) -> Decimal:
    """A numeric cell's value (openpyxl reads numbers back as int or float)."""
    assert cell.data_type == "n", (cell.coordinate, cell.value)
    assert isinstance(cell.value, int | float), (cell.coordinate, cell.value)
    return Decimal(str(cell.value))


def audited(user, action: str, obj) -> AuditRecord:
    return AuditRecord.objects.get(
        user=user, action=f"document.{action}", object_type=obj._meta.label_lower, object_id=str(obj.pk)
    )


# ------------------------------------------------------------------------------------- HTML renders


def test_schedule_html_holds_terms_installments_and_totals(cast, loan):
    html = pdf.loan_schedule_html(loan=loan, user=cast.ana)
    rows = installments(loan)
    assert len(rows) == 36
    for expected in (
        loan.number,
        "Minera La Veta Madre, S.A. de C.V.",
        "$12,000,000.00",
        "TIIE de Fondeo a un día hábil + 3.50 % anual",
        "1.5 veces la tasa ordinaria",
        "36 meses, 0 de gracia de capital",
        "Mensual",
        loan.ruleset_version,
        "05/01/2026",
        "Generado el 03/03/2026",
        "Ana",
    ):
        assert expected in html, expected
    first = rows[0]
    assert first.principal_paid > 0
    assert format_money(first.principal + first.interest) in html
    assert format_money(first.opening_balance) in html
    assert format_money(sum((r.principal for r in rows), Decimal(0))) in html
    assert format_money(sum((r.interest for r in rows), Decimal(0))) in html
    assert html.count("<tr>") >= 36


def test_statement_html_holds_balances_and_the_payment(cast, loan):
    html = pdf.loan_statement_html(loan=loan, user=cast.ana)
    payment = loan.payments.get()
    assert "Estado de cuenta del crédito" in html
    assert format_money(payment.amount) in html
    assert format_money(loan.principal_balance) in html
    assert "05/02/2026" in html
    assert "Cartera vigente" in html


def test_dictamen_html_holds_findings_with_their_rules_coverage_and_resolution(cast, closed_session):
    file = closed_session.items.get().file
    html = pdf.file_dictamen_html(file=file, user=cast.sergio)
    cited = [f for f in findings(file) if f.rule]
    assert cited, "the engine gives findings with their rule"
    for finding in cited:
        assert cite(finding.rule) in html
    assert "Minera La Veta Madre, S.A. de C.V." in html
    assert "MVM120315AB4" in html
    assert "$12,000,000.00" in html
    assert "Comité Interno de Crédito" in html
    assert cite(file.evaluation["coverage"]["rule"]) in html
    assert "Hipoteca" in html or "hipoteca" in html
    resolution = closed_session.items.get().resolution
    assert f"acuerdo {resolution.agreement_number}" in html
    assert "Constituir la hipoteca en primer lugar" in html
    assert "a favor: 2 (Luis, Marta)" in html


def test_minutes_html_holds_attendance_votes_and_resolutions(cast, closed_session):
    html = pdf.session_minutes_html(session=closed_session, user=cast.sergio)
    item = closed_session.items.get()
    for expected in (
        f"Acta de la sesión {closed_session.number} del Comité Interno de Crédito",
        "Sala de Consejo, CDMX",
        "Elena; Luis; Marta",
        "A favor: 2 (Luis, Marta)",
        "Abstención: 1 (Elena)",
        "En contra: 0",
        f"acuerdo {item.resolution.agreement_number}",
        item.file.folio,
        "Da fe el secretario, Sergio",
    ):
        assert expected in html, expected


def test_an_open_session_has_no_minutes_yet(cast, credit_file):
    session = session_convene(
        user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala de Consejo"
    )
    response = login(cast.sergio).get(reverse("web:session_minutes_pdf", args=[session.pk]))
    assert response.status_code == 409
    assert "el acta se asienta al cerrarla" in response.content.decode()
    assert not AuditRecord.objects.filter(action="document.session_minutes_pdf").exists()


@pytest.mark.pure
def test_the_pdf_fetcher_refuses_anything_but_local_files():
    fetcher = pdf.local_fetcher()
    for url in ("https://example.com/logo.png", "http://127.0.0.1/x.css", "ftp://example.com/x"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetcher.fetch(url)
    assert fetcher.fetch((pdf.TEMPLATES / "base.html").as_uri()).path is not None


# ------------------------------------------------------------------------------------ PDF downloads


@pytest.mark.slow
def test_loan_pdfs_download_and_are_audited(cast, loan):
    client = login(cast.ana)
    for name, action, filename in (
        ("web:loan_schedule_pdf", "loan_schedule_pdf", f"tabla-de-amortizacion-{loan.number}.pdf"),
        ("web:loan_statement_pdf", "loan_statement_pdf", f"estado-de-cuenta-{loan.number}-20260303.pdf"),
    ):
        response = client.get(reverse(name, args=[loan.pk]))
        assert response.status_code == 200, name
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
        assert response.content.startswith(b"%PDF")
        record = audited(cast.ana, action, loan)
        assert record.office == loan.office
        assert filename in record.note


@pytest.mark.slow
def test_schedule_pdf_lays_out_pages(cast, loan):
    document = pdf.pdf_document(pdf.loan_schedule_html(loan=loan, user=cast.ana))
    assert len(document.pages) >= 1
    text = pdf.render_pdf(pdf.loan_schedule_html(loan=loan, user=cast.ana))
    assert text.startswith(b"%PDF")


@pytest.mark.slow
def test_dictamen_and_minutes_pdfs(cast, closed_session):
    file = closed_session.items.get().file
    response = login(cast.sergio).get(reverse("web:file_dictamen_pdf", args=[file.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == f'attachment; filename="dictamen-{file.folio}.pdf"'
    audited(cast.sergio, "file_dictamen_pdf", file)
    trail = login(cast.sergio).get(reverse("web:file", args=[file.pk])).content.decode()
    assert "Descarga del dictamen (PDF)" in trail

    response = login(cast.marta).get(reverse("web:session_minutes_pdf", args=[closed_session.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == f'attachment; filename="acta-{closed_session.number}.pdf"'
    audited(cast.marta, "session_minutes_pdf", closed_session)
    document = pdf.pdf_document(pdf.session_minutes_html(session=closed_session, user=cast.marta))
    assert len(document.pages) >= 1


# ----------------------------------------------------------------------------------------- scoping


def test_another_office_gets_404_and_nothing_is_audited(cast, loan, closed_session):
    sonora = login(cast.sofia)
    file = closed_session.items.get().file
    for url in (
        reverse("web:loan_schedule_pdf", args=[loan.pk]),
        reverse("web:loan_statement_pdf", args=[loan.pk]),
        reverse("web:loan_schedule_xlsx", args=[loan.pk]),
        reverse("web:file_dictamen_pdf", args=[file.pk]),
        reverse("web:session_minutes_pdf", args=[closed_session.pk]),
    ):
        assert sonora.get(url).status_code == 404, url
    # The minutes list every office's matters: a regional user of the same office does not get them.
    assert (
        login(cast.ana).get(reverse("web:session_minutes_pdf", args=[closed_session.pk])).status_code == 404
    )
    assert not AuditRecord.objects.filter(action__startswith="document.").exists()


def test_anonymous_users_are_sent_to_login(client, loan):
    response = client.get(reverse("web:loan_schedule_pdf", args=[loan.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/entrar/")


# ----------------------------------------------------------------------------------------- Excel


def test_schedule_xlsx_holds_the_schedule_as_numbers_and_dates(cast, loan):
    response = login(cast.ana).get(reverse("web:loan_schedule_xlsx", args=[loan.pk]))
    assert (
        response["Content-Disposition"] == f'attachment; filename="tabla-de-amortizacion-{loan.number}.xlsx"'
    )
    ws = workbook(response)["Tabla de amortización"]
    headers = [c.value for c in ws[1]]
    col = {h: i for i, h in enumerate(headers)}
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:P{len(installments(loan)) + 1}"
    assert ws.column_dimensions["B"].width > 10
    rows = installments(loan)
    assert ws.max_row == len(rows) + 1
    for excel_row, inst in zip(ws.iter_rows(min_row=2), rows, strict=True):
        assert number(excel_row[col["Núm."]]) == inst.number
        assert number(excel_row[col["Capital"]]) == inst.principal
        assert number(excel_row[col["Interés"]]) == inst.interest
        assert number(excel_row[col["Interés proyectado"]]) == inst.projected_interest
        assert number(excel_row[col["Pago programado"]]) == inst.principal + inst.interest
        assert number(excel_row[col["Capital pagado"]]) == inst.principal_paid
        assert number(excel_row[col["Interés pagado"]]) == inst.interest_paid
        assert excel_row[col["Vencimiento"]].is_date
        assert excel_row[col["Vencimiento"]].value.date() == inst.due
        assert excel_row[col["Capital"]].number_format == excel.MONEY_FORMAT
    first = next(ws.iter_rows(min_row=2, max_row=2))
    assert number(first[col["Capital pagado"]]) > 0
    audited(cast.ana, "loan_schedule_xlsx", loan)


def test_portfolio_xlsx_is_scoped_and_holds_the_positions(cast, loan):
    ws = workbook(login(cast.ana).get(reverse("web:portfolio_xlsx"))).active
    assert ws.title == "Cartera"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:O2"
    headers = [c.value for c in ws[1]]
    row = list(ws[2])
    values = dict(zip(headers, row, strict=True))
    assert values["Número de crédito"].value == loan.number
    assert values["Gerencia regional"].value == loan.office.name
    assert number(values["Monto contratado"]) == loan.contracted_amount
    assert number(values["Saldo de capital"]) == loan.principal_balance
    assert number(values["Interés ordinario"]) == loan.accrued_interest
    assert number(values["Interés moratorio"]) == loan.accrued_moratorium
    assert number(values["Días de atraso"]) == loan.days_past_due
    assert values["Clasificación"].value == "Cartera vigente"
    assert values["Primera ministración"].value.date() == DISBURSED
    record = AuditRecord.objects.get(user=cast.ana, action="document.portfolio_xlsx")
    assert record.note == "cartera-20260303.xlsx — 1 crédito"
    assert record.office == cast.zac

    sonora = workbook(login(cast.sofia).get(reverse("web:portfolio_xlsx"))).active
    assert sonora.max_row == 1  # the header only: Hermosillo has no loans


def test_pipeline_xlsx_is_scoped_and_holds_the_attention_clock(cast, credit_file):
    to_proposed(cast, credit_file)
    credit_file.refresh_from_db()
    response = login(cast.gerardo).get(reverse("web:pipeline_xlsx"))
    assert response["Content-Disposition"] == 'attachment; filename="expedientes-20260303.xlsx"'
    ws = workbook(response).active
    assert ws.title == "Expedientes"
    assert ws.freeze_panes == "A2"
    values = dict(zip([c.value for c in ws[1]], ws[2], strict=True))
    assert values["Folio"].value == credit_file.folio
    assert number(values["Monto solicitado"]) == credit_file.amount
    assert values["Instancia de decisión"].value == "Comité Interno de Crédito"
    assert values["Estado"].value == "Propuesto a comité"
    assert values["Límite de atención"].value.date() == credit_file.attention_deadline
    assert number(values["Días hábiles transcurridos"]) >= 0
    assert values["Días hábiles restantes"].data_type == "n"
    assert AuditRecord.objects.filter(user=cast.gerardo, action="document.pipeline_xlsx").count() == 1

    assert workbook(login(cast.sofia).get(reverse("web:pipeline_xlsx"))).active.max_row == 1


# ------------------------------------------------------------------------------------------- links


def test_the_pages_link_their_documents(cast, loan, closed_session):
    ana = login(cast.ana)
    for name in ("web:loan", "web:loan_statement"):
        body = ana.get(reverse(name, args=[loan.pk])).content.decode()
        for document in ("web:loan_schedule_pdf", "web:loan_schedule_xlsx", "web:loan_statement_pdf"):
            assert reverse(document, args=[loan.pk]) in body, (name, document)
    file = closed_session.items.get().file
    assert (
        reverse("web:file_dictamen_pdf", args=[file.pk])
        in ana.get(reverse("web:file", args=[file.pk])).content.decode()
    )
    assert reverse("web:pipeline_xlsx") in ana.get(reverse("web:files")).content.decode()
    home = ana.get("/").content.decode()
    assert reverse("web:portfolio_xlsx") in home
    assert reverse("web:pipeline_xlsx") in home
    session_page = login(cast.sergio).get(reverse("web:session", args=[closed_session.pk])).content.decode()
    assert reverse("web:session_minutes_pdf", args=[closed_session.pk]) in session_page
