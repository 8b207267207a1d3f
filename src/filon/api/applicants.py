"""Applicants: list, capture, detail — scoped to the user's regional office."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from filon.api.common import JSON_OBJECT_BODY, form_data, json_object
from filon.applicants.forms import ApplicantForm
from filon.applicants.selectors import applicant_get_for_user, applicant_list_for_user
from filon.applicants.services import applicant_create
from filon.limits import SEARCH_MAX_CHARS
from filon.platform.search import search

router = Router(tags=["solicitantes"])


class ApplicantOut(Schema):
    id: int
    name: str
    rfc: str
    person_type: str
    state: str
    municipality: str
    office: str
    activity: int
    mining_class: str
    employees: int
    created_at: datetime
    warnings: list[str] = []


def _out(applicant: Any, warnings: list[str] | None = None) -> ApplicantOut:
    return ApplicantOut(
        id=applicant.pk,
        name=applicant.name,
        rfc=applicant.rfc,
        person_type=applicant.person_type,
        state=applicant.state,
        municipality=applicant.municipality,
        office=applicant.office.code,
        activity=applicant.activity,
        mining_class=applicant.mining_class,
        employees=applicant.employees,
        created_at=applicant.created_at,
        warnings=warnings or [],
    )


@router.get(
    "", response=list[ApplicantOut], summary="Solicitantes de su gerencia (o de todas, roles centrales)"
)
def applicant_list(
    request: HttpRequest, q: str | None = Query(None, max_length=SEARCH_MAX_CHARS)
) -> list[ApplicantOut]:
    qs = applicant_list_for_user(user=request.user)  # type: ignore[arg-type]
    if q:
        qs = search(qs, q, "name", "rfc")
    return [_out(a) for a in qs[:500]]


@router.post(
    "", response={201: ApplicantOut}, openapi_extra=JSON_OBJECT_BODY, summary="Captura un solicitante"
)
def applicant_capture(request: HttpRequest) -> Status:
    form = form_data(ApplicantForm, json_object(request))
    saved = applicant_create(user=request.user, data=form.to_data())  # type: ignore[attr-defined,arg-type]
    return Status(201, _out(saved.obj, saved.warnings))


@router.get("/{applicant_id}", response=ApplicantOut, summary="Un solicitante")
def applicant_detail(request: HttpRequest, applicant_id: int) -> ApplicantOut:
    return _out(applicant_get_for_user(user=request.user, applicant_id=applicant_id))  # type: ignore[arg-type]
