"""Authentication with lock-out after repeated failures."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from filon.accounts.models import User
from filon.compiled import KEY, fetch_row, instance_from_row, lookup_statement


class AccountLocked(Exception):
    pass


class LockoutModelBackend(ModelBackend):
    """ModelBackend that refuses a locked account and counts failures per username.

    After FILON_LOGIN_MAX_FAILURES consecutive failures the account is locked for
    FILON_LOGIN_LOCK_MINUTES; a successful login resets the count. A locked account is refused even
    with the right password, so guessing cannot continue during the lock.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or password is None:
            return None
        with transaction.atomic():
            user = User.objects.select_for_update().filter(username=username).first()
            if user is None:
                User().set_password(password)  # same work as a real check: no timing oracle
                return None
            now = timezone.now()
            if user.locked_until and user.locked_until > now:
                if request is not None:
                    request.filon_login_locked = True  # type: ignore[attr-defined]
                return None
            if user.check_password(password) and self.user_can_authenticate(user):
                if user.failed_logins or user.locked_until:
                    user.failed_logins = 0
                    user.locked_until = None
                    user.save(update_fields=["failed_logins", "locked_until"])
                return user
            user.failed_logins += 1
            if user.failed_logins >= settings.FILON_LOGIN_MAX_FAILURES:
                user.locked_until = now + timedelta(minutes=settings.FILON_LOGIN_LOCK_MINUTES)
                user.failed_logins = 0
                if request is not None:
                    request.filon_login_locked = True  # type: ignore[attr-defined]
            user.save(update_fields=["failed_logins", "locked_until"])
            return None

    def get_user(self, user_id: Any) -> User | None:
        """The session's user with its regional office in the same query: every page shows the office and
        scopes by it."""
        user = user_with_office(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def user_with_office(user_id: Any) -> User | None:
    """The user and its regional office in one row, by a statement compiled once per process
    (`filon.compiled`): every request reads its user."""
    row = fetch_row(_user_statement(), User, user_id)
    return None if row is None else instance_from_row(User, ["office"], row)


@functools.cache
def _user_statement() -> str:
    return lookup_statement(User.objects.select_related("office").filter(pk=KEY).order_by())
