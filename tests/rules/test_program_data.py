"""The activity lists and special programs of rule set ro-2010-09-23 say what the Rules say.

Loads only `activities.yaml` and `programs.yaml` through the schema, so these facts are checked
independently of the rest of the rule set.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter

from filon.rules.loader import DEFAULT_RULES_DIR
from filon.rules.schema import (
    ActivityList,
    CadenasProductivas,
    CommitteeCode,
    CreditType,
    GuaranteeType,
    PersonType,
    Program,
    ProgramCode,
    Size,
)

pytestmark = pytest.mark.pure

DATA = DEFAULT_RULES_DIR / "ro-2010-09-23"
D = Decimal
REF = CreditType.REFACCIONARIO
AVIO = CreditType.HABILITACION_AVIO
P2 = ProgramCode.PEQUENA_MINERIA
P3 = ProgramCode.CANANEA
P4 = ProgramCode.CARBON_COAHUILA
SPECIAL = [P2, P3, P4]


def _read(name: str) -> dict[str, Any]:
    content = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    assert isinstance(content, dict)
    return content


@pytest.fixture(scope="module")
def lists() -> dict[str, ActivityList]:
    return TypeAdapter(dict[str, ActivityList]).validate_python(_read("activities.yaml")["activity_lists"])


@pytest.fixture(scope="module")
def programs() -> dict[ProgramCode, Program]:
    return TypeAdapter(dict[ProgramCode, Program]).validate_python(_read("programs.yaml")["programs"])


@pytest.fixture(scope="module")
def cadenas() -> CadenasProductivas:
    return CadenasProductivas.model_validate(_read("programs.yaml")["cadenas_productivas"])


# ------------------------------------------------------------------------------------ activity lists


@pytest.mark.parametrize(
    ("key", "rule", "numbers"),
    [
        ("anexo_i", "Anexo I", list(range(1, 36))),
        ("cananea", "P-3 3.21 Anexo 1", list(range(1, 111))),
        ("pequena_mineria", "P-2 Anexo 5", [4, 5, 6, 7, 8, 9, 10, 12, *range(14, 29)]),
        ("carbon_coahuila", "P-4 4.1", [16]),
    ],
)
def test_activity_list_numbers(
    lists: dict[str, ActivityList], key: str, rule: str, numbers: list[int]
) -> None:
    activity_list = lists[key]
    assert activity_list.rule == rule
    assert [a.number for a in activity_list.activities] == numbers


def test_anexo_i_primary_extraction_marks(lists: dict[str, ActivityList]) -> None:
    anexo = lists["anexo_i"]
    marked = [a.number for a in anexo.activities if a.requires_primary_extraction]
    assert marked == [1, 29, 30, 31, 32]
    assert "actividad primaria (extracción de minerales)" in anexo.title
    assert all("(**)" not in a.description for a in anexo.activities)


@pytest.mark.parametrize(
    ("key", "number", "description"),
    [
        ("anexo_i", 1, "Comercio de minerales metálicos y no metálicos"),
        (
            "anexo_i",
            11,
            "Extracción y/o proceso de agregados pétreos para pavimentación e "
            "impermeabilizantes a base de asfalto.",
        ),
        ("anexo_i", 16, "Explotación y/o beneficio de carbón mineral"),
        ("anexo_i", 35, "Prestadores de servicios al Sector Minero"),
        ("cananea", 1, "Acuñación de monedas conmemorativas"),
        ("cananea", 92, "Industria de la construcción"),
        ("cananea", 110, "Prestadores de servicios especializados al Sector Minero y su cadena productiva."),
        ("carbon_coahuila", 16, "Explotación y/o beneficio de carbón mineral"),
    ],
)
def test_activity_descriptions(
    lists: dict[str, ActivityList], key: str, number: int, description: str
) -> None:
    by_number = {a.number: a.description for a in lists[key].activities}
    assert by_number[number] == description


def test_pequena_mineria_list_is_anexo_i_without_aggregates(lists: dict[str, ActivityList]) -> None:
    anexo = {a.number: a.description for a in lists["anexo_i"].activities}
    p2 = lists["pequena_mineria"].activities
    assert all(anexo[a.number] == a.description for a in p2)
    assert not any("agregados pétreos" in a.description for a in p2)
    assert not any(a.requires_primary_extraction for a in p2)


def test_program_activity_lists_exist(
    lists: dict[str, ActivityList], programs: dict[ProgramCode, Program]
) -> None:
    assert set(programs) == set(ProgramCode)
    for program in programs.values():
        assert program.activity_list in lists


# ------------------------------------------------------------------------------------------ programs


@pytest.mark.parametrize(
    ("code", "allotment", "sizes", "states", "activity_list"),
    [
        (ProgramCode.PRIMER_PISO, None, None, None, "anexo_i"),
        (ProgramCode.CADENAS_PRODUCTIVAS, None, ["micro", "pequena", "mediana"], None, "anexo_i"),
        (P2, D("100000000"), ["micro", "pequena"], None, "pequena_mineria"),
        (P3, D("20000000"), ["micro", "pequena", "mediana"], ["SON"], "cananea"),
        (P4, D("50000000"), ["micro", "pequena"], ["COA"], "carbon_coahuila"),
    ],
)
def test_program_scope(
    programs: dict[ProgramCode, Program],
    code: ProgramCode,
    allotment: Decimal | None,
    sizes: list[str] | None,
    states: list[str] | None,
    activity_list: str,
) -> None:
    program = programs[code]
    assert program.code == code
    assert program.allotment_mxn == allotment
    assert program.sizes == (None if sizes is None else [Size(s) for s in sizes])
    assert Size.GRANDE not in (program.sizes or [])
    assert program.states == states
    assert program.activity_list == activity_list


def test_cananea_municipality_and_exclusion(programs: dict[ProgramCode, Program]) -> None:
    assert programs[P3].municipality == "Cananea"
    assert any("viviendas" in e for e in programs[P3].excluded_activities)
    assert any("agregados pétreos" in e.lower() for e in programs[P2].excluded_activities)


@pytest.mark.parametrize(
    ("code", "valid_from", "valid_until"),
    [
        (ProgramCode.PRIMER_PISO, date(2010, 9, 23), None),
        (ProgramCode.CADENAS_PRODUCTIVAS, date(2008, 6, 12), None),
        (P2, date(2011, 9, 22), date(2014, 9, 22)),
        (P3, None, None),  # 24 months from the fund's formalization, a date the Rules do not give
        (P4, date(2011, 5, 11), date(2014, 5, 11)),
    ],
)
def test_program_validity(
    programs: dict[ProgramCode, Program], code: ProgramCode, valid_from: date | None, valid_until: date | None
) -> None:
    assert programs[code].valid_from == valid_from
    assert programs[code].valid_until == valid_until


def test_cananea_validity_is_explained(programs: dict[ProgramCode, Program]) -> None:
    assert "24 meses" in programs[P3].notes


@pytest.mark.parametrize(
    ("code", "ref_max", "avio_max", "min_amount", "max_total"),
    [
        (P2, D("1500000"), D("1000000"), None, D("1500000")),
        (P3, D("2000000"), D("2000000"), D("200000"), D("2000000")),
        (P4, D("1000000"), D("1000000"), None, D("1000000")),
    ],
)
def test_special_program_amounts(
    programs: dict[ProgramCode, Program],
    code: ProgramCode,
    ref_max: Decimal,
    avio_max: Decimal,
    min_amount: Decimal | None,
    max_total: Decimal,
) -> None:
    program = programs[code]
    assert set(program.products) == {REF, AVIO}
    assert program.products[REF].max_mxn == ref_max
    assert program.products[AVIO].max_mxn == avio_max
    assert program.min_amount_mxn == min_amount
    assert program.max_total_mxn == max_total


@pytest.mark.parametrize("code", SPECIAL)
def test_special_program_terms_rate_and_commissions(
    programs: dict[ProgramCode, Program], code: ProgramCode
) -> None:
    program = programs[code]
    assert (program.products[REF].max_term_months, program.products[REF].max_grace_months) == (60, 6)
    assert (program.products[AVIO].max_term_months, program.products[AVIO].max_grace_months) == (36, 6)
    assert program.spread == D("0.035")
    assert program.commissions is False
    assert program.committee == CommitteeCode.COMITE_INTERNO


@pytest.mark.parametrize(
    ("code", "periods"),
    [
        (ProgramCode.PRIMER_PISO, None),
        (ProgramCode.CADENAS_PRODUCTIVAS, None),
        (P2, [1, 3]),
        (P3, [1]),
        (P4, [1]),
    ],
)
def test_payment_periodicity(
    programs: dict[ProgramCode, Program], code: ProgramCode, periods: list[int] | None
) -> None:
    assert programs[code].payment_every_months == periods


def test_general_rules_have_no_overrides(programs: dict[ProgramCode, Program]) -> None:
    general = programs[ProgramCode.PRIMER_PISO]
    assert general.rule == "Capítulo I"
    assert general.overrides == {}
    assert general.committee is None
    assert general.commissions is True
    assert general.products == {}
    assert general.coverage is None
    # I-9: the P-1 supplier discounts «sin comisiones» (1.3); I-6's per-drawdown commission is Capítulo I's.
    assert programs[ProgramCode.CADENAS_PRODUCTIVAS].commissions is False
    assert programs[ProgramCode.CADENAS_PRODUCTIVAS].overrides["commissions"] == "P-1 1.3"


@pytest.mark.parametrize(
    ("code", "rule", "minimum", "fund", "required", "must_allow", "must_refuse"),
    [
        (
            # I-9: no coverage requirement on the supplier (1.3); the EPO's 1 : 1 is checked at admission.
            ProgramCode.CADENAS_PRODUCTIVAS,
            "P-1 1.3",
            D("0"),
            D("0"),
            [],
            [],
            [],
        ),
        (
            P2,
            "P-2 2.8",
            D("1.5"),
            D("0.5"),
            [],
            [GuaranteeType.HIPOTECA_INDUSTRIAL, GuaranteeType.PRENDA_NUEVA, GuaranteeType.CONCESION_MINERA],
            [GuaranteeType.AVAL, GuaranteeType.FIANZA, GuaranteeType.CARTA_RETENCION],
        ),
        (
            P3,
            "P-3 3.8",
            D("1"),
            D("0"),
            [],
            [GuaranteeType.HIPOTECA_URBANA, GuaranteeType.PRENDA_NUEVA, GuaranteeType.PRENDA_USADA],
            [GuaranteeType.AVAL, GuaranteeType.CONCESION_MINERA],
        ),
        (
            P4,
            "P-4 4.4",
            D("1.33"),
            D("0.33"),
            [GuaranteeType.CARTA_RETENCION],
            [GuaranteeType.PRENDA_NUEVA, GuaranteeType.HIPOTECA_INDUSTRIAL, GuaranteeType.CARTA_RETENCION],
            [GuaranteeType.AVAL, GuaranteeType.CONCESION_MINERA],
        ),
    ],
)
def test_program_coverage(
    programs: dict[ProgramCode, Program],
    code: ProgramCode,
    rule: str,
    minimum: Decimal,
    fund: Decimal,
    required: list[GuaranteeType],
    must_allow: list[GuaranteeType],
    must_refuse: list[GuaranteeType],
) -> None:
    coverage = programs[code].coverage
    assert coverage is not None
    assert (coverage.rule, coverage.minimum_ratio, coverage.fund_ratio) == (rule, minimum, fund)
    assert coverage.required_types == required
    allowed = coverage.allowed_types or []
    assert set(must_allow) <= set(allowed)
    assert not set(must_refuse) & set(allowed)


@pytest.mark.parametrize(
    ("code", "keys"),
    [
        (ProgramCode.PRIMER_PISO, None),
        (P2, {PersonType.FISICA: [], PersonType.MORAL: []}),
        (P3, None),
        (P4, {PersonType.MORAL: ["83"], PersonType.FISICA: ["CL", "LC"]}),
    ],
)
def test_bureau_keys(
    programs: dict[ProgramCode, Program], code: ProgramCode, keys: dict[PersonType, list[str]] | None
) -> None:
    assert programs[code].allowed_bureau_keys == keys


@pytest.mark.parametrize(
    ("code", "answer_days", "validity_days"),
    [(ProgramCode.PRIMER_PISO, None, None), (P2, None, None), (P3, 15, 45), (P4, None, None)],
)
def test_answer_time_and_authorization_validity(
    programs: dict[ProgramCode, Program],
    code: ProgramCode,
    answer_days: int | None,
    validity_days: int | None,
) -> None:
    assert programs[code].answer_business_days == answer_days
    assert programs[code].authorization_validity_calendar_days == validity_days


@pytest.mark.parametrize(
    ("code", "rule", "kind", "amount", "of_credit", "of_losses", "per_contributor"),
    [
        (P2, "P-2 2.4", "first_loss_pool", None, D("0.5"), None, D("0.15")),
        (P3, "P-3 3.4", "portfolio_first_loss", D("6000000"), None, D("0.30"), None),
        (P4, "P-4 4.2", "liquid_ratio", D("16660000"), D("0.33"), None, None),
    ],
)
def test_guarantee_funds(
    programs: dict[ProgramCode, Program],
    code: ProgramCode,
    rule: str,
    kind: str,
    amount: Decimal | None,
    of_credit: Decimal | None,
    of_losses: Decimal | None,
    per_contributor: Decimal | None,
) -> None:
    (fund,) = programs[code].guarantee_funds
    assert (fund.rule, fund.kind, fund.amount_mxn) == (rule, kind, amount)
    assert (fund.fraction_of_credit, fund.fraction_of_losses) == (of_credit, of_losses)
    assert fund.max_share_per_contributor == per_contributor


def test_fogamico_is_one_third_of_the_allotment(programs: dict[ProgramCode, Program]) -> None:
    (fund,) = programs[P4].guarantee_funds
    allotment = programs[P4].allotment_mxn
    assert fund.amount_mxn is not None
    assert allotment is not None
    assert (allotment / fund.amount_mxn).quantize(D("0.01")) == D("3.00")


@pytest.mark.parametrize(
    ("code", "step"),
    [
        (P2, "Evaluación paramétrica aprobatoria"),
        (P2, "Opinión técnica"),
        (P2, "Documento de autorización GIS"),
        (P3, "Dictamen legal"),
        (P4, "Verificación NOM-032-STPS-2008"),
        (P4, "Carta de retención dirigida al comprador"),
    ],
)
def test_program_steps(programs: dict[ProgramCode, Program], code: ProgramCode, step: str) -> None:
    assert step in [s.text for s in programs[code].steps]


TOPICS = {
    "amounts",
    "terms",
    "grace",
    "rate",
    "commissions",
    "coverage",
    "bureau_keys",
    "activities",
    "sizes",
    "answer_time",
    "authorization_validity",
    "payment_periodicity",
}


@pytest.mark.parametrize(
    ("code", "prefix", "expected"),
    [
        (
            ProgramCode.CADENAS_PRODUCTIVAS,
            "P-1 ",
            {"sizes", "terms", "rate", "payment_periodicity", "commissions", "coverage"},
        ),
        (
            P2,
            "P-2 ",
            {
                "amounts",
                "terms",
                "grace",
                "rate",
                "payment_periodicity",
                "commissions",
                "coverage",
                "bureau_keys",
                "activities",
                "sizes",
            },
        ),
        (
            P3,
            "P-3 ",
            {
                "amounts",
                "terms",
                "grace",
                "rate",
                "payment_periodicity",
                "commissions",
                "coverage",
                "activities",
                "sizes",
                "answer_time",
                "authorization_validity",
            },
        ),
        (
            P4,
            "P-4 ",
            {
                "amounts",
                "terms",
                "grace",
                "rate",
                "payment_periodicity",
                "commissions",
                "coverage",
                "bureau_keys",
                "activities",
                "sizes",
            },
        ),
    ],
)
def test_overrides(
    programs: dict[ProgramCode, Program], code: ProgramCode, prefix: str, expected: set[str]
) -> None:
    program = programs[code]
    assert set(program.overrides) == expected
    assert set(program.overrides) <= TOPICS
    assert program.rule.startswith(prefix)
    rules = [*program.overrides.values(), *(f.rule for f in program.guarantee_funds)]
    if program.coverage:
        rules.append(program.coverage.rule)
    assert all(r.startswith(prefix) for r in rules)


@pytest.mark.parametrize(
    ("code", "topic", "rule"),
    [
        (P2, "amounts", "P-2 2.7"),
        (P3, "amounts", "P-3 3.6"),
        (P4, "amounts", "P-4 4.4"),
        (P3, "answer_time", "P-3 3.15"),
        (P3, "authorization_validity", "P-3 3.16"),
        (P4, "bureau_keys", "P-4 4.8 Anexo 1"),
    ],
)
def test_override_citations(
    programs: dict[ProgramCode, Program], code: ProgramCode, topic: str, rule: str
) -> None:
    assert programs[code].overrides[topic] == rule


# ------------------------------------------------------------------------------ P-1 cadenas productivas


def test_cadenas_productivas_parameters(cadenas: CadenasProductivas) -> None:
    assert cadenas.rule == "P-1 1.5"
    assert (cadenas.max_document_days, cadenas.max_advance_fraction) == (180, D("1"))
    assert (cadenas.line_max_months, cadenas.review_months) == (36, 12)
    assert (cadenas.epo_spread_min, cadenas.epo_spread_max) == (D("0.02"), D("0.04"))
    assert (cadenas.supplier_spread_min, cadenas.supplier_spread_max) == (D("0.02"), D("0.04"))
    assert cadenas.admin_points_max == D("0.03")
    assert cadenas.supplier_max_over_nafin == D("0.07")
    assert cadenas.supplier_spread_max + cadenas.admin_points_max == cadenas.supplier_max_over_nafin
    assert cadenas.epo_guarantee_ratio == D("1")
    assert cadenas.epo_guarantee_types == [GuaranteeType.HIPOTECA_INDUSTRIAL, GuaranteeType.HIPOTECA_URBANA]
    assert cadenas.epo_admitted_by == CommitteeCode.COMITE_INTERNO
    assert len(cadenas.payment_modes) == 2
    assert all("capital" in mode.lower() and "vencimiento" in mode for mode in cadenas.payment_modes)
