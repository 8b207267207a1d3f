"""Writes on committee sessions (Rules 17): convene, agenda, attendance, votes, resolutions, minutes.

Every service checks the role, the secretary and the session's state by the session's lifecycle table
(`committees.lifecycle.SESSION`, which the session page reads too), writes the change and its audit
record in one transaction, and cites the rule of the rule set where the Rules decide (e.g. which committee has
power over a file). The resolution is applied to the file or the guarantee request by the origination
services, inside the same transaction as the agreement that orders it.

Session procedure that the Rules do not fix (they fix only the committees' powers) is decided here:
the voting members are the active users with the «miembro de comité» role who belong to the committee;
the quorum defaults to a majority of them; every present member who may vote must have voted before
the resolution is recorded, and «autorizado» needs more votes in favour than against plus abstentions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from filon.accounts.access import require_another_person, require_role
from filon.accounts.models import User
from filon.audit.services import AuditRecordHolder, audit_record, audited, snapshot
from filon.committees.lifecycle import SECRETARY, SESSION
from filon.committees.models import (
    COMMITTEE_CHOICES,
    SESSION_PREFIX,
    AgendaItem,
    CommitteeSession,
    Decision,
    Resolution,
    SessionStatus,
    Vote,
    VoteChoice,
)
from filon.committees.selectors import committee_members, committee_name, committee_rules, is_committee_member
from filon.core.calendar import today_mx
from filon.core.money import format_money
from filon.errors import DomainError, Forbidden, TransitionRefused, ValidationFailed
from filon.origination.models import CreditFile, FileStatus, GuaranteeChange, LoanRequest
from filon.origination.selectors import file_ruleset
from filon.origination.services import file_resolve, guarantee_change_resolve, loan_request_resolve
from filon.rules import NoRuleSetInForce, RuleSet, load_ruleset_for_date

SESSION_FIELDS = [
    "committee",
    "number",
    "date",
    "place",
    "status",
    "secretary_id",
    "quorum",
    "held_early_reason",
    "convened_for",
    "reschedule_reason",
]
FILE_DECISIONS = (Decision.AUTHORIZED, Decision.REJECTED, Decision.RETURNED)
CHANGE_DECISIONS = (Decision.AUTHORIZED, Decision.REJECTED)


# ------------------------------------------------------------------------------------------ helpers


def _display(user: User) -> str:
    return user.get_full_name() or user.username


def _session_snapshot(session: CommitteeSession) -> dict[str, Any]:
    data = snapshot(session, SESSION_FIELDS)
    if session.pk:
        data["members_present"] = sorted(session.members_present.values_list("username", flat=True))
    return data


def _lock_session(session: CommitteeSession) -> CommitteeSession:
    return CommitteeSession.objects.select_for_update().select_related("secretary").get(pk=session.pk)


def _lock_item(item: AgendaItem) -> AgendaItem:
    return (
        AgendaItem.objects.select_for_update(of=("self",))
        .select_related(
            "session",
            "file__office",
            "guarantee_change__guarantee__file__office",
            "loan_request__file__office",
        )
        .get(pk=item.pk)
    )


def _session_audited(
    user: User, session: CommitteeSession, action: str, *, minutes: bool = False
) -> AbstractContextManager[AuditRecordHolder]:
    """The session's audited change (its fields and attendance; with `minutes`, the minutes too)."""

    def take(s: CommitteeSession) -> dict[str, Any]:
        data = _session_snapshot(s)
        return {**data, "minutes": s.minutes} if minutes else data

    return audited(user=user, action=action, obj=session, fields=take)


def _sentence(text: str) -> str:
    """`text` with its first letter upper-cased (`str.capitalize` would lower-case a folio)."""
    return text[:1].upper() + text[1:]


def _item_file(item: AgendaItem) -> CreditFile:
    if item.file_id:
        assert item.file is not None
        return item.file
    if item.loan_request_id:
        assert item.loan_request is not None
        return item.loan_request.file
    assert item.guarantee_change is not None
    return item.guarantee_change.guarantee.file


