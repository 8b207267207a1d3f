"""The audit record of a document leaving the system (STYLE 5): who took which document of what."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from filon.accounts.models import User
from filon.audit.models import AuditRecord
from filon.audit.services import audit_record


@transaction.atomic
def document_issued(
    *, user: User, document: str, obj: models.Model, filename: str, office: Any = None, note: str = ""
) -> AuditRecord:
    """Record that `user` downloaded `document` (e.g. "loan_schedule_pdf") about `obj` as `filename`.

    An export that is not about one object (the portfolio, the pipeline) is recorded on the user who
    took it, with what it held in `note`.
    """
    return audit_record(
        user=user,
        action=f"document.{document}",
        obj=obj,
        office=office,
        note=f"{filename}" + (f" — {note}" if note else ""),
    )
