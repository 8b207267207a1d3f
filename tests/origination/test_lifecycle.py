"""The credit file's life, transition by transition: allowed, refused, and what each leaves behind."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import mortgage, pdf, proposal_data, satisfy, to_authorized
from filon.applicants.services import bureau_record_add
from filon.audit.models import AppendOnlyError, AuditRecord
from filon.core.calendar import add_business_days, today_mx
from filon.errors import Forbidden, NotFound, TransitionRefused, ValidationFailed
from filon.origination.models import (
    CreditFile,
    FileStatus,
    GuaranteeChange,
    GuaranteeStatus,
    RequirementStatus,
)
from filon.origination.selectors import (
    attention_clock,
    file_get_for_user,
    file_list_for_user,
    requirements_missing,
)
from filon.origination.services import (
    GuaranteeData,
    file_cancel,
    file_create,
    file_extend_authorization,
    file_formalize,
    file_propose,
    file_ready_to_disburse,
    file_requirements_complete,
    file_resolve,
    file_start_analysis,
    file_update_proposal,
    files_expire,
    guarantee_add,
    guarantee_change_request,
    guarantee_change_resolve,
    requirement_legal_opinion,
    requirement_not_applicable,
    requirement_review,
    requirement_upload,
)
from filon.rules.schema import Stage

pytestmark = pytest.mark.django_db


def actions(file) -> list[str]:
    return list(
        AuditRecord.objects.filter(object_type="origination.creditfile", object_id=str(file.pk)).values_list(
            "action", flat=True
        )
    )


# ----------------------------------------------------------------------------------------- creation


def test_create_generates_the_checklist_for_type_program_and_person(cast, credit_file):
    f = credit_file
    assert f.status == FileStatus.CAPTURED
    assert f.folio == f"ZAC-{today_mx().year}-0001"
    codes = set(f.requirements.values_list("code", flat=True))
    assert {"AII-01", "AII-04", "AII-15-M"} <= codes  # cotizaciones: refaccionario only
    assert "AII-15-F" not in codes  # persona física's papers are not asked of a persona moral
    assert not any(c.startswith("AIII-") for c in codes)  # Anexo III is for introductores
    assert any(c.startswith("C-16.2.1") for c in codes)
    assert any(c.startswith("D-16.2.2") for c in codes)
    assert f.ruleset_version == "RO-2010-1160"
    assert f.committee == "comite_interno"
    assert f.eligible is False  # no guarantees yet: coverage 0 : 1
    assert any(x["rule"] == "10.2.1" and x["severity"] == "error" for x in f.evaluation["findings"])


def test_folios_number_per_office(cast, applicant):
    first = file_create(user=cast.ana, applicant=applicant, proposal=proposal_data())
    second = file_create(user=cast.gerardo, applicant=applicant, proposal=proposal_data())
    assert (first.folio[-4:], second.folio[-4:]) == ("0001", "0002")


def test_changing_the_credit_type_regenerates_the_checklist(cast, credit_file):
    file_update_proposal(
        user=cast.ana,
        file=credit_file,
        proposal=proposal_data(
            credit_type="avio_revolvente", amount=Decimal("5000000"), term_months=12, grace_months=0
        ),
    )
    codes = set(credit_file.requirements.values_list("code", flat=True))
    assert "AII-04" not in codes  # cotizaciones N/A for avío revolvente
    assert "AII-08" not in codes  # proyecciones N/A


def test_guarantees_make_the_proposal_eligible_live(cast, credit_file):
    guarantee_add(user=cast.ana, file=credit_file, data=mortgage("20000000"))
    credit_file.refresh_from_db()
    assert credit_file.eligible is False
    assert credit_file.evaluation["coverage"]["achieved"] == "1.6666"
    guarantee_add(
        user=cast.ana,
        file=credit_file,
        data=GuaranteeData(
            type="aval",
            owner="Socio principal",
            description="Aval con relación patrimonial",
            value=Decimal("10000000"),
            net_worth_statement_date=today_mx(),
        ),
    )
    credit_file.refresh_from_db()
    assert credit_file.eligible is True
    lines = credit_file.evaluation["coverage"]["guarantees"]
    assert [line["counted"] for line in lines] == ["20000000.00", "6000000.00"]
    assert credit_file.evaluation["guarantee_ids"] == list(
        credit_file.guarantees.values_list("id", flat=True)
    )


# ------------------------------------------------------------------------------------ happy path


def test_the_whole_life_of_a_file(cast, credit_file):
    f = to_authorized(cast, credit_file)
    assert f.status == FileStatus.AUTHORIZED
    assert f.authorization_expires_on == today_mx() + timedelta(days=90)
    assert f.guarantees.get().status == GuaranteeStatus.ACTIVE
    satisfy(cast, f, Stage.CONTRACTING)
    file_formalize(user=cast.julia, file=f, signed_on=today_mx(), contract_number="FIFOMI-ZAC-2026-017")
    satisfy(cast, f, Stage.PRE_DISBURSEMENT)
    f = file_ready_to_disburse(user=cast.gerardo, file=f)
    assert f.status == FileStatus.READY_TO_DISBURSE
    transitions = [a for a in actions(f) if a.startswith("file.")]
    assert transitions == [
        "file.create",
        "file.requirements_complete",
        "file.start_analysis",
        "file.propose",
        "file.signoff",
        "file.resolve.authorized",
        "file.formalize",
        "file.ready_to_disburse",
    ]
    uploads = actions(f).count("requirement.upload")
    assert uploads == f.requirements.count()  # every item of the three stages was uploaded once


# -------------------------------------------------------------------------------------- refusals


def assert_unchanged(file, status: str, audit_before: int) -> None:
    file.refresh_from_db()
    assert file.status == status
    assert AuditRecord.objects.count() == audit_before


def test_requirements_complete_refused_while_documents_are_missing(cast, credit_file):
    audit_before = AuditRecord.objects.count()
    with pytest.raises(TransitionRefused) as exc:
        file_requirements_complete(user=cast.ana, file=credit_file)
    assert "faltan" in exc.value.message
    first = credit_file.requirements.get(code="AII-01")
    assert f"«{first.short_name}» (pendiente)" in exc.value.message  # the documents by name, not by code
    assert "AII-01" not in exc.value.message
    assert exc.value.rule == "Anexo II"
    assert_unchanged(credit_file, FileStatus.CAPTURED, audit_before)


def test_legal_documents_need_the_legal_opinion(cast, credit_file):
    guarantee_add(user=cast.ana, file=credit_file, data=mortgage())
    for item in credit_file.requirements.filter(stage="authorization"):
        requirement_upload(user=cast.ana, item=item, uploaded=pdf(), document_date=today_mx())
        requirement_review(user=cast.gerardo, item=item, approve=True)
    missing = requirements_missing(credit_file, Stage.AUTHORIZATION)
    assert missing
    assert all(item.legal_review for item in missing)
    with pytest.raises(TransitionRefused, match="sin dictamen jurídico"):
        file_requirements_complete(user=cast.ana, file=credit_file)


def test_conditional_documents_may_not_apply_but_mandatory_ones_may_not(cast, credit_file):
    conditional = credit_file.requirements.exclude(condition="").first()
    mandatory = credit_file.requirements.filter(condition="", stage="authorization").first()
    requirement_not_applicable(user=cast.ana, item=conditional, note="No hay aval en esta operación")
    conditional.refresh_from_db()
    assert conditional.status == RequirementStatus.NOT_APPLICABLE
    with pytest.raises(TransitionRefused):
        requirement_not_applicable(user=cast.ana, item=mandatory, note="x")


def test_stale_documents_are_refused(cast, credit_file):
    item = credit_file.requirements.filter(validity_months__isnull=False).first()
    old = today_mx() - timedelta(days=31 * (item.validity_months + 1))
    with pytest.raises(ValidationFailed) as exc:
        requirement_upload(user=cast.ana, item=item, uploaded=pdf(), document_date=old)
    assert exc.value.field == "document_date"
    item.refresh_from_db()
    assert (item.status, item.uploads.count()) == (RequirementStatus.PENDING, 0)


def test_propose_refused_with_an_error_finding_and_cites_the_rule(cast, credit_file):
    satisfy(cast, credit_file, Stage.AUTHORIZATION)
    file_requirements_complete(user=cast.ana, file=credit_file)
    file_start_analysis(user=cast.ana, file=credit_file)
    audit_before = AuditRecord.objects.count()
    with pytest.raises(TransitionRefused) as exc:
        file_propose(user=cast.gerardo, file=credit_file)
    assert exc.value.rule == "10.2.1"
    assert_unchanged(credit_file, FileStatus.UNDER_ANALYSIS, audit_before)


@pytest.mark.parametrize(
    "action",
    [
        lambda c, f: file_start_analysis(user=c.ana, file=f),
        lambda c, f: file_propose(user=c.ana, file=f),
        lambda c, f: file_formalize(user=c.julia, file=f, signed_on=today_mx(), contract_number="X"),
        lambda c, f: file_ready_to_disburse(user=c.gerardo, file=f),
        lambda c, f: file_extend_authorization(user=c.gerardo, file=f),
        lambda c, f: file_resolve(user=c.sergio, file=f, decision="authorized", resolved_on=today_mx()),
    ],
)
def test_transitions_out_of_order_are_refused(cast, credit_file, action):
    audit_before = AuditRecord.objects.count()
    with pytest.raises(TransitionRefused) as exc:
        action(cast, credit_file)
    assert "capturado" in exc.value.message
    assert_unchanged(credit_file, FileStatus.CAPTURED, audit_before)


def test_authorization_expires_after_90_days_and_cannot_then_be_formalized(cast, credit_file):
    f = to_authorized(cast, credit_file)
    satisfy(cast, f, Stage.CONTRACTING)
    expiry = f.authorization_expires_on
    assert files_expire(today=expiry) == 0
    assert files_expire(today=expiry + timedelta(days=1)) == 1
    assert files_expire(today=expiry + timedelta(days=1)) == 0  # idempotent
    f.refresh_from_db()
    assert f.status == FileStatus.EXPIRED
    with pytest.raises(TransitionRefused):
        file_formalize(user=cast.julia, file=f, signed_on=today_mx(), contract_number="X")


def test_one_extension_with_updated_bureau(cast, credit_file):
    f = to_authorized(cast, credit_file)
    with pytest.raises(TransitionRefused) as exc:
        file_extend_authorization(user=cast.gerardo, file=f)
    assert exc.value.rule == "11"
    bureau_record_add(user=cast.ana, applicant=f.applicant, consulted_on=today_mx(), prevention_keys=[])
    original = f.authorization_expires_on
    f = file_extend_authorization(user=cast.gerardo, file=f)
    assert f.authorization_expires_on == original + timedelta(days=90)
    with pytest.raises(TransitionRefused, match="una vez"):
        file_extend_authorization(user=cast.gerardo, file=f)


def test_formalize_needs_contracting_documents(cast, credit_file):
    f = to_authorized(cast, credit_file)
    with pytest.raises(TransitionRefused, match="formalizar"):
        file_formalize(user=cast.julia, file=f, signed_on=today_mx(), contract_number="FIFOMI-1")


def test_cancel(cast, credit_file):
    with pytest.raises(ValidationFailed):
        file_cancel(user=cast.gerardo, file=credit_file, reason=" ")
    f = file_cancel(user=cast.gerardo, file=credit_file, reason="El solicitante desistió")
    assert f.status == FileStatus.CANCELLED
    with pytest.raises(TransitionRefused):
        file_cancel(user=cast.gerardo, file=f, reason="otra vez")


# ------------------------------------------------------------------------------ roles and offices


def test_another_offices_file_does_not_exist_for_a_regional_user(cast, credit_file):
    assert file_get_for_user(user=cast.ana, file_id=credit_file.pk) == credit_file
    with pytest.raises(NotFound):
        file_get_for_user(user=cast.sofia, file_id=credit_file.pk)
    assert list(file_list_for_user(user=cast.sofia)) == []
    assert list(file_list_for_user(user=cast.ramon)) == [credit_file]  # central roles see every office
    with pytest.raises(Forbidden):
        guarantee_add(user=cast.sofia, file=credit_file, data=mortgage())
    assert credit_file.guarantees.count() == 0


@pytest.mark.parametrize(
    ("who", "action"),
    [
        ("julia", lambda c, f: guarantee_add(user=c.julia, file=f, data=mortgage())),
        ("omar", lambda c, f: file_cancel(user=c.omar, file=f, reason="x")),
        ("ana", lambda c, f: file_cancel(user=c.ana, file=f, reason="x")),
        ("ramon", lambda c, f: file_create(user=c.ramon, applicant=f.applicant, proposal=proposal_data())),
        (
            "ana",
            lambda c, f: requirement_legal_opinion(
                user=c.ana, item=f.requirements.filter(legal_review=True).first(), favorable=True
            ),
        ),
        ("sergio", lambda c, f: requirement_review(user=c.sergio, item=f.requirements.first(), approve=True)),
    ],
)
def test_roles_are_checked(cast, credit_file, who, action):
    files_before = CreditFile.objects.count()
    with pytest.raises(Forbidden) as exc:
        action(cast, credit_file)
    assert "rol" in exc.value.message
    assert CreditFile.objects.count() == files_before


def test_only_legal_formalizes(cast, credit_file):
    f = to_authorized(cast, credit_file)
    with pytest.raises(Forbidden):
        file_formalize(user=cast.gerardo, file=f, signed_on=today_mx(), contract_number="X")


# ------------------------------------------------------------------------------------ uploads


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", "Tipo de archivo no admitido"),
        ("acta.pdf", b"GIF89a not a pdf", "no corresponde a un PDF"),
        ("vacio.pdf", b"", "vacío"),
    ],
)
def test_upload_refuses_wrong_types(cast, credit_file, name, content, message):
    item = credit_file.requirements.first()
    with pytest.raises(ValidationFailed) as exc:
        requirement_upload(
            user=cast.ana, item=item, uploaded=SimpleUploadedFile(name, content), document_date=today_mx()
        )
    assert exc.value.field == "file"
    assert message in exc.value.message
    item.refresh_from_db()
    assert (item.status, item.uploads.count()) == (RequirementStatus.PENDING, 0)


def test_upload_refuses_too_large(cast, credit_file, settings):
    settings.FILON_MAX_UPLOAD_BYTES = 1024 * 1024
    item = credit_file.requirements.first()
    big = SimpleUploadedFile("grande.pdf", b"%PDF" + b"0" * (1024 * 1024))
    with pytest.raises(ValidationFailed, match="más de 1 MB"):
        requirement_upload(user=cast.ana, item=item, uploaded=big, document_date=today_mx())
    assert item.uploads.count() == 0


# ---------------------------------------------------------------------------- attention clock


def test_attention_clock_starts_when_requirements_are_complete(cast, credit_file):
    guarantee_add(user=cast.ana, file=credit_file, data=mortgage())
    satisfy(cast, credit_file, Stage.AUTHORIZATION)
    f = file_requirements_complete(user=cast.ana, file=credit_file)
    assert f.requirements_complete_on == today_mx()
    assert f.attention_deadline == add_business_days(today_mx(), 30)
    clock = attention_clock(f, today=today_mx())
    assert (clock.applies, clock.elapsed_business_days, clock.remaining_business_days, clock.overdue) == (
        True,
        0,
        30,
        False,
    )
    late = attention_clock(f, today=f.attention_deadline + timedelta(days=1))
    assert late.overdue is True


# ------------------------------------------------------------------------- guarantee changes


def test_release_of_a_guarantee_goes_to_the_committee_with_power(cast, credit_file):
    f = to_authorized(cast, credit_file)
    guarantee = f.guarantees.get()
    change = guarantee_change_request(
        user=cast.gerardo, guarantee=guarantee, kind="release", reason="Pago anticipado parcial"
    )
    assert (change.committee, change.status) == ("comite_interno", GuaranteeChange.Status.REQUESTED)
    with pytest.raises(TransitionRefused):
        guarantee_change_request(user=cast.gerardo, guarantee=guarantee, kind="release", reason="otra")
    guarantee_change_resolve(user=cast.sergio, change=change, authorized=True)
    guarantee.refresh_from_db()
    assert guarantee.status == GuaranteeStatus.RELEASED


def test_substitution_needs_a_current_appraisal(cast, credit_file):
    f = to_authorized(cast, credit_file)
    replacement = mortgage("35000000")
    replacement.appraisal_date = None
    with pytest.raises(ValidationFailed) as exc:
        guarantee_change_request(
            user=cast.gerardo,
            guarantee=f.guarantees.get(),
            kind="substitution",
            reason="Cambio de inmueble",
            replacement=replacement,
        )
    assert exc.value.errors[0].rule == "10.5"
    assert f.guarantees.count() == 1


# ------------------------------------------------------------------------------------ audit trail


def test_every_change_is_audited_with_who_when_before_and_after(cast, credit_file):
    g = guarantee_add(user=cast.ana, file=credit_file, data=mortgage("20000000"))
    from filon.origination.services import guarantee_update

    data = mortgage("25000000")
    guarantee_update(user=cast.gerardo, guarantee=g, data=data)
    record = AuditRecord.objects.filter(
        object_type="origination.fileguarantee", action="guarantee.update"
    ).get()
    assert record.user == cast.gerardo
    assert record.before == {"value": "20000000.00"}
    assert record.after == {"value": "25000000"}
    assert record.office == cast.zac
    assert record.at is not None
    file_update_proposal(user=cast.ana, file=credit_file, proposal=proposal_data(amount=Decimal("11000000")))
    record = AuditRecord.objects.filter(action="file.update_proposal").get()
    assert (record.before["amount"], record.after["amount"]) == ("12000000.00", "11000000")
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()
