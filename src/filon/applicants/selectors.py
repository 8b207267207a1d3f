"""Reads on applicants, scoped to the user's regional office."""

from __future__ import annotations

from django.db.models import QuerySet

from filon.accounts.access import require_role, scope_to_office
from filon.accounts.models import Role, User
from filon.applicants.models import Applicant, BureauRecord
from filon.audit.models import AuditRecord
from filon.errors import NotFound

REFERRAL_ACTION = "applicant.rfc_referral"
"""The audit action of an RFC referred to the central area (`applicant_create`, `applicant_update`)."""
REFERRAL_ROLES = (Role.RIESGOS, Role.DIRECCION, Role.ADMINISTRADOR)
"""The central area that reads the referrals."""


def applicant_list_for_user(*, user: User) -> QuerySet[Applicant]:
    return scope_to_office(Applicant.objects.select_related("office", "group"), user)


def applicant_get_for_user(*, user: User, applicant_id: int) -> Applicant:
    """Another office's applicant does not exist for a regional user (404, not 403)."""
    found = applicant_list_for_user(user=user).filter(pk=applicant_id).first()
    if found is None:
        raise NotFound("No existe el solicitante.")
    return found


def bureau_keys_latest(applicant: Applicant) -> list[str]:
    latest = BureauRecord.objects.filter(applicant=applicant).order_by("-consulted_on", "-id").first()
    return list(latest.prevention_keys) if latest else []


def rfc_referrals_for_user(*, user: User) -> QuerySet[AuditRecord]:
    """The cases referred to the central area because an office tried to register an RFC that belongs to
    another office's client (newest first). Only central roles read them: they name both offices."""
    require_role(user, REFERRAL_ROLES, "consultar los RFC turnados al área central")
    return AuditRecord.objects.filter(action=REFERRAL_ACTION).select_related("user").order_by("-at", "-id")
