from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "filon.ledger"
    verbose_name = "Contabilidad (partida doble)"
