from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "filon.programs"
    verbose_name = "Programas especiales"

    def ready(self) -> None:
        # Origination is below the programs: it asks them through its registry, never by importing them.
        from filon.origination.checks import (
            applicant_facts_register,
            authorization_check_register,
            stage_check_register,
        )
        from filon.programs.selectors import nom_032_facts
        from filon.programs.services import (
            budget_check_authorization,
            program_evidence_check_authorization,
            program_steps_check,
        )

        stage_check_register("programs.steps", program_steps_check)
        authorization_check_register("programs.budget", budget_check_authorization)
        applicant_facts_register("programs.nom_032", nom_032_facts)
        authorization_check_register("programs.evidence", program_evidence_check_authorization)
