"""Requests on a disbursed credit (restructuring, write-off) before a committee (Rules 15, 17.2 b, 17.3 b).

The request is routed by the loan's principal balance in USD at FIX (R-17), put on the agenda of that
committee, voted like a credit (whoever requested it may neither vote nor record the resolution), and the
resolution moves the request; the minutes record it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from filon.audit.models import AuditRecord
from filon.committees.models import AgendaItem, Resolution
from filon.committees.selectors import agenda_items_for_user, agenda_pending_loan_requests
from filon.committees.services import (
    agenda_add_loan_request,
    resolution_record,
    session_attendance,
    session_close,
    session_convene,
    session_hold,
    vote_cast,
)
from filon.core.calendar import MEXICO_CITY, today_mx
from filon.core.money import round_money
from filon.errors import Forbidden, TransitionRefused, ValidationFailed
from filon.origination.models import LoanRequest
from filon.origination.services import (
    loan_request_create,
    loan_request_mark_applied,
    loan_request_route,
    loan_request_withdraw,
)
from filon.rules import load_ruleset_for_date

pytestmark = pytest.mark.django_db

FROZEN_NOW = dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY)
FIX = Decimal("18.50")  # the `fix_rate` fixture's value


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(FROZEN_NOW, tick=False):
        yield


def bands():
    """The committee bands of the rule set in force (R-17), by code."""
    ruleset = load_ruleset_for_date(today_mx())
    return {c.code.value: c for c in ruleset.committees.committees}


def request_on(cast, file, *, kind="restructuring", balance="9000000", currency="MXN", user=None):
    return loan_request_create(
        user=user or cast.ana,
        file=file,
        loan_number="ZAC-2026-0001-01",
        kind=kind,
        currency=currency,
        principal_balance=Decimal(balance),
        as_of=today_mx(),
        reason="Caída temporal del precio del mineral; se propone ampliar el plazo.",
        proposal={"summary": "plazo 96 meses, gracia 6 meses, pagos mensuales"},
    )


def held_session(cast, committee="comite_interno"):
    return session_convene(user=cast.sergio, committee=committee, date=today_mx(), place="Sala de Consejo")


def put_to_vote(cast, session, request, members):
    item = agenda_add_loan_request(user=cast.sergio, session=session, request=request)
    session_attendance(user=cast.sergio, session=session, members=members)
    session_hold(user=cast.sergio, session=session)
    return item


# --------------------------------------------------------------------------------- routing


def _band_edges():
    """(currency, balance as a function of the bands, expected committee, rule) at each band's edges."""
    return [
        ("USD", lambda b: b["comite_interno"].max_exposure_usd, "comite_interno", "17.3"),
        ("USD", lambda b: b["comite_interno"].max_exposure_usd + Decimal("0.01"), "comite_externo", "17.2"),
        ("USD", lambda b: b["comite_externo"].max_exposure_usd, "comite_externo", "17.2"),
        ("USD", lambda b: b["comite_externo"].max_exposure_usd + Decimal("0.01"), "comite_tecnico", "17.1"),
        ("MXN", lambda b: b["comite_interno"].max_exposure_usd * FIX, "comite_interno", "17.3"),
        (
            "MXN",
            lambda b: b["comite_interno"].max_exposure_usd * FIX + Decimal("1"),
            "comite_externo",
            "17.2",
        ),
        ("MXN", lambda b: b["comite_externo"].max_exposure_usd * FIX, "comite_externo", "17.2"),
        (
            "MXN",
            lambda b: b["comite_externo"].max_exposure_usd * FIX + Decimal("1"),
            "comite_tecnico",
            "17.1",
        ),
        ("MXN", lambda b: Decimal("1000000"), "comite_interno", "17.3"),
    ]


@pytest.mark.parametrize(("currency", "balance", "committee", "rule"), _band_edges())
def test_a_request_is_routed_by_the_principal_balance_in_usd_at_fix(
    cast, credit_file, currency, balance, committee, rule
):
    """R-17 (17.3 b, 17.2 b): the principal balance, in USD at FIX, picks the committee band."""
    amount = balance(bands()).quantize(Decimal("0.01"))
    routed, routed_rule, usd, fx = loan_request_route(
        currency=currency, principal_balance=amount, as_of=today_mx()
    )
    assert (routed, routed_rule) == (committee, rule)
    assert fx == FIX
    request = request_on(cast, credit_file, balance=str(amount), currency=currency)
    assert (request.committee, request.committee_rule) == (committee, rule)
    assert request.principal_balance == amount
    assert (
        usd == request.principal_balance_usd == (amount if currency == "USD" else round_money(amount / FIX))
    )
    assert request.status == LoanRequest.Status.REQUESTED
    record = AuditRecord.objects.get(action="loan_request.create.restructuring")
    assert record.after["committee"] == committee


# ------------------------------------------------------------------------------------- happy paths


