"""The credit file's lifecycle (Rules 8–11, 16.2): one table for the services and the file page.

A file is captured, its authorization requirements are declared complete (the attention clock starts),
it is analysed, proposed to the committee the engine routes it to, signed off by its office's regional manager
(who may instead return it to the analyst), resolved by that committee
(authorized, rejected or returned with observations), formalized by the legal area within the
authorization's validity, extended once, and released for disbursement; it can be cancelled at any point
before, and an authorization past its validity expires. The actions that do not move the file (editing the
proposal and the guarantees, the checklist's documents) are listed with the states they are allowed in.
"""

from __future__ import annotations

from typing import Any

from filon.accounts.access import require_another_person, require_office, require_role
from filon.accounts.models import Role
from filon.core.lifecycle import Lifecycle, Transition
from filon.errors import Forbidden, TransitionRefused
from filon.origination.models import FileStatus

S = FileStatus
REGIONAL = (Role.ANALISTA, Role.GERENTE_REGIONAL)
EDITABLE = (S.CAPTURED, S.UNDER_ANALYSIS, S.RETURNED)
TERMINAL = (S.REJECTED, S.EXPIRED, S.CANCELLED, S.READY_TO_DISBURSE)
OPEN = tuple(s for s in S if s not in TERMINAL)


def _same_office(user: Any, file: Any, transition: Transition) -> None:
    require_office(user, file.office_id)


def _office_manager_not_maker(user: Any, file: Any, transition: Transition) -> None:
    """The sign-off is the file's own office's manager's, and never the one who captured or proposed it."""
    require_office(user, file.office_id)
    require_another_person(
        user,
        (file.created_by_id, file.proposed_by_id),
        f"Quien integró o propuso el expediente {file.folio} no puede {transition.verb}",
        "signoff_by",
    )


def _t(action: str, verb: str, sources: tuple[str, ...], target: str | None = None, **kw: Any) -> Transition:
    kw.setdefault("actor", _same_office)
    return Transition(action=action, verb=verb, sources=sources, target=target, **kw)


def _closed(verb: str) -> str:
    return f"No se puede {verb}: el expediente está cerrado."


FILE = Lifecycle(
    name="expediente",
    labels=dict(S.choices),
    refused_message="No se puede {verb}: el expediente está «{state}» y debe estar en: {allowed}.",
    check_role=require_role,
    forbidden=Forbidden,
    refused=TransitionRefused,
    transitions=[
        # --- moves, in the order the file page offers them
        _t(
            "requirements_complete",
            "declarar requisitos completos",
            (S.CAPTURED,),
            S.REQUIREMENTS_COMPLETE,
            roles=REGIONAL,
        ),
        _t(
            "start_analysis",
            "iniciar el análisis",
            (S.REQUIREMENTS_COMPLETE, S.RETURNED),
            S.UNDER_ANALYSIS,
            roles=REGIONAL,
        ),
        _t(
            "propose",
            "proponer a comité",
            (S.UNDER_ANALYSIS,),
            S.PROPOSED,
            roles=REGIONAL,
            role_verb="proponer expedientes a comité",
        ),
        _t(
            "signoff",
            "dar el visto bueno para comité",
            (S.PROPOSED,),
            roles=(Role.GERENTE_REGIONAL,),
            role_verb="dar el visto bueno a expedientes para comité",
            actor=_office_manager_not_maker,
        ),
        _t(
            "signoff_return",
            "devolver el expediente al analista",
            (S.PROPOSED,),
            S.UNDER_ANALYSIS,
            roles=(Role.GERENTE_REGIONAL,),
            role_verb="devolver expedientes propuestos al analista",
        ),
        _t(
            "formalize",
            "formalizar",
            (S.AUTHORIZED,),
            S.FORMALIZED,
            roles=(Role.JURIDICO,),
            role_verb="formalizar contratos",
        ),
        _t(
            "extend_authorization",
            "prorrogar la autorización",
            (S.AUTHORIZED,),
            S.AUTHORIZED,
            roles=(Role.GERENTE_REGIONAL,),
            role_verb="prorrogar autorizaciones",
        ),
        _t(
            "ready_to_disburse",
            "liberar para disposición",
            (S.FORMALIZED,),
            S.READY_TO_DISBURSE,
            roles=REGIONAL,
            role_verb="liberar expedientes para disposición",
        ),
        _t(
            "cancel",
            "cancelar",
            OPEN,
            S.CANCELLED,
            roles=(Role.GERENTE_REGIONAL, Role.ADMINISTRADOR),
            role_verb="cancelar expedientes",
            refused_message="El expediente ya está cerrado.",
        ),
        # --- moves the system makes: the committee's resolution, the daily expiry
        _t("authorize", "resolver", (S.PROPOSED,), S.AUTHORIZED),
        _t("reject", "resolver", (S.PROPOSED,), S.REJECTED),
        _t("return", "resolver", (S.PROPOSED,), S.RETURNED),
        _t("expire", "vencer la autorización", (S.AUTHORIZED,), S.EXPIRED),
        # --- actions that keep the state
        _t("update_proposal", "modificar la propuesta", EDITABLE, roles=REGIONAL),
        _t("guarantee_add", "registrar garantías", EDITABLE, roles=REGIONAL),
        _t("guarantee_update", "modificar garantías", EDITABLE, roles=REGIONAL),
        _t(
            "guarantee_remove",
            "retirar garantías (después de autorizado se solicita su liberación)",
            EDITABLE,
            roles=REGIONAL,
            role_verb="retirar garantías",
        ),
        _t(
            "guarantee_change_request",
            "solicitar liberación o sustitución de garantías",
            OPEN,
            roles=REGIONAL,
        ),
        _t(
            "requirement_upload",
            "cargar documentos",
            OPEN,
            roles=REGIONAL,
            refused_message=_closed("cargar documentos"),
        ),
        _t(
            "requirement_review",
            "revisar documentos",
            OPEN,
            roles=REGIONAL,
            refused_message=_closed("revisar documentos"),
        ),
        _t(
            "requirement_not_applicable",
            "marcar documentos como no aplicables",
            OPEN,
            roles=REGIONAL,
            refused_message=_closed("marcar documentos como no aplicables"),
        ),
        _t(
            "requirement_legal_opinion",
            "emitir dictamen jurídico",
            OPEN,
            roles=(Role.JURIDICO,),
            refused_message=_closed("emitir dictamen jurídico"),
        ),
    ],
)
"""The credit file's lifecycle."""

RESOLUTIONS = {"authorized": "authorize", "rejected": "reject", "returned": "return"}
"""A committee's decision on a file → the action that applies it."""

MOVES = (
    "requirements_complete",
    "start_analysis",
    "propose",
    "signoff",
    "signoff_return",
    "formalize",
    "extend_authorization",
    "ready_to_disburse",
    "cancel",
)
"""The moves a person takes from the file page, in the order it lists them."""
