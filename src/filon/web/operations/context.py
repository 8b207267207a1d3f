"""Context processor: the business date on every page when it differs from the calendar's (training mode)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from filon.operations.business_date import business_date_status


def business_date(request: HttpRequest) -> dict[str, Any]:
    """`filon_business_date`: the business and calendar dates, whether they differ and whether the training mode is
    on; `base.html` shows a banner when they differ."""
    return {"filon_business_date": business_date_status()}
