"""Context processor: the count of the user's unread notices for the navigation's bell, read only when a page
shows it (a page without the navigation reads nothing) and once per page."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest

from filon.worklist.selectors import notices_unread_count


def notices_unread(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def count() -> int:
        return notices_unread_count(user=user)

    return {"notices_unread": count}
