"""On the demo portfolio, each role's home draws its charts with data: Zacatecas' placement month by month
against its MXN 120 M goal, the portfolio's quality, the files by stage."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from filon.accounts.models import User
from filon.core.calendar import today_mx
from filon.goals.selectors import placement_monthly_for_user, placement_progress

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_homes_draw_their_charts_with_data(client, capsys):
    call_command("demo", "load")
    capsys.readouterr()
    analyst = User.objects.get(username="analista.zac")
    (zac,) = placement_monthly_for_user(user=analyst, year=today_mx().year)
    assert zac.target == Decimal("120000000")
    assert len(zac.contracted) == len(zac.disbursed) == today_mx().month
    year_total = placement_progress(office=zac.office, year=today_mx().year)  # SPEC G-1's placement
    assert zac.contracted[-1] == year_total.placed
    pages = {}
    for username in ("analista.zac", "direccion", "riesgos", "admin"):
        client.force_login(User.objects.get(username=username))
        response = client.get("/")
        assert response.status_code == 200
        pages[username] = response.content.decode()
    assert '<title id="colocacion-mensual-ZAC-t">' in pages["analista.zac"]
    assert "$120,000,000.00" in pages["analista.zac"]
    assert '<title id="gerencias-colocacion-t">' in pages["direccion"]
    assert "gerencias sin meta, sin colocación y sin cartera" in pages["direccion"]
    for key in ("cartera-atraso", "concentracion-activity", "expedientes-estado", "comites-resoluciones"):
        assert f'<title id="{key}-t">' in pages["riesgos"]
    for page in pages.values():
        assert page.count("<svg") == page.count('role="img"')
        assert page.count("<svg") <= page.count("<caption")  # every picture has its table
