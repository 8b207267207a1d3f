"""Committee sessions (Rules 17): list, detail, convene, attendance, hold, close, agenda, votes, resolutions.

Reads go through the committees selectors (a regional user sees only the sessions and agenda items of their
office's files; another session is a 404); every write is one committees service, as on the web pages.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from filon.accounts.models import User
from filon.api.common import json_object
from filon.committees.models import (
    COMMITTEE_CHOICES,
    AgendaItem,
    CommitteeSession,
    Decision,
    SessionStatus,
    VoteChoice,
)
from filon.committees.selectors import (
    agenda_items_for_user,
    committee_name,
    session_get_for_user,
    session_list_for_user,
    session_minutes_for_user,
)
from filon.committees.services import (
    agenda_add_file,
    agenda_add_loan_request,
    agenda_withdraw,
    resolution_record,
    session_attendance,
    session_close,
    session_convene,
    session_hold,
    session_reschedule,
    vote_cast,
)
from filon.core.errors import InputError
from filon.errors import DomainError, NotFound, ValidationFailed
from filon.origination.selectors import file_get_for_user, loan_request_get_for_user
from filon.rules import NoRuleSetInForce

router = Router(tags=["comités"])

# Dates a session can plausibly carry; outside them a date is a typo, refused as input.
FIRST_DATE, LAST_DATE = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
ID = Field(..., ge=1, le=2_147_483_647)
UserId = Annotated[int, Field(ge=1, le=2_147_483_647)]


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------------- output


class MemberOut(Schema):
    id: int
    username: str
    name: str


class VoteOut(Schema):
    member: MemberOut
    vote: str
    cast_at: dt.datetime


class ResolutionOut(Schema):
    decision: str
    decision_label: str
    agreement_number: str
    conditions: str
    observations: str
    recorded_by: str
    recorded_at: dt.datetime


class ItemOut(Schema):
    id: int
    order: int
    kind: str = Field(..., description="file | guarantee_change | loan_request")
    file_id: int
    folio: str
    applicant: str
    amount: Decimal
    currency: str
    guarantee_change_id: int | None
    loan_request_id: int | None = None
    loan_request_kind: str | None = Field(None, description="restructuring | write_off")
    votes: list[VoteOut]
    tally: dict[str, int]
    resolution: ResolutionOut | None


class SessionSummaryOut(Schema):
    id: int
    number: str
    committee: str
    committee_name: str
    date: dt.date
    place: str
    status: str
    quorum: int
    secretary: str


class SessionOut(SessionSummaryOut):
    held_at: dt.datetime | None
    held_early_reason: str = Field("", description="Motivo de celebrarla antes de su fecha, si así fue")
    convened_for: dt.date | None = Field(None, description="La fecha de la convocatoria, si se cambió")
    reschedule_reason: str = Field("", description="Motivo del cambio de fecha")
    closed_at: dt.datetime | None
    members_present: list[MemberOut]
    items: list[ItemOut]
    minutes: str | None = Field(None, description="El acta, una vez cerrada (no para usuarios regionales)")


def _member(user: User) -> MemberOut:
    return MemberOut(id=user.pk, username=user.username, name=user.get_full_name() or user.username)


def _summary(session: CommitteeSession) -> dict[str, Any]:
    return {
        "id": session.pk,
        "number": session.number,
        "committee": session.committee,
        "committee_name": committee_name(session.committee, session.date),
        "date": session.date,
        "place": session.place,
        "status": session.status,
        "quorum": session.quorum,
        "secretary": session.secretary.username,
    }


def _item(item: AgendaItem) -> ItemOut:
    change = item.guarantee_change
    loan_request = item.loan_request
    if loan_request is not None:
        file = loan_request.file
    else:
        file = item.file if change is None else change.guarantee.file
    assert file is not None
    votes = [
        VoteOut(member=_member(v.member), vote=v.vote, cast_at=v.cast_at)
        for v in item.votes.all()  # prefetched, in casting order
    ]
    tally = {"favor": 0, "contra": 0, "abstencion": 0}
    for v in votes:
        tally[v.vote] = tally.get(v.vote, 0) + 1
    resolution = getattr(item, "resolution", None)
    return ItemOut(
        id=item.pk,
        order=item.order,
        kind="loan_request" if loan_request is not None else "file" if change is None else "guarantee_change",
        file_id=file.pk,
        folio=file.folio,
        applicant=file.applicant.name,
        amount=file.amount,
        currency=file.currency,
        guarantee_change_id=change.pk if change is not None else None,
        loan_request_id=loan_request.pk if loan_request is not None else None,
        loan_request_kind=loan_request.kind if loan_request is not None else None,
        votes=votes,
        tally=tally,
        resolution=None
        if resolution is None
        else ResolutionOut(
            decision=resolution.decision,
            decision_label=resolution.get_decision_display(),
            agreement_number=resolution.agreement_number,
            conditions=resolution.conditions,
            observations=resolution.observations,
            recorded_by=resolution.recorded_by.username,
            recorded_at=resolution.recorded_at,
        ),
    )


def _out(request: HttpRequest, session: CommitteeSession) -> SessionOut:
    user: Any = request.user
    session = session_get_for_user(user=user, session_id=session.pk)  # fresh, and still visible
    items = agenda_items_for_user(user=user, session=session).prefetch_related(
        "votes__member", "resolution__recorded_by"
    )
    minutes = None
    if session.status == SessionStatus.CLOSED and not user.is_regional:
        minutes = session_minutes_for_user(user=user, session_id=session.pk)
    return SessionOut(
        **_summary(session),
        held_at=session.held_at,
        held_early_reason=session.held_early_reason,
        convened_for=session.convened_for,
        reschedule_reason=session.reschedule_reason,
        closed_at=session.closed_at,
        members_present=[_member(m) for m in session.members_present.order_by("username")],
        items=[_item(i) for i in items],
        minutes=minutes,
    )


def _session(request: HttpRequest, session_id: int) -> CommitteeSession:
    return session_get_for_user(user=request.user, session_id=session_id)  # type: ignore[arg-type]


def _agenda_item(request: HttpRequest, session_id: int, item_id: int) -> AgendaItem:
    session = _session(request, session_id)
    found = agenda_items_for_user(user=request.user, session=session).filter(pk=item_id).first()  # type: ignore[arg-type]
    if found is None:
        raise NotFound("No existe el asunto en el orden del día de la sesión.", field="item_id")
    return found


# --------------------------------------------------------------------------------------------- reads


@router.get(
    "/sessions",
    response=list[SessionSummaryOut],
    summary="Sesiones de comité (un usuario regional ve sólo las que trataron expedientes de su gerencia)",
)
def session_list(
    request: HttpRequest, status: str | None = None, committee: str | None = None
) -> list[SessionSummaryOut]:
    qs = session_list_for_user(user=request.user).order_by("-date", "-pk")  # type: ignore[arg-type]
    if status:
        qs = qs.filter(status=status)
    if committee:
        qs = qs.filter(committee=committee)
    return [SessionSummaryOut(**_summary(s)) for s in qs[:500]]


@router.get(
    "/sessions/{session_id}",
    response=SessionOut,
    summary="Una sesión: asistencia, orden del día con votos y resoluciones, y el acta al cerrarse",
)
def session_detail(request: HttpRequest, session_id: int) -> SessionOut:
    return _out(request, _session(request, session_id))


# -------------------------------------------------------------------------------------------- writes


class ConveneIn(_In):
    committee: str = Field(..., max_length=24, json_schema_extra={"enum": [c for c, _ in COMMITTEE_CHOICES]})
    date: dt.date = Field(..., ge=FIRST_DATE, le=LAST_DATE)
    place: str = Field(..., max_length=200)
    quorum: int | None = Field(None, ge=1, le=99, description="Vacío: la mayoría de los miembros")


@router.post("/sessions", response={201: SessionOut}, summary="Convoca una sesión (secretario del comité)")
def session_new(request: HttpRequest, payload: ConveneIn) -> Status:
    try:
        session = session_convene(
            user=request.user,  # type: ignore[arg-type]
            committee=payload.committee,
            date=payload.date,
            place=payload.place,
            quorum=payload.quorum,
        )
    except NoRuleSetInForce as exc:
        raise InputError("date", str(exc)) from None
    return Status(201, _out(request, session))


class AttendanceIn(_In):
    members: list[UserId] = Field(
        ..., max_length=200, description="Identificadores de los miembros presentes"
    )


@router.put(
    "/sessions/{session_id}/attendance",
    response=SessionOut,
    summary="Registra la asistencia: la lista completa de miembros presentes",
)
def session_attendance_set(request: HttpRequest, session_id: int, payload: AttendanceIn) -> SessionOut:
    session = _session(request, session_id)
    wanted = set(payload.members)
    found = {u.pk: u for u in User.objects.filter(pk__in=wanted)} if wanted else {}
    unknown = sorted(wanted - set(found))
    if unknown:
        raise ValidationFailed(
            [DomainError(f"No existe el usuario {pk}.", field="members") for pk in unknown[:10]]
        )
    session = session_attendance(user=request.user, session=session, members=found.values())  # type: ignore[arg-type]
    return _out(request, session)


@router.post(
    "/sessions/{session_id}/hold",
    response=SessionOut,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"held_early_reason": {"type": "string", "maxLength": 2000}},
                        "additionalProperties": False,
                    }
                }
            },
            "required": False,
        }
    },
    summary="Celebra la sesión (con quórum); antes de su fecha, con {held_early_reason}",
)
def session_hold_now(request: HttpRequest, session_id: int) -> SessionOut:
    # The body is optional: a client that holds on the date posts nothing (or a form-encoded nothing).
    payload = json_object(request) if request.content_type == "application/json" and request.body else {}
    unknown = sorted(set(payload) - {"held_early_reason"})
    if unknown:
        raise ValidationFailed([DomainError("campo desconocido", field=name) for name in unknown])
    reason = payload.get("held_early_reason") or ""
    if not isinstance(reason, str) or len(reason) > 2000:
        raise ValidationFailed(
            [DomainError("debe ser un texto de hasta 2000 caracteres", field="held_early_reason")]
        )
    session = session_hold(user=request.user, session=_session(request, session_id), early_reason=reason)  # type: ignore[arg-type]
    return _out(request, session)


class RescheduleIn(_In):
    new_date: dt.date = Field(..., ge=FIRST_DATE, le=LAST_DATE)
    reason: str = Field(..., max_length=2000)


@router.post(
    "/sessions/{session_id}/reschedule",
    response=SessionOut,
    summary="Cambia la fecha de una sesión convocada, con el motivo (secretario de la sesión)",
)
def session_reschedule_now(request: HttpRequest, session_id: int, payload: RescheduleIn) -> SessionOut:
    session = session_reschedule(
        user=request.user,  # type: ignore[arg-type]
        session=_session(request, session_id),
        new_date=payload.new_date,
        reason=payload.reason,
    )
    return _out(request, session)


@router.post(
    "/sessions/{session_id}/close",
    response=SessionOut,
    summary="Cierra la sesión con todos sus asuntos resueltos y asienta el acta",
)
def session_close_now(request: HttpRequest, session_id: int) -> SessionOut:
    session = session_close(user=request.user, session=_session(request, session_id))  # type: ignore[arg-type]
    return _out(request, session)


class AgendaAddIn(_In):
    file_id: int = ID


@router.post(
    "/sessions/{session_id}/items",
    response={201: SessionOut},
    summary="Integra al orden del día un expediente propuesto al comité con facultades sobre él",
)
def agenda_add(request: HttpRequest, session_id: int, payload: AgendaAddIn) -> Status:
    session = _session(request, session_id)
    file = file_get_for_user(user=request.user, file_id=payload.file_id)  # type: ignore[arg-type]
    agenda_add_file(user=request.user, session=session, file=file)  # type: ignore[arg-type]
    return Status(201, _out(request, session))


class AgendaAddLoanRequestIn(_In):
    loan_request_id: int = ID


@router.post(
    "/sessions/{session_id}/loan-requests",
    response={201: SessionOut},
    summary="Integra al orden del día una solicitud de reestructura o castigo (por saldo de capital, R-17)",
)
def agenda_add_request(request: HttpRequest, session_id: int, payload: AgendaAddLoanRequestIn) -> Status:
    session = _session(request, session_id)
    found = loan_request_get_for_user(user=request.user, request_id=payload.loan_request_id)  # type: ignore[arg-type]
    agenda_add_loan_request(user=request.user, session=session, request=found)  # type: ignore[arg-type]
    return Status(201, _out(request, session))


class VoteIn(_In):
    vote: str = Field(..., max_length=12, json_schema_extra={"enum": list(VoteChoice.values)})


@router.post(
    "/sessions/{session_id}/items/{item_id}/votes",
    response={201: SessionOut},
    summary="El voto de un miembro presente sobre un asunto",
)
def vote(request: HttpRequest, session_id: int, item_id: int, payload: VoteIn) -> Status:
    item = _agenda_item(request, session_id, item_id)
    vote_cast(user=request.user, item=item, vote=payload.vote)  # type: ignore[arg-type]
    return Status(201, _out(request, item.session))


class ResolutionIn(_In):
    decision: str = Field(..., max_length=12, json_schema_extra={"enum": list(Decision.values)})
    conditions: str = Field("", max_length=5000)
    observations: str = Field("", max_length=5000)


@router.post(
    "/sessions/{session_id}/items/{item_id}/resolution",
    response={201: SessionOut},
    summary="Registra el acuerdo del comité sobre un asunto y lo aplica al expediente",
)
def resolution(request: HttpRequest, session_id: int, item_id: int, payload: ResolutionIn) -> Status:
    item = _agenda_item(request, session_id, item_id)
    resolution_record(
        user=request.user,  # type: ignore[arg-type]
        item=item,
        decision=payload.decision,
        conditions=payload.conditions,
        observations=payload.observations,
    )
    return Status(201, _out(request, item.session))


class WithdrawIn(_In):
    reason: str = Field(..., max_length=5000)


@router.post(
    "/sessions/{session_id}/items/{item_id}/withdrawal",
    response=SessionOut,
    summary="Retira del orden del día un asunto sin resolver (con su motivo)",
)
def withdraw(request: HttpRequest, session_id: int, item_id: int, payload: WithdrawIn) -> SessionOut:
    item = _agenda_item(request, session_id, item_id)
    session = item.session
    agenda_withdraw(user=request.user, item=item, reason=payload.reason)  # type: ignore[arg-type]
    return _out(request, session)
