"""URL patterns of this part of the web pages, added to the "web" namespace by filon.web.urls."""

from django.urls import URLPattern, path

from filon.web.loans import views as loans

urlpatterns: list[URLPattern] = [
    path("expedientes/<int:pk>/credito/", loans.loan_create, name="loan_create"),
    path("creditos/", loans.loan_list, name="loans"),
    path("creditos/<int:pk>/", loans.loan_detail, name="loan"),
    path("creditos/<int:pk>/estado-de-cuenta/", loans.loan_statement_view, name="loan_statement"),
    path("creditos/<int:pk>/comision/", loans.commission_pay_view, name="loan_commission"),
    path("creditos/<int:pk>/ministraciones/", loans.disbursement_create_view, name="loan_disburse"),
    path("creditos/<int:pk>/pagos/", loans.payment_apply_view, name="loan_payment"),
    path(
        "creditos/<int:pk>/pagos/<int:payment_id>/reversa/",
        loans.payment_reverse_view,
        name="loan_payment_reverse",
    ),
    path(
        "creditos/<int:pk>/ordenes/<int:order_id>/liberar/",
        loans.order_release_view,
        name="loan_order_release",
    ),
    path(
        "creditos/<int:pk>/ordenes/<int:order_id>/cancelar/",
        loans.order_cancel_view,
        name="loan_order_cancel",
    ),
    path(
        "creditos/<int:pk>/reversas/<int:request_id>/aprobar/",
        loans.reversal_approve_view,
        name="loan_reversal_approve",
    ),
    path(
        "creditos/<int:pk>/reversas/<int:request_id>/rechazar/",
        loans.reversal_reject_view,
        name="loan_reversal_reject",
    ),
    path(
        "creditos/<int:pk>/obligaciones/<int:task_id>/cumplir/",
        loans.task_complete_view,
        name="loan_task_complete",
    ),
    path("creditos/<int:pk>/cierre/", loans.loan_closing, name="loan_closing"),
    path("creditos/<int:pk>/cierre/castigo/", loans.write_off_view, name="loan_write_off"),
    path("creditos/<int:pk>/cierre/recuperaciones/", loans.recovery_view, name="loan_recovery"),
    path(
        "creditos/<int:pk>/cierre/garantias/<int:guarantee_id>/liberacion/",
        loans.guarantee_release_view,
        name="loan_guarantee_release",
    ),
    path("creditos/<int:pk>/carta-de-finiquito.pdf", loans.payoff_letter_pdf, name="loan_payoff_letter_pdf"),
    path("creditos/<int:pk>/reestructura/", loans.restructuring_page, name="loan_restructuring"),
    path(
        "creditos/<int:pk>/reestructura/<int:request_id>/",
        loans.restructuring_request,
        name="loan_restructuring_request",
    ),
    path(
        "creditos/<int:pk>/reestructura/<int:request_id>/aplicar/",
        loans.restructuring_apply_view,
        name="loan_restructuring_apply",
    ),
    path(
        "creditos/<int:pk>/reestructura/<int:request_id>/retirar/",
        loans.loan_request_withdraw_view,
        name="loan_request_withdraw",
    ),
]
