"""What is kept per loan revision: the loan page's parts and body, the account statement.

Computing a ten-year loan's page takes tens of milliseconds of queries and formatting (120 installments
twice, 120 payments, the position); kept under the loan's revision mark it is one cache read. Every write
to a loan or to what its pages show gives it a new mark in the writer's transaction
(`filon.platform.revision`), so a kept entry is never stale: a change makes a new key, and the oldest
entries make room (cache "pages", `settings.CACHES`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, TypeVar

from django.core.cache import caches

T = TypeVar("T")
CACHE = "pages"
# Bump when what is kept (or how it is computed) changes shape, so that a shared cache holds no old entry.
KEPT_FORMAT = 2


class Revised(Protocol):
    @property
    def pk(self) -> int: ...

    @property
    def revision(self) -> int: ...


def kept_key(loan: Revised, name: str, *key: object) -> str:
    """The cache key of what is kept as `name` for this state of `loan` and `key` (the day, a period…)."""
    parts = ":".join(str(part) for part in key)
    return f"loan:{KEPT_FORMAT}:{name}:{loan.pk}:{loan.revision}:{parts}"


def loan_kept(loan: Revised, name: str, compute: Callable[[], T], *key: object) -> T:
    """What `compute` returns for this state of `loan`, kept under the loan's revision mark, `name` and
    `key`. The caller read the loan row first, so what is computed under a mark is never older than the
    mark. What comes from other rows (the applicant's name, the office's) is for the caller to take from
    its fresh loan, or to put in `key`."""
    cache_key = kept_key(loan, name, *key)
    store = caches[CACHE]
    found: T | None = store.get(cache_key)
    if found is None:
        found = compute()
        store.set(cache_key, found)
    return found


# A kept page is the same for everyone who sees that state of the loan but for what each rendering puts in
# it: the CSRF token, a fresh idempotency key for its forms. The kept page holds a mark in their place, and
# each view fills them in (`marks_fill`). No input can hold a NUL character (filon.guards refuses it), so no
# data on a page is taken for a mark. Django's fragment cache (`{% cache %}`) would keep the sections but not
# the forms among them, which carry the per-request token and key: the loan page rendered per request from
# its kept parts, forms and all, cost 11.1 ms of server CPU against 4.3 with its body kept and its marks
# filled (bench/loan_detail.py, SQLite, 20 clients, 2 rounds alternated, load 8 to 13, medians). The
# statement, whose body has no such form, is kept with Django's fragment cache (web/loans/statement.html).
CSRF_MARK = "\x00csrf\x00"


def marks_fill(body: str, fills: Mapping[str, Callable[[], str]]) -> str:
    """`body` with every occurrence of each mark replaced by one value of its fill, made once per call."""
    for mark, fill in fills.items():
        body = body.replace(mark, fill())
    return body
