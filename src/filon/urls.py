from django.contrib.auth import views as auth_views
from django.urls import include, path

from filon.accounts.forms import LoginForm
from filon.api import urls as api_urls
from filon.web.home.views import dashboard

urlpatterns = [
    path("api/v1/", api_urls()),
    path("", dashboard, name="home"),
    path("", include("filon.web.urls")),
    path(
        "entrar/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("salir/", auth_views.LogoutView.as_view(), name="logout"),
]

# An exception no layer answered: JSON on the API, a Spanish page elsewhere; 503 when the database is down.
handler500 = "filon.web.http.server_error"
