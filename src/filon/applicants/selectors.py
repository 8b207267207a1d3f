"""Reads on applicants, scoped to the user's regional office."""

from __future__ import annotations

from django.db.models import QuerySet

from filon.accounts.access import scope_to_office
from filon.accounts.models import User
from filon.applicants.models import Applicant, BureauRecord
from filon.errors import NotFound


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
