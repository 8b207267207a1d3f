from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save

from filon.platform.revision import loans_touch, revised_model

# What of a user the loan pages show: who met an obligation.
SHOWN_USER_FIELDS = frozenset({"first_name", "last_name", "username"})


def _user_saved(
    sender: Any, instance: Any, update_fields: Any = None, created: bool = False, **kwargs: Any
) -> None:
    """A user's name changed: the loans whose obligations the user met show it, so they change revision
    (`filon.platform.revision`). A login's save names its fields (last_login) and touches nothing."""
    if created or (update_fields is not None and not SHOWN_USER_FIELDS & set(update_fields)):
        return
    from filon.servicing.models import LoanTask

    loans_touch(LoanTask.objects.filter(done_by=instance).values_list("loan_id", flat=True).distinct())


def _entry_posted(entry: Any, loan_ids: frozenset[int]) -> None:
    """A journal entry names these loans: their pages show it, so they change revision."""
    loans_touch(loan_ids)


class ServicingConfig(AppConfig):
    name = "filon.servicing"
    verbose_name = "Administración de cartera"

    def ready(self) -> None:
        from filon.ledger.services import entry_listener_register  # imports models: loaded by now

        revised_model(self.get_model("Loan"))
        entry_listener_register(_entry_posted)
        post_save.connect(_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="servicing.user_saved")
        from filon.servicing.checks import reversal_check_register
        from filon.servicing.restructuring import reversal_after_restructuring

        reversal_check_register("restructuring", reversal_after_restructuring)
