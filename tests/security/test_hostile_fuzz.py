"""A fuzz run of every API operation with hostile shapes: deep nesting, huge integer literals, lone
surrogates, digits of other scripts, NULs, over-long strings, numbers past every column. No answer is a
server error, and every refusal keeps the API's error shape `{"detail": [{"field", "message", "rule"}]}`."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filon.api import api

pytestmark = [pytest.mark.security, pytest.mark.django_db]


def _operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    found = []
    for path, methods in schema["paths"].items():
        for method in methods:
            if method in ("get", "post", "put", "patch", "delete"):
                found.append((method, path))
    return sorted(found)


OPERATIONS = _operations()
FIELDS = [
    "amount",
    "value_date",
    "name",
    "rfc",
    "employees",
    "activity",
    "equity_mxn",
    "applicant_id",
    "term_months",
    "date",
    "quorum",
    "members",
    "vote",
    "decision",
    "file_id",
    "drawdown_days",
    "status",
]
HOSTILE_SCALARS = (
    st.sampled_from(
        [
            "١٢٠٠٠٠٠٠",
            "１２３",
            "12\x00",
            "\ud800",
            '=HYPERLINK("http://x")',
            "9" * 5000,
            "x" * 70_000,
            "1e999999",
            "NaN",
            "-0",
            "2026-02-30",
            "0001-01-01",
            "",
            " ",
        ]
    )
    | st.sampled_from([2**31, 2**63, -(2**63) - 1, 10**40, -1, 0, True, None, 1.5e308])
    | st.text(max_size=40)
)


def _raw_bodies() -> st.SearchStrategy[str]:
    deep = st.integers(min_value=500, max_value=3000).map(lambda n: "[" * n + "]" * n)
    deep_object = st.integers(min_value=500, max_value=3000).map(lambda n: '{"a":' * n + "0" + "}" * n)
    huge_int = st.integers(min_value=4301, max_value=20_000).map(lambda n: '{"amount": ' + "7" * n + "}")
    surrogate = st.sampled_from(['{"name": "\\ud83d"}', '{"rfc": "\\udfff\\ud800"}', '"\\ud800"'])
    objects = st.dictionaries(st.sampled_from(FIELDS), HOSTILE_SCALARS, max_size=5).map(
        lambda d: (
            json.dumps(d, ensure_ascii=False, allow_nan=True)
            .encode("utf-8", "surrogatepass")
            .decode("utf-8", "replace")
        )
    )
    garbage = st.sampled_from(["", "{", "null", "[]", "1", '"x"', "\ufeff{}", "{}" * 3])
    return st.one_of(deep, deep_object, huge_int, surrogate, objects, garbage)


def _path(template: str, ident: int) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "TIIE28" if m.group(0) == "{series}" else str(ident), template)


def _check(response, where: str) -> None:
    assert response.status_code < 500, (where, response.status_code, response.content[:300])
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json"), (where, response["Content-Type"])
        body = response.json()
        assert isinstance(body.get("detail"), list), (where, body)
        assert body["detail"], (where, body)
        for item in body["detail"]:
            assert set(item) == {"field", "message", "rule"}, (where, item)
            assert isinstance(item["message"], str), (where, item)
            assert item["message"], (where, item)


@pytest.fixture
def client(cast, applicant):
    from filon.accounts.services import api_token_create

    token = api_token_create(actor=None, user=cast.ana, name="fuzz")[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)


WRITES = [op for op in OPERATIONS if op[0] in ("post", "put", "patch")]
READS = [op for op in OPERATIONS if op[0] == "get"]
# Sent to every write operation before the random ones, so each shape reaches each operation.
FIXED_BODIES = [
    "[" * 5000 + "]" * 5000,
    '{"a":' * 3000 + "0" + "}" * 3000,
    '{"amount": ' + "9" * 5000 + "}",
    '{"name": "Minera \\ud800", "amount": "\\udfff"}',
    json.dumps(dict.fromkeys(FIELDS, "١٢٠٠٠٠٠٠")),
    json.dumps(dict.fromkeys(FIELDS, 2**63)),
    json.dumps(dict.fromkeys(FIELDS[:3], "x" * 70000)),
    '{"amount": NaN, "value_date": Infinity}',
]


def _ids(op: tuple[str, str]) -> str:
    return f"{op[0].upper()} {op[1]}"


@pytest.mark.parametrize("operation", WRITES, ids=_ids)
def test_hostile_bodies_never_break_the_api(client, operation):
    method, template = operation
    for ident in (1, 2**31, 10**30):
        path = _path(template, ident)
        for body in FIXED_BODIES:
            response = getattr(client, method)(path, body, content_type="application/json")
            _check(response, f"{method.upper()} {path} {body[:40]!r}")

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(body=_raw_bodies(), ident=st.sampled_from([1, 0, 2**31, 2**63, 10**30]))
    def random_bodies(body: str, ident: int) -> None:
        path = _path(template, ident)
        response = getattr(client, method)(path, body, content_type="application/json")
        _check(response, f"{method.upper()} {path} {body[:40]!r}")

    random_bodies()


FIXED_QUERIES = ["x" * 60_000, "١٢", "\ufffd" * 10, "%" * 500, "_" * 500, str(2**63), "-1", "9999-99-99"]


@pytest.mark.parametrize("operation", READS, ids=_ids)
def test_hostile_queries_never_break_the_api(client, operation):
    _, template = operation
    for ident in (1, 2**31, 10**30):
        path = _path(template, ident)
        for value in FIXED_QUERIES:
            query = dict.fromkeys(("status", "q", "as_of", "section", "date", "year", "from", "to"), value)
            _check(client.get(path, query), f"GET {path} {value[:40]!r}")

    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(
        value=HOSTILE_SCALARS.map(lambda v: v if isinstance(v, str) else json.dumps(v)),
        ident=st.sampled_from([1, 2**31, 10**30]),
    )
    def random_queries(value: str, ident: int) -> None:
        path = _path(template, ident)
        value = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        query = dict.fromkeys(("status", "q", "as_of", "section", "date", "year", "from", "to"), value)
        _check(client.get(path, query), f"GET {path} {value[:40]!r}")

    random_queries()
