from __future__ import annotations

from django.db import models


class Series(models.Model):
    """A reference series by its engine code (`TIIE28`, `TIIE_FONDEO`, `FIX`, `TERM_SOFR_3M`, `UDI`, `UMA`)."""

    code = models.CharField("clave", max_length=32, unique=True)
    name = models.CharField("nombre", max_length=200)
    unit = models.CharField("unidad", max_length=16)
    banxico_id = models.CharField("serie SIE de Banxico", max_length=16, blank=True)

    class Meta:
        ordering = ("code",)
        verbose_name = "serie"
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return self.code


class Observation(models.Model):
    """One dated value. Rates are annual decimals (0.0725 = 7.25 %), FIX pesos per dollar, UDI/UMA pesos."""

    class Source(models.TextChoices):
        CSV = "csv", "Archivo CSV"
        BANXICO = "banxico", "API SIE de Banxico"
        SAMPLE = "muestra", "Muestra ilustrativa (no oficial)"

    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="observations")
    date = models.DateField("fecha")
    value = models.DecimalField("valor", max_digits=20, decimal_places=10)
    source = models.CharField("origen", max_length=16, choices=Source.choices)
    imported_by = models.CharField("importado por", max_length=150, blank=True)
    updated_at = models.DateTimeField("actualizado", auto_now=True)

    class Meta:
        ordering = ("series", "date")
        verbose_name = "observación"
        verbose_name_plural = "observaciones"
        constraints = (
            models.UniqueConstraint(fields=("series", "date"), name="marketdata_observation_one_per_day"),
        )

    def __str__(self) -> str:
        return f"{self.series.code} {self.date:%d/%m/%Y} {self.value}"
