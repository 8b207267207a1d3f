"""Recording amendments in tests: a proposal's data and a proposed-then-approved amendment."""

from __future__ import annotations

from datetime import date

from filon.amendments.services import AmendmentData, amendment_approve, amendment_propose
from filon.core.calendar import today_mx


def p2_extension(number="CT-2026-07", effective=None, until=None, **changes):
    effective = effective or today_mx()
    values = {
        "number": number,
        "agreed_on": effective,
        "body": "Comité Técnico",
        "effective_from": effective,
        "changes": [
            {"path": "programs.pequena_mineria.valid_until", "value": until or date(effective.year, 12, 31)}
        ],
        "summary": "Prórroga del Programa de la Pequeña Minería (P-2 2.10).",
    }
    values.update(changes)
    return AmendmentData(**values)


def approved(proposer, approver, data=None):
    row = amendment_propose(user=proposer, data=data or p2_extension())
    return amendment_approve(user=approver, amendment=row)
