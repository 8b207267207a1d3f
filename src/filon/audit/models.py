"""The audit trail: who changed what, when, with the values before and after. Append-only."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AppendOnlyError(RuntimeError):
    pass


class AuditRecord(models.Model):
    at = models.DateTimeField("fecha y hora", auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="usuario",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField("acción", max_length=64, db_index=True)
    object_type = models.CharField("tipo de objeto", max_length=64)
    object_id = models.CharField("id del objeto", max_length=64)
    office = models.ForeignKey(
        "accounts.RegionalOffice",
        verbose_name="gerencia regional",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    before = models.JSONField("antes", null=True, blank=True)
    after = models.JSONField("después", null=True, blank=True)
    note = models.TextField("nota", blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]
        verbose_name = "registro de auditoría"
        verbose_name_plural = "bitácora de auditoría"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # An integrity guard, not business logic: the trail is never rewritten.
        if self.pk is not None:
            raise AppendOnlyError("La bitácora de auditoría no se modifica.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("La bitácora de auditoría no se borra.")
