"""URL patterns of the user administration pages (issue 16), added to the "web" namespace by filon.web.urls."""

from django.urls import URLPattern, path

from filon.web.users import views as users

urlpatterns: list[URLPattern] = [
    path("usuarios/", users.user_list, name="users"),
    path("usuarios/nuevo/", users.user_new, name="user_new"),
    path("usuarios/<int:pk>/", users.user_detail, name="user"),
    path("usuarios/<int:pk>/accion/<slug:action>/", users.user_action, name="user_action"),
    path("mi-contrasena/", users.password_change, name="password_change"),
]
