"""Hostile shapes of input are refused with a 4xx (exit 2 on the CLI) and a Spanish message naming the field.

Deep nesting, integer literals past Python's 4,300-digit conversion limit, lone surrogates, digits of other
scripts in amounts (Python reads «١٢٠٠٠٠٠٠» as 12,000,000), integers past their column, file names past
what a file system holds, over-long CSV fields and implausible rate dates.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from filon.cli import run

pytestmark = pytest.mark.security

ARABIC_12M = "١٢٠٠٠٠٠٠"  # 12,000,000 in Arabic-Indic digits
DEVANAGARI_45 = "४५"

APPLICANT = {
    "person_type": "moral",
    "name": "Minera Frontera, S.A. de C.V.",
    "rfc": "MFR120315AB4",
    "state": "ZAC",
    "municipality": "Fresnillo",
    "activity": 21,
    "mining_class": "concesible",
    "sector": "industria",
    "employees": 45,
    "equity_mxn": "30000000",
    "annual_gross_income_mxn": "150000000",
    "primary_extraction": True,
}


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_json(client: Client, path: str, body: str):
    return client.post(path, body, content_type="application/json")


def assert_refused(response, field: str | None = None, status: tuple[int, ...] = (400, 413, 422)):
    assert response.status_code in status, (response.status_code, response.content[:400])
    detail = response.json()["detail"]
    assert detail
    assert all(d["message"] for d in detail)
    if field is not None:
        assert field in {d["field"] for d in detail}, detail
    return detail


# --------------------------------------------------------------------------------------- the API's JSON


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        pytest.param("[" * 5000 + "]" * 5000, id="deep-list"),
        pytest.param('{"a":' * 5000 + "1" + "}" * 5000, id="deep-object"),
        pytest.param('{"employees": ' + "9" * 5000 + "}", id="huge-integer"),
        pytest.param(json.dumps({**APPLICANT, "name": "Minera \ud800 del Norte"}), id="lone-surrogate"),
    ],
)
def test_the_api_refuses_hostile_json_with_a_4xx(cast, body):
    detail = assert_refused(post_json(login(cast.ana), "/api/v1/applicants", body))
    assert detail[0]["field"] in ("(documento)", "name", "employees")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("equity_mxn", ARABIC_12M), ("annual_gross_income_mxn", ARABIC_12M), ("employees", DEVANAGARI_45)],
)
def test_the_api_refuses_digits_of_other_scripts(cast, field, value):
    response = post_json(login(cast.ana), "/api/v1/applicants", json.dumps({**APPLICANT, field: value}))
    detail = assert_refused(response, field, status=(422,))
    assert any("dígitos" in d["message"] for d in detail if d["field"] == field)


@pytest.mark.django_db
def test_an_api_money_amount_in_other_digits_is_refused_before_anything(cast):
    response = post_json(
        login(cast.gerardo),
        "/api/v1/loans/1/disbursements",
        json.dumps({"amount": ARABIC_12M, "value_date": "2026-03-03"}),
    )
    assert_refused(response, "amount", status=(422,))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("employees", 2_147_483_648), ("employees", 10**20), ("activity", 40_000)],
)
def test_integers_are_bounded_within_their_column(cast, field, value):
    response = post_json(login(cast.ana), "/api/v1/applicants", json.dumps({**APPLICANT, field: value}))
    assert_refused(response, field, status=(422,))


@pytest.mark.django_db
def test_a_small_integer_column_is_bounded_too(cast, credit_file):
    """The lien rank is a smallint: 40,000 used to be stored on SQLite and a 500 on PostgreSQL."""
    from filon.core.calendar import today_mx

    guarantee = {
        "type": "hipoteca_industrial",
        "owner": "Minera La Veta Madre",
        "description": "Nave industrial en Fresnillo",
        "value": "30000000",
        "appraisal_date": (today_mx() - timedelta(days=30)).isoformat(),
        "appraiser": "Valuadores del Centro",
        "lien_rank": 40_000,
    }
    path = f"/api/v1/files/{credit_file.pk}/guarantees"
    assert_refused(post_json(login(cast.ana), path, json.dumps(guarantee)), "lien_rank", status=(422,))
    assert credit_file.guarantees.count() == 0


# ----------------------------------------------------------------------------------------- web forms


@pytest.mark.django_db
def test_a_web_form_refuses_digits_of_other_scripts(cast):
    from filon.applicants.models import Applicant

    data = {**APPLICANT, "equity_mxn": ARABIC_12M, "employees": DEVANAGARI_45, "primary_extraction": "on"}
    response = login(cast.ana).post(reverse("web:applicant_new"), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "dígitos" in page
    assert not Applicant.objects.filter(rfc=APPLICANT["rfc"]).exists()


# ----------------------------------------------------------------------------------------------- CLI


def run_cli(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("command", ["evaluate", "schedule"])
@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[" * 5000 + "]" * 5000, id="deep"),
        pytest.param('{"as_of": ' + "7" * 5000 + "}", id="huge-integer"),
        pytest.param('{"as_of": "2026-03-02", "note": "\\udc80"}', id="lone-surrogate"),
        pytest.param('{"as_of": "' + "x" * (9 * 1024 * 1024) + '"}', id="oversized"),
    ],
)
def test_the_cli_refuses_hostile_json_with_exit_2(command, text):
    code, out, err = run_cli(command, "-", stdin=text)
    assert code == 2, err[-300:]
    assert out == ""
    assert err.startswith("Error: Campo «(documento)»")


def test_the_cli_refuses_an_amount_in_other_digits(spec_example):
    document = json.loads(json.dumps(spec_example))
    document["request"]["amount"] = ARABIC_12M
    code, out, err = run_cli("evaluate", "-", stdin=json.dumps(document))
    assert code == 2, out[:300]
    assert "request.amount" in err
    assert "dígitos" in err


def test_the_schedule_cli_refuses_a_principal_in_other_digits():
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "contracts" / "schedule" / "spec_example.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["principal"] = "١٠٠٠٠٠٠.٠٠"
    code, _, err = run_cli("schedule", "-", stdin=json.dumps(document))
    assert code == 2
    assert "principal" in err
    assert "dígitos" in err


@pytest.mark.pure
def test_the_one_way_into_money_refuses_other_digits():
    from filon.core.money import D

    assert D("12000000") == Decimal("12000000")
    with pytest.raises(ValueError, match="dígitos"):
        D(ARABIC_12M)
    with pytest.raises(ValueError, match="dígitos"):
        D("１２")  # full-width


# --------------------------------------------------------------------------------- upload file names


@pytest.mark.django_db
def test_an_over_long_upload_name_is_shortened_not_a_server_error(cast, credit_file):
    from filon.core.calendar import today_mx
    from filon.origination.services import requirement_upload

    item = (
        credit_file.requirements.filter(validity_months__isnull=True).first()
        or credit_file.requirements.first()
    )
    name = "é" * 400 + ".pdf"  # 800 bytes: past every file system's 255-byte limit for one name
    uploaded = SimpleUploadedFile(name, b"%PDF-1.4\n% prueba\n", content_type="application/pdf")
    upload = requirement_upload(user=cast.ana, item=item, uploaded=uploaded, document_date=today_mx())
    stored = upload.file.name.rsplit("/", 1)[-1]
    assert len(stored.encode()) <= 255
    assert stored.endswith(".pdf")
    assert upload.file.storage.exists(upload.file.name)
    assert len(upload.original_name) <= 200


# ----------------------------------------------------------------------------------------- rate CSVs


@pytest.mark.django_db
def test_a_rate_csv_with_an_over_long_field_is_a_422(cast):
    from filon.accounts.models import User

    riesgos = User.objects.create_user("rita.riesgos", password="clave-de-prueba-123", role="riesgos")
    text = "date,value\n2025-01-02," + "1" * 200_000 + "\n"
    response = login(riesgos).post(
        reverse("web:rate_import_new"),
        {"series": "TIIE28", "file": SimpleUploadedFile("tiie.csv", text.encode(), content_type="text/csv")},
    )
    assert response.status_code == 422
    assert "demasiado largo" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("when", ["1999-12-31", "1900-01-01", "day-after-tomorrow", "9999-12-31"])
def test_rate_dates_outside_the_plausible_range_are_refused(when):
    from filon.core.calendar import today_mx
    from filon.core.errors import InputErrors
    from filon.marketdata.models import Observation
    from filon.marketdata.services import observations_import_csv

    today = today_mx()
    day = (today + timedelta(days=2)).isoformat() if when == "day-after-tomorrow" else when
    with pytest.raises(InputErrors) as refused:
        observations_import_csv(series="TIIE28", file=io.StringIO(f"date,value\n{day},0.1125\n"))
    assert "fuera del rango" in refused.value.errors[0].message
    assert not Observation.objects.filter(series__code="TIIE28").exists()
    # tomorrow is still a plausible date (a rate published today for the next business day)
    tomorrow = (today + timedelta(days=1)).isoformat()
    summary = observations_import_csv(series="TIIE28", file=io.StringIO(f"date,value\n{tomorrow},0.1125\n"))
    assert summary.created == 1


# ------------------------------------------------------------------------------------------ searches


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/applicants", "/solicitantes/", "/expedientes/", "/creditos/"])
def test_an_over_long_search_is_a_field_error_not_a_database_error(cast, credit_file, url):
    """SQLite refuses a LIKE pattern over 50,000 bytes: a search that long is the person's error."""
    response = login(cast.ana).get(url, {"q": "x" * 60_000})
    assert response.status_code == 422, response.status_code
    if url.startswith("/api/"):
        assert_refused(response, "q", status=(422,))
    else:
        assert "búsqueda" in response.content.decode()
    assert login(cast.ana).get(url, {"q": "Minera"}).status_code == 200


@pytest.mark.pure
def test_the_json_reader_still_reads_what_is_legitimate():
    from filon.core.errors import InputError
    from filon.core.jsonin import MAX_DEPTH, read_json

    assert read_json('{"name": "Minera \\ud83d\\ude00", "note": "[[[[{{{{"}') == {
        "name": "Minera 😀",
        "note": "[[[[{{{{",
    }
    assert read_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    assert read_json('{"employees": -2147483648}') == {"employees": -2147483648}
    with pytest.raises(InputError, match="anida más de"):
        read_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    with pytest.raises(InputError, match="máximo admitido"):
        read_json(b'"' + b"x" * 2048 + b'"', max_bytes=1024)
    with pytest.raises(InputError, match="NaN"):
        read_json('{"amount": NaN}')
