from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "filon.demo"
    verbose_name = "Demostración"
