from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    name = "filon.idempotency"
    verbose_name = "Solicitudes idempotentes"
