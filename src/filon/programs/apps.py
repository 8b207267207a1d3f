from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "filon.programs"
    verbose_name = "Programas especiales"
