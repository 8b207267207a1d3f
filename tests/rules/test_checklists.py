"""The requirement checklists (SPEC R-16 and the program annexes) transcribe the Rules cell by cell."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import TypeAdapter

from filon.rules.schema import (
    ApplicantKind,
    Checklist,
    CreditType,
    PersonType,
    ProgramCode,
    Requirement,
    Stage,
)

pytestmark = pytest.mark.pure

CHECKLISTS_YAML = Path(__file__).resolve().parents[2] / "src/filon/rules/data/ro-2010-09-23/checklists.yaml"

REF = CreditType.REFACCIONARIO
HAB = CreditType.HABILITACION_AVIO
PAS = CreditType.PAGO_PASIVOS
REV = CreditType.AVIO_REVOLVENTE
PROV = CreditType.AVIO_REVOLVENTE_PROVEEDORES
INTRO = CreditType.AVIO_REVOLVENTE_INTRODUCTORES
ANEXO_II_COLUMNS = (REF, HAB, PAS, REV, PROV)

CONC = ApplicantKind.CONCESIONARIO
PLANTA = ApplicantKind.PLANTA
FIS = PersonType.FISICA
MOR = PersonType.MORAL


@pytest.fixture(scope="module")
def checklists() -> dict[str, Checklist]:
    with CHECKLISTS_YAML.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    parsed = TypeAdapter(list[Checklist]).validate_python(data["checklists"])
    by_code = {checklist.code: checklist for checklist in parsed}
    assert len(by_code) == len(parsed), "códigos de checklist repetidos"
    return by_code


@pytest.fixture(scope="module")
def documents(checklists: dict[str, Checklist]) -> dict[str, Requirement]:
    by_code: dict[str, Requirement] = {}
    for checklist in checklists.values():
        for doc in checklist.documents:
            assert doc.code not in by_code, f"código repetido {doc.code}"
            by_code[doc.code] = doc
    return by_code


def required_for(doc: Requirement, checklist: Checklist, credit_type: CreditType) -> bool:
    applies = doc.credit_types if doc.credit_types is not None else checklist.credit_types
    return applies is None or credit_type in applies


def in_cell(doc: Requirement, kind: ApplicantKind, person: PersonType) -> bool:
    kinds_ok = doc.applicant_kinds is None or kind in doc.applicant_kinds
    persons_ok = doc.person_types is None or person in doc.person_types
    return kinds_ok and persons_ok


def numbers(checklist: Checklist) -> list[int]:
    return sorted({doc.number for doc in checklist.documents})


# --------------------------------------------------------------------------------------------- shape


@pytest.mark.parametrize(
    ("code", "rule", "stage", "printed_numbers"),
    [
        ("AII", "Anexo II", Stage.AUTHORIZATION, 20),
        ("AIII", "Anexo III", Stage.AUTHORIZATION, 16),
        ("C-16.2.1", "16.2.1", Stage.CONTRACTING, 6),
        ("D-16.2.2", "16.2.2", Stage.PRE_DISBURSEMENT, 8),
        ("P-16.3", "16.3", Stage.POST_DISBURSEMENT, 3),
        ("M-16.4-T", "16.4", Stage.MONITORING_QUARTERLY, 1),
        ("M-16.4-A", "16.4", Stage.MONITORING_ANNUAL, 2),
        ("Q-16.5", "16.5", Stage.LINE_QUALIFICATION, 5),
        ("P1-1.7", "P-1 1.7", Stage.AUTHORIZATION, 6),
        ("P1-1.8", "P-1 1.8", Stage.CONTRACTING, 2),
        ("P2-A1", "P-2 Anexo 1", Stage.AUTHORIZATION, 7),
        ("P2-A2", "P-2 Anexo 2", Stage.CONTRACTING, 4),
        ("P2-A3", "P-2 Anexo 3", Stage.PRE_DISBURSEMENT, 7),
        ("P3-A2", "P-3 3.21 Anexo 2", Stage.AUTHORIZATION, 9),
        ("P3-A3", "P-3 3.21 Anexo 3", Stage.CONTRACTING, 5),
        ("P3-A4", "P-3 3.21 Anexo 4", Stage.PRE_DISBURSEMENT, 6),
        ("P4-A1", "P-4 4.8 Anexo 1", Stage.AUTHORIZATION, 6),
        ("P4-A2", "P-4 4.8 Anexo 2", Stage.CONTRACTING, 4),
        ("P4-A3", "P-4 4.8 Anexo 3", Stage.PRE_DISBURSEMENT, 7),
        ("P4-A4", "P-4 4.8 Anexo 4", Stage.POST_DISBURSEMENT, 2),
    ],
)
def test_checklist_rule_stage_and_printed_numbers(
    checklists: dict[str, Checklist], code: str, rule: str, stage: Stage, printed_numbers: int
) -> None:
    checklist = checklists[code]
    assert checklist.rule == rule
    assert checklist.stage is stage
    assert numbers(checklist) == list(range(1, printed_numbers + 1))


def test_anexo_ii_is_primer_piso_for_the_five_columns(checklists: dict[str, Checklist]) -> None:
    anexo = checklists["AII"]
    assert anexo.programs == [ProgramCode.PRIMER_PISO]
    assert set(anexo.credit_types or []) == set(ANEXO_II_COLUMNS)


def test_anexo_iii_is_for_introductores_only(checklists: dict[str, Checklist]) -> None:
    anexo = checklists["AIII"]
    assert anexo.programs == [ProgramCode.PRIMER_PISO]
    assert anexo.credit_types == [INTRO]
    assert len(anexo.documents) == 16


# ------------------------------------------------------------------------------------ Anexo II cells

# Number -> the columns (Ref., Hab. ó Avío, Pago de Pasivos, Avío Rev., Apoyo a prov.) marked ✓.
ALL = set(ANEXO_II_COLUMNS)
SIMPLE = {REF, HAB, PAS}
ANEXO_II_CELLS = {
    1: ALL,
    2: ALL,
    3: ALL,
    4: {REF},
    5: ALL,
    6: ALL,
    7: ALL,
    8: SIMPLE,
    9: SIMPLE,
    10: SIMPLE,
    11: SIMPLE,
    12: SIMPLE,
    13: SIMPLE,
    14: SIMPLE,
    15: ALL,
    16: ALL,
    17: ALL,
    18: ALL - {PROV},
    19: ALL - {PROV},
    20: ALL,
}


@pytest.mark.parametrize(("number", "columns"), sorted(ANEXO_II_CELLS.items()))
def test_anexo_ii_matrix(checklists: dict[str, Checklist], number: int, columns: set[CreditType]) -> None:
    anexo = checklists["AII"]
    entries = [doc for doc in anexo.documents if doc.number == number]
    assert entries
    for doc in entries:
        marked = {ct for ct in ANEXO_II_COLUMNS if required_for(doc, anexo, ct)}
        assert marked == columns, doc.code


def test_anexo_ii_doc_15_splits_by_person_type(documents: dict[str, Requirement]) -> None:
    assert documents["AII-15-M"].person_types == [MOR]
    assert documents["AII-15-F"].person_types == [FIS]
    assert "Acta Constitutiva" in documents["AII-15-M"].name
    assert "Nacimiento" in documents["AII-15-F"].name


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("AII-07", "aval"),
        ("AII-09", "concesibles"),
        ("AII-12", "metálicos"),
        ("AII-14", "explotación"),
        ("AII-16", "En su caso"),
        ("AII-19-S", "yacimiento propio"),
        ("AII-19-M", "planta propia"),
        ("AIII-08", "concesionarios"),
        ("AIII-13", "aval"),
        ("AIII-14", "prendaria"),
        ("D-16.2.2-6", "rescate de inversión"),
        ("Q-16.5-3", "aval"),
    ],
)
def test_conditional_documents_state_their_condition(
    documents: dict[str, Requirement], code: str, fragment: str
) -> None:
    condition = documents[code].condition
    assert condition is not None
    assert fragment in condition


@pytest.mark.parametrize("code", ["AII-01", "AII-04", "AII-06", "AII-08", "AII-17", "AII-20"])
def test_unconditional_anexo_ii_documents(documents: dict[str, Requirement], code: str) -> None:
    assert documents[code].condition is None


# ----------------------------------------------------------------------------------- Anexo III cells

CELLS = [(CONC, FIS), (CONC, MOR), (PLANTA, FIS), (PLANTA, MOR)]
EVERY_CELL = set(CELLS)
ANEXO_III_CELLS = {
    1: EVERY_CELL,
    2: EVERY_CELL,
    3: EVERY_CELL,
    4: {(CONC, FIS), (PLANTA, FIS)},
    5: {(CONC, FIS), (PLANTA, FIS)},
    6: {(CONC, MOR), (PLANTA, MOR)},
    7: {(PLANTA, FIS), (PLANTA, MOR)},
    8: {(CONC, FIS), (CONC, MOR)},
    9: {(CONC, FIS), (CONC, MOR)},
    10: {(CONC, FIS), (CONC, MOR)},
    **dict.fromkeys(range(11, 17), EVERY_CELL),
}


@pytest.mark.parametrize(("number", "cells"), sorted(ANEXO_III_CELLS.items()))
def test_anexo_iii_matrix(
    checklists: dict[str, Checklist], number: int, cells: set[tuple[ApplicantKind, PersonType]]
) -> None:
    (doc,) = [doc for doc in checklists["AIII"].documents if doc.number == number]
    assert {cell for cell in CELLS if in_cell(doc, *cell)} == cells


# -------------------------------------------------------------------------------- validity and legal

VALIDITY_MONTHS = {
    "AII-04": 3,
    "AII-06": 3,
    "AII-07": 3,
    "AII-10": 6,
    "AIII-12": 3,
    "AIII-13": 3,
    "D-16.2.2-7": 3,
    "Q-16.5-2": 3,
    "P1-1.7-4": 3,
    "P2-A1-3-O": 3,
    "P3-A2-5-O": 3,
    "P4-A1-3-F": 3,
    "P4-A1-3-M": 3,
}


def test_validity_months_are_exactly_the_stated_ones(documents: dict[str, Requirement]) -> None:
    stated = {code: doc.validity_months for code, doc in documents.items() if doc.validity_months}
    assert stated == VALIDITY_MONTHS


LEGAL = {
    # Anexo II footnote: cédula fiscal, escrituras públicas, contratos de arrendamiento y maquila, títulos…
    "AII-05",
    "AII-15-M",
    "AII-15-F",
    "AII-16",
    "AII-17",
    "AII-18",
    "AII-19-S",
    "AII-19-M",
    # Anexo III note 4
    "AIII-03",
    "AIII-04",
    "AIII-06",
    "AIII-07",
    "AIII-08",
    "AIII-10",
    "C-16.2.1-1",
    "P1-1.7-5",
    # P-2 Anexo 1 note: points 5, 6 and 7
    "P2-A1-5",
    "P2-A1-5b",
    "P2-A1-5c",
    "P2-A1-5d",
    "P2-A1-6",
    "P2-A1-7-M",
    "P2-A1-7-F",
    # P-3 Anexo 2 note: points 6 and 7
    "P3-A2-6-M",
    "P3-A2-6-F",
    "P3-A2-7",
    # P-4 Anexo 1 note: points 5 and 6 (persona moral)
    "P4-A1-5",
    "P4-A1-6-M",
}


def test_legal_review_flags_exactly_the_legal_documents(documents: dict[str, Requirement]) -> None:
    assert {code for code, doc in documents.items() if doc.legal_review} == LEGAL


# -------------------------------------------------------------------------------- 16.2 to 16.5


def test_16_2_2_has_eight_items_and_item_4_is_for_revolving_credits(
    checklists: dict[str, Checklist], documents: dict[str, Requirement]
) -> None:
    assert len(checklists["D-16.2.2"].documents) == 8
    assert set(documents["D-16.2.2-4"].credit_types or []) == {REV, PROV, INTRO}


def test_16_3_is_due_in_90_days_and_invoices_are_refaccionario(
    checklists: dict[str, Checklist], documents: dict[str, Requirement]
) -> None:
    assert checklists["P-16.3"].due_calendar_days == 90
    assert documents["P-16.3-1"].credit_types is None
    assert documents["P-16.3-2"].credit_types == [REF]
    assert documents["P-16.3-3"].credit_types == [REF]


@pytest.mark.parametrize("code", ["P2-A4", "P3-A5", "P4-A4"])
def test_program_post_disbursement_lists_are_due_in_90_days(
    checklists: dict[str, Checklist], code: str
) -> None:
    assert checklists[code].due_calendar_days == 90


def test_16_5_applies_to_revolving_lines(checklists: dict[str, Checklist]) -> None:
    assert set(checklists["Q-16.5"].credit_types or []) == {REV, PROV, INTRO}
    assert set(checklists["Q-16.5"].programs) == set(ProgramCode)


@pytest.mark.parametrize(
    ("code", "programs"),
    [
        ("C-16.2.1", {ProgramCode.PRIMER_PISO, ProgramCode.CADENAS_PRODUCTIVAS}),
        ("D-16.2.2", {ProgramCode.PRIMER_PISO, ProgramCode.CADENAS_PRODUCTIVAS}),
        ("P-16.3", {ProgramCode.PRIMER_PISO, ProgramCode.CADENAS_PRODUCTIVAS}),
        (
            "M-16.4-T",
            {ProgramCode.PRIMER_PISO, ProgramCode.CADENAS_PRODUCTIVAS, ProgramCode.CARBON_COAHUILA},
        ),
        ("M-16.4-A", set(ProgramCode)),
    ],
)
def test_general_lists_apply_where_no_program_annex_covers_the_stage(
    checklists: dict[str, Checklist], code: str, programs: set[ProgramCode]
) -> None:
    assert set(checklists[code].programs) == programs


@pytest.mark.parametrize(
    "program", [ProgramCode.PEQUENA_MINERIA, ProgramCode.CANANEA, ProgramCode.CARBON_COAHUILA]
)
def test_programs_with_their_own_annexes_get_one_list_per_stage(
    checklists: dict[str, Checklist], program: ProgramCode
) -> None:
    """A program annex replaces the general list of its stage; the two never both apply."""
    for stage in Stage:
        if stage is Stage.AUTHORIZATION:
            continue
        sources = [c.code for c in checklists.values() if program in c.programs and c.stage is stage]
        assert len(sources) <= 1, (stage, sources)


# -------------------------------------------------------------------------------------- programs


@pytest.mark.parametrize(
    ("program", "codes"),
    [
        (ProgramCode.CADENAS_PRODUCTIVAS, {"P1-1.7", "P1-1.8"}),
        (ProgramCode.PEQUENA_MINERIA, {"P2-2.9", "P2-A1", "P2-A2", "P2-A3", "P2-A4", "P2-A4-T"}),
        (ProgramCode.CANANEA, {"P3-3.14", "P3-A2", "P3-A3", "P3-A4", "P3-A5", "P3-A5-T"}),
        (ProgramCode.CARBON_COAHUILA, {"P4-4.5", "P4-A1", "P4-A2", "P4-A3", "P4-A4"}),
    ],
)
def test_program_checklists_exist_and_belong_to_their_program(
    checklists: dict[str, Checklist], program: ProgramCode, codes: set[str]
) -> None:
    own = {c.code for c in checklists.values() if c.programs == [program]}
    assert own == codes


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("P2-2.9-4", "Grupo Interdisciplinario de Selección"),
        ("P2-2.9-5", "Aprobatorio"),
        ("P2-A3-6", "0.50"),
        ("P4-4.5-6", "NOM-032-STPS-2008"),
        ("P4-A3-6", "garantía líquida"),
        ("P3-A2-9", "refaccionario"),
    ],
)
def test_program_documents_keep_the_rules_wording(
    documents: dict[str, Requirement], code: str, fragment: str
) -> None:
    assert fragment in documents[code].name


def test_refaccionario_only_documents_in_programs(documents: dict[str, Requirement]) -> None:
    for code in ("P3-A2-9", "P2-A4-1", "P3-A5-1"):
        assert documents[code].credit_types == [REF], code


def test_every_document_has_spanish_text(documents: dict[str, Requirement]) -> None:
    for code, doc in documents.items():
        assert doc.name.strip(), code
        assert "\n" not in doc.name, code
        assert "\n" not in doc.notes, code
