"""URL patterns of this part of the web pages, added to the "web" namespace by filon.web.urls."""

from django.urls import URLPattern, path

from filon.web.documents import views as documents

urlpatterns: list[URLPattern] = [
    path(
        "creditos/<int:pk>/tabla-de-amortizacion.pdf", documents.loan_schedule_pdf, name="loan_schedule_pdf"
    ),
    path("creditos/<int:pk>/estado-de-cuenta.pdf", documents.loan_statement_pdf, name="loan_statement_pdf"),
    path(
        "creditos/<int:pk>/estado-de-cuenta-acreditado.pdf",
        documents.borrower_statement_pdf,
        name="borrower_statement_pdf",
    ),
    path(
        "creditos/<int:pk>/pagos/<int:payment_pk>/recibo.pdf",
        documents.payment_receipt_pdf,
        name="payment_receipt_pdf",
    ),
    path(
        "creditos/<int:pk>/tabla-de-amortizacion.xlsx",
        documents.loan_schedule_xlsx,
        name="loan_schedule_xlsx",
    ),
    path("expedientes/<int:pk>/dictamen.pdf", documents.file_dictamen_pdf, name="file_dictamen_pdf"),
    path("comites/<int:pk>/acta.pdf", documents.session_minutes_pdf, name="session_minutes_pdf"),
    path("exportar/cartera.xlsx", documents.portfolio_xlsx, name="portfolio_xlsx"),
    path("exportar/expedientes.xlsx", documents.pipeline_xlsx, name="pipeline_xlsx"),
]
