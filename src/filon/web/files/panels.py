"""What the credit file's page shows, read through the scoped selectors: the verdict panels, the buttons
the lifecycle offers, the checklist by stage and the guarantees.

Nothing here writes or decides; the buttons a page offers come from the lifecycle tables the services
refuse by, and the services still refuse on their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from filon.accounts.models import User
from filon.core.calendar import today_mx
from filon.origination.lifecycle import FILE
from filon.origination.models import (
    STAGE_CHOICES,
    CreditFile,
    FileStatus,
    GuaranteeChange,
    GuaranteeStatus,
)
from filon.origination.selectors import requirement_is_met
from filon.rules.schema import Stage
from filon.servicing.preview import ProposalPreview, proposal_preview


@dataclass
class Actions:
    """Which buttons and forms the page offers this user for this file: the file lifecycle's `allowed`."""

    requirements_complete: bool = False
    start_analysis: bool = False
    propose: bool = False
    signoff: bool = False
    signoff_return: bool = False
    formalize: bool = False
    extend: bool = False
    ready_to_disburse: bool = False
    cancel: bool = False
    edit: bool = False
    upload: bool = False
    legal: bool = False
    change_request: bool = False

    @property
    def any_transition(self) -> bool:
        return any(
            (
                self.requirements_complete,
                self.start_analysis,
                self.propose,
                self.signoff,
                self.signoff_return,
                self.formalize,
                self.extend,
                self.ready_to_disburse,
                self.cancel,
            )
        )


FILE_BUTTONS = {
    "requirements_complete": "requirements_complete",
    "start_analysis": "start_analysis",
    "propose": "propose",
    "signoff": "signoff",
    "signoff_return": "signoff_return",
    "formalize": "formalize",
    "extend": "extend_authorization",
    "ready_to_disburse": "ready_to_disburse",
    "cancel": "cancel",
    "edit": "update_proposal",
    "upload": "requirement_upload",
    "legal": "requirement_legal_opinion",
    "change_request": "guarantee_change_request",
}
"""`Actions` field → the file lifecycle's action it offers."""


def file_actions(user: User, file: CreditFile) -> Actions:
    allowed = set(FILE.allowed(user, file))
    if file.signoff_by_id:
        allowed.discard("signoff")  # signed off already: the proposal waits for the committee
    return Actions(**{name: action in allowed for name, action in FILE_BUTTONS.items()})


@dataclass
class StageGroup:
    code: str
    label: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    met: int = 0
    open: bool = False


CURRENT_STAGE = {
    FileStatus.AUTHORIZED: Stage.CONTRACTING.value,
    FileStatus.FORMALIZED: Stage.PRE_DISBURSEMENT.value,
    FileStatus.READY_TO_DISBURSE: Stage.PRE_DISBURSEMENT.value,
}


def checklist(file: CreditFile, actions: Actions, forms_for: Any) -> list[StageGroup]:
    """The file's requirements by stage; `forms_for(item, actions)` gives each row's forms."""
    today = today_mx()
    groups = {code: StageGroup(code, label) for code, label in STAGE_CHOICES}
    current = CURRENT_STAGE.get(FileStatus(file.status), Stage.AUTHORIZATION.value)
    items = file.requirements.prefetch_related("uploads").order_by("stage", "checklist", "number", "code")
    for item in items:
        group = groups[item.stage]
        met = requirement_is_met(item, today)
        uploads = list(item.uploads.all())
        group.rows.append(
            {"item": item, "met": met, "upload": uploads[0] if uploads else None, **forms_for(item, actions)}
        )
        group.met += met
    for group in groups.values():
        group.open = group.code == current
    return [g for g in groups.values() if g.rows]


def guarantees(file: CreditFile) -> list[dict[str, Any]]:
    pending = {
        c.guarantee_id: c
        for c in GuaranteeChange.objects.filter(guarantee__file=file, status=GuaranteeChange.Status.REQUESTED)
    }
    return [
        {
            "g": g,
            "active": g.status == GuaranteeStatus.ACTIVE,
            "counts": g.status in (GuaranteeStatus.OFFERED, GuaranteeStatus.ACTIVE),
            "pending_change": pending.get(g.pk),
        }
        for g in file.guarantees.order_by("id")
    ]


def proposal_panel(file: CreditFile) -> ProposalPreview:
    """The amortization table, the rate broken down and the CAT the proposal would give a loan disbursed
    today (`servicing.preview`), or what is missing to compute them."""
    return proposal_preview(file, today_mx())
