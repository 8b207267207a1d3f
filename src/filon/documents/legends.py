"""The legends a Mexican lender prints on what it gives the borrower (estado de cuenta, recibo), kept as data
in this one place; the templates print them in this order.

Sources: Ley para la Transparencia y Ordenamiento de los Servicios Financieros (art. 3, fr. III: the
definition of the CAT; art. 13 on estados de cuenta; art. 23: 90 días naturales from the fecha de corte to
ask for an aclaración), Banco de México's rules on the CAT (shown with one decimal, «para fines informativos
y de comparación», without IVA) and CONDUSEF's provisions on estados de cuenta (the Unidad Especializada de
Atención a Usuarios and CONDUSEF's own contact). Placeholders in braces are filled per document.
"""

from __future__ import annotations

from dataclasses import dataclass

from filon.core.daycount import DAY_COUNT_BASIS

CLARIFICATION_DAYS = 90  # LTOSF art. 23: días naturales from the fecha de corte


@dataclass(frozen=True)
class Legend:
    code: str
    text: str


CAT = Legend(
    "cat",
    "CAT (Costo Anual Total): costo anual total de financiamiento expresado en términos porcentuales anuales "
    "que, para fines informativos y de comparación, incorpora la totalidad de los costos y gastos inherentes "
    "al crédito. CAT de {cat} sin IVA, calculado el {cat_date} con la tabla de amortización vigente.",
)
INTEREST = Legend(
    "interest",
    "Los intereses ordinarios se calculan sobre el saldo insoluto del capital, multiplicándolo por la tasa "
    "anual aplicable dividida entre " + str(DAY_COUNT_BASIS) + " y por los días naturales efectivamente "
    "transcurridos; la tasa variable se revisa conforme al contrato. Los intereses moratorios se calculan "
    "sobre el capital vencido a {moratorium_factor} veces la tasa ordinaria, por los días de atraso.",
)
IVA = Legend(
    "iva",
    "Las comisiones se cobran con el Impuesto al Valor Agregado (IVA) que les corresponde, desglosado en "
    "los movimientos del periodo.",
)
PERIOD = Legend(
    "period",
    "Periodo del {period_from} al {period_to}; fecha de corte: {cut_date}; fecha de emisión: {issued}.",
)
CLARIFICATIONS = Legend(
    "clarifications",
    "Si tiene alguna aclaración sobre los movimientos de este estado de cuenta, puede presentarla dentro de "
    "los " + str(CLARIFICATION_DAYS) + " días naturales siguientes a la fecha de corte, por escrito o por "
    "el medio que haya pactado, en su gerencia regional ({office}) o ante la Unidad Especializada de "
    "Atención a Usuarios (UNE) de la institución; se le entregará acuse de recibo. Transcurrido ese plazo "
    "sin aclaración, los asientos de este estado de cuenta se tendrán por reconocidos.",
)
CONDUSEF = Legend(
    "condusef",
    "Comisión Nacional para la Protección y Defensa de los Usuarios de Servicios Financieros (CONDUSEF): "
    "teléfono 55 5340 0999, www.condusef.gob.mx. Consulte también el Buró de Entidades Financieras en "
    "www.buro.condusef.gob.mx.",
)
RECEIPT = Legend(
    "receipt",
    "Este recibo ampara el importe indicado, aplicado en el orden que establece su contrato: gastos y "
    "comisiones con su IVA, intereses moratorios, intereses ordinarios vencidos, capital vencido, intereses "
    "ordinarios exigibles y capital exigible. Conserve este recibo para cualquier aclaración.",
)
RECEIPT_CANCELLED = Legend(
    "receipt_cancelled",
    "CANCELADO: este pago fue reversado el {reversed_on} y su aplicación se deshizo; el recibo no ampara "
    "ningún importe.",
)

STATEMENT_LEGENDS: tuple[Legend, ...] = (PERIOD, CAT, INTEREST, IVA, CLARIFICATIONS, CONDUSEF)
RECEIPT_LEGENDS: tuple[Legend, ...] = (RECEIPT, CLARIFICATIONS, CONDUSEF)


def legends_text(legends: tuple[Legend, ...], **values: str) -> list[str]:
    """Each legend with its placeholders filled; a legend whose values are missing is left out."""
    shown = []
    for legend in legends:
        try:
            shown.append(legend.text.format(**values))
        except KeyError:
            continue
    return shown
