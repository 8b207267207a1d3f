"""Guarantee funds: creation from the rule set, contributions, the fund's interest, paying a defaulted credit,
refunding a miner's own contribution, and the what-if of a default scenario.

Money moves only through `filon.ledger.services`; every posting to 2301 «Fondos de garantía» carries its fund:
- contribution: Bancos ← Fondos de garantía (fund);
- the fund's interest: Bancos ← Rendimientos de fondos de garantía (5104, FIFOMI's income; P-2 2.5) — it
  never adds to the fund;
- a fund paying a defaulted credit: Fondos de garantía (fund) ← Bancos, then the payment itself goes through
  `servicing.payments.payment_apply` (Bancos ← receivables), so the engine's allocation (costs, moratorium,
  interest, principal; oldest installment first) is the one that applies the fund's money;
- refund of a miner's own contribution at payoff (P-2 2.5): Fondos de garantía (fund) ← Bancos.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Min, Q

from filon.accounts.access import require_role
from filon.accounts.models import Role, User
from filon.audit.services import audit_record, audited, snapshot
from filon.centavos import amount_check
from filon.core.allocation import Concept
from filon.core.calendar import add_months, today_mx
from filon.core.fund_whatif import Default, FundInput, WhatIf, fund_whatif
from filon.core.money import ZERO, cap_money, format_money, is_cents
from filon.errors import DomainError, NotFound, TransitionRefused, ValidationFailed
from filon.funds.models import Contributor, FundKind, FundMovement, GuaranteeFund, MovementKind
from filon.funds.selectors import (
    FUND_READERS,
    fund_balance,
    fund_rule,
    program_coverage,
    program_fund_rules,
)
from filon.idempotency.services import once, scope_of
from filon.ledger import chart
from filon.ledger.services import Line, entry_post, fund_balances, loan_balances, value_date_check
from filon.origination.models import CreditFile
from filon.rules import load_ruleset_for_date, load_ruleset_version
from filon.rules.schema import ProgramCode, Stage
from filon.servicing.accrual import loan_accrue
from filon.servicing.models import Installment, InstallmentStatus, Loan, LoanStatus, Payment
from filon.servicing.payments import active_installments, debts_owed, payment_apply
from filon.servicing.selectors import loan_payoff
from filon.servicing.services import lock_loan

FUND_OPERATORS = (Role.DIRECCION, Role.ADMINISTRADOR)
FUND_PAYERS = (Role.GERENTE_REGIONAL,)
MXN = "MXN"

CONTRIBUTION_KIND = "fondo_aportacion"
INTEREST_KIND = "fondo_rendimiento"
PAYMENT_KIND = "fondo_pago"
REFUND_KIND = "fondo_devolucion"


def _lock(fund: GuaranteeFund) -> GuaranteeFund:
    return GuaranteeFund.objects.select_for_update().get(pk=fund.pk)


def _amount_errors(amount: Decimal, fund: GuaranteeFund) -> None:
    amount_check(amount, field="amount", label="Importe", ruleset=load_ruleset_version(fund.ruleset_version))
    if not isinstance(amount, Decimal) or amount <= 0 or not is_cents(amount):
        raise ValidationFailed([DomainError("El importe debe ser positivo y en centavos.", field="amount")])


def _movement(
    *,
    user: User,
    fund: GuaranteeFund,
    kind: MovementKind,
    on: date,
    amount: Decimal,
    description: str,
    lines: Sequence[Line],
    loan: Loan | None = None,
    payment: Payment | None = None,
    entry_kind: str,
) -> FundMovement:
    entry = entry_post(
        kind=entry_kind,
        business_date=on,
        description=description,
        lines=lines,
        loan_id=loan.pk if loan else None,
        user=user,
    )
    movement = FundMovement.objects.create(
        fund=fund,
        kind=kind,
        business_date=on,
        amount=amount,
        entry=entry,
        loan=loan,
        payment=payment,
        description=description[:300],
        created_by=user,
    )
    audit_record(
        user=user,
        action=f"fund.{kind.value}",
        obj=fund,
        after={
            **snapshot(movement, ["kind", "business_date", "amount", "loan_id", "payment_id", "entry_id"]),
            "balance": str(fund_balance(fund)),
        },
        office=loan.office if loan else None,
    )
    return movement


# ------------------------------------------------------------------------------------------------ create


@transaction.atomic
def fund_create(
    *,
    user: User,
    code: str,
    name: str,
    program: str,
    contributor: str,
    state: str = "",
    loan: Loan | None = None,
    kind: str | None = None,
) -> GuaranteeFund:
    """A fund of a special program, under the program's guarantee-fund entry of the rule set in force."""
    require_role(user, FUND_OPERATORS, "dar de alta fondos de garantía")
    errors: list[DomainError] = []
    code = code.strip()
    if not code:
        errors.append(DomainError("La clave del fondo es obligatoria.", field="code"))
    elif GuaranteeFund.objects.filter(code=code).exists():
        errors.append(DomainError(f"Ya existe un fondo con la clave {code}.", field="code"))
    if not name.strip():
        errors.append(DomainError("El nombre del fondo es obligatorio.", field="name"))
    if program not in {p.value for p in ProgramCode}:
        errors.append(DomainError("Programa desconocido.", field="program"))
    if contributor not in Contributor.values:
        errors.append(DomainError("Aportante desconocido.", field="contributor"))
    if errors:
        raise ValidationFailed(errors)
    entries = [e for e in program_fund_rules(program) if kind is None or e.kind == kind]
    if not entries:
        raise TransitionRefused(
            "Las Reglas de Operación vigentes no prevén un fondo de garantía para este programa.",
            field="program",
        )
    entry = entries[0]
    if contributor == Contributor.MINER:
        if loan is None:
            raise ValidationFailed(
                [DomainError("La aportación propia de un minero es de un crédito: indíquelo.", field="loan")]
            )
        if entry.kind != FundKind.FIRST_LOSS_POOL:
            raise TransitionRefused(
                "Sólo el fondo de aportaciones del programa admite aportaciones propias de mineros.",
                field="contributor",
                rule=entry.rule,
            )
    if loan is not None and loan.program != program:
        raise ValidationFailed([DomainError("El crédito no es de este programa.", field="loan")])
    fund = GuaranteeFund.objects.create(
        code=code,
        name=name.strip(),
        program=program,
        kind=entry.kind,
        rule=entry.rule,
        ruleset_version=load_ruleset_for_date(today_mx()).version,
        contributor=contributor,
        state=state.strip().upper(),
        loan=loan if contributor == Contributor.MINER else None,
        created_by=user,
    )
    audit_record(user=user, action="fund.create", obj=fund, after=snapshot(fund))
    return fund


