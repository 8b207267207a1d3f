"""URL patterns of this part of the web pages, added to the "web" namespace by filon.web.urls."""

from django.urls import URLPattern, path

from filon.web.factoring import views as factoring

urlpatterns: list[URLPattern] = [
    path("cadenas/", factoring.epo_list, name="epos"),
    path("cadenas/admitir/", factoring.epo_admit_view, name="epo_admit"),
    path("cadenas/<int:pk>/", factoring.epo_detail, name="epo"),
    path("cadenas/<int:pk>/proveedores/", factoring.supplier_adhere_view, name="epo_supplier_adhere"),
    path("cadenas/<int:pk>/documentos/", factoring.document_upload_view, name="epo_document_upload"),
    path(
        "cadenas/documentos/<int:pk>/descontar/",
        factoring.document_discount_view,
        name="epo_document_discount",
    ),
    path("cadenas/documentos/<int:pk>/archivo/", factoring.document_file_view, name="epo_document_file"),
    path("cadenas/documentos/<int:pk>/cobrar/", factoring.document_collect_view, name="epo_document_collect"),
]
