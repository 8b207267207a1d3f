from django.apps import AppConfig


class MarketdataConfig(AppConfig):
    name = "filon.marketdata"
    verbose_name = "Datos de mercado"

    def ready(self) -> None:
        from filon.marketdata.jobs import RATES_JOB
        from filon.platform.jobs import job_register

        job_register(RATES_JOB)