# ---------------------------------------------------------------------------------- formalization (P-3)


@transaction.atomic
def fund_formalization_record(
    *, user: User, fund: GuaranteeFund, formalized_on: date | None
) -> GuaranteeFund:
    """Record the date the fund was formalized: the program's term counts from it where the rule set says
    so (P-3 3.19, `Program.term`). A correction is audited like the first record."""
    require_role(user, FUND_OPERATORS, "registrar la formalización de fondos de garantía")
    if not isinstance(formalized_on, date):
        raise ValidationFailed([DomainError("Indique la fecha de formalización.", field="formalized_on")])
    if formalized_on > today_mx():
        raise ValidationFailed(
            [DomainError("La fecha de formalización no puede ser futura.", field="formalized_on")]
        )
    fund = _lock(fund)
    if fund.contributor == Contributor.MINER:
        raise TransitionRefused(
            "La aportación propia de un minero no es el fondo del programa: no se formaliza.",
            field="formalized_on",
        )
    with audited(user=user, action="fund.formalize", obj=fund, fields=["formalized_on"]):
        fund.formalized_on = formalized_on
        fund.save(update_fields=["formalized_on"])
    return fund


def program_term_refusal(program: str, on: date) -> TransitionRefused | None:
    """The refusal of a file of `program` on `on` outside the program's term counted from the formalization
    of its fund (P-3 3.19); None when the program has no such term or `on` is inside it."""
    spec = load_ruleset_for_date(on).programs.get(ProgramCode(program))
    if spec is None or spec.term is None:
        return None
    term = spec.term
    started = (
        GuaranteeFund.objects.filter(program=program, formalized_on__isnull=False)
        .exclude(contributor=Contributor.MINER)
        .aggregate(first=Min("formalized_on"))["first"]
    )
    if started is None:
        return TransitionRefused(
            f"El programa {spec.name} dura {term.months} meses desde la formalización de su fondo de "
            "garantía líquida, y esa fecha no está registrada: regístrela en el fondo del programa antes de "
            "tramitar expedientes.",
            rule=term.rule,
        )
    ends = add_months(started, term.months)
    if on < started:
        return TransitionRefused(
            f"El programa {spec.name} inicia con la formalización de su fondo el {started:%d/%m/%Y}.",
            rule=term.rule,
        )
    if on > ends:
        return TransitionRefused(
            f"El programa {spec.name} concluyó el {ends:%d/%m/%Y}: {term.months} meses desde la "
            f"formalización de su fondo ({started:%d/%m/%Y}).",
            rule=term.rule,
        )
    return None


