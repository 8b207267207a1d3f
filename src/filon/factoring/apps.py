from django.apps import AppConfig


class FactoringConfig(AppConfig):
    name = "filon.factoring"
    verbose_name = "Cadenas productivas (factoraje)"
