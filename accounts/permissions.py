"""Who may do what: every object-level rule of the portal, in one place.

Views, the API and services ask `user.has_perm("needs.edit", need)` (django-rules answers from the
predicates below) or call the predicates directly. The roles are described on `accounts.User`.

- Needs: officers register needs for the countries of their own regional office and edit them
  while they are drafts (a need returned by staff is a draft again); staff see and screen all of
  them; open and matched needs are public, so that partners can answer them.
- Entries belong to the organizations that lead them (`EntryProvider.Role.LEAD`); any member of
  such an organization edits them and submits them for moderation; staff moderate.
- Organizations are managed (profile, colleagues) by their partner administrators and by staff.
- Matches of a need with an entry: staff and the officers of the need's office see all of a
  need's matches and take every step (refresh the suggestions, shortlist, decline...). Members of
  the organization leading the entry see the matches of their entries once someone followed
  them up (past "suggested") and record what the provider side knows: contacted, agreed,
  implementation started, completed, withdrawn. Shortlisting and declining are the need side's
  decisions; suggestions stay internal to it.
"""

from typing import Any

import rules
from django.db.models import Q, QuerySet

from accounts.models import ApiKey, Membership, User
from catalog.models import Entry, EntryProvider, Organization
from matching.models import Match, Need
from partners.models import PartnerSource


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


@rules.predicate
def is_match_need_officer(user: Any, match: Match | None) -> bool:
    return match is not None and is_need_officer(user, match.need)


@rules.predicate
def is_match_provider(user: Any, match: Match | None) -> bool:
    """A member of the organization leading the match's entry, once the match is followed."""
    return (
        match is not None
        and match.status != Match.Status.SUGGESTED
        and owns_entry(user, match.entry)
    )


def matches_visible_to(user: Any) -> QuerySet[Match]:
    """The matches `user` may see: every match view starts from this queryset."""
    signed_in = _user(user)
    if signed_in is None:
        return Match.objects.none()
    if signed_in.is_staff:
        return Match.objects.all()
    provider = Match.objects.exclude(status=Match.Status.SUGGESTED).filter(
        entry__in=entries_owned_by(signed_in)
    )
    if signed_in.regional_office_id is not None:
        return (
            Match.objects.filter(need__regional_office_id=signed_in.regional_office_id) | provider
        )
    return provider


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
# A need's matches: see them all and refresh its suggestions.
rules.add_perm("needs.matches", is_programme_staff | is_need_officer)

rules.add_perm("matches.view", is_programme_staff | is_match_need_officer | is_match_provider)
# Every step of a match (shortlist, decline...): the need side.
rules.add_perm("matches.act", is_programme_staff | is_match_need_officer)
# What either side can attest to: contacted, agreed, implementation, completion, withdrawal.
rules.add_perm("matches.respond", is_programme_staff | is_match_need_officer | is_match_provider)

rules.add_perm("organizations.manage", is_programme_staff | administers_organization)
rules.add_perm("people.view_contacts", rules.is_authenticated & rules.is_active)
rules.add_perm("people.erase", is_programme_staff)


# Reports (reports/): staff request every report type and see every run. An officer requests
# the types that can be narrowed to a region, always for their own office's region; a partner
# (and an API key, for its organization) only its own organization's contribution report. A run
# is seen by staff and by those who share the scope it was requested in (reports/selectors.py).
PARTNER_REPORT_TYPES = ("partner-contribution",)


@rules.predicate
def report_type_by_region(user: Any, report_type: Any) -> bool:
    return report_type is not None and "region" in report_type.parameters


@rules.predicate
def report_type_for_partners(user: Any, report_type: Any) -> bool:
    return report_type is not None and report_type.slug in PARTNER_REPORT_TYPES


@rules.predicate
def shares_report_scope(user: Any, run: Any) -> bool:
    signed_in = _user(user)
    if run is None or signed_in is None:
        return False
    kind, _sep, value = run.scope.partition(":")
    if kind == "office":
        office = signed_in.regional_office
        return office is not None and office.code == value
    if kind == "organization" and value.isdigit():
        return Membership.objects.filter(user=signed_in, organization_id=int(value)).exists()
    return False


rules.add_perm("reports.request", is_programme_staff | is_officer | is_partner)
rules.add_perm(
    "reports.request_type",
    is_programme_staff
    | (is_officer & report_type_by_region)
    | (is_partner & report_type_for_partners),
)
rules.add_perm("reports.view_run", is_programme_staff | shares_report_scope)