def program_term_stage_check(*, file: CreditFile, stage: Stage, action: str) -> None:
    """Origination's stage check: a file goes to committee only within its program's term."""
    if stage == Stage.AUTHORIZATION:
        refusal = program_term_refusal(file.program, today_mx())
        if refusal is not None:
            raise refusal


def program_term_opening_check(*, program: str, on: date) -> None:
    """Origination's opening check: a new file of a program with a term opens only within it."""
    refusal = program_term_refusal(program, on)
    if refusal is not None:
        raise refusal


def program_term_authorization_check(*, file: CreditFile, on: date) -> None:
    """Origination's authorization check: a committee authorizes a file only within its program's term."""
    refusal = program_term_refusal(file.program, on)
    if refusal is not None:
        raise refusal


# ----------------------------------------------------------------------------------------- contributions


@transaction.atomic
def fund_contribute(
    *,
    user: User,
    fund: GuaranteeFund,
    amount: Decimal,
    on: date,
    description: str = "",
    idempotency_key: str | None = None,
) -> FundMovement:
    """A contribution deposited in FIFOMI's bank account: Bancos ← Fondos de garantía (fund). Once per key,
    decided under the fund's lock (`filon.idempotency.once`)."""
    require_role(user, FUND_OPERATORS, "registrar aportaciones a fondos de garantía")
    fund = _lock(fund)
    return once(
        operation="fund_contribute",
        scope=scope_of(fund),
        key=idempotency_key,
        request={"amount": amount, "on": on, "description": description},
        user=user,
        what="otra aportación a este fondo",
        perform=lambda: _contribution_post(
            user=user, fund=fund, amount=amount, on=on, description=description
        ),
    )


def _contribution_post(
    *, user: User, fund: GuaranteeFund, amount: Decimal, on: date, description: str
) -> FundMovement:
    _amount_errors(amount, fund)
    value_date_check(on, field="on")
    if not fund.active:
        raise TransitionRefused("El fondo está cerrado.", field="fund", rule=fund.rule)
    text = description.strip() or f"Aportación al fondo {fund.code}"
    return _movement(
        user=user,
        fund=fund,
        kind=MovementKind.CONTRIBUTION,
        on=on,
        amount=amount,
        description=text,
        entry_kind=CONTRIBUTION_KIND,
        lines=[
            Line(chart.BANCOS, amount, fund.currency),
            Line(chart.FONDOS_DE_GARANTIA, -amount, fund.currency, fund_id=fund.pk),
        ],
        loan=fund.loan,
    )


@transaction.atomic
def fund_interest_record(
    *, user: User, fund: GuaranteeFund, amount: Decimal, on: date, idempotency_key: str | None = None
) -> FundMovement:
    """The fund's interest belongs to FIFOMI (P-2 2.5): Bancos ← Rendimientos (5104); the fund keeps its
    balance. Once per key, decided under the fund's lock (`filon.idempotency.once`)."""
    require_role(user, FUND_OPERATORS, "registrar rendimientos de fondos de garantía")
    fund = _lock(fund)
    return once(
        operation="fund_interest",
        scope=scope_of(fund),
        key=idempotency_key,
        request={"amount": amount, "on": on},
        user=user,
        what="otro rendimiento de este fondo",
        perform=lambda: _interest_post(user=user, fund=fund, amount=amount, on=on),
    )


