from typing import Any

from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import privacy, services
from accounts.adapters import INVITATION_SESSION_KEY, set_language_cookie
from accounts.forms import (
    AccessRequestApprovalForm,
    AccessRequestForm,
    ErasureRequestForm,
    MembershipRoleForm,
    OrganizationProfileForm,
    PartnerInvitationForm,
    ProfileForm,
    StaffInvitationForm,
    StaffOrganizationProfileForm,
)
from accounts.models import AccessRequest, ErasureRequest, Invitation, Membership, User
from catalog.models import Organization
from exchange.errors import ApplicationError


def _signed_in(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - behind login_required
    return user


def _require_staff(request: HttpRequest) -> User:
    user = _signed_in(request)
    if not user.is_programme_staff:
        raise PermissionDenied
    return user


def _add_errors(form: forms.BaseForm, error: ApplicationError) -> None:
    fields = error.extra.get("fields") or {}
    if fields:
        for field, field_errors in fields.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.message)


# Profile


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = _signed_in(request)
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=user.pk))
    if request.method == "POST" and form.is_valid():
        services.user_profile_update(user=user, **form.cleaned_data)
        messages.success(request, _("Your profile was saved."))
        response = redirect("accounts:profile")
        if user.preferred_language:
            set_language_cookie(response, user.preferred_language)
        return response
    memberships = user.memberships.select_related("organization").order_by("organization__name")
    return render(request, "accounts/profile.html", {"form": form, "memberships": memberships})


# Access requests


@require_http_methods(["GET", "POST"])
def request_access(request: HttpRequest) -> HttpResponse:
    form = AccessRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            if not ratelimit.consume(request, action="request_access", key=data["email"].lower()):
                form.add_error(None, _("Too many requests. Try again in an hour."))
                status = 429
            else:
                try:
                    services.access_request_create(**data, language=get_language() or "")
                except ApplicationError as error:
                    _add_errors(form, error)
                else:
                    return redirect("accounts:request_access_sent")
    return render(request, "accounts/request_access.html", {"form": form}, status=status)


@require_GET
def request_access_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/request_access_sent.html")


@login_required
@require_GET
def access_request_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    requests = AccessRequest.objects.select_related(
        "organization", "regional_office", "decided_by"
    ).order_by("status", "-created_at")
    return render(request, "accounts/access_request_list.html", {"access_requests": requests})


@login_required
@require_http_methods(["GET", "POST"])
def access_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _require_staff(request)
    access_request = get_object_or_404(AccessRequest, pk=pk)
    form = AccessRequestApprovalForm.for_request(
        access_request, request.POST if request.POST.get("action") == "approve" else None
    )
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "decline":
                services.access_request_decline(access_request=access_request, by=staff)
                messages.success(request, _("The request was declined."))
                return redirect("accounts:access_request_list")
            if form.is_valid():
                services.access_request_approve(
                    access_request=access_request, by=staff, **form.cleaned_data
                )
                messages.success(
                    request,
                    _("Approved: an invitation was e-mailed to %(email)s.")
                    % {"email": access_request.email},
                )
                return redirect("accounts:access_request_list")
        except ApplicationError as error:
            if form.is_bound:
                _add_errors(form, error)
            else:
                messages.error(request, error.message)
        status = 400
    return render(
        request,
        "accounts/access_request_detail.html",
        {"access_request": access_request, "form": form},
        status=status,
    )


# Invitations


