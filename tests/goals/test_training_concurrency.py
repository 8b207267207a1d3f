"""Participants enrolled at once from several sessions: the event's row lock lets one through and the
others are refused as duplicates (a named person has no unique index to fall back on)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from filon.errors import ValidationFailed
from filon.goals.models import TrainingEvent, TrainingParticipant
from filon.goals.services import partner_create, training_event_record, training_participant_add


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql  # row locks and concurrent connections; SQLite serializes writers anyway
def test_the_same_person_enrolled_from_four_sessions_at_once_is_enrolled_once(cast):
    assert connection.vendor == "postgresql", "run this test only on the PostgreSQL tier (marker postgresql)"
    event = training_event_record(
        user=cast.ana,
        office=cast.zac,
        title="Curso para proveedores de la minería",
        start_date=dt.date(2020, 2, 23),
        municipality="Chalchihuites",
        state="ZAC",
        hours=Decimal("8"),
    )
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def enrol(name: str) -> None:
        try:
            barrier.wait()
            training_participant_add(
                user=cast.ana,
                event=TrainingEvent.objects.get(pk=event.pk),
                name=name,
                organization="Fletes Ortiz",
                role="supplier",
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=enrol, args=(n,))
        for n in ("María Ortiz", "MARÍA ORTIZ", "maría ortiz", "María  Ortiz")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert TrainingParticipant.objects.filter(event=event).count() == 1
    assert len(errors) == 3
    assert all(isinstance(e, ValidationFailed) and e.errors[0].field == "name" for e in errors)

    # The partner's unique name holds the same way.
    barrier = threading.Barrier(3)
    errors.clear()

    def register() -> None:
        try:
            barrier.wait()
            partner_create(user=cast.gerardo, name="Clusmin", kind="cluster")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=register) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 2
    assert all(isinstance(e, ValidationFailed) and "Ya está registrada" in e.message for e in errors)
