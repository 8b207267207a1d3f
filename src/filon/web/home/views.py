"""The home dashboard: each role's panels (`panels.dashboard_panels`) under the rule set in force."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from filon.core.calendar import today_mx
from filon.rules import load_ruleset_for_date
from filon.web.home import panels
from filon.web.http import web_view


@web_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    ruleset = load_ruleset_for_date(today_mx())
    return render(
        request,
        "web/dashboard/home.html",
        {"ruleset": ruleset, "panels": panels.dashboard_panels(request.user)},
    )
