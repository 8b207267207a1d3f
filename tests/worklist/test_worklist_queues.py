"""«Mis pendientes»: each queue's contents, who sees an item (role, office, assignee) and who does not, with
its clock and the rule the clock comes from; the order; the regional manager's office queue by analyst."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from conftest import _user, crew, pdf, satisfy, to_authorized, to_proposed, to_ready
from filon.core.calendar import business_days_between, today_mx
from filon.origination.models import RequirementItem, RequirementStatus
from filon.origination.services import file_requirements_complete, requirement_upload
from filon.rules.schema import Stage
from filon.worklist.selectors import office_queue, pending_items

pytestmark = pytest.mark.django_db


def keys(user) -> set[str]:
    return {item.key for item in pending_items(user)}


def item_of(user, key: str):
    found = [item for item in pending_items(user) if item.key == key]
    assert found, f"{user.username} does not see {key}: {sorted(keys(user))}"
    return found[0]


def everyone(cast) -> list:
    return [cast.ana, cast.gerardo, cast.sofia, cast.julia, cast.ramon, cast.sergio, cast.marta, cast.omar]


def only(cast, key: str) -> set[str]:
    return {u.username for u in everyone(cast) if key in keys(u)}


def _plain_item(file) -> RequirementItem:
    """An authorization requirement with no validity limit (no document date needed)."""
    return file.requirements.filter(stage=Stage.AUTHORIZATION.value, validity_months__isnull=True).first()


# ------------------------------------------------------------------------------------- documents


def test_an_uploaded_document_waits_for_a_reviewer_of_its_office_never_its_uploader(cast, credit_file):
    item = _plain_item(credit_file)
    requirement_upload(user=cast.ana, item=item, uploaded=pdf())
    key = f"doc-review:{item.pk}"
    assert only(cast, key) == {"gerardo.zac"}  # not ana (she uploaded it), not Hermosillo, not legal
    seen = item_of(cast.gerardo, key)
    assert seen.kind == "doc-review"
    assert seen.title == f"Revisar documento «{item.short_name}» del expediente {credit_file.folio}"
    assert seen.url == f"/expedientes/{credit_file.pk}/#requisitos"
    assert seen.office == cast.zac.name
    assert seen.since == today_mx()
    assert seen.rule == item.rule
    # the manager uploads another: now the analyst reviews it, the manager does not
    other = credit_file.requirements.filter(validity_months__isnull=True).exclude(pk=item.pk).first()
    requirement_upload(user=cast.gerardo, item=other, uploaded=pdf())
    assert f"doc-review:{other.pk}" in keys(cast.ana)
    assert f"doc-review:{other.pk}" not in keys(cast.gerardo)
    # reviewed, it leaves the queue
    RequirementItem.objects.filter(pk=item.pk).update(status=RequirementStatus.APPROVED)
    assert key not in keys(cast.gerardo)


def test_a_legal_document_waits_for_the_legal_areas_opinion(cast, credit_file):
    item = credit_file.requirements.filter(legal_review=True).first()
    assert item is not None
    requirement_upload(user=cast.ana, item=item, uploaded=pdf(), document_date=today_mx())
    key = f"legal-opinion:{item.pk}"
    assert only(cast, key) == {"julia.juridico"}
    assert "Dictamen jurídico" in item_of(cast.julia, key).title


# ------------------------------------------------------------------------------------------ files


def test_a_captured_file_waits_for_its_analyst_with_the_requirements_missing(cast, credit_file):
    key = f"file-requirements:{credit_file.pk}"
    assert only(cast, key) == {"ana.zac"}
    seen = item_of(cast.ana, key)
    missing = credit_file.requirements.filter(stage=Stage.AUTHORIZATION.value).count()
    assert seen.title == f"Completar {missing} requisitos del expediente {credit_file.folio}"
    assert (seen.assignee, seen.due, seen.days_left) == ("ana.zac", None, None)
    satisfy(cast, credit_file, Stage.AUTHORIZATION)
    assert item_of(cast.ana, key).title == f"Declarar requisitos completos del expediente {credit_file.folio}"


def test_the_attention_clock_r8_runs_in_business_days_for_the_analyst(cast, credit_file, ruleset):
    satisfy(cast, credit_file, Stage.AUTHORIZATION)
    file = file_requirements_complete(user=cast.ana, file=credit_file)
    key = f"file-attention:{file.pk}:requirements_complete"
    assert only(cast, key) == {"ana.zac"}
    seen = item_of(cast.ana, key)
    today = today_mx()
    assert seen.title == f"Iniciar el análisis del expediente {file.folio}"
    assert seen.rule == ruleset.attention_time.rule == "8"
    assert seen.due == file.attention_deadline
    assert seen.business_days
    assert seen.days_left == business_days_between(today, file.attention_deadline)
    assert seen.clock == f"vence en {seen.days_left} días hábiles"
    assert seen.since == today
    # past its deadline: overdue, counted back in business days
    file.attention_deadline = today - timedelta(days=14)
    file.save(update_fields=["attention_deadline"])
    late = item_of(cast.ana, key)
    assert late.overdue
    assert late.days_left == -business_days_between(file.attention_deadline, today)
    assert late.clock == f"vencido hace {-late.days_left} días hábiles"


def test_a_proposed_file_waits_for_its_office_manager_s_sign_off_before_the_agenda(cast, credit_file):
    from conftest import crew, mortgage, signoff
    from filon.demo.scenarios import file_to_proposed

    file = file_to_proposed(credit_file, crew=crew(cast), guarantees=[mortgage()], signoff=False)
    key = f"file-signoff:{file.pk}:{file.proposed_at:%Y%m%d%H%M%S}"
    assert only(cast, key) == {"gerardo.zac"}  # the Zacatecas manager; not the analyst who proposed it
    seen = item_of(cast.gerardo, key)
    assert seen.title == f"Dar visto bueno al expediente {file.folio} para comité"
    assert seen.rule == "8"
    assert seen.due == file.attention_deadline
    assert f"agenda-file:{file.pk}" not in keys(cast.sergio)  # not on the secretary's queue before it
    signoff(cast, file, by=cast.gerardo)
    assert key not in keys(cast.gerardo)
    assert f"agenda-file:{file.pk}" in keys(cast.sergio)


def test_a_proposed_file_waits_for_the_secretary_of_its_committee_with_the_clock(cast, credit_file):
    file = to_proposed(cast, credit_file)
    key = f"agenda-file:{file.pk}"
    assert only(cast, key) == {"sergio.secretario"}
    other = _user("tomas.secretario", "secretario_comite", committees=["comite_tecnico"])
    assert key not in keys(other)  # a secretary of another committee
    seen = item_of(cast.sergio, key)
    assert seen.title == f"Incluir en el orden del día el expediente {file.folio}"
    assert seen.rule == "8"
    assert seen.due == file.attention_deadline
    assert seen.url == "/comites/convocar/"  # no open session of the committee yet


def test_a_guarantee_release_waits_for_the_agenda_and_then_for_the_votes(cast, credit_file):
    from filon.committees.services import (
        agenda_add_guarantee_change,
        session_attendance,
        session_convene,
        session_hold,
    )
    from filon.origination.services import guarantee_change_request

    file = to_authorized(cast, credit_file)
    change = guarantee_change_request(
        user=cast.ana, guarantee=file.guarantees.get(), kind="release", reason="Pago anticipado parcial."
    )
    key = f"agenda-guarantee:{change.pk}"
    assert only(cast, key) == {"sergio.secretario"}
    assert item_of(cast.sergio, key).title == (
        f"Incluir en el orden del día la liberación de garantía del expediente {file.folio}"
    )
    session = session_convene(user=cast.sergio, committee=change.committee, date=today_mx(), place="Sala")
    assert item_of(cast.sergio, key).url == f"/comites/{session.pk}/"  # the open session takes it
    item = agenda_add_guarantee_change(user=cast.sergio, session=session, change=change)
    assert key not in keys(cast.sergio)
    session_attendance(user=cast.sergio, session=session, members=[cast.marta, cast.luis])
    session_hold(user=cast.sergio, session=session)
    vote = f"vote:{item.pk}"
    assert only(cast, vote) == {"marta.comite"}  # present; Elena is absent
    assert vote in keys(cast.luis)
    assert vote not in keys(cast.elena)
    assert item_of(cast.marta, vote).title == (
        f"Su voto está pendiente: liberación de garantía del expediente {file.folio}"
    )


def test_sessions_to_hold_and_close_and_votes_pending_for_the_members_present(cast, credit_file):
    from filon.committees.models import AgendaItem
    from filon.committees.services import session_hold, vote_cast
    from filon.demo.scenarios import committee_session

    file = to_proposed(cast, credit_file)
    absent = _user("nora.comite", "miembro_comite", committees=[file.committee])
    session = committee_session(
        crew=crew(cast),
        committee=file.committee,
        day=today_mx(),
        matters=[(file, "authorized", "")],
        hold=False,
    )
    assert f"agenda-file:{file.pk}" not in keys(cast.sergio)  # on an agenda now
    hold = f"session-hold:{session.pk}"
    assert only(cast, hold) == {"sergio.secretario"}
    assert item_of(cast.sergio, hold).days_left == 0
    assert item_of(cast.sergio, hold).clock == "vence hoy"
    agenda_item = AgendaItem.objects.get(session=session)
    vote = f"vote:{agenda_item.pk}"
    assert not any(vote in keys(u) for u in everyone(cast))  # convened, not held: nobody votes yet

    session_hold(user=cast.sergio, session=session)
    assert hold not in keys(cast.sergio)
    close = item_of(cast.sergio, f"session-close:{session.pk}")
    assert close.title == f"Registrar 1 resolución y cerrar la sesión {session.number}"
    members = {"marta.comite", "luis.comite", "elena.comite"}
    voters = {u.username for u in [*everyone(cast), cast.luis, cast.elena, absent] if vote in keys(u)}
    assert voters == members  # not the absent member, nor anyone outside the committee
    seen = item_of(cast.marta, vote)
    assert seen.title == f"Su voto está pendiente: expediente {file.folio} ({file.applicant.name})"
    assert seen.url == f"/comites/{session.pk}/#asunto-{agenda_item.pk}"
    vote_cast(user=cast.marta, item=agenda_item, vote="favor")
    assert vote not in keys(cast.marta)
    assert vote in keys(cast.luis)


def test_an_authorized_file_waits_for_legal_with_the_validity_clock(cast, credit_file, ruleset):
    file = to_authorized(cast, credit_file)
    key = f"file-formalize:{file.pk}"
    assert only(cast, key) == {"julia.juridico"}
    seen = item_of(cast.julia, key)
    assert seen.rule == ruleset.authorization.rule == "11"
    assert seen.due == file.authorization_expires_on
    assert seen.days_left == (file.authorization_expires_on - today_mx()).days
    assert not seen.business_days
    assert seen.clock == f"vence en {seen.days_left} días"


def test_a_formalized_file_waits_for_its_analyst_to_release_it(cast, credit_file):
    from filon.demo.scenarios import file_to_formalized

    file = file_to_formalized(to_authorized(cast, credit_file), crew=crew(cast))
    assert f"file-formalize:{file.pk}" not in keys(cast.julia)
    key = f"file-release:{file.pk}"
    assert only(cast, key) == {"ana.zac"}
    seen = item_of(cast.ana, key)
    assert seen.title == f"Liberar para disposición el expediente {file.folio}"
    assert seen.since == file.contract_signed_on
    assert [i.key for q in office_queue(cast.gerardo) for i in q.items] == [key]


def test_a_ready_file_and_a_loan_to_disburse_wait_for_the_analyst(cast, credit_file, sample_rates):
    from filon.servicing.services import loan_create_from_file

    file = to_ready(cast, credit_file)
    assert only(cast, f"file-loan:{file.pk}") == {"ana.zac"}
    loan = loan_create_from_file(user=cast.ana, file=file)
    assert f"file-loan:{file.pk}" not in keys(cast.ana)
    key = f"loan-disburse:{loan.pk}"
    assert only(cast, key) == {"ana.zac"}
    assert item_of(cast.ana, key).url == f"/creditos/{loan.pk}/"
    # once its ministración is captured, the loan waits for the release, not for the analyst
    from filon.servicing.release import disbursement_capture
    from filon.servicing.services import commission_pay

    commission_pay(user=cast.ana, loan=loan, value_date=today_mx())
    order = disbursement_capture(user=cast.ana, loan=loan, amount=Decimal("1000000"), value_date=today_mx())
    assert key not in keys(cast.ana)
    assert f"order-release:{order.pk}" in keys(cast.gerardo)


@pytest.fixture
def active_loan(cast, credit_file, sample_rates):
    from filon.demo.scenarios import loan_disburse
    from filon.servicing.services import commission_pay, loan_create_from_file

    loan = loan_create_from_file(user=cast.ana, file=to_ready(cast, credit_file))
    commission_pay(user=cast.ana, loan=loan, value_date=today_mx())
    loan_disburse(
        loan,
        amount=Decimal("12000000"),
        value_date=today_mx(),
        captured_by=cast.ana,
        released_by=cast.gerardo,
    )
    loan.refresh_from_db()
    return loan


def test_payments_of_the_week_and_late_loans(cast, active_loan):
    from filon.servicing.models import Installment

    today = today_mx()
    rows = list(Installment.objects.filter(loan=active_loan, version__active=True).order_by("number"))
    assert not any(k.startswith(("payment:", "late:")) for k in keys(cast.ana))  # nothing due this week
    Installment.objects.filter(pk=rows[0].pk).update(payable=today + timedelta(days=3))
    Installment.objects.filter(pk=rows[1].pk).update(payable=today + timedelta(days=7))  # next week
    key = f"payment:{rows[0].pk}"
    assert only(cast, key) == {"ana.zac"}
    assert f"payment:{rows[1].pk}" not in keys(cast.ana)
    seen = item_of(cast.ana, key)
    assert (seen.days_left, seen.clock) == (3, "vence en 3 días")
    assert seen.url == f"/creditos/{active_loan.pk}/#pagos"  # the loan page at its payments (the form posts)
    Installment.objects.filter(pk=rows[0].pk).update(payable=today - timedelta(days=5))
    late = item_of(cast.ana, f"late:{active_loan.pk}")
    assert late.title == f"Crédito {active_loan.number} con 5 días de atraso"
    assert (late.days_left, late.clock) == (-5, "vencido hace 5 días")
    assert only(cast, f"late:{active_loan.pk}") == {"ana.zac"}


def test_obligations_overdue_and_due_soon_with_their_rule(cast, active_loan, ruleset):
    from filon.servicing.models import LoanTask, TaskKind

    today = today_mx()
    proof = LoanTask.objects.get(loan=active_loan, kind=TaskKind.PROOF_OF_USE)
    far = proof.due_on > today + timedelta(days=30)
    assert (f"obligation:{proof.pk}" in keys(cast.ana)) is not far
    proof.due_on = today - timedelta(days=2)
    proof.save(update_fields=["due_on"])
    key = f"obligation:{proof.pk}"
    assert only(cast, key) == {"ana.zac"}
    seen = item_of(cast.ana, key)
    assert seen.rule == proof.rule == ruleset.proof_of_use.rule == "13"
    assert (seen.days_left, seen.clock) == (-2, "vencido hace 2 días")
    assert seen.url == f"/creditos/{active_loan.pk}/#obligaciones"


# ----------------------------------------------------------------------------------- order and office


def test_overdue_first_then_most_urgent_then_oldest(cast, applicant):
    from conftest import proposal_data
    from filon.origination.models import CreditFile
    from filon.origination.services import file_create

    files = [file_create(user=cast.ana, applicant=applicant, proposal=proposal_data()) for _ in range(3)]
    today = today_mx()
    for file, deadline in zip(
        files, (today + timedelta(days=20), today - timedelta(days=3), today + timedelta(days=6)), strict=True
    ):
        CreditFile.objects.filter(pk=file.pk).update(
            status="under_analysis",
            requirements_complete_on=today - timedelta(days=30),
            attention_deadline=deadline,
        )
    items = [i for i in pending_items(cast.ana) if i.kind == "file-attention"]
    assert [i.key.split(":")[1] for i in items] == [str(files[1].pk), str(files[2].pk), str(files[0].pk)]
    undated = [i for i in pending_items(cast.ana) if i.due is None]
    dated = [i for i in pending_items(cast.ana) if i.due is not None]
    assert pending_items(cast.ana) == dated + undated  # the items without a deadline after the dated ones


def test_the_manager_sees_the_office_queue_by_analyst(cast, credit_file):
    beto = _user("beto.zac", "analista", cast.zac)
    from conftest import proposal_data
    from filon.origination.services import file_create

    other = file_create(user=beto, applicant=credit_file.applicant, proposal=proposal_data())
    queues = office_queue(cast.gerardo)
    assert [(q.username, {i.key for i in q.items}) for q in queues] == [
        ("ana.zac", {f"file-requirements:{credit_file.pk}"}),
        ("beto.zac", {f"file-requirements:{other.pk}"}),
    ]
    assert queues[0].name == "Ana"
    # the manager's own queue does not repeat them; an analyst, another office's manager see no office queue
    assert not {f"file-requirements:{credit_file.pk}", f"file-requirements:{other.pk}"} & keys(cast.gerardo)
    assert office_queue(cast.ana) == []
    hmo_manager = _user("ramiro.son", "gerente_regional", cast.hmo)
    assert office_queue(hmo_manager) == []


def test_above_the_usd_threshold_the_attention_clock_does_not_apply(cast, credit_file):
    satisfy(cast, credit_file, Stage.AUTHORIZATION)
    file = file_requirements_complete(user=cast.ana, file=credit_file)
    file.attention_deadline = None  # what the evaluation leaves above the threshold of R-8
    file.save(update_fields=["attention_deadline"])
    seen = item_of(cast.ana, f"file-attention:{file.pk}:requirements_complete")
    assert (seen.due, seen.days_left, seen.rule, seen.clock) == (None, None, "", "")
    assert seen.detail.endswith("el tiempo de atención no aplica a este monto")


def test_a_new_queue_kind_is_one_registered_source(cast):
    from filon.worklist import sources
    from filon.worklist.items import PendingItem

    def sign_offs(user, today):
        if user.role != "gerente_regional":
            return []
        return [
            PendingItem(
                key="sign-off:1",
                kind="sign-off",
                title="Visto bueno",
                detail="",
                url="/",
                office="",
                since=today,
            )
        ]

    before = list(sources.SOURCES)
    try:
        sources.source_register(sign_offs)
        sources.source_register(sign_offs)  # twice is harmless
        assert [*before, sign_offs] == sources.SOURCES
        assert "sign-off:1" in keys(cast.gerardo)
        assert "sign-off:1" not in keys(cast.ana)
    finally:
        sources.SOURCES[:] = before


def test_a_captured_disbursement_and_a_requested_reversal_wait_for_another_user(cast, active_loan):
    from filon.servicing.payments import payment_apply
    from filon.servicing.release import disbursement_capture, reversal_request

    active_loan.contracted_amount += Decimal("1000000")  # room for a second ministración
    active_loan.save(update_fields=["contracted_amount"])
    order = disbursement_capture(
        user=cast.ana, loan=active_loan, amount=Decimal("1000000"), value_date=today_mx()
    )
    key = f"order-release:{order.pk}"
    # the Zacatecas manager releases it; never ana, who captured it; not the Sonora analyst nor legal
    assert only(cast, key) == {"gerardo.zac", "omar.direccion"}
    seen = item_of(cast.gerardo, key)
    assert seen.title == f"Liberar la ministración de $1,000,000.00 del crédito {active_loan.number}"
    assert "capturada por Ana" in seen.detail
    assert seen.url == f"/creditos/{active_loan.pk}/#autorizaciones"

    payment = payment_apply(
        user=cast.ana,
        loan=active_loan,
        amount=Decimal("1000.00"),
        value_date=today_mx(),
        idempotency_key="p1",
    )
    request = reversal_request(
        user=cast.ana, payment=payment, reason="Depósito aplicado al crédito equivocado"
    )
    key = f"reversal-approve:{request.pk}"
    assert only(cast, key) == {"gerardo.zac", "omar.direccion"}
    assert "Depósito aplicado al crédito equivocado" in item_of(cast.gerardo, key).detail
