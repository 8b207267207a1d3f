"""Writes of the worklist: the notices of new pending items, the obligations' reminders, and marking notices
read. Mail goes through Django's mail framework (`EMAIL_BACKEND`: SMTP in production, a folder in the demo,
the in-memory outbox in the tests).

Both jobs are idempotent: a notice is unique per user and key, and a mail lists only the notices not mailed
yet, so running a job again after a crash neither repeats a notice nor mails it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from filon.accounts.models import Role, User
from filon.core.calendar import MEXICO_CITY, today_mx
from filon.errors import NotFound
from filon.platform.jobs import Job
from filon.servicing.models import LoanTask, TaskStatus
from filon.worklist.items import PendingItem
from filon.worklist.models import Notice
from filon.worklist.selectors import notices_for_user, pending_items
from filon.worklist.sources import obligation_item, person

log = logging.getLogger(__name__)

REMINDER_DAYS = 7
"""An obligation (LoanTask) due within this many calendar days gets a reminder to its office («por vencer»),
and another once overdue («vencida»): at most two per obligation. The setting FILON_REMINDER_DAYS (environment
variable of the same name) overrides it."""


def reminder_days() -> int:
    return int(getattr(settings, "FILON_REMINDER_DAYS", REMINDER_DAYS))


MAILS = {
    # kind: (subject for one, subject for many, the mail's first line)
    "pending": (
        "Filón: 1 pendiente nuevo",
        "Filón: {n} pendientes nuevos",
        "Llegó a su bandeja de Filón lo siguiente, que espera su atención:",
    ),
    "reminder": (
        "Filón: 1 recordatorio de obligación",
        "Filón: {n} recordatorios de obligaciones",
        "Obligaciones de los créditos de su gerencia por vencer o vencidas:",
    ),
}
REMINDER_PREFIX = "reminder:"

REMINDER_ROLES = (Role.ANALISTA, Role.GERENTE_REGIONAL)
"""Who is reminded: the roles that record an obligation as met (`servicing.tasks.task_complete`), in the
loan's office."""

NOT_NOTIFIED_KINDS = frozenset({"obligation"})
"""Kinds whose notices come from their own job: obligations are reminded by `obligation_reminders`, in its
day windows, rather than once when they enter the queue."""


def site_url(path: str) -> str:
    """An address of the site as a mail shows it (FILON_SITE_URL + the page's path)."""
    base = str(getattr(settings, "FILON_SITE_URL", "")).rstrip("/")
    return f"{base}{path}" if path.startswith("/") else path


def _cited(rule: str) -> str:
    """A rule id as the pages cite it (`filon.web.http.cite`, a layer above): "8" → "Regla 8"."""
    return f"Regla {rule}" if rule[:1].isdigit() else rule


def _notice_from(item: PendingItem) -> tuple[str, str, str]:
    """A pending item as a notice: title, body (detail and clock, with the due date and rule) and address."""
    body = item.detail
    if item.clock:
        facts = ", ".join(x for x in (f"{item.due:%d/%m/%Y}" if item.due else "", _cited(item.rule)) if x)
        body += f" — {item.clock}" + (f" ({facts})" if facts else "")
    return item.title[:300], body, item.url[:300]


def _notices_create(user: User, rows: Iterable[tuple[str, str, str, str]]) -> int:
    """The notices of `rows` (key, title, body, url) the user was not given before; how many are new."""
    rows = list(rows)
    if not rows:
        return 0
    known = set(Notice.objects.filter(user=user, key__in=[r[0] for r in rows]).values_list("key", flat=True))
    fresh = [
        Notice(user=user, key=key, title=title, body=body, url=url)
        for key, title, body, url in rows
        if key not in known
    ]
    # Another run at the same moment may have made some: the unique (user, key) keeps one.
    Notice.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def _mail(user: User, kind: str) -> bool:
    """One mail with the user's notices of `kind` («pending» or «reminder») not mailed yet; marks them mailed.
    False when nothing was sent (no address, nothing new, or the mail server refused: then the next run tries
    again)."""
    if not user.email:
        return False
    one, many, intro = MAILS[kind]
    with transaction.atomic():
        unmailed = Notice.objects.select_for_update().filter(user=user, emailed_at__isnull=True)
        if kind == "reminder":
            unmailed = unmailed.filter(key__startswith=REMINDER_PREFIX)
        else:
            unmailed = unmailed.exclude(key__startswith=REMINDER_PREFIX)
        notices = list(unmailed.order_by("created_at", "pk"))
        if not notices:
            return False
        lines = [f"Hola, {person(user)}:", "", intro, ""]
        for notice in notices:
            lines.append(f"• {notice.title}")
            if notice.body:
                lines.append(f"  {notice.body}")
            if notice.url:
                lines.append(f"  {site_url(notice.url)}")
            lines.append("")
        lines.append(f"Vea todos sus pendientes en {site_url('/pendientes/')}")
        lines.append("")
        lines.append("— Filón (mensaje automático; no responda a este correo)")
        message = EmailMessage(
            subject=one if len(notices) == 1 else many.format(n=len(notices)),
            body="\n".join(lines),
            to=[user.email],
        )
        try:
            message.send()
        except OSError as exc:  # SMTP errors are OSError; the notices stay unmailed for the next run
            log.warning("No se pudo enviar el correo de avisos a %s: %s", user.username, exc)
            return False
        Notice.objects.filter(pk__in=[n.pk for n in notices]).update(emailed_at=timezone.now())
    return True


