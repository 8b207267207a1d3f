"""The series Filón knows: code (as the engine spells it), name, unit and, where Banxico publishes it, the
SIE series id (SPEC C-9, C-10). A code outside this catalogue is refused, so a typo cannot start a series."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from filon.core.errors import InputError
from filon.core.rates import FIX, TERM_SOFR, TIIE28, TIIE_FONDEO, UDI, UMA

RATE = "tasa_anual"
MXN_PER_USD = "mxn_por_usd"
MXN = "mxn"


@dataclass(frozen=True)
class SeriesSpec:
    code: str
    name: str
    unit: str
    banxico_id: str = ""

    @property
    def is_rate(self) -> bool:
        """Rates are stored as annual decimals (0.0725 = 7.25 %); Banxico publishes them in percent."""
        return self.unit == RATE

    def check(self, value: Decimal) -> str | None:
        """Why `value` cannot be an observation of this series (Spanish), or None."""
        if value < 0:
            return "el valor no puede ser negativo"
        if self.is_rate and value >= 1:
            return f"{self.code} se guarda como decimal anual (0.0725 = 7.25 %); ¿viene en porcentaje?"
        if not self.is_rate and value == 0:
            return "el valor debe ser mayor que cero"
        return None


CATALOG: dict[str, SeriesSpec] = {
    spec.code: spec
    for spec in (
        SeriesSpec(TIIE28, "TIIE a 28 días", RATE, "SF43783"),
        SeriesSpec(TIIE_FONDEO, "TIIE de Fondeo a un día hábil", RATE, "SF331451"),
        SeriesSpec(FIX, "Tipo de cambio FIX (pesos por dólar)", MXN_PER_USD, "SF43718"),
        SeriesSpec(UDI, "Valor de la UDI (pesos)", MXN, "SP68257"),
        SeriesSpec(UMA, "UMA anual (pesos), vigente desde el 1 de febrero de cada año", MXN),
        *(
            SeriesSpec(code, f"Term SOFR a {months} {'mes' if months == 1 else 'meses'} (CME)", RATE)
            for months, code in TERM_SOFR.items()
        ),
    )
}


def series_spec(code: str, field: str = "--series") -> SeriesSpec:
    try:
        return CATALOG[code]
    except KeyError:
        raise InputError(field, f"serie desconocida «{code}»; use una de: {', '.join(CATALOG)}") from None