# API keys --------------------------------------------------------------------------------------
# A key (accounts.ApiKey) acts for its organization, within its scopes, with the rights a partner
# contributor of that organization has in the browser, and never more, even when a member of
# staff created it. What it writes is recorded as written by its creator.
# - read: published entries and every entry its organization leads; public needs, and those
#   of its creator's regional office when the creator is an officer.
# - write-entries: create entries led by its organization; change the entries it leads
#   ("entries.edit") and submit their drafts ("entries.submit").
# - write-needs: an officer's rights on needs ("needs.create", "needs.edit", "needs.submit"),
#   only when the key's creator is a regional office officer; refused otherwise.
# - manage-matches: the steps of a match, for the provider side only, since a key belongs to an
#   organization: "matches.respond" (contacted, agreed, implementation started, completed,
#   withdrawn) on the followed matches of the entries its organization leads. Never
#   "matches.act" (shortlisting, declining): those are the need side's, taken in the browser.
#   Reading those matches ("matches.view") needs only "read".
# - manage-webhooks: list, register, change and delete its organization's webhooks and read
#   their delivery log (webhooks/api/views.py); nothing else, not even "read".


def entries_visible_to(user: Any) -> QuerySet[Entry]:
    """The entries `user` may read: published ones, those of the user's organizations, all of
    them for staff. Every API entry view starts from this queryset."""
    signed_in = _user(user)
    if signed_in is not None and signed_in.is_staff:
        return Entry.objects.all()
    published = Q(status=Entry.Status.PUBLISHED)
    if signed_in is None:
        return Entry.objects.filter(published)
    return Entry.objects.filter(published | Q(pk__in=entries_owned_by(signed_in).values("pk")))


def _led_by(organization_id: int) -> QuerySet[EntryProvider]:
    return EntryProvider.objects.filter(
        organization_id=organization_id, role=EntryProvider.Role.LEAD
    )


def entries_visible_to_key(key: ApiKey) -> QuerySet[Entry]:
    return Entry.objects.filter(
        Q(status=Entry.Status.PUBLISHED) | Q(pk__in=_led_by(key.organization_id).values("entry_id"))
    )


def needs_visible_to_key(key: ApiKey) -> QuerySet[Need]:
    public = Need.objects.filter(status__in=(Need.Status.OPEN, Need.Status.MATCHED))
    creator = _user(key.created_by)
    if creator is not None and creator.regional_office_id is not None:
        return Need.objects.filter(regional_office_id=creator.regional_office_id) | public
    return public


def partner_sources_visible_to(user: Any) -> QuerySet[PartnerSource]:
    """Programme staff see every partner source and its runs; a partner's members see the
    sources their organizations own; anyone else none."""
    person = _user(user)
    if person is None:
        return PartnerSource.objects.none()
    if person.is_staff:
        return PartnerSource.objects.all()
    return PartnerSource.objects.filter(organization__in=organizations_of(person))


def partner_sources_visible_to_key(key: ApiKey) -> QuerySet[PartnerSource]:
    return PartnerSource.objects.filter(organization_id=key.organization_id)


def matches_visible_to_key(key: ApiKey) -> QuerySet[Match]:
    """The matches a key sees: the followed matches of the entries its organization leads
    (the provider side of `matches_visible_to`)."""
    return Match.objects.exclude(status=Match.Status.SUGGESTED).filter(
        entry_id__in=_led_by(key.organization_id).values("entry_id")
    )


def api_key_may(key: ApiKey, perm: str, obj: Any = None) -> bool:
    """Whether `key` may do `perm` (a permission name of the rules above) on `obj`."""
    if not key.is_active or _user(key.created_by) is None:
        return False
    creator = key.created_by
    if perm.startswith("entries."):
        if not key.has_scope(ApiKey.Scope.WRITE_ENTRIES):
            return False
        if perm == "entries.create":
            return True
        leads = obj is not None and _led_by(key.organization_id).filter(entry=obj).exists()
        if perm == "entries.edit":
            return leads
        if perm == "entries.submit":
            return leads and obj.status == Entry.Status.DRAFT
        return False
    if perm.startswith("needs."):
        if perm == "needs.view":
            return bool(is_public_need(creator, obj) or is_need_officer(creator, obj))
        if not key.has_scope(ApiKey.Scope.WRITE_NEEDS):
            return False
        if perm == "needs.create":
            return bool(is_officer(creator))
        if perm in ("needs.edit", "needs.submit"):
            return bool(is_need_officer(creator, obj) and is_draft(creator, obj))
    if perm.startswith("matches.") and isinstance(obj, Match):
        provides = (
            obj.status != Match.Status.SUGGESTED
            and _led_by(key.organization_id).filter(entry_id=obj.entry_id).exists()
        )
        if perm == "matches.view":
            return provides
        if perm == "matches.respond":
            return provides and key.has_scope(ApiKey.Scope.MANAGE_MATCHES)
    if perm.startswith("reports.") and key.has_scope(ApiKey.Scope.READ):
        # A key requests what a partner of its organization may: its contribution report.
        if perm == "reports.request_type":
            return bool(report_type_for_partners(creator, obj))
        if perm == "reports.view_run":
            return obj is not None and obj.scope == f"organization:{key.organization_id}"
    return False
