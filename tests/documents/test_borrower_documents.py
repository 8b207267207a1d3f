"""The borrower's documents: the receipt of each payment (with its allocation, the principal left and who
registered it; cancelled once reversed), the «estado de cuenta del acreditado» (balances at the period's
start and end, the period's payments, the rate broken down, the CAT and the legends), and the office's
statement of a loan with two payments, which lists them (and, for a period after them, says when the last
one was received instead of «Aún no hay pagos»).

Time is frozen on Tuesday 03/03/2026; the loan (12 M MXN, 36 monthly payments) was disbursed on 05/01/2026,
its first installment paid on 05/02/2026 and 1,000.00 paid ahead on 02/03/2026 (held in pagos por aplicar).
The PDFs' text is read from WeasyPrint's laid-out pages (`pdf_text`), what the PDF prints.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import proposal_data, to_ready
from filon.audit.models import AuditRecord
from filon.core.cat import CashFlow, cat_percent
from filon.core.money import format_money
from filon.demo.scenarios import loan_disburse
from filon.documents import legends, pdf
from filon.servicing.models import Installment, Payment
from filon.servicing.payments import payment_apply
from filon.servicing.release import reversal_approve, reversal_request
from filon.servicing.services import commission_pay, loan_create_from_file
from web.web_support import frozen, login

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)

DISBURSED = dt.date(2026, 1, 5)
AMOUNT = Decimal("12000000")
AHEAD = Decimal("1000.00")


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
        captured_by=cast.ana, released_by=cast.gerardo, loan=loan, amount=AMOUNT, value_date=DISBURSED
    )
    first = Installment.objects.filter(loan=loan, version__active=True).order_by("number").first()
    payment_apply(
        user=cast.ana,
        loan=loan,
        amount=first.principal + first.interest,
        value_date=first.payable,
        idempotency_key="pago-1",
    )
    payment_apply(
        user=cast.ana, loan=loan, amount=AHEAD, value_date=dt.date(2026, 3, 2), idempotency_key="pago-2"
    )
    loan.refresh_from_db()
    return loan


def pdf_text(html: str) -> str:
    """The text WeasyPrint lays out on the PDF's pages, in order, spaces collapsed."""
    found: list[str] = []

    def walk(box) -> None:
        text = getattr(box, "text", None)
        if isinstance(text, str):
            found.append(text)
        for child in getattr(box, "children", ()):
            walk(child)

    for page in pdf.pdf_document(html).pages:
        walk(page._page_box)
    return " ".join(" ".join(found).split())


def rendered(monkeypatch) -> list[str]:
    """The HTML of every PDF the views render, as they hand it to WeasyPrint."""
    seen: list[str] = []
    real = pdf.render_pdf

    def keep(html: str) -> bytes:
        seen.append(html)
        return real(html)

    monkeypatch.setattr(pdf, "render_pdf", keep)
    return seen


def payments(loan) -> list[Payment]:
    return list(loan.payments.order_by("value_date", "id"))


# ------------------------------------------------------------------------ the office's statement (bug)


@pytest.mark.slow
def test_statement_pdf_of_a_loan_with_two_payments_lists_both(cast, loan, monkeypatch):
    seen = rendered(monkeypatch)
    response = login(cast.ana).get(reverse("web:loan_statement_pdf", args=[loan.pk]))
    assert response.status_code == 200
    text = pdf_text(seen[-1])
    first, second = payments(loan)
    assert "Aún no hay pagos" not in text
    assert "Sin pagos en el periodo" not in text
    for payment in (first, second):
        assert f"{payment.value_date:%d/%m/%Y} {format_money(payment.amount)}" in text


@pytest.mark.slow
def test_statement_pdf_of_a_period_after_the_payments_names_the_last_one(cast, loan, monkeypatch):
    seen = rendered(monkeypatch)
    url = reverse("web:loan_statement_pdf", args=[loan.pk]) + "?desde=2026-03-03&hasta=2026-03-03"
    assert login(cast.ana).get(url).status_code == 200
    text = pdf_text(seen[-1])
    assert "Aún no hay pagos" not in text
    assert (
        "Sin pagos en el periodo. Antes del 03/03/2026 se recibieron 2 pagos; "
        f"el último, el 02/03/2026 por {format_money(AHEAD)}."
    ) in text


