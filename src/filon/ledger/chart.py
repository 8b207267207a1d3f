"""The chart of accounts of a development lender (catálogo de cuentas), one set per currency.

Amounts on postings are signed: debit positive, credit negative. `normal` is the side on which an
account's balance normally stands; balances shown to people are taken on that side.
"""

from __future__ import annotations

from typing import NamedTuple


class AccountSpec(NamedTuple):
    code: str
    name: str
    kind: str  # asset | liability | income | expense | memo
    normal: str  # debit | credit


BANCOS = "1101"
CARTERA_VIGENTE = "1301"
CARTERA_VENCIDA = "1302"
INTERESES_DEVENGADOS = "1303"
INTERESES_VENCIDOS = "1304"
INTERESES_MORATORIOS = "1305"
COMISIONES_POR_COBRAR = "1306"
IVA_TRASLADADO = "2101"
PAGOS_POR_APLICAR = "2102"
FONDOS_DE_GARANTIA = "2301"
INGRESOS_INTERESES = "5101"
INGRESOS_MORATORIOS = "5102"
COMISIONES_COBRADAS = "5103"
INGRESOS_FONDOS = "5104"
RECUPERACION_CASTIGADA = "5105"
QUEBRANTOS_CASTIGOS = "6101"
# Cuentas de orden: the written-off portfolio, kept as a memo pair that balances on its own.
CARTERA_CASTIGADA = "7101"
CARTERA_CASTIGADA_CONTRA = "7102"

CHART: tuple[AccountSpec, ...] = (
    AccountSpec(BANCOS, "Bancos", "asset", "debit"),
    AccountSpec(CARTERA_VIGENTE, "Cartera de crédito vigente — capital", "asset", "debit"),
    AccountSpec(CARTERA_VENCIDA, "Cartera de crédito vencida — capital", "asset", "debit"),
    AccountSpec(
        INTERESES_DEVENGADOS, "Intereses ordinarios devengados por cobrar (cartera vigente)", "asset", "debit"
    ),
    AccountSpec(INTERESES_VENCIDOS, "Intereses ordinarios de cartera vencida", "asset", "debit"),
    AccountSpec(INTERESES_MORATORIOS, "Intereses moratorios por cobrar", "asset", "debit"),
    AccountSpec(COMISIONES_POR_COBRAR, "Comisiones por cobrar", "asset", "debit"),
    AccountSpec(IVA_TRASLADADO, "IVA trasladado por pagar", "liability", "credit"),
    AccountSpec(PAGOS_POR_APLICAR, "Pagos por aplicar", "liability", "credit"),
    AccountSpec(FONDOS_DE_GARANTIA, "Fondos de garantía (aportaciones recibidas)", "liability", "credit"),
    AccountSpec(INGRESOS_INTERESES, "Ingresos por intereses ordinarios", "income", "credit"),
    AccountSpec(INGRESOS_MORATORIOS, "Ingresos por intereses moratorios", "income", "credit"),
    AccountSpec(COMISIONES_COBRADAS, "Comisiones cobradas", "income", "credit"),
    AccountSpec(INGRESOS_FONDOS, "Rendimientos de fondos de garantía", "income", "credit"),
    AccountSpec(RECUPERACION_CASTIGADA, "Recuperación de cartera castigada", "income", "credit"),
    AccountSpec(QUEBRANTOS_CASTIGOS, "Quebrantos por castigo de cartera de crédito", "expense", "debit"),
    AccountSpec(CARTERA_CASTIGADA, "Cartera de crédito castigada (cuentas de orden)", "memo", "debit"),
    AccountSpec(
        CARTERA_CASTIGADA_CONTRA,
        "Cartera de crédito castigada — contracuenta (cuentas de orden)",
        "memo",
        "credit",
    ),
)
CURRENCIES = ("MXN", "USD")
