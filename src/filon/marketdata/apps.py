from django.apps import AppConfig


class MarketdataConfig(AppConfig):
    name = "filon.marketdata"
    verbose_name = "Datos de mercado"
