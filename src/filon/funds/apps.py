from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "filon.funds"
    verbose_name = "Fondos de garantía"

    def ready(self) -> None:
        # Servicing is below the funds: it asks them through its registry, never by importing them.
        from filon.funds.services import coverage_refusal, fund_payment_reversal_refusal, write_off_fund_cover
        from filon.servicing.checks import disbursement_check_register, reversal_check_register
        from filon.servicing.writeoff import write_off_cover_register

        disbursement_check_register("funds.coverage", coverage_refusal)
        reversal_check_register("funds.payment", fund_payment_reversal_refusal)
        write_off_cover_register("funds.cover", write_off_fund_cover)

        # Origination asks the funds whether a file is within its program's term (P-3 3.19).
        from filon.funds.services import (
            program_term_authorization_check,
            program_term_opening_check,
            program_term_stage_check,
        )
        from filon.origination.checks import (
            authorization_check_register,
            opening_check_register,
            stage_check_register,
        )

        stage_check_register("funds.program_term", program_term_stage_check)
        authorization_check_register("funds.program_term", program_term_authorization_check)
        opening_check_register("funds.program_term", program_term_opening_check)
