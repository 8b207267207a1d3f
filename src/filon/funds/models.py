"""Guarantee funds of the special programs (Rules, Chapter II: P-2 2.4–2.6, P-3 3.4, P-4 4.2).

A fund's money is its own sub-balance of account 2301 «Fondos de garantía» in the ledger: every posting to
2301 carries the fund (`ledger.Posting.fund`), so the fund's balance is the ledger's, never a cached figure.
`FundMovement` is the fund's own record of what happened (a contribution, the fund's interest, a payment of a
defaulted credit, a refund), each pointing at its journal entry.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from filon.centavos import CentavosField
from filon.origination.models import PROGRAM_CHOICES

ZERO = Decimal(0)


class FundKind(models.TextChoices):
    """The rule set's kinds of guarantee fund (`rules.schema.GuaranteeFund.kind`)."""

    FIRST_LOSS_POOL = "first_loss_pool", "Fondo de aportaciones que paga los primeros créditos vencidos"
    PORTFOLIO_FIRST_LOSS = "portfolio_first_loss", "Primeras pérdidas del portafolio"
    LIQUID_RATIO = "liquid_ratio", "Garantía líquida en proporción a cada crédito"


class Contributor(models.TextChoices):
    STATE = "state", "Gobierno estatal"
    ORGANISM = "organism", "Organismo"
    MINER = "miner", "Pequeño minero (aportación propia)"
    THIRD_PARTY = "third_party", "Tercero"


class GuaranteeFund(models.Model):
    code = models.CharField("clave", max_length=24, unique=True)
    name = models.CharField("nombre", max_length=200)
    program = models.CharField("programa", max_length=24, choices=PROGRAM_CHOICES)
    kind = models.CharField("tipo", max_length=24, choices=FundKind.choices)
    rule = models.CharField("regla", max_length=24)
    ruleset_version = models.CharField("versión de reglas", max_length=40)
    contributor = models.CharField("aportante", max_length=12, choices=Contributor.choices)
    state = models.CharField("estado", max_length=3, blank=True)
    loan = models.ForeignKey(
        "servicing.Loan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="own_guarantee_funds",
        verbose_name="crédito (aportación propia del minero)",
    )
    currency = models.CharField("moneda", max_length=3, default="MXN")
    active = models.BooleanField("activo", default=True)
    # P-3 3.19: the program's term runs from the formalization of its liquid-guarantee fund; the Rules do
    # not date it, so it is recorded here (`services.fund_formalization_record`).
    formalized_on = models.DateField("formalizado el", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "code"]
        verbose_name = "fondo de garantía"
        verbose_name_plural = "fondos de garantía"
        constraints = [
            models.CheckConstraint(
                name="fund_miner_has_loan",
                condition=~models.Q(contributor="miner") | models.Q(loan__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MovementKind(models.TextChoices):
    CONTRIBUTION = "contribution", "Aportación"
    INTEREST = "interest", "Rendimiento (ingreso del FIFOMI)"
    PAYMENT = "payment", "Pago de crédito vencido"
    REFUND = "refund", "Devolución de la aportación"


class FundMovement(models.Model):
    """One thing that happened to a fund, with its journal entry (the money is the ledger's)."""

    fund = models.ForeignKey(GuaranteeFund, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField("movimiento", max_length=16, choices=MovementKind.choices)
    business_date = models.DateField("fecha")
    amount = CentavosField("importe")
    exposure = CentavosField(
        "adeudo total del crédito al pagar", null=True, blank=True
    )  # a payment's: the credit's principal, interest and moratorium owed before it (P-3 losses)
    entry = models.OneToOneField("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    loan = models.ForeignKey(
        "servicing.Loan", on_delete=models.PROTECT, null=True, blank=True, related_name="fund_movements"
    )
    payment = models.OneToOneField(
        "servicing.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="fund_movement"
    )
    description = models.CharField("concepto", max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["business_date", "id"]
        verbose_name = "movimiento del fondo"
        verbose_name_plural = "movimientos de fondos"
        constraints = [
            models.CheckConstraint(name="fund_movement_positive", condition=models.Q(amount__gt=0))
        ]

    def __str__(self) -> str:
        return f"{self.fund.code} {self.get_kind_display()} {self.amount}"
