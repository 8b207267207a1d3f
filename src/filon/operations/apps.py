from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "filon.operations"
    verbose_name = "Operaciones por lotes"

    def ready(self) -> None:
        from filon.operations.schedule import CLOSE_JOB  # imports models: loaded by now
        from filon.platform.jobs import job_register

        job_register(CLOSE_JOB)