# ---------------------------------------------------------------------------------------- receipts


def test_receipt_holds_the_allocation_the_balance_after_and_who_registered(cast, loan):
    first, second = payments(loan)
    context = pdf.payment_receipt_context(payment=first, user=cast.ana)
    assert context["folio"] == f"{loan.number}-P001"
    assert pdf.payment_folio(second) == f"{loan.number}-P002"
    by_concept = {a["concept"]: Decimal(a["amount"]) for a in first.allocation}
    groups = {g.label: g.amount for g in context["groups"]}
    assert groups == {
        "Intereses ordinarios": by_concept["intereses_vigentes"],
        "Capital": by_concept["capital_vigente"],
    }
    assert context["applied_total"] == first.amount
    assert context["principal_after"] == AMOUNT - by_concept["capital_vigente"]
    assert context["registered_by"] == (cast.ana.get_full_name() or cast.ana.username)
    html = pdf.payment_receipt_html(payment=first, user=cast.ana)
    for expected in (
        f"Recibo de pago {loan.number}-P001",
        format_money(first.amount),
        format_money(AMOUNT - by_concept["capital_vigente"]),
        "05/02/2026",
        "Minera La Veta Madre, S.A. de C.V.",
        context["registered_by"],
        "CONDUSEF",
    ):
        assert expected in html, expected
    assert "Cancelado" not in html
    held = pdf.payment_receipt_context(payment=second, user=cast.ana)
    assert [(g.label, g.amount) for g in held["groups"]] == [("Excedente en pagos por aplicar", AHEAD)]


