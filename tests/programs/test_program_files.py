"""Special programs end to end through the services: each program's file from application through its
steps to authorization, and the refusals with the rule they cite (steps, allotment, budget, R-5.3, 15 %)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from program_support import (
    IN_2013,
    IN_2026,
    P3_FORMALIZED_ON,
    analysed,
    fix_2013,
    mortgage,
    p2_file,
    p3_file,
    p3_fund_formalized,
    p4_file,
    propose_and_authorize,
    retention_letter,
    statement,
    steps_done,
    trc_users,
)

from conftest import applicant_data, proposal_data, to_proposed
from filon.applicants.services import applicant_create
from filon.audit.models import AuditRecord
from filon.core.calendar import add_business_days, today_mx
from filon.errors import Forbidden, TransitionRefused, ValidationFailed
from filon.origination.models import CreditFile, FileStatus
from filon.origination.selectors import attention_clock
from filon.origination.services import (
    authorization_validity_days,
    file_cancel,
    file_create,
    file_propose,
    file_resolve,
)
from filon.programs.models import (
    ParametricEvaluation,
    ProgramStep,
    ScoringModel,
    StepKind,
    StepStatus,
    YearBudget,
)
from filon.programs.selectors import program_usage, year_usage
from filon.programs.services import (
    ParticipantData,
    budget_check_authorization,
    participant_add,
    participant_update,
    program_allotment_set,
    program_step_record,
    program_steps_ensure,
    scoring_model_load,
    year_budget_set,
)
from filon.rules import load_ruleset_for_date

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_2013(cast):
    with time_machine.travel(IN_2013, tick=False):
        fix_2013()
        yield


@pytest.fixture
def in_2026(cast):
    with time_machine.travel(IN_2026, tick=False):
        yield


def rules():
    return load_ruleset_for_date(today_mx())


# ------------------------------------------------------------------------------------------- P-2


def test_p2_file_from_application_through_steps_to_authorization(cast, in_2013):
    file = p2_file(cast)
    steps = program_steps_ensure(file=file)
    program = rules().programs["pequena_mineria"]
    assert [s.text for s in steps] == [spec.text for spec in program.steps]
    assert {s.rule for s in steps} == {program.rule}
    # the liquid guarantee's deposit is due before disbursement, every other step before the proposal
    assert [s.due for s in steps] == ["authorization"] * 5 + ["pre_disbursement"]
    assert [s.kind for s in steps].count(StepKind.PARAMETRIC) == 1
    analysed(cast, file, user=cast.ana, guarantees=[mortgage(file, "2000000")])

    # The steps are required before the file can be proposed.
    with pytest.raises(TransitionRefused) as exc:
        file_propose(user=cast.gerardo, file=file)
    assert exc.value.rule == program.rule
    assert exc.value.field == "program_steps"
    assert "Faltan 5 paso(s) del programa antes de proponer a comité" in exc.value.message
    assert CreditFile.objects.get(pk=file.pk).status == FileStatus.UNDER_ANALYSIS

    statement(cast.ana, file.applicant)
    evaluation = steps_done(cast.ana, file)
    assert evaluation.approved
    assert evaluation.result["verdict"] == "Aprobatorio"
    assert evaluation.total == Decimal("100.00"), evaluation.result["factors"]
    # DSCR: 3 M EBITDA over 200 k current service + 1.5 M / 54 months × 12 + 3.5 % of 1.5 M (no TIIE in 2013).
    assert evaluation.inputs["dscr"] == str(
        (Decimal(3000000) / Decimal("585833.33")).quantize(Decimal("0.0001"))
    )
    parametric = ProgramStep.objects.get(file=file, kind=StepKind.PARAMETRIC)
    assert parametric.status == StepStatus.DONE
    assert parametric.done_by == cast.ana
    assert "Aprobatorio" in parametric.document

    file = propose_and_authorize(cast, file, proposer=cast.gerardo)
    assert file.status == FileStatus.AUTHORIZED
    usage = program_usage(program)
    assert (usage.allotment.amount_mxn, usage.used_mxn, usage.remaining_mxn) == (
        Decimal("100000000"),
        Decimal("1500000"),
        Decimal("98500000"),
    )
    assert AuditRecord.objects.filter(action="programs.parametric_evaluation").count() == 1


def test_p2_parametric_not_approved_blocks_the_proposal(cast, in_2013):
    file = p2_file(cast)
    analysed(cast, file, user=cast.ana, guarantees=[mortgage(file, "2000000")])
    statement(cast.ana, file.applicant, ebitda="300000", debt="90000000")
    evaluation = steps_done(cast.ana, file, favorable=False)
    assert not evaluation.approved
    # dscr 0, leverage 0, technical opinion 0; experience 10 + bureau 15 + coverage 15.
    assert evaluation.total == Decimal("40.00")
    assert evaluation.result["verdict"] == "No aprobatorio"
    assert evaluation.result["findings"][-1]["rule"] == "P-2 2"
    step = ProgramStep.objects.get(file=file, kind=StepKind.PARAMETRIC)
    assert step.status == StepStatus.NOT_APPROVED
    with pytest.raises(TransitionRefused) as exc:
        file_propose(user=cast.gerardo, file=file)
    assert "Evaluación paramétrica aprobatoria (no aprobado)" in exc.value.message
    assert exc.value.rule == "P-2 2"


def test_parametric_step_by_hand_needs_the_committee_reference(cast, in_2013):
    file = p2_file(cast)
    step = next(s for s in program_steps_ensure(file=file) if s.kind == StepKind.PARAMETRIC)
    with pytest.raises(ValidationFailed) as exc:
        program_step_record(user=cast.ana, step=step, status="done")
    assert exc.value.errors[0].field == "document"
    with pytest.raises(ValidationFailed) as exc:
        program_step_record(user=cast.ana, step=step, status="not_approved")
    assert exc.value.errors[0].field == "notes"
    assert ProgramStep.objects.get(pk=step.pk).status == StepStatus.PENDING
    # Another office's user and a central role cannot touch the step.
    with pytest.raises(Forbidden):
        program_step_record(user=cast.sofia, step=step, status="done", document="x")
    with pytest.raises(Forbidden):
        program_step_record(user=cast.omar, step=step, status="done", document="x")


def test_parametric_evaluation_needs_statements(cast, in_2013):
    from filon.programs.services import parametric_evaluation_record

    file = p2_file(cast)
    with pytest.raises(ValidationFailed) as exc:
        parametric_evaluation_record(user=cast.ana, file=file, technical_opinion_favorable=True)
    assert exc.value.errors[0].field == "statement"
    assert not ParametricEvaluation.objects.exists()


def test_p2_allotment_overflow_is_refused_with_the_rule(cast, in_2013):
    program_allotment_set(
        user=cast.omar,
        program="pequena_mineria",
        amount_mxn=Decimal("2000000"),
        agreement="Acuerdo de prueba",
    )
    first = p2_file(cast)
    analysed(cast, first, user=cast.ana, guarantees=[mortgage(first, "2000000")])
    statement(cast.ana, first.applicant)
    steps_done(cast.ana, first)
    propose_and_authorize(cast, first, proposer=cast.gerardo)

    second = p2_file(cast, amount="1000000", rfc="MSG120315AB2", name="Minera San Gil, S.A. de C.V.")
    analysed(cast, second, user=cast.ana, guarantees=[mortgage(second, "2000000")])
    statement(cast.ana, second.applicant)
    steps_done(cast.ana, second)
    file_propose(user=cast.gerardo, file=second)
    with pytest.raises(TransitionRefused) as exc:
        file_resolve(user=cast.sergio, file=second, decision="authorized", resolved_on=today_mx())
    assert exc.value.rule == "P-2 2"
    assert exc.value.field == "amount"
    assert "excede la derrama" in exc.value.message
    assert "quedan $500,000.00" in exc.value.message
    assert CreditFile.objects.get(pk=second.pk).status == FileStatus.PROPOSED

    # A cancelled authorization gives its amount back to the allotment.
    file_cancel(user=cast.gerardo, file=first, reason="El acreditado desiste")
    file = file_resolve(user=cast.sergio, file=second, decision="authorized", resolved_on=today_mx())
    assert file.status == FileStatus.AUTHORIZED


def test_allotment_cannot_drop_below_what_is_used(cast, in_2013):
    file = p2_file(cast)
    analysed(cast, file, user=cast.ana, guarantees=[mortgage(file, "2000000")])
    statement(cast.ana, file.applicant)
    steps_done(cast.ana, file)
    propose_and_authorize(cast, file, proposer=cast.gerardo)
    with pytest.raises(TransitionRefused) as exc:
        program_allotment_set(user=cast.omar, program="pequena_mineria", amount_mxn=Decimal("1000000"))
    assert exc.value.rule == "P-2 2"
    with pytest.raises(Forbidden):
        program_allotment_set(user=cast.ana, program="pequena_mineria", amount_mxn=Decimal("3000000"))


def test_participants_each_up_to_15_percent_of_the_program(cast, in_2013):
    fund = rules().programs["pequena_mineria"].guarantee_funds[0]
    state = ParticipantData(
        kind="state_government",
        name="Gobierno del Estado de Zacatecas",
        state="ZAC",
        agreement_date=dt.date(2012, 5, 1),
        committed_mxn=Decimal("15000000"),
    )
    participant = participant_add(user=cast.omar, program="pequena_mineria", data=state)
    assert participant.committed_mxn == Decimal("15000000")

    over = ParticipantData(
        kind="organism",
        name="Fideicomiso Estatal de Fomento Minero",
        agreement_date=dt.date(2012, 6, 1),
        committed_mxn=Decimal("15000000.01"),
    )
    with pytest.raises(TransitionRefused) as exc:
        participant_add(user=cast.omar, program="pequena_mineria", data=over)
    assert exc.value.rule == fund.rule == "P-2 2.4"
    assert "15 %" in exc.value.message
    assert "$15,000,000.00" in exc.value.message
    # On update too, and a miner's own contribution is not capped.
    state.committed_mxn = Decimal("16000000")
    with pytest.raises(TransitionRefused):
        participant_update(user=cast.omar, participant=participant, data=state)
    miner = ParticipantData(
        kind="miner",
        name="Minera La Veta",
        agreement_date=dt.date(2012, 6, 1),
        committed_mxn=Decimal("20000000"),
    )
    participant_add(user=cast.ramon, program="pequena_mineria", data=miner)
    assert program_usage(rules().programs["pequena_mineria"]).participants_mxn == Decimal("35000000")
    with pytest.raises(Forbidden):
        participant_add(user=cast.ana, program="pequena_mineria", data=over)


# ------------------------------------------------------------------------------------------- P-3


def test_p3_file_clock_validity_and_authorization(cast, in_2026):
    file = p3_file(cast)
    program = rules().programs["cananea"]
    analysed(cast, file, user=cast.sofia, guarantees=[mortgage(file, "3000000")])
    file = CreditFile.objects.get(pk=file.pk)
    # 15 business days to answer (P-3 3.15) instead of the general rule's.
    assert file.attention_deadline == add_business_days(file.requirements_complete_on, 15)
    clock = attention_clock(file)
    assert clock.applies
    assert clock.deadline == file.attention_deadline
    assert file.evaluation["attention_time"]["rule"] == program.overrides["answer_time"]
    assert authorization_validity_days(file) == 45 != rules().authorization.validity_calendar_days

    statement(cast.sofia, file.applicant)
    steps_done(cast.sofia, file)
    file = propose_and_authorize(cast, file, proposer=cast.sofia)
    assert file.authorization_expires_on == today_mx() + dt.timedelta(days=45)


def test_p3_domicile_outside_cananea_is_not_eligible(cast, in_2026):
    p3_fund_formalized(cast, P3_FORMALIZED_ON)
    applicant = applicant_create(
        user=cast.sofia,
        data=applicant_data(
            name="Minera de Nogales", rfc="MNO120315AB1", state="SON", municipality="Nogales", activity=1
        ),
    ).obj
    file = file_create(
        user=cast.sofia,
        applicant=applicant,
        proposal=proposal_data(
            program="cananea",
            amount=Decimal("1000000"),
            investment_program=Decimal("1000000"),
            term_months=60,
            grace_months=6,
        ),
    )
    errors = [f for f in file.evaluation["findings"] if f["severity"] == "error"]
    assert any("domicilio en Cananea" in f["message"] and f["rule"] == "P-3 3" for f in errors)


# ------------------------------------------------------------------------------------------- P-4


def test_p4_file_with_nom_032_and_retention_letter(cast, in_2013):
    tomas, teresa = trc_users()
    file = p4_file(tomas)
    steps = program_steps_ensure(file=file)
    nom = next(s for s in steps if s.kind == StepKind.NOM_032)
    letter = next(s for s in steps if "Carta de retención" in s.text)
    assert nom.rule == letter.rule == "P-4 4"
    analysed(cast, file, user=tomas, guarantees=[mortgage(file, "1500000"), retention_letter(file)])

    # A failed NOM-032 verification is recorded with its reason and blocks the proposal.
    program_step_record(
        user=teresa, step=nom, status="not_approved", notes="Ventilación insuficiente en el tiro 2"
    )
    statement(tomas, file.applicant)
    for step in program_steps_ensure(file=file):
        if step.kind == StepKind.GENERAL:
            program_step_record(user=tomas, step=step, status="done", document="Constancia")
    from filon.programs.services import parametric_evaluation_record

    parametric_evaluation_record(user=teresa, file=file, technical_opinion_favorable=True)
    with pytest.raises(TransitionRefused) as exc:
        file_propose(user=teresa, file=file)
    assert "Verificación NOM-032-STPS-2008 (no aprobado)" in exc.value.message
    # the engine reads the step: a failed verification is an error finding of the program's rule
    from filon.origination.services import file_evaluate

    messages = [f["message"] for f in file_evaluate(file=file)["findings"]]
    assert "La mina no cumple la verificación de la NOM-032-STPS-2008." in messages

    program_step_record(
        user=teresa, step=nom, status="done", document="Dictamen de la unidad de verificación 123"
    )
    messages = [f["message"] for f in file_evaluate(file=file)["findings"]]
    assert "Paso del programa: Verificación NOM-032-STPS-2008." in messages
    # verified: neither the error nor the pending warning
    assert not [m for m in messages if "NOM-032" in m and not m.startswith("Paso del programa")]
    file = propose_and_authorize(cast, file, proposer=teresa)
    assert file.status == FileStatus.AUTHORIZED
    assert ProgramStep.objects.filter(file=file, status=StepStatus.DONE).count() == len(steps)


def test_p4_steps_due_after_the_committee_block_formalization_and_release(cast, in_2013):
    """The retention letter is due before the contract is signed and the liquid guarantee's deposit before
    the release for disbursement: neither holds the file back from the committee."""
    from program_support import satisfy_as

    from filon.origination.services import file_formalize, file_ready_to_disburse
    from filon.rules.schema import Stage

    tomas, teresa = trc_users()
    file = p4_file(tomas)
    analysed(cast, file, user=tomas, guarantees=[mortgage(file, "1500000"), retention_letter(file)])
    statement(tomas, file.applicant)
    later = {}
    for step in program_steps_ensure(file=file):
        if step.due != "authorization":
            later[step.due] = step
        elif step.kind == StepKind.PARAMETRIC:
            from filon.programs.services import parametric_evaluation_record

            parametric_evaluation_record(user=teresa, file=file, technical_opinion_favorable=True)
        else:
            program_step_record(user=tomas, step=step, status="done", document="Constancia")
    assert "Carta de retención" in later["contracting"].text
    assert "garantía líquida" in later["pre_disbursement"].text
    file = propose_and_authorize(cast, file, proposer=teresa)
    assert file.status == FileStatus.AUTHORIZED

    satisfy_as(cast, tomas, file, Stage.CONTRACTING)
    with pytest.raises(TransitionRefused) as exc:
        file_formalize(user=cast.julia, file=file, signed_on=today_mx(), contract_number="FIFOMI-P4-1")
    assert "antes de formalizar" in exc.value.message
    assert "Carta de retención" in exc.value.message
    assert exc.value.rule == "P-4 4"
    program_step_record(user=tomas, step=later["contracting"], status="done", document="Carta firmada")
    file = file_formalize(user=cast.julia, file=file, signed_on=today_mx(), contract_number="FIFOMI-P4-1")
    assert file.status == FileStatus.FORMALIZED

    satisfy_as(cast, tomas, file, Stage.PRE_DISBURSEMENT)
    with pytest.raises(TransitionRefused) as exc:
        file_ready_to_disburse(user=tomas, file=file)
    assert "antes de liberar para disposición" in exc.value.message
    program_step_record(
        user=tomas, step=later["pre_disbursement"], status="done", document="Ficha de depósito"
    )
    assert file_ready_to_disburse(user=tomas, file=file).status == FileStatus.READY_TO_DISBURSE


# -------------------------------------------------------------------------------------- budget


def grande(cast):
    applicant = applicant_create(
        user=cast.ana,
        data=applicant_data(
            name="Minera Grande de Zacatecas, S.A. de C.V.",
            rfc="MGZ120315AB1",
            production_tons_month=Decimal("20000"),
            annual_gross_income_mxn=Decimal("1500000000"),
            employees=600,
        ),
    ).obj
    return file_create(user=cast.ana, applicant=applicant, proposal=proposal_data())


def test_large_company_share_is_refused_under_r53(cast, in_2026, credit_file):
    # 100 M of first-tier budget: 4 M for large companies; the large miner asks 12 M.
    budget = year_budget_set(user=cast.omar, year=2026, first_tier_mxn=Decimal("100000000"))
    assert budget.large_company_max_fraction == rules().budget.large_company_max_fraction
    file = grande(cast)
    assert file.evaluation["size"] == "grande"
    to_proposed(cast, file)
    with pytest.raises(TransitionRefused) as exc:
        file_resolve(user=cast.sergio, file=file, decision="authorized", resolved_on=today_mx())
    assert exc.value.rule == rules().budget.rule
    assert "grandes empresas" in exc.value.message
    assert "$4,000,000.00" in exc.value.message
    assert CreditFile.objects.get(pk=file.pk).status == FileStatus.PROPOSED
    # A PYME file of the same amount is within the budget.
    to_proposed(cast, credit_file)
    file_resolve(user=cast.sergio, file=credit_file, decision="authorized", resolved_on=today_mx())
    usage = year_usage(2026)
    assert (usage.used_mxn, usage.large_company_used_mxn, usage.remaining_mxn) == (
        Decimal("12000000"),
        Decimal(0),
        Decimal("88000000"),
    )


def test_first_tier_budget_is_refused_under_g2(cast, in_2026, credit_file):
    year_budget_set(user=cast.omar, year=2026, first_tier_mxn=Decimal("10000000"))
    to_proposed(cast, credit_file)
    with pytest.raises(TransitionRefused) as exc:
        budget_check_authorization(file=credit_file, on=today_mx())
    assert exc.value.rule == "G-2"
    assert "presupuesto de primer piso de 2026" in exc.value.message
    # Another year's budget, or none, does not block.
    budget_check_authorization(file=credit_file, on=dt.date(2027, 1, 4))
    with pytest.raises(Forbidden):
        year_budget_set(user=cast.ana, year=2026, first_tier_mxn=Decimal("10"))
    with pytest.raises(ValidationFailed) as exc:
        year_budget_set(user=cast.omar, year=2009, first_tier_mxn=Decimal("10"))
    assert exc.value.errors[0].field == "year"
    # With room it is authorized; the budget cannot then drop below what the year authorized.
    year_budget_set(user=cast.omar, year=2026, first_tier_mxn=Decimal("20000000"))
    file_resolve(user=cast.sergio, file=credit_file, decision="authorized", resolved_on=today_mx())
    with pytest.raises(TransitionRefused) as exc:
        year_budget_set(user=cast.omar, year=2026, first_tier_mxn=Decimal("5000000"))
    assert exc.value.rule == "G-2"
    assert YearBudget.objects.get(year=2026).first_tier_mxn == Decimal("20000000")


def test_a_year_without_budget_does_not_block(cast, in_2026, credit_file):
    to_proposed(cast, credit_file)
    file = file_resolve(user=cast.sergio, file=credit_file, decision="authorized", resolved_on=today_mx())
    assert file.status == FileStatus.AUTHORIZED
    assert year_usage(2026).remaining_mxn is None
    assert not ProgramStep.objects.filter(file=file).exists()  # Capítulo I has no program steps


# ------------------------------------------------------------------------------------- scoring


def test_default_scoring_model_is_loaded_and_a_new_version_replaces_it(cast):
    default = ScoringModel.objects.get(code="parametrico_programas", version="1")
    assert default.active
    assert sum(Decimal(f["weight"]) for f in default.factors) == 100
    assert {f["code"] for f in default.factors} >= {"dscr", "leverage", "technical_opinion"}
    data = {
        "code": "parametrico_programas",
        "version": "2",
        "name": "Evaluación paramétrica 2026",
        "committee_agreement": "CIC/12/2026",
        "approved_on": "2026-02-10",
        "pass_mark": "75",
        "factors": default.factors,
    }
    model = scoring_model_load(user=cast.sergio, data=data)
    assert model.active
    assert not ScoringModel.objects.get(pk=default.pk).active
    with pytest.raises(ValidationFailed) as exc:
        scoring_model_load(user=cast.sergio, data={**data, "version": "3", "factors": default.factors[:2]})
    assert "deben sumar 100" in exc.value.message
    with pytest.raises(Forbidden):
        scoring_model_load(user=cast.ana, data={**data, "version": "4"})


def test_scoring_model_loads_from_a_file_through_the_command(cast, tmp_path):
    import json

    from django.core.management import call_command
    from django.core.management.base import CommandError

    default = ScoringModel.objects.get(code="parametrico_programas", version="1")
    path = tmp_path / "modelo.json"
    data = {
        "code": "parametrico_programas",
        "version": "2026-1",
        "name": "Evaluación paramétrica 2026",
        "committee_agreement": "CIC/03/2026",
        "approved_on": "2026-01-20",
        "pass_mark": "72",
        "factors": default.factors,
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    call_command("programs", "scoring-load", str(path), "--user", cast.sergio.username)
    assert ScoringModel.objects.get(active=True).version == "2026-1"
    path.write_text(json.dumps({**data, "version": "2026-2", "pass_mark": "0"}), encoding="utf-8")
    with pytest.raises(CommandError, match="calificación aprobatoria"):
        call_command("programs", "scoring-load", str(path), "--user", cast.sergio.username)


def test_p3_authorization_after_the_agreed_validity_is_refused(cast, in_2026):
    # P-3 runs 24 months from the FOCIR fund's formalization (3.19), a date recorded by agreement.
    program_allotment_set(
        user=cast.omar,
        program="cananea",
        amount_mxn=Decimal("20000000"),
        valid_from=dt.date(2023, 1, 10),
        valid_until=dt.date(2025, 1, 10),
        agreement="Formalización del fondo FOCIR",
    )
    file = p3_file(cast)
    analysed(cast, file, user=cast.sofia, guarantees=[mortgage(file, "3000000")])
    statement(cast.sofia, file.applicant)
    steps_done(cast.sofia, file)
    file_propose(user=cast.sofia, file=file)
    with pytest.raises(TransitionRefused) as exc:
        file_resolve(user=cast.sergio, file=file, decision="authorized", resolved_on=today_mx())
    assert exc.value.rule == "P-3 3"
    assert "otorgó recursos hasta el 10/01/2025" in exc.value.message


def test_a_file_that_changes_program_changes_its_steps(cast, in_2026):
    from filon.origination.services import file_update_proposal

    file = p3_file(cast)
    steps = program_steps_ensure(file=file)
    program_step_record(user=cast.sofia, step=steps[0], status="done", document="Comprobante de domicilio")
    file_update_proposal(
        user=cast.sofia,
        file=file,
        proposal=proposal_data(
            amount=Decimal("1500000"), investment_program=Decimal("1600000"), term_months=60
        ),
    )
    assert program_steps_ensure(file=CreditFile.objects.get(pk=file.pk)) == []
    # The step already done stays on record; the pending ones of the former program are gone.
    assert list(ProgramStep.objects.filter(file=file).values_list("number", "status")) == [(1, "done")]
