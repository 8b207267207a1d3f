"""The web pages (Spanish paths), one `urls.py` per area, all in the "web" namespace. The home dashboard is
routed as "home" in filon.urls."""

from django.urls import include, path

app_name = "web"

urlpatterns = [
    path("", include("filon.web.applicants.urls")),
    path("", include("filon.web.files.urls")),
    path("", include("filon.web.committees.urls")),
    path("", include("filon.web.loans.urls")),
    path("", include("filon.web.documents.urls")),
    path("", include("filon.web.operations.urls")),
    path("", include("filon.web.programs.urls")),
    path("", include("filon.web.funds.urls")),
    path("", include("filon.web.factoring.urls")),
    path("", include("filon.web.goals.urls")),
    path("", include("filon.web.amendments.urls")),
    path("", include("filon.web.users.urls")),
    path("", include("filon.web.worklist.urls")),
]
