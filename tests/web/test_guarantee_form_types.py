"""The guarantee form asks for the fields of the chosen type only: the groups of fields and the types that
ask for them come from the rule set's guarantee types; the page groups them in fieldsets naming those types;
the server ignores (sets back to their defaults) the fields the chosen type does not ask for."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from test_forms import field_error
from web_support import HTMX, frozen, login

from filon.core.calendar import today_mx
from filon.origination.forms import GUARANTEE_COMMON, GuaranteeForm, guarantee_group_types
from filon.origination.models import FileGuarantee
from filon.rules.loader import load_ruleset_for_date

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)


def test_the_groups_follow_the_rule_sets_guarantee_types(cast):
    ruleset = load_ruleset_for_date(today_mx())
    groups = guarantee_group_types(ruleset)
    types = ruleset.guarantees.types
    assert set(groups["gravamen"]) == {str(key) for key, rule in types.items() if rule.is_mortgage}
    assert "hipoteca_industrial" in groups["gravamen"]
    assert "aval" not in groups["gravamen"]
    assert groups["aval"] == ["aval"]
    assert groups["fianza"] == ["fianza"]
    assert "prenda_usada" in groups["equipo"]
    form = GuaranteeForm(ruleset=ruleset)
    assert form.fields_of("aval") == {*GUARANTEE_COMMON, "net_worth_statement_date"}
    assert "lien_rank" in form.fields_of("hipoteca_rustica")
    assert "insurer" not in form.fields_of(
        "hipoteca_rustica"
    )  # the Rules do not ask a rustic mortgage for insurance


def test_an_aval_keeps_none_of_a_mortgages_fields(cast, credit_file):
    response = login(cast.ana).post(
        reverse("web:guarantee_new", args=[credit_file.pk]),
        {
            "g-type": "aval",
            "g-owner": "Juan Proaño",
            "g-description": "Aval del accionista",
            "g-value": "5,000,000",
            "g-net_worth_statement_date": "15/01/2026",
            # fields of other types, typed while the page showed them all (no script)
            "g-lien_rank": "abc",
            "g-appraisal_date": "01/02/2026",
            "g-appraiser": "Valuador SA",
            "g-insurer": "Aseguradora",
            "g-policy_expires_on": "no es fecha",
            "g-is_transport": "on",
            "g-covers_balance": "true",
        },
        **HTMX,
    )
    assert response.status_code == 200, response.content.decode()[:3000]
    guarantee = FileGuarantee.objects.get()
    assert guarantee.type == "aval"
    assert guarantee.net_worth_statement_date == dt.date(2026, 1, 15)
    assert (guarantee.lien_rank, guarantee.appraisal_date, guarantee.appraiser) == (1, None, "")
    assert (guarantee.insurer, guarantee.policy_expires_on, guarantee.is_transport) == ("", None, False)
    assert guarantee.covers_balance is None


def test_a_mortgages_own_fields_are_still_checked(cast, credit_file):
    response = login(cast.ana).post(
        reverse("web:guarantee_new", args=[credit_file.pk]),
        {
            "g-type": "hipoteca_industrial",
            "g-owner": "Minera",
            "g-description": "Nave",
            "g-value": "30,000,000",
            "g-lien_rank": "abc",
        },
        **HTMX,
    )
    assert response.status_code == 422
    assert field_error(response.content.decode(), "id_g-lien_rank")
    assert FileGuarantee.objects.count() == 0


def test_the_page_groups_the_fields_by_the_types_that_ask_for_them(cast, credit_file):
    body = login(cast.ana).get(reverse("web:file", args=[credit_file.pk])).content.decode()
    form = body.split("data-garantia-form", 1)[1].split("</form>", 1)[0]
    mortgage = form.split('data-garantia-grupo="gravamen"', 1)[1].split("</fieldset>", 1)[0]
    assert 'id="id_g-lien_rank"' in mortgage
    assert "hipoteca_industrial" in mortgage.split(">", 1)[0]
    aval = form.split('data-garantia-grupo="aval"', 1)[1].split("</fieldset>", 1)[0]
    assert 'data-garantia-tipos="aval"' in aval.split(">", 1)[0]
    assert 'id="id_g-net_worth_statement_date"' in aval
    common = form.split("<fieldset", 1)[0]
    assert all(f'id="id_g-{name}"' in common for name in GUARANTEE_COMMON)
