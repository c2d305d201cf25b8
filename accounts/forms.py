from typing import Any

from allauth.account.forms import SignupForm
from allauth.core import context as allauth_context
from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.adapters import INVITATION_SESSION_KEY, invitation_from_session
from accounts.models import AccessRequest, Membership, Role, User
from accounts.services import ORGANIZATION_PROFILE_FIELDS, invitation_accept
from catalog.models import Organization, RegionalOffice
from exchange.errors import ApplicationError


class InvitationSignupForm(SignupForm):
    """allauth's sign-up form for the person an invitation was sent to: the e-mail address is
    the invitation's and cannot be changed; the role is applied with the account, or neither."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    field_order = ["email", "first_name", "last_name", "password1", "password2"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = allauth_context.request
        self.invitation = invitation_from_session(request) if request is not None else None
        if self.invitation is not None and "email" in self.fields:
            # A disabled field ignores what is posted: the address is the invitation's.
            self.fields["email"].disabled = True
            self.fields["email"].initial = self.invitation.email
            self.initial["email"] = self.invitation.email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.invitation is None:
            raise forms.ValidationError(
                _("This invitation has expired, was cancelled or was already used.")
            )
        return cleaned

    def save(self, request: HttpRequest) -> AbstractBaseUser:
        with transaction.atomic():
            user = super().save(request)
            assert isinstance(user, User)  # noqa: S101 - AUTH_USER_MODEL
            assert self.invitation is not None  # noqa: S101 - checked in clean()
            invitation_accept(invitation=self.invitation, user=user)
        request.session.pop(INVITATION_SESSION_KEY, None)
        return user

    def try_save(self, request: HttpRequest) -> tuple[AbstractBaseUser | None, HttpResponse | None]:
        try:
            return super().try_save(request)
        except ApplicationError:
            # The invitation was used or cancelled meanwhile: no account was made.
            assert self.invitation is not None  # noqa: S101
            return None, HttpResponseRedirect(
                reverse("accounts:invitation_accept", args=[self.invitation.key])
            )


class ProfileForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "preferred_language", "notification_mode"]
        labels = {"preferred_language": _("Preferred language")}
        help_texts = {
            "preferred_language": _(
                "The portal switches to it when you sign in, and e-mails to you are written in it."
            ),
            "notification_mode": _("How the portal e-mails you about your needs and entries."),
        }


class AccessRequestForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(label=_("Your e-mail address"))
    role = forms.ChoiceField(
        label=_("What you would like to do"),
        choices=[
            (Role.PARTNER_CONTRIBUTOR.value, _("Contribute my organization's solutions")),
            (Role.PARTNER_ADMINISTRATOR.value, _("Administer my organization's presence")),
            (Role.OFFICER.value, _("Register needs as a UNEP regional office officer")),
        ],
    )
    organization = forms.ModelChoiceField(
        label=_("Your organization"),
        queryset=Organization.objects.all(),
        required=False,
        help_text=_("If it is listed on the portal."),
    )
    organization_name = forms.CharField(
        label=_("Your organization, if it is not listed"), max_length=255, required=False
    )
    regional_office = forms.ModelChoiceField(
        label=_("Your regional office (officers)"),
        queryset=RegionalOffice.objects.all(),
        required=False,
    )
    message = forms.CharField(
        label=_("Anything staff should know"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        role = cleaned.get("role")
        if (
            role in Role.partner_roles()
            and not cleaned.get("organization")
            and not cleaned.get("organization_name", "").strip()
        ):
            self.add_error(
                "organization_name", _("Name your organization, or choose it from the list.")
            )
        if role == Role.OFFICER and not cleaned.get("regional_office"):
            self.add_error("regional_office", _("Choose your regional office."))
        return cleaned


class PartnerInvitationForm(forms.Form):
    """A partner administrator invites a colleague to their organization."""

    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class StaffInvitationForm(forms.Form):
    """Staff invite anyone: partners of any organization, officers, staff."""

    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    organization = forms.ModelChoiceField(
        label=_("Organization (partners)"), queryset=Organization.objects.all(), required=False
    )
    regional_office = forms.ModelChoiceField(
        label=_("Regional office (officers)"),
        queryset=RegionalOffice.objects.all(),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        role = cleaned.get("role")
        if role in Role.partner_roles() and not cleaned.get("organization"):
            self.add_error("organization", _("Choose the organization the person is invited to."))
        if role == Role.OFFICER and not cleaned.get("regional_office"):
            self.add_error("regional_office", _("Choose the regional office of the officer."))
        return cleaned


class AccessRequestApprovalForm(StaffInvitationForm):
    """Approving a request invites the requester; staff may correct the role or organization."""

    email = None  # type: ignore[assignment]

    @classmethod
    def for_request(
        cls, access_request: AccessRequest, data: Any = None
    ) -> "AccessRequestApprovalForm":
        return cls(
            data,
            initial={
                "role": access_request.role,
                "organization": access_request.organization_id,
                "regional_office": access_request.regional_office_id,
            },
        )


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class OrganizationProfileForm(forms.ModelForm[Organization]):
    class Meta:
        model = Organization
        fields = list(ORGANIZATION_PROFILE_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}


class StaffOrganizationProfileForm(OrganizationProfileForm):
    class Meta(OrganizationProfileForm.Meta):
        fields = [*ORGANIZATION_PROFILE_FIELDS, "country"]


class ErasureRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("We e-mail a confirmation link to this address."),
    )
