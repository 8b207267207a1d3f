"""Reads on guarantee funds: balances (from the ledger), the coverage a program's credits require, the
fund statement. Funds are a central matter: direction, risk and administration read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from filon.accounts.access import require_role
from filon.accounts.models import Role, User
from filon.core.calendar import today_mx
from filon.core.money import ZERO, round_money
from filon.errors import NotFound
from filon.funds.models import FundKind, FundMovement, GuaranteeFund, MovementKind
from filon.ledger.services import fund_balances
from filon.rules import load_ruleset_for_date
from filon.rules.schema import GuaranteeFund as FundRule
from filon.rules.schema import ProgramCode
from filon.servicing.models import Loan, LoanStatus

FUND_READERS = (Role.DIRECCION, Role.RIESGOS, Role.ADMINISTRADOR)


def fund_list_for_user(*, user: User) -> QuerySet[GuaranteeFund]:
    require_role(user, FUND_READERS, "consultar los fondos de garantía")
    return GuaranteeFund.objects.select_related("loan")


def fund_get_for_user(*, user: User, fund_id: int) -> GuaranteeFund:
    found = fund_list_for_user(user=user).filter(pk=fund_id).first()
    if found is None:
        raise NotFound("No existe el fondo de garantía.")
    return found


def fund_balance(fund: GuaranteeFund, *, until: date | None = None) -> Decimal:
    return fund_balances([fund.pk], until=until).get(fund.pk, ZERO)


def program_fund_rules(program: str, *, on: date | None = None) -> list[FundRule]:
    """The program's guarantee-fund entries in the rule set in force on `on` (today by default)."""
    ruleset = load_ruleset_for_date(on or today_mx())
    found = ruleset.programs.get(ProgramCode(program))
    return list(found.guarantee_funds) if found is not None else []


def fund_rule(fund: GuaranteeFund) -> FundRule | None:
    """The rule-set entry a fund was created under (same program and kind)."""
    for entry in program_fund_rules(fund.program):
        if entry.kind == fund.kind:
            return entry
    return None


# ----------------------------------------------------------------------------------------------- coverage


@dataclass(frozen=True)
class Coverage:
    """A program's required fund (R-2.6 / P-2 2.4: a fraction of each new credit and of the outstanding
    balance at all times) against what its funds hold."""

    program: str
    rule: str
    fraction: Decimal
    base: Decimal  # contracted amount of the credits not yet disbursed + outstanding principal of the rest
    required: Decimal
    held: Decimal

    @property
    def shortfall(self) -> Decimal:
        return max(ZERO, self.required - self.held)

    @property
    def ratio(self) -> Decimal | None:
        """Held per peso of credit (0.5 : 1 is P-2's requirement)."""
        return (self.held / self.base).quantize(Decimal("0.0001")) if self.base else None


def program_coverage(program: str, *, extra: Decimal = ZERO) -> Coverage | None:
    """The coverage a program's credits require from its funds, or None when its rule set asks for no
    fraction of each credit. `extra` is principal about to be added (a disbursement on an active credit)."""
    entries = [e for e in program_fund_rules(program) if e.fraction_of_credit is not None]
    if not entries:
        return None
    entry = entries[0]
    assert entry.fraction_of_credit is not None
    loans = Loan.objects.filter(program=program, currency="MXN")
    pending = sum(loans.filter(status=LoanStatus.PENDING).values_list("contracted_amount", flat=True), ZERO)
    active = sum(loans.filter(status=LoanStatus.ACTIVE).values_list("principal_balance", flat=True), ZERO)
    base = pending + active + extra
    funds = GuaranteeFund.objects.filter(program=program, kind=entry.kind, active=True)
    held = sum(fund_balances(list(funds.values_list("pk", flat=True))).values(), ZERO)
    return Coverage(
        program=program,
        rule=entry.rule,
        fraction=entry.fraction_of_credit,
        base=base,
        required=round_money(entry.fraction_of_credit * base),
        held=held,
    )


# ---------------------------------------------------------------------------------------------- statement


@dataclass(frozen=True)
class FundStatement:
    fund: GuaranteeFund
    movements: list[FundMovement]
    totals: dict[str, Decimal]  # by MovementKind value
    balance: Decimal  # from the ledger
    coverage: Coverage | None


def fund_statement(*, user: User, fund: GuaranteeFund) -> FundStatement:
    require_role(user, FUND_READERS, "consultar los fondos de garantía")
    movements = list(fund.movements.select_related("loan", "entry").order_by("business_date", "id"))
    totals = {kind.value: ZERO for kind in MovementKind}
    for movement in movements:
        totals[movement.kind] += movement.amount
    return FundStatement(
        fund=fund,
        movements=movements,
        totals=totals,
        balance=fund_balance(fund),
        coverage=program_coverage(fund.program) if fund.kind != FundKind.PORTFOLIO_FIRST_LOSS else None,
    )


def funds_check() -> list[str]:
    """The funds' own invariants: each fund's movements agree with its ledger balance and none is below
    zero. An empty list means they hold."""
    breaches: list[str] = []
    balances = fund_balances()
    for fund in GuaranteeFund.objects.all():
        totals = {kind.value: ZERO for kind in MovementKind}
        for kind, amount in fund.movements.values_list("kind", "amount"):
            totals[kind] += amount
        expected = (
            totals[MovementKind.CONTRIBUTION] - totals[MovementKind.PAYMENT] - totals[MovementKind.REFUND]
        )
        actual = balances.get(fund.pk, ZERO)
        if expected != actual:
            breaches.append(f"fondo {fund.code}: movimientos {expected}, libro {actual}")
        if actual < 0:
            breaches.append(f"fondo {fund.code}: saldo negativo {actual}")
    return breaches


@dataclass(frozen=True)
class FundUsage:
    """What a fund has paid for defaulted credits (used) against what it holds (available, its ledger
    balance), with what came in and what was refunded."""

    fund: GuaranteeFund
    contributed: Decimal
    used: Decimal
    refunded: Decimal
    available: Decimal


def fund_usage(*, user: User) -> list[FundUsage]:
    """Used against available for every active fund, in the funds' order (direction, risk and
    administration only, like every read on funds)."""
    funds = list(fund_list_for_user(user=user).filter(active=True))
    totals: dict[int, dict[str, Decimal]] = {}
    rows = FundMovement.objects.filter(fund__in=funds).order_by().values_list("fund_id", "kind", "amount")
    for fund_id, kind, amount in rows:
        by_kind = totals.setdefault(fund_id, {})
        by_kind[kind] = by_kind.get(kind, ZERO) + amount
    balances = fund_balances([fund.pk for fund in funds])
    out = []
    for fund in funds:
        by_kind = totals.get(fund.pk, {})
        out.append(
            FundUsage(
                fund=fund,
                contributed=by_kind.get(MovementKind.CONTRIBUTION, ZERO),
                used=by_kind.get(MovementKind.PAYMENT, ZERO),
                refunded=by_kind.get(MovementKind.REFUND, ZERO),
                available=balances.get(fund.pk, ZERO),
            )
        )
    return out
