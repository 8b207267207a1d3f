"""Checks the apps above origination add to a file's life, registered from their `AppConfig.ready()`.

Origination sits below the special programs, yet a file may not be proposed, formalized or released for
disbursement while its program's steps are pending, nor authorized beyond the program's budget, and the
engine reads facts a program records (P-4's NOM-032 verification). The programs app registers those here;
origination asks them without importing the app that answers.

An opening, stage or authorization check raises its refusal (`TransitionRefused`); an applicant-facts source returns
the facts it adds to the engine's input. A name registers once (a second registration replaces the first);
they run in registration order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from filon.origination.models import CreditFile
from filon.rules.schema import Stage


class StageCheck(Protocol):
    def __call__(self, *, file: CreditFile, stage: Stage, action: str) -> None: ...


class AuthorizationCheck(Protocol):
    def __call__(self, *, file: CreditFile, on: date) -> None: ...


class OpeningCheck(Protocol):
    def __call__(self, *, program: str, on: date) -> None: ...


class ApplicantFacts(Protocol):
    def __call__(self, file: CreditFile) -> Mapping[str, Any]: ...


_stage: dict[str, StageCheck] = {}
_authorization: dict[str, AuthorizationCheck] = {}
_facts: dict[str, ApplicantFacts] = {}
_opening: dict[str, OpeningCheck] = {}


def stage_check_register(name: str, check: StageCheck) -> None:
    """Ask `check` before a file passes `stage` (proposal: AUTHORIZATION; formalization: CONTRACTING;
    release for disbursement: PRE_DISBURSEMENT)."""
    _stage[name] = check


def authorization_check_register(name: str, check: AuthorizationCheck) -> None:
    """Ask `check` before a committee's authorization is applied to a file."""
    _authorization[name] = check


def opening_check_register(name: str, check: OpeningCheck) -> None:
    """Ask `check` before a file of a program is opened (or moved to another program) on a date."""
    _opening[name] = check


def applicant_facts_register(name: str, source: ApplicantFacts) -> None:
    """Add what `source` knows of a file's applicant to the engine's input (`proposal_document`)."""
    _facts[name] = source


def stage_checks() -> Mapping[str, StageCheck]:
    return dict(_stage)


def authorization_checks() -> Mapping[str, AuthorizationCheck]:
    return dict(_authorization)


def opening_checks() -> Mapping[str, OpeningCheck]:
    return dict(_opening)


def applicant_facts_sources() -> Mapping[str, ApplicantFacts]:
    return dict(_facts)


def stage_checks_run(*, file: CreditFile, stage: Stage, action: str) -> None:
    for check in _stage.values():
        check(file=file, stage=stage, action=action)


def opening_checks_run(*, program: str, on: date) -> None:
    for check in _opening.values():
        check(program=program, on=on)


def authorization_checks_run(*, file: CreditFile, on: date) -> None:
    for check in _authorization.values():
        check(file=file, on=on)


def applicant_facts(file: CreditFile) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for source in _facts.values():
        facts.update(source(file))
    return facts
