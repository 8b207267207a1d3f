from django.contrib.auth import views as auth_views
from django.urls import path

from filon.api import urls as api_urls

from filon.accounts.forms import LoginForm
from filon.accounts.views import home

urlpatterns = [
    path("api/v1/", api_urls()),
    path("", home, name="home"),
    path(
        "entrar/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("salir/", auth_views.LogoutView.as_view(), name="logout"),
]
