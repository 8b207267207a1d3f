"""The engine contracts (SPEC): evaluations and schedules; the rule sets; the stored rate series."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from filon.api.common import JSON_OBJECT_BODY, json_body
from filon.core.errors import InputError
from filon.core.evaluation import evaluate_document
from filon.core.schedule_contract import schedule_document
from filon.rules import NoRuleSetInForce, available_rulesets, load_ruleset_for_date, load_ruleset_version

router = Router(tags=["motor de reglas"])


@router.post(
    "/evaluations",
    response=dict[str, Any],
    openapi_extra=JSON_OBJECT_BODY,
    summary="Evalúa una propuesta de crédito contra las reglas (contrato de filon evaluate)",
)
def evaluations(request: HttpRequest) -> dict[str, Any]:
    return evaluate_document(json_body(request))


@router.post(
    "/schedules",
    response=dict[str, Any],
    openapi_extra=JSON_OBJECT_BODY,
    summary="Calcula la tabla de amortización (contrato de filon schedule)",
)
def schedules(request: HttpRequest) -> dict[str, Any]:
    from filon.marketdata.selectors import rate_series_get

    return schedule_document(json_body(request), series_lookup=rate_series_get)


class RuleSetOut(Schema):
    version: str
    effective_from: date
    source: str


@router.get("/rules", response=list[RuleSetOut], summary="Versiones de las reglas de operación")
def rules_list(request: HttpRequest) -> list[RuleSetOut]:
    return [
        RuleSetOut(version=r.version, effective_from=r.effective_from, source=r.source)
        for r in available_rulesets()
    ]


@router.get("/rules/in-force", response=dict[str, Any], summary="Reglas vigentes a una fecha (o una sección)")
def rules_in_force(
    request: HttpRequest, as_of: date | None = None, section: str | None = None
) -> dict[str, Any]:
    from filon.core.calendar import today_mx

    try:
        ruleset = load_ruleset_for_date(as_of or today_mx())
    except NoRuleSetInForce as exc:
        raise InputError("as_of", str(exc)) from None
    data = ruleset.model_dump(mode="json")
    if section is not None:
        if section not in data:
            raise InputError("section", f"sección desconocida; use una de: {', '.join(data)}")
        return {"version": ruleset.version, section: data[section]}
    return data


@router.get("/rules/{version}", response=dict[str, Any], summary="Una versión concreta de las reglas")
def rules_version(request: HttpRequest, version: str) -> dict[str, Any]:
    try:
        return load_ruleset_version(version).model_dump(mode="json")
    except NoRuleSetInForce as exc:
        from filon.errors import NotFound

        raise NotFound(str(exc), field="version") from None


class ObservationOut(Schema):
    date: date
    value: str


@router.get("/rates/{series}", response=list[ObservationOut], summary="Observaciones de una serie de tasas")
def rates(
    request: HttpRequest, series: str, start: date | None = None, end: date | None = None
) -> list[ObservationOut]:
    from filon.marketdata.models import Observation

    qs = Observation.objects.filter(series__code=series).order_by("date")
    if start:
        qs = qs.filter(date__gte=start)
    if end:
        qs = qs.filter(date__lte=end)
    return [ObservationOut(date=d, value=str(v)) for d, v in qs.values_list("date", "value")[:5000]]
