from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "filon.funds"
    verbose_name = "Fondos de garantía"
