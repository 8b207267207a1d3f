"""Committee sessions: the agenda, the members' votes, the resolutions and the minutes (Rules 17)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from filon.rules.schema import CommitteeCode

COMMITTEE_CHOICES = [
    (CommitteeCode.COMITE_INTERNO.value, "Comité Interno de Crédito"),
    (CommitteeCode.COMITE_EXTERNO.value, "Comité Externo de Crédito"),
    (CommitteeCode.COMITE_TECNICO.value, "Comité Técnico"),
]
# Prefix of session and agreement numbers: CI-2026-07, CI-2026-07/003.
SESSION_PREFIX = {
    CommitteeCode.COMITE_INTERNO.value: "CI",
    CommitteeCode.COMITE_EXTERNO.value: "CE",
    CommitteeCode.COMITE_TECNICO.value: "CT",
}


class SessionStatus(models.TextChoices):
    CONVENED = "convened", "Convocada"
    HELD = "held", "En sesión"  # held and not yet closed: the session is under way
    CLOSED = "closed", "Cerrada"  # the minutes are recorded


class CommitteeSession(models.Model):
    committee = models.CharField("comité", max_length=24, choices=COMMITTEE_CHOICES)
    year = models.PositiveSmallIntegerField("año")
    sequence = models.PositiveSmallIntegerField("número consecutivo en el año")
    number = models.CharField("número de sesión", max_length=24, unique=True)
    date = models.DateField("fecha")
    place = models.CharField("lugar", max_length=200)
    status = models.CharField(
        "estado", max_length=12, choices=SessionStatus.choices, default=SessionStatus.CONVENED
    )
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="secretario", on_delete=models.PROTECT, related_name="+"
    )
    quorum = models.PositiveSmallIntegerField("quórum (miembros requeridos)")
    members_present = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="miembros presentes", blank=True, related_name="+"
    )
    held_at = models.DateTimeField("celebrada el", null=True, blank=True)
    held_early_reason = models.TextField("motivo de celebrarla antes de su fecha", blank=True)
    convened_for = models.DateField("fecha de la convocatoria original", null=True, blank=True)
    reschedule_reason = models.TextField("motivo del cambio de fecha", blank=True)
    closed_at = models.DateTimeField("cerrada el", null=True, blank=True)
    minutes = models.TextField("acta", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = "sesión de comité"
        verbose_name_plural = "sesiones de comité"
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "year", "sequence"], name="one_session_number_per_committee_year"
            ),
            models.CheckConstraint(name="session_quorum_positive", condition=models.Q(quorum__gte=1)),
        ]

    def __str__(self) -> str:
        return f"Sesión {self.number}"


class AgendaItem(models.Model):
    """One matter of a session: a credit file, a guarantee release/substitution request, or a request on a
    disbursed credit (restructuring or write-off)."""

    session = models.ForeignKey(CommitteeSession, on_delete=models.PROTECT, related_name="items")
    order = models.PositiveSmallIntegerField("orden")
    file = models.ForeignKey(
        "origination.CreditFile",
        verbose_name="expediente",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
    )
    guarantee_change = models.ForeignKey(
        "origination.GuaranteeChange",
        verbose_name="solicitud sobre garantía",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
    )
    loan_request = models.ForeignKey(
        "origination.LoanRequest",
        verbose_name="solicitud sobre un crédito",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
    )
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "order"]
        verbose_name = "asunto del orden del día"
        verbose_name_plural = "orden del día"
        constraints = [
            models.UniqueConstraint(fields=["session", "order"], name="one_agenda_item_per_order"),
            models.CheckConstraint(
                name="agenda_item_is_exactly_one_matter",
                condition=(
                    models.Q(file__isnull=False)
                    & models.Q(guarantee_change__isnull=True)
                    & models.Q(loan_request__isnull=True)
                )
                | (
                    models.Q(file__isnull=True)
                    & models.Q(guarantee_change__isnull=False)
                    & models.Q(loan_request__isnull=True)
                )
                | (
                    models.Q(file__isnull=True)
                    & models.Q(guarantee_change__isnull=True)
                    & models.Q(loan_request__isnull=False)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session.number} asunto {self.order}"


class Decision(models.TextChoices):
    AUTHORIZED = "authorized", "Autorizado"
    REJECTED = "rejected", "Rechazado"
    RETURNED = "returned", "Devuelto con observaciones"


class Resolution(models.Model):
    item = models.OneToOneField(AgendaItem, on_delete=models.PROTECT, related_name="resolution")
    decision = models.CharField("resolución", max_length=12, choices=Decision.choices)
    conditions = models.TextField("condiciones", blank=True)
    observations = models.TextField("observaciones", blank=True)
    agreement_number = models.CharField("número de acuerdo", max_length=32, unique=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("registrada el", auto_now_add=True)

    class Meta:
        ordering = ["agreement_number"]
        verbose_name = "resolución"
        verbose_name_plural = "resoluciones"

    def __str__(self) -> str:
        return f"Acuerdo {self.agreement_number}"


class VoteChoice(models.TextChoices):
    FAVOR = "favor", "A favor"
    CONTRA = "contra", "En contra"
    ABSTENCION = "abstencion", "Abstención"


class Vote(models.Model):
    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="votes")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="miembro", on_delete=models.PROTECT, related_name="+"
    )
    vote = models.CharField("voto", max_length=12, choices=VoteChoice.choices)
    cast_at = models.DateTimeField("emitido el", auto_now_add=True)

    class Meta:
        ordering = ["item", "id"]
        verbose_name = "voto"
        verbose_name_plural = "votos"
        constraints = [
            models.UniqueConstraint(fields=["item", "member"], name="one_vote_per_member_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.get_vote_display()}"
