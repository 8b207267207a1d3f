"""The `filon evaluate` contract: JSON files in → JSON out, through the CLI exactly as users call it.

Each `NAME.json` has `NAME.expected.json` (stdout, exit 0) or `NAME.expected.stderr` (exit 2). The
expected files were produced by the engine and reviewed by hand against the Rules; a change to them is a
change to a public interface and must be deliberate.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from filon.cli import run

pytestmark = pytest.mark.pure

CASES = Path(__file__).parent / "evaluate"
INPUTS = sorted(p for p in CASES.glob("*.json") if not p.name.endswith(".expected.json"))


def run_cli(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("case", INPUTS, ids=lambda p: p.stem)
def test_contract_case(case: Path):
    code, out, err = run_cli("evaluate", str(case))
    expected_out = case.with_name(f"{case.stem}.expected.json")
    expected_err = case.with_name(f"{case.stem}.expected.stderr")
    if expected_out.exists():
        assert code == 0, err
        assert json.loads(out) == json.loads(expected_out.read_text(encoding="utf-8"))
    else:
        assert code == 2
        assert out == ""
        assert err == expected_err.read_text(encoding="utf-8")


def test_contract_fields_and_types(spec_example):
    code, out, _ = run_cli("evaluate", "-", stdin=json.dumps(spec_example))
    result = json.loads(out)
    assert code == 0
    for key in (
        "eligible",
        "size",
        "segment",
        "committee",
        "exposure_usd",
        "limits",
        "coverage",
        "opening_commission",
        "findings",
    ):
        assert key in result
    assert set(result["limits"]) >= {"max_amount", "max_term_months", "max_grace_months"}
    assert set(result["coverage"]) >= {"required", "achieved", "ok"}
    assert set(result["opening_commission"]) >= {"rate", "amount", "iva", "total"}
    # decimals are JSON strings
    for value in (
        result["exposure_usd"],
        result["limits"]["max_amount"],
        result["coverage"]["achieved"],
        *result["opening_commission"].values(),
    ):
        assert isinstance(value, str)
    for finding in result["findings"]:
        assert set(finding) == {"rule", "severity", "message"}
        assert finding["severity"] in {"error", "warning", "info"}
    assert result["eligible"] is not any(f["severity"] == "error" for f in result["findings"])


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{", "no es JSON válido"),
        ("[1, 2]", "Campo «(documento)»: debe ser un objeto JSON"),
        ('{"as_of": "2026-03-02", "fx_usd_mxn": "-1"}', "Campo «fx_usd_mxn»: no puede ser menor que 0.0001"),
    ],
)
def test_bad_documents_exit_2_in_spanish(document, message):
    code, out, err = run_cli("evaluate", "-", stdin=document)
    assert (code, out) == (2, "")
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"request": {"amount": "12 millones"}}, "request.amount", "no es un número decimal válido"),
        ({"request": {"amount": 12000000.5}}, "request.amount", "cadena JSON"),
        ({"request": {"credit_type": "prendario"}}, "request.credit_type", "use uno de: refaccionario"),
        ({"request": {"currency": "EUR"}}, "request.currency", "use uno de: MXN, USD"),
        ({"request": {"term_months": 0}}, "request.term_months", "no puede ser menor que 1"),
        ({"applicant": {"state": "QQQ"}}, "applicant.state", "ISO 3166-2:MX"),
        ({"applicant": {"employees": -3}}, "applicant.employees", "no puede ser menor que 0"),
        (
            {"guarantees": [{"type": "hipoteca_industrial", "value": "0"}]},
            "guarantees[0].value",
            "mayor que cero",
        ),
        (
            {"guarantees": [{"type": "hipoteca_industrial", "value": "1", "appraisal_date": "10/01/2026"}]},
            "guarantees[0].appraisal_date",
            "AAAA-MM-DD",
        ),
        ({"applicant": {"rfc_typo": "x"}}, "applicant.rfc_typo", "campo desconocido"),
    ],
)
def test_bad_fields_are_named(make_doc, changes, field, message):
    code, out, err = run_cli("evaluate", "-", stdin=json.dumps(make_doc(**changes)))
    assert (code, out) == (2, "")
    assert f"Campo «{field}»" in err
    assert message in err


def test_missing_file():
    code, _, err = run_cli("evaluate", "/nonexistent/proposal.json")
    assert code == 2
    assert "no existe el archivo" in err
