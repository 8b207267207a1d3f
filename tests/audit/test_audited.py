"""`audited`: the one helper that records a change's before and after in the change's transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from filon.accounts.models import RegionalOffice
from filon.audit.models import AuditRecord
from filon.audit.services import audited

pytestmark = pytest.mark.django_db


def _office() -> RegionalOffice:
    return RegionalOffice.objects.create(code="ZZ", name="Prueba", states=["Zacatecas"])


def test_records_only_the_fields_that_changed() -> None:
    office = _office()
    with audited(user=None, action="office.rename", obj=office, fields=["name", "states"]) as change:
        office.name = "Otra"
        office.save(update_fields=["name"])
    record = AuditRecord.objects.get(action="office.rename")
    assert record.before == {"name": "Prueba"}
    assert record.after == {"name": "Otra"}
    assert change.record == record


def test_a_note_set_inside_the_block_is_kept() -> None:
    office = _office()
    with audited(user=None, action="office.rename", obj=office, fields=["name"]) as change:
        office.name = "Otra"
        office.save()
        change.note = "por acuerdo"
    assert AuditRecord.objects.get(action="office.rename").note == "por acuerdo"


def test_a_refused_change_leaves_no_record_and_no_change() -> None:
    office = _office()

    def refused_rename() -> None:
        with transaction.atomic(), audited(user=None, action="office.rename", obj=office, fields=["name"]):
            office.name = "Otra"
            office.save()
            raise ValueError("rechazado")

    with pytest.raises(ValueError, match="rechazado"):
        refused_rename()
    assert not AuditRecord.objects.filter(action="office.rename").exists()
    assert RegionalOffice.objects.get(pk=office.pk).name == "Prueba"


def test_facts_the_block_adds_are_recorded_after() -> None:
    office = _office()
    with audited(user=None, action="office.rename", obj=office, fields=["name"]) as change:
        office.name = "Otra"
        office.save()
        change.facts["amount"] = Decimal("12.50")
    record = AuditRecord.objects.get(action="office.rename")
    assert record.after == {"name": "Otra", "amount": "12.50"}
    assert record.before == {"name": "Prueba", "amount": None}  # as audit_record keeps a key new in after