def _interest_post(*, user: User, fund: GuaranteeFund, amount: Decimal, on: date) -> FundMovement:
    _amount_errors(amount, fund)
    value_date_check(on, field="on")
    return _movement(
        user=user,
        fund=fund,
        kind=MovementKind.INTEREST,
        on=on,
        amount=amount,
        description=f"Rendimientos del fondo {fund.code} (ingreso del FIFOMI)",
        entry_kind=INTEREST_KIND,
        lines=[
            Line(chart.BANCOS, amount, fund.currency),
            Line(chart.INGRESOS_FONDOS, -amount, fund.currency, fund_id=fund.pk),
        ],
    )


# -------------------------------------------------------------------------------------- paying a default


def _fund_pays(
    *,
    user: User,
    fund: GuaranteeFund,
    loan: Loan,
    amount: Decimal,
    on: date,
    text: str,
    exposure: Decimal | None = None,
    prepayment: bool = False,
    notified_on: date | None = None,
) -> tuple[FundMovement, Payment]:
    """The fund's money to the credit: the fund's share of 2301 pays Bancos, then the payments engine
    applies it to the credit like any payment (its order, its ledger entry), keyed by the transfer."""
    transfer = entry_post(
        kind=PAYMENT_KIND,
        business_date=on,
        description=text,
        loan_id=loan.pk,
        user=user,
        lines=[
            Line(chart.FONDOS_DE_GARANTIA, amount, fund.currency, fund_id=fund.pk),
            Line(chart.BANCOS, -amount, fund.currency),
        ],
    )
    payment = payment_apply(
        user=user,
        loan=loan,
        amount=amount,
        value_date=on,
        idempotency_key=f"fondo:{fund.code}:{transfer.pk}",
        prepayment=prepayment,
        notified_on=notified_on,
    )
    movement = FundMovement.objects.create(
        fund=fund,
        kind=MovementKind.PAYMENT,
        business_date=on,
        amount=amount,
        exposure=exposure,
        entry=transfer,
        loan=loan,
        payment=payment,
        description=text,
        created_by=user,
    )
    return movement, payment


@transaction.atomic
def fund_cover_default(
    *, user: User, fund: GuaranteeFund, loan: Loan, on: date, idempotency_key: str | None = None
) -> FundMovement:
    """The fund pays what a defaulted credit owes on `on` (P-2 2.4, P-4 4.2: costs, moratorium, interest,
    principal, oldest first, through the payment engine) until the fund is exhausted. A portfolio first-loss
    fund (P-3, FOCIR) pays no more than its share of the portfolio's losses; a liquid guarantee in
    proportion to each credit (P-4) no more than that share of the credit. Once per key, decided under the
    fund's and the loan's locks (`filon.idempotency.once`)."""
    require_role(user, FUND_PAYERS, "aplicar fondos de garantía a créditos vencidos")
    fund = _lock(fund)
    locked = lock_loan(loan)
    if user.is_regional and user.office_id != locked.office_id:
        raise NotFound("No existe el crédito.")
    return once(
        operation="fund_cover_default",
        scope=scope_of(fund),
        key=idempotency_key,
        request={"loan": locked.pk, "on": on},
        user=user,
        what="otro pago de este fondo",
        perform=lambda: _cover_post(user=user, fund=fund, locked=locked, loan=loan, on=on),
    )


