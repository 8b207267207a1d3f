"""Who may take each step of a four-eyes operation on a loan's money (`servicing.release`), and the control
every four-eyes refusal cites."""

from __future__ import annotations

from filon.accounts.access import SEGREGATION_OF_DUTIES
from filon.accounts.models import Role

FOUR_EYES = f"{SEGREGATION_OF_DUTIES}: quien captura o solicita una operación no la autoriza"
"""The control every four-eyes refusal cites, word for word. Neither the Rules nor the specification state
it for money; it is the institution's internal-control principle the system enforces wherever a second
user must authorize (the amendments' «quien propone no aprueba», the committees' «separación de
funciones», `accounts.access.SEGREGATION_OF_DUTIES`, whose words it starts with): whoever captures a
disbursement or asks for a reversal cannot release or approve it."""

CAPTURERS = (Role.ANALISTA, Role.GERENTE_REGIONAL)
"""Who captures a disbursement order and asks for a reversal: the office's analyst or manager."""

RELEASERS = (Role.GERENTE_REGIONAL, Role.DIRECCION)
"""Who releases a disbursement order and approves a reversal: the regional manager of the loan's office
(a regional user only sees and acts on its office) or the central Dirección."""
