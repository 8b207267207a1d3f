"""I-9: the 1 : 1 industrial or urban mortgage of P-1 is the EPO's, checked when the EPO is admitted (1.6);
the supplier that discounts gives none and pays no commission (1.3)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from factoring_support import LINE, admit, epo_file, frozen_today, to_authorized

from filon.errors import ValidationFailed

pytestmark = pytest.mark.django_db
frozen_time = pytest.fixture(autouse=True)(frozen_today)


@pytest.mark.parametrize(
    ("rule", "guarantee_type", "guarantee_value", "refused_field"),
    [
        ("P-1 1.6", "hipoteca_industrial", LINE, None),
        ("P-1 1.6", "hipoteca_urbana", LINE + Decimal("1000000"), None),
        ("P-1 1.6", "hipoteca_industrial", LINE - Decimal("0.01"), "guarantee_value"),
        ("P-1 1.6", "hipoteca_semiurbana", LINE, "guarantee_type"),
        ("P-1 1.6", "garantia_liquida", LINE, "guarantee_type"),
    ],
)
def test_the_epo_mortgage_is_checked_at_admission(
    cast, sample_rates, rule, guarantee_type, guarantee_value, refused_field
):
    file = epo_file(cast)
    to_authorized(cast, file)
    if refused_field is None:
        epo = admit(cast, file, guarantee_type=guarantee_type, guarantee_value=guarantee_value)
        assert (epo.guarantee_type, epo.guarantee_value) == (guarantee_type, guarantee_value)
        return
    with pytest.raises(ValidationFailed) as exc:
        admit(cast, file, guarantee_type=guarantee_type, guarantee_value=guarantee_value)
    assert [(e.field, e.rule) for e in exc.value.errors] == [(refused_field, rule)]


def test_the_supplier_line_file_needs_no_guarantee_and_no_commission(cast, sample_rates):
    # The P-1 file is evaluated as the supplier's discount line (1.3): coverage 0, no commissions.
    file = epo_file(cast)
    evaluation = file.evaluation
    assert evaluation["coverage"]["required"] == "0"
    assert evaluation["coverage"]["rule"] == "P-1 1.3"
    assert evaluation["opening_commission"]["total"] == "0.00"
    assert "per_drawdown_commission" not in evaluation
