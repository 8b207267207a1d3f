"""Excel workbooks (openpyxl): the portfolio, a loan's schedule and the pipeline of credit files.

Amounts go in as numbers with a number format, dates as dates, so a spreadsheet can add and filter them;
every sheet has its header row frozen, an autofilter and column widths. Pass querysets already scoped
by the selectors (`loan_list_for_user`, `file_list_for_user`). Workbooks leave as bytes through
`workbook_bytes`, which turns any string a spreadsheet would read as a formula into text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from io import BytesIO
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from filon.committees.models import COMMITTEE_CHOICES
from filon.core.calendar import today_mx
from filon.origination.models import CreditFile
from filon.origination.selectors import AttentionClock, attention_clock
from filon.servicing.models import Installment, Loan
from filon.servicing.selectors import loan_status_label

MONEY_FORMAT = "#,##0.00"
RATE_FORMAT = "0.0000%"
INTEGER_FORMAT = "#,##0"
DATE_FORMAT = "DD/MM/YYYY"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="7A5C12")
COMMITTEES = dict(COMMITTEE_CHOICES)


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    value: Callable[[Any], Any]
    number_format: str | None = None


def money(attr: str) -> Callable[[Any], Decimal]:
    return lambda obj: getattr(obj, attr)


def _sheet(ws: Worksheet, title: str, columns: list[Column], rows: Iterable[Any]) -> int:
    """Write the header and one line per row; returns how many rows were written."""
    ws.title = title
    ws.append([c.header for c in columns])
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(index)].width = column.width
    count = 0
    for count, row in enumerate(rows, start=1):
        ws.append([c.value(row) for c in columns])
        for index, column in enumerate(columns, start=1):
            if column.number_format:
                ws.cell(row=count + 1, column=index).number_format = column.number_format
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    return count


def _workbook() -> Workbook:
    wb = Workbook()
    wb.properties.creator = "Filón"
    wb.properties.created = timezone.now().replace(tzinfo=None)
    return wb


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a typed string as a formula (or, after a tab or CR, as the start of one)."""


def neutralise_formulas(wb: Workbook) -> int:
    """Make every string cell that a spreadsheet could take for a formula a text cell with Excel's quote
    prefix: it reads exactly as written and stays text even when someone edits it. Numbers are left alone
    (a negative amount is a number, not text). Returns how many cells were changed.

    Every export goes through here (`workbook_bytes`), so no cell written from user text — an applicant's
    name planted as `=HYPERLINK(...)` — is ever a formula; no export writes a formula of its own."""
    changed = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
                    cell.data_type = "s"
                    cell.quotePrefix = True
                    changed += 1
    return changed


def workbook_bytes(wb: Workbook) -> bytes:
    neutralise_formulas(wb)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------ portfolio


PORTFOLIO_COLUMNS = [
    Column("Número de crédito", 20, lambda loan: loan.number),
    Column("Acreditado", 38, lambda loan: loan.applicant.name),
    Column("Gerencia regional", 22, lambda loan: loan.office.name),
    Column("Programa", 16, lambda loan: loan.get_program_display()),
    Column("Tipo de crédito", 26, lambda loan: loan.get_credit_type_display()),
    Column("Moneda", 8, lambda loan: loan.currency),
    Column("Monto contratado", 18, money("contracted_amount"), MONEY_FORMAT),
    Column("Saldo de capital", 18, money("principal_balance"), MONEY_FORMAT),
    Column("Interés ordinario", 16, money("accrued_interest"), MONEY_FORMAT),
    Column("Interés moratorio", 16, money("accrued_moratorium"), MONEY_FORMAT),
    Column("Clasificación", 16, lambda loan: loan.get_classification_display()),
    Column("Días de atraso", 10, lambda loan: loan.days_past_due, INTEGER_FORMAT),
    Column("Estado", 22, loan_status_label),
    Column("Primera ministración", 13, lambda loan: loan.first_disbursed_on, DATE_FORMAT),
    Column("Vencimiento", 13, lambda loan: loan.maturity_date, DATE_FORMAT),
]


def portfolio_workbook(loans: QuerySet[Loan]) -> tuple[Workbook, int]:
    """One line per loan with its balances (the servicing position the ledger check proves)."""
    wb = _workbook()
    rows = loans.select_related("applicant", "office").order_by("office__name", "number")
    count = _sheet(wb.active, "Cartera", PORTFOLIO_COLUMNS, rows.iterator(chunk_size=2000))
    return wb, count


# ------------------------------------------------------------------------------------------ schedule


