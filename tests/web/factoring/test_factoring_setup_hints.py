"""Setting up a chain from the pages: an office with no P-1 file to admit is told where an EPO starts (its
applicant and its program file), and the adhesion form says where a supplier not yet captured is captured."""

from __future__ import annotations

import pytest

from factoring.factoring_support import authorized_epo, frozen_today
from web.web_support import login

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen_today)


def test_the_list_says_where_an_epo_starts(cast):
    page = login(cast.ana).get("/cadenas/").content.decode()
    assert "No hay expedientes del programa de Cadenas Productivas" in page
    assert '<a href="/solicitantes/">Solicitantes</a>' in page


def test_the_adhesion_form_links_to_capturing_the_supplier(cast, sample_rates):
    epo = authorized_epo(cast)
    page = login(cast.ana).get(f"/cadenas/{epo.pk}/").content.decode()
    assert '<a href="/solicitantes/nuevo/">capture al proveedor como solicitante</a>' in page
    assert "/solicitantes/nuevo/" not in login(cast.ramon).get(f"/cadenas/{epo.pk}/").content.decode()
