"""Amendments to the Reglas de Operación as data (SPEC I-10).

An amendment (acuerdo) names its number, date, approving body, effective date and a list of changes, each a
dotted path into the rule set and its new value («programs.pequena_mineria.valid_until: 2026-12-31»).
Applied to the version it amends, it gives a **new, complete rule set** with its own version string and
effective date, validated by the same schema as the shipped data; the old version is never touched.

`ruleset_diff(a, b)` lists what changed between two versions, each path with the rule id that governs it in
the data (the nearest `rule` above it, or a `<field>_rule` beside it).

Pure: no Django. The records live in the database (the amendments app); the loader builds their versions
through `filon.rules.loader.ruleset_source_register`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from filon.rules.schema import RuleSet

# What the amendment itself sets; a change may not name them.
RESERVED = ("version", "effective_from", "source", "description")
VERSION_CODE = re.compile(r"[^A-Za-z0-9]+")
MAX_VERSION = 40  # the width of every `ruleset_version` column


@dataclass(frozen=True)
class Change:
    """One change of an amendment: the dotted path and its new value (JSON-like data, as in the YAML)."""

    path: str
    value: Any


@dataclass(frozen=True)
class Amendment:
    """An approved amendment as the loader builds it (the database record, without its people)."""

    number: str
    agreed_on: date
    body: str
    effective_from: date
    base_version: str
    changes: tuple[Change, ...]
    illustrative: bool = False
    summary: str = ""

    @property
    def version(self) -> str:
        return amended_version(self.base_version, self.number)


@dataclass(frozen=True)
class AmendmentProblem:
    path: str
    message: str

    def describe(self) -> str:
        return f"{self.path}: {self.message}"


class AmendmentError(ValueError):
    """An amendment that cannot be applied: every problem, each naming its path."""

    def __init__(self, problems: Sequence[AmendmentProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(p.describe() for p in self.problems))


@dataclass(frozen=True)
class DiffEntry:
    path: str
    rule: str
    before: Any
    after: Any


@dataclass(frozen=True)
class RuleSetDiff:
    version_a: str
    version_b: str
    entries: list[DiffEntry] = field(default_factory=list)


def amended_version(base_version: str, number: str) -> str:
    """The new version's name: the root version (without earlier amendments) + the acuerdo's code."""
    root = base_version.split("+", 1)[0]
    return f"{root}+{version_code(number)}"


def version_code(number: str) -> str:
    return VERSION_CODE.sub("-", number.strip()).strip("-").upper()


def changes_from_data(raw: Any) -> list[Change]:
    """Changes as written in a YAML/JSON document: a list of {path, value}, or a mapping path -> value."""
    if isinstance(raw, Mapping):
        return [Change(str(path), value) for path, value in raw.items()]
    if isinstance(raw, list):
        changes: list[Change] = []
        problems: list[AmendmentProblem] = []
        for index, item in enumerate(raw):
            if not isinstance(item, Mapping) or set(item) != {"path", "value"}:
                problems.append(
                    AmendmentProblem(f"changes[{index}]", "cada cambio lleva exactamente «path» y «value»")
                )
                continue
            changes.append(Change(str(item["path"]), item["value"]))
        if problems:
            raise AmendmentError(problems)
        return changes
    raise AmendmentError([AmendmentProblem("changes", "debe ser una lista de {path, value} o un mapeo")])


def jsonable(value: Any) -> Any:
    """A change's value as JSON data (dates as AAAA-MM-DD, floats as decimal text)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value if isinstance(value, int) else str(value)
    return value


