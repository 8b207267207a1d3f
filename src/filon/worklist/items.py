"""One pending item of a user's queue («Mis pendientes»): what waits, for whom, since when, and by which clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


def _days(n: int, business: bool) -> str:
    unit = "día hábil" if n == 1 and business else "días hábiles" if business else "día" if n == 1 else "días"
    return f"{n} {unit}"


@dataclass(frozen=True)
class PendingItem:
    """An item waiting for a person's action. `key` is stable across runs ("doc-review:123"): the notices are
    unique by it. `due` and `rule` are set where a clock of the Rules (or of the contract) applies; `days_left`
    counts to `due` from today (business days when `business_days`), negative once overdue."""

    key: str
    kind: str
    title: str
    detail: str
    url: str
    office: str
    since: date
    assignee: str = ""
    """Username of the one the item waits for, when one is named (e.g. the file's analyst)."""
    assignee_name: str = ""
    due: date | None = None
    rule: str = ""
    days_left: int | None = None
    business_days: bool = False

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0

    @property
    def clock(self) -> str:
        """«vence en 3 días hábiles», «vence hoy», «vencido hace 2 días»; empty without a deadline."""
        if self.days_left is None:
            return ""
        if self.days_left == 0:
            return "vence hoy"
        if self.days_left > 0:
            return f"vence en {_days(self.days_left, self.business_days)}"
        return f"vencido hace {_days(-self.days_left, self.business_days)}"

    def sort_key(self) -> tuple[int, int, date, str]:
        """Overdue and most urgent first (fewest days left), then the items without a deadline; oldest first
        within the same urgency."""
        if self.days_left is None:
            return (1, 0, self.since, self.key)
        return (0, self.days_left, self.since, self.key)


def items_sorted(items: list[PendingItem]) -> list[PendingItem]:
    return sorted(items, key=PendingItem.sort_key)
