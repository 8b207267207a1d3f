"""The loader reads approved amendments again whenever they change — a rolled-back approval included — and
otherwise reuses what it built."""

from __future__ import annotations

import pytest
from amendment_support import p2_extension
from django.db import transaction

from filon.amendments import stamp
from filon.amendments.services import amendment_approve, amendment_propose
from filon.core.calendar import today_mx
from filon.rules import load_ruleset_for_date

pytestmark = pytest.mark.django_db

ROOT = "RO-2010-1160"


class Rollback(Exception):
    pass


def approve_then_roll_back(cast, row) -> list[str]:
    seen = []
    with transaction.atomic():
        amendment_approve(user=cast.omar, amendment=row)
        seen.append(load_ruleset_for_date(today_mx()).version)
        raise Rollback(seen)


def test_a_rolled_back_approval_is_never_served(cast):
    row = amendment_propose(user=cast.ramon, data=p2_extension())
    with pytest.raises(Rollback) as exc:
        approve_then_roll_back(cast, row)
    assert exc.value.args[0] == [row.version]  # inside its transaction, the approval is in force
    assert load_ruleset_for_date(today_mx()).version == ROOT


def test_the_stamp_is_kept_until_a_write_and_read_on_every_call_while_it_is_uncommitted(monkeypatch):
    reads = []

    def read():
        reads.append(1)
        return len(reads)

    monkeypatch.setattr(stamp, "_state", stamp._State())
    assert stamp.stamp_kept(read) == 1
    assert stamp.stamp_kept(read) == 1  # kept
    stamp.reset()
    assert stamp.stamp_kept(read) == 2
    with transaction.atomic():
        stamp.amendments_changed()  # a write not yet committed: read each time
        assert stamp.stamp_kept(read) == 3
        assert stamp.stamp_kept(read) == 4


@pytest.mark.django_db(transaction=True)  # the write's block must be the outermost one, as in a request
def test_a_rolled_back_write_stops_forcing_reads_once_its_transaction_ends(monkeypatch):
    reads = []

    def read():
        reads.append(1)
        return len(reads)

    def write_then_roll_back() -> None:
        with transaction.atomic():
            stamp.amendments_changed()
            assert stamp.stamp_kept(read) == 1
            assert stamp.stamp_kept(read) == 2  # open write: read each time
            raise Rollback

    monkeypatch.setattr(stamp, "_state", stamp._State())
    with pytest.raises(Rollback):
        write_then_roll_back()
    assert stamp.stamp_kept(read) == 3  # the block ended uncommitted: read once more, then keep
    assert stamp.stamp_kept(read) == 3


def test_the_stamp_expires_for_other_processes_writes(monkeypatch):
    reads = []
    monkeypatch.setattr(stamp, "_state", stamp._State())
    clock = [100.0]
    monkeypatch.setattr(stamp, "monotonic", lambda: clock[0])
    stamp.stamp_kept(lambda: reads.append(1) or len(reads))
    clock[0] += stamp.STAMP_SECONDS / 2
    assert stamp.stamp_kept(lambda: reads.append(1) or len(reads)) == 1
    clock[0] += stamp.STAMP_SECONDS
    assert stamp.stamp_kept(lambda: reads.append(1) or len(reads)) == 2
