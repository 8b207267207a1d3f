"""The credit file's lifecycle table against its services: for every state and every action a person takes,
the file page offers the action (`FILE.allowed`) exactly when the service accepts it.

The file is taken to «listo para disponer» once, so every requirement, guarantee and bureau record the
services ask for is in place; each case then puts the file in one state, calls one service inside a
savepoint, and rolls it back. Only the state (and the role) can refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction

from conftest import mortgage, pdf, proposal_data, to_ready
from filon.applicants.services import bureau_record_add
from filon.core.calendar import today_mx
from filon.errors import Forbidden, TransitionRefused
from filon.origination.lifecycle import FILE, OPEN, TERMINAL
from filon.origination.models import CreditFile, FileStatus, GuaranteeStatus
from filon.origination.services import (
    file_cancel,
    file_extend_authorization,
    file_formalize,
    file_propose,
    file_ready_to_disburse,
    file_requirements_complete,
    file_signoff,
    file_signoff_return,
    file_start_analysis,
    file_update_proposal,
    guarantee_add,
    guarantee_remove,
    guarantee_update,
    requirement_legal_opinion,
    requirement_not_applicable,
    requirement_review,
    requirement_upload,
)
from filon.web.files.panels import FILE_BUTTONS, file_actions

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


OPEN_STATES = [
    "captured",
    "requirements_complete",
    "under_analysis",
    "returned",
    "proposed",
    "authorized",
    "formalized",
]
EDITABLE_STATES = ["captured", "under_analysis", "returned"]
EXPECTED = {
    "requirements_complete": ["captured"],
    "start_analysis": ["requirements_complete", "returned"],
    "propose": ["under_analysis"],
    "signoff": ["proposed"],
    "signoff_return": ["proposed"],
    "formalize": ["authorized"],
    "extend_authorization": ["authorized"],
    "ready_to_disburse": ["formalized"],
    "cancel": OPEN_STATES,
    "update_proposal": EDITABLE_STATES,
    "guarantee_add": EDITABLE_STATES,
    "guarantee_update": EDITABLE_STATES,
    "guarantee_remove": EDITABLE_STATES,
    "requirement_upload": OPEN_STATES,
    "requirement_review": OPEN_STATES,
    "requirement_not_applicable": OPEN_STATES,
    "requirement_legal_opinion": OPEN_STATES,
}


def _calls(cast: Any, file: CreditFile) -> dict[str, tuple[Any, Callable[[Any], object]]]:
    """Each person-taken action: the user who holds its role, and the service call (given that user)."""
    guarantee = file.guarantees.get(status=GuaranteeStatus.ACTIVE)
    approved = file.requirements.filter(status="approved")
    legal = approved.filter(legal_review=True).first()
    conditional = file.requirements.exclude(condition="").first()
    assert legal is not None
    assert conditional is not None
    today = today_mx()
    return {
        "requirements_complete": (cast.ana, lambda u: file_requirements_complete(user=u, file=file)),
        "start_analysis": (cast.ana, lambda u: file_start_analysis(user=u, file=file)),
        "propose": (cast.gerardo, lambda u: file_propose(user=u, file=file)),
        "signoff": (cast.gerardo, lambda u: file_signoff(user=u, file=file, note="Visto bueno")),
        "signoff_return": (
            cast.gerardo,
            lambda u: file_signoff_return(user=u, file=file, reason="Falta el estudio de mercado"),
        ),
        "formalize": (
            cast.julia,
            lambda u: file_formalize(user=u, file=file, signed_on=today, contract_number="FIFOMI-1"),
        ),
        "extend_authorization": (cast.gerardo, lambda u: file_extend_authorization(user=u, file=file)),
        "ready_to_disburse": (cast.gerardo, lambda u: file_ready_to_disburse(user=u, file=file)),
        "cancel": (cast.gerardo, lambda u: file_cancel(user=u, file=file, reason="Desiste el solicitante")),
        "update_proposal": (
            cast.ana,
            lambda u: file_update_proposal(user=u, file=file, proposal=proposal_data()),
        ),
        "guarantee_add": (cast.ana, lambda u: guarantee_add(user=u, file=file, data=mortgage())),
        "guarantee_update": (
            cast.ana,
            lambda u: guarantee_update(user=u, guarantee=guarantee, data=mortgage("31000000")),
        ),
        "guarantee_remove": (cast.ana, lambda u: guarantee_remove(user=u, guarantee=guarantee)),
        "requirement_upload": (
            cast.ana,
            lambda u: requirement_upload(user=u, item=approved[0], uploaded=pdf(), document_date=today),
        ),
        "requirement_review": (
            cast.gerardo,
            lambda u: requirement_review(user=u, item=approved[0], approve=True),
        ),
        "requirement_not_applicable": (
            cast.ana,
            lambda u: requirement_not_applicable(user=u, item=conditional, note="No tiene concesión propia"),
        ),
        "requirement_legal_opinion": (
            cast.julia,
            lambda u: requirement_legal_opinion(user=u, item=legal, favorable=True),
        ),
    }


def _put(file: CreditFile, state: str) -> CreditFile:
    """The file in `state`, with an authorization in force that was never extended."""
    today = today_mx()
    CreditFile.objects.filter(pk=file.pk).update(
        status=state,
        authorized_on=today,
        authorization_expires_on=today + timedelta(days=60),
        authorization_extended=False,
        signoff_by=None,  # a proposal waiting for its sign-off
        signoff_at=None,
    )
    return CreditFile.objects.select_related("applicant", "office").get(pk=file.pk)


def _accepts(call: Callable[[Any], object], user: Any) -> bool:
    try:
        with transaction.atomic():
            call(user)
            raise Rollback
    except Rollback:
        return True
    except (TransitionRefused, Forbidden):
        return False


@pytest.fixture
def ready(cast, credit_file):
    to_ready(cast, credit_file)
    bureau_record_add(
        user=cast.ana, applicant=credit_file.applicant, consulted_on=today_mx(), prevention_keys=[]
    )
    return credit_file


def test_every_action_is_offered_exactly_when_its_service_accepts_it(cast, ready):
    mismatches = []
    accepted: dict[str, list[str]] = {}
    for state in FileStatus.values:
        file = _put(ready, state)
        calls = _calls(cast, file)
        assert set(calls) == {a for a, t in FILE.transitions.items() if t.roles} - {
            "guarantee_change_request"
        }
        for action, (user, call) in calls.items():
            offered = action in FILE.allowed(user, file)
            took = _accepts(call, user)
            if took:
                accepted.setdefault(action, []).append(state)
            if offered != took:
                mismatches.append((state, action, f"offered={offered}", f"accepted={took}"))
    assert mismatches == []
    # Written out here, not read from the table: the states each action was taken from.
    assert {a: sorted(s) for a, s in accepted.items()} == {a: sorted(s) for a, s in EXPECTED.items()}
    # And the table is these.
    assert {a: sorted(s) for a, s in accepted.items()} == {a: sorted(FILE[a].sources) for a in accepted}
    assert set(accepted) == set(_calls(cast, ready))


def test_a_role_outside_the_table_is_offered_nothing_and_refused(cast, ready):
    file = _put(ready, FileStatus.UNDER_ANALYSIS)
    assert FILE.allowed(cast.omar, file) == []
    assert not any(vars(file_actions(cast.omar, file)).values())
    with pytest.raises(Forbidden, match=r"^Su rol \(Dirección\) no puede proponer expedientes a comité"):
        file_propose(user=cast.omar, file=file)


def test_another_office_is_offered_nothing_and_refused(cast, ready):
    file = _put(ready, FileStatus.UNDER_ANALYSIS)
    assert FILE.allowed(cast.sofia, file) == []
    with pytest.raises(Forbidden, match=r"^El expediente pertenece a otra gerencia regional\.$"):
        file_start_analysis(user=cast.sofia, file=_put(ready, FileStatus.RETURNED))


def test_the_file_page_buttons_are_the_table(cast, ready):
    file = _put(ready, FileStatus.AUTHORIZED)
    assert vars(file_actions(cast.gerardo, file)) == {
        name: action in {"extend_authorization", "cancel", "requirement_upload", "guarantee_change_request"}
        for name, action in FILE_BUTTONS.items()
    }
    assert file_actions(cast.julia, file).formalize
    assert not file_actions(cast.julia, file).cancel


def test_the_table_moves_the_file_to_its_targets_and_refuses_in_the_services_words(cast, ready):
    file = _put(ready, FileStatus.RETURNED)
    assert file_start_analysis(user=cast.ana, file=file).status == FILE.target("start_analysis")
    with pytest.raises(TransitionRefused) as refused:
        file_propose(user=cast.gerardo, file=_put(ready, FileStatus.CAPTURED))
    assert refused.value.message == (
        "No se puede proponer a comité: el expediente está «capturado» y debe estar en: en análisis."
    )
    assert refused.value.field == "status"
    for state in TERMINAL:
        with pytest.raises(TransitionRefused, match=r"^El expediente ya está cerrado\.$"):
            file_cancel(user=cast.gerardo, file=_put(ready, state), reason="x")
    assert set(OPEN) | set(TERMINAL) == set(FileStatus.values)
