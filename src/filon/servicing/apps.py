from django.apps import AppConfig


class ServicingConfig(AppConfig):
    name = "filon.servicing"
    verbose_name = "Administración de cartera"
