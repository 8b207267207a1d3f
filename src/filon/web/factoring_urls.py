"""URL patterns of this part of the web pages, added to the "web" namespace by filon.web.urls."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