def _cover_post(*, user: User, fund: GuaranteeFund, locked: Loan, loan: Loan, on: date) -> FundMovement:
    rule = fund_rule(fund)
    cite = fund.rule
    if not fund.active:
        raise TransitionRefused("El fondo está cerrado.", field="fund", rule=cite)
    if locked.program != fund.program:
        raise TransitionRefused(
            f"El fondo {fund.code} cubre créditos del programa «{fund.get_program_display()}».",
            field="fund",
            rule=cite,
        )
    if fund.loan_id is not None and fund.loan_id != locked.pk:
        raise TransitionRefused(
            "La aportación propia de un minero sólo cubre su propio crédito.", field="fund", rule=cite
        )
    if locked.status != LoanStatus.ACTIVE:
        raise TransitionRefused(
            f"El crédito no admite pagos: está «{locked.get_status_display()}».", field="loan", rule=cite
        )
    loan_accrue(loan=locked, through=on)
    debts = debts_owed(active_installments(locked, unpaid_only=True), on)
    if not any(d.row.payable < on for d in debts):
        raise TransitionRefused(
            f"El crédito {locked.number} no tiene adeudos vencidos al {on:%d/%m/%Y}: el fondo paga créditos "
            "en incumplimiento.",
            field="loan",
            rule=cite,
        )
    owed = sum((d.amount for d in debts), ZERO)
    exposure = _exposure(locked)
    available = fund_balance(fund)
    paid_before = sum(fund.movements.filter(kind=MovementKind.PAYMENT).values_list("amount", flat=True), ZERO)
    if (
        fund.kind == FundKind.PORTFOLIO_FIRST_LOSS
        and rule is not None
        and rule.fraction_of_losses is not None
    ):
        losses = _portfolio_losses(fund, also=locked)
        available = min(available, max(ZERO, cap_money(rule.fraction_of_losses * losses) - paid_before))
    if fund.kind == FundKind.LIQUID_RATIO and rule is not None and rule.fraction_of_credit is not None:
        on_this = sum(
            fund.movements.filter(kind=MovementKind.PAYMENT, loan=locked).values_list("amount", flat=True),
            ZERO,
        )
        cap = cap_money(rule.fraction_of_credit * locked.contracted_amount)
        available = min(available, max(ZERO, cap - on_this))
    amount = min(available, owed)
    if amount <= 0:
        raise TransitionRefused(
            f"El fondo {fund.code} ya no tiene recursos para este crédito (saldo "
            f"{format_money(fund_balance(fund))}).",
            field="fund",
            rule=cite,
        )
    text = f"Pago del fondo {fund.code} al crédito vencido {locked.number}, {on:%d/%m/%Y}"
    movement, payment = _fund_pays(
        user=user, fund=fund, loan=locked, amount=amount, on=on, text=text, exposure=exposure
    )
    audit_record(
        user=user,
        action="fund.payment",
        obj=fund,
        after={
            **snapshot(movement, ["kind", "business_date", "amount", "loan_id", "payment_id", "entry_id"]),
            "allocation": payment.allocation,
            "balance": str(fund_balance(fund)),
        },
        office=locked.office,
    )
    loan.refresh_from_db()
    return movement


@transaction.atomic
def fund_cover_defaults(
    *, user: User, fund: GuaranteeFund, on: date, idempotency_key: str | None = None
) -> list[FundMovement]:
    """The fund pays the program's defaulted credits in the order they defaulted — the credit whose
    oldest unpaid installment fell due first, first (P-2 2.4, P-4 4.2) — each through `fund_cover_default`,
    until the fund is exhausted. A credit the fund can no longer pay (its per-credit or loss cap reached) is
    passed over for the next. A regional manager covers the credits of his office. Once per key, decided
    under the fund's lock: the same run again returns the movements of the first (`replayed`)."""
    require_role(user, FUND_PAYERS, "aplicar fondos de garantía a créditos vencidos")
    fund = _lock(fund)
    return once(
        operation="fund_cover_defaults",
        scope=scope_of(fund),
        key=idempotency_key,
        request={"on": on},
        user=user,
        what="otra aplicación de este fondo",
        perform=lambda: _cover_all(user=user, fund=fund, on=on),
    )


def _cover_all(*, user: User, fund: GuaranteeFund, on: date) -> list[FundMovement]:
    late = Installment.objects.filter(
        loan__program=fund.program,
        loan__status=LoanStatus.ACTIVE,
        version__active=True,
        payable__lt=on,
    ).exclude(status=InstallmentStatus.PAID)
    if fund.loan_id is not None:
        late = late.filter(loan_id=fund.loan_id)
    if user.is_regional:
        late = late.filter(loan__office_id=user.office_id)
    order = late.values("loan_id").annotate(since=Min("payable")).order_by("since", "loan_id")
    movements: list[FundMovement] = []
    for row in order:
        if fund_balance(fund) <= 0:
            break
        try:
            with transaction.atomic():
                movements.append(
                    fund_cover_default(user=user, fund=fund, loan=Loan.objects.get(pk=row["loan_id"]), on=on)
                )
        except TransitionRefused:
            continue
    return movements


def _portfolio_losses(fund: GuaranteeFund, *, also: Loan) -> Decimal:
    """The portfolio's realized losses for a first-loss fund: the exposure (principal, interest and
    moratorium owed) of every credit the fund has covered, taken at its first cover, plus the credit now in
    default."""
    losses = _prior_losses(fund)
    if not fund.movements.filter(kind=MovementKind.PAYMENT, loan=also).exists():
        losses += _exposure(also)
    return losses