def test_a_restructuring_is_authorized_in_session_applied_and_in_the_minutes(cast, credit_file):
    request = request_on(cast, credit_file)
    assert list(agenda_pending_loan_requests("comite_interno")) == [request]
    session = held_session(cast)
    item = put_to_vote(cast, session, request, [cast.marta, cast.luis])
    assert list(agenda_pending_loan_requests("comite_interno")) == []
    assert list(agenda_items_for_user(user=cast.ana, session=session)) == [item]  # the office sees its matter
    assert list(agenda_items_for_user(user=cast.sofia, session=session)) == []  # another office does not
    vote_cast(user=cast.marta, item=item, vote="favor")
    vote_cast(user=cast.luis, item=item, vote="favor")
    with pytest.raises(ValidationFailed) as refused:
        resolution_record(user=cast.sergio, item=item, decision="returned")
    assert "puede ser: autorizado, rechazado" in refused.value.errors[0].message
    resolution = resolution_record(user=cast.sergio, item=item, decision="authorized")

    request.refresh_from_db()
    assert request.status == LoanRequest.Status.AUTHORIZED
    assert request.agreement_number == resolution.agreement_number == f"{session.number}/001"
    assert AuditRecord.objects.filter(action="loan_request.resolve", object_id=str(request.pk)).exists()

    loan_request_mark_applied(user=cast.ana, request=request)
    request.refresh_from_db()
    assert request.status == LoanRequest.Status.APPLIED
    assert request.applied_by == cast.ana

    minutes = session_close(user=cast.sergio, session=session).minutes
    for expected in (
        f"1. Solicitud de reestructura del crédito ZAC-2026-0001-01, expediente {credit_file.folio}",
        "Acreditado: Minera La Veta Madre, S.A. de C.V.",
        f"Saldo de capital al {today_mx():%d/%m/%Y}: $9,000,000.00 MXN",
        "Instancia: regla 17.3",
        "Condiciones propuestas: plazo 96 meses, gracia 6 meses, pagos mensuales",
        "Resolución: Autorizado",
    ):
        assert expected in minutes, expected


def test_a_write_off_request_goes_the_same_path_and_can_be_rejected(cast, credit_file):
    request = request_on(cast, credit_file, kind="write_off", balance="500000")
    assert request.get_kind_display() == "Castigo"
    session = held_session(cast)
    item = put_to_vote(cast, session, request, [cast.marta, cast.luis])
    vote_cast(user=cast.marta, item=item, vote="contra")
    vote_cast(user=cast.luis, item=item, vote="contra")
    resolution_record(user=cast.sergio, item=item, decision="rejected", observations="Agotar la cobranza.")
    request.refresh_from_db()
    assert request.status == LoanRequest.Status.REJECTED
    with pytest.raises(TransitionRefused) as info:
        loan_request_mark_applied(user=cast.ana, request=request)
    assert info.value.message == (
        "La solicitud está «rechazada»; sólo se aplica una solicitud autorizada por el comité."
    )
    minutes = session_close(user=cast.sergio, session=session).minutes
    assert "1. Solicitud de castigo del crédito ZAC-2026-0001-01" in minutes
    assert "Resolución: Rechazado" in minutes


# ---------------------------------------------------------------------------------------- refusals


def test_the_requester_may_neither_vote_nor_record_the_resolution(cast, credit_file):
    request = request_on(cast, credit_file, user=cast.gerardo)
    session = held_session(cast)
    cast.gerardo.role, cast.gerardo.committees = "miembro_comite", ["comite_interno"]
    cast.gerardo.save(update_fields=["role", "committees"])
    item = put_to_vote(cast, session, request, [cast.marta, cast.luis, cast.gerardo])
    with pytest.raises(Forbidden) as info:
        vote_cast(user=cast.gerardo, item=item, vote="favor")
    assert info.value.message == (
        "Quien integró, propuso o solicitó la solicitud de reestructura del crédito ZAC-2026-0001-01 "
        f"(expediente {credit_file.folio}) no puede votarlo (separación de funciones)."
    )
    # The requester is not counted among the votes still missing.
    vote_cast(user=cast.marta, item=item, vote="favor")
    vote_cast(user=cast.luis, item=item, vote="favor")
    resolution_record(user=cast.sergio, item=item, decision="authorized")
    assert LoanRequest.objects.get(pk=request.pk).status == LoanRequest.Status.AUTHORIZED


def test_a_withdrawn_request_is_a_stale_matter(cast, credit_file):
    request = request_on(cast, credit_file)
    session = held_session(cast)
    item = put_to_vote(cast, session, request, [cast.marta, cast.luis])
    vote_cast(user=cast.marta, item=item, vote="favor")
    vote_cast(user=cast.luis, item=item, vote="favor")
    loan_request_withdraw(user=cast.ana, request=request, reason="El acreditado se puso al corriente.")
    with pytest.raises(TransitionRefused) as info:
        resolution_record(user=cast.sergio, item=item, decision="authorized")
    assert info.value.message == (
        f"La solicitud de reestructura del crédito ZAC-2026-0001-01 (expediente {credit_file.folio}) está "
        "«retirada» y ya no puede resolverse; retírela del orden del día."
    )
    assert not Resolution.objects.filter(item=item).exists()


def test_a_request_for_another_committee_and_a_second_open_request_are_refused(cast, credit_file):
    big = request_on(cast, credit_file, balance="5000000", currency="USD")
    assert big.committee == "comite_externo"
    internal = held_session(cast)
    external = bands()["comite_externo"]
    with pytest.raises(TransitionRefused) as info:
        agenda_add_loan_request(user=cast.sergio, session=internal, request=big)
    assert info.value.message == (
        f"La solicitud de reestructura del crédito ZAC-2026-0001-01 (expediente {credit_file.folio}) "
        f"corresponde al {external.name} (regla {external.rule}); el Comité Interno de Crédito no tiene "
        "facultades para resolverlo."
    )
    assert info.value.rule == external.rule
    assert AgendaItem.objects.count() == 0
    with pytest.raises(TransitionRefused) as info:
        request_on(cast, credit_file)
    assert info.value.field == "kind"
    assert "Ya hay una solicitud de reestructura del crédito" in info.value.message
    # Another kind on the same credit is a different matter.
    assert request_on(cast, credit_file, kind="write_off").committee == "comite_interno"


def test_another_office_may_not_file_a_request(cast, credit_file):
    with pytest.raises(Forbidden) as info:
        request_on(cast, credit_file, user=cast.sofia)
    assert info.value.message == "El expediente pertenece a otra gerencia regional."
    assert LoanRequest.objects.count() == 0
