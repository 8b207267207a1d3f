from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from filon.core.calendar import today_mx
from filon.rules import load_ruleset_for_date


def home(request: HttpRequest) -> HttpResponse:
    ruleset = load_ruleset_for_date(today_mx())
    return render(request, "home.html", {"ruleset": ruleset})
