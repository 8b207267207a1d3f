"""Who signs in, and how repeated failures are throttled (django-axes).

Failures are counted per account *and* address (`AXES_LOCKOUT_PARAMETERS`): an attacker who guesses at an
account locks out only their own address, and the person reaches the account from any other. One address
that fails across many accounts is stopped by its own, higher limit (`FILON_LOGIN_ADDRESS_MAX_FAILURES`),
here in `LoginThrottle`. A lock lasts `AXES_COOLOFF_TIME` after the last failed try; `filon users unlock`
lifts it sooner.

A refused login looks and costs the same whatever the reason: the login page with one message, after one
password hash — Django hashes the password of an unknown user against nobody for that reason, and a locked
try does the same here, instead of answering at once.
"""

from __future__ import annotations

import functools
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse

from filon.accounts.models import User
from filon.platform.lookups import KEY, fetch_row, instance_from_row, lookup_statement


class AccountBackend(AxesStandaloneBackend, ModelBackend):
    """Django's ModelBackend behind the axes check, and the session's user read in one row."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        try:
            AxesStandaloneBackend.authenticate(self, request, username, password, **kwargs)  # type: ignore[arg-type]
        except AxesBackendPermissionDenied:
            if password is not None:
                User().set_password(password)  # the work of a password check: no timing oracle
            raise  # Django's authenticate() refuses the login and reports the failure to axes
        user = ModelBackend.authenticate(self, request, username, password, **kwargs)
        return user if isinstance(user, User) else None

    def get_user(self, user_id: Any) -> User | None:
        """The session's user with its regional office in the same query: every page shows the office and
        scopes by it."""
        user = user_with_office(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class LoginThrottle(AxesDatabaseHandler):
    """Axes' database handler with a second limit per address, over every account it tried.

    Axes compares `get_failures` with AXES_FAILURE_LIMIT; an address past its own limit counts as having
    reached it, for any account, until its failures are older than the cool-off."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        by_account = super().get_failures(request, credentials)
        if address_failures(request) >= settings.FILON_LOGIN_ADDRESS_MAX_FAILURES:
            return max(by_account, settings.AXES_FAILURE_LIMIT)
        return by_account


def address_failures(request: HttpRequest) -> int:
    """The failed logins from the request's address within the cool-off, whatever the account."""
    attempts = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address,  # type: ignore[attr-defined]
        attempt_time__gte=request.axes_attempt_time - settings.AXES_COOLOFF_TIME,  # type: ignore[attr-defined]
    )
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the throttle counts it: REMOTE_ADDR, or behind a reverse proxy the header
    that proxy sets (FILON_CLIENT_IP_HEADER); a list (X-Forwarded-For) gives its last entry, the one the
    proxy added."""
    value = request.META.get(settings.FILON_CLIENT_IP_HEADER) or request.META.get("REMOTE_ADDR")
    return value.rsplit(",", 1)[-1].strip() if value else None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse, credentials: dict[str, Any] | None
) -> HttpResponse:
    """A locked try is answered as any refused login is: the login page the view rendered, with its one
    message and status (no «account locked» to tell an attacker which accounts exist)."""
    return original_response


def user_with_office(user_id: Any) -> User | None:
    """The user and its regional office in one row, by a statement compiled once per process
    (`filon.platform.lookups`): every request reads its user."""
    row = fetch_row(_user_statement(), User, user_id)
    return None if row is None else instance_from_row(User, ["office"], row)


@functools.cache
def _user_statement() -> str:
    return lookup_statement(User.objects.select_related("office").filter(pk=KEY).order_by())
