"""The one place where a loan's revision mark is made and bumped.

A loan's pages are kept under its revision mark (`filon.platform.pagecache`): every write to the loan or to
anything its pages show gives it a new mark in the writer's transaction, so a kept page is never stale — a
change makes a new key. Every write path comes here: `Loan.save` (`revision_stamp`), a journal entry that names loans
(the ledger's listeners, registered by servicing), a met obligation (`servicing.tasks`), a user's new name
(servicing's signal on the user model), and the daily close (a batch update that writes `new_revision()`).

This module sits below servicing: it does not import the loan model. Servicing, which owns loans, registers
the model whose rows carry the mark (`revised_model`) from its `AppConfig.ready()`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, MutableMapping
from typing import Any

from django.db.models import Model

FIELD = "revision"  # the revised model's field that holds the mark

_revised: list[type[Model]] = []  # the one model whose rows carry the mark, once registered


def revised_model(model: type[Model]) -> None:
    """Register the model whose rows carry the mark (servicing's Loan). Idempotent; a second, different
    model is a programming error."""
    if _revised and _revised[0] is not model:
        raise RuntimeError(f"Ya se registró {_revised[0].__name__} como el modelo con revisión.")
    if not _revised:
        _revised.append(model)


def new_revision() -> int:
    """A fresh revision mark: random rather than counted, so that a mark never names two states of a
    loan — not after a database is restored from a backup, nor when a test database reuses ids."""
    return secrets.randbits(62)


def revision_stamp(instance: Model, save_kwargs: MutableMapping[str, Any]) -> None:
    """Give `instance` a new mark as it is saved (from its `save`): with `update_fields`, the mark goes
    with them."""
    setattr(instance, FIELD, new_revision())
    update_fields = save_kwargs.get("update_fields")
    if update_fields is not None:
        save_kwargs["update_fields"] = {*update_fields, FIELD}


def loans_touch(loan_ids: Iterable[int | None]) -> int:
    """Mark these loans changed (one new mark for all), for writes that do not save the loan row itself: a
    journal entry, a met obligation, a user's new name. Runs in the writer's transaction, so the mark and
    the change commit together. Returns how many loans were marked."""
    ids = sorted({pk for pk in loan_ids if pk is not None})
    if not ids:
        return 0
    if not _revised:
        raise RuntimeError("Ningún modelo registró su revisión (servicing no está instalado).")
    return int(_revised[0]._default_manager.filter(pk__in=ids).update(**{FIELD: new_revision()}))
