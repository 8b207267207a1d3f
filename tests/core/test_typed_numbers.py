"""Numbers as people in Mexico type them: a decimal point and, if wanted, commas between groups of three of
the whole part. The comma-decimal form is refused saying how to write the number (core.money)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from filon.core.money import NUMBER_HOW, format_amount, format_typed, typed_number_text

pytestmark = pytest.mark.pure


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("1,000,000.50", "1000000.50"),
        ("1000000.50", "1000000.50"),
        ("  12,345 ", "12345"),
        ("999", "999"),
        ("-1,234.5", "-1234.5"),
        (".5", ".5"),
        ("0.25", "0.25"),
    ],
)
def test_a_number_typed_the_mexican_way_is_read(typed, read):
    assert typed_number_text(typed) == read


@pytest.mark.parametrize(
    "typed",
    ["1.000.000,50", "1,00", "1.000,5", "1,0000", "12,34,567", ",5", "1,000.000,5", "12 millones", ""],
)
def test_anything_else_is_refused_saying_how_to_write_it(typed):
    with pytest.raises(ValueError, match=r"^escriba el número con punto decimal") as refused:
        typed_number_text(typed)
    assert str(refused.value) == NUMBER_HOW
    assert "1,000,000.50" in NUMBER_HOW


def test_other_scripts_digits_are_refused():
    with pytest.raises(ValueError, match="dígitos"):
        typed_number_text("١٢٠٠٠٠٠٠")


amounts = st.decimals(min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=2, allow_nan=False)
numbers = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=6, allow_nan=False)


@given(amounts)
def test_an_amount_shown_on_a_page_reads_back_as_the_same_value(amount):
    assert Decimal(typed_number_text(format_amount(amount))) == amount


@given(numbers)
def test_a_number_shown_in_an_input_reads_back_as_the_same_value(number):
    shown = format_typed(number)
    whole = shown.lstrip("-").split(".")[0]
    assert all(len(group) == 3 for group in whole.split(",")[1:])
    assert Decimal(typed_number_text(shown)) == number
