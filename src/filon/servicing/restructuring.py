"""Restructuring of a disbursed credit (Rules 15; committee powers 17.2 b, 17.3 b; R-17).

A restructuring changes the term, the grace, the periodicity, the rate or the guarantees of a credit. It is
proposed with the new schedule previewed from the principal balance on the proposal date and the rules
engine's evaluation of the changed guarantees against the coverage rule on that balance
(`origination.services.restructuring_evaluate`); it goes as a `LoanRequest` to the committee with power over
the principal balance in USD at FIX; once the committee authorizes it, `restructuring_apply` stores the new
schedule as the loan's new version («Reestructura, acuerdo N») and the loan's new terms.

Readings recorded here:
- Nothing is capitalized. At the apply date D the loan is accrued through the day before; the new schedule
  spreads only the unpaid principal from D. The ordinary interest and the moratorium accrued and unpaid
  stay owed on the previous schedule's installments, exigible on their own payable dates: the period in
  progress is cut at D (its interest is what accrued through D − 1) and its unpaid principal, like that of
  the overdue installments, moves to the new schedule (so it earns no more moratorium).
- No money moves and the principal stays in its portfolio account: a restructured credit keeps its
  classification. One that was cartera vencida stays vencida until sustained payment (CNBV Criterio B-6,
  «pago sostenido»): the number of consecutive installments of the new schedule paid without delay comes
  from the rule set (`restructuring.sustained_payment`) by the new schedule's period; the daily close asks
  `sustained_payment_holds` before returning such a credit to cartera vigente.
- Revolving lines are not restructured here (their drawdowns have their own terms).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from filon.accounts.access import require_office, require_role
from filon.accounts.models import User
from filon.audit.services import audit_record, audited
from filon.core.calendar import MEXICO_CITY, today_mx
from filon.core.errors import InputError, InputErrors
from filon.core.rates import MissingRate
from filon.core.schedule import Schedule, schedule_build
from filon.errors import DomainError, TransitionRefused, ValidationFailed
from filon.idempotency.services import once, scope_of
from filon.origination.models import CreditFile, LoanRequest
from filon.origination.services import (
    GuaranteeData,
    guarantee_data_from_json,
    guarantee_data_json,
    loan_request_create,
    loan_request_mark_applied,
    restructuring_evaluate,
    restructuring_guarantees_apply,
)
from filon.rules import load_ruleset_for_date
from filon.rules.schema import Restructuring
from filon.servicing.accrual import loan_accrue
from filon.servicing.models import (
    Classification,
    Installment,
    InstallmentStatus,
    Loan,
    LoanStatus,
    Payment,
    PaymentStatus,
    ScheduleVersion,
)
from filon.servicing.services import REGIONAL, installment_row, loan_terms, lock_loan, schedule_store

ZERO = Decimal(0)
AMORTIZATIONS = ("equal_principal", "growing")
TERM_FIELDS = [
    "term_months",
    "grace_months",
    "payment_every_months",
    "amortization",
    "growth_rate",
    "spread",
    "fixed_rate",
    "maturity_date",
]


# ---------------------------------------------------------------------------------------- the terms


@dataclass(frozen=True)
class RestructuringTerms:
    """The proposed conditions. `spread` changes the margin over the loan's base rate, `fixed_rate` makes
    the rate fixed; neither keeps the rate as contracted. Guarantees: active ones to release, new ones."""

    term_months: int
    grace_months: int = 0
    payment_every_months: int = 1
    amortization: str = "equal_principal"
    growth_rate: Decimal | None = None
    spread: Decimal | None = None
    fixed_rate: Decimal | None = None
    release_guarantee_ids: tuple[int, ...] = ()
    new_guarantees: tuple[GuaranteeData, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {
            "term_months": self.term_months,
            "grace_months": self.grace_months,
            "payment_every_months": self.payment_every_months,
            "amortization": self.amortization,
            "growth_rate": None if self.growth_rate is None else str(self.growth_rate),
            "spread": None if self.spread is None else str(self.spread),
            "fixed_rate": None if self.fixed_rate is None else str(self.fixed_rate),
            "guarantees": {
                "release": list(self.release_guarantee_ids),
                "add": [guarantee_data_json(g) for g in self.new_guarantees],
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RestructuringTerms:
        def dec(name: str) -> Decimal | None:
            value = data.get(name)
            return None if value is None else Decimal(value)

        guarantees = data.get("guarantees", {})
        return cls(
            term_months=int(data["term_months"]),
            grace_months=int(data.get("grace_months", 0)),
            payment_every_months=int(data.get("payment_every_months", 1)),
            amortization=data.get("amortization", "equal_principal"),
            growth_rate=dec("growth_rate"),
            spread=dec("spread"),
            fixed_rate=dec("fixed_rate"),
            release_guarantee_ids=tuple(int(pk) for pk in guarantees.get("release", [])),
            new_guarantees=tuple(guarantee_data_from_json(g) for g in guarantees.get("add", [])),
        )

    def summary(self) -> str:
        """One line for the agenda and the minutes (Spanish)."""
        parts = [
            f"plazo {self.term_months} meses",
            f"gracia {self.grace_months} meses",
            f"pagos cada {self.payment_every_months} meses"
            if self.payment_every_months != 1
            else "pagos mensuales",
        ]
        if self.fixed_rate is not None:
            parts.append(f"tasa fija {self.fixed_rate * 100:.2f} %")
        elif self.spread is not None:
            parts.append(f"sobretasa {self.spread * 100:.2f} puntos")
        if self.release_guarantee_ids:
            parts.append(f"libera {len(self.release_guarantee_ids)} garantía(s)")
        if self.new_guarantees:
            parts.append(f"otorga {len(self.new_guarantees)} garantía(s) nueva(s)")
        return ", ".join(parts)


def _restructuring_rules(on: date) -> Restructuring:
    rules = load_ruleset_for_date(on).restructuring
    if rules is None:
        raise TransitionRefused("El conjunto de reglas en vigor no define las reestructuras.", field="rules")
    return rules


def _rule() -> str | None:
    """The id a restructuring's refusal cites (Rules 15), from the rule set in force today."""
    rules = load_ruleset_for_date(today_mx()).restructuring
    return rules.rule if rules is not None else None


