"""URL patterns of this part of the web pages, added to the "web" namespace by filon.web.urls."""

from django.urls import URLPattern, path

from filon.web.operations import views as operations

urlpatterns: list[URLPattern] = [
    path("operaciones/", operations.operations, name="operations"),
    path("operaciones/cierre/", operations.close_new, name="close_new"),
    path("operaciones/tasas/", operations.rate_import_new, name="rate_import_new"),
    path("operaciones/fecha-de-negocio/", operations.business_date_advance, name="business_date_advance"),
    path("operaciones/<int:pk>/", operations.run_detail, name="run"),
    path("operaciones/<int:pk>/avance/", operations.run_status, name="run_status"),
    path("operaciones/tareas/<slug:code>/", operations.schedule_edit, name="schedule_edit"),
    path("operaciones/tareas/<slug:code>/ejecutar/", operations.job_run_now, name="job_run_now"),
]
