"""Shared setup of the money-moved-twice tests (not a conftest): loans built through the services, an API
caller with a token, and the books' check. Time is frozen on Wednesday 15/07/2026; a term loan (12 M MXN, 36
monthly payments, no grace) is disbursed on Monday 06/04/2026, so three installments are late by today (as in
tests/servicing/test_payments.py)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from io import StringIO
from typing import Any

import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client

from conftest import proposal_data, to_ready
from filon.core.calendar import MEXICO_CITY

TODAY = dt.date(2026, 7, 15)
DISBURSED = dt.date(2026, 4, 6)
AMOUNT = Decimal("12000000")
LINE = Decimal("5000000")


def frozen_today() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 7, 15, 11, 0, tzinfo=MEXICO_CITY), tick=False):
        yield


def pending_loan(cast, applicant, *, revolving: bool = False):
    """A loan of Zacatecas ready to disburse: a term loan, or a revolving line (avío revolvente, 30–180 days
    per drawdown). Its opening commission is not paid yet."""
    from filon.origination.services import file_create
    from filon.servicing.services import loan_create_from_file

    proposal = (
        proposal_data(
            credit_type="avio_revolvente",
            amount=LINE,
            investment_program=LINE,
            term_months=12,
            grace_months=0,
        )
        if revolving
        else proposal_data(term_months=36, grace_months=0)
    )
    file = file_create(user=cast.ana, applicant=applicant, proposal=proposal)
    to_ready(cast, file)
    return loan_create_from_file(user=cast.ana, file=file)


def commissioned_loan(cast, applicant, *, revolving: bool = False):
    from filon.servicing.services import commission_pay

    loan = pending_loan(cast, applicant, revolving=revolving)
    commission_pay(user=cast.ana, loan=loan, value_date=DISBURSED)
    loan.refresh_from_db()
    return loan


def disbursed_loan(cast, applicant):
    from filon.demo.scenarios import loan_disburse

    loan = commissioned_loan(cast, applicant)
    loan_disburse(
        captured_by=cast.ana, released_by=cast.gerardo, loan=loan, amount=AMOUNT, value_date=DISBURSED
    )
    loan.refresh_from_db()
    return loan


def token_for(user) -> str:
    from filon.accounts.services import api_token_create

    return api_token_create(actor=None, user=user, name="pruebas")[1]


def api_post(token: str, path: str, body: Any, key: str | None, client: Client | None = None):
    """POST /api/v1<path> with a Bearer token and (when given) an Idempotency-Key."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return (client or Client()).post(
        f"/api/v1{path}", data=json.dumps(body), content_type="application/json", **headers
    )


def books_clean() -> None:
    """Every invariant of the books holds, the loans' positions included, and `filon ledger check` says so."""
    from filon.ledger.services import ledger_check
    from filon.servicing.selectors import loan_positions

    assert ledger_check(loan_positions=loan_positions()) == []
    out = StringIO()
    call_command("ledger", "check", stdout=out)
    assert "Libros cuadrados" in out.getvalue()


def together(calls: list[Callable[[], Any]]) -> tuple[list[Any], list[BaseException]]:
    """Run the calls in as many threads at once (a barrier lets them go together); each thread closes its
    own database connection. Returns what they returned and what they raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            result = call()
            with lock:
                results.append(result)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