def _item_makers(item: AgendaItem) -> set[int]:
    """Who prepared the matter, and so may neither vote on it nor record its resolution."""
    if item.file_id:
        assert item.file is not None
        return {pk for pk in (item.file.created_by_id, item.file.proposed_by_id) if pk}
    if item.loan_request_id:
        assert item.loan_request is not None
        return {item.loan_request.requested_by_id}
    assert item.guarantee_change is not None
    return {item.guarantee_change.requested_by_id}


def _item_label(item: AgendaItem) -> str:
    if item.file_id:
        assert item.file is not None
        return f"el expediente {item.file.folio}"
    if item.loan_request_id:
        assert item.loan_request is not None
        return loan_request_label(item.loan_request)
    assert item.guarantee_change is not None
    change = item.guarantee_change
    return (
        f"la solicitud de {change.get_kind_display().lower()} de garantía del expediente "
        f"{change.guarantee.file.folio}"
    )


def loan_request_label(request: LoanRequest) -> str:
    """«la solicitud de reestructura del crédito 0001-2026-0003 (expediente ZAC-2026-0001)»."""
    return (
        f"la solicitud de {request.get_kind_display().lower()} del crédito {request.loan_number} "
        f"(expediente {request.file.folio})"
    )


def _refuse_wrong_committee(
    session: CommitteeSession, routed: str, ruleset: RuleSet, what: str, field: str
) -> None:
    """A matter is resolved only by the committee with power over it (Rules 17, 10.4)."""
    if routed == session.committee:
        return
    session_name = committee_name(session.committee, session.date)
    target = committee_rules(ruleset, routed)
    if target is None:
        raise TransitionRefused(
            f"{what} no tiene instancia de decisión asignada; evalúelo antes de llevarlo a comité.",
            field=field,
            rule=ruleset.committees.rule,
        )
    raise TransitionRefused(
        f"{what} corresponde al {target.name} (regla {target.rule}); "
        f"el {session_name} no tiene facultades para resolverlo.",
        field=field,
        rule=target.rule,
    )


def _next_order(session: CommitteeSession) -> int:
    last = session.items.aggregate(last=Max("order"))["last"]
    return (last or 0) + 1


def _tally(item: AgendaItem) -> dict[str, int]:
    counts = {choice.value: 0 for choice in VoteChoice}
    for vote in item.votes.values_list("vote", flat=True):
        counts[vote] += 1
    return counts


# ------------------------------------------------------------------------------------------ sessions


@transaction.atomic
def session_convene(
    *, user: User, committee: str, date: dt.date, place: str, quorum: int | None = None
) -> CommitteeSession:
    """Convene a session: numbered per committee and year (CI-2026-07), quorum by default a majority."""
    require_role(user, SECRETARY, "convocar sesiones de comité")
    errors: list[DomainError] = []
    if committee not in dict(COMMITTEE_CHOICES):
        errors.append(DomainError(f"Comité desconocido «{committee}».", field="committee"))
    if not place.strip():
        errors.append(DomainError("Indique el lugar de la sesión.", field="place"))
    if errors:
        raise ValidationFailed(errors)
    try:
        name = committee_name(committee, date)
    except NoRuleSetInForce as exc:
        raise ValidationFailed([DomainError(str(exc), field="date")]) from exc
    if committee not in (user.committees or []):
        raise Forbidden(f"Usted no es secretario del {name}.", field="committee")
    members = committee_members(committee=committee)
    if not members:
        raise TransitionRefused(f"El {name} no tiene miembros registrados.", field="quorum")
    majority = len(members) // 2 + 1
    if quorum is None:
        quorum = majority
    elif not majority <= quorum <= len(members):
        raise ValidationFailed(
            [
                DomainError(
                    f"El quórum debe estar entre la mayoría ({majority}) y el total de miembros "
                    f"({len(members)}) del {name}.",
                    field="quorum",
                )
            ]
        )
    # Serialize numbering within the committee's year; the unique constraint is the backstop.
    taken = list(
        CommitteeSession.objects.select_for_update()
        .filter(committee=committee, year=date.year)
        .values_list("sequence", flat=True)
    )
    sequence = max(taken, default=0) + 1
    session = CommitteeSession.objects.create(
        committee=committee,
        year=date.year,
        sequence=sequence,
        number=f"{SESSION_PREFIX[committee]}-{date.year}-{sequence:02d}",
        date=date,
        place=place.strip(),
        secretary=user,
        quorum=quorum,
    )
    audit_record(user=user, action="committee_session.convene", obj=session, after=_session_snapshot(session))
    return session


