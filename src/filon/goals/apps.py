from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "filon.goals"
    verbose_name = "Metas de las gerencias regionales"
