"""The one way JSON comes in (the API's bodies, the documents `filon evaluate` and `filon schedule` read).

Python's `json` would recurse until a RecursionError on deep nesting, stop with a bare ValueError on an
integer literal past its 4,300-digit conversion limit, and accept lone surrogates (which no database or
terminal can encode), `NaN` and `Infinity`. Here each of those is an `InputError` on «(documento)» with a
Spanish message, as is a document over `max_bytes`.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from filon.core.errors import InputError

DOCUMENT = "(documento)"
MAX_JSON_BYTES = 4 * 1024 * 1024
"""The largest JSON document `filon evaluate` / `filon schedule` read (the API's limit is its body limit)."""
MAX_DEPTH = 64
"""The deepest nesting of arrays and objects a document may have; ours need fewer than ten levels."""
MAX_INTEGER_DIGITS = 40
"""The longest integer literal: every integer we read fits in far fewer digits."""

_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _depth(text: str) -> int:
    """The deepest nesting of `text`'s arrays and objects (brackets inside strings do not count)."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    if not brackets:
        return 0
    return max(accumulate(1 if c in "[{" else -1 for c in brackets))


def _integer(literal: str) -> int:
    digits = len(literal.lstrip("-"))
    if digits > MAX_INTEGER_DIGITS:
        raise InputError(
            DOCUMENT, f"contiene un número entero de {digits} dígitos; el máximo es {MAX_INTEGER_DIGITS}"
        )
    return int(literal)


def _constant(name: str) -> Any:
    raise InputError(DOCUMENT, f"«{name}» no es un número JSON válido")


def _lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_lone_surrogate(k) or _lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_lone_surrogate(v) for v in value)
    return False


def read_json(data: str | bytes, *, max_bytes: int = MAX_JSON_BYTES, name: str = "el cuerpo") -> Any:
    """Parse a JSON document, refusing what cannot safely be read with an InputError on «(documento)»."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise InputError(DOCUMENT, f"{name} pesa más de {max_bytes:,} bytes, el máximo admitido")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(DOCUMENT, f"{name} no está codificado en UTF-8") from None
    else:
        text = data
    if _depth(text) > MAX_DEPTH:
        raise InputError(DOCUMENT, f"{name} anida más de {MAX_DEPTH} niveles de listas u objetos")
    try:
        value = json.loads(text, parse_int=_integer, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise InputError(
            DOCUMENT,
            f"{name} no es JSON válido (error de sintaxis en la línea {exc.lineno}, columna {exc.colno})",
        ) from None
    except RecursionError:  # unreachable after the depth check; kept as the last line of defence
        raise InputError(DOCUMENT, f"{name} anida demasiados niveles de listas u objetos") from None
    except InputError:
        raise
    except ValueError as exc:  # e.g. a float literal Python cannot convert
        raise InputError(DOCUMENT, f"{name} no es JSON válido ({exc})") from None
    if _lone_surrogate(value):
        raise InputError(DOCUMENT, f"{name} contiene un carácter Unicode inválido (un sustituto aislado)")
    return value