@transaction.atomic
def session_attendance(*, user: User, session: CommitteeSession, members: Iterable[User]) -> CommitteeSession:
    """Record who attends. Only the committee's members; once held, quorum must remain and a member
    who has voted stays on the record."""
    session = _lock_session(session)
    SESSION.require("attendance", user, session)
    members = list({m.pk: m for m in members}.values())
    name = committee_name(session.committee, session.date)
    outsiders = [m for m in members if not is_committee_member(m, session.committee)]
    if outsiders:
        raise ValidationFailed(
            [DomainError(f"{_display(m)} no es miembro del {name}.", field="members") for m in outsiders]
        )
    if session.status == SessionStatus.HELD:
        if len(members) < session.quorum:
            raise TransitionRefused(
                f"La sesión ya se celebra: la asistencia no puede quedar por debajo del quórum "
                f"({len(members)} de {session.quorum}).",
                field="members",
            )
        keep = {m.pk for m in members}
        voted = (
            Vote.objects.filter(item__session=session)
            .exclude(member__in=keep)
            .select_related("member")
            .first()
        )
        if voted is not None:
            raise TransitionRefused(
                f"{_display(voted.member)} ya votó en esta sesión; su asistencia no se retira.",
                field="members",
            )
    with _session_audited(user, session, "committee_session.attendance"):
        session.members_present.set(members)
    return session


@transaction.atomic
def session_hold(*, user: User, session: CommitteeSession, early_reason: str = "") -> CommitteeSession:
    """The session is held (convocada → celebrada) with quorum present, on or after its date; before it
    only with the reason, which the minutes record (`held_early_reason`)."""
    session = _lock_session(session)
    reason = early_reason.strip()
    early = session.date > today_mx()
    if early and reason:
        SESSION.require_actor("hold", user, session)
        if session.status not in SESSION["hold"].sources:
            SESSION.require_state("hold", session)  # refuses by the state, as without a reason
        move = SESSION["hold"]
    else:
        move = SESSION.require("hold", user, session)  # before its date, the guard asks for the reason
    present = session.members_present.count()
    if present < session.quorum:
        raise TransitionRefused(
            f"No hay quórum: asisten {present} de {session.quorum} miembros requeridos.",
            field="members_present",
        )
    action = "committee_session.hold_early" if early else "committee_session.hold"
    with _session_audited(user, session, action) as change:
        change.note = reason if early else ""
        session.status, session.held_at = SESSION.target(move.action), timezone.now()
        session.held_early_reason = reason if early else ""
        if (
            early
        ):  # held today: its resolutions carry today's date; the date it was convened for stays on record
            session.convened_for = session.convened_for or session.date
            session.date = today_mx()
        session.save(update_fields=["status", "held_at", "held_early_reason", "date", "convened_for"])
    return session


