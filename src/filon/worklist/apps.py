from django.apps import AppConfig


class WorklistConfig(AppConfig):
    name = "filon.worklist"
    verbose_name = "Pendientes y avisos"

    def ready(self) -> None:
        from filon.platform.jobs import job_register
        from filon.worklist.services import NOTICES_JOB, REMINDERS_JOB

        job_register(NOTICES_JOB)
        job_register(REMINDERS_JOB)
