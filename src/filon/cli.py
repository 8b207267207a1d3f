"""`filon`: the single command-line entry point.

Domain verbs that need no database (`evaluate`, `schedule`, `rules`) run on the pure core directly.
Everything else — `migrate`, `createsuperuser`, and the project's own management commands (`rates`,
`close`, `ledger`, `demo`, `serve` …) — is handed to Django's command-line utility.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from filon.core.errors import InputError, InputErrors

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2


def _read_json(source: str, stdin: TextIO) -> Any:
    from filon.core.jsonin import MAX_JSON_BYTES, read_json

    if source == "-":
        text = stdin.read(MAX_JSON_BYTES + 1)
        name = "la entrada estándar"
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError("FILE", f"no existe el archivo {source}")
        try:
            with path.open(encoding="utf-8") as handle:
                text = handle.read(MAX_JSON_BYTES + 1)
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError("FILE", f"no se pudo leer {source}: {exc}") from None
        name = source
    return read_json(text, name=name)


def _emit(payload: Any, stdout: TextIO) -> None:
    json.dump(payload, stdout, ensure_ascii=False, indent=2)
    stdout.write("\n")


def _report_input_errors(exc: InputError | InputErrors, stderr: TextIO) -> int:
    errors = exc.errors if isinstance(exc, InputErrors) else [exc]
    for err in errors:
        stderr.write(f"Error: {err.describe()}\n")
    return EXIT_BAD_INPUT


def _cmd_evaluate(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    from filon.core.evaluation import evaluate_document

    result = evaluate_document(_read_json(args.file, stdin))
    _emit(result, stdout)
    return EXIT_OK


def _cmd_schedule(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    from filon.core.schedule_contract import schedule_document

    def stored_series(code: str) -> Any:
        # Only a floating rate without `rate_observations` reaches the market-data store (C-10).
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "filon.settings")
        import django

        django.setup()
        from filon.marketdata.selectors import rate_series_get

        return rate_series_get(code)

    _emit(schedule_document(_read_json(args.file, stdin), series_lookup=stored_series), stdout)
    return EXIT_OK


def _amendments_reachable(stderr: TextIO) -> None:
    """Approved amendments (SPEC I-10) live in the database: set Django up so the rule loader reads them;
    without a reachable database, say so and go on with the shipped versions."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "filon.settings")
    import django

    django.setup()
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError

    from filon.amendments.selectors import approved_stamp
    from filon.rules.loader import ruleset_sources_on, ruleset_sources_switch

    if not ruleset_sources_on():
        return
    try:
        approved_stamp()
    except (DatabaseError, ImproperlyConfigured) as exc:  # no database, or not migrated: shipped versions
        stderr.write(f"Aviso: sin base de datos ({exc.__class__.__name__}); sólo las versiones publicadas.\n")
        ruleset_sources_switch(False)


def _cmd_rules_list(stdout: TextIO) -> int:
    from filon.rules import available_rulesets
    from filon.rules.loader import ruleset_amendment, ruleset_amendment_problems

    for ruleset in available_rulesets():
        amendment = ruleset_amendment(ruleset.version)
        flag = ""
        if amendment is not None:
            flag = "\tmodificación ILUSTRATIVA (demostración)" if amendment.illustrative else "\tmodificación"
        stdout.write(
            f"{ruleset.version}\tvigente desde {ruleset.effective_from:%d/%m/%Y}\t{ruleset.source}{flag}\n"
        )
    for version, problem in ruleset_amendment_problems().items():
        stdout.write(f"{version}\tNO DISPONIBLE\t{problem}\n")
    return EXIT_OK


def _cmd_rules_diff(args: argparse.Namespace, stdout: TextIO) -> int:
    from filon.rules import load_ruleset_version
    from filon.rules.amend import diff_json, diff_lines, ruleset_diff

    diff = ruleset_diff(load_ruleset_version(args.a), load_ruleset_version(args.b))
    if args.json:
        _emit(diff_json(diff), stdout)
    else:
        stdout.write("\n".join(diff_lines(diff)) + "\n")
    return EXIT_OK


