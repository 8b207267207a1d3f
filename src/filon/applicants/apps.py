from django.apps import AppConfig


class ApplicantsConfig(AppConfig):
    name = "filon.applicants"
    verbose_name = "Solicitantes"
