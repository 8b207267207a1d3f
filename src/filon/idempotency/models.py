"""One row per (operation, scope, key) of a request that moved money: what was asked and what it made.

No business rule lives here; the services that move money record their requests through
`filon.idempotency.services.once`, under the lock of the row the operation changes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

KEY_MAX = 80


class IdempotentRequest(models.Model):
    operation = models.CharField("operación", max_length=64)
    scope = models.CharField("ámbito", max_length=64, help_text="El objeto bloqueado: «loan:12», «fund:3»")
    key = models.CharField("clave de idempotencia", max_length=KEY_MAX)
    fingerprint = models.CharField("huella de la solicitud", max_length=64)
    request = models.JSONField("solicitud canónica")
    result_model = models.CharField("modelo del resultado", max_length=64)
    result_ids = models.JSONField("ids del resultado")
    many = models.BooleanField("resultado múltiple", default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="usuario",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("registrada", auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["operation", "scope", "key"], name="idempotency_once_per_key")
        ]
        verbose_name = "solicitud idempotente"
        verbose_name_plural = "solicitudes idempotentes"

    def __str__(self) -> str:
        return f"{self.operation} {self.scope} «{self.key}»"
