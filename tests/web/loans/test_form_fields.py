"""The loan pages' forms rendered through `form_fields`: an unbound form whose fields render the same every
time reuses its markup with its own prefix and a fresh hidden key; anything else renders in full."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string

from filon.web.loans.forms import CommissionForm, DisbursementForm, PaymentForm, ReverseForm, TaskCompleteForm
from filon.web.templatetags.filon_web import form_fields

pytestmark = pytest.mark.pure


def _same(markup: str) -> str:
    """The markup with its whitespace folded and without the keys, which are fresh in every keyed form."""
    markup = re.sub(r'value="[0-9a-f]{32}"', "", markup)
    return re.sub(r"\s+", " ", markup).strip()


def _full(form) -> str:
    return str(render_to_string("web/_form_fields.html", {"form": form}))


@pytest.mark.parametrize(
    "build",
    [
        lambda prefix: DisbursementForm(prefix=prefix),
        lambda prefix: DisbursementForm(prefix=prefix, revolving=True),
        lambda prefix: CommissionForm(prefix=prefix),
        lambda prefix: ReverseForm(prefix=prefix),
        lambda prefix: TaskCompleteForm(prefix=prefix),
    ],
)
def test_an_unbound_form_reads_as_if_rendered_in_full(build):
    for prefix in ("uno", "t17", "t18", "uno"):  # the second and later take the kept markup
        form = build(prefix)
        assert _same(form_fields(form)) == _same(_full(build(prefix)))
        assert f'name="{prefix}-' in form_fields(form)


def test_the_revolving_variant_keeps_its_own_markup():
    plain = form_fields(DisbursementForm(prefix="m"))
    revolving = form_fields(DisbursementForm(prefix="m", revolving=True))
    assert "drawdown_days" not in plain
    assert "Importe de la ministración" in plain
    assert 'name="m-drawdown_days"' in revolving
    assert "Importe de la disposición" in revolving


@pytest.mark.parametrize("form_class", [PaymentForm, CommissionForm, ReverseForm, DisbursementForm])
def test_each_keyed_form_carries_its_own_key(form_class):
    first, second = form_class(prefix="pago"), form_class(prefix="pago")
    one, two = form_fields(first), form_fields(second)
    assert f'value="{first.initial["key"]}"' in one
    assert f'value="{second.initial["key"]}"' in two
    assert first.initial["key"] != second.initial["key"]
    assert _same(one) == _same(_full(first))


def test_a_bound_form_renders_its_values_and_errors():
    form = PaymentForm({"pago-amount": "doce", "pago-value_date": "2026-02-30"}, prefix="pago")
    assert not form.is_valid()
    markup = form_fields(form)
    assert 'value="doce"' in markup
    assert 'aria-invalid="true"' in markup
    assert "recargue la página" in markup  # the missing key, on top of the form
