"""URL patterns of the goals pages (SPEC G-1), added to the "web" namespace by filon.web.urls."""

from django.urls import URLPattern, path

from filon.web.goals import views as goals

urlpatterns: list[URLPattern] = [
    path("metas/", goals.scorecard, name="scorecard"),
    path("metas/excel/", goals.scorecard_xlsx, name="scorecard_xlsx"),
    path("capacitacion/", goals.training_event_list, name="training_events"),
    path("capacitacion/nuevo/", goals.training_event_new, name="training_event_new"),
    path("capacitacion/<int:pk>/", goals.training_event_detail, name="training_event"),
    path(
        "capacitacion/<int:pk>/participantes/",
        goals.training_participant_new,
        name="training_participant_new",
    ),
    path("asistencia-tecnica/", goals.visit_list, name="ta_visits"),
    path("asistencia-tecnica/nueva/", goals.visit_new, name="ta_visit_new"),
    path("organizaciones-aliadas/", goals.partner_list_view, name="goal_partners"),
]
