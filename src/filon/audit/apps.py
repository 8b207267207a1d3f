from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "filon.audit"
    verbose_name = "Bitácora de auditoría"
