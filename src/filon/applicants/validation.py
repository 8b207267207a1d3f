"""RFC and CURP checks with python-stdnum (a maintained validator).

A malformed RFC or CURP is refused; an RFC whose check digit fails is accepted with a warning, because
older RFCs issued by the SAT do not always carry a valid check digit.
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.mx import curp as curp_validator
from stdnum.mx import rfc as rfc_validator

from filon.errors import DomainError


@dataclass(frozen=True)
class RfcCheck:
    rfc: str
    check_digit_ok: bool
    warning: str | None


def check_rfc(raw: str, *, person_type: str) -> RfcCheck:
    value = rfc_validator.compact(raw or "")
    expected = 12 if person_type in ("moral", "ejido", "comunidad") else 13
    if len(value) != expected:
        kind = "persona moral, ejido o comunidad" if expected == 12 else "persona física"
        raise DomainError(
            f"El RFC de una {kind} tiene {expected} caracteres; «{raw}» tiene {len(value)}.", field="rfc"
        )
    try:
        rfc_validator.validate(value, validate_check_digits=True)
    except InvalidChecksum:
        return RfcCheck(
            value,
            False,
            "El dígito verificador del RFC no coincide; verifique la Cédula de Identificación Fiscal.",
        )
    except ValidationError:
        try:
            rfc_validator.validate(value, validate_check_digits=False)
        except ValidationError:
            raise DomainError(f"«{raw}» no tiene el formato de un RFC válido.", field="rfc") from None
        return RfcCheck(
            value,
            False,
            "El dígito verificador del RFC no coincide; verifique la Cédula de Identificación Fiscal.",
        )
    return RfcCheck(value, True, None)


def check_curp(raw: str) -> str:
    value = curp_validator.compact(raw or "")
    try:
        return str(curp_validator.validate(value, validate_check_digits=False))
    except ValidationError:
        raise DomainError(f"«{raw}» no es una CURP válida.", field="curp") from None
