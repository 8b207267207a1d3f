"""URL patterns of this part of the web pages, added to the "web" namespace by filon.web.urls."""

from django.urls import URLPattern, path

from filon.web.files import views as files

urlpatterns: list[URLPattern] = [
    path("solicitantes/<int:pk>/expedientes/nuevo/", files.file_new, name="file_new"),
    # Credit files
    path("expedientes/", files.file_list, name="files"),
    path("expedientes/<int:pk>/", files.file_detail, name="file"),
    path("expedientes/<int:pk>/propuesta/", files.file_proposal, name="file_proposal"),
    path("expedientes/<int:pk>/accion/<slug:action>/", files.file_transition, name="file_transition"),
    path("expedientes/<int:pk>/formalizar/", files.file_formalize_view, name="file_formalize"),
    path("expedientes/<int:pk>/cancelar/", files.file_cancel_view, name="file_cancel"),
    path("expedientes/<int:pk>/visto-bueno/", files.file_signoff_view, name="file_signoff"),
    path("expedientes/<int:pk>/devolver/", files.file_signoff_return_view, name="file_signoff_return"),
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
]