def _validate(loan: Loan, terms: RestructuringTerms) -> None:
    errors: list[DomainError] = []
    if terms.term_months < 1:
        errors.append(DomainError("El plazo debe ser de al menos un mes.", field="term_months"))
    if terms.grace_months < 0 or terms.grace_months >= terms.term_months:
        errors.append(
            DomainError("La gracia debe ser menor que el plazo y no negativa.", field="grace_months")
        )
    if terms.amortization not in AMORTIZATIONS:
        errors.append(DomainError(f"Amortización desconocida «{terms.amortization}».", field="amortization"))
    if terms.amortization == "growing" and not terms.growth_rate:
        errors.append(
            DomainError("La amortización creciente requiere su tasa de crecimiento.", field="growth_rate")
        )
    if terms.spread is not None and terms.fixed_rate is not None:
        errors.append(DomainError("Proponga una sobretasa o una tasa fija, no ambas.", field="fixed_rate"))
    if terms.spread is not None and terms.spread < 0:
        errors.append(DomainError("La sobretasa no puede ser negativa.", field="spread"))
    if terms.fixed_rate is not None and terms.fixed_rate <= 0:
        errors.append(DomainError("La tasa fija debe ser mayor que cero.", field="fixed_rate"))
    if terms.spread is not None and not loan.base_series:
        errors.append(DomainError("El crédito no tiene tasa base: proponga una tasa fija.", field="spread"))
    if errors:
        raise ValidationFailed(errors)


def _with_terms(loan: Loan, terms: RestructuringTerms) -> Loan:
    """An unsaved copy of the loan carrying the proposed terms (what `loan_terms` reads)."""
    changed = copy.copy(loan)
    changed.term_months = terms.term_months
    changed.grace_months = terms.grace_months
    changed.payment_every_months = terms.payment_every_months
    changed.amortization = terms.amortization
    changed.growth_rate = terms.growth_rate if terms.amortization == "growing" else None
    if terms.fixed_rate is not None:
        changed.fixed_rate = terms.fixed_rate
    elif terms.spread is not None:
        changed.fixed_rate = None
        changed.spread = terms.spread
    return changed


