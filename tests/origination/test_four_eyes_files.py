"""Four eyes on a credit file (separación de funciones): whoever uploads a document does not approve it, and
a proposal goes to a committee only after the regional manager of its office signs it off, never the one
who captured or proposed it. Each refusal says why, names its field, and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from conftest import another_manager, mortgage, pdf, signoff
from filon.audit.models import AuditRecord
from filon.core.calendar import MEXICO_CITY, today_mx
from filon.demo.scenarios import file_to_analysis, file_to_proposed
from filon.errors import Forbidden, TransitionRefused, ValidationFailed
from filon.origination.models import CreditFile, FileStatus, RequirementStatus
from filon.origination.selectors import files_to_sign_off
from filon.origination.services import (
    file_propose,
    file_signoff,
    file_signoff_return,
    requirement_legal_opinion,
    requirement_review,
    requirement_upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


def crew_of(cast):
    from conftest import crew

    return crew(cast)


def audit_count() -> int:
    return AuditRecord.objects.count()


# ------------------------------------------------------------------------------------- documents


@pytest.fixture
def uploaded(cast, credit_file):
    """A document of the authorization checklist uploaded by gerardo (the Zacatecas manager)."""
    item = credit_file.requirements.filter(stage="authorization", validity_months__isnull=True).first()
    requirement_upload(user=cast.gerardo, item=item, uploaded=pdf())
    item.refresh_from_db()
    return item


def test_the_uploader_cannot_approve_their_own_document(cast, uploaded):
    before = audit_count()
    with pytest.raises(Forbidden) as refused:
        requirement_review(user=cast.gerardo, item=uploaded, approve=True)
    assert refused.value.message == (
        f"Usted cargó el documento «{uploaded.short_name}»: otra persona debe aprobarlo (separación de funciones)."
    )
    assert refused.value.field == "decision"
    uploaded.refresh_from_db()
    assert (uploaded.status, uploaded.reviewed_by) == (RequirementStatus.UPLOADED, None)
    assert audit_count() == before


def test_another_reviewer_approves_it(cast, uploaded):
    item = requirement_review(user=cast.ana, item=uploaded, approve=True)
    assert (item.status, item.reviewed_by) == (RequirementStatus.APPROVED, cast.ana)
    assert AuditRecord.objects.filter(action="requirement.review", user=cast.ana).exists()


def test_the_uploader_may_reject_their_own_upload(cast, uploaded):
    item = requirement_review(user=cast.gerardo, item=uploaded, approve=False, note="Archivo equivocado")
    assert item.status == RequirementStatus.REJECTED


def test_the_latest_upload_decides_who_may_approve(cast, uploaded):
    """Ana replaces gerardo's file: now gerardo may approve it and ana may not."""
    requirement_upload(user=cast.ana, item=uploaded, uploaded=pdf("nuevo.pdf"))
    with pytest.raises(Forbidden, match=r"\(separación de funciones\)\.$"):
        requirement_review(user=cast.ana, item=uploaded, approve=True)
    assert requirement_review(user=cast.gerardo, item=uploaded, approve=True).status == "approved"


def test_the_uploader_cannot_give_the_favourable_legal_opinion(cast, credit_file):
    item = credit_file.requirements.filter(stage="authorization", legal_review=True).first()
    requirement_upload(user=cast.ana, item=item, uploaded=pdf(), document_date=today_mx())
    cast.ana.role, cast.ana.office = "juridico", None  # the uploader later moves to the legal area
    cast.ana.save(update_fields=["role", "office"])
    with pytest.raises(Forbidden) as refused:
        requirement_legal_opinion(user=cast.ana, item=item, favorable=True)
    assert refused.value.message == (
        f"Usted cargó el documento «{item.short_name}»: otra persona debe dictaminarlo (separación de funciones)."
    )
    assert refused.value.field == "opinion"
    assert requirement_legal_opinion(user=cast.julia, item=item, favorable=True).legal_opinion == "favorable"


# -------------------------------------------------------------------------------------- sign-off


@pytest.fixture
def proposed(cast, credit_file):
    """Ana's file, proposed by ana and waiting for the Zacatecas manager's sign-off."""
    return file_to_proposed(credit_file, crew=crew_of(cast), guarantees=[mortgage()], signoff=False)