@pytest.mark.slow
def test_receipt_downloads_from_the_loan_page_is_audited_and_scoped(cast, loan, monkeypatch):
    first, second = payments(loan)
    ana = login(cast.ana)
    page = ana.get(reverse("web:loan", args=[loan.pk])).content.decode()
    for payment in (first, second):
        assert reverse("web:payment_receipt_pdf", args=[loan.pk, payment.pk]) in page
    seen = rendered(monkeypatch)
    response = ana.get(reverse("web:payment_receipt_pdf", args=[loan.pk, first.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == f'attachment; filename="recibo-{loan.number}-P001.pdf"'
    text = pdf_text(seen[-1])
    assert f"Importe recibido {format_money(first.amount)}" in text
    record = AuditRecord.objects.get(action="document.payment_receipt_pdf", user=cast.ana)
    assert record.office == loan.office
    assert (
        login(cast.sofia).get(reverse("web:payment_receipt_pdf", args=[loan.pk, first.pk])).status_code == 404
    )
    assert ana.get(reverse("web:payment_receipt_pdf", args=[loan.pk, 999999])).status_code == 404


def test_a_reversed_payment_receipt_is_cancelled_with_its_reversal(cast, loan):
    second = payments(loan)[1]
    request = reversal_request(user=cast.ana, payment=second, reason="Depósito duplicado")
    reversal_approve(user=cast.gerardo, request=request)
    second.refresh_from_db()
    context = pdf.payment_receipt_context(payment=second, user=cast.ana)
    assert context["cancelled"]
    assert context["reversed_on"] == second.reversal_entry.business_date
    html = pdf.payment_receipt_html(payment=second, user=cast.ana)
    assert "Cancelado" in html
    assert "Depósito duplicado" in html
    assert f"reversado el {second.reversal_entry.business_date:%d/%m/%Y}" in html


# ----------------------------------------------------------------------- the borrower's statement


def _engine_cat(loan) -> Decimal:
    rows = Installment.objects.filter(loan=loan, version__active=True)
    flows = [CashFlow(r.number * loan.payment_every_months, r.principal + r.interest) for r in rows]
    flows.append(CashFlow(0, loan.opening_commission))
    return cat_percent(disbursements=[CashFlow(0, AMOUNT)], payments=flows)


def test_borrower_statement_of_february_holds_balances_payment_rate_cat_and_legends(cast, loan):
    first = payments(loan)[0]
    principal_paid = sum(Decimal(a["amount"]) for a in first.allocation if a["concept"] == "capital_vigente")
    context = pdf.borrower_statement_context(
        loan=loan, user=cast.ana, period_from=dt.date(2026, 2, 1), period_to=dt.date(2026, 2, 28)
    )
    capital = context["balances"][0]
    assert (capital.label, capital.opening, capital.closing) == ("Capital", AMOUNT, AMOUNT - principal_paid)
    assert [p.id for p in context["st"].payments] == [first.pk]
    assert context["cat"] == _engine_cat(loan)
    assert context["rate_breakdown"].total == context["rate_breakdown"].base_value + loan.spread
    assert context["sums"]["interest"] > 0
    html = pdf.borrower_statement_html(
        loan=loan, user=cast.ana, period_from=dt.date(2026, 2, 1), period_to=dt.date(2026, 2, 28)
    )
    rate = context["rate_breakdown"]
    for expected in (
        "Estado de cuenta del acreditado",
        "Periodo del 01/02/2026 al 28/02/2026",
        f"{rate.base_name} ",
        f"(al {rate.base_date:%d/%m/%Y}) + 3.50 pp = ",
        f"CAT <strong>{context['cat']} %</strong> sin IVA",
        "para fines informativos y de comparación",
        "Costo Anual Total",
        "90 días naturales siguientes a la fecha de corte",
        "Unidad Especializada de Atención a Usuarios",
        "CONDUSEF",
        "dividida entre 360",
        format_money(first.amount),
        format_money(AMOUNT - principal_paid),
    ):
        assert expected in html, expected
    assert len(context["legends"]) == len(legends.STATEMENT_LEGENDS)


@pytest.mark.slow
def test_borrower_statement_pdf_defaults_to_the_current_month(cast, loan, monkeypatch):
    seen = rendered(monkeypatch)
    response = login(cast.ana).get(reverse("web:borrower_statement_pdf", args=[loan.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="estado-de-cuenta-acreditado-{loan.number}-20260303.pdf"'
    )
    text = pdf_text(seen[-1])
    assert "Periodo del 01/03/2026 al 03/03/2026" in text
    assert f"02/03/2026 {format_money(AHEAD)}" in text  # the period's payment
    assert f"Pagos por aplicar: {format_money(AHEAD)}" in text  # and its allocation
    assert AuditRecord.objects.filter(action="document.borrower_statement_pdf", user=cast.ana).exists()
    bad = login(cast.ana).get(
        reverse("web:borrower_statement_pdf", args=[loan.pk]) + "?desde=2026-03-03&hasta=2026-03-01"
    )
    assert bad.status_code == 422
    assert "La fecha final del periodo es anterior a la inicial" in bad.content.decode()
    assert login(cast.sofia).get(reverse("web:borrower_statement_pdf", args=[loan.pk])).status_code == 404


@pytest.mark.slow
def test_the_api_gives_the_receipt_of_a_payment(client, cast, loan):
    from filon.accounts.services import api_token_create

    first = payments(loan)[0]
    tokens = {
        name: api_token_create(actor=None, user=getattr(cast, name), name="pruebas")[1]
        for name in ("ana", "sofia")
    }

    def get(who, path):
        return client.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {tokens[who]}")

    response = get("ana", f"/loans/{loan.pk}/payments/{first.pk}/receipt")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == f'attachment; filename="recibo-{loan.number}-P001.pdf"'
    assert AuditRecord.objects.filter(action="document.payment_receipt_pdf", object_id=str(first.pk)).exists()
    assert get("ana", f"/loans/{loan.pk}/payments/999999/receipt").status_code == 404
    assert get("sofia", f"/loans/{loan.pk}/payments/{first.pk}/receipt").status_code == 404
