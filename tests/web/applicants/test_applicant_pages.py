"""The applicant pages (filon.web.applicants): only the roles that capture applicants are offered the
capture and edit buttons, on the list and on the applicant's page; the others read the same pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from web.web_support import login

pytestmark = pytest.mark.django_db

NEW = "Capturar solicitante"
OPEN_FILE = "Abrir expediente"


def test_the_capture_buttons_show_for_the_capture_roles_only(cast, credit_file):
    pages = (reverse("web:applicants"), reverse("web:applicant", args=[credit_file.applicant_id]))
    for who in ("ana", "gerardo"):  # analyst and regional manager of the applicant's office
        listed, detail = (login(getattr(cast, who)).get(page) for page in pages)
        assert (listed.status_code, detail.status_code) == (200, 200), who
        assert NEW in listed.content.decode(), who
        assert OPEN_FILE in detail.content.decode(), who
    for who in ("julia", "ramon"):  # legal and risk read the applicant, capture nothing
        listed, detail = (login(getattr(cast, who)).get(page) for page in pages)
        assert (listed.status_code, detail.status_code) == (200, 200), who
        assert NEW not in listed.content.decode(), who
        assert OPEN_FILE not in detail.content.decode(), who
        assert credit_file.applicant.name in detail.content.decode(), who


def test_a_role_that_does_not_capture_is_refused_the_capture_form(cast):
    assert login(cast.julia).get(reverse("web:applicant_new")).status_code == 403
    assert login(cast.ana).get(reverse("web:applicant_new")).status_code == 200