def test_the_manager_of_the_office_signs_off(cast, proposed):
    assert list(files_to_sign_off(cast.gerardo)) == [proposed]
    file = file_signoff(user=cast.gerardo, file=proposed, note="Integrado conforme a las Reglas")
    assert (file.status, file.signoff_by, file.signoff_note) == (
        FileStatus.PROPOSED,
        cast.gerardo,
        "Integrado conforme a las Reglas",
    )
    assert file.signoff_at is not None
    record = AuditRecord.objects.get(action="file.signoff")
    assert record.user == cast.gerardo
    assert record.note == "Integrado conforme a las Reglas"
    assert record.before["signoff_by_id"] is None
    assert record.after["signoff_by_id"] == cast.gerardo.pk
    assert list(files_to_sign_off(cast.gerardo)) == []
    with pytest.raises(
        TransitionRefused, match=r"ya tiene el visto bueno del gerente regional \(03/03/2026\)"
    ):
        file_signoff(user=cast.gerardo, file=file)


def test_the_analyst_cannot_sign_off_their_own_file(cast, proposed):
    before = audit_count()
    with pytest.raises(Forbidden) as refused:
        file_signoff(user=cast.ana, file=proposed)
    assert refused.value.message == (
        "Su rol (Promotor / analista de crédito) no puede dar el visto bueno a expedientes para comité; "
        "corresponde a: Gerente regional."
    )
    assert CreditFile.objects.get(pk=proposed.pk).signoff_by is None
    assert audit_count() == before


def test_a_manager_who_proposed_the_file_cannot_sign_it_off(cast, credit_file):
    file_to_analysis(credit_file, crew=crew_of(cast), guarantees=[mortgage()])
    file = file_propose(user=cast.gerardo, file=credit_file)
    assert list(files_to_sign_off(cast.gerardo)) == []  # another manager of the office signs it
    with pytest.raises(Forbidden) as refused:
        file_signoff(user=cast.gerardo, file=file)
    assert refused.value.message == (
        f"Quien integró o propuso el expediente {file.folio} no puede dar el visto bueno para comité "
        "(separación de funciones)."
    )
    assert refused.value.field == "signoff_by"
    other = another_manager(cast.zac, cast.gerardo)
    assert list(files_to_sign_off(other)) == [file]
    assert file_signoff(user=other, file=file).signoff_by == other


def test_a_manager_of_another_office_cannot_sign_off(cast, proposed):
    hmo_manager = another_manager(cast.hmo)
    assert list(files_to_sign_off(hmo_manager)) == []
    with pytest.raises(Forbidden, match=r"^El expediente pertenece a otra gerencia regional\.$"):
        file_signoff(user=hmo_manager, file=proposed)


@pytest.mark.parametrize("who", ["julia", "sergio", "ramon", "omar"])
def test_no_other_role_signs_off(cast, proposed, who):
    with pytest.raises(Forbidden, match=r"no puede dar el visto bueno a expedientes para comité"):
        file_signoff(user=getattr(cast, who), file=proposed)
    assert list(files_to_sign_off(getattr(cast, who))) == []


def test_only_a_proposed_file_is_signed_off(cast, credit_file):
    with pytest.raises(TransitionRefused) as refused:
        file_signoff(user=cast.gerardo, file=credit_file)
    assert refused.value.message == (
        "No se puede dar el visto bueno para comité: el expediente está «capturado» y debe estar en: "
        "propuesto a comité."
    )


def test_the_manager_returns_it_to_the_analyst_with_the_reason(cast, proposed):
    with pytest.raises(ValidationFailed) as refused:
        file_signoff_return(user=cast.gerardo, file=proposed, reason="  ")
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("reason", "Indique el motivo de la devolución al analista.")
    ]
    file = file_signoff_return(user=cast.gerardo, file=proposed, reason="Falta el estudio de mercado")
    assert (file.status, file.signoff_return_reason) == (
        FileStatus.UNDER_ANALYSIS,
        "Falta el estudio de mercado",
    )
    record = AuditRecord.objects.get(action="file.signoff_return")
    assert (record.before["status"], record.after["status"]) == ("proposed", "under_analysis")
    assert record.note == "Falta el estudio de mercado"
    # The analyst fixes it and proposes again; the new proposal waits for its own sign-off.
    again = file_propose(user=cast.ana, file=file)
    assert (again.signoff_by, again.signoff_return_reason) == (None, "")
    assert list(files_to_sign_off(cast.gerardo)) == [again]


def test_the_analyst_cannot_return_it(cast, proposed):
    with pytest.raises(Forbidden, match=r"no puede devolver expedientes propuestos al analista"):
        file_signoff_return(user=cast.ana, file=proposed, reason="x")


def test_a_file_on_an_agenda_is_not_returned(cast, proposed):
    from filon.committees.services import agenda_add_file, session_convene

    signoff(cast, proposed)
    session = session_convene(user=cast.sergio, committee="comite_interno", date=today_mx(), place="Sala")
    agenda_add_file(user=cast.sergio, session=session, file=proposed)
    with pytest.raises(TransitionRefused, match=r"ya está en el orden del día de un comité"):
        file_signoff_return(user=cast.gerardo, file=proposed, reason="Falta el estudio de mercado")
