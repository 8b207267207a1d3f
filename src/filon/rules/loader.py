"""Loading rule sets from their data files.

A rule set is a directory holding `manifest.yaml` (version, effective date, source) and any number of
`*.yaml` files, each contributing top-level keys of the `RuleSet` schema. Every version directory is a
complete rule set: the Risk area copies the one in force, changes it, and the Comité Interno approves the
new directory (Rules 9.2.4, 17.3 e–f). A credit keeps the version it was contracted under (Transitorio
SEGUNDO), so old versions are never edited or deleted.

An approved amendment (SPEC I-10, `filon.rules.amend`) is a version too: the amendments app registers a
source (`ruleset_source_register`) whose acuerdos the loader applies to their base versions, so every caller
sees them beside the shipped directories.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from filon.rules.amend import Amendment, AmendmentError, amendment_apply
from filon.rules.schema import RuleSet

DEFAULT_RULES_DIR = Path(__file__).resolve().parent / "data"
MANIFEST = "manifest.yaml"


@dataclass(frozen=True)
class RuleSetProblem:
    """One problem found while checking a rule set: where it is and what is wrong."""

    path: str
    message: str
    file: str | None = None

    def describe(self) -> str:
        where = f"{self.file}: " if self.file else ""
        return f"{where}{self.path}: {self.message}"


class RuleSetError(Exception):
    """A rule set that cannot be used. `problems` lists every one found, each with its path."""

    def __init__(self, problems: list[RuleSetProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.describe() for p in problems))


class NoRuleSetInForce(LookupError):
    pass


def rules_dir() -> Path:
    """The directory holding the rule-set versions (FILON_RULES_DIR overrides the shipped data)."""
    override = os.environ.get("FILON_RULES_DIR")
    return Path(override) if override else DEFAULT_RULES_DIR


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML loader that refuses duplicated keys instead of silently keeping the last one."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"clave repetida: {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_documents(directory: Path) -> tuple[dict[str, Any], dict[str, str], list[RuleSetProblem]]:
    data: dict[str, Any] = {}
    origin: dict[str, str] = {}
    problems: list[RuleSetProblem] = []
    if not (directory / MANIFEST).is_file():
        problems.append(RuleSetProblem("(raíz)", f"falta {MANIFEST}", directory.name))
    for path in sorted(directory.glob("*.yaml")):
        try:
            content = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
        except yaml.YAMLError as exc:
            problems.append(RuleSetProblem("(archivo)", f"YAML inválido: {exc}", path.name))
            continue
        if content is None:
            continue
        if not isinstance(content, dict):
            problems.append(RuleSetProblem("(archivo)", "debe contener un mapeo de claves", path.name))
            continue
        for key, value in content.items():
            if key in data:
                problems.append(RuleSetProblem(str(key), f"definida también en {origin[key]}", path.name))
                continue
            data[key] = value
            origin[key] = path.name
    return data, origin, problems


def _problems_from_validation(exc: ValidationError, origin: dict[str, str]) -> list[RuleSetProblem]:
    problems = []
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        path = ".".join(loc) or "(raíz)"
        file = origin.get(loc[0]) if loc else None
        problems.append(RuleSetProblem(path, err["msg"], file))
    return problems


def load_ruleset_dir(directory: Path) -> RuleSet:
    """Load and validate one rule-set directory; raise RuleSetError listing every problem."""
    data, origin, problems = _read_documents(directory)
    if problems:
        raise RuleSetError(problems)
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        raise RuleSetError(_problems_from_validation(exc, origin)) from None


def check_ruleset_dir(directory: Path) -> list[RuleSetProblem]:
    """Every problem of a rule-set directory (empty when it is valid)."""
    try:
        load_ruleset_dir(directory)
    except RuleSetError as exc:
        return exc.problems
    return []


@lru_cache(maxsize=16)
def _load_cached(directory: str, mtime_key: float) -> RuleSet:
    return load_ruleset_dir(Path(directory))


def _version_dirs(base: Path) -> list[str]:
    with os.scandir(base) as entries:
        return [e.path for e in entries if e.is_dir() and os.path.isfile(os.path.join(e.path, MANIFEST))]


def _mtime(directory: str) -> float:
    with os.scandir(directory) as entries:
        return max(e.stat().st_mtime for e in entries if e.name.endswith(".yaml") and e.is_file())


@lru_cache(maxsize=16)
def _sorted(versions: tuple[tuple[str, float], ...]) -> tuple[RuleSet, ...]:
    rulesets = [_load_cached(directory, mtime) for directory, mtime in versions]
    return tuple(sorted(rulesets, key=lambda r: (r.effective_from, r.version)))


# ------------------------------------------------------------------------- versions from amendments


@dataclass(frozen=True)
class RuleSetSource:
    """Where approved amendments come from (the amendments app, from its `AppConfig.ready()`).

    `stamp()` is cheap and changes whenever the approved amendments change; `amendments()` reads them. The
    versions they give are built once per stamp."""

    stamp: Callable[[], Hashable]
    amendments: Callable[[], Sequence[Amendment]]


_sources: dict[str, RuleSetSource] = {}
_sources_on: list[bool] = [True]


def ruleset_source_register(name: str, source: RuleSetSource) -> None:
    """Add the versions of `source`'s amendments to those of the shipped directory (a second registration
    under the same name replaces the first)."""
    _sources[name] = source


def ruleset_sources() -> dict[str, RuleSetSource]:
    return dict(_sources)


def ruleset_sources_on() -> bool:
    """Whether the registered sources are read now (see `ruleset_sources_enabled`)."""
    return bool(_sources and _sources_on[0])


def ruleset_sources_switch(enabled: bool) -> None:
    """Read the registered sources from now on (or stop): a command that finds no database goes on with the
    shipped versions."""
    _sources_on[0] = enabled


@contextmanager
def ruleset_sources_enabled(enabled: bool) -> Iterator[None]:
    """Read (or not) the registered sources inside the block: code that runs without a database — the pure
    commands, the tests that touch no database — sees the shipped directories alone."""
    previous = _sources_on[0]
    _sources_on[0] = enabled
    try:
        yield
    finally:
        _sources_on[0] = previous


@dataclass(frozen=True)
class _Amended:
    rulesets: tuple[RuleSet, ...]
    amendments: dict[str, Amendment]
    problems: dict[str, str]


def _build_amended(shipped: tuple[RuleSet, ...], amendments: Sequence[Amendment]) -> _Amended:
    """Each amendment applied to its base version (shipped, or an earlier amendment's); one that cannot be
    built (its base gone, its changes no longer valid) is left out and its problem kept."""
    known = {r.version: r for r in shipped}
    built: dict[str, Amendment] = {}
    problems: dict[str, str] = {}
    pending = sorted(amendments, key=lambda a: (a.effective_from, a.agreed_on, a.number))
    while pending:
        waiting = [a for a in pending if a.base_version not in known]
        for amendment in pending:
            if amendment.base_version not in known:
                continue
            try:
                known[amendment.version] = amendment_apply(known[amendment.base_version], amendment)
                built[amendment.version] = amendment
            except AmendmentError as exc:
                problems[amendment.version] = str(exc)
        if len(waiting) == len(pending):
            for amendment in waiting:
                problems[amendment.version] = f"no existe la versión base «{amendment.base_version}»"
            break
        pending = [a for a in waiting if a.version not in problems]
    rulesets = tuple(sorted(known.values(), key=lambda r: (r.effective_from, r.version)))
    return _Amended(rulesets, built, problems)


_amended_cache: dict[tuple[Hashable, ...], _Amended] = {}


def _with_sources(files: tuple[tuple[str, float], ...]) -> _Amended | None:
    if not (_sources and _sources_on[0]):
        return None
    sources = list(_sources.values())
    key = (files, *(source.stamp() for source in sources))
    found = _amended_cache.get(key)
    if found is None:
        amendments = [a for source in sources for a in source.amendments()]
        found = _build_amended(_sorted(files), amendments)
        _amended_cache.clear()  # one entry: the newest stamp
        _amended_cache[key] = found
    return found


def ruleset_amendment(version: str) -> Amendment | None:
    """The approved amendment that made `version` (None for a shipped version)."""
    amended = _with_sources(_files_key(rules_dir()))
    return amended.amendments.get(version) if amended else None


def ruleset_amendment_problems() -> dict[str, str]:
    """Approved amendments whose version could not be built, with why (for `filon rules list`)."""
    amended = _with_sources(_files_key(rules_dir()))
    return dict(amended.problems) if amended else {}


def _files_key(base: Path) -> tuple[tuple[str, float], ...]:
    return tuple((d, _mtime(d)) for d in sorted(_version_dirs(base)))


def available_rulesets(base: Path | None = None) -> list[RuleSet]:
    """Every rule-set version in `base`, oldest effective date first. Each call looks at the directories'
    files (a version added, a file edited: read again), with `os.scandir` rather than globbing — pages ask
    for their rule set several times per request. For the default directory the versions made by approved
    amendments (`ruleset_source_register`) join them, built once per source stamp."""
    files = _files_key(base or rules_dir())
    amended = _with_sources(files) if base is None else None
    return list(amended.rulesets if amended else _sorted(files))


def load_ruleset_for_date(as_of: date, base: Path | None = None) -> RuleSet:
    """The rule set in force on `as_of`: the latest whose effective date is on or before it."""
    in_force = [r for r in available_rulesets(base) if r.effective_from <= as_of]
    if not in_force:
        raise NoRuleSetInForce(f"No hay reglas de operación vigentes al {as_of:%d/%m/%Y}.")
    return in_force[-1]


def load_ruleset_version(version: str, base: Path | None = None) -> RuleSet:
    """A specific version, as a credit pinned at contracting asks for it."""
    for ruleset in available_rulesets(base):
        if ruleset.version == version:
            return ruleset
    raise NoRuleSetInForce(f"No existe la versión de reglas «{version}».")
