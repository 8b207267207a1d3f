"""The parametric evaluation of the special programs (P-2 2.9, P-3 3.14, P-4 4.5), in pure code.

A scoring model is data approved by the Comité Interno: factors with a weight (the weights sum to 100)
and bands that give each factor 0–100 points for the measured value; a factor contributes
weight × points / 100, and the file passes ("Aprobatorio") when the total reaches the pass mark.
The capacity to pay is the debt-service coverage ratio (DSCR) from the applicant's financial
statements: EBITDA over the year's debt service, the current one plus the proposed credit's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from itertools import pairwise

from filon.core.findings import Finding, error, has_errors, info, warning
from filon.core.money import format_amount

HUNDRED = Decimal(100)
ZERO = Decimal(0)
RATIO_PLACES = Decimal("0.0001")
POINT_PLACES = Decimal("0.01")

APPROVED = "Aprobatorio"
NOT_APPROVED = "No aprobatorio"


class ScoringModelError(ValueError):
    """A scoring model that cannot be used as it stands (message in Spanish)."""


@dataclass(frozen=True, slots=True)
class Band:
    """Values v with min <= v < max get `points` (0–100); a missing bound is open."""

    min: Decimal | None
    max: Decimal | None
    points: Decimal

    def contains(self, value: Decimal) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value < self.max)


@dataclass(frozen=True, slots=True)
class Factor:
    code: str
    label: str
    weight: Decimal
    bands: tuple[Band, ...]

    def points_for(self, value: Decimal) -> Decimal | None:
        for band in self.bands:
            if band.contains(value):
                return band.points
        return None


@dataclass(frozen=True, slots=True)
class ScoringModelSpec:
    code: str
    version: str
    factors: tuple[Factor, ...]
    pass_mark: Decimal


def _decimal(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ScoringModelError(f"{where}: se espera un número escrito como texto o entero.")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ScoringModelError(f"{where}: «{value}» no es un número.") from None
    if not number.is_finite():
        raise ScoringModelError(f"{where}: «{value}» no es un número finito.")
    return number


def _optional(value: object, where: str) -> Decimal | None:
    return None if value is None else _decimal(value, where)


def parse_model(
    *, code: str, version: str, factors: Sequence[Mapping[str, object]], pass_mark: object
) -> ScoringModelSpec:
    """Validate a scoring model given as data; raise ScoringModelError on the first defect."""
    if not factors:
        raise ScoringModelError("El modelo no tiene factores.")
    parsed: list[Factor] = []
    seen: set[str] = set()
    for i, raw in enumerate(factors, start=1):
        fcode = str(raw.get("code") or "").strip()
        if not fcode:
            raise ScoringModelError(f"Factor {i}: falta la clave.")
        if fcode in seen:
            raise ScoringModelError(f"Factor {fcode}: clave repetida.")
        seen.add(fcode)
        weight = _decimal(raw.get("weight"), f"Factor {fcode}, peso")
        if weight <= ZERO:
            raise ScoringModelError(f"Factor {fcode}: el peso debe ser positivo.")
        raw_bands = raw.get("bands")
        if not isinstance(raw_bands, Sequence) or isinstance(raw_bands, str) or not raw_bands:
            raise ScoringModelError(f"Factor {fcode}: sin rangos.")
        bands: list[Band] = []
        for j, rb in enumerate(raw_bands, start=1):
            if not isinstance(rb, Mapping):
                raise ScoringModelError(f"Factor {fcode}, rango {j}: se espera min, max y puntos.")
            band = Band(
                _optional(rb.get("min"), f"Factor {fcode}, rango {j}, mínimo"),
                _optional(rb.get("max"), f"Factor {fcode}, rango {j}, máximo"),
                _decimal(rb.get("points"), f"Factor {fcode}, rango {j}, puntos"),
            )
            if not ZERO <= band.points <= HUNDRED:
                raise ScoringModelError(f"Factor {fcode}, rango {j}: los puntos van de 0 a 100.")
            if band.min is not None and band.max is not None and band.min >= band.max:
                raise ScoringModelError(f"Factor {fcode}, rango {j}: el mínimo debe ser menor que el máximo.")
            bands.append(band)
        ordered = sorted(bands, key=lambda b: (b.min is not None, b.min or ZERO))
        for left, right in pairwise(ordered):
            if left.max is None or right.min is None or left.max > right.min:
                raise ScoringModelError(f"Factor {fcode}: los rangos se traslapan.")
        parsed.append(Factor(fcode, str(raw.get("label") or fcode), weight, tuple(ordered)))
    total = sum((f.weight for f in parsed), ZERO)
    if total != HUNDRED:
        raise ScoringModelError(f"Los pesos suman {format_amount(total)}; deben sumar 100.")
    mark = _decimal(pass_mark, "Calificación aprobatoria")
    if not ZERO < mark <= HUNDRED:
        raise ScoringModelError("La calificación aprobatoria va de más de 0 a 100.")
    return ScoringModelSpec(code, version, tuple(parsed), mark)


# ------------------------------------------------------------------------------- capacity to pay


def annual_debt_service(
    *, amount: Decimal, term_months: int, grace_months: int, annual_rate: Decimal = ZERO
) -> Decimal:
    """A year of the proposed credit's service after the grace: equal principal plus a year's interest
    on the whole amount (the heaviest year of an equal-principal schedule)."""
    if amount <= ZERO:
        return ZERO
    amortizing = max(term_months - grace_months, 1)
    principal = min(amount, amount * Decimal(12) / Decimal(amortizing))
    return (principal + amount * annual_rate).quantize(POINT_PLACES, ROUND_HALF_EVEN)


def dscr(*, ebitda: Decimal, debt_service: Decimal) -> Decimal | None:
    """Debt-service coverage ratio (veces); None when there is no debt service to cover."""
    if debt_service <= ZERO:
        return None
    return (ebitda / debt_service).quantize(RATIO_PLACES, ROUND_HALF_EVEN)


def leverage(*, total_debt: Decimal, equity: Decimal) -> Decimal | None:
    """Total liabilities over equity; None when equity is nil or negative (the worst case)."""
    if equity <= ZERO:
        return None
    return (total_debt / equity).quantize(RATIO_PLACES, ROUND_HALF_EVEN)


# ---------------------------------------------------------------------------------------- score


@dataclass(frozen=True, slots=True)
class FactorScore:
    code: str
    label: str
    weight: Decimal
    value: Decimal | None
    points: Decimal
    contribution: Decimal

    def as_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "label": self.label,
            "weight": str(self.weight),
            "value": None if self.value is None else str(self.value),
            "points": str(self.points),
            "contribution": str(self.contribution),
        }


@dataclass(frozen=True)
class ScoreResult:
    model_code: str
    model_version: str
    factors: tuple[FactorScore, ...]
    total: Decimal
    pass_mark: Decimal
    findings: list[Finding] = field(default_factory=list)

    @property
    def approved(self) -> bool:
        return not has_errors(self.findings)

    @property
    def verdict(self) -> str:
        return APPROVED if self.approved else NOT_APPROVED

    def as_dict(self) -> dict[str, object]:
        return {
            "model": {"code": self.model_code, "version": self.model_version},
            "factors": [f.as_dict() for f in self.factors],
            "total": str(self.total),
            "pass_mark": str(self.pass_mark),
            "approved": self.approved,
            "verdict": self.verdict,
            "findings": [f.as_dict() for f in self.findings],
        }


def score(model: ScoringModelSpec, values: Mapping[str, Decimal | None], *, rule: str) -> ScoreResult:
    """Score the measured values; a factor with no value or outside every band scores 0 (a warning)."""
    scored: list[FactorScore] = []
    findings: list[Finding] = []
    for factor in model.factors:
        value = values.get(factor.code)
        points = factor.points_for(value) if value is not None else None
        if points is None:
            points = ZERO
            what = "sin dato" if value is None else f"valor {value} fuera de los rangos del modelo"
            findings.append(warning(rule, f"{factor.label}: {what}; se califica con 0 puntos."))
        contribution = (factor.weight * points / HUNDRED).quantize(POINT_PLACES, ROUND_HALF_EVEN)
        scored.append(FactorScore(factor.code, factor.label, factor.weight, value, points, contribution))
    total = sum((s.contribution for s in scored), ZERO)
    summary = f"Evaluación paramétrica: {format_amount(total)} puntos de 100; aprueba con {format_amount(model.pass_mark)}."
    if total >= model.pass_mark:
        findings.append(info(rule, f"{summary} Resultado: {APPROVED}."))
    else:
        findings.append(error(rule, f"{summary} Resultado: {NOT_APPROVED}."))
    return ScoreResult(model.code, model.version, tuple(scored), total, model.pass_mark, findings)
