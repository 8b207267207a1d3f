"""Applicants (RFC, CURP, office by state), bad form input, and login lock-out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from axes.models import AccessAttempt
from django.utils import timezone

from conftest import applicant_data
from filon.applicants.forms import ApplicantForm
from filon.applicants.models import Applicant
from filon.applicants.selectors import applicant_get_for_user
from filon.applicants.services import applicant_create, bureau_record_add, group_assign
from filon.audit.models import AuditRecord
from filon.core.calendar import MEXICO_CITY
from filon.errors import Forbidden, NotFound, ValidationFailed
from filon.origination.forms import ProposalForm

pytestmark = pytest.mark.django_db


def test_office_is_assigned_from_the_state(cast):
    saved = applicant_create(user=cast.ana, data=applicant_data(state="AGU", municipality="Asientos"))
    assert saved.obj.office == cast.zac  # Aguascalientes is served by Zacatecas (Rules 4)
    assert saved.warnings == []
    assert AuditRecord.objects.filter(action="applicant.create", object_id=str(saved.obj.pk)).count() == 1


def test_a_regional_analyst_cannot_capture_for_another_office(cast):
    with pytest.raises(Forbidden) as exc:
        applicant_create(user=cast.sofia, data=applicant_data())
    assert exc.value.field == "state"
    assert Applicant.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"rfc": "MVM12031"}, "rfc", "12 caracteres"),
        ({"rfc": "1234567890123", "person_type": "fisica", "curp": "GODE561231HDFRRN09"}, "rfc", "formato"),
        ({"person_type": "fisica", "rfc": "GODE561231GR8", "curp": ""}, "curp", "obligatoria"),
        ({"person_type": "fisica", "rfc": "GODE561231GR8", "curp": "XXXX"}, "curp", "CURP"),
        ({"state": "ZZZ"}, "state", "ISO 3166-2:MX"),
        ({"activity": 99}, "activity", "Anexo I"),
        (
            {"annual_gross_income_mxn": None, "production_tons_month": None},
            "annual_gross_income_mxn",
            "ingresos",
        ),
    ],
)
def test_bad_applicant_data_is_refused_on_its_field(cast, changes, field, fragment):
    with pytest.raises(ValidationFailed) as exc:
        applicant_create(user=cast.ana, data=applicant_data(**changes))
    assert field in {e.field for e in exc.value.errors}
    assert any(fragment in e.message for e in exc.value.errors)
    assert Applicant.objects.count() == 0
    assert AuditRecord.objects.filter(action="applicant.create").count() == 0


def test_rfc_with_a_wrong_check_digit_is_accepted_with_a_warning(cast):
    saved = applicant_create(user=cast.ana, data=applicant_data(rfc="ABC680524P76"))
    assert saved.obj.rfc_check_digit_ok is False
    assert saved.warnings
    assert "dígito verificador" in saved.warnings[0]


def test_duplicate_rfc(cast, applicant):
    with pytest.raises(ValidationFailed, match="Ya existe"):
        applicant_create(user=cast.gerardo, data=applicant_data(name="Otra"))
    assert Applicant.objects.count() == 1


def test_applicants_of_another_office_do_not_exist(cast, applicant):
    assert applicant_get_for_user(user=cast.gerardo, applicant_id=applicant.pk) == applicant
    with pytest.raises(NotFound):
        applicant_get_for_user(user=cast.sofia, applicant_id=applicant.pk)


def test_bureau_keys_and_groups_feed_the_evaluation(cast, applicant):
    from conftest import proposal_data
    from filon.origination.services import file_create

    bureau_record_add(
        user=cast.ana, applicant=applicant, consulted_on=timezone.localdate(), prevention_keys=["41"]
    )
    group_assign(user=cast.ana, applicant=applicant, group_name="Grupo Minero del Norte")
    f = file_create(user=cast.ana, applicant=applicant, proposal=proposal_data())
    assert any(x["rule"] == "6" and "41" in x["message"] for x in f.evaluation["findings"])


def test_amount_with_letters_is_refused_on_the_field_in_spanish():
    form = ProposalForm(
        data={
            "program": "primer_piso",
            "credit_type": "refaccionario",
            "currency": "MXN",
            "amount": "12 millones",
            "investment_program": "14000000",
            "term_months": "84",
            "grace_months": "12",
            "payment_every_months": "1",
            "amortization": "equal_principal",
        }
    )
    assert not form.is_valid()
    assert list(form.errors) == ["amount"]
    assert "número" in form.errors["amount"][0]


def test_applicant_form_validates_and_builds_data():
    form = ApplicantForm(
        data={
            "person_type": "moral",
            "name": "Minera",
            "rfc": "MVM120315AB4",
            "state": "zac",
            "municipality": "Fresnillo",
            "activity": "21",
            "mining_class": "concesible",
            "sector": "industria",
            "employees": "cuarenta",
            "equity_mxn": "1000000",
            "postal_code": "9900",
        }
    )
    assert not form.is_valid()
    assert set(form.errors) == {"employees", "postal_code"}
    form = ApplicantForm(data={**form.data, "employees": "40", "postal_code": "99000"})
    assert form.is_valid(), form.errors
    data = form.to_data()
    assert (data.state, data.employees, data.equity_mxn) == ("ZAC", 40, Decimal("1000000"))


def test_login_locks_after_repeated_failures(client, cast, settings):
    """Throttled per account and address (django-axes; tests/security/test_login_throttle.py for the rest)."""
    settings.AXES_FAILURE_LIMIT = 3
    with time_machine.travel(dt.datetime(2026, 3, 3, 11, 0, tzinfo=MEXICO_CITY), tick=False) as clock:
        wrong = client.post("/entrar/", {"username": "ana.zac", "password": "mala"})
        for _ in range(2):
            client.post("/entrar/", {"username": "ana.zac", "password": "mala"})
            assert "_auth_user_id" not in client.session
        locked = client.post("/entrar/", {"username": "ana.zac", "password": "clave-de-prueba-123"})
        assert "_auth_user_id" not in client.session
        # the same page and message as a wrong password: the page does not tell that the account is locked
        assert locked.status_code == wrong.status_code == 200
        assert locked.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()
        assert "Usuario o contraseña incorrectos" in locked.content.decode()
        clock.shift(settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1))
        client.post("/entrar/", {"username": "ana.zac", "password": "clave-de-prueba-123"})
        assert client.session["_auth_user_id"] == str(cast.ana.pk)
    assert not AccessAttempt.objects.filter(username="ana.zac").exists()  # a success clears the failures


def test_sessions_expire_when_idle(settings):
    # renewed by use at most once a minute (filon.accounts.middleware; tests/accounts/test_sessions.py)
    assert "filon.accounts.middleware.SessionRefreshMiddleware" in settings.MIDDLEWARE
    assert settings.FILON_SESSION_REFRESH_SECONDS <= 60
    assert settings.SESSION_COOKIE_AGE <= 60 * 60
