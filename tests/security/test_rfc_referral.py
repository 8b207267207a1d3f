"""An RFC that belongs to another office's client is not an existence oracle: the analyst learns only that the
RFC cannot be registered in their office and that the case went to the central area; the central area sees
the referral with both sides."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from conftest import applicant_data
from filon.errors import ValidationFailed

pytestmark = [pytest.mark.security, pytest.mark.django_db]

RFC = "MSN120315AB4"
SONORA_NAME = "Minera Sierra Nogal, S.A. de C.V."


@pytest.fixture
def sonora_client(cast):
    from filon.applicants.services import applicant_create

    return applicant_create(
        user=cast.sofia, data=applicant_data(name=SONORA_NAME, rfc=RFC, state="SON", municipality="Cananea")
    ).obj


def _said(error: ValidationFailed) -> str:
    return " ".join(e.message for e in error.errors)


def test_the_analyst_is_told_only_that_the_case_went_to_the_central_area(cast, sonora_client):
    from filon.applicants.services import applicant_create

    with pytest.raises(ValidationFailed) as refused:
        applicant_create(user=cast.ana, data=applicant_data(rfc=RFC))
    said = _said(refused.value)
    assert "Ya existe" not in said
    assert SONORA_NAME not in said
    assert "Sonora" not in said
    assert "HMO" not in said
    assert "área central" in said
    assert refused.value.errors[0].field == "rfc"


def test_the_api_answer_reveals_nothing_of_the_other_client(cast, sonora_client):
    client = Client()
    client.force_login(cast.ana)
    body = {
        "person_type": "moral",
        "name": "Minera Frontera, S.A. de C.V.",
        "rfc": RFC,
        "state": "ZAC",
        "municipality": "Fresnillo",
        "activity": 21,
        "mining_class": "concesible",
        "sector": "industria",
        "employees": 45,
        "equity_mxn": "30000000",
        "annual_gross_income_mxn": "150000000",
    }
    response = client.post("/api/v1/applicants", json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    text = response.content.decode()
    assert "Ya existe" not in text
    assert SONORA_NAME not in text
    for leak in ("HMO", "Hermosillo", "Sonora", "Cananea", sonora_client.office.name):
        assert leak not in text
    assert [set(d) for d in response.json()["detail"]] == [{"field", "message", "rule"}]
    assert "área central" in response.json()["detail"][0]["message"]


def test_the_referral_is_recorded_for_the_central_area_and_not_for_regions(cast, sonora_client):
    from filon.applicants.selectors import rfc_referrals_for_user
    from filon.applicants.services import applicant_create
    from filon.errors import Forbidden

    with pytest.raises(ValidationFailed):
        applicant_create(user=cast.ana, data=applicant_data(rfc=RFC))
    [referral] = rfc_referrals_for_user(user=cast.ramon)
    assert referral.action == "applicant.rfc_referral"
    assert referral.object_id == str(sonora_client.pk)
    assert referral.user == cast.ana
    assert RFC in referral.note
    assert "ZAC" in referral.note
    for regional in (cast.ana, cast.sofia):
        with pytest.raises(Forbidden):
            rfc_referrals_for_user(user=regional)


def test_a_duplicate_in_the_same_office_is_still_named_plainly(cast):
    """Within the analyst's own office there is nothing to hide: the plain message helps them find it."""
    from filon.applicants.services import applicant_create

    applicant_create(user=cast.ana, data=applicant_data(rfc=RFC))
    with pytest.raises(ValidationFailed) as refused:
        applicant_create(user=cast.gerardo, data=applicant_data(rfc=RFC, name="Otra"))
    assert f"Ya existe un solicitante con RFC {RFC}" in _said(refused.value)


def test_changing_an_rfc_to_another_office_s_client_is_referred_too(cast, sonora_client, applicant):
    from filon.applicants.services import applicant_update

    with pytest.raises(ValidationFailed) as refused:
        applicant_update(user=cast.ana, applicant=applicant, data=applicant_data(rfc=RFC))
    said = _said(refused.value)
    assert "Ya existe" not in said
    assert "área central" in said
