"""Regional offices come from the rule set (Rules 4); users are created with a role and an office."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from filon.accounts.models import RegionalOffice, User, new_session_salt
from filon.audit.services import audit_record
from filon.core.calendar import today_mx
from filon.errors import DomainError, NotFound
from filon.rules import RuleSet, load_ruleset_for_date


@transaction.atomic
def regional_offices_sync(*, ruleset: RuleSet | None = None) -> list[RegionalOffice]:
    """Create or update the offices of the rule set in force (idempotent)."""
    ruleset = ruleset or load_ruleset_for_date(today_mx())
    offices = []
    for office in ruleset.offices.offices:
        obj, _ = RegionalOffice.objects.update_or_create(
            code=office.code, defaults={"name": office.name, "kind": office.kind, "states": office.states}
        )
        offices.append(obj)
    return offices


def office_for_state(state: str, *, ruleset: RuleSet | None = None) -> RegionalOffice:
    """The gerencia regional that serves `state` (Rules 4)."""
    ruleset = ruleset or load_ruleset_for_date(today_mx())
    for office in ruleset.offices.offices:
        if state in office.states:
            found = RegionalOffice.objects.filter(code=office.code).first()
            if found is None:
                regional_offices_sync(ruleset=ruleset)
                found = RegionalOffice.objects.get(code=office.code)
            return found
    raise NotFound(
        f"Ninguna gerencia regional atiende el estado «{state}».", field="state", rule=ruleset.offices.rule
    )


@transaction.atomic
def user_sessions_end(*, actor: Any, user: User) -> None:
    """End every open session of `user`, on every browser: its next request asks to sign in again.

    Sessions live in signed cookies (settings.SESSION_ENGINE) and prove they are current by the user's
    session hash (`User.get_session_auth_hash`); a new salt changes the hash, so every cookie issued
    before — a copy of the one just logged out included — stops being accepted."""
    User.objects.filter(pk=user.pk).update(session_salt=new_session_salt())
    audit_record(user=actor, action="user.sessions_end", obj=user, office=user.office)


@transaction.atomic
def user_unlock(*, actor: Any, user: User, address: str | None = None) -> int:
    """Clear the failed logins that lock `user` out (from `address` only, when given), so the next try is
    judged afresh; returns how many records of failures were cleared. The lock would end by itself after the
    cool-off (settings.AXES_COOLOFF_TIME)."""
    from axes.utils import reset

    cleared = reset(ip=address, username=user.username) if address else reset(username=user.username)
    audit_record(
        user=actor,
        action="user.unlock",
        obj=user,
        after={"address": address, "attempts_cleared": cleared},
        office=user.office,
    )
    return cleared


def _token_hash(raw: str) -> str:
    import hashlib

    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: Any, user: User, name: str) -> tuple[Any, str]:
    """A new API token for `user`; the raw key is returned once and never stored."""
    import secrets

    from filon.accounts.models import ApiToken

    if not name.strip():
        raise DomainError("Dé un nombre al token.", field="name")
    raw = "fln_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip(), prefix=raw[:12], key_hash=_token_hash(raw))
    audit_record(
        user=actor,
        action="api_token.create",
        obj=user,
        after={"token": token.prefix, "name": token.name},
        office=user.office,
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Any, token: Any) -> None:
    from django.utils import timezone

    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        user=actor,
        action="api_token.revoke",
        obj=token.user,
        after={"token": token.prefix},
        office=token.user.office,
    )


# A token's last use is recorded to the minute: a burst of API calls writes it once, not once per call.
TOKEN_USE_RESOLUTION_SECONDS = 60


def api_token_user(raw: str) -> User | None:
    """The active user of a valid, unrevoked token (and mark it used), else None."""
    from datetime import timedelta

    from django.db.models import Q
    from django.utils import timezone

    from filon.accounts.models import ApiToken

    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_token_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    stale = now - timedelta(seconds=TOKEN_USE_RESOLUTION_SECONDS)
    if token.last_used_at is None or token.last_used_at <= stale:
        # conditional: of simultaneous calls that all found it stale, the first one writes it
        ApiToken.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale), pk=token.pk
        ).update(last_used_at=now)
    return token.user
