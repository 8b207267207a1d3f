"""The `filon schedule` contract: JSON terms in → amortization table out, exactly as SPEC names the fields.

Each `schedule/NAME.json` has `NAME.expected.json` (stdout, exit 0) or `NAME.expected.stderr` (exit 2). The
expected files were produced by the engine and their figures checked by hand (see the comments below); a
change to them is a change to a public interface and must be deliberate. Every case also goes through
`schedule_document` directly, the function the REST API calls.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from filon.cli import run
from filon.core.errors import InputErrors
from filon.core.schedule_contract import schedule_document

pytestmark = pytest.mark.pure

CASES = Path(__file__).parent / "schedule"
INPUTS = sorted(p for p in CASES.glob("*.json") if not p.name.endswith(".expected.json"))
INSTALLMENT_FIELDS = {"number", "start", "due", "days", "rate", "interest", "principal", "payment", "balance"}

# Hand checks of the expected files:
# - spec_example: month 1 = 1,000,000 × (7.25 % + 3.5 %) × 31/360 = 9,256.94; 18 payments of 55,555.56,
#   the last 55,555.48; months 2–24 projected from the single observation.
# - quarterly_tiie28_month_end: period 1 = Oct 31 → Nov 30 → Dec 31 → Jan 31 (30, 31, 31 days) at
#   11.80 %, 11.70 %, 11.65 % (each sub-period's own C-5 value + 4 %): factor 1.0302400… → 72,576.15;
#   due Sat 31 Jan 2026 is payable Tue 3 Feb (Mon 2 Feb is a bank holiday).
# - usd_term_sofr_quarterly: period 1 = (4.18 % + 4.5 %) × 90/360 = 2.17 % → 16,275.00 on 750,000.
# - month_end_leap_year: Jan 31 → Feb 29 (29 days: 966.67) → Mar 31 (payable Mon 1 Apr) → Apr 30 → May 31.
# - growing_fixed: first principal = 500,000 × 0.05 / (1.05¹² − 1) = 31,412.71, each 5 % above the last.


def run_cli(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("case", INPUTS, ids=lambda p: p.stem)
def test_contract_case_through_the_cli(case: Path):
    code, out, err = run_cli("schedule", str(case))
    expected_out = case.with_name(f"{case.stem}.expected.json")
    if expected_out.exists():
        assert code == 0, err
        assert json.loads(out) == json.loads(expected_out.read_text(encoding="utf-8"))
    else:
        assert (code, out) == (2, "")
        assert err == case.with_name(f"{case.stem}.expected.stderr").read_text(encoding="utf-8")
        assert "Traceback" not in err


@pytest.mark.parametrize("case", INPUTS, ids=lambda p: p.stem)
def test_contract_case_through_schedule_document(case: Path):
    document = json.loads(case.read_text(encoding="utf-8"))
    expected_out = case.with_name(f"{case.stem}.expected.json")
    if expected_out.exists():
        assert schedule_document(document) == json.loads(expected_out.read_text(encoding="utf-8"))
    else:
        with pytest.raises(InputErrors) as caught:
            schedule_document(document)
        expected = case.with_name(f"{case.stem}.expected.stderr").read_text(encoding="utf-8")
        assert [f"Error: {e.describe()}" for e in caught.value.errors] == expected.splitlines()


def test_output_fields_and_formats():
    document = json.loads((CASES / "quarterly_tiie28_month_end.json").read_text(encoding="utf-8"))
    result = schedule_document(document)
    assert set(result) >= {"installments", "totals"}
    assert set(result["totals"]) >= {"interest", "principal", "payment"}
    for installment in result["installments"]:
        assert set(installment) >= INSTALLMENT_FIELDS
        assert isinstance(installment["number"], int)
        assert isinstance(installment["days"], int)
        for field in ("rate", "interest", "principal", "payment", "balance"):
            assert isinstance(installment[field], str)
        assert len(installment["rate"].split(".")[1]) == 6
        for field in ("interest", "principal", "payment", "balance"):
            assert len(installment[field].split(".")[1]) == 2
    assert result["totals"]["principal"] == document["principal"]


def test_stdin_is_accepted():
    document = (CASES / "month_end_leap_year.json").read_text(encoding="utf-8")
    code, out, _ = run_cli("schedule", "-", stdin=document)
    assert code == 0
    assert json.loads(out)["maturity"] == "2024-05-31"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{", "no es JSON válido"),
        ("[1]", "Campo «(documento)»: debe ser un objeto JSON"),
        (
            '{"principal": "1", "disbursement_date": "2026-01-15", "term_months": 1.5, "rate": {"fixed": "0.1"}}',
            "Campo «term_months»: debe ser un número entero",
        ),
        (
            '{"principal": "1", "disbursement_date": "2026-01-15", "term_months": 12, "rate": {"fixed": "0.1"},'
            ' "payment_every_months": 0}',
            "Campo «payment_every_months»: la periodicidad va de 1 a 12 meses",
        ),
        (
            '{"principal": "1", "disbursement_date": "2026-01-15", "term_months": 12, "rate": {"fixed": "0.1"},'
            ' "amortization": {"growing": "-0.05"}}',
            "Campo «amortization.growing»: debe ser mayor que cero",
        ),
        (
            '{"principal": "1", "disbursement_date": "2026-01-15", "term_months": 12,'
            ' "rate": {"base": "TERM_SOFR_3M", "spread": "0.04"}, "rate_observations": []}',
            "Campo «rate.base»: TERM_SOFR_3M es una tasa base en USD y el crédito es en MXN",
        ),
        (
            '{"principal": "1", "disbursement_date": "2026-01-15", "term_months": 12, "rate": {"fixed": "0.1"},'
            ' "grace_months": -1}',
            "Campo «grace_months»: no puede ser negativo",
        ),
    ],
)
def test_bad_documents_exit_2_with_the_field_named(document, message):
    code, out, err = run_cli("schedule", "-", stdin=document)
    assert (code, out) == (2, "")
    assert message in err
    assert "Traceback" not in err


def test_without_observations_or_store_the_field_is_named():
    document = {
        "principal": "1000.00",
        "disbursement_date": "2026-01-15",
        "term_months": 12,
        "rate": {"base": "TIIE28", "spread": "0.03"},
    }
    with pytest.raises(InputErrors, match="rate_observations"):
        schedule_document(document)


def test_an_opening_commission_raises_the_cat():
    document = json.loads((CASES / "month_end_leap_year.json").read_text(encoding="utf-8"))
    plain = schedule_document(document)["cat"]
    with_commission = schedule_document({**document, "opening_commission": "1500.00"})["cat"]
    assert Decimal(with_commission) > Decimal(plain)