def _exposure(loan: Loan) -> Decimal:
    return loan.principal_balance + loan.accrued_interest + loan.accrued_moratorium


# -------------------------------------------------------------------------------------- refund at payoff


@transaction.atomic
def fund_refund(
    *, user: User, fund: GuaranteeFund, on: date, idempotency_key: str | None = None
) -> FundMovement:
    """A miner's own contribution goes back to the miner when the credit is paid off (P-2 2.5):
    Fondos de garantía (fund) ← Bancos, and the fund closes. Once per key, under the fund's lock."""
    require_role(user, FUND_OPERATORS, "devolver aportaciones a fondos de garantía")
    fund = _lock(fund)
    return once(
        operation="fund_refund",
        scope=scope_of(fund),
        key=idempotency_key,
        request={"on": on},
        user=user,
        what="otra devolución de este fondo",
        perform=lambda: _refund_post(user=user, fund=fund, on=on),
    )


def _refund_post(*, user: User, fund: GuaranteeFund, on: date) -> FundMovement:
    if fund.contributor != Contributor.MINER or fund.loan is None:
        raise TransitionRefused(
            "Sólo la aportación propia de un minero se devuelve al liquidar su crédito.",
            field="fund",
            rule=fund.rule,
        )
    if not fund.active:
        raise TransitionRefused("La aportación ya fue devuelta.", field="fund", rule=fund.rule)
    loan = fund.loan
    if loan.status != LoanStatus.PAID_OFF:
        raise TransitionRefused(
            f"El crédito {loan.number} no está liquidado: la aportación se devuelve al liquidarlo.",
            field="loan",
            rule=fund.rule,
        )
    amount = fund_balance(fund)
    if amount <= 0:
        raise TransitionRefused("El fondo no tiene saldo que devolver.", field="fund", rule=fund.rule)
    movement = _movement(
        user=user,
        fund=fund,
        kind=MovementKind.REFUND,
        on=on,
        amount=amount,
        description=f"Devolución de la aportación del fondo {fund.code} al liquidar el crédito {loan.number}",
        entry_kind=REFUND_KIND,
        lines=[
            Line(chart.FONDOS_DE_GARANTIA, amount, fund.currency, fund_id=fund.pk),
            Line(chart.BANCOS, -amount, fund.currency),
        ],
        loan=loan,
    )
    fund.active = False
    fund.save(update_fields=["active"])
    return movement


@transaction.atomic
def fund_apply_to_last_installments(
    *, user: User, fund: GuaranteeFund, on: date, notified_on: date, idempotency_key: str | None = None
) -> FundMovement:
    """The other way out of a miner's own contribution (P-2 2.5): applied to the credit's last payments.
    The fund's money goes through `payment_apply` as a prepayment with its notice (9.2.6): what is owed
    today first, the rest to principal from the last installment back; the fund closes when it is empty.
    A contribution that covers the credit's payoff amount pays exactly that and settles (liquida) the
    credit; what is left of it goes back to the miner with `fund_refund`. Once per key, under the fund's
    lock."""
    require_role(user, FUND_PAYERS, "aplicar aportaciones de mineros a sus créditos")
    fund = _lock(fund)
    return once(
        operation="fund_apply_to_last",
        scope=scope_of(fund),
        key=idempotency_key,
        request={"on": on, "notified_on": notified_on},
        user=user,
        what="otra aplicación de esta aportación",
        perform=lambda: _apply_to_last_post(user=user, fund=fund, on=on, notified_on=notified_on),
    )


