"""Amendments to the Reglas de Operación (SPEC I-10): list, detail with what changes, propose, approve and
reject — for the Risk area, Dirección and administration; the proposer cannot approve."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from filon.amendments.forms import AmendmentForm, RejectForm
from filon.amendments.selectors import amendment_get_for_user, amendment_list_for_user, amendment_preview
from filon.amendments.services import (
    AmendmentData,
    amendment_approve,
    amendment_propose,
    amendment_reject,
)
from filon.api.common import JSON_OBJECT_BODY, form_data, json_object
from filon.rules.amend import AmendmentError, diff_json

router = Router(tags=["reglas"])


class AmendmentOut(Schema):
    id: int
    number: str
    agreed_on: date
    body: str
    effective_from: date
    base_version: str
    version: str
    status: str
    illustrative: bool
    summary: str
    changes: list[dict[str, Any]]
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    rejection_reason: str


class AmendmentDetailOut(AmendmentOut):
    diff: dict[str, Any] | None
    problem: str


def _out(row: Any) -> dict[str, Any]:
    return {
        "id": row.pk,
        "number": row.number,
        "agreed_on": row.agreed_on,
        "body": row.body,
        "effective_from": row.effective_from,
        "base_version": row.base_version,
        "version": row.version,
        "status": row.status,
        "illustrative": row.illustrative,
        "summary": row.summary,
        "changes": row.changes,
        "proposed_by": row.proposed_by.username,
        "proposed_at": row.proposed_at,
        "decided_by": row.decided_by.username if row.decided_by else None,
        "decided_at": row.decided_at,
        "rejection_reason": row.rejection_reason,
    }


def _detail(row: Any) -> AmendmentDetailOut:
    diff, problem = None, ""
    try:
        diff = diff_json(amendment_preview(row))
    except (AmendmentError, LookupError) as exc:
        problem = str(exc)
    return AmendmentDetailOut(**_out(row), diff=diff, problem=problem)


@router.get("", response=list[AmendmentOut], summary="Acuerdos que modifican las reglas")
def amendment_list(request: HttpRequest) -> list[AmendmentOut]:
    rows = amendment_list_for_user(user=request.user)  # type: ignore[arg-type]
    return [AmendmentOut(**_out(row)) for row in rows[:500]]


@router.get("/{amendment_id}", response=AmendmentDetailOut, summary="Un acuerdo, con lo que cambia")
def amendment_detail(request: HttpRequest, amendment_id: int) -> AmendmentDetailOut:
    return _detail(amendment_get_for_user(user=request.user, amendment_id=amendment_id))  # type: ignore[arg-type]


@router.post(
    "",
    response={201: AmendmentDetailOut},
    openapi_extra=JSON_OBJECT_BODY,
    summary="Propone un acuerdo (riesgos): número, fechas, órgano y cambios [{path, value}]",
)
def amendment_propose_api(request: HttpRequest) -> Status:
    payload = json_object(request)
    if "changes" in payload and not isinstance(payload["changes"], str):
        payload["changes"] = json.dumps(payload["changes"], ensure_ascii=False)  # JSON is YAML
    data = form_data(AmendmentForm, payload).cleaned_data
    row = amendment_propose(
        user=request.user,  # type: ignore[arg-type]
        data=AmendmentData(
            number=data["number"],
            agreed_on=data["agreed_on"],
            body=data["body"],
            effective_from=data["effective_from"],
            changes=data["changes"],
            summary=data["summary"],
            base_version=data["base_version"],
            illustrative=data["illustrative"],
        ),
    )
    return Status(201, _detail(row))


@router.post(
    "/{amendment_id}/approve", response=AmendmentDetailOut, summary="Aprueba un acuerdo (no quien lo propuso)"
)
def amendment_approve_api(request: HttpRequest, amendment_id: int) -> AmendmentDetailOut:
    row = amendment_get_for_user(user=request.user, amendment_id=amendment_id)  # type: ignore[arg-type]
    return _detail(amendment_approve(user=request.user, amendment=row))  # type: ignore[arg-type]


@router.post(
    "/{amendment_id}/reject",
    response=AmendmentDetailOut,
    openapi_extra=JSON_OBJECT_BODY,
    summary="Rechaza un acuerdo con su motivo (no quien lo propuso)",
)
def amendment_reject_api(request: HttpRequest, amendment_id: int) -> AmendmentDetailOut:
    row = amendment_get_for_user(user=request.user, amendment_id=amendment_id)  # type: ignore[arg-type]
    reason = form_data(RejectForm, json_object(request)).cleaned_data["reason"]
    return _detail(amendment_reject(user=request.user, amendment=row, reason=reason))  # type: ignore[arg-type]
