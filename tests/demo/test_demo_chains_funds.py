"""The demo portfolio's factoring chain and guarantee funds (filon.demo.chains, filon.demo.guarantee_funds):
an admitted EPO with three suppliers and discounted documents, some collected at maturity; funds with their
contributions, interest and a payout of a defaulted Cananea credit; the books and the funds check clean, and
the pages show them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from filon.accounts.models import User
from filon.demo.chains import EPO_RFC
from filon.demo.guarantee_funds import CANANEA_RFC
from filon.factoring.models import DocumentStatus, Epo, EpoStatus
from filon.funds.models import GuaranteeFund, MovementKind
from filon.funds.selectors import fund_balance, funds_check
from filon.ledger.services import ledger_check
from filon.servicing.models import Loan, LoanStatus
from filon.servicing.selectors import loan_positions

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_has_an_epo_with_suppliers_and_documents_and_funds_with_movements(client, capsys):
    call_command("demo", "load")
    out = capsys.readouterr().out
    assert "EPO Grupo Minero Zacatecano" in out
    assert "El FOCIR pagó" in out

    epo = Epo.objects.get(applicant__rfc=EPO_RFC)
    assert epo.status == EpoStatus.ADMITTED
    assert epo.adhesions.filter(active=True).count() == 3
    statuses = list(epo.documents.values_list("status", flat=True))
    assert statuses.count(DocumentStatus.COLLECTED) == 3
    assert statuses.count(DocumentStatus.DISCOUNTED) == 3
    assert statuses.count(DocumentStatus.UPLOADED) == 1
    for document in epo.documents.filter(status=DocumentStatus.COLLECTED).select_related("discount__loan"):
        assert document.discount.loan.status == LoanStatus.PAID_OFF
        assert document.discount.collected_on >= document.due_date

    funds = {fund.code: fund for fund in GuaranteeFund.objects.all()}
    assert set(funds) == {"FOCIR", "FOGAMICO", "FG-P2-ZAC"}
    focir = funds["FOCIR"]
    kinds = list(focir.movements.values_list("kind", flat=True))
    assert kinds == [MovementKind.CONTRIBUTION, MovementKind.INTEREST, MovementKind.PAYMENT]
    payout = focir.movements.get(kind=MovementKind.PAYMENT)
    assert payout.loan == Loan.objects.get(applicant__rfc=CANANEA_RFC)
    assert fund_balance(focir) == Decimal("6000000.00") - payout.amount
    assert focir.formalized_on is not None
    assert fund_balance(funds["FOGAMICO"]) == Decimal("16660000.00")
    assert funds["FG-P2-ZAC"].movements.count() == 2
    assert ledger_check(loan_positions=loan_positions()) == []
    assert funds_check() == []

    # The pages show them: the chain to its office's analyst, the funds to the Dirección.
    client.force_login(User.objects.get(username="analista.zac"))
    chains = client.get("/cadenas/").content.decode()
    assert "Grupo Minero Zacatecano" in chains
    page = client.get(f"/cadenas/{epo.pk}/").content.decode()
    for name in ("Perforaciones y Voladuras de Fresnillo", "Transportes de Mineral Sombrerete", "PVF-2044"):
        assert name in page
    client.force_login(User.objects.get(username="direccion"))
    listing = client.get("/fondos/").content.decode()
    assert all(code in listing for code in funds)
    statement = client.get(f"/fondos/{focir.pk}/")
    assert statement.status_code == 200
    assert payout.loan.number in statement.content.decode()
