"""Who may do what: every object-level rule of the portal, in one place.

Views, the API and services ask `user.has_perm("needs.edit", need)` (django-rules answers from the
predicates below) or call the predicates directly. The roles are described on `accounts.User`.

- Needs: officers register needs for the countries of their own regional office and edit them
  while they are drafts (a need returned by staff is a draft again); staff see and screen all of
  them; open and matched needs are public, so that partners can answer them.
- Entries belong to the organizations that lead them (`EntryProvider.Role.LEAD`); any member of
  such an organization edits them and submits them for moderation; staff moderate.
- Organizations are managed (profile, colleagues) by their partner administrators and by staff.
"""

from typing import Any

import rules
from django.db.models import QuerySet

from accounts.models import Membership, User
from catalog.models import Entry, EntryProvider, Organization
from matching.models import Need


def _user(user: Any) -> User | None:
    return user if isinstance(user, User) and user.is_active else None


@rules.predicate
def is_programme_staff(user: Any) -> bool:
    signed_in = _user(user)
    return signed_in is not None and signed_in.is_staff


@rules.predicate
def is_administrator(user: Any) -> bool:
    signed_in = _user(user)
    return signed_in is not None and signed_in.is_superuser


@rules.predicate
def is_officer(user: Any) -> bool:
    signed_in = _user(user)
    return signed_in is not None and signed_in.regional_office_id is not None


@rules.predicate
def is_partner(user: Any) -> bool:
    signed_in = _user(user)
    return signed_in is not None and signed_in.memberships.exists()


def organizations_of(user: Any, *, role: str | None = None) -> QuerySet[Organization]:
    """The organizations the user belongs to (with `role`, only those where they hold it)."""
    signed_in = _user(user)
    if signed_in is None:
        return Organization.objects.none()
    memberships = Membership.objects.filter(user=signed_in)
    if role is not None:
        memberships = memberships.filter(role=role)
    return Organization.objects.filter(pk__in=memberships.values("organization"))


def entries_owned_by(user: Any) -> QuerySet[Entry]:
    """Entries led by one of the user's organizations."""
    return Entry.objects.filter(
        provider_links__role=EntryProvider.Role.LEAD,
        provider_links__organization__in=organizations_of(user),
    ).distinct()


@rules.predicate
def owns_entry(user: Any, entry: Entry | None) -> bool:
    if entry is None or _user(user) is None:
        return False
    return EntryProvider.objects.filter(
        entry=entry,
        role=EntryProvider.Role.LEAD,
        organization__memberships__user=user,
    ).exists()


@rules.predicate
def administers_organization(user: Any, organization: Organization | None) -> bool:
    if organization is None or _user(user) is None:
        return False
    return Membership.objects.filter(
        user=user, organization=organization, role=Membership.Role.ADMINISTRATOR
    ).exists()


@rules.predicate
def is_need_officer(user: Any, need: Need | None) -> bool:
    """An officer of the regional office the need belongs to."""
    signed_in = _user(user)
    return (
        need is not None
        and signed_in is not None
        and signed_in.regional_office_id is not None
        and signed_in.regional_office_id == need.regional_office_id
    )


@rules.predicate
def is_draft(user: Any, obj: Need | Entry | None) -> bool:
    return obj is not None and obj.status == "draft"


@rules.predicate
def is_public_need(user: Any, need: Need | None) -> bool:
    return need is not None and need.status in (Need.Status.OPEN, Need.Status.MATCHED)


def needs_visible_to(user: Any) -> QuerySet[Need]:
    """The needs `user` may see: the queryset every need view starts from."""
    signed_in = _user(user)
    if signed_in is not None and signed_in.is_staff:
        return Need.objects.all()
    public = Need.objects.filter(status__in=(Need.Status.OPEN, Need.Status.MATCHED))
    if signed_in is not None and signed_in.regional_office_id is not None:
        return Need.objects.filter(regional_office_id=signed_in.regional_office_id) | public
    return public


rules.add_perm("needs.view", is_programme_staff | is_need_officer | is_public_need)
rules.add_perm("needs.create", is_programme_staff | is_officer)
rules.add_perm("needs.edit", is_programme_staff | (is_need_officer & is_draft))
rules.add_perm("needs.submit", is_programme_staff | (is_need_officer & is_draft))
rules.add_perm("needs.screen", is_programme_staff)
# Screening decisions and comments: staff and the officers who answer for the need.
rules.add_perm("needs.view_reviews", is_programme_staff | is_need_officer)

rules.add_perm("entries.create", is_programme_staff | is_partner)
rules.add_perm("entries.edit", is_programme_staff | owns_entry)
rules.add_perm("entries.submit", is_programme_staff | (owns_entry & is_draft))
rules.add_perm("entries.moderate", is_programme_staff)
rules.add_perm("entries.view_history", is_programme_staff)
rules.add_perm("needs.view_history", is_programme_staff)

rules.add_perm("organizations.manage", is_programme_staff | administers_organization)
rules.add_perm("people.view_contacts", rules.is_authenticated & rules.is_active)
rules.add_perm("people.erase", is_programme_staff)