def _set(data: dict[str, Any], path: str, value: Any) -> AmendmentProblem | None:
    parts = path.split(".")
    if not path or any(not p for p in parts):
        return AmendmentProblem(path or "(vacía)", "ruta vacía o mal formada")
    if parts[0] in RESERVED:
        return AmendmentProblem(path, "la fija el propio acuerdo (número, fechas), no un cambio")
    node: Any = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        if isinstance(node, dict):
            if part not in node:
                return AmendmentProblem(path, f"la ruta no existe en la versión base (falta «{where}»)")
            if last:
                node[part] = value
                return None
            node = node[part]
        elif isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return AmendmentProblem(path, f"«{part}» no es un índice de la lista ({len(node)} elementos)")
            if last:
                node[int(part)] = value
                return None
            node = node[int(part)]
        else:
            return AmendmentProblem(path, f"«{'.'.join(parts[:depth])}» es un valor, no una sección")
    return None  # pragma: no cover - the loop always returns


_MESSAGES: dict[str, str] = {
    "date_parsing": "no es una fecha válida (AAAA-MM-DD)",
    "date_from_datetime_parsing": "no es una fecha válida (AAAA-MM-DD)",
    "date_type": "debe ser una fecha (AAAA-MM-DD)",
    "decimal_parsing": "no es un número decimal válido",
    "decimal_type": "debe ser un número decimal",
    "int_parsing": "debe ser un número entero",
    "int_type": "debe ser un número entero",
    "int_from_float": "debe ser un número entero",
    "bool_parsing": "debe ser verdadero o falso",
    "bool_type": "debe ser verdadero o falso",
    "string_type": "debe ser texto",
    "list_type": "debe ser una lista",
    "dict_type": "debe ser un mapeo",
    "model_type": "debe ser una sección (mapeo de claves)",
    "missing": "falta este dato",
    "extra_forbidden": "clave no permitida por el esquema",
    "enum": "valor no permitido",
    "literal_error": "valor no permitido",
    "string_too_short": "no puede quedar vacío",
    "too_short": "tiene menos elementos de los requeridos",
}


def _spanish(err: Mapping[str, Any]) -> str:
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    if kind == "greater_than_equal":
        return f"debe ser mayor o igual que {ctx.get('ge')}"
    if kind == "greater_than":
        return f"debe ser mayor que {ctx.get('gt')}"
    if kind == "less_than_equal":
        return f"debe ser menor o igual que {ctx.get('le')}"
    if kind in ("enum", "literal_error") and ctx.get("expected"):
        return f"valor no permitido; use uno de: {ctx['expected']}"
    if kind == "value_error":
        return str(err.get("msg", "")).removeprefix("Value error, ")
    return _MESSAGES.get(kind, f"valor inválido ({err.get('msg', '')})")


def validation_problems(exc: ValidationError) -> list[AmendmentProblem]:
    """Pydantic's errors as Spanish problems, each naming its dotted path."""
    problems = []
    for err in exc.errors():
        path = ".".join(str(part) for part in err["loc"]) or "(raíz)"
        problems.append(AmendmentProblem(path, _spanish(err)))
    return problems


def amendment_apply(base: RuleSet, amendment: Amendment) -> RuleSet:
    """The new rule set: `base` with the amendment's changes, its own version and effective date, validated.
    Raises AmendmentError listing every problem (a path that does not exist, a value the schema refuses)."""
    problems: list[AmendmentProblem] = []
    if not amendment.number.strip() or not version_code(amendment.number):
        problems.append(AmendmentProblem("number", "el número del acuerdo es obligatorio"))
    if not amendment.body.strip():
        problems.append(AmendmentProblem("body", "falta el órgano que aprobó el acuerdo"))
    if amendment.effective_from <= base.effective_from:
        problems.append(
            AmendmentProblem(
                "effective_from",
                f"debe ser posterior a la entrada en vigor de la versión base "
                f"({base.effective_from:%d/%m/%Y})",
            )
        )
    if not amendment.changes:
        problems.append(AmendmentProblem("changes", "el acuerdo no cambia nada"))
    version = amendment.version
    if len(version) > MAX_VERSION:
        problems.append(AmendmentProblem("number", f"la versión «{version}» excede {MAX_VERSION} caracteres"))
    data = copy.deepcopy(base.model_dump(mode="json"))
    seen: set[str] = set()
    for change in amendment.changes:
        if change.path in seen:
            problems.append(AmendmentProblem(change.path, "la ruta aparece dos veces en el acuerdo"))
            continue
        seen.add(change.path)
        problem = _set(data, change.path, jsonable(change.value))
        if problem:
            problems.append(problem)
    if problems:
        raise AmendmentError(problems)
    flag = " Modificación ilustrativa (demostración), no un acuerdo real." if amendment.illustrative else ""
    data.update(
        version=version,
        effective_from=amendment.effective_from.isoformat(),
        source=f"Acuerdo {amendment.number} del {amendment.agreed_on:%d/%m/%Y} ({amendment.body}), "
        f"que modifica la versión {base.version}",
        description=(amendment.summary or base.description) + flag,
    )
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        raise AmendmentError(validation_problems(exc)) from None


