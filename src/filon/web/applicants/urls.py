"""URL patterns of this part of the web pages, added to the "web" namespace by filon.web.urls."""

from django.urls import URLPattern, path

from filon.web.applicants import views

urlpatterns: list[URLPattern] = [
    path("solicitantes/", views.applicant_list, name="applicants"),
    path("solicitantes/nuevo/", views.applicant_new, name="applicant_new"),
    path("solicitantes/<int:pk>/", views.applicant_detail, name="applicant"),
    path("solicitantes/<int:pk>/modificar/", views.applicant_edit, name="applicant_edit"),
    path("solicitantes/<int:pk>/personas/", views.related_person_new, name="related_person_new"),
    path("solicitantes/<int:pk>/buro/", views.bureau_record_new, name="bureau_record_new"),
]
