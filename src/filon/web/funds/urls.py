"""URL patterns of this part of the web pages, added to the "web" namespace by filon.web.urls."""

from django.urls import URLPattern, path

from filon.web.funds import views as fund_views

urlpatterns: list[URLPattern] = [
    path("fondos/", fund_views.funds, name="funds"),
    path("fondos/nuevo/", fund_views.fund_new, name="fund_new"),
    path("fondos/simulacion/", fund_views.fund_whatif, name="fund_whatif"),
    path("fondos/<int:pk>/", fund_views.fund_detail, name="fund"),
    path("fondos/<int:pk>/formalizacion/", fund_views.fund_formalize, name="fund_formalize"),
]
