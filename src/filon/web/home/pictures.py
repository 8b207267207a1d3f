"""The dashboards' pictures: the domain's figures (read through the scoped selectors) turned into charts
(`filon.web.charts`), each drawn with its figures as a table under it (`web/charts/_*.html`).

Nothing here writes or decides.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from filon.accounts.models import Role, User
from filon.committees.models import Decision
from filon.committees.selectors import resolutions_by_committee
from filon.errors import DomainError
from filon.funds.selectors import FUND_READERS, fund_usage
from filon.goals.selectors import OfficeScorecard, placement_monthly_for_user
from filon.origination.selectors import files_by_status, stage_times
from filon.servicing.selectors import (
    PortfolioQuality,
    portfolio_concentration,
    portfolio_quality,
    portfolio_quality_by_office,
)
from filon.web.charts import Series, bar_chart, hbar_chart, line_chart
from filon.worklist.selectors import office_queue, pending_items

MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")
ZERO = Decimal(0)

QUEUE_KINDS = {
    "doc-review": "Documentos por revisar",
    "legal-opinion": "Dictámenes jurídicos",
    "file-requirements": "Expedientes con requisitos pendientes",
    "file-attention": "Expedientes en tiempo de atención",
    "file-signoff": "Visto bueno del gerente regional",
    "file-formalize": "Autorizados por formalizar",
    "file-release": "Listos para disponer",
    "agenda": "Asuntos por poner en orden del día",
    "session": "Sesiones de comité",
    "vote": "Votos pendientes",
    "disburse": "Ministraciones por capturar",
    "order-release": "Ministraciones por liberar",
    "reversal-approve": "Reversas por aprobar",
    "payment": "Pagos por registrar",
    "late": "Créditos con atraso",
    "obligation": "Obligaciones posteriores a la disposición",
}


def _guarded(build: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """A panel whose figures need a FIX (USD converted to pesos) says so instead of a wrong figure."""
    try:
        return {"error": None, **build(*args, **kwargs)}
    except DomainError as exc:
        return {"error": exc}


# ------------------------------------------------------------------------------------ placement by month


def _placement_by_month(user: User, year: int, today: date) -> dict[str, Any]:
    rows = placement_monthly_for_user(user=user, year=year, today=today)
    charts = []
    for row in rows:
        if row.target is None:
            continue
        months = MONTHS[: len(row.contracted)]
        charts.append(
            line_chart(
                key=f"colocacion-mensual-{row.office.code}",
                title=f"Colocación acumulada de {row.office.name} en {year} frente a su meta",
                desc=(
                    "Por mes, lo contratado (monto de los contratos firmados) y lo dispuesto (ministraciones "
                    "entregadas), acumulados en pesos, y la meta de colocación del año."
                ),
                categories=months,
                series=[
                    Series("Contratado", row.contracted),
                    Series("Dispuesto", row.disbursed),
                    Series("Meta", [row.target] * len(months), dashed=True),
                ],
            )
        )
    without = [row for row in rows if row.target is None]
    return {"charts": charts, "without_goal": without}


def placement_by_month(user: User, year: int, today: date) -> dict[str, Any]:
    return _guarded(_placement_by_month, user, year, today)


# --------------------------------------------------------------------------------------------- offices


def _offices(user: User, year: int, today: date, cards: list[OfficeScorecard]) -> dict[str, Any]:
    """Direction's first question: the offices side by side (placement, goal, portfolio, PAR)."""
    quality = portfolio_quality_by_office(user=user, on=today)
    rows = []
    for card in cards:
        assert card.office is not None
        assert card.placement is not None
        q = quality.get(card.office.pk)
        rows.append({"office": card.office, "placement": card.placement, "quality": q})
    active = [r for r in rows if r["placement"].target is not None or r["placement"].placed or r["quality"]]
    folded = [r for r in rows if r not in active]
    chart = hbar_chart(
        key="gerencias-colocacion",
        title=f"Colocación contratada de {year} por gerencia frente a su meta",
        desc="Una barra por gerencia con lo contratado en el año; la marca vertical es su meta de colocación.",
        categories=[r["office"].name for r in active],
        series=[Series("Contratado", [r["placement"].placed for r in active])],
        references=[r["placement"].target for r in active],
        reference_label="Meta",
    )
    return {"chart": chart, "rows": active, "folded": folded}


def offices(user: User, year: int, today: date, cards: list[OfficeScorecard]) -> dict[str, Any]:
    return _guarded(_offices, user, year, today, cards)


# ---------------------------------------------------------------------------------------- the portfolio


def _quality_charts(q: PortfolioQuality) -> dict[str, Any]:
    aging = bar_chart(
        key="cartera-atraso",
        title="Saldo de capital por días de atraso",
        desc="Saldo de capital de los créditos vigentes en administración, en pesos, por tramo de días de atraso.",
        categories=[b.label for b in q.aging],
        series=[Series("Saldo de capital", [b.principal for b in q.aging])],
    )
    by_class = hbar_chart(
        key="cartera-clasificacion",
        title="Saldo de capital por clasificación",
        desc="Saldo de capital en pesos de la cartera vigente y de la vencida.",
        categories=[b.label for b in q.by_class],
        series=[Series("Saldo de capital", [b.principal for b in q.by_class])],
    )
    return {"quality": q, "aging": aging, "by_class": by_class}


def _portfolio(user: User, today: date) -> dict[str, Any]:
    return _quality_charts(portfolio_quality(user=user, on=today))


def portfolio(user: User, today: date) -> dict[str, Any]:
    return _guarded(_portfolio, user, today)


