"""The web pages (Spanish paths). The home dashboard is routed as "home" in filon.urls."""

from django.urls import path

from filon.web import committee_views as committees
from filon.web import (
    document_urls,
    factoring_urls,
    fund_urls,
    goal_urls,
    loan_urls,
    operations_urls,
    program_urls,
    views,
)
from filon.web import file_views as files

app_name = "web"

urlpatterns = [
    # Applicants
    path("solicitantes/", views.applicant_list, name="applicants"),
    path("solicitantes/nuevo/", views.applicant_new, name="applicant_new"),
    path("solicitantes/<int:pk>/", views.applicant_detail, name="applicant"),
    path("solicitantes/<int:pk>/modificar/", views.applicant_edit, name="applicant_edit"),
    path("solicitantes/<int:pk>/personas/", views.related_person_new, name="related_person_new"),
    path("solicitantes/<int:pk>/buro/", views.bureau_record_new, name="bureau_record_new"),
    path("solicitantes/<int:pk>/expedientes/nuevo/", files.file_new, name="file_new"),
    # Credit files
    path("expedientes/", files.file_list, name="files"),
    path("expedientes/<int:pk>/", files.file_detail, name="file"),
    path("expedientes/<int:pk>/propuesta/", files.file_proposal, name="file_proposal"),
    path("expedientes/<int:pk>/accion/<slug:action>/", files.file_transition, name="file_transition"),
    path("expedientes/<int:pk>/formalizar/", files.file_formalize_view, name="file_formalize"),
    path("expedientes/<int:pk>/cancelar/", files.file_cancel_view, name="file_cancel"),
    path(
        "expedientes/<int:pk>/requisitos/<int:item_id>/cargar/",
        files.requirement_upload_view,
        name="requirement_upload",
    ),
    path(
        "expedientes/<int:pk>/requisitos/<int:item_id>/revisar/",
        files.requirement_review_view,
        name="requirement_review",
    ),
    path(
        "expedientes/<int:pk>/requisitos/<int:item_id>/no-aplica/",
        files.requirement_not_applicable_view,
        name="requirement_not_applicable",
    ),
    path(
        "expedientes/<int:pk>/requisitos/<int:item_id>/dictamen/",
        files.requirement_legal_view,
        name="requirement_legal",
    ),
    path("expedientes/<int:pk>/documentos/<int:upload_id>/", files.document_download, name="document"),
    path("expedientes/<int:pk>/garantias/", files.guarantee_new, name="guarantee_new"),
    path("expedientes/<int:pk>/garantias/<int:guarantee_id>/", files.guarantee_edit, name="guarantee_edit"),
    path(
        "expedientes/<int:pk>/garantias/<int:guarantee_id>/retirar/",
        files.guarantee_remove_view,
        name="guarantee_remove",
    ),
    path(
        "expedientes/<int:pk>/garantias/<int:guarantee_id>/solicitud/",
        files.guarantee_change,
        name="guarantee_change",
    ),
    # Committees
    path("comites/", committees.session_list, name="sessions"),
    path("comites/convocar/", committees.session_new, name="session_new"),
    path("comites/<int:pk>/", committees.session_detail, name="session"),
    path("comites/<int:pk>/asistencia/", committees.session_attendance_view, name="session_attendance"),
    path("comites/<int:pk>/celebrar/", committees.session_hold_view, name="session_hold"),
    path("comites/<int:pk>/cerrar/", committees.session_close_view, name="session_close"),
    path("comites/<int:pk>/orden/", committees.agenda_add_view, name="agenda_add"),
    path("comites/<int:pk>/orden/garantias/", committees.agenda_add_change_view, name="agenda_add_change"),
    path("comites/<int:pk>/asuntos/<int:item_id>/votar/", committees.vote_view, name="vote"),
    path("comites/<int:pk>/asuntos/<int:item_id>/resolver/", committees.resolution_view, name="resolution"),
    path("comites/<int:pk>/asuntos/<int:item_id>/retirar/", committees.withdraw_view, name="withdraw"),
]

urlpatterns += loan_urls.urlpatterns + document_urls.urlpatterns + operations_urls.urlpatterns
urlpatterns += program_urls.urlpatterns + fund_urls.urlpatterns + factoring_urls.urlpatterns
urlpatterns += goal_urls.urlpatterns