def _today(now: datetime | None) -> date:
    return now.astimezone(MEXICO_CITY).date() if now is not None else today_mx()


def notices_sync(now: datetime | None = None) -> dict[str, int]:
    """For every active user: a notice for each pending item not notified before (by its key), then one mail
    with the new ones («Filón: 3 pendientes nuevos»). Running it again creates and mails nothing new."""
    today = _today(now)
    users = notices = mails = 0
    for user in User.objects.filter(is_active=True).select_related("office").order_by("pk"):
        users += 1
        rows = [
            (item.key, *_notice_from(item))
            for item in pending_items(user, today)
            if item.kind not in NOT_NOTIFIED_KINDS
        ]
        notices += _notices_create(user, rows)
        if _mail(user, "pending"):
            mails += 1
    return {"usuarios": users, "avisos": notices, "correos": mails}


def obligation_reminders(today: date | None = None) -> dict[str, int]:
    """Obligations (LoanTask) due within `reminder_days()` or overdue: a reminder notice and a mail to the
    active analysts and managers of the loan's office, once per obligation and window («por vencer»,
    «vencida»: the key carries the window)."""
    today = today or today_mx()
    tasks = (
        LoanTask.objects.filter(
            status=TaskStatus.PENDING, due_on__lte=today + timedelta(days=reminder_days())
        )
        .select_related("loan__applicant", "loan__office")
        .order_by("due_on", "pk")
    )
    by_office: dict[int, list[tuple[str, str, str, str]]] = {}
    for task in tasks:
        window = "overdue" if task.due_on < today else "soon"
        item = obligation_item(task, today, None)
        title, body, url = _notice_from(item)
        label = "Obligación vencida" if window == "overdue" else "Obligación por vencer"
        by_office.setdefault(task.loan.office_id, []).append(
            (f"{REMINDER_PREFIX}{task.pk}:{window}", f"{label}: {title}"[:300], body, url)
        )
    notices = mails = 0
    recipients = User.objects.filter(is_active=True, role__in=REMINDER_ROLES, office_id__in=list(by_office))
    for user in recipients.order_by("pk"):
        assert user.office_id is not None
        notices += _notices_create(user, by_office[user.office_id])
        if _mail(user, "reminder"):
            mails += 1
    return {"obligaciones": sum(len(v) for v in by_office.values()), "avisos": notices, "correos": mails}


@transaction.atomic
def notice_read(*, user: User, notice_id: int) -> Notice:
    """The user marks one of their notices read (another's does not exist for them)."""
    notice = notices_for_user(user=user).select_for_update().filter(pk=notice_id).first()
    if notice is None:
        raise NotFound("No existe el aviso.")
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    return notice


def notices_read_all(*, user: User) -> int:
    """Every unread notice of the user marked read; how many."""
    return notices_for_user(user=user).filter(read_at__isnull=True).update(read_at=timezone.now())


def _notices_job(user: Any) -> dict[str, Any]:
    return notices_sync()


def _reminders_job(user: Any) -> dict[str, Any]:
    return obligation_reminders()


NOTICES_JOB = Job(
    code="notices",
    label="Avisos de pendientes",
    run=_notices_job,
    description="Avisa en Filón y por correo a cada usuario de los pendientes nuevos de su bandeja.",
)
REMINDERS_JOB = Job(
    code="reminders",
    label="Recordatorios de obligaciones",
    run=_reminders_job,
    description="Recuerda a la gerencia regional las obligaciones de sus créditos por vencer o vencidas "
    "(13, 16.3–16.5).",
)
