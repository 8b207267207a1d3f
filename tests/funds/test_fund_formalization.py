"""P-3 runs 24 months from the formalization of its liquid-guarantee fund (3.19, SPEC I-10): the date is
recorded on the fund, the months are rule data, and a P-3 file outside the term does not go to committee."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from amendments.amendment_support import approved, p2_extension
from filon.audit.models import AuditRecord
from filon.core.calendar import MEXICO_CITY
from filon.errors import Forbidden, TransitionRefused, ValidationFailed
from filon.funds.models import GuaranteeFund
from filon.funds.services import fund_formalization_record, program_term_authorization_check
from filon.origination.models import CreditFile, FileStatus
from filon.origination.services import file_propose
from programs.program_support import (
    IN_2026,
    analysed,
    mortgage,
    p3_file,
    p3_fund_formalized,
    statement,
    steps_done,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_2026(cast):
    with time_machine.travel(IN_2026, tick=False):
        yield


def ready_to_propose(cast, formalized_on):
    file = p3_file(cast, formalized_on=formalized_on)
    analysed(cast, file, user=cast.sofia, guarantees=[mortgage(file, "3000000")])
    statement(cast.sofia, file.applicant)
    steps_done(cast.sofia, file)
    return file


def test_the_formalization_is_recorded_by_direction_audited_and_never_in_the_future(cast, in_2026):
    fund = p3_fund_formalized(cast, dt.date(2025, 1, 10))
    with pytest.raises(Forbidden):
        fund_formalization_record(user=cast.ramon, fund=fund, formalized_on=dt.date(2025, 1, 11))
    with pytest.raises(ValidationFailed) as exc:
        fund_formalization_record(user=cast.omar, fund=fund, formalized_on=dt.date(2026, 3, 4))
    assert exc.value.errors[0].field == "formalized_on"
    fund_formalization_record(user=cast.omar, fund=fund, formalized_on=dt.date(2025, 1, 11))
    record = AuditRecord.objects.filter(action="fund.formalize").order_by("-id").first()
    assert (record.before, record.after) == ({"formalized_on": "2025-01-10"}, {"formalized_on": "2025-01-11"})
    assert GuaranteeFund.objects.get(pk=fund.pk).formalized_on == dt.date(2025, 1, 11)


@pytest.mark.parametrize(
    ("formalized_on", "refused", "says"),
    [
        (None, True, "esa fecha no está registrada"),
        (dt.date(2023, 1, 10), True, "concluyó el 10/01/2025"),  # 24 months ended before 2026-03-03
        (dt.date(2024, 3, 3), False, ""),  # the last day of its 24 months
        (dt.date(2024, 3, 2), True, "concluyó el 02/03/2026"),
        (dt.date(2025, 1, 10), False, ""),
    ],
)
def test_a_new_p3_file_opens_only_within_the_term(cast, in_2026, formalized_on, refused, says):
    if not refused:
        assert p3_file(cast, formalized_on=formalized_on).status == FileStatus.CAPTURED
        return
    with pytest.raises(TransitionRefused) as exc:
        p3_file(cast, formalized_on=formalized_on)
    assert exc.value.rule == "P-3 3.19"
    assert says in exc.value.message
    assert not CreditFile.objects.filter(program="cananea").exists()


def test_a_p3_file_opened_within_the_term_goes_to_committee_only_within_it(cast):
    with time_machine.travel(dt.datetime(2026, 3, 2, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        file = ready_to_propose(cast, dt.date(2024, 3, 2))  # its last day: opens
    with time_machine.travel(IN_2026, tick=False), pytest.raises(TransitionRefused) as exc:
        file_propose(user=cast.sofia, file=file)
    assert exc.value.rule == "P-3 3.19"
    assert "concluyó el 02/03/2026" in exc.value.message


def test_the_committee_authorizes_only_within_the_term(cast, in_2026):
    file = ready_to_propose(cast, dt.date(2024, 3, 3))
    program_term_authorization_check(file=file, on=dt.date(2026, 3, 3))
    with pytest.raises(TransitionRefused) as exc:
        program_term_authorization_check(file=file, on=dt.date(2026, 3, 4))
    assert exc.value.rule == "P-3 3.19"


def test_an_amendment_of_the_term_months_reopens_the_program(cast, in_2026):
    with pytest.raises(TransitionRefused):
        p3_file(cast, formalized_on=dt.date(2023, 1, 10), rfc="CAN120315AB1")
    approved(
        cast.ramon,
        cast.omar,
        p2_extension(
            number="CT-2026-03",
            effective=dt.date(2026, 3, 1),
            changes=[{"path": "programs.cananea.term.months", "value": 48}],
        ),
    )
    file = ready_to_propose(cast, None)  # the formalization of 2023 is recorded: 48 months reach 2027
    assert file_propose(user=cast.sofia, file=file).status == FileStatus.PROPOSED
