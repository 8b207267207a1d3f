"""The search boxes find names whatever their accents and case, on SQLite and PostgreSQL alike: «proano»,
«PROAÑO» and «Proaño» find «Minera Proaño Núñez» (filon.platform.search)."""

from __future__ import annotations

import pytest
from django.db.models import Value
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from conftest import applicant_data
from filon.applicants.models import Applicant
from filon.core.text import MARKED_LETTERS, fold
from filon.platform.search import Folded, search

NAME = "Minera Proaño Núñez, S.A. de C.V."


@pytest.mark.pure
@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Proaño", "proano"),
        ("PROAÑO NÚÑEZ", "proano nunez"),
        ("Ávila Güémez", "avila guemez"),
        ("ZAC-2026", "zac-2026"),
    ],
)
def test_fold_drops_marks_and_case(text, folded):
    assert fold(text) == folded


@pytest.mark.pure
@given(st.text(alphabet=MARKED_LETTERS + "abcXYZ -.,", max_size=30))
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@pytest.mark.django_db
def test_the_database_folds_every_marked_letter_as_python_does(cast):
    from filon.applicants.services import applicant_create

    applicant_create(user=cast.ana, data=applicant_data())
    text = f"{MARKED_LETTERS} Proaño ÑANDÚ"
    (folded,) = Applicant.objects.annotate(folded=Folded(Value(text))).values_list("folded", flat=True)[:1]
    assert folded == fold(text)


@pytest.fixture
def proano(cast):
    from filon.applicants.services import applicant_create

    return applicant_create(user=cast.ana, data=applicant_data(name=NAME)).obj


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["proano", "PROAÑO", "Proaño", "nunez", "NÚÑEZ", "mvm120315"])
def test_search_finds_whatever_the_accents_and_case(proano, query):
    assert list(search(Applicant.objects.all(), query, "name", "rfc")) == [proano]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["proanio", "veta", "100%", "_"])
def test_search_finds_nothing_else(proano, query):
    assert list(search(Applicant.objects.all(), query, "name", "rfc")) == []


@pytest.mark.django_db
def test_the_applicants_and_files_pages_and_the_api_search_without_accents(cast, proano):
    from conftest import proposal_data
    from filon.origination.services import file_create

    file = file_create(user=cast.ana, applicant=proano, proposal=proposal_data())
    client = Client()
    client.force_login(cast.ana)
    applicants = client.get(reverse("web:applicants"), {"q": "PROANO"}).content.decode()
    assert NAME in applicants
    assert NAME not in client.get(reverse("web:applicants"), {"q": "tajo"}).content.decode()
    files = client.get(reverse("web:files"), {"q": "proaño"}).content.decode()
    assert file.folio in files
    assert file.folio not in client.get(reverse("web:files"), {"q": "tajo"}).content.decode()
    api = client.get("/api/v1/applicants", {"q": "nunez"}).json()
    assert [item["name"] for item in api] == [NAME]