SCHEDULE_COLUMNS = [
    Column("Núm.", 7, lambda r: r.number, INTEGER_FORMAT),
    Column("Inicio del periodo", 13, lambda r: r.start, DATE_FORMAT),
    Column("Vencimiento", 13, lambda r: r.due, DATE_FORMAT),
    Column("Fecha de pago", 13, lambda r: r.payable, DATE_FORMAT),
    Column("Tasa del periodo", 12, lambda r: r.rate, RATE_FORMAT),
    Column("Tasa proyectada", 10, lambda r: "Sí" if r.projected else "No"),
    Column("Saldo inicial", 18, money("opening_balance"), MONEY_FORMAT),
    Column("Capital", 16, money("principal"), MONEY_FORMAT),
    Column("Interés proyectado", 16, money("projected_interest"), MONEY_FORMAT),
    Column("Interés", 16, money("interest"), MONEY_FORMAT),
    Column("Pago programado", 18, lambda r: r.principal + r.interest, MONEY_FORMAT),
    Column("Capital pagado", 16, money("principal_paid"), MONEY_FORMAT),
    Column("Interés pagado", 16, money("interest_paid"), MONEY_FORMAT),
    Column("Moratorio devengado", 16, money("moratorium_accrued"), MONEY_FORMAT),
    Column("Moratorio pagado", 16, money("moratorium_paid"), MONEY_FORMAT),
    Column("Estado", 12, lambda r: r.get_status_display()),
]


def schedule_workbook(loan: Loan) -> tuple[Workbook, int]:
    """The active schedule: each installment as projected and what has actually been paid of it."""
    wb = _workbook()
    rows = Installment.objects.filter(loan=loan, version__active=True).order_by("number")
    count = _sheet(wb.active, "Tabla de amortización", SCHEDULE_COLUMNS, rows)
    terms = wb.create_sheet("Crédito")
    for label, value in (
        ("Número de crédito", loan.number),
        ("Acreditado", loan.applicant.name),
        ("Moneda", loan.currency),
        ("Monto contratado", loan.contracted_amount),
        ("Plazo (meses)", loan.term_months),
        ("Gracia (meses)", loan.grace_months),
        ("Versión de reglas", loan.ruleset_version),
        ("Generado el", today_mx()),
    ):
        terms.append([label, value])
    terms["B4"].number_format = MONEY_FORMAT
    terms["B8"].number_format = DATE_FORMAT
    terms.column_dimensions["A"].width = 22
    terms.column_dimensions["B"].width = 40
    return wb, count


# ------------------------------------------------------------------------------------------ pipeline


@dataclass(frozen=True)
class PipelineRow:
    file: CreditFile
    today: dt.date

    @cached_property
    def clock(self) -> AttentionClock:
        return attention_clock(self.file, self.today)


def _elapsed(row: PipelineRow) -> int | None:
    return row.clock.elapsed_business_days if row.clock.applies else None


def _remaining(row: PipelineRow) -> int | None:
    return row.clock.remaining_business_days if row.clock.applies else None


PIPELINE_COLUMNS = [
    Column("Folio", 16, lambda r: r.file.folio),
    Column("Solicitante", 38, lambda r: r.file.applicant.name),
    Column("RFC", 15, lambda r: r.file.applicant.rfc),
    Column("Gerencia regional", 22, lambda r: r.file.office.name),
    Column("Estado", 22, lambda r: r.file.get_status_display()),
    Column("Programa", 16, lambda r: r.file.get_program_display()),
    Column("Tipo de crédito", 26, lambda r: r.file.get_credit_type_display()),
    Column("Moneda", 8, lambda r: r.file.currency),
    Column("Monto solicitado", 18, lambda r: r.file.amount, MONEY_FORMAT),
    Column("Instancia de decisión", 26, lambda r: COMMITTEES.get(r.file.committee, r.file.committee)),
    Column("Fecha de solicitud", 13, lambda r: r.file.application_date, DATE_FORMAT),
    Column("Requisitos completos", 13, lambda r: r.file.requirements_complete_on, DATE_FORMAT),
    Column("Límite de atención", 13, lambda r: r.file.attention_deadline, DATE_FORMAT),
    Column("Días hábiles transcurridos", 12, _elapsed, INTEGER_FORMAT),
    Column("Días hábiles restantes", 12, _remaining, INTEGER_FORMAT),
    Column("Autorizado el", 13, lambda r: r.file.authorized_on, DATE_FORMAT),
]


def pipeline_workbook(files: QuerySet[CreditFile]) -> tuple[Workbook, int]:
    """One line per credit file with its attention clock (Rules 8) as of today."""
    wb = _workbook()
    today = today_mx()
    rows = (
        PipelineRow(f, today)
        for f in files.select_related("applicant", "office").order_by("-created_at", "-pk").iterator()
    )
    count = _sheet(wb.active, "Expedientes", PIPELINE_COLUMNS, rows)
    return wb, count
