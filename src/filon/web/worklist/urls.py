"""URL patterns of this part of the web pages, added to the "web" namespace by filon.web.urls."""

from django.urls import URLPattern, path

from filon.web.worklist import views as worklist

urlpatterns: list[URLPattern] = [
    path("pendientes/", worklist.pending, name="pending"),
    path("avisos/", worklist.notices, name="notices"),
    path("avisos/<int:pk>/leido/", worklist.notice_read_view, name="notice_read"),
    path("avisos/leidos/", worklist.notices_read_all_view, name="notices_read_all"),
]
