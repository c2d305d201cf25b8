"""Removing a person's personal data in one step, without breaking what named them.

Entries keep their content, status and history; only the contact name and e-mail that match
the person go, from the entries and from every historical version of them. A matching account
is anonymised (not deleted: what it did, e.g. moderation decisions, keeps its author row).
"""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccessRequest, ErasureRequest, Invitation, Membership, User
from catalog.models import Entry, Organization
from exchange.errors import ApplicationError


@dataclass(frozen=True)
class Erasure:
    entries: int
    entry_versions: int
    organizations: int
    accounts: int


def _placeholder_email(user: User) -> str:
    # `.invalid` is reserved (RFC 2606): nothing is ever delivered there.
    return f"erased-{user.pk}@erased.invalid"


@transaction.atomic
def person_erase(*, email: str, by: User) -> Erasure:
    """Blank the contact name and e-mail wherever `email` is the contact (entries, their
    history, organizations) and anonymise the account with that address."""
    if not by.has_perm("people.erase"):
        raise ApplicationError(_("Only programme staff remove personal data."))
    email = email.strip()
    if not email:
        raise ApplicationError(_("Give the e-mail address whose data is to be removed."))
    # update() on purpose: saving would add one more history version, and bumps nothing
    # that readers of the catalogue rely on (contacts are not indexed for search).
    entries = Entry.objects.filter(contact_email__iexact=email).update(
        contact_name="", contact_email=""
    )
    entry_versions = Entry.history.model.objects.filter(contact_email__iexact=email).update(
        contact_name="", contact_email=""
    )
    organizations = Organization.objects.filter(contact_email__iexact=email).update(
        contact_email=""
    )
    accounts = 0
    for user in User.objects.select_for_update().filter(email__iexact=email):
        placeholder = _placeholder_email(user)
        user.first_name = ""
        user.last_name = ""
        user.email = placeholder
        user.username = placeholder
        user.is_active = False
        user.set_unusable_password()
        user.save(
            update_fields=["first_name", "last_name", "email", "username", "is_active", "password"]
        )
        EmailAddress.objects.filter(user=user).delete()
        Membership.objects.filter(user=user).delete()
        accounts += 1
    EmailAddress.objects.filter(email__iexact=email).delete()
    Invitation.objects.filter(email__iexact=email).delete()
    AccessRequest.objects.filter(email__iexact=email).delete()
    AccessAttempt.objects.filter(username__iexact=email).delete()
    AccessLog.objects.filter(username__iexact=email).delete()
    AccessFailureLog.objects.filter(username__iexact=email).delete()
    return Erasure(
        entries=entries,
        entry_versions=entry_versions,
        organizations=organizations,
        accounts=accounts,
    )


@transaction.atomic
def erasure_request_complete(*, erasure_request: ErasureRequest, by: User) -> Erasure:
    """Erase the person of a confirmed request and close the request."""
    erasure_request = ErasureRequest.objects.select_for_update().get(pk=erasure_request.pk)
    if erasure_request.erased_at is not None:
        raise ApplicationError(_("This person's data was already removed."))
    if erasure_request.confirmed_at is None:
        raise ApplicationError(_("The person has not confirmed this request yet."))
    erasure = person_erase(email=erasure_request.email, by=by)
    erasure_request.erased_at = timezone.now()
    erasure_request.erased_by = by
    erasure_request.save(update_fields=["erased_at", "erased_by"])
    return erasure
