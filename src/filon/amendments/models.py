"""Amendments to the Reglas de Operación (SPEC I-10): an acuerdo recorded as data.

An amendment names the acuerdo (number, date, the body that approved it), the date it takes effect, the
version it amends and its changes (dotted paths into the rule set and their new values). The Risk area
proposes it; another user approves or rejects it (maker-checker). Once approved it is immutable, and the
rule loader builds from it a new, complete rule-set version (`filon.rules.amend`); the version it amends is
never touched.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from filon.amendments.stamp import amendments_changed
from filon.errors import TransitionRefused


class AmendmentStatus(models.TextChoices):
    PROPOSED = "proposed", "Propuesta"
    APPROVED = "approved", "Aprobada"
    REJECTED = "rejected", "Rechazada"


class Amendment(models.Model):
    number = models.CharField("número de acuerdo", max_length=40, unique=True)
    agreed_on = models.DateField("fecha del acuerdo")
    body = models.CharField("órgano que lo aprobó", max_length=200)
    effective_from = models.DateField("en vigor desde")
    base_version = models.CharField("versión que modifica", max_length=40)
    version = models.CharField("versión nueva", max_length=40, unique=True)
    changes = models.JSONField("cambios", default=list)  # [{"path": ..., "value": ...}, ...]
    summary = models.TextField("resumen", blank=True)
    illustrative = models.BooleanField("ilustrativa (demostración)", default=False)
    status = models.CharField(
        "estado", max_length=12, choices=AmendmentStatus.choices, default=AmendmentStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="propuso"
    )
    proposed_at = models.DateTimeField("propuesta el", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name="decidió",
    )
    decided_at = models.DateTimeField("decidida el", null=True, blank=True)
    rejection_reason = models.TextField("motivo del rechazo", blank=True)
    # A fresh random mark at approval: the rule loader's cache key (`selectors.approved_stamp`).
    mark = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["effective_from", "id"]
        verbose_name = "modificación a las reglas"
        verbose_name_plural = "modificaciones a las reglas"
        constraints = [
            models.CheckConstraint(
                name="amendment_decided_has_decider",
                condition=models.Q(status="proposed") | models.Q(decided_by__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.version})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = Amendment.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == AmendmentStatus.APPROVED:
                raise TransitionRefused(
                    f"El acuerdo {self.number} ya está aprobado: una modificación aprobada no se edita; "
                    "registre otro acuerdo."
                )
        super().save(*args, **kwargs)
        amendments_changed()

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.status == AmendmentStatus.APPROVED:
            raise TransitionRefused(f"El acuerdo {self.number} ya está aprobado: no se borra.")
        result = super().delete(*args, **kwargs)
        amendments_changed()
        return result
