from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "filon.operations"
    verbose_name = "Operaciones por lotes"