def _schedule(loan: Loan, terms: RestructuringTerms, *, principal: Decimal, start: date) -> Schedule:
    """The new schedule by the engine's builder, from `principal` on `start`."""
    changed = _with_terms(loan, terms)
    try:
        return schedule_build(
            loan_terms(
                changed,
                principal=principal,
                start=start,
                term_months=terms.term_months,
                grace_months=terms.grace_months,
            )
        )
    except (InputError, InputErrors) as exc:
        errors = exc.errors if isinstance(exc, InputErrors) else [exc]
        raise ValidationFailed(
            [DomainError(e.message, field=e.field.split(".")[-1], rule=e.rule) for e in errors]
        ) from None
    except MissingRate as exc:
        raise ValidationFailed([DomainError(str(exc), field="base_series", rule=exc.rule)]) from None


def _file_of(loan: Loan) -> CreditFile:
    if loan.file_id is None:
        raise TransitionRefused(
            f"El crédito {loan.number} no tiene expediente de crédito: una reestructura o un castigo se "
            "solicita al comité sobre el expediente del crédito.",
            field="file",
            rule=_rule(),
        )
    assert loan.file is not None
    return loan.file


def _refuse_state(loan: Loan) -> None:
    if loan.status != LoanStatus.ACTIVE:
        raise TransitionRefused(
            f"El crédito está «{loan.get_status_display().lower()}»; sólo se reestructura un crédito "
            "vigente en administración.",
            field="status",
            rule=_rule(),
        )
    if loan.is_revolving:
        raise TransitionRefused(
            "Una línea revolvente no se reestructura por tabla: sus disposiciones tienen plazo propio.",
            field="is_revolving",
            rule=_rule(),
        )
    if loan.principal_balance <= 0:
        raise TransitionRefused(
            "El crédito no tiene saldo de capital.", field="principal_balance", rule=_rule()
        )


def _owed(loan: Loan) -> dict[str, Decimal]:
    rows = Installment.objects.filter(version__loan=loan, version__active=True).exclude(
        status=InstallmentStatus.PAID
    )
    interest = sum((r.interest_accrued - r.interest_paid for r in rows), ZERO)
    moratorium = sum((r.moratorium_accrued - r.moratorium_paid for r in rows), ZERO)
    return {"interest": max(interest, ZERO), "moratorium": max(moratorium, ZERO)}


# --------------------------------------------------------------------------------------- preview


