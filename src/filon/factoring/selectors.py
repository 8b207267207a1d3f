"""Reads on the program's EPOs and documents, scoped to the user's regional office (another office's EPO
does not exist for a regional user: 404). Regional users work the program; risk and direction read it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet, Sum

from filon.accounts.access import require_role, scope_to_office
from filon.accounts.models import Role, User
from filon.applicants.models import Applicant
from filon.applicants.selectors import applicant_list_for_user
from filon.errors import NotFound
from filon.factoring.models import DocumentStatus, Epo, FactoringDocument
from filon.origination.models import CreditFile, FileStatus
from filon.origination.selectors import file_list_for_user
from filon.rules.schema import ProgramCode

READERS = (Role.ANALISTA, Role.GERENTE_REGIONAL, Role.RIESGOS, Role.DIRECCION)
OPEN_DOCUMENTS = (DocumentStatus.UPLOADED, DocumentStatus.DISCOUNTED, DocumentStatus.OVERDUE)
ZERO = Decimal(0)


def epo_list_for_user(*, user: User) -> QuerySet[Epo]:
    require_role(user, READERS, "consultar las Cadenas Productivas")
    return scope_to_office(Epo.objects.select_related("applicant", "office"), user)


def epo_get_for_user(*, user: User, epo_id: int) -> Epo:
    found = epo_list_for_user(user=user).filter(pk=epo_id).first()
    if found is None:
        raise NotFound("No existe la EPO.")
    return found


def document_get_for_user(*, user: User, document_id: int) -> FactoringDocument:
    require_role(user, READERS, "consultar las Cadenas Productivas")
    qs = scope_to_office(
        FactoringDocument.objects.select_related("epo", "epo__applicant", "supplier"), user, "epo__office"
    )
    found = qs.filter(pk=document_id).first()
    if found is None:
        raise NotFound("No existe el documento.")
    return found


@dataclass(frozen=True)
class LinePosition:
    amount: Decimal
    used: Decimal
    available: Decimal


def line_used(epo: Epo) -> Decimal:
    """Face value of the EPO's documents not yet collected: what the line carries."""
    total = epo.documents.filter(status__in=OPEN_DOCUMENTS).aggregate(total=Sum("face_value"))["total"]
    return total or ZERO


def epo_line_position(epo: Epo) -> LinePosition:
    used = line_used(epo)
    return LinePosition(epo.line_amount, used, epo.line_amount - used)


def epo_documents(epo: Epo) -> QuerySet[FactoringDocument]:
    return epo.documents.select_related("supplier", "discount", "discount__loan").order_by("due_date", "id")


def files_admissible_for_user(*, user: User) -> QuerySet[CreditFile]:
    """The user's P-1 files authorized by the committee and not yet an EPO: what `epo_admit` accepts."""
    return (
        file_list_for_user(user=user)
        .filter(
            program=ProgramCode.CADENAS_PRODUCTIVAS,
            status__in=(FileStatus.AUTHORIZED, FileStatus.FORMALIZED, FileStatus.READY_TO_DISBURSE),
            epo__isnull=True,
        )
        .select_related("applicant")
    )


def suppliers_adherable(*, user: User, epo: Epo) -> QuerySet[Applicant]:
    """Applicants the user sees that could adhere to the EPO (not the EPO, not already active in it)."""
    active = epo.adhesions.filter(active=True).values_list("supplier_id", flat=True)
    return (
        applicant_list_for_user(user=user)
        .exclude(pk=epo.applicant_id)
        .exclude(pk__in=active)
        .order_by("name")
    )
