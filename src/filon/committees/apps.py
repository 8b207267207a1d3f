from django.apps import AppConfig


class CommitteesConfig(AppConfig):
    name = "filon.committees"
    verbose_name = "Comités de crédito"