def restructuring_preview(*, loan: Loan, terms: RestructuringTerms, on: date) -> dict[str, Any]:
    """What the committee sees: the new schedule from the principal balance on `on` (totals and rows),
    the engine's findings and coverage with the changed guarantees, what stays owed, and the CNBV
    sustained-payment condition if the credit is cartera vencida. Writes nothing."""
    _validate(loan, terms)
    file = _file_of(loan)
    principal = loan.principal_balance
    schedule = _schedule(loan, terms, principal=principal, start=on)
    evaluation = restructuring_evaluate(
        file=file,
        ruleset_version=loan.ruleset_version,
        as_of=on,
        principal_balance=principal,
        term_months=terms.term_months,
        grace_months=terms.grace_months,
        payment_every_months=terms.payment_every_months,
        release_guarantee_ids=terms.release_guarantee_ids,
        new_guarantees=terms.new_guarantees,
    )
    rules = _restructuring_rules(on)
    band = rules.installments_for(terms.payment_every_months)
    totals = schedule.totals
    findings = list(evaluation.get("findings", []))
    vencida = loan.classification == Classification.VENCIDA
    if vencida:
        findings.append(
            {
                "rule": rules.sustained_payment_rule,
                "severity": "info",
                "message": (
                    "El crédito está en cartera vencida y permanecerá en ella hasta que haya pago sostenido: "
                    f"{band.installments} amortización(es) consecutiva(s) de la nueva tabla pagada(s) sin "
                    "retraso."
                ),
            }
        )
    owed = _owed(loan)
    if owed["interest"] or owed["moratorium"]:
        findings.append(
            {
                "rule": rules.rule,
                "severity": "info",
                "message": (
                    "Los intereses ordinarios y moratorios devengados no se capitalizan: siguen exigibles en "
                    "sus fechas de pago."
                ),
            }
        )
    return {
        "as_of": on.isoformat(),
        "ruleset_version": loan.ruleset_version,
        "currency": loan.currency,
        "principal_balance": str(principal),
        "classification": loan.classification,
        "owed": {k: str(v) for k, v in owed.items()},
        "schedule": {
            "installments": len(schedule.installments),
            "first_payable": schedule.installments[0].payable.isoformat(),
            "maturity": schedule.maturity.isoformat(),
            "principal": str(totals.principal),
            "interest": str(totals.interest),
            "total": str(totals.payment),
            "rows": [
                {
                    "number": i.number,
                    "due": i.due.isoformat(),
                    "payable": i.payable.isoformat(),
                    "principal": str(i.principal),
                    "interest": str(i.interest),
                    "projected": i.projected,
                }
                for i in schedule.installments
            ],
        },
        "eligible": evaluation.get("eligible"),
        "coverage": evaluation.get("coverage"),
        "findings": findings,
        "sustained_payment": {
            "applies": vencida,
            "installments": band.installments,
            "rule": rules.sustained_payment_rule,
        },
    }


# --------------------------------------------------------------------------------------- propose


@transaction.atomic
def restructuring_propose(
    *, user: User, loan: Loan, terms: RestructuringTerms, reason: str, on: date | None = None
) -> LoanRequest:
    """Propose a restructuring to the committee with power over the principal balance (17.2 b, 17.3 b)."""
    require_role(user, REGIONAL, "proponer reestructuras")
    loan = lock_loan(loan)
    require_office(user, loan.office_id, "El crédito")
    file = _file_of(loan)
    _refuse_state(loan)
    on = on or today_mx()
    preview = restructuring_preview(loan=loan, terms=terms, on=on)
    return loan_request_create(
        user=user,
        file=file,
        loan_number=loan.number,
        kind=LoanRequest.Kind.RESTRUCTURING,
        currency=loan.currency,
        principal_balance=loan.principal_balance,
        as_of=on,
        reason=reason,
        proposal={**terms.as_json(), "summary": terms.summary()},
        evaluation=preview,
    )


# ----------------------------------------------------------------------------------------- apply


def _copy(row: Installment, version: ScheduleVersion, **changes: Any) -> Installment:
    values = {
        f.attname: getattr(row, f.attname)
        for f in Installment._meta.concrete_fields
        if f.attname not in ("id", "version_id")
    }
    values.update(changes)
    return Installment(version=version, **values)


def _settled(principal: Decimal, row: Installment, interest: Decimal) -> bool:
    return (
        row.principal_paid >= principal
        and row.interest_paid >= interest
        and (row.moratorium_paid >= row.moratorium_accrued)
    )


@transaction.atomic
def restructuring_apply(
    *,
    user: User,
    loan: Loan,
    request: LoanRequest,
    value_date: date | None = None,
    idempotency_key: str | None = None,
) -> Loan:
    """Apply an authorized restructuring on `value_date` (default today): once per key, under the loan's lock."""
    require_role(user, REGIONAL, "aplicar reestructuras")
    loan = lock_loan(loan)
    require_office(user, loan.office_id, "El crédito")
    on = value_date or today_mx()
    return once(
        operation="restructuring_apply",
        scope=scope_of(loan),
        key=idempotency_key,
        request={"request": request.pk, "value_date": on},
        user=user,
        what="otra aplicación de reestructura de este crédito",
        perform=lambda: _apply(user=user, loan=loan, request=request, on=on),
    )


