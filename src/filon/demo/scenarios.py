"""One scenario builder: a credit file walked from its applicant to a disbursed and paid loan, through the
same services the web, the API and the command line call — never by writing rows or statuses.

The demo portfolio, the tests' fixtures and the benchmarks all build with it. Each step is a small function
that takes the file and a `Crew` (who does what) and returns what the service returned; the longer walks
run through the shorter ones:

    file_open → requirements_satisfy → file_to_complete → file_to_analysis → file_to_proposed
      → file_authorize (a committee session: convene, vote, resolve, close; or the resolution alone)
      → file_to_formalized → file_to_ready → loan_open (commission, first disbursement) → installments_pay

A caller that needs a variant passes it: the day the documents are dated (`on`), how many of a stage's
documents to give (`limit`), a committee session or not (`committee`), a special program's own steps before
contracting and release (`steps`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from filon.accounts.models import RegionalOffice, Role, User
from filon.accounts.services import regional_offices_sync
from filon.applicants.models import Applicant
from filon.applicants.services import ApplicantData, applicant_create
from filon.committees.models import CommitteeSession, Decision, VoteChoice
from filon.committees.services import (
    agenda_add_file,
    resolution_record,
    session_attendance,
    session_close,
    session_convene,
    session_hold,
    vote_cast,
)
from filon.core.calendar import add_months, previous_business_day, today_mx
from filon.origination.models import CreditFile, RequirementItem
from filon.origination.services import (
    GuaranteeData,
    ProposalData,
    file_create,
    file_formalize,
    file_propose,
    file_ready_to_disburse,
    file_requirements_complete,
    file_resolve,
    file_signoff,
    file_start_analysis,
    guarantee_add,
    requirement_legal_opinion,
    requirement_review,
    requirement_upload,
)
from filon.rules.schema import Stage
from filon.servicing.models import Disbursement, Installment, InstallmentStatus, Loan, Payment
from filon.servicing.payments import payment_apply
from filon.servicing.release import (
    disbursement_capture,
    disbursement_release,
    reversal_approve,
    reversal_request,
)
from filon.servicing.services import commission_pay, loan_create_from_file

ZERO = Decimal(0)
PDF = b"%PDF-1.4\n% FIFOMI - expediente de demostracion (documento ilustrativo)\n%%EOF\n"
PLACE = "Sala de juntas de la Dirección de Crédito, Ciudad de México"
CONDITIONS = (
    "Seguro de los bienes en garantía con el FIFOMI como beneficiario preferente; "
    "comprobación del 100 % de los recursos dentro de los 90 días de la primera disposición."
)

# ----------------------------------------------------------------------------------------- the cast

DEMO_PASSWORD = "filon-demo-2026"  # demo data only; printed on purpose
# username, role, office code, first name, last name, committees
DEMO_USERS: list[tuple[str, str, str | None, str, str, list[str]]] = [
    ("admin", Role.ADMINISTRADOR, None, "Administración", "Filón", []),
    ("analista.zac", Role.ANALISTA, "ZAC", "Ana", "Robles", []),
    ("gerente.zac", Role.GERENTE_REGIONAL, "ZAC", "José Luis", "Bonilla", []),
    ("analista.hmo", Role.ANALISTA, "HMO", "Sofía", "Valenzuela", []),
    ("gerente.hmo", Role.GERENTE_REGIONAL, "HMO", "Ramiro", "Durazo", []),
    ("analista.chi", Role.ANALISTA, "CHI", "Daniela", "Terrazas", []),
    ("gerente.chi", Role.GERENTE_REGIONAL, "CHI", "Arturo", "Loya", []),
    ("juridico", Role.JURIDICO, None, "Julia", "Castañeda", []),
    ("riesgos", Role.RIESGOS, None, "Ramón", "Ibarra", []),
    ("secretario", Role.SECRETARIO_COMITE, None, "Sergio", "Méndez", ["comite_interno", "comite_externo"]),
    ("comite.marta", Role.MIEMBRO_COMITE, None, "Marta", "Salinas", ["comite_interno"]),
    ("comite.luis", Role.MIEMBRO_COMITE, None, "Luis", "Arreola", ["comite_interno", "comite_externo"]),
    ("comite.elena", Role.MIEMBRO_COMITE, None, "Elena", "Quiroz", ["comite_interno", "comite_externo"]),
    ("direccion", Role.DIRECCION, None, "Patricia", "Orozco", []),
]
COMMITTEE_MEMBERS = ("comite.marta", "comite.luis", "comite.elena")


@transaction.atomic
def demo_cast_create(*, only: Iterable[str] | None = None) -> dict[str, User]:
    """The regional offices of the rule set in force and the demo's logins (all of them, or the usernames in
    `only`), each with the shared demo password; by username. Idempotent: a login that exists is kept."""
    regional_offices_sync()
    wanted = None if only is None else set(only)
    hashed = None  # one hash of the shared demo password (a slow hash, computed once)
    users = {}
    for username, role, office, first, last, committees in DEMO_USERS:
        if wanted is not None and username not in wanted:
            continue
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": role,
                "office": RegionalOffice.objects.get(code=office) if office else None,
                "first_name": first,
                "last_name": last,
                "email": f"{username}@fifomi.example",  # the worklist's mails (the demo writes them to a folder)
                "committees": committees,
                "is_staff": role == Role.ADMINISTRADOR,
                "is_superuser": role == Role.ADMINISTRADOR,
            },
        )
        if created:
            hashed = hashed or make_password(DEMO_PASSWORD)
            user.password = hashed
            user.save(update_fields=["password"])
        users[username] = user
    return users


@dataclass(frozen=True)
class Crew:
    """Who moves a file: the office's analyst captures it, uploads its documents and proposes it, the reviewer
    approves them (the office's manager unless another is given), the manager signs the proposal off for the
    committee and releases it, legal gives its opinions and signs the contract, the committee's secretary
    records resolutions and its members vote."""

    analyst: User
    manager: User
    legal: User
    secretary: User | None = None
    members: tuple[User, ...] = ()
    reviewer: User | None = None

    @property
    def approver(self) -> User:
        return self.reviewer or self.manager


def demo_crew(users: dict[str, User], office: str) -> Crew:
    """The demo logins that move a file of `office` (ZAC, HMO, CHI) through to its loan."""
    return Crew(
        analyst=users[f"analista.{office.lower()}"],
        manager=users[f"gerente.{office.lower()}"],
        legal=users["juridico"],
        secretary=users.get("secretario"),
        members=tuple(users[name] for name in COMMITTEE_MEMBERS if name in users),
    )


# -------------------------------------------------------------------------------- applicant and file


def applicant_open(*, crew: Crew, data: ApplicantData) -> Applicant:
    return applicant_create(user=crew.analyst, data=data).obj


def file_open(
    *, crew: Crew, applicant: Applicant, proposal: ProposalData, guarantees: Iterable[GuaranteeData] = ()
) -> CreditFile:
    """A new credit file with its proposal (and the guarantees offered with it)."""
    file = file_create(user=crew.analyst, applicant=applicant, proposal=proposal)
    guarantees_add(file, crew=crew, guarantees=guarantees)
    return file


def guarantees_add(file: CreditFile, *, crew: Crew, guarantees: Iterable[GuaranteeData]) -> None:
    for data in guarantees:
        guarantee_add(user=crew.analyst, file=file, data=data)


def document_date(item: RequirementItem, on: date, today: date) -> date:
    """A document's date: `on`, unless that is older than its validity allows today."""
    if item.validity_months and on < add_months(today, -item.validity_months):
        return min(add_months(today, -item.validity_months) + timedelta(days=10), today)
    return min(on, today)


def requirements_satisfy(
    file: CreditFile, stage: Stage, *, crew: Crew, on: date | None = None, limit: int | None = None
) -> None:
    """Upload, approve and (where required) give the legal opinion for the stage's documents (the first
    `limit` of them), dated `on` (today by default)."""
    today = today_mx()
    on = on or today
    items = list(file.requirements.filter(stage=stage.value).order_by("number", "code"))
    for item in items[:limit]:
        upload = SimpleUploadedFile(f"{item.code.lower()}.pdf", PDF, content_type="application/pdf")
        requirement_upload(
            user=crew.analyst, item=item, uploaded=upload, document_date=document_date(item, on, today)
        )
        requirement_review(user=crew.approver, item=item, approve=True)
        if item.legal_review:
            requirement_legal_opinion(user=crew.legal, item=item, favorable=True)


def file_to_complete(file: CreditFile, *, crew: Crew, on: date | None = None) -> CreditFile:
    requirements_satisfy(file, Stage.AUTHORIZATION, crew=crew, on=on)
    return file_requirements_complete(user=crew.analyst, file=file)


def file_to_analysis(
    file: CreditFile, *, crew: Crew, on: date | None = None, guarantees: Iterable[GuaranteeData] = ()
) -> CreditFile:
    guarantees_add(file, crew=crew, guarantees=guarantees)
    file_to_complete(file, crew=crew, on=on)
    return file_start_analysis(user=crew.analyst, file=file)


def file_to_proposed(
    file: CreditFile,
    *,
    crew: Crew,
    on: date | None = None,
    guarantees: Iterable[GuaranteeData] = (),
    signoff: bool = True,
) -> CreditFile:
    """Analysed and proposed by the analyst, then (unless `signoff` is false) signed off by the office's
    regional manager, so it may go on a committee's agenda (four eyes: the two are different people)."""
    file_to_analysis(file, crew=crew, on=on, guarantees=guarantees)
    file = file_propose(user=crew.analyst, file=file)
    if not signoff:
        return file
    return file_signoff(user=crew.manager, file=file, note="Visto bueno de la gerencia regional.")


# --------------------------------------------------------------------------------------- committees

FAVOR, CONTRA, ABSTAIN = VoteChoice.FAVOR, VoteChoice.CONTRA, VoteChoice.ABSTENCION
VOTES = {  # how three members vote for each resolution
    Decision.AUTHORIZED: (FAVOR, FAVOR, FAVOR),
    Decision.REJECTED: (CONTRA, CONTRA, FAVOR),
    Decision.RETURNED: (FAVOR, ABSTAIN, ABSTAIN),
}


def _votes(decision: Decision, members: int) -> tuple[str, ...]:
    pattern = VOTES[decision]
    return tuple(pattern[i % len(pattern)] for i in range(members))


def committee_session(
    *,
    crew: Crew,
    committee: str,
    day: date,
    matters: Sequence[tuple[CreditFile, str, str]],
    conditions: str = CONDITIONS,
    place: str = PLACE,
    hold: bool = True,
) -> CommitteeSession:
    """Convene a session of `committee` on `day` with the crew's members present and the proposed files on
    its agenda; when held, every member votes and each matter is resolved as given (decision, observations;
    an authorization with `conditions`), then the minutes close it."""
    secretary = crew.secretary
    if secretary is None or not crew.members:
        raise ValueError("A committee session needs the crew's secretary and members.")
    session = session_convene(user=secretary, committee=committee, date=day, place=place)
    members = list(crew.members)
    session_attendance(user=secretary, session=session, members=members)
    items = [(agenda_add_file(user=secretary, session=session, file=f), d, o) for f, d, o in matters]
    if not hold:
        return session
    session_hold(user=secretary, session=session)
    for item, decision, observations in items:
        for member, vote in zip(members, _votes(Decision(decision), len(members)), strict=True):
            vote_cast(user=member, item=item, vote=vote)
        resolution_record(
            user=secretary,
            item=item,
            decision=decision,
            conditions=conditions if decision == Decision.AUTHORIZED else "",
            observations=observations,
        )
    return session_close(user=secretary, session=session)


def file_authorize(
    file: CreditFile,
    *,
    crew: Crew,
    on: date | None = None,
    conditions: str = "",
    committee: str | None = None,
) -> CreditFile:
    """A proposed file authorized on `on` (today by default). With `committee`, by a session of it (convened,
    voted, resolved and closed); without, the secretary records the committee's resolution on the file."""
    on = on or today_mx()
    if committee is not None:
        committee_session(
            crew=crew,
            committee=committee,
            day=on,
            matters=[(file, Decision.AUTHORIZED, "")],
            conditions=conditions,
        )
        file.refresh_from_db()
        return file
    if crew.secretary is None:
        raise ValueError("Recording a resolution needs the crew's secretary.")
    return file_resolve(
        user=crew.secretary, file=file, decision="authorized", resolved_on=on, conditions=conditions
    )


def file_to_authorized(
    file: CreditFile,
    *,
    crew: Crew,
    on: date | None = None,
    guarantees: Iterable[GuaranteeData] = (),
    conditions: str = "",
    committee: str | None = None,
) -> CreditFile:
    file_to_proposed(file, crew=crew, on=on, guarantees=guarantees)
    return file_authorize(file, crew=crew, on=on, conditions=conditions, committee=committee)


# ------------------------------------------------------------------------------ contract and release

# A special program's own steps due before a stage (contracting, pre-disbursement), recorded by the caller.
StageSteps = Callable[[CreditFile, Stage], object]


def file_to_formalized(
    file: CreditFile, *, crew: Crew, signed: date | None = None, steps: StageSteps | None = None
) -> CreditFile:
    """An authorized file's contracting documents given, its program steps done, the contract signed."""
    signed = signed or today_mx()
    requirements_satisfy(file, Stage.CONTRACTING, crew=crew, on=signed)
    if steps is not None:
        steps(file, Stage.CONTRACTING)
    return file_formalize(
        user=crew.legal, file=file, signed_on=signed, contract_number=f"FIFOMI-{file.folio}"
    )


def file_to_ready(
    file: CreditFile, *, crew: Crew, signed: date | None = None, steps: StageSteps | None = None
) -> CreditFile:
    """An authorized file formalized and with its pre-disbursement documents: ready to disburse."""
    file_to_formalized(file, crew=crew, signed=signed, steps=steps)
    if steps is not None:
        steps(file, Stage.PRE_DISBURSEMENT)
    requirements_satisfy(file, Stage.PRE_DISBURSEMENT, crew=crew, on=signed)
    return file_ready_to_disburse(user=crew.manager, file=file)


# ------------------------------------------------------------------------------------------- loans


def loan_open(
    file: CreditFile,
    *,
    crew: Crew,
    value_date: date | None = None,
    disburse: Decimal | None = None,
    disbursed_on: date | None = None,
) -> Loan:
    """The ready file's loan, its opening commission paid on `value_date` (today by default) and, with
    `disburse`, its first disbursement on `disbursed_on` (the same day by default)."""
    value_date = value_date or today_mx()
    loan = loan_create_from_file(user=crew.analyst, file=file)
    if loan.opening_commission + loan.opening_commission_iva > 0:
        loan = commission_pay(user=crew.analyst, loan=loan, value_date=value_date)
    if disburse is not None:
        loan_disburse(
            loan,
            amount=disburse,
            value_date=disbursed_on or value_date,
            captured_by=crew.analyst,
            released_by=crew.manager,
        )
    loan.refresh_from_db()
    return loan


@transaction.atomic
def loan_disburse(
    loan: Loan,
    *,
    amount: Decimal,
    value_date: date,
    captured_by: User,
    released_by: User,
    drawdown_days: int | None = None,
) -> Disbursement:
    """A ministración (a line's drawdown) as the office does it: `captured_by` captures the order and
    `released_by`, another user, releases it (`servicing.release`), in one transaction: a refused release
    leaves no captured order behind. Returns the posted disbursement."""
    order = disbursement_capture(
        user=captured_by, loan=loan, amount=amount, value_date=value_date, drawdown_days=drawdown_days
    )
    order = disbursement_release(user=released_by, order=order)
    assert order.disbursement is not None
    return order.disbursement


@transaction.atomic
def payment_reversal(payment: Payment, *, reason: str, requested_by: User, approved_by: User) -> Payment:
    """A payment's reversal as the office does it: `requested_by` asks for it with its reason and
    `approved_by`, another user, approves it (`servicing.release`). Returns the reversed payment."""
    row = reversal_request(user=requested_by, payment=payment, reason=reason)
    reversal_approve(user=approved_by, request=row)
    return Payment.objects.get(pk=payment.pk)


def loan_originate(
    *,
    crew: Crew,
    applicant: ApplicantData,
    proposal: ProposalData,
    guarantees: Iterable[GuaranteeData] = (),
    on: date | None = None,
    conditions: str = "",
    committee: str | None = None,
    disburse: Decimal | None = None,
) -> tuple[CreditFile, Loan]:
    """The whole walk on one day (today by default): a new applicant's file to its loan, disbursed."""
    on = on or today_mx()
    file = file_open(crew=crew, applicant=applicant_open(crew=crew, data=applicant), proposal=proposal)
    file_to_authorized(
        file, crew=crew, on=on, guarantees=guarantees, conditions=conditions, committee=committee
    )
    file_to_ready(file, crew=crew, signed=on)
    return file, loan_open(file, crew=crew, value_date=on, disburse=disburse)


# ---------------------------------------------------------------------------------------- payments


def installments_unpaid(loan: Loan, through: date) -> list[Installment]:
    """The loan's installments of its active schedule payable through `through` and not fully paid."""
    return list(
        Installment.objects.filter(loan=loan, version__active=True, payable__lte=through)
        .exclude(status=InstallmentStatus.PAID)
        .order_by("payable", "number")
    )


def installment_owed(row: Installment) -> Decimal:
    return (
        (row.principal - row.principal_paid)
        + (row.interest - row.interest_paid)
        + (row.moratorium_accrued - row.moratorium_paid)
    )


def installments_pay(
    loan: Loan,
    *,
    user: User,
    through: date,
    stop_after: int | None = None,
    on_payment: Callable[[Installment], Decimal] | None = None,
    after: date | None = None,
    key_prefix: str = "DEMO",
) -> int:
    """Pay each installment on its payment date, as a borrower who pays on time does, through `through`;
    `stop_after` leaves every later one unpaid; `on_payment(row)` adds an amount to prepay with it. An
    installment payable on or before `after` (a closed business day) is left as it is: it is late. Returns
    how many payments it applied."""
    paid = 0
    while True:
        rows = installments_unpaid(loan, through)
        if not rows or (stop_after is not None and paid >= stop_after):
            return paid
        row = rows[0]
        if after is not None and row.payable <= after:
            return paid
        extra = on_payment(row) if on_payment else ZERO
        key = f"{key_prefix}-{loan.number}-{row.number}-{row.payable:%Y%m%d}"
        if Payment.objects.filter(loan=loan, idempotency_key=key).exists():
            return paid  # paid before and still open (e.g. rates revised since): leave it
        payment_apply(
            user=user,
            loan=loan,
            amount=installment_owed(row) + extra,
            value_date=row.payable,
            idempotency_key=key,
            prepayment=extra > 0,
            notified_on=previous_business_day(previous_business_day(row.payable)) if extra > 0 else None,
        )
        loan.refresh_from_db()
        paid += 1