def _cmd_rules_amend(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    from filon.amendments.commands import rules_amend

    return rules_amend(args, stdin, stdout)


def _cmd_rules(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    from filon.rules import check_ruleset_dir, load_ruleset_for_date, load_ruleset_version

    if args.rules_command in ("list", "show", "diff", "amend"):
        _amendments_reachable(sys.stderr)
    if args.rules_command == "diff":
        return _cmd_rules_diff(args, stdout)
    if args.rules_command == "amend":
        return _cmd_rules_amend(args, stdin, stdout)
    if args.rules_command == "check":
        problems = check_ruleset_dir(Path(args.path))
        if not problems:
            stdout.write(f"Reglas válidas: {args.path}\n")
            return EXIT_OK
        for problem in problems:
            stdout.write(f"{problem.describe()}\n")
        stdout.write(f"{len(problems)} problema(s) en {args.path}\n")
        return EXIT_FINDINGS
    if args.rules_command == "show":
        if args.version:
            ruleset = load_ruleset_version(args.version)
        else:
            as_of = _parse_date(args.as_of, "--as-of") if args.as_of else _today()
            ruleset = load_ruleset_for_date(as_of)
        data = ruleset.model_dump(mode="json")
        if args.section:
            if args.section not in data:
                raise InputError("--section", f"sección desconocida; use una de: {', '.join(data)}")
            data = {"version": ruleset.version, args.section: data[args.section]}
        _emit(data, stdout)
        return EXIT_OK
    if args.rules_command == "list":
        return _cmd_rules_list(stdout)
    raise AssertionError(args.rules_command)


def _today() -> date:
    from filon.core.calendar import today_mx

    return today_mx()


def _parse_date(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InputError(field, f"«{raw}» no es una fecha AAAA-MM-DD") from None


class _SpanishParser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own errors exit 2, as bad input should
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"Error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _SpanishParser(
        prog="filon",
        description="Filón: créditos de primer piso conforme a las Reglas de Operación. "
        "Además de los verbos listados, acepta los comandos de administración de Django "
        "(migrate, createsuperuser, …).",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_SpanishParser)
    ev = sub.add_parser("evaluate", help="evalúa una propuesta de crédito (JSON) contra las reglas")
    ev.add_argument("file", help="archivo JSON, o - para la entrada estándar")
    sc = sub.add_parser("schedule", help="calcula la tabla de amortización (JSON)")
    sc.add_argument("file", help="archivo JSON, o - para la entrada estándar")
    ru = sub.add_parser("rules", help="muestra o valida las reglas de operación")
    rsub = ru.add_subparsers(dest="rules_command", required=True, parser_class=_SpanishParser)
    show = rsub.add_parser("show", help="imprime la versión vigente (o la pedida)")
    show.add_argument("--as-of", help="fecha AAAA-MM-DD (por omisión, hoy)")
    show.add_argument("--version", help="una versión concreta")
    show.add_argument("--section", help="sólo una sección (p. ej. products, guarantees)")
    check = rsub.add_parser("check", help="valida un directorio de reglas y lista cada problema")
    check.add_argument("path")
    rsub.add_parser(
        "list", help="lista las versiones disponibles (las de modificaciones aprobadas, marcadas)"
    )
    diff = rsub.add_parser(
        "diff", help="qué cambió de la versión A a la B, con el id de regla de cada cambio"
    )
    diff.add_argument("a", help="versión de partida")
    diff.add_argument("b", help="versión modificada")
    diff.add_argument("--json", action="store_true", help="salida JSON")
    am = rsub.add_parser(
        "amend",
        help="registra un acuerdo que modifica las reglas (YAML/JSON), o lo aprueba/rechaza otra persona",
    )
    am.add_argument("file", nargs="?", help="archivo YAML/JSON del acuerdo, o - para la entrada estándar")
    am.add_argument("--user", help="usuario que actúa (riesgos propone; otra persona aprueba)")
    am.add_argument("--approve", type=int, metavar="ID", help="aprueba la modificación ID")
    am.add_argument("--reject", type=int, metavar="ID", help="rechaza la modificación ID")
    am.add_argument("--reason", help="motivo del rechazo")
    am.add_argument("--list", action="store_true", help="lista las modificaciones y su estado")
    return parser


PURE_COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO, TextIO], int]] = {
    "evaluate": _cmd_evaluate,
    "schedule": _cmd_schedule,
    "rules": _cmd_rules,
}


COMMAND_ALIASES = {"business-date": "business_date"}
"""Management commands spelled as people type them (a module name cannot hold a hyphen)."""


def run(
    argv: Sequence[str],
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    args = _parser().parse_args(list(argv))
    try:
        return PURE_COMMANDS[args.command](args, stdin, stdout)
    except (InputError, InputErrors) as exc:
        return _report_input_errors(exc, stderr)
    except LookupError as exc:  # no rule set in force, unknown version, missing rate …
        stderr.write(f"Error: {exc}\n")
        return EXIT_BAD_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (e.g. `filon schedule x.json | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _main(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if (argv and argv[0] in PURE_COMMANDS) or not argv or argv[0] in {"-h", "--help"}:
        code = run(argv)
        if not argv or argv[0] in {"-h", "--help"}:
            sys.stdout.write("\nComandos de administración: filon help\n")
        return code
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "filon.settings")
    argv[0] = COMMAND_ALIASES.get(argv[0], argv[0])
    from django.core.management import execute_from_command_line

    execute_from_command_line(["filon", *argv])
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
