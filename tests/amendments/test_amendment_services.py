"""Amendments (SPEC I-10): riesgos proposes an acuerdo, another person approves it; the approved version
joins the rule sets in force from its date, files are evaluated with it, credits keep their own."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from amendment_support import approved, p2_extension

from conftest import applicant_data, proposal_data, to_ready
from filon.amendments.models import Amendment, AmendmentStatus
from filon.amendments.services import amendment_approve, amendment_propose, amendment_reject
from filon.applicants.services import applicant_create
from filon.audit.models import AuditRecord
from filon.core.calendar import today_mx
from filon.demo.scenarios import loan_disburse
from filon.errors import Forbidden, TransitionRefused, ValidationFailed
from filon.origination.services import file_create
from filon.rules import available_rulesets, load_ruleset_for_date, load_ruleset_version
from filon.rules.loader import ruleset_amendment
from filon.servicing.services import commission_pay, loan_create_from_file

pytestmark = pytest.mark.django_db

ROOT = "RO-2010-1160"


def p2_applicant(cast):
    return applicant_create(
        user=cast.ana,
        data=applicant_data(
            name="Minera El Potosí Chico, S.A. de C.V.",
            rfc="MPM120315AB1",
            employees=8,
            annual_gross_income_mxn=Decimal("6000000"),
            production_tons_month=Decimal("80"),
        ),
    ).obj


def p2_file(cast, applicant):
    return file_create(
        user=cast.ana,
        applicant=applicant,
        proposal=proposal_data(
            program="pequena_mineria",
            amount=Decimal("1000000"),
            investment_program=Decimal("1000000"),
            term_months=60,
            grace_months=6,
        ),
    )


def program_ended(file) -> list[dict]:
    return [f for f in file.evaluation["findings"] if f["rule"] == "P-2 2" and "concluyó" in f["message"]]


def test_a_proposal_is_not_in_force_until_another_person_approves_it(cast):
    row = amendment_propose(user=cast.ramon, data=p2_extension())
    assert (row.status, row.base_version, row.version) == ("proposed", ROOT, f"{ROOT}+CT-2026-07")
    assert [r.version for r in available_rulesets()] == [ROOT]
    with pytest.raises(TransitionRefused) as exc:
        amendment_approve(user=cast.ramon, amendment=row)
    assert "quien propone no aprueba" in exc.value.message
    assert exc.value.rule == "I-10"
    row = amendment_approve(user=cast.omar, amendment=row)
    assert (row.status, row.decided_by) == (AmendmentStatus.APPROVED, cast.omar)
    assert load_ruleset_for_date(today_mx()).version == row.version
    assert load_ruleset_for_date(today_mx() - timedelta(days=1)).version == ROOT  # not before its date
    assert ruleset_amendment(row.version).number == "CT-2026-07"


def test_only_riesgos_proposes_and_regional_users_cannot_approve(cast):
    with pytest.raises(Forbidden):
        amendment_propose(user=cast.ana, data=p2_extension())
    row = amendment_propose(user=cast.ramon, data=p2_extension())
    with pytest.raises(Forbidden):
        amendment_approve(user=cast.gerardo, amendment=row)


def test_every_step_leaves_an_audit_record(cast):
    row = approved(cast.ramon, cast.omar)
    records = AuditRecord.objects.filter(object_id=str(row.pk), action__startswith="amendment.").order_by(
        "id"
    )
    assert [(r.action, r.user) for r in records] == [
        ("amendment.propose", cast.ramon),
        ("amendment.approve", cast.omar),
    ]
    assert records[1].after["status"] == "approved"


def test_an_approved_amendment_is_immutable(cast):
    row = approved(cast.ramon, cast.omar)
    row.changes = [{"path": "programs.pequena_mineria.valid_until", "value": "2099-12-31"}]
    with pytest.raises(TransitionRefused, match="no se edita"):
        row.save()
    with pytest.raises(TransitionRefused):
        amendment_reject(user=cast.omar, amendment=row, reason="tarde")
    with pytest.raises(TransitionRefused):
        row.delete()


def test_a_rejection_needs_its_reason_and_another_person(cast):
    row = amendment_propose(user=cast.ramon, data=p2_extension())
    with pytest.raises(TransitionRefused):
        amendment_reject(user=cast.ramon, amendment=row, reason="me arrepentí")
    with pytest.raises(ValidationFailed):
        amendment_reject(user=cast.omar, amendment=row, reason=" ")
    row = amendment_reject(user=cast.omar, amendment=row, reason="Falta el acta del Comité Técnico.")
    assert row.status == "rejected"
    assert [r.version for r in available_rulesets()] == [ROOT]


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ([{"path": "programs.pequena_mineria.vigencia", "value": "2026-12-31"}], "programs", "no existe"),
        ([{"path": "programs.pequena_mineria.valid_until", "value": "pronto"}], "programs", "fecha válida"),
        ([{"ruta": "x"}], "changes[0]", "path"),
    ],
)
def test_a_bad_proposal_is_refused_in_spanish_naming_the_path(cast, changes, field, says):
    with pytest.raises(ValidationFailed) as exc:
        amendment_propose(user=cast.ramon, data=p2_extension(changes=changes))
    assert any(e.field == field and says in e.message for e in exc.value.errors), exc.value.errors
    assert not Amendment.objects.exists()


def test_the_acuerdo_number_is_unique(cast):
    amendment_propose(user=cast.ramon, data=p2_extension())
    with pytest.raises(ValidationFailed, match="Ya existe el acuerdo"):
        amendment_propose(user=cast.ramon, data=p2_extension())


def test_a_p2_file_is_evaluated_with_the_version_in_force_on_its_date(cast):
    applicant = p2_applicant(cast)
    before = p2_file(cast, applicant)
    assert before.ruleset_version == ROOT
    assert program_ended(before)
    row = approved(cast.ramon, cast.omar)
    after = p2_file(cast, applicant)
    assert after.ruleset_version == row.version
    assert not program_ended(after)


def test_amendments_stack_on_the_version_in_force_at_their_date(cast):
    first = approved(cast.ramon, cast.omar, p2_extension(effective=today_mx() - timedelta(days=30)))
    second = approved(
        cast.ramon,
        cast.omar,
        p2_extension(
            number="CT-2026-08",
            changes=[{"path": "programs.pequena_mineria.allotment_mxn", "value": "150000000"}],
        ),
    )
    assert second.base_version == first.version
    now = load_ruleset_for_date(today_mx())
    assert now.version == second.version
    assert now.programs["pequena_mineria"].allotment_mxn == Decimal("150000000")
    assert now.programs["pequena_mineria"].valid_until == date(today_mx().year, 12, 31)


def test_a_credit_keeps_its_version_and_a_credit_pinned_to_an_amended_one_still_works(
    cast, credit_file, sample_rates
):
    to_ready(cast, credit_file)
    loan = loan_create_from_file(user=cast.ana, file=credit_file)
    row = approved(
        cast.ramon, cast.omar, p2_extension(changes=[{"path": "commissions.opening_rate", "value": "0.02"}])
    )
    loan.refresh_from_db()
    assert loan.ruleset_version == ROOT
    assert load_ruleset_version(ROOT).commissions.opening_rate == Decimal("0.015")
    type(loan).objects.filter(pk=loan.pk).update(ruleset_version=row.version)
    loan.refresh_from_db()
    commission_pay(user=cast.ana, loan=loan, value_date=today_mx())
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=Decimal("1000000"),
        value_date=today_mx(),
    )
    assert load_ruleset_version(loan.ruleset_version).commissions.opening_rate == Decimal("0.02")


def test_versions_form_one_line_in_time(cast):
    early = amendment_propose(user=cast.ramon, data=p2_extension(effective=today_mx() - timedelta(days=30)))
    same_base = amendment_propose(user=cast.ramon, data=p2_extension(number="CT-2026-11"))
    assert same_base.base_version == early.base_version == ROOT
    amendment_approve(user=cast.omar, amendment=same_base)
    with pytest.raises(TransitionRefused, match="que no llevaría este cambio"):
        amendment_approve(user=cast.omar, amendment=early)
    stale = amendment_propose(user=cast.ramon, data=p2_extension(number="CT-2026-12", base_version=ROOT))
    with pytest.raises(TransitionRefused, match="ya rige la versión"):
        amendment_approve(user=cast.omar, amendment=stale)
