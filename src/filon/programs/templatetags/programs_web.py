"""The file page's "Pasos del programa" section, as an inclusion tag so the file views stay as they are."""

from __future__ import annotations

from typing import Any

from django import template

from filon.origination.models import FileStatus
from filon.origination.selectors import file_ruleset
from filon.programs.forms import ParametricForm, StatementForm, StepForm
from filon.programs.selectors import file_program_panel
from filon.programs.services import EDITABLE_STEPS, REGIONAL
from filon.rules.schema import ProgramCode

register = template.Library()


@register.inclusion_tag("web/programs/_file_steps.html", takes_context=True)
def program_steps_section(context: template.Context, file: Any) -> dict[str, Any]:
    program = file_ruleset(file).programs[ProgramCode(file.program)]
    panel = file_program_panel(file, program)
    user = context["request"].user
    # The stages whose steps can still be recorded at the file's status.
    open_dues = {due for due, statuses in EDITABLE_STEPS.items() if file.status in statuses}
    can_edit = (
        panel is not None and user.role in REGIONAL and user.office_id == file.office_id and bool(open_dues)
    )
    return {
        "file": file,
        "panel": panel,
        "can_edit": can_edit,
        "open_dues": open_dues,
        "can_edit_parametric": can_edit and "authorization" in open_dues,
        "closed": not open_dues and file.status != FileStatus.CANCELLED,
        "step_form": StepForm(prefix="paso"),
        "parametric_form": ParametricForm(prefix="param"),
        "statement_form": context.get("statement_form") or StatementForm(prefix="ef"),
        "program_error": context.get("program_error", ""),
        "csrf_token": context.get("csrf_token"),
    }
