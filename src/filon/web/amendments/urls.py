"""URL patterns of this part of the web pages, added to the "web" namespace by filon.web.urls."""

from django.urls import URLPattern, path

from filon.web.amendments import views

urlpatterns: list[URLPattern] = [
    path("reglas/modificaciones/", views.amendments, name="amendments"),
    path("reglas/modificaciones/nueva/", views.amendment_new, name="amendment_new"),
    path("reglas/modificaciones/<int:pk>/", views.amendment_detail, name="amendment"),
    path("reglas/modificaciones/<int:pk>/aprobar/", views.amendment_approve_view, name="amendment_approve"),
    path("reglas/modificaciones/<int:pk>/rechazar/", views.amendment_reject_view, name="amendment_reject"),
]