CONCENTRATION_TITLES = {
    "activity": "actividad (Anexo I)",
    "state": "estado",
    "group": "grupo de empresas",
}


def _concentration(user: User, today: date) -> dict[str, Any]:
    charts = []
    for by, name in CONCENTRATION_TITLES.items():
        shares = portfolio_concentration(user=user, by=by, on=today)
        if not shares:
            continue
        charts.append(
            hbar_chart(
                key=f"concentracion-{by}",
                title=f"Concentración de la cartera por {name}",
                desc=f"Proporción del saldo de capital vigente en administración por {name}, de mayor a menor.",
                categories=[s.label for s in shares],
                series=[Series("Proporción del saldo", [s.share for s in shares])],
                kind="percent",
            )
        )
    return {"charts": charts}


def concentration(user: User, today: date) -> dict[str, Any]:
    return _guarded(_concentration, user, today)


# ------------------------------------------------------------------------------------------ the pipeline


def pipeline(user: User, today: date) -> dict[str, Any]:
    statuses = files_by_status(user=user)
    by_status = bar_chart(
        key="expedientes-estado",
        title="Expedientes por estado",
        desc="Número de expedientes en cada estado del ciclo de vida.",
        categories=[label for _value, label, _n in statuses],
        series=[Series("Expedientes", [n for _value, _label, n in statuses])],
        kind="number",
    )
    stages = [s for s in stage_times(user=user, today=today) if s.files]
    times = hbar_chart(
        key="expedientes-tiempos",
        title="Mediana de días en cada etapa frente al plazo de las Reglas",
        desc=(
            "Mediana de los días que pasaron los expedientes en cada etapa (hábiles en la de atención); la "
            "marca vertical es el plazo de las Reglas para esa etapa."
        ),
        categories=[f"{s.label}, días {'hábiles' if s.business_days else 'naturales'}" for s in stages],
        series=[Series("Mediana de días", [s.median_days for s in stages])],
        references=[s.clock_days for s in stages],
        reference_label="Plazo de las Reglas",
        kind="days",
    )
    return {
        "by_status": by_status if statuses else None,
        "times": times if stages else None,
        "stages": stages,
    }


# ----------------------------------------------------------------------------------- committees, funds


def committees(user: User, year: int) -> dict[str, Any]:
    rows = resolutions_by_committee(user=user, year=year)
    if not rows:
        return {"chart": None}
    decisions = list(Decision.choices)
    chart = bar_chart(
        key="comites-resoluciones",
        title=f"Resoluciones de {year} por comité y sentido",
        desc="Número de resoluciones de cada comité: autorizadas, rechazadas y devueltas con observaciones.",
        categories=[name for _code, name, _counts in rows],
        series=[
            Series(label, [counts.get(value, 0) for _c, _n, counts in rows]) for value, label in decisions
        ],
        kind="number",
    )
    return {"chart": chart}


def funds(user: User) -> dict[str, Any]:
    if user.role not in FUND_READERS:
        return {"chart": None}
    usage = fund_usage(user=user)
    if not usage:
        return {"chart": None}
    chart = hbar_chart(
        key="fondos-uso",
        title="Fondos de garantía: usado frente a disponible",
        desc="Por fondo, lo que ha pagado por créditos vencidos (usado) y su saldo en el libro (disponible).",
        categories=[f"{u.fund.code} {u.fund.name}" for u in usage],
        series=[Series("Usado", [u.used for u in usage]), Series("Disponible", [u.available for u in usage])],
    )
    return {"chart": chart}


# -------------------------------------------------------------------------------------- training goals

TRAINING_TARGETS = ("technical_assistance", "courses", "participants")


def training(cards: list[OfficeScorecard]) -> dict[str, Any]:
    """One chart per target (services, courses, participants): achieved against the goal, per office with
    a goal."""
    with_goal = [card for card in cards if card.goal is not None]
    charts = []
    for key in TRAINING_TARGETS:
        if not with_goal:
            break
        targets = [card.target(key) for card in with_goal]
        charts.append(
            hbar_chart(
                key=f"meta-{key}",
                title=f"{targets[0].label}: realizado frente a la meta",
                desc="Por gerencia, lo realizado en el año; la marca vertical es su meta.",
                categories=[card.name for card in with_goal],
                series=[Series("Realizado", [t.actual for t in targets])],
                references=[t.goal for t in targets],
                reference_label="Meta",
                kind="number",
            )
        )
    return {"charts": charts}


# ------------------------------------------------------------------------------------------ the queue


def queue(user: User, today: date) -> dict[str, Any]:
    """The user's «Mis pendientes» in numbers: how many, how many overdue, by kind; and, for a regional
    manager, the queue of each person of the office."""
    items = pending_items(user, today)
    kinds: dict[str, list[int]] = {}
    for item in items:
        counts = kinds.setdefault(item.kind, [0, 0])
        counts[0] += 1
        counts[1] += int(item.overdue)
    rows = [
        {"kind": kind, "label": QUEUE_KINDS.get(kind, kind), "n": n, "overdue": overdue}
        for kind, (n, overdue) in sorted(kinds.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0]))
    ]
    return {
        "total": len(items),
        "overdue": sum(1 for item in items if item.overdue),
        "rows": rows,
        "team": office_queue(user, today),  # a regional manager's: each person's queue
    }


def first_question(user: User) -> str:
    """Which panel the role's home opens with."""
    if user.role == Role.RIESGOS:
        return "risk"
    if user.role in (Role.DIRECCION, Role.ADMINISTRADOR):
        return "direction"
    if user.is_regional:
        return "office"
    return ""
