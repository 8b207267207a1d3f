"""A regional office's targets for a year (SPEC G-1): placement, technical assistance and training.

Placement is measured against the loans contracted by the office (`selectors.placement_progress`); the
technical-assistance and training targets are stored here so that the visits and training events that a
later module records can be measured against them the same way.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

ZERO = Decimal(0)


class OfficeGoal(models.Model):
    office = models.ForeignKey(
        "accounts.RegionalOffice",
        verbose_name="gerencia regional",
        on_delete=models.PROTECT,
        related_name="goals",
    )
    year = models.PositiveSmallIntegerField("año")
    placement_mxn = models.DecimalField("meta de colocación (MXN)", max_digits=18, decimal_places=2)
    technical_assistance_services = models.PositiveIntegerField(
        "meta de servicios de asistencia técnica", default=0
    )
    training_courses = models.PositiveIntegerField("meta de cursos de capacitación", default=0)
    training_participants = models.PositiveIntegerField("meta de participantes en capacitación", default=0)
    notes = models.TextField("notas", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["year", "office__name"]
        verbose_name = "meta anual de la gerencia"
        verbose_name_plural = "metas anuales de las gerencias"
        constraints = [
            models.UniqueConstraint(fields=["office", "year"], name="one_goal_per_office_and_year"),
            models.CheckConstraint(name="goal_placement_positive", condition=models.Q(placement_mxn__gt=0)),
        ]

    def __str__(self) -> str:
        return f"Metas {self.year} de la {self.office}"