def _apply(*, user: User, loan: Loan, request: LoanRequest, on: date) -> Loan:
    file = _file_of(loan)
    request = LoanRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
    if request.file_id != file.pk or request.kind != LoanRequest.Kind.RESTRUCTURING:
        raise TransitionRefused(
            f"La solicitud no es una reestructura del crédito {loan.number}.", field="request"
        )
    if request.status != LoanRequest.Status.AUTHORIZED:
        raise TransitionRefused(
            f"La reestructura está «{request.get_status_display().lower()}»; sólo se aplica una reestructura "
            "autorizada por el comité.",
            field="status",
            rule=request.committee_rule,
        )
    _refuse_state(loan)
    if on > today_mx():
        raise ValidationFailed(
            [DomainError("La fecha de aplicación no puede ser futura.", field="value_date")]
        )
    if loan.accrued_through is not None and on <= loan.accrued_through:
        raise TransitionRefused(
            f"Los intereses del crédito ya están devengados hasta el {loan.accrued_through:%d/%m/%Y}; la "
            "reestructura se aplica a partir del día siguiente.",
            field="value_date",
        )
    if request.resolved_at is not None and on < request.resolved_at.astimezone(MEXICO_CITY).date():
        raise TransitionRefused(
            "La reestructura no puede aplicarse antes de su autorización.", field="value_date"
        )
    terms = RestructuringTerms.from_json(request.proposal)
    _validate(loan, terms)
    rules = _restructuring_rules(on)
    loan_accrue(loan=loan, through=on - timedelta(days=1))
    loan.refresh_from_db()
    principal = loan.principal_balance
    schedule = _schedule(loan, terms, principal=principal, start=on)

    previous = loan.schedule_versions.get(active=True)
    rows = list(previous.installments.order_by("number"))
    paid_any = lambda r: r.principal_paid or r.interest_paid or r.moratorium_paid  # noqa: E731
    kept = [r for r in rows if r.start < on or paid_any(r)]
    agreement = request.agreement_number or str(request.pk)
    version = schedule_store(loan=loan, schedule=[], reason=f"Reestructura, acuerdo {agreement}", user=user)
    copies = []
    for row in kept:
        changes: dict[str, Any] = {"principal": row.principal_paid}
        if row.due > on and row.start < on:  # the period in progress is cut at the apply date
            changes["interest"] = max(row.interest_accrued, row.interest_paid)
            changes["due"] = on
        interest = changes.get("interest", row.interest)
        if _settled(row.principal_paid, row, interest):
            changes["status"] = InstallmentStatus.PAID
        copies.append(_copy(row, version, **changes))
    offset = max((r.number for r in kept), default=0)
    renumbered = [i._replace(number=i.number + offset) for i in schedule.installments]
    Installment.objects.bulk_create(
        copies + [installment_row(version=version, loan=loan, installment=i) for i in renumbered]
    )

    changed = _with_terms(loan, terms)
    with audited(
        user=user, action="loan.restructure", obj=loan, fields=TERM_FIELDS, office=loan.office
    ) as rec:
        for name in TERM_FIELDS[:-1]:
            setattr(loan, name, getattr(changed, name))
        loan.maturity_date = schedule.maturity
        loan.save(update_fields=TERM_FIELDS)
        rec.note = f"Reestructura, acuerdo {agreement}; tabla v{version.number}"
    restructuring_guarantees_apply(user=user, request=request)
    request = loan_request_mark_applied(user=user, request=request)
    vencida = loan.classification == Classification.VENCIDA
    band = rules.installments_for(terms.payment_every_months)
    request.application = {
        "value_date": on.isoformat(),
        "schedule_version": version.number,
        "first_installment": offset + 1,
        "classification": loan.classification,
        "sustained_payment_installments": band.installments,
        "sustained_payment_rule": rules.sustained_payment_rule,
    }
    request.sustained_payment_pending = vencida
    request.save(update_fields=["application", "sustained_payment_pending"])
    return loan


# ------------------------------------------------------------------ classification (CNBV B-6)


