"""Notices of new pending items and obligation reminders: created once per user and key, one mail per user
in Spanish to the user's address (the in-memory mail backend), and the two jobs registered."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from conftest import pdf, to_ready
from filon.core.calendar import today_mx
from filon.origination.models import RequirementItem
from filon.origination.services import requirement_upload
from filon.rules.schema import Stage
from filon.worklist.models import Notice
from filon.worklist.services import notice_read, notices_read_all, notices_sync, obligation_reminders

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailed(cast):
    """The cast with e-mail addresses, except Sofía."""
    for user in (cast.ana, cast.gerardo, cast.julia, cast.sergio, cast.marta):
        user.email = f"{user.username}@fifomi.example"
        user.save(update_fields=["email"])
    return cast


def test_notices_sync_notifies_each_new_item_once_and_mails_it_in_spanish(mailed, credit_file, mailoutbox):
    cast = mailed
    item = credit_file.requirements.filter(
        stage=Stage.AUTHORIZATION.value, validity_months__isnull=True
    ).first()
    requirement_upload(user=cast.ana, item=item, uploaded=pdf())

    summary = notices_sync()
    assert summary["avisos"] == Notice.objects.count() == 2
    assert set(Notice.objects.values_list("user__username", "key")) == {
        ("ana.zac", f"file-requirements:{credit_file.pk}"),
        ("gerardo.zac", f"doc-review:{item.pk}"),
    }
    assert {tuple(m.to) for m in mailoutbox} == {("ana.zac@fifomi.example",), ("gerardo.zac@fifomi.example",)}
    mail = next(m for m in mailoutbox if m.to == ["gerardo.zac@fifomi.example"])
    assert mail.subject == "Filón: 1 pendiente nuevo"
    assert "Hola, Gerardo:" in mail.body
    assert f"Revisar documento «{item.short_name}» del expediente {credit_file.folio}" in mail.body
    assert f"http://localhost:8000/expedientes/{credit_file.pk}/#requisitos" in mail.body
    assert "http://localhost:8000/pendientes/" in mail.body
    assert not Notice.objects.filter(emailed_at__isnull=True).exists()

    # again: nothing new, no mail
    assert notices_sync()["avisos"] == 0
    assert len(mailoutbox) == 2

    # something new lands in Gerardo's queue: one notice, one mail with it alone
    other = (
        credit_file.requirements.filter(validity_months__isnull=True, legal_review=False)
        .exclude(pk=item.pk)
        .first()
    )
    requirement_upload(user=cast.ana, item=other, uploaded=pdf())
    assert notices_sync()["avisos"] == 1
    assert len(mailoutbox) == 3
    assert mailoutbox[-1].to == ["gerardo.zac@fifomi.example"]
    assert f"documento «{other.short_name}»" in mailoutbox[-1].body
    assert f"documento «{item.short_name}»" not in mailoutbox[-1].body


def test_several_new_items_go_in_one_mail_and_users_without_address_get_none(mailed, applicant, mailoutbox):
    from conftest import proposal_data
    from filon.origination.services import file_create

    cast = mailed
    files = [file_create(user=cast.ana, applicant=applicant, proposal=proposal_data()) for _ in range(3)]
    from conftest import applicant_data
    from filon.applicants.services import applicant_create

    nogales = applicant_create(
        user=cast.sofia,
        data=applicant_data(
            name="Minera de Nogales", rfc="MNO120315AB1", state="SON", municipality="Nogales"
        ),
    ).obj
    hmo = file_create(user=cast.sofia, applicant=nogales, proposal=proposal_data())
    notices_sync()
    assert [m.to for m in mailoutbox] == [["ana.zac@fifomi.example"]]
    assert mailoutbox[0].subject == "Filón: 3 pendientes nuevos"
    for file in files:
        assert file.folio in mailoutbox[0].body
    # Sofía has no address: her notice is in the app, not mailed
    sofia = Notice.objects.get(user=cast.sofia)
    assert (sofia.key, sofia.emailed_at) == (f"file-requirements:{hmo.pk}", None)


def test_marking_notices_read_only_ones_own(mailed, credit_file):
    from filon.errors import NotFound

    cast = mailed
    notices_sync()
    mine = Notice.objects.get(user=cast.ana)
    with pytest.raises(NotFound):
        notice_read(user=cast.gerardo, notice_id=mine.pk)
    assert notice_read(user=cast.ana, notice_id=mine.pk).read_at is not None
    assert notices_read_all(user=cast.ana) == 0


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


def test_obligation_reminders_once_per_window_to_the_office(mailed, active_loan, mailoutbox, settings):
    from conftest import _user
    from filon.servicing.models import LoanTask, TaskKind

    cast = mailed
    settings.FILON_REMINDER_DAYS = 5
    hmo_manager = _user("ramiro.son", "gerente_regional", cast.hmo)
    hmo_manager.email = "ramiro@fifomi.example"
    hmo_manager.save(update_fields=["email"])
    today = today_mx()
    task = LoanTask.objects.get(loan=active_loan, kind=TaskKind.PROOF_OF_USE)
    LoanTask.objects.filter(loan=active_loan).update(due_on=today + timedelta(days=60))
    assert obligation_reminders(today)["avisos"] == 0  # nothing within five days

    LoanTask.objects.filter(pk=task.pk).update(due_on=today + timedelta(days=4))
    assert obligation_reminders(today)["avisos"] == 2  # ana and gerardo, Zacatecas
    assert set(
        Notice.objects.filter(key=f"reminder:{task.pk}:soon").values_list("user__username", flat=True)
    ) == {
        "ana.zac",
        "gerardo.zac",
    }
    assert sorted(m.to[0] for m in mailoutbox) == ["ana.zac@fifomi.example", "gerardo.zac@fifomi.example"]
    mail = mailoutbox[0]
    assert mail.subject == "Filón: 1 recordatorio de obligación"
    assert (
        f"Obligación por vencer: Comprobación del 100 % de los recursos (13) — crédito {active_loan.number}"
        in (mail.body)
    )
    assert f"vence en 4 días ({today + timedelta(days=4):%d/%m/%Y}, Regla 13)" in mail.body
    assert "Regla 13" in mail.body
    assert obligation_reminders(today)["avisos"] == 0  # the same window: once
    assert len(mailoutbox) == 2

    LoanTask.objects.filter(pk=task.pk).update(due_on=today - timedelta(days=1))
    assert obligation_reminders(today)["avisos"] == 2  # overdue: the second window
    assert mailoutbox[-1].subject == "Filón: 1 recordatorio de obligación"
    assert "Obligación vencida" in mailoutbox[-1].body
    assert "vencido hace 1 día" in mailoutbox[-1].body
    assert all("ramiro" not in m.to[0] for m in mailoutbox)  # another office

    # notices_sync does not notify obligations again (the reminders do), nor mail the reminders
    before = len(mailoutbox)
    notices_sync()
    assert not Notice.objects.filter(key__startswith="obligation:").exists()
    assert all("recordatorio" not in m.subject for m in mailoutbox[before:])


def test_both_jobs_are_registered_and_run_as_callables(mailed, credit_file):
    from filon.platform.jobs import job_get

    notices, reminders = job_get("notices"), job_get("reminders")
    assert notices is not None
    assert notices.label == "Avisos de pendientes"
    assert reminders is not None
    assert reminders.label == "Recordatorios de obligaciones"
    assert notices.run(None)["avisos"] == 1
    assert notices.run(None)["avisos"] == 0
    assert reminders.run(None) == {"obligaciones": 0, "avisos": 0, "correos": 0}


def test_an_unmailed_notice_is_retried_when_the_mail_server_fails(
    mailed, credit_file, mailoutbox, monkeypatch
):
    from django.core.mail import EmailMessage

    def refuse(self, fail_silently=False):
        raise OSError("conexión rechazada")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    assert notices_sync()["correos"] == 0
    assert Notice.objects.get(user=mailed.ana).emailed_at is None
    monkeypatch.undo()
    assert notices_sync()["correos"] == 1
    assert Notice.objects.get(user=mailed.ana).emailed_at is not None
    assert RequirementItem.objects.exists()
