"""User administration pages (issue 16): the list with its filters, the new-user form, and a user's page with
the change form and the actions (deactivate, reactivate, reset the password, unlock). Only the administrador
role sees them, and never acts on their own account there (the services refuse it). The page where a user
sets a new password after a reset is here too: any signed-in user reaches it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from filon.accounts.access import require_role
from filon.accounts.admin_services import (
    ADMINISTER,
    password_change_own,
    user_admin_create,
    user_admin_unlock,
    user_change,
    user_deactivate,
    user_password_reset,
    user_reactivate,
)
from filon.accounts.models import RegionalOffice, Role, User
from filon.audit.services import audit_trail
from filon.errors import DomainError, NotFound
from filon.rules.schema import CommitteeCode
from filon.web.http import place_errors, web_view

PAGE_SIZE = 50
COMMITTEE_NAMES = {
    CommitteeCode.COMITE_INTERNO: "Comité Interno de Crédito",
    CommitteeCode.COMITE_EXTERNO: "Comité Externo de Crédito",
    CommitteeCode.COMITE_TECNICO: "Comité Técnico",
}


def _offices() -> Any:
    return RegionalOffice.objects.order_by("name")


class AssignmentForm(forms.Form):
    first_name = forms.CharField(label="Nombre(s)", max_length=150, required=False)
    last_name = forms.CharField(label="Apellidos", max_length=150, required=False)
    email = forms.EmailField(label="Correo electrónico", required=False)
    role = forms.ChoiceField(label="Rol", choices=Role.choices)
    office = forms.ModelChoiceField(
        label="Gerencia regional",
        queryset=_offices(),
        required=False,
        empty_label="— Ninguna (rol central) —",
        help_text="obligatoria para analistas y gerentes regionales; ninguna para los roles centrales",
    )
    committees = forms.MultipleChoiceField(
        label="Comités",
        choices=[(c.value, COMMITTEE_NAMES[c]) for c in CommitteeCode],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="sólo para miembros y secretarios de comité",
    )


class UserCreateForm(AssignmentForm):
    username = forms.CharField(label="Usuario", max_length=150)
    password = forms.CharField(
        label="Contraseña temporal",
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        help_text="el usuario la cambiará al entrar por primera vez",
    )
    field_order = ["username", "first_name", "last_name", "email", "role", "office", "committees", "password"]


class PasswordResetForm(forms.Form):
    password = forms.CharField(
        label="Contraseña temporal",
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        help_text="el usuario fijará una nueva al entrar",
    )


class PasswordChangeForm(forms.Form):
    current = forms.CharField(label="Contraseña actual", widget=forms.PasswordInput, strip=False)
    new = forms.CharField(label="Contraseña nueva", widget=forms.PasswordInput, strip=False)
    confirm = forms.CharField(label="Repita la contraseña nueva", widget=forms.PasswordInput, strip=False)


def _require_admin(request: HttpRequest) -> None:
    require_role(request.user, [Role.ADMINISTRADOR], ADMINISTER)


@web_view()
def user_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    users = User.objects.select_related("office").order_by("username")
    office = request.GET.get("office", "")
    role = request.GET.get("role", "")
    active = request.GET.get("active", "")
    if office == "ninguna":
        users = users.filter(office__isnull=True)
    elif office.isdigit():
        users = users.filter(office_id=int(office))
    if role in Role.values:
        users = users.filter(role=role)
    if active in {"si", "no"}:
        users = users.filter(is_active=active == "si")
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/users/list.html",
        {
            "page": page,
            "offices": _offices(),
            "roles": Role.choices,
            "filters": {"office": office, "role": role, "active": active},
        },
    )


@web_view(methods=("GET", "POST"))
def user_new(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_admin_create(
                actor=request.user,
                username=data["username"],
                password=data["password"],
                role=data["role"],
                office=data["office"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                committees=data["committees"],
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            messages.success(request, f"Usuario «{user.username}» creado; cambiará su contraseña al entrar.")
            return redirect("web:user", pk=user.pk)
    status = 422 if form.errors else 200
    return render(request, "web/users/new.html", {"form": form}, status=status)


def _user(pk: int) -> User:
    return get_object_or_404(User.objects.select_related("office"), pk=pk)


def _detail(
    request: HttpRequest,
    user: User,
    *,
    form: AssignmentForm | None = None,
    reset_form: PasswordResetForm | None = None,
    status: int = 200,
) -> HttpResponse:
    from axes.models import AccessAttempt

    form = form or AssignmentForm(
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "role": user.role,
            "office": user.office_id,
            "committees": user.committees,
        }
    )
    return render(
        request,
        "web/users/detail.html",
        {
            "subject": user,
            "form": form,
            "reset_form": reset_form or PasswordResetForm(),
            "is_self": user.pk == request.user.pk,
            "failed_logins": AccessAttempt.objects.filter(username=user.username).count(),
            "trail": audit_trail(user).select_related("user").order_by("-pk")[:20],
            "committee_names": COMMITTEE_NAMES,
        },
        status=status,
    )


@web_view(methods=("GET", "POST"))
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    user = _user(pk)
    if request.method == "GET":
        return _detail(request, user)
    form = AssignmentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            user_change(
                actor=request.user,
                user=user,
                role=data["role"],
                office=data["office"],
                committees=data["committees"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            messages.success(request, f"Usuario «{user.username}» actualizado.")
            return redirect("web:user", pk=user.pk)
    return _detail(request, user, form=form, status=422)


ACTIONS = {"desactivar", "reactivar", "restablecer", "desbloquear"}


@web_view(methods=("POST",))
def user_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _require_admin(request)
    if action not in ACTIONS:
        raise NotFound(f"Acción desconocida «{action}».")
    user = _user(pk)
    if action == "desactivar":
        user_deactivate(actor=request.user, user=user)
        messages.success(request, f"Usuario «{user.username}» desactivado; sus sesiones terminaron.")
    elif action == "reactivar":
        user_reactivate(actor=request.user, user=user)
        messages.success(request, f"Usuario «{user.username}» reactivado.")
    elif action == "desbloquear":
        cleared = user_admin_unlock(actor=request.user, user=user)
        messages.success(
            request, f"Cuenta «{user.username}» desbloqueada: {cleared} registro(s) de intentos borrados."
        )
    else:
        reset_form = PasswordResetForm(request.POST)
        if reset_form.is_valid():
            try:
                user_password_reset(
                    actor=request.user, user=user, password=reset_form.cleaned_data["password"]
                )
            except DomainError as exc:
                place_errors(reset_form, exc)
        if reset_form.errors:
            return _detail(request, user, reset_form=reset_form, status=422)
        messages.success(
            request, f"Contraseña de «{user.username}» restablecida; fijará una nueva al entrar."
        )
    return redirect("web:user", pk=user.pk)


@web_view(methods=("GET", "POST"))
def password_change(request: HttpRequest) -> HttpResponse:
    """The signed-in user sets a new password (required after a reset: the other pages send them here)."""
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = password_change_own(
                user=request.user, current=data["current"], new=data["new"], confirm=data["confirm"]
            )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            update_session_auth_hash(request, user)  # this session stays open; the others end
            messages.success(request, "Su contraseña quedó cambiada.")
            return redirect("home")
    status = 422 if form.errors else 200
    return render(request, "web/users/password_change.html", {"form": form}, status=status)
