"""The loans list finds a credit by its holder's name whatever the accents and case (platform.search)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import applicant_data, proposal_data, to_ready
from filon.applicants.services import applicant_create
from filon.origination.services import file_create
from filon.servicing.services import loan_create_from_file

pytestmark = pytest.mark.django_db


def test_the_loans_list_finds_proano_without_the_tilde(cast, sample_rates):
    applicant = applicant_create(user=cast.ana, data=applicant_data(name="Minera Proaño, S.A. de C.V.")).obj
    file = file_create(user=cast.ana, applicant=applicant, proposal=proposal_data())
    loan = loan_create_from_file(user=cast.ana, file=to_ready(cast, file))
    client = Client()
    client.force_login(cast.ana)
    for query in ("proano", "PROAÑO"):
        assert loan.number in client.get(reverse("web:loans"), {"q": query}).content.decode()
    assert loan.number not in client.get(reverse("web:loans"), {"q": "tajo"}).content.decode()
