"""Document downloads: PDFs of a loan, a credit file and a committee session, and Excel exports.

Each view reads its object through the same scoped selector as the page (another office's loan or file is a
404), renders the document, records the download in the audit trail and sends it as an attachment.
"""

from __future__ import annotations

from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse

from filon.committees.selectors import session_get_for_user, session_minutes_for_user
from filon.core.calendar import today_mx
from filon.documents import excel, pdf
from filon.documents.services import document_issued
from filon.errors import DomainError, ValidationFailed
from filon.origination.selectors import file_get_for_user, file_list_for_user
from filon.servicing.selectors import loan_get_for_user, loan_list_for_user
from filon.web.http import web_view
from filon.web.loans.forms import StatementPeriodForm, statement_period

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _safe(text: str) -> str:
    """A name part fit for a file name: CR-ZAC-2026-0001/2 → CR-ZAC-2026-0001-2."""
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)


def _count(n: int, one: str, many: str) -> str:
    """1 crédito, 3 créditos."""
    return f"1 {one}" if n == 1 else f"{n:,} {many}"


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _issue(
    request: HttpRequest,
    *,
    document: str,
    obj: Model,
    content: bytes,
    content_type: str,
    filename: str,
    office: object = None,
    note: str = "",
) -> HttpResponse:
    document_issued(
        user=request.user, document=document, obj=obj, filename=filename, office=office, note=note
    )
    return _attachment(content, content_type, filename)


# -------------------------------------------------------------------------------------------- loans


@web_view()
def loan_schedule_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    content = pdf.render_pdf(pdf.loan_schedule_html(loan=loan, user=request.user))
    return _issue(
        request,
        document="loan_schedule_pdf",
        obj=loan,
        content=content,
        content_type=PDF,
        filename=f"tabla-de-amortizacion-{_safe(loan.number)}.pdf",
        office=loan.office,
    )


@web_view()
def loan_statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    form, start, end = statement_period(request.GET, today_mx())
    if form.errors:
        raise ValidationFailed(
            [DomainError(str(e), field=name) for name, errors in form.errors.items() for e in errors]
        )
    content = pdf.render_pdf(
        pdf.loan_statement_html(loan=loan, user=request.user, period_from=start, period_to=end)
    )
    return _issue(
        request,
        document="loan_statement_pdf",
        obj=loan,
        content=content,
        content_type=PDF,
        filename=f"estado-de-cuenta-{_safe(loan.number)}-{today_mx():%Y%m%d}.pdf",
        office=loan.office,
    )


@web_view()
def borrower_statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The «Estado de cuenta del acreditado» of the period asked for (?desde=&hasta=), by default the
    current month."""
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    today = today_mx()
    form = StatementPeriodForm(request.GET or None)
    start, end = pdf.borrower_period_default(loan, today)
    if form.is_bound:
        if not form.is_valid():
            raise ValidationFailed(
                [DomainError(str(e), field=name) for name, errors in form.errors.items() for e in errors]
            )
        start = form.cleaned_data["desde"] or start
        end = form.cleaned_data["hasta"] or end
        if start > end:
            raise ValidationFailed(
                [DomainError("La fecha inicial del periodo es posterior a la final.", field="desde")]
            )
    content = pdf.render_pdf(
        pdf.borrower_statement_html(loan=loan, user=request.user, period_from=start, period_to=end)
    )
    return _issue(
        request,
        document="borrower_statement_pdf",
        obj=loan,
        content=content,
        content_type=PDF,
        filename=f"estado-de-cuenta-acreditado-{_safe(loan.number)}-{end:%Y%m%d}.pdf",
        office=loan.office,
        note=f"periodo {start:%d/%m/%Y}–{end:%d/%m/%Y}",
    )


@web_view()
def payment_receipt_pdf(request: HttpRequest, pk: int, payment_pk: int) -> HttpResponse:
    """The receipt of one payment of a loan the user may see (another loan's payment is a 404)."""
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    payment = loan.payments.filter(pk=payment_pk).first()
    if payment is None:
        raise Http404("No existe ese pago en el crédito.")
    content = pdf.render_pdf(pdf.payment_receipt_html(payment=payment, user=request.user))
    folio = pdf.payment_folio(payment)
    return _issue(
        request,
        document="payment_receipt_pdf",
        obj=payment,
        content=content,
        content_type=PDF,
        filename=f"recibo-{_safe(folio)}.pdf",
        office=loan.office,
    )


@web_view()
def loan_schedule_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    loan = loan_get_for_user(user=request.user, loan_id=pk)
    wb, count = excel.schedule_workbook(loan)
    return _issue(
        request,
        document="loan_schedule_xlsx",
        obj=loan,
        content=excel.workbook_bytes(wb),
        content_type=XLSX,
        filename=f"tabla-de-amortizacion-{_safe(loan.number)}.xlsx",
        office=loan.office,
        note=_count(count, "amortización", "amortizaciones"),
    )


# --------------------------------------------------------------------------------- files and sessions


@web_view()
def file_dictamen_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    file = file_get_for_user(user=request.user, file_id=pk)
    content = pdf.render_pdf(pdf.file_dictamen_html(file=file, user=request.user))
    return _issue(
        request,
        document="file_dictamen_pdf",
        obj=file,
        content=content,
        content_type=PDF,
        filename=f"dictamen-{_safe(file.folio)}.pdf",
        office=file.office,
    )


@web_view()
def session_minutes_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    session = session_get_for_user(user=request.user, session_id=pk)
    session_minutes_for_user(user=request.user, session_id=session.pk)  # the minutes' own scoping
    content = pdf.render_pdf(pdf.session_minutes_html(session=session, user=request.user))
    return _issue(
        request,
        document="session_minutes_pdf",
        obj=session,
        content=content,
        content_type=PDF,
        filename=f"acta-{_safe(session.number)}.pdf",
    )


# ------------------------------------------------------------------------------------------ exports


@web_view()
def portfolio_xlsx(request: HttpRequest) -> HttpResponse:
    wb, count = excel.portfolio_workbook(loan_list_for_user(user=request.user))
    return _issue(
        request,
        document="portfolio_xlsx",
        obj=request.user,
        content=excel.workbook_bytes(wb),
        content_type=XLSX,
        filename=f"cartera-{today_mx():%Y%m%d}.xlsx",
        office=request.user.office,
        note=_count(count, "crédito", "créditos"),
    )


@web_view()
def pipeline_xlsx(request: HttpRequest) -> HttpResponse:
    wb, count = excel.pipeline_workbook(file_list_for_user(user=request.user))
    return _issue(
        request,
        document="pipeline_xlsx",
        obj=request.user,
        content=excel.workbook_bytes(wb),
        content_type=XLSX,
        filename=f"expedientes-{today_mx():%Y%m%d}.xlsx",
        office=request.user.office,
        note=_count(count, "expediente", "expedientes"),
    )
