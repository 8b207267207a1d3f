"""URL patterns of this part of the web pages, added to the "web" namespace by filon.web.urls."""

from django.urls import URLPattern, path

from filon.web.committees import views as committees

urlpatterns: list[URLPattern] = [
    path("comites/", committees.session_list, name="sessions"),
    path("comites/convocar/", committees.session_new, name="session_new"),
    path("comites/<int:pk>/", committees.session_detail, name="session"),
    path("comites/<int:pk>/asistencia/", committees.session_attendance_view, name="session_attendance"),
    path("comites/<int:pk>/celebrar/", committees.session_hold_view, name="session_hold"),
    path("comites/<int:pk>/fecha/", committees.session_reschedule_view, name="session_reschedule"),
    path("comites/<int:pk>/cerrar/", committees.session_close_view, name="session_close"),
    path("comites/<int:pk>/orden/", committees.agenda_add_view, name="agenda_add"),
    path("comites/<int:pk>/orden/garantias/", committees.agenda_add_change_view, name="agenda_add_change"),
    path(
        "comites/<int:pk>/orden/creditos/",
        committees.agenda_add_loan_request_view,
        name="agenda_add_loan_request",
    ),
    path("comites/<int:pk>/asuntos/<int:item_id>/votar/", committees.vote_view, name="vote"),
    path("comites/<int:pk>/asuntos/<int:item_id>/resolver/", committees.resolution_view, name="resolution"),
    path("comites/<int:pk>/asuntos/<int:item_id>/retirar/", committees.withdraw_view, name="withdraw"),
]
