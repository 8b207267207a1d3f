from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "filon.web"
    verbose_name = "Páginas web"
