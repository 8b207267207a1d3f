"""The double-entry ledger: append-only journal entries whose postings balance per currency."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from filon.centavos import CentavosField


class AppendOnlyError(RuntimeError):
    pass


class Account(models.Model):
    code = models.CharField("cuenta", max_length=8)
    currency = models.CharField("moneda", max_length=3)
    name = models.CharField("nombre", max_length=120)
    kind = models.CharField("naturaleza", max_length=12)
    normal = models.CharField("saldo normal", max_length=6)

    class Meta:
        ordering = ["code", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["code", "currency"], name="one_account_per_code_currency")
        ]
        verbose_name = "cuenta contable"
        verbose_name_plural = "catálogo de cuentas"

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.currency})"


class JournalEntry(models.Model):
    business_date = models.DateField("fecha contable", db_index=True)
    posted_at = models.DateTimeField("registrada", auto_now_add=True)
    kind = models.CharField("tipo", max_length=32, db_index=True)
    description = models.CharField("concepto", max_length=300)
    loan = models.ForeignKey(
        "servicing.Loan", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["business_date", "id"]
        verbose_name = "póliza"
        verbose_name_plural = "pólizas"

    def __str__(self) -> str:
        return f"Póliza {self.pk} {self.business_date:%d/%m/%Y} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Las pólizas no se modifican: se corrigen con una póliza de reversa.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Las pólizas no se borran: se corrigen con una póliza de reversa.")


class Posting(models.Model):
    """One line of an entry. Signed amount: debit positive, credit negative."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    loan = models.ForeignKey(
        "servicing.Loan", on_delete=models.PROTECT, null=True, blank=True, related_name="postings"
    )
    fund = models.ForeignKey(
        "funds.GuaranteeFund", on_delete=models.PROTECT, null=True, blank=True, related_name="postings"
    )
    currency = models.CharField(max_length=3)
    amount = CentavosField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["loan", "account"]), models.Index(fields=["fund", "account"])]
        constraints = [models.CheckConstraint(name="posting_not_zero", condition=~models.Q(amount=0))]
        verbose_name = "movimiento"
        verbose_name_plural = "movimientos"

    def __str__(self) -> str:
        return f"{self.account.code} {self.amount} {self.currency}"


class LedgerDay(models.Model):
    """A business date whose books are closed: nothing more may be posted on it."""

    business_date = models.DateField("fecha contable", unique=True)
    closed_at = models.DateTimeField("cerrada")

    class Meta:
        ordering = ["business_date"]
        verbose_name = "día contable cerrado"
        verbose_name_plural = "días contables cerrados"

    def __str__(self) -> str:
        return f"{self.business_date:%d/%m/%Y}"
