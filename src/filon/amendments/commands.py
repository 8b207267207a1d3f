"""`filon rules amend` (SPEC I-10): propose an acuerdo from a YAML/JSON file, approve or reject one as
another person, or list them. Called by `filon.cli`, which has set Django up; bad input raises `InputError`
(exit 2, the field named), as every verb of the command does."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import TextIO

import yaml

from filon.accounts.models import User
from filon.amendments.models import Amendment
from filon.amendments.services import AmendmentData, amendment_approve, amendment_propose, amendment_reject
from filon.core.errors import InputError, InputErrors
from filon.errors import DomainError, ValidationFailed

EXIT_OK = 0
KEYS = {"number", "agreed_on", "body", "effective_from", "changes", "summary", "base_version", "illustrative"}


def _date(raw: object, field: str) -> date | None:
    if raw is None or isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise InputError(field, f"«{raw}» no es una fecha AAAA-MM-DD") from None


def rules_amend(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """Propose an acuerdo from a YAML/JSON file, approve or reject one (another user), or list them."""
    if args.list:
        for row in Amendment.objects.select_related("proposed_by", "decided_by").order_by("id"):
            flag = " [ILUSTRATIVA]" if row.illustrative else ""
            stdout.write(
                f"{row.pk}\t{row.number}\t{row.get_status_display()}\t{row.version}\t"
                f"en vigor desde {row.effective_from:%d/%m/%Y}\tpropuso {row.proposed_by.username}{flag}\n"
            )
        return EXIT_OK
    if not args.user:
        raise InputError("--user", "indique el usuario que actúa")
    user = User.objects.filter(username=args.user, is_active=True).first()
    if user is None:
        raise InputError("--user", f"no existe el usuario activo «{args.user}»")
    try:
        if args.approve or args.reject:
            row = Amendment.objects.filter(pk=args.approve or args.reject).first()
            if row is None:
                raise InputError("ID", f"no existe la modificación {args.approve or args.reject}")
            if args.approve:
                row = amendment_approve(user=user, amendment=row)
                stdout.write(
                    f"Acuerdo {row.number} aprobado: versión {row.version}, en vigor desde "
                    f"{row.effective_from:%d/%m/%Y}.\n"
                )
            else:
                row = amendment_reject(user=user, amendment=row, reason=args.reason or "")
                stdout.write(f"Acuerdo {row.number} rechazado.\n")
            return EXIT_OK
        if not args.file:
            raise InputError(
                "FILE", "indique el archivo YAML/JSON del acuerdo, --approve ID, --reject ID o --list"
            )
        path = Path(args.file)
        text = (
            stdin.read()
            if args.file == "-"
            else (path.read_text(encoding="utf-8") if path.is_file() else None)
        )
        if text is None:
            raise InputError("FILE", f"no existe el archivo {args.file}")
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError("FILE", f"YAML inválido: {exc}") from None
        if not isinstance(doc, dict):
            raise InputError(
                "FILE", "el acuerdo debe ser un mapeo (number, agreed_on, body, effective_from, changes)"
            )
        unknown = set(doc) - KEYS
        if unknown:
            raise InputError("FILE", f"claves desconocidas: {', '.join(sorted(map(str, unknown)))}")
        row = amendment_propose(
            user=user,
            data=AmendmentData(
                number=str(doc.get("number") or ""),
                agreed_on=_date(doc.get("agreed_on"), "agreed_on"),
                body=str(doc.get("body") or ""),
                effective_from=_date(doc.get("effective_from"), "effective_from"),
                changes=doc.get("changes"),
                summary=str(doc.get("summary") or ""),
                base_version=str(doc.get("base_version") or ""),
                illustrative=bool(doc.get("illustrative", False)),
            ),
        )
    except DomainError as exc:
        errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
        raise InputErrors(
            [InputError(e.field or "acuerdo", e.message + (f" ({e.rule})" if e.rule else "")) for e in errors]
        ) from None
    stdout.write(
        f"Acuerdo {row.number} propuesto (id {row.pk}): versión {row.version} sobre {row.base_version}. "
        "Debe aprobarlo otra persona: filon rules amend --approve "
        f"{row.pk} --user USUARIO\n"
    )
    return EXIT_OK
