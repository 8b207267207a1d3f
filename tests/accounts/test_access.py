"""`require_office`: the one regional-scope check that services apply to an object already read."""

from __future__ import annotations

import pytest

from filon.accounts.access import office_in_scope, require_office
from filon.accounts.models import RegionalOffice, Role, User
from filon.errors import Forbidden

pytestmark = pytest.mark.django_db


def test_a_regional_user_is_refused_another_office_by_name() -> None:
    mine = RegionalOffice.objects.create(code="ZZ", name="Prueba", states=["Zacatecas"])
    other = RegionalOffice.objects.create(code="YY", name="Otra", states=["Sonora"])
    analyst = User.objects.create_user("ana", password="x", role=Role.ANALISTA, office=mine)
    require_office(analyst, mine.pk, "El crédito")
    with pytest.raises(Forbidden, match="El crédito pertenece a otra gerencia regional"):
        require_office(analyst, other.pk, "El crédito")
    assert office_in_scope(analyst, mine.pk)
    assert not office_in_scope(analyst, other.pk)
