from django.apps import AppConfig


class OriginationConfig(AppConfig):
    name = "filon.origination"
    verbose_name = "Originación"