# -------------------------------------------------------------------------------------------- diff


def _sibling_rule(node: dict[str, Any], part: str) -> str:
    """`<field>_rule` beside the field, or a `<topic>_rule` whose topic names it («terms_rule» governs
    «max_term_months»)."""
    exact = node.get(f"{part}_rule")
    if isinstance(exact, str):
        return exact
    for key, value in node.items():
        topic = key.removesuffix("_rule").removesuffix("s")
        if key.endswith("_rule") and isinstance(value, str) and topic and topic in part:
            return value
    return ""


def _rule_for(data: Any, parts: Sequence[str]) -> str:
    """The rule id that governs `parts` in `data`: a `<field>_rule` beside the field, else the nearest
    `rule` on the way down (the program's, the coverage's, the fund's ...)."""
    found = ""
    node: Any = data
    for depth, part in enumerate(parts):
        if isinstance(node, dict):
            if isinstance(node.get("rule"), str):
                found = node["rule"]
            if depth == len(parts) - 1:
                sibling = _sibling_rule(node, part)
                if sibling:
                    return sibling
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            break
    if isinstance(node, dict) and isinstance(node.get("rule"), str):
        found = node["rule"]
    return found


def _walk(a: Any, b: Any, parts: list[str], out: list[tuple[list[str], Any, Any]]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            _walk(a.get(key), b.get(key), [*parts, str(key)], out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            _walk(x, y, [*parts, str(index)], out)
    elif a != b:
        out.append((parts, a, b))


def ruleset_diff(a: RuleSet, b: RuleSet) -> RuleSetDiff:
    """What changed from `a` to `b`, path by path (the version's own name and dates left out)."""
    da, db = a.model_dump(mode="json"), b.model_dump(mode="json")
    raw: list[tuple[list[str], Any, Any]] = []
    for key in list(da) + [k for k in db if k not in da]:
        if key not in RESERVED:
            _walk(da.get(key), db.get(key), [key], raw)
    entries = [
        DiffEntry(".".join(parts), _rule_for(db, parts) or _rule_for(da, parts), before, after)
        for parts, before, after in raw
    ]
    return RuleSetDiff(a.version, b.version, entries)


def _shown(value: Any) -> str:
    if value is None:
        return "(sin valor)"
    if isinstance(value, bool):
        return "sí" if value else "no"
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    return str(value)


def diff_lines(diff: RuleSetDiff) -> list[str]:
    """The diff as readable Spanish lines."""
    if not diff.entries:
        return [f"Sin cambios entre {diff.version_a} y {diff.version_b}."]
    lines = [f"Cambios de {diff.version_a} a {diff.version_b} ({len(diff.entries)}):"]
    for entry in diff.entries:
        rule = f"[{entry.rule}] " if entry.rule else ""
        lines.append(f"  {rule}{entry.path}: {_shown(entry.before)} → {_shown(entry.after)}")
    return lines


def diff_json(diff: RuleSetDiff) -> dict[str, Any]:
    return {
        "from": diff.version_a,
        "to": diff.version_b,
        "changes": [
            {"path": e.path, "rule": e.rule, "before": e.before, "after": e.after} for e in diff.entries
        ],
    }
