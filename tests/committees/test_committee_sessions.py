"""Committee sessions (Rules 17): convene, agenda, attendance, votes, resolutions, minutes.

Each refusal asserts the exact message, the field and the rule it cites, and that nothing changed: the
file's status, the agenda, the votes, the resolutions and the audit trail.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import another_manager, applicant_data, proposal_data, signoff
from filon.applicants.services import applicant_create
from filon.audit.models import AuditRecord
from filon.committees.models import AgendaItem, CommitteeSession, Resolution, SessionStatus, Vote
from filon.committees.selectors import (
    agenda_items_for_user,
    agenda_pending_files,
    agenda_pending_guarantee_changes,
    session_get_for_user,
    session_list_for_user,
    session_minutes_for_user,
)
from filon.committees.services import (
    agenda_add_file,
    agenda_add_guarantee_change,
    agenda_withdraw,
    resolution_record,
    session_attendance,
    session_close,
    session_convene,
    session_hold,
    vote_cast,
)
from filon.core.calendar import MEXICO_CITY, today_mx
from filon.errors import Forbidden, NotFound, TransitionRefused, ValidationFailed
from filon.origination.models import CreditFile, FileStatus, GuaranteeChange, GuaranteeStatus
from filon.origination.services import (
    GuaranteeData,
    file_cancel,
    file_create,
    file_propose,
    file_requirements_complete,
    file_start_analysis,
    guarantee_add,
    guarantee_change_request,
    requirement_legal_opinion,
    requirement_review,
    requirement_upload,
)
from filon.programs.services import program_step_record, program_steps_ensure
from filon.rules import load_ruleset_for_date

pytestmark = pytest.mark.django_db

# A Tuesday, inside the FIX series the `fix_rate` fixture stores.
FROZEN_NOW = dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(FROZEN_NOW, tick=False):
        yield


def propose(cast, file, *, user=None, proposer=None, guarantee_value="30000000"):
    """Guarantees that cover the request, every authorization requirement met (approved by a manager of the
    office), analysed, proposed (by `proposer`, default the Zacatecas manager: the maker and the proposer are
    two people) and signed off by another manager of the office (four eyes)."""

    user = user or cast.ana
    proposer = proposer or cast.gerardo
    today = today_mx()
    guarantee_add(
        user=user,
        file=file,
        data=GuaranteeData(
            type="hipoteca_industrial",
            owner=file.applicant.name,
            description="Planta de beneficio y terreno industrial",
            value=Decimal(guarantee_value),
            appraisal_date=today - dt.timedelta(days=60),
        ),
    )
    for item in file.requirements.filter(stage="authorization"):
        pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.4 test", content_type="application/pdf")
        requirement_upload(user=user, item=item, uploaded=pdf, document_date=today)
        requirement_review(user=another_manager(file.office, user), item=item, approve=True)
        if item.legal_review:
            requirement_legal_opinion(user=cast.julia, item=item, favorable=True)
    file_requirements_complete(user=user, file=file)
    file_start_analysis(user=user, file=file)
    for step in program_steps_ensure(file=file):  # a special program's own steps (Chapter II)
        program_step_record(user=user, step=step, status="done", document="Constancia en el expediente")
    file_propose(user=proposer, file=file)
    return signoff(cast, file)


@pytest.fixture
def proposed_file(cast, credit_file):
    """MXN 12 M refaccionario of Zacatecas, created by ana, proposed by gerardo; Comité Interno."""
    return propose(cast, credit_file)


@pytest.fixture
def usd_file(cast):
    """USD 3 M refaccionario of Zacatecas: routed to the Comité Externo (Rules 17.2)."""
    applicant = applicant_create(
        user=cast.ana,
        data=applicant_data(
            name="Minera Grande del Norte, S.A. de C.V.",
            rfc="MGN120315AB1",
            equity_mxn=Decimal("80000000"),
            usd_income=True,
        ),
    ).obj
    file = file_create(
        user=cast.ana,
        applicant=applicant,
        proposal=proposal_data(
            currency="USD", amount=Decimal("3000000"), investment_program=Decimal("3500000")
        ),
    )
    return propose(cast, file, guarantee_value="150000000")


@pytest.fixture
def cananea_file(cast):
    """MXN 1.5 M of the Cananea program, captured and proposed by sofia (Sonora)."""
    from filon.funds.services import fund_create, fund_formalization_record

    # P-3 runs 24 months from its fund's formalization (3.19): recorded, so the file may go to committee.
    focir = fund_create(
        user=cast.omar, code="FOCIR", name="FOCIR", program="cananea", contributor="third_party"
    )
    fund_formalization_record(user=cast.omar, fund=focir, formalized_on=dt.date(2025, 1, 10))
    applicant = applicant_create(
        user=cast.sofia,
        data=applicant_data(
            name="Comercializadora Minera de Cananea, S.A. de C.V.",
            rfc="CMC120315AB1",
            state="SON",
            municipality="Cananea",
            activity=1,
            employees=20,
            annual_gross_income_mxn=Decimal("20000000"),
            equity_mxn=Decimal("5000000"),
        ),
    ).obj
    file = file_create(
        user=cast.sofia,
        applicant=applicant,
        proposal=proposal_data(
            program="cananea",
            amount=Decimal("1500000"),
            investment_program=Decimal("1600000"),
            term_months=60,
            grace_months=6,
        ),
    )
    return propose(cast, file, user=cast.sofia, proposer=cast.sofia, guarantee_value="3000000")


@pytest.fixture
def convened(cast):
    """A Comité Interno session convened by sergio for today."""
    return session_convene(
        user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala de Consejo, CDMX"
    )


@pytest.fixture
def held(cast, convened):
    """The Comité Interno session, held with marta, luis and elena present."""
    session_attendance(user=cast.sergio, session=convened, members=[cast.marta, cast.luis, cast.elena])
    return session_hold(user=cast.sergio, session=convened)


# ------------------------------------------------------------------------------------------ helpers


def rules_committee(code: str):
    ruleset = load_ruleset_for_date(today_mx())
    return next(c for c in ruleset.committees.committees if c.code == code)


def state(*files):
    """Everything a refused step must leave untouched."""
    return {
        "files": [
            CreditFile.objects.values_list("status", "authorized_on", "observations").get(pk=f.pk)
            for f in files
        ],
        "sessions": list(CommitteeSession.objects.order_by("pk").values_list("status", "minutes")),
        "items": AgendaItem.objects.count(),
        "votes": Vote.objects.count(),
        "resolutions": Resolution.objects.count(),
        "audit": AuditRecord.objects.count(),
    }


def assert_refused(call, error, message, *, field, rule=None, files=()):
    """The step raises `error` with exactly `message`, names `field`, cites `rule`, and changes nothing."""
    before = state(*files)
    with pytest.raises(error) as info:
        call()
    assert info.value.message == message
    assert info.value.field == field
    assert info.value.rule == rule
    assert state(*files) == before
    return info.value


def vote_all(item, members, vote="favor"):
    for member in members:
        vote_cast(user=member, item=item, vote=vote)


def promote(user, role, committees):
    """A regional user who later joins a committee: the maker-checker rule must still stop them."""
    user.role, user.committees = role, committees
    user.save(update_fields=["role", "committees"])
    return user


# -------------------------------------------------------------------------------------- happy path


def test_a_proposed_file_is_authorized_in_session_and_the_minutes_are_written(cast, proposed_file):
    today = today_mx()
    assert list(agenda_pending_files("comite_interno")) == [proposed_file]

    session = session_convene(
        user=cast.sergio, committee="comite_interno", date=today, place="Sala de Consejo, CDMX"
    )
    assert session.number == f"CI-{today.year}-01"
    assert session.status == SessionStatus.CONVENED
    assert session.quorum == 2  # a majority of marta, luis and elena

    item = agenda_add_file(user=cast.sergio, session=session, file=proposed_file)
    assert item.order == 1
    assert list(agenda_pending_files("comite_interno")) == []

    session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis, cast.elena])
    session = session_hold(user=cast.sergio, session=session)
    assert session.status == SessionStatus.HELD

    vote_cast(user=cast.marta, item=item, vote="favor")
    vote_cast(user=cast.luis, item=item, vote="favor")
    vote_cast(user=cast.elena, item=item, vote="abstencion")
    resolution = resolution_record(
        user=cast.sergio,
        item=item,
        decision="authorized",
        conditions="Constituir la hipoteca en primer lugar antes de la primera disposición.",
    )
    assert resolution.agreement_number == f"CI-{today.year}-01/001"
    assert resolution.recorded_by == cast.sergio

    file = CreditFile.objects.get(pk=proposed_file.pk)
    assert file.status == FileStatus.AUTHORIZED
    assert file.authorized_on == session.date
    ruleset = load_ruleset_for_date(today)
    assert file.authorization_expires_on == session.date + dt.timedelta(
        days=ruleset.authorization.validity_calendar_days
    )
    assert file.conditions == resolution.conditions
    assert set(file.guarantees.values_list("status", flat=True)) == {GuaranteeStatus.ACTIVE}

    session = session_close(user=cast.sergio, session=session)
    assert session.status == SessionStatus.CLOSED
    minutes = session.minutes
    for expected in (
        f"ACTA DE LA SESIÓN CI-{today.year}-01 DEL COMITÉ INTERNO DE CRÉDITO",
        f"Comité: Comité Interno de Crédito (Reglas de Operación, regla {rules_committee('comite_interno').rule})",
        f"Fecha: {today:%d/%m/%Y}",
        "Lugar: Sala de Consejo, CDMX",
        "Secretario: Sergio",
        "  - Elena\n  - Luis\n  - Marta\n",
        f"1. Expediente {file.folio}",
        "Solicitante: Minera La Veta Madre, S.A. de C.V.",
        "Monto: $12,000,000.00 MXN",
        "Resolución: Autorizado",
        f"Acuerdo: CI-{today.year}-01/001",
        "Condiciones: Constituir la hipoteca en primer lugar antes de la primera disposición.",
        "Observaciones: ninguna",
        "Votación: a favor: 2 (Luis, Marta); en contra: 0; abstención: 1 (Elena)",
    ):
        assert expected in minutes, expected
    assert session_minutes_for_user(user=cast.omar, session_id=session.pk) == minutes


def test_sessions_are_numbered_per_committee_and_year(cast):
    today = today_mx()
    first = session_convene(user=cast.sergio, committee="comite_interno", date=today, place="Sala 1")
    second = session_convene(user=cast.sergio, committee="comite_interno", date=today, place="Sala 1")
    external = session_convene(user=cast.sergio, committee="comite_externo", date=today, place="Sala 2")
    assert [first.number, second.number, external.number] == [
        f"CI-{today.year}-01",
        f"CI-{today.year}-02",
        f"CE-{today.year}-01",
    ]
    assert external.quorum == 1  # elena is the Comité Externo's only member in the cast


# ------------------------------------------------------------------------------------------ refusals


def test_a_file_routed_to_another_committee_is_refused_citing_its_rule(cast, usd_file):
    assert usd_file.committee == "comite_externo"
    internal = session_convene(user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala")
    external = rules_committee("comite_externo")
    assert_refused(
        lambda: agenda_add_file(user=cast.sergio, session=internal, file=usd_file),
        TransitionRefused,
        f"El expediente {usd_file.folio} corresponde al {external.name} (regla {external.rule}); "
        f"el {rules_committee('comite_interno').name} no tiene facultades para resolverlo.",
        field="committee",
        rule=external.rule,
        files=[usd_file],
    )
    assert list(agenda_pending_files("comite_externo")) == [usd_file]
    assert list(agenda_pending_files("comite_interno")) == []

    right = session_convene(user=cast.sergio, committee="comite_externo", date=today_mx(), place="Sala")
    item = agenda_add_file(user=cast.sergio, session=right, file=usd_file)
    assert item.session == right


def test_a_session_without_quorum_is_not_held(cast, convened, proposed_file):
    agenda_add_file(user=cast.sergio, session=convened, file=proposed_file)
    session_attendance(user=cast.sergio, session=convened, members=[cast.marta])
    assert_refused(
        lambda: session_hold(user=cast.sergio, session=convened),
        TransitionRefused,
        "No hay quórum: asisten 1 de 2 miembros requeridos.",
        field="members_present",
        files=[proposed_file],
    )
    assert CommitteeSession.objects.get(pk=convened.pk).status == SessionStatus.CONVENED


def test_no_vote_nor_resolution_before_the_session_is_held(cast, convened, proposed_file):
    item = agenda_add_file(user=cast.sergio, session=convened, file=proposed_file)
    session_attendance(user=cast.sergio, session=convened, members=[cast.marta, cast.luis])
    assert_refused(
        lambda: vote_cast(user=cast.marta, item=item, vote="favor"),
        TransitionRefused,
        f"No se puede votar: la sesión {convened.number} está «convocada» y debe estar: en sesión.",
        field="status",
        files=[proposed_file],
    )
    assert_refused(
        lambda: resolution_record(user=cast.sergio, item=item, decision="authorized"),
        TransitionRefused,
        f"No se puede registrar resoluciones: la sesión {convened.number} está «convocada» y debe estar: "
        "en sesión.",
        field="status",
        files=[proposed_file],
    )


def test_the_proposer_cannot_vote_on_the_file(cast, proposed_file):
    assert proposed_file.proposed_by == cast.gerardo
    promote(cast.gerardo, "miembro_comite", ["comite_interno"])
    session = session_convene(user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala")
    item = agenda_add_file(user=cast.sergio, session=session, file=proposed_file)
    session_attendance(user=cast.sergio, session=session, members=[cast.gerardo, cast.marta, cast.luis])
    session_hold(user=cast.sergio, session=session)
    assert_refused(
        lambda: vote_cast(user=cast.gerardo, item=item, vote="favor"),
        Forbidden,
        f"Quien integró, propuso o solicitó el expediente {proposed_file.folio} no puede votarlo "
        "(separación de funciones).",
        field="member",
        files=[proposed_file],
    )
    # The proposer's abstention from voting does not hold the others back.
    vote_all(item, [cast.marta, cast.luis])
    resolution_record(user=cast.sergio, item=item, decision="authorized")
    assert CreditFile.objects.get(pk=proposed_file.pk).status == FileStatus.AUTHORIZED


def test_the_creator_cannot_record_the_resolution(cast, proposed_file):
    assert proposed_file.created_by == cast.ana
    promote(cast.ana, "secretario_comite", ["comite_interno"])
    session = session_convene(user=cast.ana, committee="comite_interno", date=today_mx(), place="Sala")
    item = agenda_add_file(user=cast.ana, session=session, file=proposed_file)
    session_attendance(user=cast.ana, session=session, members=[cast.marta, cast.luis, cast.elena])
    session_hold(user=cast.ana, session=session)
    vote_all(item, [cast.marta, cast.luis, cast.elena])
    assert_refused(
        lambda: resolution_record(user=cast.ana, item=item, decision="authorized"),
        Forbidden,
        f"Quien integró, propuso o solicitó el expediente {proposed_file.folio} no puede registrar su "
        "resolución (separación de funciones).",
        field="user",
        files=[proposed_file],
    )
    assert CreditFile.objects.get(pk=proposed_file.pk).status == FileStatus.PROPOSED


def test_only_present_members_of_the_committee_vote(cast, held, proposed_file):
    from filon.accounts.models import User

    item = agenda_add_file(user=cast.sergio, session=held, file=proposed_file)
    session_attendance(user=cast.sergio, session=held, members=[cast.marta, cast.luis])
    tomas = User.objects.create_user(
        "tomas.externo", role="miembro_comite", committees=["comite_externo"], first_name="Tomás"
    )
    cases = [
        (
            cast.omar,
            "Su rol (Dirección) no puede votar en comité; corresponde a: Miembro de comité.",
            None,
        ),
        (tomas, "Tomás no es miembro del Comité Interno de Crédito.", "member"),
        (cast.elena, f"Sólo votan los miembros presentes en la sesión {held.number}.", "member"),
    ]
    for user, message, field in cases:
        assert_refused(
            lambda user=user: vote_cast(user=user, item=item, vote="favor"),
            Forbidden,
            message,
            field=field,
            files=[proposed_file],
        )
    assert_refused(
        lambda: session_attendance(user=cast.sergio, session=held, members=[cast.marta, tomas]),
        ValidationFailed,
        "Tomás no es miembro del Comité Interno de Crédito.",
        field="members",
        files=[proposed_file],
    )


def test_a_member_votes_once(cast, held, proposed_file):
    item = agenda_add_file(user=cast.sergio, session=held, file=proposed_file)
    vote_cast(user=cast.marta, item=item, vote="favor")
    assert_refused(
        lambda: vote_cast(user=cast.marta, item=item, vote="contra"),
        TransitionRefused,
        f"Ya emitió su voto sobre el expediente {proposed_file.folio}.",
        field="vote",
        files=[proposed_file],
    )
    assert_refused(
        lambda: vote_cast(user=cast.luis, item=item, vote="si"),
        ValidationFailed,
        "Voto desconocido «si»; use a favor, en contra o abstención.",
        field="vote",
        files=[proposed_file],
    )


def test_only_the_session_secretary_records_resolutions(cast, held, proposed_file):
    item = agenda_add_file(user=cast.sergio, session=held, file=proposed_file)
    vote_all(item, [cast.marta, cast.luis, cast.elena])
    assert_refused(
        lambda: resolution_record(user=cast.ana, item=item, decision="authorized"),
        Forbidden,
        "Su rol (Promotor / analista de crédito) no puede registrar resoluciones de comité; "
        "corresponde a: Secretario de comité.",
        field=None,
        files=[proposed_file],
    )
    assert_refused(
        lambda: resolution_record(user=cast.marta, item=item, decision="authorized"),
        Forbidden,
        "Su rol (Miembro de comité) no puede registrar resoluciones de comité; "
        "corresponde a: Secretario de comité.",
        field=None,
        files=[proposed_file],
    )
    from filon.accounts.models import User

    other = User.objects.create_user(
        "rosa.secretaria", role="secretario_comite", committees=["comite_interno"], first_name="Rosa"
    )
    assert_refused(
        lambda: resolution_record(user=other, item=item, decision="authorized"),
        Forbidden,
        f"Sólo el secretario de la sesión {held.number} puede registrar resoluciones.",
        field="secretary",
        files=[proposed_file],
    )


def test_every_present_member_votes_and_the_decision_follows_the_majority(cast, held, proposed_file):
    item = agenda_add_file(user=cast.sergio, session=held, file=proposed_file)
    vote_cast(user=cast.marta, item=item, vote="favor")
    assert_refused(
        lambda: resolution_record(user=cast.sergio, item=item, decision="authorized"),
        TransitionRefused,
        "Faltan los votos de: Elena, Luis.",
        field="votes",
        files=[proposed_file],
    )
    vote_cast(user=cast.luis, item=item, vote="contra")
    vote_cast(user=cast.elena, item=item, vote="abstencion")
    assert_refused(
        lambda: resolution_record(user=cast.sergio, item=item, decision="authorized"),
        TransitionRefused,
        "Para autorizar se requiere la mayoría de los votos a favor "
        "(a favor 1, en contra 1, abstenciones 1).",
        field="decision",
        files=[proposed_file],
    )
    assert_refused(
        lambda: resolution_record(user=cast.sergio, item=item, decision="approved"),
        ValidationFailed,
        "Resolución «approved» no válida; puede ser: autorizado, rechazado, devuelto con observaciones.",
        field="decision",
        files=[proposed_file],
    )


def test_a_session_with_unresolved_items_is_not_closed(cast, held, proposed_file):
    agenda_add_file(user=cast.sergio, session=held, file=proposed_file)
    assert_refused(
        lambda: session_close(user=cast.sergio, session=held),
        TransitionRefused,
        f"No se puede cerrar la sesión: 1 asunto(s) sin resolución: 1 ({proposed_file.folio}).",
        field="items",
        files=[proposed_file],
    )
    session = CommitteeSession.objects.get(pk=held.pk)
    assert (session.status, session.minutes) == (SessionStatus.HELD, "")


def test_a_file_already_on_an_agenda_is_not_added_twice(cast, held, proposed_file):
    agenda_add_file(user=cast.sergio, session=held, file=proposed_file)
    other = session_convene(user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala")
    assert_refused(
        lambda: agenda_add_file(user=cast.sergio, session=other, file=proposed_file),
        TransitionRefused,
        f"El expediente {proposed_file.folio} ya está en el orden del día de la sesión {held.number}.",
        field="file",
        files=[proposed_file],
    )


def test_a_captured_file_is_not_put_on_the_agenda(cast, convened, credit_file):
    assert_refused(
        lambda: agenda_add_file(user=cast.sergio, session=convened, file=credit_file),
        TransitionRefused,
        f"El expediente {credit_file.folio} está «capturado»; "
        "sólo un expediente propuesto a comité entra al orden del día.",
        field="status",
        files=[credit_file],
    )


# ---------------------------------------------------------------------------- other resolutions


def test_a_returned_file_goes_back_with_observations_and_can_be_proposed_again(cast, held, proposed_file):
    item = agenda_add_file(user=cast.sergio, session=held, file=proposed_file)
    vote_all(item, [cast.marta, cast.luis, cast.elena], vote="contra")
    assert_refused(
        lambda: resolution_record(user=cast.sergio, item=item, decision="returned"),
        ValidationFailed,
        "La devolución requiere observaciones.",
        field="observations",
        files=[proposed_file],
    )
    resolution = resolution_record(
        user=cast.sergio,
        item=item,
        decision="returned",
        observations="Actualizar el estudio geológico de reservas.",
    )
    file = CreditFile.objects.get(pk=proposed_file.pk)
    assert file.status == FileStatus.RETURNED
    assert file.observations == "Actualizar el estudio geológico de reservas."
    assert file.authorized_on is None
    assert resolution.decision == "returned"

    file_start_analysis(user=cast.ana, file=file)
    file_propose(user=cast.gerardo, file=file)
    assert list(agenda_pending_files("comite_interno")) == []  # a new proposal waits for its own sign-off
    signoff(cast, file)
    assert list(agenda_pending_files("comite_interno")) == [file]
    again = agenda_add_file(user=cast.sergio, session=held, file=file)
    assert again.order == 2


def test_a_rejected_file_is_closed(cast, held, proposed_file):
    item = agenda_add_file(user=cast.sergio, session=held, file=proposed_file)
    vote_cast(user=cast.marta, item=item, vote="favor")
    vote_cast(user=cast.luis, item=item, vote="contra")
    vote_cast(user=cast.elena, item=item, vote="contra")
    resolution_record(
        user=cast.sergio, item=item, decision="rejected", observations="Capacidad de pago insuficiente."
    )
    file = CreditFile.objects.get(pk=proposed_file.pk)
    assert (file.status, file.observations) == (FileStatus.REJECTED, "Capacidad de pago insuficiente.")
    assert file.authorization_expires_on is None
    session = session_close(user=cast.sergio, session=held)
    assert "Resolución: Rechazado" in session.minutes
    assert "Votación: a favor: 1 (Marta); en contra: 2 (Elena, Luis); abstención: 0" in session.minutes


def test_a_majority_in_favour_cannot_be_recorded_as_a_rejection(cast, held, proposed_file):
    item = agenda_add_file(user=cast.sergio, session=held, file=proposed_file)
    vote_all(item, [cast.marta, cast.luis, cast.elena])
    assert_refused(
        lambda: resolution_record(user=cast.sergio, item=item, decision="rejected"),
        TransitionRefused,
        "La mayoría votó a favor (a favor 3, en contra 0, abstenciones 0); "
        "la resolución debe ser «autorizado».",
        field="decision",
        files=[proposed_file],
    )


def test_a_guarantee_release_request_is_resolved_by_the_committee(cast, proposed_file):
    first = session_convene(user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala")
    item = agenda_add_file(user=cast.sergio, session=first, file=proposed_file)
    session_attendance(user=cast.sergio, session=first, members=[cast.marta, cast.luis, cast.elena])
    session_hold(user=cast.sergio, session=first)
    vote_all(item, [cast.marta, cast.luis, cast.elena])
    resolution_record(user=cast.sergio, item=item, decision="authorized")
    session_close(user=cast.sergio, session=first)

    guarantee = proposed_file.guarantees.get()
    assert guarantee.status == GuaranteeStatus.ACTIVE
    change = guarantee_change_request(
        user=cast.ana, guarantee=guarantee, kind="release", reason="Pago anticipado parcial del crédito."
    )
    assert change.committee == "comite_interno"
    assert list(agenda_pending_guarantee_changes("comite_interno")) == [change]

    second = session_convene(user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala")
    item = agenda_add_guarantee_change(user=cast.sergio, session=second, change=change)
    assert list(agenda_pending_guarantee_changes("comite_interno")) == []
    session_attendance(user=cast.sergio, session=second, members=[cast.marta, cast.luis])
    session_hold(user=cast.sergio, session=second)
    vote_all(item, [cast.marta, cast.luis])
    assert_refused(
        lambda: resolution_record(
            user=cast.sergio, item=item, decision="returned", observations="Falta avalúo."
        ),
        ValidationFailed,
        "Resolución «returned» no válida; puede ser: autorizado, rechazado.",
        field="decision",
        files=[proposed_file],
    )
    resolution = resolution_record(user=cast.sergio, item=item, decision="authorized")
    assert resolution.agreement_number == f"{second.number}/001"
    change.refresh_from_db()
    guarantee.refresh_from_db()
    assert change.status == GuaranteeChange.Status.AUTHORIZED
    assert guarantee.status == GuaranteeStatus.RELEASED

    minutes = session_close(user=cast.sergio, session=second).minutes
    assert f"1. Solicitud de liberación de garantía, expediente {proposed_file.folio}" in minutes
    assert "Motivo: Pago anticipado parcial del crédito." in minutes
    assert "Garantía: Hipoteca industrial, Planta de beneficio y terreno industrial ($30,000,000.00 MXN)" in (
        minutes
    )


def test_a_guarantee_request_for_another_committee_is_refused(cast, usd_file):
    external = session_convene(user=cast.sergio, committee="comite_externo", date=today_mx(), place="Sala")
    item = agenda_add_file(user=cast.sergio, session=external, file=usd_file)
    session_attendance(user=cast.sergio, session=external, members=[cast.elena])
    session_hold(user=cast.sergio, session=external)
    vote_cast(user=cast.elena, item=item, vote="favor")
    resolution_record(user=cast.sergio, item=item, decision="authorized")
    change = guarantee_change_request(
        user=cast.ana, guarantee=usd_file.guarantees.get(), kind="release", reason="Venta del inmueble."
    )
    internal = session_convene(user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala")
    rules = rules_committee("comite_externo")
    assert_refused(
        lambda: agenda_add_guarantee_change(user=cast.sergio, session=internal, change=change),
        TransitionRefused,
        f"La solicitud de liberación de garantía del expediente {usd_file.folio} corresponde al "
        f"{rules.name} (regla {rules.rule}); el Comité Interno de Crédito no tiene facultades para "
        "resolverlo.",
        field="committee",
        rule=rules.rule,
        files=[usd_file],
    )


def test_the_usd_amount_is_written_with_its_currency(cast, usd_file):
    session = session_convene(user=cast.sergio, committee="comite_externo", date=today_mx(), place="Sala")
    item = agenda_add_file(user=cast.sergio, session=session, file=usd_file)
    session_attendance(user=cast.sergio, session=session, members=[cast.elena])
    session_hold(user=cast.sergio, session=session)
    vote_cast(user=cast.elena, item=item, vote="favor")
    resolution_record(user=cast.sergio, item=item, decision="authorized")
    minutes = session_close(user=cast.sergio, session=session).minutes
    assert "DEL COMITÉ EXTERNO DE CRÉDITO" in minutes
    assert "Monto: USD 3,000,000.00" in minutes


def test_cananea_authorizations_last_what_the_program_says(cast, held, cananea_file):
    item = agenda_add_file(user=cast.sergio, session=held, file=cananea_file)
    vote_all(item, [cast.marta, cast.luis, cast.elena])
    resolution_record(user=cast.sergio, item=item, decision="authorized")
    file = CreditFile.objects.get(pk=cananea_file.pk)
    ruleset = load_ruleset_for_date(today_mx())
    days = ruleset.programs["cananea"].authorization_validity_calendar_days
    assert days
    assert days != ruleset.authorization.validity_calendar_days
    assert file.authorization_expires_on == held.date + dt.timedelta(days=days)


def test_a_cancelled_file_is_withdrawn_so_the_session_can_close(cast, held, proposed_file):
    item = agenda_add_file(user=cast.sergio, session=held, file=proposed_file)
    vote_cast(user=cast.marta, item=item, vote="favor")
    file_cancel(user=cast.gerardo, file=proposed_file, reason="El solicitante desiste.")
    assert_refused(
        lambda: resolution_record(user=cast.sergio, item=item, decision="rejected"),
        TransitionRefused,
        f"El expediente {proposed_file.folio} está «cancelado» y ya no puede resolverse; "
        "retírelo del orden del día.",
        field="status",
        files=[proposed_file],
    )
    agenda_withdraw(user=cast.sergio, item=item, reason="Expediente cancelado por la gerencia.")
    assert not AgendaItem.objects.filter(pk=item.pk).exists()
    withdrawn = AuditRecord.objects.get(action="committee_agenda.withdraw")
    assert withdrawn.before["votes"] == {"favor": 1, "contra": 0, "abstencion": 0}
    assert withdrawn.note == "Expediente cancelado por la gerencia."
    assert "Sin asuntos en el orden del día." in session_close(user=cast.sergio, session=held).minutes


# ------------------------------------------------------------------------------------- audit trail


def test_every_step_leaves_who_when_and_what_changed(cast, proposed_file):
    start = AuditRecord.objects.count()
    session = session_convene(user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala")
    item = agenda_add_file(user=cast.sergio, session=session, file=proposed_file)
    session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis])
    session_hold(user=cast.sergio, session=session)
    vote_all(item, [cast.marta, cast.luis])
    resolution = resolution_record(user=cast.sergio, item=item, decision="authorized")
    session_close(user=cast.sergio, session=session)

    rows = list(AuditRecord.objects.order_by("id")[start:])
    assert [(r.action, r.user.username) for r in rows] == [
        ("committee_session.convene", "sergio.secretario"),
        ("committee_agenda.add_file", "sergio.secretario"),
        ("committee_session.attendance", "sergio.secretario"),
        ("committee_session.hold", "sergio.secretario"),
        ("committee_vote.cast", "marta.comite"),
        ("committee_vote.cast", "luis.comite"),
        ("file.resolve.authorized", "sergio.secretario"),
        ("committee_resolution.authorized", "sergio.secretario"),
        ("committee_session.close", "sergio.secretario"),
    ]
    assert all(r.at == FROZEN_NOW for r in rows)
    convene, add, attendance, hold, vote, _, resolve, record, close = rows
    assert convene.before is None
    assert convene.after["number"] == session.number
    assert (add.object_type, add.object_id, add.office) == ("committees.agendaitem", str(item.pk), cast.zac)
    assert add.after["folio"] == proposed_file.folio
    assert (attendance.before, attendance.after) == (
        {"members_present": []},
        {"members_present": ["luis.comite", "marta.comite"]},
    )
    assert (hold.before, hold.after) == ({"status": "convened"}, {"status": "held"})
    assert vote.after == {"member": "marta.comite", "vote": "favor"}
    assert resolve.object_type == "origination.creditfile"
    assert resolve.before["status"] == "proposed"
    assert resolve.after["status"] == "authorized"
    assert record.after["agreement_number"] == resolution.agreement_number
    assert record.after["votes"] == {"favor": 2, "contra": 0, "abstencion": 0}
    assert close.before == {"status": "held", "minutes": ""}
    assert close.after["status"] == "closed"
    assert close.after["minutes"].startswith("ACTA DE LA SESIÓN")


# --------------------------------------------------------------------------------------- selectors


def test_regional_users_see_only_their_offices_items(cast, held, proposed_file, cananea_file):
    zac_item = agenda_add_file(user=cast.sergio, session=held, file=proposed_file)
    hmo_item = agenda_add_file(user=cast.sergio, session=held, file=cananea_file)
    for user in (cast.omar, cast.marta, cast.sergio, cast.julia):
        assert list(session_list_for_user(user=user)) == [held]
        assert list(agenda_items_for_user(user=user, session=held)) == [zac_item, hmo_item]
    assert list(agenda_items_for_user(user=cast.ana, session=held)) == [zac_item]
    assert list(agenda_items_for_user(user=cast.sofia, session=held)) == [hmo_item]
    assert session_get_for_user(user=cast.ana, session_id=held.pk) == held

    other = session_convene(user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala")
    assert list(session_list_for_user(user=cast.ana)) == [held]
    with pytest.raises(NotFound):
        session_get_for_user(user=cast.ana, session_id=other.pk)
    with pytest.raises(NotFound):
        session_minutes_for_user(user=cast.ana, session_id=held.pk)
    assert session_get_for_user(user=cast.omar, session_id=other.pk) == other


def test_pending_agenda_is_scoped_by_office(cast, proposed_file, cananea_file):
    assert list(agenda_pending_files("comite_interno")) == [proposed_file, cananea_file]
    assert list(agenda_pending_files("comite_interno", user=cast.sofia)) == [cananea_file]
    assert list(agenda_pending_files("comite_externo")) == []


def test_attendance_of_a_held_session_keeps_quorum_and_voters(cast, held, proposed_file):
    item = agenda_add_file(user=cast.sergio, session=held, file=proposed_file)
    assert_refused(
        lambda: session_attendance(user=cast.sergio, session=held, members=[cast.marta]),
        TransitionRefused,
        "La sesión ya se celebra: la asistencia no puede quedar por debajo del quórum (1 de 2).",
        field="members",
        files=[proposed_file],
    )
    vote_cast(user=cast.elena, item=item, vote="favor")
    assert_refused(
        lambda: session_attendance(user=cast.sergio, session=held, members=[cast.marta, cast.luis]),
        TransitionRefused,
        "Elena ya votó en esta sesión; su asistencia no se retira.",
        field="members",
        files=[proposed_file],
    )
    session_attendance(user=cast.sergio, session=held, members=[cast.elena, cast.luis])
    assert set(held.members_present.all()) == {cast.elena, cast.luis}