def _invitation_invalid(request: HttpRequest, *, status: int) -> HttpResponse:
    return render(request, "accounts/invitation_invalid.html", status=status)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, key: str) -> HttpResponse:
    """Where the e-mailed link leads. A newcomer goes on to the sign-up form with the address
    fixed; someone who already has an account signs in and accepts here."""
    invitation = (
        Invitation.objects.select_related("organization", "regional_office").filter(key=key).first()
    )
    if invitation is None:
        return _invitation_invalid(request, status=404)
    if not invitation.is_usable:
        return _invitation_invalid(request, status=410)
    if request.user.is_authenticated:
        user = _signed_in(request)
        if user.email.lower() != invitation.email.lower():
            return render(
                request,
                "accounts/invitation_other_account.html",
                {"invitation": invitation},
                status=403,
            )
        if request.method == "POST":
            try:
                services.invitation_accept(invitation=invitation, user=user)
            except ApplicationError as error:
                messages.error(request, error.message)
                return redirect("accounts:profile")
            messages.success(request, _("The invitation was accepted."))
            return redirect("accounts:profile")
        return render(request, "accounts/invitation_accept.html", {"invitation": invitation})
    if User.objects.filter(email__iexact=invitation.email).exists():
        messages.info(request, _("You already have an account: sign in to accept the invitation."))
        return redirect_to_login(request.get_full_path())
    request.session[INVITATION_SESSION_KEY] = invitation.key
    # allauth marks this address verified at sign-up: the link proved it is theirs.
    get_adapter(request).stash_verified_email(request, invitation.email)
    return redirect("account_signup")


@login_required
@require_http_methods(["GET", "POST"])
def invitation_list(request: HttpRequest) -> HttpResponse:
    """Staff invite anyone and see the invitations waiting to be accepted."""
    staff = _require_staff(request)
    form = StaffInvitationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                invitation = services.invitation_create(by=staff, **form.cleaned_data)
            except ApplicationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("An invitation was e-mailed to %(email)s.") % {"email": invitation.email},
                )
                return redirect("accounts:invitation_list")
        status = 400
    pending = Invitation.objects.pending().select_related(
        "organization", "regional_office", "invited_by"
    )
    return render(
        request,
        "accounts/invitation_list.html",
        {"form": form, "invitations": pending},
        status=status,
    )


@login_required
@require_POST
def invitation_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = _signed_in(request)
    invitation = get_object_or_404(Invitation.objects.pending(), pk=pk)
    organization = invitation.organization
    allowed = user.is_programme_staff or (
        organization is not None and user.has_perm("organizations.manage", organization)
    )
    if not allowed:
        raise PermissionDenied
    services.invitation_cancel(invitation=invitation, by=user)
    messages.success(
        request, _("The invitation to %(email)s was cancelled.") % {"email": invitation.email}
    )
    if organization is not None:
        return redirect("accounts:organization_members", pk=organization.pk)
    return redirect("accounts:invitation_list")


# Organizations


def _managed_organization(request: HttpRequest, pk: int) -> Organization:
    organization = get_object_or_404(Organization.objects.select_related("country"), pk=pk)
    if not request.user.has_perm("organizations.manage", organization):
        raise PermissionDenied
    return organization


