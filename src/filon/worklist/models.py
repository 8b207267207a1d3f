"""In-app notices: one per user and pending item (or reminder), unique by the item's stable key."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Notice(models.Model):
    """Something landed in a user's queue (or an obligation's reminder). `key` is the pending item's stable
    key («doc-review:123», «reminder:45:overdue»): a key is notified to a user once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="usuario", on_delete=models.CASCADE, related_name="notices"
    )
    key = models.CharField("clave", max_length=120)
    title = models.CharField("título", max_length=300)
    body = models.TextField("texto", blank=True)
    url = models.CharField("dirección", max_length=300, blank=True)
    created_at = models.DateTimeField("creado el", auto_now_add=True)
    read_at = models.DateTimeField("leído el", null=True, blank=True)
    emailed_at = models.DateTimeField("enviado por correo el", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "aviso"
        verbose_name_plural = "avisos"
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_notice_per_user_and_key")]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title
