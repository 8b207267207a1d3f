"""A regional office's targets for a year (SPEC G-1): placement, technical assistance and training.

Placement is measured against the loans contracted by the office (`selectors.placement_progress`); the
technical-assistance and training targets against the visits and training events recorded here
(`selectors.office_scorecard`).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from filon.centavos import CentavosField

ZERO = Decimal(0)


class OfficeGoal(models.Model):
    office = models.ForeignKey(
        "accounts.RegionalOffice",
        verbose_name="gerencia regional",
        on_delete=models.PROTECT,
        related_name="goals",
    )
    year = models.PositiveSmallIntegerField("año")
    placement_mxn = CentavosField("meta de colocación (MXN)")
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


# ------------------------------------------------------------------ training and technical assistance
# What the offices do toward their technical-assistance and training targets (SPEC G-1): the courses they
# give with their participants, the visits to applicants, and the organizations that promote them.


class PartnerKind(models.TextChoices):
    CLUSTER = "cluster", "Clúster"
    CHAMBER = "chamber", "Cámara"
    STATE_GOVERNMENT = "state_government", "Gobierno estatal"
    MUNICIPALITY = "municipality", "Municipio"
    UNIVERSITY = "university", "Universidad"
    OTHER = "other", "Otra"


class PartnerOrganization(models.Model):
    """An organization that promotes training or technical assistance with an office (e.g. a mining
    cluster, a chamber, a state government); shared by every office."""

    name = models.CharField("nombre", max_length=200, unique=True)
    kind = models.CharField("tipo", max_length=20, choices=PartnerKind.choices)
    state = models.CharField("estado", max_length=3, blank=True)
    active = models.BooleanField("activa", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "organización aliada"
        verbose_name_plural = "organizaciones aliadas"

    def __str__(self) -> str:
        return self.name


class Modality(models.TextChoices):
    IN_PERSON = "presencial", "Presencial"
    ONLINE = "en_linea", "En línea"
    MIXED = "mixta", "Mixta"


class TrainingEvent(models.Model):
    """A course or workshop given by a regional office (counts toward its courses target)."""

    office = models.ForeignKey(
        "accounts.RegionalOffice",
        verbose_name="gerencia regional",
        on_delete=models.PROTECT,
        related_name="training_events",
    )
    title = models.CharField("título", max_length=200)
    topic = models.CharField("tema", max_length=200, blank=True)
    start_date = models.DateField("fecha de inicio")
    end_date = models.DateField("fecha de término")
    municipality = models.CharField("municipio", max_length=120)
    state = models.CharField("estado", max_length=3)
    modality = models.CharField(
        "modalidad", max_length=12, choices=Modality.choices, default=Modality.IN_PERSON
    )
    hours = models.DecimalField("horas", max_digits=5, decimal_places=1)
    partners = models.ManyToManyField(
        PartnerOrganization, verbose_name="organizaciones que lo promueven", blank=True, related_name="events"
    )
    notes = models.TextField("notas", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "-pk"]
        verbose_name = "curso de capacitación"
        verbose_name_plural = "cursos de capacitación"
        constraints = [
            models.CheckConstraint(
                name="training_event_ends_after_start",
                condition=models.Q(end_date__gte=models.F("start_date")),
            ),
            models.CheckConstraint(name="training_event_hours_positive", condition=models.Q(hours__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.start_date:%d/%m/%Y})"


class ParticipantRole(models.TextChoices):
    APPLICANT = "applicant", "Solicitante o acreditado"
    SUPPLIER = "supplier", "Proveedor"
    MINER = "miner", "Minero"
    OFFICIAL = "official", "Funcionario"
    OTHER = "other", "Otro"


class TrainingParticipant(models.Model):
    """Someone enrolled in a training event: an applicant on record, or a person named with their
    organization (a supplier, a miner, an official)."""

    event = models.ForeignKey(TrainingEvent, on_delete=models.CASCADE, related_name="participants")
    applicant = models.ForeignKey(
        "applicants.Applicant",
        verbose_name="solicitante",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="training",
    )
    name = models.CharField("nombre", max_length=200, blank=True)
    organization = models.CharField("organización o empresa", max_length=200, blank=True)
    role = models.CharField("carácter", max_length=12, choices=ParticipantRole.choices)
    attended = models.BooleanField("asistió", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "participante"
        verbose_name_plural = "participantes"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "applicant"],
                condition=models.Q(applicant__isnull=False),
                name="one_participation_per_applicant_and_event",
            ),
            models.CheckConstraint(
                name="participant_is_an_applicant_or_named",
                condition=models.Q(applicant__isnull=False) | ~models.Q(name=""),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.applicant_id and not self.name:
            return self.applicant.name
        return self.name


class AssistanceKind(models.TextChoices):
    GEOLOGY = "geology", "Geología y exploración"
    MINING_PLAN = "mining_plan", "Plan de minado"
    PROCESSING = "processing", "Beneficio de minerales"
    SAFETY = "safety", "Seguridad"
    ENVIRONMENTAL = "environmental", "Ambiental"
    FINANCIAL = "financial", "Financiera"
    OTHER = "other", "Otra"


class TechnicalAssistanceVisit(models.Model):
    """A technical-assistance service given to an applicant (counts toward the office's TA target)."""

    office = models.ForeignKey(
        "accounts.RegionalOffice",
        verbose_name="gerencia regional",
        on_delete=models.PROTECT,
        related_name="assistance_visits",
    )
    applicant = models.ForeignKey(
        "applicants.Applicant", verbose_name="solicitante", on_delete=models.PROTECT, related_name="visits"
    )
    date = models.DateField("fecha de la visita")
    kind = models.CharField("tipo de asistencia", max_length=16, choices=AssistanceKind.choices)
    advisor = models.CharField("asesor", max_length=150)
    findings = models.TextField("hallazgos")
    recommendations = models.TextField("recomendaciones", blank=True)
    partners = models.ManyToManyField(
        PartnerOrganization, verbose_name="organizaciones que la promueven", blank=True, related_name="visits"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = "visita de asistencia técnica"
        verbose_name_plural = "visitas de asistencia técnica"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} a {self.applicant} ({self.date:%d/%m/%Y})"
