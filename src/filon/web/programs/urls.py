"""URL patterns of this part of the web pages, added to the "web" namespace by filon.web.urls."""

from django.urls import URLPattern, path

from filon.web.programs import views

urlpatterns: list[URLPattern] = [
    path("programas/", views.program_list, name="programs"),
    path("programas/presupuesto/", views.year_budget_view, name="year_budget"),
    path("programas/<slug:code>/", views.program_detail, name="program"),
    path("programas/<slug:code>/derrama/", views.allotment_view, name="allotment"),
    path("programas/<slug:code>/participantes/", views.participant_new, name="participant_new"),
    path("expedientes/<int:pk>/programa/pasos/<int:number>/", views.file_step_view, name="file_program_step"),
    path("expedientes/<int:pk>/programa/parametrica/", views.file_parametric_view, name="file_parametric"),
    path(
        "expedientes/<int:pk>/programa/estados-financieros/",
        views.file_statement_view,
        name="file_statement",
    ),
]
