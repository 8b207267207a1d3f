"""The offices' scorecard of a year as an Excel workbook (SPEC G-1), with the workbook helpers of
`filon.documents.excel`: numbers as typed cells, the header frozen, widths and an autofilter.

Sheets: the scorecard (one line per office, the total below the filtered range), the training events and
the technical-assistance visits of the year. Pass what the scoped selectors return.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from filon.documents.excel import (
    DATE_FORMAT,
    INTEGER_FORMAT,
    MONEY_FORMAT,
    Column,
    _sheet,
    _workbook,
)
from filon.goals.models import TechnicalAssistanceVisit, TrainingEvent
from filon.goals.selectors import OfficeScorecard

PERCENT_FORMAT = "0.0%"


def _goal(key: str) -> Any:
    return lambda card: card.target(key).goal


def _actual(key: str) -> Any:
    return lambda card: card.target(key).actual


def _ratio(key: str) -> Any:
    return lambda card: card.target(key).ratio


SCORECARD_COLUMNS = [
    Column("Gerencia regional", 24, lambda card: card.name),
    Column("Año", 7, lambda card: card.year),
    Column("Meta de colocación", 18, _goal("placement"), MONEY_FORMAT),
    Column("Colocado", 18, _actual("placement"), MONEY_FORMAT),
    Column(
        "Créditos contratados",
        11,
        lambda card: card.placement.loans if card.placement else None,
        INTEGER_FORMAT,
    ),
    Column("Avance de colocación", 11, _ratio("placement"), PERCENT_FORMAT),
    Column("Meta de asistencia técnica", 12, _goal("technical_assistance"), INTEGER_FORMAT),
    Column("Servicios de asistencia técnica", 12, _actual("technical_assistance"), INTEGER_FORMAT),
    Column("Avance de asistencia técnica", 11, _ratio("technical_assistance"), PERCENT_FORMAT),
    Column("Meta de cursos", 10, _goal("courses"), INTEGER_FORMAT),
    Column("Cursos impartidos", 10, _actual("courses"), INTEGER_FORMAT),
    Column("Avance de cursos", 11, _ratio("courses"), PERCENT_FORMAT),
    Column("Cursos programados", 11, lambda card: card.scheduled_courses, INTEGER_FORMAT),
    Column("Meta de participantes", 12, _goal("participants"), INTEGER_FORMAT),
    Column("Participantes", 12, _actual("participants"), INTEGER_FORMAT),
    Column("Avance de participantes", 11, _ratio("participants"), PERCENT_FORMAT),
]

EVENT_COLUMNS = [
    Column("Gerencia regional", 22, lambda e: e.office.name),
    Column("Curso", 40, lambda e: e.title),
    Column("Tema", 36, lambda e: e.topic),
    Column("Inicio", 12, lambda e: e.start_date, DATE_FORMAT),
    Column("Término", 12, lambda e: e.end_date, DATE_FORMAT),
    Column("Municipio", 20, lambda e: e.municipality),
    Column("Estado", 8, lambda e: e.state),
    Column("Modalidad", 12, lambda e: e.get_modality_display()),
    Column("Horas", 8, lambda e: e.hours, "0.0"),
    Column("Inscritos", 10, lambda e: e.enrolled, INTEGER_FORMAT),
    Column("Asistentes", 10, lambda e: e.attended, INTEGER_FORMAT),
    Column("Organizaciones que lo promueven", 44, lambda e: ", ".join(p.name for p in e.partners.all())),
]

VISIT_COLUMNS = [
    Column("Gerencia regional", 22, lambda v: v.office.name),
    Column("Fecha", 12, lambda v: v.date, DATE_FORMAT),
    Column("Solicitante", 38, lambda v: v.applicant.name),
    Column("RFC", 15, lambda v: v.applicant.rfc),
    Column("Tipo de asistencia", 24, lambda v: v.get_kind_display()),
    Column("Asesor", 26, lambda v: v.advisor),
    Column("Hallazgos", 50, lambda v: v.findings),
    Column("Recomendaciones", 50, lambda v: v.recommendations),
    Column("Organizaciones que la promueven", 40, lambda v: ", ".join(p.name for p in v.partners.all())),
]


def scorecard_workbook(
    *,
    cards: list[OfficeScorecard],
    total: OfficeScorecard | None,
    events: Iterable[TrainingEvent],
    visits: Iterable[TechnicalAssistanceVisit],
) -> tuple[Workbook, int]:
    """The scorecard sheet (and the total line when several offices), the year's courses and visits."""
    wb = _workbook()
    count = _sheet(wb.active, "Metas vs avance", SCORECARD_COLUMNS, cards)
    if total is not None:
        ws = wb.active
        ws.append([column.value(total) for column in SCORECARD_COLUMNS])
        row = ws.max_row
        for index, column in enumerate(SCORECARD_COLUMNS, start=1):
            cell = ws.cell(row=row, column=index)
            cell.font = Font(bold=True)
            if column.number_format:
                cell.number_format = column.number_format
    _sheet(wb.create_sheet(), "Cursos", EVENT_COLUMNS, events)
    _sheet(wb.create_sheet(), "Asistencia técnica", VISIT_COLUMNS, visits)
    return wb, count
