from django.apps import AppConfig


class AmendmentsConfig(AppConfig):
    name = "filon.amendments"
    verbose_name = "Modificaciones a las reglas de operación"

    def ready(self) -> None:
        # The rules layer is below every app: it reads approved amendments through its source registry.
        from django.db.models.signals import post_migrate

        from filon.amendments.selectors import SOURCE, tables_reset
        from filon.rules.loader import ruleset_source_register

        ruleset_source_register("amendments", SOURCE)
        post_migrate.connect(tables_reset, dispatch_uid="amendments.tables_reset")
