from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "filon.operations"
    verbose_name = "Operaciones por lotes"

    def ready(self) -> None:
        # In training mode the business date is the stored one (filon.operations.business_date); otherwise
        # no provider is registered and `today_mx()` is the calendar's date.
        from filon.operations.business_date import business_date_install

        business_date_install()

        from filon.operations.schedule import CLOSE_JOB  # imports models: loaded by now
        from filon.platform.jobs import job_register

        job_register(CLOSE_JOB)
