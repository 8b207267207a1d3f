"""The pages cite the rule ids (and the attention time's days) of the rule-set data, not their own copies:
with every cited id changed in a copy of the shipped rule set, each page and notice shows the copy's ids."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
import time_machine
import yaml
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from web_support import frozen, login

from conftest import mortgage, satisfy, to_authorized, to_ready
from filon.applicants.services import bureau_record_add
from filon.core.calendar import MEXICO_CITY, today_mx
from filon.origination.services import file_requirements_complete, guarantee_add
from filon.rules import load_ruleset_for_date
from filon.rules.loader import DEFAULT_RULES_DIR
from filon.rules.schema import Stage
from filon.servicing.services import loan_create_from_file

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen)

SHIPPED = DEFAULT_RULES_DIR / "ro-2010-09-23"

# Every id the pages cite, by file and key path, moved to one no section of the Rules has: "8" → "98".
MOVED = {
    "offices.yaml": [("offices", "rule")],
    "applicants.yaml": [
        ("size", "rule"),
        ("financing", "rule"),
        ("selection", "rule"),
        ("attention_time", "rule"),
        ("authorization", "rule"),
        ("disbursement_rule",),
    ],
    "guarantees.yaml": [
        ("guarantees", "rule"),
        ("guarantees", "policies", "rule"),
        ("guarantees", "policies", "appraisal_rule"),
    ],
    "commissions.yaml": [("commissions", "rule"), ("committees", "rule")],
    "checklists.yaml": [("checklists_rule",)],
    "rates.yaml": [("rates", "moratorium_rule"), ("rates", "prepayment_rule")],
}


@pytest.fixture(autouse=True)
def moved_ids(tmp_path, monkeypatch):
    """A copy of the shipped rule set (same version) whose cited ids start with an extra 9 and whose
    attention time is 31 business days; FILON_RULES_DIR points at it for the whole test."""
    target = tmp_path / "rules" / SHIPPED.name
    shutil.copytree(SHIPPED, target)
    for filename, paths in MOVED.items():
        path = target / filename
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for *parents, key in paths:
            node = data
            for name in parents:
                node = node[name]
            node[key] = "9" + node[key]
        if filename == "applicants.yaml":
            data["attention_time"]["business_days"] = 31
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("FILON_RULES_DIR", str(target.parent))
    rules = load_ruleset_for_date(dt.date(2026, 3, 3))
    assert (rules.attention_time.rule, rules.guarantees.policies.appraisal_rule) == ("98", "910.5")
    return rules


def test_the_loan_page_cites_the_rule_set_of_the_loan(cast, credit_file, sample_rates, moved_ids):
    file = to_ready(cast, credit_file)
    loan = loan_create_from_file(user=cast.ana, file=file)
    body = login(cast.ana).get(reverse("web:loan", args=[loan.pk])).content.decode()
    assert "Pagos <small>(aplicación: Regla 99.2.5 y 99.2.6)</small>" in body
    assert "Ministraciones <small>(Regla 912)</small>" in body
    assert "Comisión por apertura <small>(Regla 914)</small>" in body

    # The file behind it: its header, checklist and guarantees, and a release request's notice
    ana = login(cast.ana)
    body = ana.get(reverse("web:file", args=[file.pk])).content.decode()
    assert "Tiempo de atención <small>(Regla 98)</small>" in body
    assert "<small>(Regla 911)</small></dd>" in body
    assert "Requisitos documentales <small>(Regla 916)</small>" in body
    assert "Garantías <small>(Regla 910)</small>" in body
    guarantee = file.guarantees.get()
    url = reverse("web:guarantee_change", args=[file.pk, guarantee.pk])
    body = ana.get(url).content.decode()
    assert "comité con facultades sobre el monto (Regla 910.4)" in body
    assert "avalúo vigente de la garantía sustituta (Regla 910.5)" in body
    done = ana.post(url, {"solicitud-kind": "release", "solicitud-reason": "Pago parcial"}, follow=True)
    assert "La solicitud se turnó al comité con facultades (Regla 910.4)." in done.content.decode()


def test_an_authorized_file_cites_the_authorization_rule(cast, credit_file, sample_rates):
    to_authorized(cast, credit_file)
    gerardo = login(cast.gerardo)
    url = reverse("web:file", args=[credit_file.pk])
    assert "Sólo se concede una prórroga (Regla 911)." in gerardo.get(url).content.decode()
    bureau_record_add(
        user=cast.ana, applicant=credit_file.applicant, consulted_on=today_mx(), prevention_keys=[]
    )
    extended = gerardo.post(reverse("web:file_transition", args=[credit_file.pk, "prorrogar"]), follow=True)
    assert "Se prorrogó la autorización (Regla 911)." in extended.content.decode()
    legal = login(cast.julia).get("/").content.decode()
    assert "Autorizados por formalizar <small>(Regla 911)</small>" in legal


def test_applicant_committee_and_dashboard_pages_cite_the_rule_set_in_force(cast, credit_file):
    ana = login(cast.ana)
    form = ana.get(reverse("web:applicant_new")).content.decode()
    assert "la gerencia se asigna por estado, Regla 94)" in form
    assert "Actividad y tamaño (Reglas 95 y 97)" in form
    assert "Selección (Regla 96)" in form
    detail = ana.get(reverse("web:applicant", args=[credit_file.applicant_id])).content.decode()
    assert "Consultas al buró de crédito <small>(Regla 96)</small>" in detail
    sessions = ana.get(reverse("web:sessions")).content.decode()
    assert "Sesiones de comité <small>(Regla 917)</small>" in sessions

    guarantee = guarantee_add(user=cast.ana, file=credit_file, data=mortgage())
    edit = ana.get(reverse("web:guarantee_edit", args=[credit_file.pk, guarantee.pk])).content.decode()
    assert "el expediente se reevalúa (cobertura, Regla 910)" in edit

    home = ana.get("/").content.decode()
    assert "(Regla 98: 31 días hábiles desde requisitos completos)" in home
    satisfy(cast, credit_file, Stage.AUTHORIZATION)
    file_requirements_complete(user=cast.ana, file=credit_file)
    with time_machine.travel(dt.datetime(2026, 5, 20, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        direction = login(cast.omar).get("/").content.decode()
    assert "con el plazo de atención vencido (Regla 98)." in direction


def test_the_rule_set_tag_reads_no_database_and_keeps_each_version_parsed(moved_ids):
    page = Template(
        "{% load filon_web %}{% reglas version as rules %}{{ rules.commissions.rule|regla }}"
        "{% reglas as today %} {{ today.checklists_rule|regla }}"
    )
    # The first render may read the approved amendments' stamp (kept a second per process, I-10).
    assert page.render(Context({"version": moved_ids.version})) == "Regla 914 Regla 916"
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert page.render(Context({"version": moved_ids.version})) == "Regla 914 Regla 916"
    assert len(queries) == 0
    assert load_ruleset_for_date(dt.date(2026, 3, 3)) is moved_ids
