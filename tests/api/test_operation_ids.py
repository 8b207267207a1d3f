"""The schema's operation ids are the ones it has always published (clients generated from it name their
calls by them), whichever module of filon.api holds the route now."""

from __future__ import annotations

from filon.api import api


def _operation_ids() -> dict[tuple[str, str], str]:
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return {
        (path, method): op["operationId"]
        for path, item in schema["paths"].items()
        for method, op in item.items()
    }


def test_every_operation_keeps_its_published_id():
    ids = _operation_ids()
    assert ids[("/api/v1/applicants", "get")] == "filon_api_routes_applicants_applicant_list"
    assert ids[("/api/v1/committees/sessions", "post")] == "filon_api_routes_committees_session_new"
    assert ids[("/api/v1/evaluations", "post")] == "filon_api_routes_engine_evaluations"
    assert all(op_id.startswith("filon_api_routes_") for op_id in ids.values()), ids
    assert len(set(ids.values())) == len(ids)
