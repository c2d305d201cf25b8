"""Writes of the accounts app: invitations, access requests, memberships, profiles, erasure
requests. Personal data removal itself is in accounts/privacy.py."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import AccessRequest, ErasureRequest, Invitation, Membership, Role, User
from catalog.models import Organization, RegionalOffice
from exchange.errors import ApplicationError
from notifications.models import Notification
from notifications.services import notify


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _send_mail(*, template: str, to: str, context: dict[str, Any], language: str) -> None:
    """`templates/emails/<template>_subject.txt` and `<template>.txt`, in `language`."""
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
        body = render_to_string(f"emails/{template}.txt", context)
    EmailMessage(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    ).send()


def _staff() -> Iterable[User]:
    return User.objects.filter(is_active=True, is_staff=True)


# Invitations


def _check_may_invite(
    *,
    by: User,
    role: str,
    organization: Organization | None,
    regional_office: RegionalOffice | None,
) -> None:
    if role in Role.partner_roles():
        if organization is None:
            raise ApplicationError(_("Choose the organization the person is invited to."))
        if not by.has_perm("organizations.manage", organization):
            raise ApplicationError(_("You may only invite people to organizations you manage."))
    elif not by.is_programme_staff:
        raise ApplicationError(_("Only programme staff invite officers and staff."))
    if role == Role.OFFICER and regional_office is None:
        raise ApplicationError(_("Choose the regional office of the officer."))


def _send_invitation(invitation: Invitation) -> None:
    context = {
        "invitation": invitation,
        "accept_url": site_url(reverse("accounts:invitation_accept", args=[invitation.key])),
    }
    _send_mail(
        template="invitation", to=invitation.email, context=context, language=invitation.language
    )


@transaction.atomic
def invitation_create(
    *,
    email: str,
    role: str,
    by: User,
    organization: Organization | None = None,
    regional_office: RegionalOffice | None = None,
    language: str = "",
) -> Invitation:
    """Invite `email` with `role` and e-mail the link. An expired invitation to the same address
    and organization is renewed; a pending one is an error (a double-submitted form)."""
    email = email.strip().lower()
    _check_may_invite(by=by, role=role, organization=organization, regional_office=regional_office)
    if role not in Role.partner_roles():
        organization = None
    if role != Role.OFFICER:
        regional_office = None
    if organization is not None and (
        Membership.objects.filter(organization=organization, user__email__iexact=email).exists()
    ):
        raise ApplicationError(_("This person is already a member of the organization."))
    invitation = (
        Invitation.objects.pending()
        .select_for_update()
        .filter(email__iexact=email, organization=organization)
        .first()
    )
    if invitation is not None and not invitation.is_expired:
        raise ApplicationError(
            _("An invitation to %(email)s is already waiting to be accepted.") % {"email": email}
        )
    if invitation is None:
        invitation = Invitation(email=email, organization=organization)
    invitation.key = Invitation._meta.get_field("key").get_default()
    invitation.role = role
    invitation.regional_office = regional_office
    invitation.invited_by = by
    invitation.language = language or translation.get_language() or ""
    invitation.expires_at = timezone.now() + Invitation.VALID_FOR
    try:
        invitation.full_clean(exclude=["key", "invited_by"], validate_constraints=False)
        with transaction.atomic():
            invitation.save()
    except ValidationError as error:
        raise ApplicationError.from_validation_error(
            error, prefix=_("The invitation was not sent.")
        ) from error
    except IntegrityError as error:
        # Another request made the same invitation between our check and our insert.
        raise ApplicationError(
            _("An invitation to %(email)s is already waiting to be accepted.") % {"email": email}
        ) from error
    transaction.on_commit(lambda: _send_invitation(invitation))
    return invitation


@transaction.atomic
def invitation_cancel(*, invitation: Invitation, by: User) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None or invitation.cancelled_at is not None:
        raise ApplicationError(_("This invitation was already used or cancelled."))
    invitation.cancelled_at = timezone.now()
    invitation.save(update_fields=["cancelled_at"])
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Invitation:
    """Give `user` the role the invitation is for, once."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise ApplicationError(_("This invitation has expired, was cancelled or was already used."))
    if invitation.email.lower() != user.email.lower():
        raise ApplicationError(_("This invitation is for another e-mail address."))
    if invitation.role in Role.partner_roles():
        assert invitation.organization is not None  # noqa: S101 - ensured by invitation_create
        membership, created = Membership.objects.get_or_create(
            user=user, organization=invitation.organization, defaults={"role": invitation.role}
        )
        # An invitation never demotes an administrator to contributor.
        if not created and invitation.role == Role.PARTNER_ADMINISTRATOR:
            membership.role = Membership.Role.ADMINISTRATOR
            membership.save(update_fields=["role"])
    elif invitation.role == Role.OFFICER:
        user.regional_office = invitation.regional_office
        user.save(update_fields=["regional_office"])
    elif invitation.role == Role.STAFF:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if not user.preferred_language and invitation.language:
        user.preferred_language = invitation.language
        user.save(update_fields=["preferred_language"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return invitation


# Access requests


@transaction.atomic
def access_request_create(
    *,
    name: str,
    email: str,
    role: str,
    organization: Organization | None = None,
    organization_name: str = "",
    regional_office: RegionalOffice | None = None,
    message: str = "",
    language: str = "",
) -> AccessRequest:
    email = email.strip().lower()
    if role == Role.STAFF:
        raise ApplicationError(_("Programme staff accounts are opened by invitation only."))
    if role in Role.partner_roles() and organization is None and not organization_name.strip():
        raise ApplicationError(_("Name your organization, or choose it from the list."))
    if role == Role.OFFICER and regional_office is None:
        raise ApplicationError(_("Choose your regional office."))
    if AccessRequest.objects.filter(
        email__iexact=email, status=AccessRequest.Status.PENDING
    ).exists():
        raise ApplicationError(_("A request from this address is already waiting for a decision."))
    access_request = AccessRequest(
        name=name.strip(),
        email=email,
        role=role,
        organization=organization if role in Role.partner_roles() else None,
        organization_name=organization_name.strip() if role in Role.partner_roles() else "",
        regional_office=regional_office if role == Role.OFFICER else None,
        message=message.strip(),
        language=language,
    )
    try:
        with transaction.atomic():
            access_request.save()
    except IntegrityError as error:
        raise ApplicationError(
            _("A request from this address is already waiting for a decision.")
        ) from error
    notify(
        recipients=_staff(),
        kind=Notification.Kind.SUBMISSION_RECEIVED,
        subject=_("Access requested by %(name)s") % {"name": access_request.name},
        url=reverse("accounts:access_request_list"),
    )
    return access_request


def _lock_pending(access_request: AccessRequest) -> AccessRequest:
    locked = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
    if locked.status != AccessRequest.Status.PENDING:
        raise ApplicationError(_("This request was already decided."))
    return locked


@transaction.atomic
def access_request_approve(
    *,
    access_request: AccessRequest,
    by: User,
    role: str,
    organization: Organization | None = None,
    regional_office: RegionalOffice | None = None,
) -> AccessRequest:
    """Approve and e-mail the requester an invitation for `role` (staff may correct what was
    asked: the organization, the office, the role)."""
    if not by.is_programme_staff:
        raise ApplicationError(_("Only programme staff decide on access requests."))
    access_request = _lock_pending(access_request)
    access_request.invitation = invitation_create(
        email=access_request.email,
        role=role,
        by=by,
        organization=organization,
        regional_office=regional_office,
        language=access_request.language,
    )
    access_request.status = AccessRequest.Status.APPROVED
    access_request.decided_by = by
    access_request.decided_at = timezone.now()
    access_request.save(update_fields=["status", "decided_by", "decided_at", "invitation"])
    return access_request


@transaction.atomic
def access_request_decline(*, access_request: AccessRequest, by: User) -> AccessRequest:
    if not by.is_programme_staff:
        raise ApplicationError(_("Only programme staff decide on access requests."))
    access_request = _lock_pending(access_request)
    access_request.status = AccessRequest.Status.DECLINED
    access_request.decided_by = by
    access_request.decided_at = timezone.now()
    access_request.save(update_fields=["status", "decided_by", "decided_at"])
    transaction.on_commit(
        lambda: _send_mail(
            template="access_request_declined",
            to=access_request.email,
            context={"access_request": access_request},
            language=access_request.language,
        )
    )
    return access_request


# Memberships and organizations


def _lock_administrators(organization: Organization) -> list[Membership]:
    return list(
        Membership.objects.select_for_update().filter(
            organization=organization, role=Membership.Role.ADMINISTRATOR
        )
    )


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, by: User) -> Membership:
    if not by.has_perm("organizations.manage", membership.organization):
        raise ApplicationError(_("You do not manage this organization."))
    if role not in Membership.Role.values:
        raise ApplicationError(_("Choose a valid role."))
    administrators = _lock_administrators(membership.organization)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if (
        membership.role == Membership.Role.ADMINISTRATOR
        and role != Membership.Role.ADMINISTRATOR
        and len(administrators) == 1
    ):
        raise ApplicationError(
            _("An organization keeps at least one administrator: make someone else one first.")
        )
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> None:
    if not by.has_perm("organizations.manage", membership.organization):
        raise ApplicationError(_("You do not manage this organization."))
    administrators = _lock_administrators(membership.organization)
    if membership.role == Membership.Role.ADMINISTRATOR and len(administrators) == 1:
        raise ApplicationError(
            _("An organization keeps at least one administrator: make someone else one first.")
        )
    Membership.objects.filter(pk=membership.pk).delete()


ORGANIZATION_PROFILE_FIELDS = ("name", "acronym", "website", "description", "contact_email")


@transaction.atomic
def organization_update(
    *, organization: Organization, by: User, changes: dict[str, Any]
) -> Organization:
    """Partner administrators edit the profile; only staff change the country, which decides
    whether the organization counts as Southern."""
    if not by.has_perm("organizations.manage", organization):
        raise ApplicationError(_("You do not manage this organization."))
    allowed = set(ORGANIZATION_PROFILE_FIELDS) | ({"country"} if by.is_programme_staff else set())
    if set(changes) - allowed:
        raise ApplicationError(_("Only programme staff change an organization's country."))
    for field, value in changes.items():
        setattr(organization, field, value)
    try:
        organization.full_clean()
    except ValidationError as error:
        raise ApplicationError.from_validation_error(
            error, prefix=_("The organization was not saved.")
        ) from error
    organization.save(update_fields=[*changes, "updated_at"])
    return organization


# Profile


@transaction.atomic
def user_profile_update(
    *,
    user: User,
    first_name: str,
    last_name: str,
    preferred_language: str,
    notification_mode: str,
) -> User:
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.preferred_language = preferred_language
    user.notification_mode = notification_mode
    try:
        user.full_clean(exclude=["password", "username", "email"])
    except ValidationError as error:
        raise ApplicationError.from_validation_error(
            error, prefix=_("The profile was not saved.")
        ) from error
    user.save(update_fields=["first_name", "last_name", "preferred_language", "notification_mode"])
    return user


# Erasure requests


@transaction.atomic
def erasure_request_create(*, email: str) -> ErasureRequest:
    """Record the request (one open request per address) and e-mail the confirmation link."""
    email = email.strip().lower()
    erasure_request = (
        ErasureRequest.objects.select_for_update()
        .filter(email__iexact=email, erased_at__isnull=True)
        .first()
    )
    if erasure_request is None:
        try:
            with transaction.atomic():
                erasure_request = ErasureRequest.objects.create(email=email)
        except IntegrityError:
            erasure_request = ErasureRequest.objects.get(
                email__iexact=email, erased_at__isnull=True
            )
    if erasure_request.confirmed_at is None:
        context = {
            "confirm_url": site_url(reverse("accounts:erasure_confirm", args=[erasure_request.key]))
        }
        language = translation.get_language() or ""
        transaction.on_commit(
            lambda: _send_mail(
                template="erasure_confirm", to=email, context=context, language=language
            )
        )
    return erasure_request


@transaction.atomic
def erasure_request_confirm(*, key: str) -> ErasureRequest:
    erasure_request = (
        ErasureRequest.objects.select_for_update().filter(key=key, erased_at__isnull=True).first()
    )
    if erasure_request is None:
        raise ApplicationError(_("This link is not valid, or the data was already removed."))
    if erasure_request.confirmed_at is None:
        erasure_request.confirmed_at = timezone.now()
        erasure_request.save(update_fields=["confirmed_at"])
        notify(
            recipients=_staff(),
            kind=Notification.Kind.SUBMISSION_RECEIVED,
            subject=_("A person asked for their personal data to be removed"),
            url=reverse("accounts:erasure_request_list"),
        )
    return erasure_request