@transaction.atomic
def session_reschedule(
    *, user: User, session: CommitteeSession, new_date: dt.date, reason: str
) -> CommitteeSession:
    """Move a convened session to another date, with the reason (the first date stays on record). The
    date stays in the session's year, whose number it carries; not before today."""
    session = _lock_session(session)
    SESSION.require("reschedule", user, session)
    errors: list[DomainError] = []
    if not reason.strip():
        errors.append(DomainError("Indique el motivo del cambio de fecha.", field="reason"))
    if new_date == session.date:
        errors.append(
            DomainError(f"La sesión ya está convocada para el {new_date:%d/%m/%Y}.", field="new_date")
        )
    elif new_date < today_mx():
        errors.append(DomainError("La nueva fecha no puede ser anterior a hoy.", field="new_date"))
    elif new_date.year != session.year:
        errors.append(
            DomainError(
                f"La sesión {session.number} es del año {session.year}; para otro año convoque una nueva "
                "sesión.",
                field="new_date",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    try:
        committee_name(session.committee, new_date)
    except NoRuleSetInForce as exc:
        raise ValidationFailed([DomainError(str(exc), field="new_date")]) from exc
    with _session_audited(user, session, "committee_session.reschedule") as change:
        change.note = reason.strip()
        session.convened_for = session.convened_for or session.date
        session.date, session.reschedule_reason = new_date, reason.strip()
        session.save(update_fields=["date", "convened_for", "reschedule_reason"])
    return session


@transaction.atomic
def session_close(*, user: User, session: CommitteeSession) -> CommitteeSession:
    """Close a held session once every matter is resolved, and write its minutes (acta)."""
    session = _lock_session(session)
    move = SESSION.require("close", user, session)
    pending = list(
        session.items.filter(resolution__isnull=True).select_related(
            "file", "guarantee_change__guarantee__file"
        )
    )
    if pending:
        listed = "; ".join(f"{i.order} ({_item_file(i).folio})" for i in pending)
        raise TransitionRefused(
            f"No se puede cerrar la sesión: {len(pending)} asunto(s) sin resolución: {listed}.",
            field="items",
        )
    with _session_audited(user, session, "committee_session.close", minutes=True):
        session.minutes = minutes_text(session)
        session.status, session.closed_at = SESSION.target(move.action), timezone.now()
        session.save(update_fields=["minutes", "status", "closed_at"])
    return session


# -------------------------------------------------------------------------------------------- agenda


@transaction.atomic
def agenda_add_file(*, user: User, session: CommitteeSession, file: CreditFile) -> AgendaItem:
    """Put a proposed file on the agenda of the committee the rules engine routed it to."""
    session = _lock_session(session)
    SESSION.require("agenda_add", user, session)
    file = CreditFile.objects.select_for_update().select_related("applicant", "office").get(pk=file.pk)
    if file.status != FileStatus.PROPOSED:
        raise TransitionRefused(
            f"El expediente {file.folio} está «{FileStatus(file.status).label.lower()}»; "
            "sólo un expediente propuesto a comité entra al orden del día.",
            field="status",
        )
    if not file.signoff_by_id:
        raise TransitionRefused(
            f"El expediente {file.folio} no tiene el visto bueno del gerente regional de "
            f"{file.office.name}; sin él no entra al orden del día.",
            field="signoff_by",
        )
    _refuse_wrong_committee(
        session, file.committee, file_ruleset(file), f"El expediente {file.folio}", "committee"
    )
    pending = AgendaItem.objects.filter(file=file, resolution__isnull=True).select_related("session").first()
    if pending is not None:
        raise TransitionRefused(
            f"El expediente {file.folio} ya está en el orden del día de la sesión {pending.session.number}.",
            field="file",
        )
    item = AgendaItem.objects.create(session=session, order=_next_order(session), file=file, added_by=user)
    audit_record(
        user=user,
        action="committee_agenda.add_file",
        obj=item,
        after={**snapshot(item, ["session_id", "order", "file_id"]), "folio": file.folio},
        office=file.office,
    )
    return item


@transaction.atomic
def agenda_add_guarantee_change(
    *, user: User, session: CommitteeSession, change: GuaranteeChange
) -> AgendaItem:
    """Put a guarantee release or substitution request on the agenda of the committee with power (10.4)."""
    session = _lock_session(session)
    SESSION.require("agenda_add", user, session)
    change = (
        GuaranteeChange.objects.select_for_update(of=("self",))
        .select_related("guarantee__file__office")
        .get(pk=change.pk)
    )
    file = change.guarantee.file
    what = f"La solicitud de {change.get_kind_display().lower()} de garantía del expediente {file.folio}"
    if change.status != GuaranteeChange.Status.REQUESTED:
        raise TransitionRefused(
            f"{what} ya fue resuelta ({change.get_status_display().lower()}).", field="status"
        )
    _refuse_wrong_committee(session, change.committee, file_ruleset(file), what, "committee")
    pending = (
        AgendaItem.objects.filter(guarantee_change=change, resolution__isnull=True)
        .select_related("session")
        .first()
    )
    if pending is not None:
        raise TransitionRefused(
            f"{what} ya está en el orden del día de la sesión {pending.session.number}.",
            field="guarantee_change",
        )
    item = AgendaItem.objects.create(
        session=session, order=_next_order(session), guarantee_change=change, added_by=user
    )
    audit_record(
        user=user,
        action="committee_agenda.add_guarantee_change",
        obj=item,
        after={**snapshot(item, ["session_id", "order", "guarantee_change_id"]), "folio": file.folio},
        office=file.office,
    )
    return item


@transaction.atomic
def agenda_add_loan_request(*, user: User, session: CommitteeSession, request: LoanRequest) -> AgendaItem:
    """Put a restructuring or write-off request on the agenda of the committee with power over the loan's
    principal balance (17.2 b, 17.3 b)."""
    session = _lock_session(session)
    SESSION.require("agenda_add", user, session)
    request = (
        LoanRequest.objects.select_for_update(of=("self",)).select_related("file__office").get(pk=request.pk)
    )
    what = _sentence(loan_request_label(request))
    if request.status != LoanRequest.Status.REQUESTED:
        raise TransitionRefused(
            f"{what} está «{request.get_status_display().lower()}»; sólo una solicitud en trámite entra al "
            "orden del día.",
            field="status",
        )
    _refuse_wrong_committee(
        session, request.committee, load_ruleset_for_date(request.as_of), what, "committee"
    )
    pending = (
        AgendaItem.objects.filter(loan_request=request, resolution__isnull=True)
        .select_related("session")
        .first()
    )
    if pending is not None:
        raise TransitionRefused(
            f"{what} ya está en el orden del día de la sesión {pending.session.number}.", field="loan_request"
        )
    item = AgendaItem.objects.create(
        session=session, order=_next_order(session), loan_request=request, added_by=user
    )
    audit_record(
        user=user,
        action=f"committee_agenda.add_loan_request.{request.kind}",
        obj=item,
        after={
            **snapshot(item, ["session_id", "order", "loan_request_id"]),
            "folio": request.file.folio,
            "loan_number": request.loan_number,
        },
        office=request.file.office,
    )
    return item


@transaction.atomic
def agenda_withdraw(*, user: User, item: AgendaItem, reason: str) -> None:
    """Take an unresolved matter off the agenda (e.g. the file was cancelled), so the session can close."""
    item = _lock_item(item)
    session = _lock_session(item.session)
    SESSION.require("agenda_withdraw", user, session)
    if Resolution.objects.filter(item=item).exists():
        raise TransitionRefused(f"{_sentence(_item_label(item))} ya fue resuelto.", field="item")
    if not reason.strip():
        raise ValidationFailed([DomainError("Indique el motivo del retiro.", field="reason")])
    audit_record(
        user=user,
        action="committee_agenda.withdraw",
        obj=item,
        before={
            **snapshot(item, ["session_id", "order", "file_id", "guarantee_change_id", "loan_request_id"]),
            "votes": _tally(item),
        },
        office=_item_file(item).office,
        note=reason.strip(),
    )
    item.votes.all().delete()
    item.delete()


# ------------------------------------------------------------------------------ votes and resolutions


@transaction.atomic
def vote_cast(*, user: User, item: AgendaItem, vote: str) -> Vote:
    """A present member votes on a matter; whoever prepared the matter may not (maker-checker)."""
    SESSION.require_actor("vote", user, item.session)  # the role; membership and presence follow
    if vote not in VoteChoice.values:
        raise ValidationFailed(
            [DomainError(f"Voto desconocido «{vote}»; use a favor, en contra o abstención.", field="vote")]
        )
    item = _lock_item(item)
    session = _lock_session(item.session)
    require_another_person(
        user,
        _item_makers(item),
        f"Quien integró, propuso o solicitó {_item_label(item)} no puede votarlo",
        "member",
    )
    name = committee_name(session.committee, session.date)
    if not is_committee_member(user, session.committee):
        raise Forbidden(f"{_display(user)} no es miembro del {name}.", field="member")
    if not session.members_present.filter(pk=user.pk).exists():
        raise Forbidden(f"Sólo votan los miembros presentes en la sesión {session.number}.", field="member")
    SESSION.require_state("vote", session)
    if Resolution.objects.filter(item=item).exists():
        raise TransitionRefused(f"{_sentence(_item_label(item))} ya fue resuelto.", field="item")
    if Vote.objects.filter(item=item, member=user).exists():
        raise TransitionRefused(f"Ya emitió su voto sobre {_item_label(item)}.", field="vote")
    cast = Vote.objects.create(item=item, member=user, vote=vote)
    audit_record(
        user=user,
        action="committee_vote.cast",
        obj=item,
        after={"member": user.username, "vote": vote},
        office=_item_file(item).office,
    )
    return cast


def _refuse_stale_matter(item: AgendaItem) -> None:
    """The file or request changed state since it entered the agenda (e.g. cancelled): withdraw it."""
    if item.file_id:
        assert item.file is not None
        if item.file.status != FileStatus.PROPOSED:
            raise TransitionRefused(
                f"El expediente {item.file.folio} está «{FileStatus(item.file.status).label.lower()}» "
                "y ya no puede resolverse; retírelo del orden del día.",
                field="status",
            )
        return
    if item.loan_request_id:
        assert item.loan_request is not None
        if item.loan_request.status != LoanRequest.Status.REQUESTED:
            raise TransitionRefused(
                f"{_sentence(_item_label(item))} está «{item.loan_request.get_status_display().lower()}» "
                "y ya no puede resolverse; retírela del orden del día.",
                field="status",
            )
        return
    assert item.guarantee_change is not None
    if item.guarantee_change.status != GuaranteeChange.Status.REQUESTED:
        raise TransitionRefused(
            f"{_sentence(_item_label(item))} ya fue resuelta; retírela del orden del día.", field="status"
        )


def _agreement_number(session: CommitteeSession) -> str:
    done = Resolution.objects.filter(item__session=session).count()
    return f"{session.number}/{done + 1:03d}"


@transaction.atomic
def resolution_record(
    *, user: User, item: AgendaItem, decision: str, conditions: str = "", observations: str = ""
) -> Resolution:
    """The secretary records the committee's agreement on a matter and applies it to the file or the
    guarantee request, dated on the session's date."""
    require_role(user, SESSION.roles("resolution_record"), "registrar resoluciones de comité")
    item = _lock_item(item)
    session = _lock_session(item.session)
    SESSION.require_actor("resolution_record", user, session)
    require_another_person(
        user,
        _item_makers(item),
        f"Quien integró, propuso o solicitó {_item_label(item)} no puede registrar su resolución",
        "user",
    )
    SESSION.require_state("resolution_record", session)
    if Resolution.objects.filter(item=item).exists():
        raise TransitionRefused(f"{_sentence(_item_label(item))} ya fue resuelto.", field="item")
    _refuse_stale_matter(item)
    present = list(session.members_present.order_by("username"))
    if len(present) < session.quorum:
        raise TransitionRefused(
            f"No hay quórum: asisten {len(present)} de {session.quorum} miembros requeridos.",
            field="members_present",
        )
    allowed = FILE_DECISIONS if item.file_id else CHANGE_DECISIONS
    if decision not in allowed:
        names = ", ".join(Decision(d).label.lower() for d in allowed)
        raise ValidationFailed(
            [DomainError(f"Resolución «{decision}» no válida; puede ser: {names}.", field="decision")]
        )
    if decision == Decision.RETURNED and not observations.strip():
        raise ValidationFailed([DomainError("La devolución requiere observaciones.", field="observations")])
    makers = _item_makers(item)
    voted = set(item.votes.values_list("member_id", flat=True))
    missing = [m for m in present if m.pk not in voted and m.pk not in makers]
    if missing:
        raise TransitionRefused(
            "Faltan los votos de: " + ", ".join(_display(m) for m in missing) + ".", field="votes"
        )
    tally = _tally(item)
    cast = sum(tally.values())
    if cast == 0:
        raise TransitionRefused("No hay votos emitidos sobre este asunto.", field="votes")
    carried = tally[VoteChoice.FAVOR] * 2 > cast
    summary = (
        f"a favor {tally[VoteChoice.FAVOR]}, en contra {tally[VoteChoice.CONTRA]}, "
        f"abstenciones {tally[VoteChoice.ABSTENCION]}"
    )
    if decision == Decision.AUTHORIZED and not carried:
        raise TransitionRefused(
            f"Para autorizar se requiere la mayoría de los votos a favor ({summary}).", field="decision"
        )
    if decision != Decision.AUTHORIZED and carried:
        raise TransitionRefused(
            f"La mayoría votó a favor ({summary}); la resolución debe ser «autorizado».", field="decision"
        )
    resolution = Resolution.objects.create(
        item=item,
        decision=decision,
        conditions=conditions.strip(),
        observations=observations.strip(),
        agreement_number=_agreement_number(session),
        recorded_by=user,
    )
    if item.file_id:
        assert item.file is not None
        file_resolve(
            user=user,
            file=item.file,
            decision=decision,
            resolved_on=session.date,
            conditions=resolution.conditions,
            observations=resolution.observations,
        )
    elif item.loan_request_id:
        assert item.loan_request is not None
        loan_request_resolve(
            user=user,
            request=item.loan_request,
            authorized=decision == Decision.AUTHORIZED,
            agreement_number=resolution.agreement_number,
        )
    else:
        assert item.guarantee_change is not None
        guarantee_change_resolve(
            user=user, change=item.guarantee_change, authorized=decision == Decision.AUTHORIZED
        )
    audit_record(
        user=user,
        action=f"committee_resolution.{decision}",
        obj=item,
        after={
            **snapshot(resolution, ["decision", "conditions", "observations", "agreement_number"]),
            "votes": tally,
        },
        office=_item_file(item).office,
    )
    return resolution


# ------------------------------------------------------------------------------------------- minutes


def _amount(file: CreditFile) -> str:
    text = format_money(file.amount, file.currency)
    return f"{text} MXN" if file.currency == "MXN" else text


def _votes_text(item: AgendaItem) -> str:
    groups: dict[str, list[str]] = {choice.value: [] for choice in VoteChoice}
    for vote in item.votes.select_related("member").order_by("member__username"):
        groups[vote.vote].append(_display(vote.member))
    parts = []
    for choice in VoteChoice:
        names = groups[choice.value]
        parts.append(f"{choice.label.lower()}: {len(names)}" + (f" ({', '.join(names)})" if names else ""))
    return "; ".join(parts)


def _loan_request_minutes(order: int, request: LoanRequest) -> list[str]:
    file = request.file
    balance = format_money(request.principal_balance, request.currency)
    lines = [
        f"{order}. Solicitud de {request.get_kind_display().lower()} del crédito {request.loan_number}, "
        f"expediente {file.folio}",
        f"   Acreditado: {file.applicant.name}",
        f"   Saldo de capital al {request.as_of:%d/%m/%Y}: {balance}"
        + (
            f" MXN (USD {format_money(request.principal_balance_usd)} al FIX {request.fx_usd_mxn})"
            if request.currency == "MXN"
            else ""
        ),
        f"   Instancia: regla {request.committee_rule}",
    ]
    terms = request.proposal.get("summary") if isinstance(request.proposal, dict) else None
    if terms:
        lines.append(f"   Condiciones propuestas: {terms}")
    lines.append(f"   Motivo: {request.reason}")
    return lines


def _date_changes_text(session: CommitteeSession) -> list[str]:
    """The minutes' record of a moved session and of one held before its date, with their reasons."""
    lines = []
    if session.convened_for and session.reschedule_reason:
        lines.append(
            f"Convocada originalmente para el {session.convened_for:%d/%m/%Y}; cambio de fecha: "
            f"{session.reschedule_reason}"
        )
    if session.held_early_reason and session.held_at:
        held_on = timezone.localtime(session.held_at).date()
        lines.append(
            f"Celebrada el {held_on:%d/%m/%Y}, antes de la fecha convocada"
            + (f" ({session.convened_for:%d/%m/%Y})" if session.convened_for else "")
            + f"; motivo: {session.held_early_reason}"
        )
    return lines


def minutes_text(session: CommitteeSession) -> str:
    """The session's minutes (acta), in Spanish, from the recorded facts."""
    ruleset = load_ruleset_for_date(session.date)
    rules = committee_rules(ruleset, session.committee)
    name = rules.name if rules else session.get_committee_display()
    present = sorted(session.members_present.all(), key=lambda u: u.username)
    lines = [
        f"ACTA DE LA SESIÓN {session.number} DEL {name.upper()}",
        "",
        f"Comité: {name}" + (f" (Reglas de Operación, regla {rules.rule})" if rules else ""),
        f"Sesión: {session.number}",
        f"Fecha: {session.date:%d/%m/%Y}",
        *_date_changes_text(session),
        f"Lugar: {session.place}",
        f"Secretario: {_display(session.secretary)}",
        f"Quórum requerido: {session.quorum}; miembros presentes: {len(present)}.",
        "Miembros presentes:",
        *[f"  - {_display(m)}" for m in present],
        "",
        "ASUNTOS Y ACUERDOS",
    ]
    items = list(
        session.items.select_related(
            "file__applicant",
            "guarantee_change__guarantee__file__applicant",
            "guarantee_change__replacement",
            "loan_request__file__applicant",
            "resolution",
        ).order_by("order")
    )
    if not items:
        lines.append("Sin asuntos en el orden del día.")
    for item in items:
        resolution = item.resolution
        file = _item_file(item)
        lines.append("")
        if item.file_id:
            lines += [
                f"{item.order}. Expediente {file.folio}",
                f"   Solicitante: {file.applicant.name}",
                f"   Programa: {file.get_program_display()}; tipo de crédito: {file.get_credit_type_display()}",
                f"   Monto: {_amount(file)}",
            ]
        elif item.loan_request_id:
            assert item.loan_request is not None
            lines += _loan_request_minutes(item.order, item.loan_request)
        else:
            assert item.guarantee_change is not None
            change = item.guarantee_change
            guarantee = change.guarantee
            lines += [
                f"{item.order}. Solicitud de {change.get_kind_display().lower()} de garantía, "
                f"expediente {file.folio}",
                f"   Solicitante: {file.applicant.name}",
                f"   Monto del crédito: {_amount(file)}",
                f"   Garantía: {guarantee.get_type_display()}, {guarantee.description} "
                f"({format_money(guarantee.value)} MXN)",
                f"   Motivo: {change.reason}",
            ]
            if change.replacement is not None:
                replacement = change.replacement
                lines.append(
                    f"   Garantía sustituta: {replacement.get_type_display()}, {replacement.description} "
                    f"({format_money(replacement.value)} MXN)"
                )
        lines += [
            f"   Resolución: {resolution.get_decision_display()}",
            f"   Acuerdo: {resolution.agreement_number}",
            f"   Condiciones: {resolution.conditions or 'ninguna'}",
            f"   Observaciones: {resolution.observations or 'ninguna'}",
            f"   Votación: {_votes_text(item)}",
        ]
    lines += [
        "",
        f"Se cierra la sesión {session.number}. Da fe el secretario, {_display(session.secretary)}.",
    ]
    return "\n".join(lines) + "\n"
