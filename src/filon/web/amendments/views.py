"""Pages of the amendments to the Reglas de Operación (SPEC I-10), for the Risk area: the list, the
proposal form (the changes as YAML, refused in Spanish naming each path), the detail with what the
amendment changes and its rule ids, and the approval or rejection by another person.

Thin: each view calls one selector or service of `filon.amendments`, which checks the role; a refusal is
shown on the page with its rule.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from filon.accounts.access import require_role
from filon.amendments.forms import AmendmentForm, RejectForm
from filon.amendments.models import AmendmentStatus
from filon.amendments.selectors import (
    APPROVERS,
    PROPOSERS,
    amendment_get_for_user,
    amendment_list_for_user,
    amendment_preview,
)
from filon.amendments.services import (
    AmendmentData,
    amendment_approve,
    amendment_propose,
    amendment_reject,
)
from filon.errors import DomainError
from filon.rules import available_rulesets
from filon.rules.amend import AmendmentError
from filon.rules.loader import ruleset_amendment
from filon.web.http import error_text, typed_dates, web_view

CHANGE_FIELDS = {"number", "agreed_on", "body", "effective_from", "base_version", "summary"}


@web_view()
def amendments(request: HttpRequest) -> HttpResponse:
    rows = list(amendment_list_for_user(user=request.user))
    return render(
        request,
        "web/amendments/list.html",
        {
            "amendments": rows,
            "versions": [(r, ruleset_amendment(r.version)) for r in available_rulesets()],
            "can_propose": request.user.role in PROPOSERS,
        },
    )


@web_view(("GET", "POST"))
def amendment_new(request: HttpRequest) -> HttpResponse:
    require_role(request.user, PROPOSERS, "proponer modificaciones a las reglas")
    form = typed_dates(AmendmentForm(request.POST or None))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            row = amendment_propose(
                user=request.user,
                data=AmendmentData(
                    number=data["number"],
                    agreed_on=data["agreed_on"],
                    body=data["body"],
                    effective_from=data["effective_from"],
                    changes=data["changes"],
                    summary=data["summary"],
                    base_version=data["base_version"],
                    illustrative=data["illustrative"],
                ),
            )
        except DomainError as exc:
            for item in getattr(exc, "errors", None) or [exc]:
                # A path inside the rules is a change's error: it shows under the changes.
                field = item.field if item.field in CHANGE_FIELDS else "changes"
                form.add_error(field, error_text(item))
        else:
            messages.success(request, f"Acuerdo {row.number} propuesto; debe aprobarlo otra persona.")
            return redirect("web:amendment", pk=row.pk)
    return render(request, "web/amendments/new.html", {"form": form})


def _detail(request: HttpRequest, pk: int, reject_form: RejectForm | None = None) -> HttpResponse:
    row = amendment_get_for_user(user=request.user, amendment_id=pk)
    diff, problem = None, ""
    try:
        diff = amendment_preview(row)
    except (AmendmentError, LookupError) as exc:
        problem = str(exc)
    may_decide = (
        row.status == AmendmentStatus.PROPOSED
        and request.user.role in APPROVERS
        and row.proposed_by_id != request.user.pk
    )
    return render(
        request,
        "web/amendments/detail.html",
        {
            "amendment": row,
            "diff": diff,
            "problem": problem,
            "may_decide": may_decide,
            "own_proposal": row.status == AmendmentStatus.PROPOSED and row.proposed_by_id == request.user.pk,
            "reject_form": reject_form or RejectForm(),
        },
        status=400 if reject_form is not None else 200,
    )


@web_view()
def amendment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


@web_view(("POST",))
def amendment_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    row = amendment_get_for_user(user=request.user, amendment_id=pk)
    row = amendment_approve(user=request.user, amendment=row)
    messages.success(
        request,
        f"Acuerdo {row.number} aprobado: la versión {row.version} queda en vigor "
        f"desde el {row.effective_from:%d/%m/%Y}.",
    )
    return redirect("web:amendment", pk=row.pk)


@web_view(("POST",))
def amendment_reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    row = amendment_get_for_user(user=request.user, amendment_id=pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _detail(request, pk, reject_form=form)
    row = amendment_reject(user=request.user, amendment=row, reason=form.cleaned_data["reason"])
    messages.success(request, f"Acuerdo {row.number} rechazado.")
    return redirect("web:amendment", pk=row.pk)