def _apply_to_last_post(*, user: User, fund: GuaranteeFund, on: date, notified_on: date) -> FundMovement:
    if fund.contributor != Contributor.MINER or fund.loan is None:
        raise TransitionRefused(
            "Sólo la aportación propia de un minero se aplica a los últimos pagos de su crédito.",
            field="fund",
            rule=fund.rule,
        )
    locked = lock_loan(fund.loan)
    if user.is_regional and user.office_id != locked.office_id:
        raise NotFound("No existe el crédito.")
    if not fund.active or locked.status != LoanStatus.ACTIVE:
        raise TransitionRefused(
            "La aportación ya no está en el fondo o el crédito no admite pagos.", field="fund", rule=fund.rule
        )
    loan_accrue(loan=locked, through=on)
    owed_now = sum((d.amount for d in debts_owed(active_installments(locked, unpaid_only=True), on)), ZERO)
    not_due = sum(
        (
            r.principal - r.principal_paid
            for r in active_installments(locked, unpaid_only=True)
            if r.payable > on
        ),
        ZERO,
    )
    payoff = loan_payoff(loan=locked, on=on).total
    available = fund_balance(fund)
    amount = payoff if available >= payoff else min(available, owed_now + not_due)
    if amount <= 0:
        raise TransitionRefused("El fondo no tiene saldo que aplicar.", field="fund", rule=fund.rule)
    text = f"Aportación del fondo {fund.code} aplicada a los últimos pagos del crédito {locked.number}"
    movement, payment = _fund_pays(
        user=user,
        fund=fund,
        loan=locked,
        amount=amount,
        on=on,
        text=text,
        prepayment=amount > owed_now,
        notified_on=notified_on,
    )
    if not fund_balance(fund):
        fund.active = False
        fund.save(update_fields=["active"])
    audit_record(
        user=user,
        action="fund.apply_to_last",
        obj=fund,
        after={
            **snapshot(movement, ["kind", "business_date", "amount", "loan_id", "payment_id", "entry_id"]),
            "allocation": payment.allocation,
        },
        office=locked.office,
    )
    return movement


# ----------------------------------------------------------------------------------------------- what-if


@dataclass(frozen=True)
class ScenarioDefault:
    loan: str  # the credit's number
    on: date


def fund_whatif_for_program(
    *, user: User, program: str, defaults: Sequence[ScenarioDefault]
) -> tuple[WhatIf, dict[str, Loan]]:
    """What the program's active funds would pay if these credits defaulted on these dates (in date
    order). Each credit owes by concept (moratorium, interest, principal) what its books show on the date
    (`_owed_on`); a miner's own contribution covers only its credit. Returns the
    outcome and the credits by number."""
    require_role(user, FUND_READERS, "simular el pago de los fondos de garantía")
    funds = list(GuaranteeFund.objects.filter(program=program, active=True).order_by("id"))
    balances = fund_balances([f.pk for f in funds])
    rules = {entry.kind: entry for entry in program_fund_rules(program)}
    inputs: list[FundInput] = []
    for fund in funds:
        entry = rules.get(fund.kind)
        paid = sum(fund.movements.filter(kind=MovementKind.PAYMENT).values_list("amount", flat=True), ZERO)
        portfolio = fund.kind == FundKind.PORTFOLIO_FIRST_LOSS and entry is not None
        inputs.append(
            FundInput(
                code=fund.code,
                balance=max(ZERO, balances.get(fund.pk, ZERO)),
                loss_fraction=entry.fraction_of_losses if portfolio and entry else None,
                prior_losses=_prior_losses(fund) if portfolio else ZERO,
                prior_paid=paid if portfolio else ZERO,
                credit_fraction=entry.fraction_of_credit
                if entry is not None and fund.kind == FundKind.LIQUID_RATIO
                else None,
            )
        )
    loans = {
        loan.number: loan
        for loan in Loan.objects.filter(number__in=[d.loan for d in defaults], program=program)
    }
    counted = set(
        FundMovement.objects.filter(
            fund__in=[f for f in funds if f.kind == FundKind.PORTFOLIO_FIRST_LOSS], kind=MovementKind.PAYMENT
        ).values_list("loan_id", flat=True)
    )
    scenario: list[Default] = []
    for item in defaults:
        loan = loans.get(item.loan)
        if loan is None:
            raise ValidationFailed(
                [DomainError(f"No existe el crédito {item.loan} en este programa.", field="defaults")]
            )
        own = [f.code for f in funds if f.loan_id is not None and f.loan_id != loan.pk]
        scenario.append(
            Default(
                loan=loan.number,
                on=item.on,
                owed=_owed_on(loan, item.on),
                funds=tuple(f.code for f in funds if f.code not in own),
                contracted=loan.contracted_amount,
                loss=ZERO if loan.pk in counted else None,
            )
        )
    return fund_whatif(inputs, scenario), loans