def sustained_payment_pending_loans(loan_ids: Sequence[int]) -> set[int]:
    """Of `loan_ids`, those restructured in cartera vencida whose sustained payment is not yet recorded."""
    if not loan_ids:
        return set()
    return set(
        LoanRequest.objects.filter(
            kind=LoanRequest.Kind.RESTRUCTURING,
            status=LoanRequest.Status.APPLIED,
            sustained_payment_pending=True,
            file__loan__in=list(loan_ids),
        ).values_list("file__loan", flat=True)
    )


def _paid_on(loan_id: int, since: date) -> dict[int, date]:
    """The date each installment number was last paid into, by the applied payments since `since`."""
    paid: dict[int, date] = {}
    payments = Payment.objects.filter(
        loan_id=loan_id, status=PaymentStatus.APPLIED, value_date__gte=since
    ).order_by("value_date", "pk")
    for payment in payments:
        for piece in payment.allocation:
            number = piece.get("installment")
            if number is not None:
                paid[int(number)] = payment.value_date
    return paid


def sustained_payment_run(loan_id: int, request: LoanRequest) -> int:
    """The longest run of consecutive installments of the restructured schedule paid in full without delay
    (paid on or before their payable date), CNBV B-6 «pago sostenido»."""
    app = request.application
    first = int(app.get("first_installment", 1))
    since = date.fromisoformat(app["value_date"])
    rows = Installment.objects.filter(loan_id=loan_id, version__active=True, number__gte=first).order_by(
        "number"
    )
    paid_on = _paid_on(loan_id, since)
    best = run = 0
    for row in rows:
        when = paid_on.get(row.number)
        if row.status == InstallmentStatus.PAID and when is not None and when <= row.payable:
            run += 1
            best = max(best, run)
        elif row.status == InstallmentStatus.PAID:
            run = 0  # paid late: the count starts again
        else:
            break
    return best


def sustained_payment_holds(loan_ids: Iterable[int], *, business_date: date, user: Any = None) -> set[int]:
    """Of `loan_ids` (cartera vencida with no days past due), those a restructuring still holds in cartera
    vencida. A loan that reached sustained payment is released: its request records it (audited)."""
    held: set[int] = set()
    requests = LoanRequest.objects.select_for_update(of=("self",)).filter(
        kind=LoanRequest.Kind.RESTRUCTURING,
        status=LoanRequest.Status.APPLIED,
        sustained_payment_pending=True,
        file__loan__in=list(loan_ids),
    )
    for request in requests.select_related("file__loan", "file__office"):
        loan_id = request.file.loan.pk  # type: ignore[attr-defined]
        required = int(request.application.get("sustained_payment_installments", 1))
        run = sustained_payment_run(loan_id, request)
        if run < required:
            held.add(loan_id)
            continue
        request.sustained_payment_pending = False
        request.application = {
            **request.application,
            "sustained_payment_on": business_date.isoformat(),
            "sustained_payment_run": run,
        }
        # an UPDATE by key, not `save`: inside the close's pipeline a row count is not reported back
        LoanRequest.objects.filter(pk=request.pk).update(
            sustained_payment_pending=False, application=request.application
        )
        audit_record(
            user=user,
            action="loan_request.sustained_payment",
            obj=request,
            after={"loan_number": request.loan_number, "run": run, "required": required},
            office=request.file.office,
            note=f"Pago sostenido ({request.application.get('sustained_payment_rule', '')})",
        )
    return held


def reversal_after_restructuring(*, payment: Payment) -> DomainError | None:
    """A payment recorded before a restructuring was applied is not reversed: the restructuring spread the
    principal it left unpaid over the new schedule (registered in `servicing.checks`)."""
    loan = payment.loan
    if loan.file_id is None:
        return None
    later = LoanRequest.objects.filter(
        file_id=loan.file_id,
        loan_number=loan.number,
        kind=LoanRequest.Kind.RESTRUCTURING,
        status=LoanRequest.Status.APPLIED,
        applied_at__gt=payment.created_at,
    ).first()
    if later is None:
        return None
    return TransitionRefused(
        f"El crédito se reestructuró después de este pago (acuerdo {later.agreement_number}); el pago ya no "
        "puede reversarse.",
        field="payment",
        rule=_rule(),
    )
