"""The amendments pages (SPEC I-10): riesgos proposes an acuerdo with its changes as YAML, refused in Spanish
naming the path; another person approves it from the detail, which shows what changes with its rule ids;
regional users are refused."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from filon.amendments.models import Amendment
from filon.core.calendar import today_mx

pytestmark = pytest.mark.django_db

CHANGES = "- path: programs.pequena_mineria.valid_until\n  value: {year}-12-31\n"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def proposal(**changes):
    today = today_mx().isoformat()
    values = {
        "number": "CT-2026-09",
        "agreed_on": today,
        "body": "Comité Técnico",
        "effective_from": today,
        "summary": "Prórroga de P-2",
        "changes": CHANGES.format(year=today_mx().year),
    }
    values.update(changes)
    return values


@pytest.mark.parametrize("who", ["ana", "gerardo", "julia", "sergio"])
def test_credit_roles_are_refused(cast, who):
    client = login(getattr(cast, who))
    assert client.get(reverse("web:amendments")).status_code == 403
    assert client.get(reverse("web:amendment_new")).status_code == 403
    assert client.post(reverse("web:amendment_new"), proposal()).status_code == 403
    assert not Amendment.objects.exists()


def test_riesgos_proposes_and_another_person_approves_with_the_diff_shown(cast):
    ramon = login(cast.ramon)
    response = ramon.post(reverse("web:amendment_new"), proposal(illustrative="on"))
    row = Amendment.objects.get()
    assert row.illustrative
    assert response.status_code == 302
    assert response["Location"] == reverse("web:amendment", args=[row.pk])
    page = ramon.get(reverse("web:amendment", args=[row.pk])).content.decode()
    assert "programs.pequena_mineria.valid_until" in page
    assert "P-2 2" in page
    assert "otra persona debe aprobarlo" in page
    assert "Aprobar</button>" not in page
    refused = ramon.post(reverse("web:amendment_approve", args=[row.pk]))
    assert refused.status_code == 409
    assert "quien propone no aprueba" in refused.content.decode()

    omar = login(cast.omar)
    assert "Aprobar</button>" in omar.get(reverse("web:amendment", args=[row.pk])).content.decode()
    assert omar.post(reverse("web:amendment_approve", args=[row.pk])).status_code == 302
    row.refresh_from_db()
    assert (row.status, row.decided_by) == ("approved", cast.omar)
    listing = omar.get(reverse("web:amendments")).content.decode()
    assert row.version in listing
    assert listing.count("Ilustrativa</span>") == 2  # the acuerdo and its version


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        (
            "- path: programs.pequena_mineria.vigencia\n  value: 2026-12-31\n",
            "programs.pequena_mineria.vigencia",
        ),
        ("- path: programs.pequena_mineria.valid_until\n  value: pronto\n", "no es una fecha válida"),
        ("- path: [\n", "no es YAML válido"),
    ],
)
def test_a_bad_change_is_shown_on_the_form_naming_the_path(cast, changes, says):
    response = login(cast.ramon).post(reverse("web:amendment_new"), proposal(changes=changes))
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not Amendment.objects.exists()


def test_user_text_is_escaped(cast):
    login(cast.ramon).post(reverse("web:amendment_new"), proposal(summary="<script>alert(1)</script>"))
    row = Amendment.objects.get()
    page = login(cast.omar).get(reverse("web:amendment", args=[row.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_a_rejection_needs_a_reason(cast):
    login(cast.ramon).post(reverse("web:amendment_new"), proposal())
    row = Amendment.objects.get()
    omar = login(cast.omar)
    assert omar.post(reverse("web:amendment_reject", args=[row.pk]), {"reason": ""}).status_code == 400
    assert (
        omar.post(reverse("web:amendment_reject", args=[row.pk]), {"reason": "Sin acta"}).status_code == 302
    )
    row.refresh_from_db()
    assert (row.status, row.rejection_reason) == ("rejected", "Sin acta")