def _members_page(
    request: HttpRequest, organization: Organization, form: PartnerInvitationForm, status: int = 200
) -> HttpResponse:
    memberships: QuerySet[Membership] = organization.memberships.select_related("user").order_by(
        "role", "user__last_name", "user__email"
    )
    return render(
        request,
        "accounts/organization_members.html",
        {
            "organization": organization,
            "memberships": memberships,
            "invitations": organization.invitations.pending().select_related("invited_by"),
            "form": form,
            "role_choices": Membership.Role.choices,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_members(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _managed_organization(request, pk)
    form = PartnerInvitationForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                invitation = services.invitation_create(
                    by=_signed_in(request), organization=organization, **form.cleaned_data
                )
            except ApplicationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("An invitation was e-mailed to %(email)s.") % {"email": invitation.email},
                )
                return redirect("accounts:organization_members", pk=organization.pk)
        return _members_page(request, organization, form, status=400)
    return _members_page(request, organization, form)


def _membership(request: HttpRequest, pk: int, membership_pk: int) -> Membership:
    organization = _managed_organization(request, pk)
    return get_object_or_404(
        Membership.objects.select_related("user", "organization"),
        pk=membership_pk,
        organization=organization,
    )


@login_required
@require_POST
def membership_role(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    membership = _membership(request, pk, membership_pk)
    form = MembershipRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
    else:
        try:
            services.membership_change_role(
                membership=membership, role=form.cleaned_data["role"], by=_signed_in(request)
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("The role of %(person)s was changed.") % {"person": membership.user}
            )
    return redirect("accounts:organization_members", pk=pk)


@login_required
@require_POST
def membership_remove(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    membership = _membership(request, pk, membership_pk)
    user = _signed_in(request)
    try:
        services.membership_remove(membership=membership, by=user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("accounts:organization_members", pk=pk)
    messages.success(
        request, _("%(person)s was removed from the organization.") % {"person": membership.user}
    )
    if not user.has_perm("organizations.manage", membership.organization):
        # They removed themselves.
        return redirect("accounts:profile")
    return redirect("accounts:organization_members", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def organization_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _managed_organization(request, pk)
    user = _signed_in(request)
    form_class = (
        StaffOrganizationProfileForm if user.is_programme_staff else OrganizationProfileForm
    )
    # The form edits a copy: a failed save must not show half-applied values as saved.
    form = form_class(request.POST or None, instance=Organization.objects.get(pk=organization.pk))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            try:
                services.organization_update(organization=organization, by=user, changes=changes)
            except ApplicationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("The organization's profile was saved."))
                return redirect("accounts:organization_edit", pk=organization.pk)
        status = 400
    return render(
        request,
        "accounts/organization_edit.html",
        {"organization": organization, "form": form},
        status=status,
    )


# Personal data


@require_http_methods(["GET", "POST"])
def erasure_request(request: HttpRequest) -> HttpResponse:
    form = ErasureRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            email = form.cleaned_data["email"].lower()
            if ratelimit.consume(request, action="request_erasure", key=email):
                services.erasure_request_create(email=email)
                return redirect("accounts:erasure_request_sent")
            form.add_error(None, _("Too many requests. Try again in an hour."))
            status = 429
    return render(request, "accounts/erasure_request.html", {"form": form}, status=status)


@require_GET
def erasure_request_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/erasure_request_sent.html")


@require_http_methods(["GET", "POST"])
def erasure_confirm(request: HttpRequest, key: str) -> HttpResponse:
    # GET only shows a button: mail scanners that open links must not confirm for the person.
    found = ErasureRequest.objects.filter(key=key, erased_at__isnull=True).first()
    if found is None:
        return render(request, "accounts/erasure_confirm.html", {"invalid": True}, status=404)
    if request.method == "POST":
        services.erasure_request_confirm(key=key)
        return render(request, "accounts/erasure_confirm.html", {"confirmed": True})
    return render(request, "accounts/erasure_confirm.html", {"erasure_request": found})


@login_required
@require_GET
def erasure_request_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    context: dict[str, Any] = {
        "confirmed": ErasureRequest.objects.filter(
            confirmed_at__isnull=False, erased_at__isnull=True
        ),
        "unconfirmed": ErasureRequest.objects.filter(
            confirmed_at__isnull=True, erased_at__isnull=True
        ),
        "erased": ErasureRequest.objects.filter(erased_at__isnull=False).select_related(
            "erased_by"
        )[:50],
    }
    return render(request, "accounts/erasure_request_list.html", context)


@login_required
@require_POST
def erasure_request_erase(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _signed_in(request)
    if not staff.has_perm("people.erase"):
        raise PermissionDenied
    found = get_object_or_404(ErasureRequest, pk=pk)
    try:
        erasure = privacy.erasure_request_complete(erasure_request=found, by=staff)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "Removed: contact details on %(entries)d entries (%(versions)d past versions), "
                "%(organizations)d organization contacts, %(accounts)d accounts."
            )
            % {
                "entries": erasure.entries,
                "versions": erasure.entry_versions,
                "organizations": erasure.organizations,
                "accounts": erasure.accounts,
            },
        )
    return redirect("accounts:erasure_request_list")