def _owed_on(loan: Loan, on: date) -> dict[Concept, Decimal]:
    """What a credit owes by concept on `on` as its books show it: the ledger's balances through that date
    for a past date, the current position for a later one (no projection of interest)."""
    if on >= today_mx():
        return {
            Concept.MORATORIUM_INTEREST: loan.accrued_moratorium,
            Concept.OVERDUE_INTEREST: loan.accrued_interest,
            Concept.OVERDUE_PRINCIPAL: loan.principal_balance,
        }
    books = loan_balances(loan.pk, until=on)
    return {
        Concept.MORATORIUM_INTEREST: max(ZERO, books.get(chart.INTERESES_MORATORIOS, ZERO)),
        Concept.OVERDUE_INTEREST: max(
            ZERO, books.get(chart.INTERESES_DEVENGADOS, ZERO) + books.get(chart.INTERESES_VENCIDOS, ZERO)
        ),
        Concept.OVERDUE_PRINCIPAL: max(
            ZERO, books.get(chart.CARTERA_VIGENTE, ZERO) + books.get(chart.CARTERA_VENCIDA, ZERO)
        ),
    }


def _prior_losses(fund: GuaranteeFund) -> Decimal:
    firsts: dict[int, Decimal] = {}
    for loan_id, exposure in (
        fund.movements.filter(kind=MovementKind.PAYMENT).order_by("id").values_list("loan_id", "exposure")
    ):
        firsts.setdefault(loan_id, exposure or ZERO)
    return sum(firsts.values(), ZERO)


# ----------------------------------------------------------- the cover before a write-off (`servicing.writeoff`)


def write_off_fund_cover(*, user: User, loan: Loan, on: date) -> Decimal:
    """Before a loan is written off, its program's guarantee funds pay what they would pay on its default
    (P-2 2.4, P-3, P-4 4.2), each through `fund_cover_default`: the miner's own contribution to this credit
    first, then the program's funds by code. A fund that may not pay (closed, exhausted, capped, nothing
    overdue) is passed over. Returns what the funds paid. Registered in `servicing.writeoff` by
    `FundsConfig.ready`; the caller holds the loan's lock and the transaction."""
    funds = GuaranteeFund.objects.filter(program=loan.program, currency=loan.currency, active=True).filter(
        Q(loan__isnull=True) | Q(loan=loan)
    )
    paid = ZERO
    for fund in sorted(funds, key=lambda f: (f.loan_id is None, f.code)):
        try:
            with transaction.atomic():
                paid += fund_cover_default(user=user, fund=fund, loan=loan, on=on).amount
        except TransitionRefused:
            continue
    return paid


# ------------------------------------------------------------------ the checks servicing asks (`servicing.checks`)


def coverage_refusal(*, loan: Loan, amount: Decimal) -> DomainError | None:
    """R-2.6 / P-2 2.4 (and P-4's liquid 0.33 : 1): a program whose rule set asks its funds for a fraction
    of each credit takes no new money out while its funds are short. Asked by every disbursement of a loan
    (registered in `servicing.checks` by `FundsConfig.ready`)."""
    if loan.currency != MXN:
        return None
    # Lock the program's funds: two disbursements of the program are checked one after the other.
    list(
        GuaranteeFund.objects.select_for_update().filter(program=loan.program, active=True).values_list("pk")
    )
    coverage = program_coverage(loan.program, extra=amount if loan.status == LoanStatus.ACTIVE else ZERO)
    if coverage is None or not coverage.shortfall:
        return None
    return TransitionRefused(
        f"El fondo de garantía del programa no alcanza: se requieren {format_money(coverage.required)} "
        f"({coverage.fraction * 100:.0f} % de los créditos por disponer y del saldo), hay "
        f"{format_money(coverage.held)}; faltan {format_money(coverage.shortfall)}.",
        field="fund",
        rule=coverage.rule,
    )


def fund_payment_reversal_refusal(*, payment: Payment) -> DomainError | None:
    """A payment a guarantee fund made is undone with the fund, not reversed as the borrower's (asked by
    `servicing.payments.payment_reversal_check`, registered in `servicing.checks` by `FundsConfig.ready`)."""
    movement = FundMovement.objects.filter(payment=payment).select_related("fund").first()
    if movement is None:
        return None
    return TransitionRefused(
        f"El pago lo hizo el fondo de garantía {movement.fund.code}; no se reversa como un pago del "
        "acreditado.",
        field="payment",
        rule=movement.fund.rule,
    )
