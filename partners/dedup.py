"""Cross-source de-duplication of organizations: the keys two descriptions of one organization
share, the automatic rule the sync engine applies to each organization it reads
(`find_organization`), the candidate groups shown to staff (`duplicate_candidates`) and the merge
they decide (`organization_merge`).

Keys (`organization_keys`):

- **name**: case-folded, accents removed (Unicode NFKD), dots inside abbreviations joined
  ("S.A." -> "sa"), other punctuation a space, "&" read as "and", a leading "the" dropped, and
  trailing *legal forms* dropped (Ltd, Limited, Inc, LLC, PLC, GmbH, S.A., SARL, Pvt, Corp...).
  Words that say what an organization is (Foundation, Institute, Trust, Association, Centre) are
  kept: "Ford Foundation" and "Ford" are not one organization.
- **acronym**: the acronym given, case-folded, punctuation removed; a name that is one word in
  capitals ("ICIMOD") also counts as an acronym.
- **country** and **website host** (lower case, without "www."); hosts that many unrelated
  organizations share (social networks, blog and site builders) are ignored.

Automatic rule (`find_organization`), the first step that gives an answer wins:

1. the organization with the record's (source, external id), or the one an organization with
   that (source, external id) was merged into (the merge keeps an alias);
2. for a record read from an IATI source, an organization from any IATI source with the same
   organisation identifier (IATI identifiers are global);
3. the organization that has the record's name key, one of its acronyms or its website host as
   an **alias** (`OrganizationAlias`: the names of organizations merged into it, or added by
   staff), unless the record gives a country that is neither the alias's nor the
   organization's;
4. the same name key and the same country (without a country in the record: the same name key,
   when only one organization has it);
5. the same website host and also the same country, acronym or name key.

A step that finds more than one organization answers "none": a duplicate that staff merge later
costs less than two organizations wrongly made one. Organizations of the record's own source
with another external id are never candidates: the source says they are different.
"""

import datetime
import json
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiKey, Invitation, Membership, User
from catalog.models import Entry, EntryProvider, Organization
from exchange.errors import ApplicationError
from partners.connectors.base import OrganizationRecord
from partners.models import OrganizationAlias, PartnerSource
from search.changelog import log_entry_changes

LEGAL_FORMS = frozenset(
    {
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "llc",
        "llp",
        "plc",
        "pty",
        "pvt",
        "private",
        "co",
        "corp",
        "corporation",
        "gmbh",
        "ggmbh",
        "ag",
        "ev",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "ab",
        "asbl",
    }
)
# Hosts where many unrelated organizations have a page: a shared host says nothing.
SHARED_HOSTS = frozenset(
    {
        "facebook.com",
        "linkedin.com",
        "twitter.com",
        "x.com",
        "instagram.com",
        "youtube.com",
        "google.com",
        "sites.google.com",
        "wordpress.com",
        "blogspot.com",
        "wixsite.com",
        "github.io",
        "github.com",
        "medium.com",
        "example.org",
        "example.com",
    }
)
_ABBREVIATION_DOTS = re.compile(r"\b(?:\w\.){2,}")
_NOT_WORD = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    """Lower case without accents: "Développement" -> "developpement"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def name_key(name: str) -> str:
    """The normalised name two spellings of one organization share (see the module docstring)."""
    text = _ABBREVIATION_DOTS.sub(lambda match: match.group(0).replace(".", ""), name)
    text = _fold(text.replace("&", " and "))
    words = _NOT_WORD.sub(" ", text).split()
    if words[:1] == ["the"] and len(words) > 1:
        words = words[1:]
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    return " ".join(words)


def acronym_key(acronym: str) -> str:
    return _NOT_WORD.sub("", _fold(acronym))


def website_host(url: str) -> str:
    """ "https://WWW.icimod.org/about" -> "icimod.org"; "" for no URL or a shared host."""
    url = url.strip()
    if not url:
        return ""
    if "//" not in url:
        url = f"//{url}"
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""
    host = host.removeprefix("www.")
    if host in SHARED_HOSTS or any(host.endswith(f".{shared}") for shared in SHARED_HOSTS):
        return ""
    return host


def _acronyms(name: str, acronym: str) -> set[str]:
    keys = {acronym_key(acronym)} if acronym.strip() else set()
    stripped = name.strip()
    # A one-word name in capitals is an acronym ("ICIMOD", "UN-Habitat" is not).
    if stripped and " " not in stripped and stripped.isupper() and len(stripped) <= 12:
        keys.add(acronym_key(stripped))
    return {key for key in keys if len(key) >= 2}


@dataclass(frozen=True)
class OrganizationKeys:
    """What de-duplication compares, for an organization or a record."""

    name: str
    acronyms: frozenset[str]
    country_iso3: str
    host: str


def organization_keys(
    *, name: str, acronym: str = "", country_iso3: str = "", website: str = ""
) -> OrganizationKeys:
    return OrganizationKeys(
        name=name_key(name),
        acronyms=frozenset(_acronyms(name, acronym)),
        country_iso3=country_iso3.upper(),
        host=website_host(website),
    )


def alias_key(kind: str, spelling: str) -> str:
    """The key an `OrganizationAlias` of `kind` is compared by: what `organization_keys` makes
    of a name, an acronym or a website."""
    if kind == OrganizationAlias.Kind.ACRONYM:
        key = acronym_key(spelling)[:255]
        return key if len(key) >= 2 else ""  # as `_acronyms` counts them
    if kind == OrganizationAlias.Kind.WEBSITE:
        return website_host(spelling)[:255]
    return name_key(spelling)[:255]


@dataclass(frozen=True)
class _Candidate:
    pk: int
    keys: OrganizationKeys
    source_id: int | None
    external_id: str
    source_connector: str


_CANDIDATE_COLUMNS = (
    "pk",
    "name",
    "acronym",
    "country__iso3",
    "website",
    "source_id",
    "external_id",
    "source__connector",
)


def _candidates(queryset: models.QuerySet[Organization]) -> list[_Candidate]:
    return [
        _Candidate(
            pk=pk,
            keys=organization_keys(
                name=name, acronym=acronym, country_iso3=iso3 or "", website=website
            ),
            source_id=source_id,
            external_id=external_id,
            source_connector=connector or "",
        )
        for pk, name, acronym, iso3, website, source_id, external_id, connector in (
            queryset.order_by("pk").values_list(*_CANDIDATE_COLUMNS)
        )
    ]


# --- Aliases: where merged organizations went ------------------------------------------------


def _alias(source_id: int, external_id: str) -> dict[str, Any]:
    return {"source": source_id, "external_id": external_id}


def _alias_marker(source_id: int, external_id: str) -> str:
    """The text the merge's LogEntry holds for an alias, searched for as it is written."""
    return json.dumps(_alias(source_id, external_id))


def organization_for_alias(*, source: PartnerSource, external_id: str) -> Organization | None:
    """The organization that an organization with this (source, external id) was merged into.

    The merge writes an admin LogEntry on the organization kept, whose JSON change message
    names each (source, external id) it absorbed (see `organization_merge`)."""
    if not external_id:
        return None
    content_type = ContentType.objects.get_for_model(Organization)
    object_ids = (
        LogEntry.objects.filter(
            content_type=content_type,
            action_flag=CHANGE,
            change_message__contains=_alias_marker(source.pk, external_id),
        )
        .order_by("-action_time", "-pk")
        .values_list("object_id", flat=True)
    )
    for object_id in object_ids:
        if not object_id:
            continue
        organization = Organization.objects.filter(pk=object_id).first()
        if organization is not None:
            return organization
    return None


def _aliases_of(organization: Organization) -> list[dict[str, Any]]:
    """The (source, external id) pairs organizations merged into this one had."""
    content_type = ContentType.objects.get_for_model(Organization)
    found: list[dict[str, Any]] = []
    for message in LogEntry.objects.filter(
        content_type=content_type,
        action_flag=CHANGE,
        object_id=str(organization.pk),
        change_message__contains='"merged_alias"',
    ).values_list("change_message", flat=True):
        try:
            parts = json.loads(message)
        except ValueError:
            continue
        for part in parts if isinstance(parts, list) else []:
            alias = part.get("merged_alias") if isinstance(part, dict) else None
            if alias:
                found.append(_alias(alias["source"], alias["external_id"]))
    return found


# --- The automatic rule ------------------------------------------------------------------------


def _only(candidates: Iterable[_Candidate]) -> int | None:
    found = {candidate.pk for candidate in candidates}
    return found.pop() if len(found) == 1 else None


@dataclass(frozen=True)
class _Aliased:
    """An organization found by one of its aliases, and the country of that alias."""

    candidate: _Candidate
    country_iso3: str


def match_organization(
    keys: OrganizationKeys,
    candidates: Iterable[_Candidate],
    *,
    source: PartnerSource | None = None,
    external_id: str = "",
    aliased: Iterable[_Aliased] = (),
) -> int | None:
    """Steps 2 to 5 of the rule in the module docstring, over `candidates` and the
    organizations found by the record's keys among the aliases (`aliased`): the id of the one
    organization found, or None."""

    def allowed(candidate: _Candidate) -> bool:
        return not (
            source is not None
            and candidate.source_id == source.pk
            and candidate.external_id
            and candidate.external_id != external_id
        )

    pool = [candidate for candidate in candidates if allowed(candidate)]
    if source is not None and source.connector == PartnerSource.Connector.IATI and external_id:
        found = _only(
            c
            for c in pool
            if c.source_connector == PartnerSource.Connector.IATI and c.external_id == external_id
        )
        if found is not None:
            return found
    by_alias = [
        a.candidate
        for a in aliased
        if allowed(a.candidate)
        and (
            not keys.country_iso3
            or not a.country_iso3
            or keys.country_iso3 in (a.country_iso3, a.candidate.keys.country_iso3)
        )
    ]
    if by_alias:
        return _only(by_alias)
    if keys.name:
        same_name = [c for c in pool if c.keys.name == keys.name]
        if keys.country_iso3:
            same_name = [c for c in same_name if c.keys.country_iso3 == keys.country_iso3]
        found = _only(same_name)
        if found is not None:
            return found
        if len(same_name) > 1:
            return None
    if keys.host:
        return _only(
            c
            for c in pool
            if c.keys.host == keys.host
            and (
                (keys.country_iso3 and c.keys.country_iso3 == keys.country_iso3)
                or (keys.acronyms & c.keys.acronyms)
                or (keys.name and c.keys.name == keys.name)
            )
        )
    return None


def find_organization(
    record: OrganizationRecord, *, source: PartnerSource | None = None
) -> Organization | None:
    """The organization this record describes, by the rule of the module docstring, or None
    (the caller then creates one). Pass the `source` the record was read from: without it only
    steps 3 and 4 apply."""
    (found,) = find_organization_ids([record], source=source)
    return Organization.objects.filter(pk=found).first() if found is not None else None


def find_organization_ids(
    records: Sequence[OrganizationRecord], *, source: PartnerSource | None = None
) -> list[int | None]:
    """`find_organization` for many records at once, in a few queries whatever their number
    (the sync engine asks about each page's new organizations together): the id of the
    organization each record describes, or None, in the records' order."""
    results: list[int | None] = [None] * len(records)
    pending = list(range(len(records)))
    if source is not None:
        external_ids = {record.external_id for record in records if record.external_id}
        if external_ids:
            own: dict[str, int] = {}
            # In the model's ordering, as `.first()` of one lookup would take them.
            for external_id, pk in Organization.objects.filter(
                source=source, external_id__in=external_ids
            ).values_list("external_id", "pk"):
                own.setdefault(external_id, pk)
            merged = _aliases_for(source, external_ids - set(own))
            for index in list(pending):
                external_id = records[index].external_id
                found = own.get(external_id) or merged.get(external_id)
                if external_id and found is not None:
                    results[index] = found
                    pending.remove(index)
    if not pending:
        return results
    keys_of = {
        index: organization_keys(
            name=records[index].name,
            acronym=records[index].acronym,
            country_iso3=records[index].country_iso3,
            website=records[index].website,
        )
        for index in pending
    }
    aliases = _aliases_by_key(keys_of.values())
    with _INDEX.lock:
        _INDEX.refresh()
        for index in pending:
            keys, record = keys_of[index], records[index]
            wanted = [
                (OrganizationAlias.Kind.NAME, keys.name),
                (OrganizationAlias.Kind.WEBSITE, keys.host),
                *((OrganizationAlias.Kind.ACRONYM, acronym) for acronym in keys.acronyms),
            ]
            results[index] = match_organization(
                keys,
                _INDEX.candidates_now(keys, external_id=record.external_id),
                source=source,
                external_id=record.external_id,
                aliased=[aliases[key] for key in wanted if key in aliases],
            )
    # The index may trail a deletion made since its refresh: only organizations that exist.
    existing = set(
        Organization.objects.filter(pk__in={pk for pk in results if pk is not None}).values_list(
            "pk", flat=True
        )
    )
    return [pk if pk in existing else None for pk in results]


def _aliases_for(source: PartnerSource, external_ids: Iterable[str]) -> dict[str, int]:
    """`organization_for_alias` for many external ids of one source, in two queries."""
    wanted = [external_id for external_id in external_ids if external_id]
    if not wanted:
        return {}
    content_type = ContentType.objects.get_for_model(Organization)
    prefix = _alias_marker(source.pk, "")[: -len('""}')]  # '{"source": 7, "external_id": '
    messages = list(
        LogEntry.objects.filter(
            content_type=content_type, action_flag=CHANGE, change_message__contains=prefix
        )
        .order_by("-action_time", "-pk")
        .values_list("object_id", "change_message")
    )
    if not messages:
        return {}
    existing = {
        str(pk)
        for pk in Organization.objects.filter(
            pk__in=[int(o) for o, _m in messages if o and o.isdigit()]
        ).values_list("pk", flat=True)
    }
    found: dict[str, int] = {}
    for external_id in wanted:
        marker = _alias_marker(source.pk, external_id)
        for object_id, message in messages:
            if object_id in existing and marker in message:
                found[external_id] = int(object_id)
                break
    return found


def _aliases_by_key(all_keys: Iterable[OrganizationKeys]) -> dict[tuple[str, str], _Aliased]:
    """The organizations that have one of these keys as an alias, by (kind, key): one query
    for the aliases, one for their organizations."""
    names: set[str] = set()
    acronyms: set[str] = set()
    hosts: set[str] = set()
    for keys in all_keys:
        names.add(keys.name)
        acronyms |= keys.acronyms
        hosts.add(keys.host)
    Kind = OrganizationAlias.Kind
    rows = list(
        OrganizationAlias.objects.filter(
            Q(kind=Kind.NAME, normalized__in=names - {""})
            | Q(kind=Kind.ACRONYM, normalized__in=acronyms)
            | Q(kind=Kind.WEBSITE, normalized__in=hosts - {""})
        ).values_list("kind", "normalized", "organization_id", "country__iso3")
    )
    if not rows:
        return {}
    organizations = {
        candidate.pk: candidate
        for candidate in _candidates(Organization.objects.filter(pk__in={r[2] for r in rows}))
    }
    return {
        (kind, key): _Aliased(organizations[pk], iso3 or "")
        for kind, key, pk, iso3 in rows
        if pk in organizations
    }


class _OrganizationIndex:
    """The keys of every organization, by name key, website host and external id, kept in
    memory between calls: the sync engine asks about each organization it has not seen, and
    normalising every name on each call would cost a scan of the table.

    Before each lookup one aggregate query checks (count, highest id, latest `updated_at`);
    when it changed, the rows saved since are read again, or all of them when some were deleted.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self._signature: tuple[int, int | None, datetime.datetime | None] | None = None
        self._by_pk: dict[int, _Candidate] = {}
        self._by_name: dict[str, set[int]] = defaultdict(set)
        self._by_host: dict[str, set[int]] = defaultdict(set)
        self._by_external_id: dict[str, set[int]] = defaultdict(set)

    def _add(self, candidate: _Candidate) -> None:
        self._remove(candidate.pk)
        self._by_pk[candidate.pk] = candidate
        if candidate.keys.name:
            self._by_name[candidate.keys.name].add(candidate.pk)
        if candidate.keys.host:
            self._by_host[candidate.keys.host].add(candidate.pk)
        if candidate.external_id:
            self._by_external_id[candidate.external_id].add(candidate.pk)

    def _remove(self, pk: int) -> None:
        old = self._by_pk.pop(pk, None)
        if old is not None:
            self._by_name[old.keys.name].discard(pk)
            self._by_host[old.keys.host].discard(pk)
            self._by_external_id[old.external_id].discard(pk)

    def refresh(self) -> None:
        """Read what changed since the last refresh; the caller holds `lock`."""
        stats = Organization.objects.aggregate(
            count=Count("pk"), last_pk=Max("pk"), last_update=Max("updated_at")
        )
        signature = (stats["count"], stats["last_pk"], stats["last_update"])
        if signature == self._signature:
            return
        previous = self._signature
        if previous is None or previous[2] is None or signature[0] < previous[0]:
            self._clear()
            changed = _candidates(Organization.objects.all())
        else:
            changed = _candidates(Organization.objects.filter(updated_at__gte=previous[2]))
        for candidate in changed:
            self._add(candidate)
        # Rows deleted as others were added, or saved with an older `updated_at`: read all.
        if len(self._by_pk) != signature[0] or max(self._by_pk, default=None) != signature[1]:
            self._clear()
            for candidate in _candidates(Organization.objects.all()):
                self._add(candidate)
        self._signature = signature

    def candidates(self, keys: OrganizationKeys, *, external_id: str) -> list[_Candidate]:
        """The organizations sharing the name key, website host or external id of `keys`:
        all that the rule's steps 2 to 4 can match."""
        with self.lock:
            self.refresh()
            return self.candidates_now(keys, external_id=external_id)

    def candidates_now(self, keys: OrganizationKeys, *, external_id: str) -> list[_Candidate]:
        """`candidates` without a refresh; the caller holds `lock` and has refreshed."""
        pks = set()
        if keys.name:
            pks |= self._by_name.get(keys.name, set())
        if keys.host:
            pks |= self._by_host.get(keys.host, set())
        if external_id:
            pks |= self._by_external_id.get(external_id, set())
        return [self._by_pk[pk] for pk in sorted(pks)]


_INDEX = _OrganizationIndex()


# --- Candidate groups for staff -----------------------------------------------------------------


@dataclass
class DuplicateGroup:
    """Organizations that may be one; `reasons` says which keys they share."""

    organizations: list[Organization]
    reasons: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return "-".join(str(organization.pk) for organization in self.organizations)


def duplicate_candidates(*, limit: int = 200) -> list[DuplicateGroup]:
    """Groups of organizations that share, within one country, a name key or an acronym (or
    one's one-word name is the other's acronym), or that share a website host anywhere. Two
    organizations of one source with different external ids are never grouped on their own
    account. Largest groups first, then by name."""
    candidates = _candidates(Organization.objects.all())
    parent: dict[int, int] = {c.pk: c.pk for c in candidates}
    reasons: dict[int, set[str]] = defaultdict(set)

    def root(pk: int) -> int:
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    def distinct_by_source(a: _Candidate, b: _Candidate) -> bool:
        return bool(
            a.source_id is not None
            and a.source_id == b.source_id
            and a.external_id
            and b.external_id
            and a.external_id != b.external_id
        )

    buckets: dict[tuple[str, ...], list[_Candidate]] = defaultdict(list)
    for candidate in candidates:
        keys = candidate.keys
        if keys.name:
            buckets[("name", keys.country_iso3, keys.name)].append(candidate)
        for acronym in keys.acronyms:
            buckets[("acronym", keys.country_iso3, acronym)].append(candidate)
        if keys.host:
            buckets[("website", keys.host)].append(candidate)
    labels = {
        "name": _("same name"),
        "acronym": _("same acronym"),
        "website": _("same website"),
    }
    for bucket_key, members in buckets.items():
        if len(members) < 2:
            continue
        first = members[0]
        for other in members[1:]:
            if distinct_by_source(first, other):
                continue
            a, b = root(first.pk), root(other.pk)
            if a != b:
                parent[b] = a
                reasons[a] |= reasons.pop(b, set())
            reasons[a].add(str(labels[bucket_key[0]]))

    groups: dict[int, list[int]] = defaultdict(list)
    for candidate in candidates:
        groups[root(candidate.pk)].append(candidate.pk)
    multi = {group_root: pks for group_root, pks in groups.items() if len(pks) > 1}
    organizations = Organization.objects.select_related("country", "source").in_bulk(
        [pk for pks in multi.values() for pk in pks]
    )
    found = [
        DuplicateGroup(
            organizations=[organizations[pk] for pk in sorted(pks)],
            reasons=sorted(reasons.get(group_root, set())),
        )
        for group_root, pks in multi.items()
    ]
    found.sort(key=lambda g: (-len(g.organizations), g.organizations[0].name.casefold()))
    return found[:limit]


# --- The merge ----------------------------------------------------------------------------------

_ROLE_STRENGTH: dict[str, int] = {
    EntryProvider.Role.LEAD: 3,
    EntryProvider.Role.PARTNER: 2,
    EntryProvider.Role.FUNDER: 1,
}
_MEMBERSHIP_STRENGTH: dict[str, int] = {
    Membership.Role.ADMINISTRATOR: 2,
    Membership.Role.CONTRIBUTOR: 1,
}
# Filled from the organization merged away when the one kept has none.
_FILLED_FIELDS = ("acronym", "website", "description", "contact_email")


@dataclass
class MergeResult:
    keep: Organization
    moved: dict[str, int] = field(default_factory=dict)  # "app.model.field" -> rows re-pointed
    aliases: list[OrganizationAlias] = field(default_factory=list)  # added by the merge


def _add_merge_aliases(
    keep: Organization, *, name: str, acronym: str, website: str, country_id: int | None
) -> list[OrganizationAlias]:
    """The name, acronym and website host of an organization merged into `keep`, as aliases of
    `keep`, where they differ from its own. A key that is already an alias stays where it is
    (the first merge that claimed it wins): nothing is taken from another organization."""
    Kind = OrganizationAlias.Kind
    own = organization_keys(name=keep.name, acronym=keep.acronym, website=keep.website)
    own_keys = {(Kind.NAME, own.name), (Kind.WEBSITE, own.host)} | {
        (Kind.ACRONYM, acronym) for acronym in own.acronyms
    }
    added: list[OrganizationAlias] = []
    for kind, spelling in ((Kind.NAME, name), (Kind.ACRONYM, acronym), (Kind.WEBSITE, website)):
        key = alias_key(kind, spelling)
        if not key or (kind, key) in own_keys:
            continue
        alias, created = OrganizationAlias.objects.get_or_create(
            kind=kind,
            normalized=key,
            defaults={
                "organization": keep,
                "spelling": spelling.strip()[:255],
                "country_id": country_id,
                "origin": OrganizationAlias.Origin.MERGE,
            },
        )
        if created:
            added.append(alias)
    return added


def _merge_entry_providers(keep: Organization, merge: Organization) -> int:
    moved = 0
    kept_links = {link.entry_id: link for link in EntryProvider.objects.filter(organization=keep)}
    for link in EntryProvider.objects.filter(organization=merge):
        existing = kept_links.get(link.entry_id)
        if existing is None:
            link.organization = keep
            link.save(update_fields=["organization"])
        else:
            # One entry named both: one link, with the stronger role of the two.
            if _ROLE_STRENGTH.get(link.role, 0) > _ROLE_STRENGTH.get(existing.role, 0):
                existing.role = link.role
                existing.save(update_fields=["role"])
            link.delete()
        moved += 1
    return moved


def _merge_memberships(keep: Organization, merge: Organization) -> int:
    moved = 0
    kept = {m.user_id: m for m in Membership.objects.filter(organization=keep)}
    for membership in Membership.objects.filter(organization=merge):
        existing = kept.get(membership.user_id)
        if existing is None:
            membership.organization = keep
            membership.save(update_fields=["organization"])
        else:
            if _MEMBERSHIP_STRENGTH.get(membership.role, 0) > _MEMBERSHIP_STRENGTH.get(
                existing.role, 0
            ):
                existing.role = membership.role
                existing.save(update_fields=["role"])
            membership.delete()
        moved += 1
    return moved


def _merge_invitations(keep: Organization, merge: Organization) -> int:
    pending_to_keep = {
        email.casefold()
        for email in Invitation.objects.filter(
            organization=keep, accepted_at__isnull=True, cancelled_at__isnull=True
        ).values_list("email", flat=True)
    }
    moved = 0
    for invitation in Invitation.objects.filter(organization=merge):
        pending = invitation.accepted_at is None and invitation.cancelled_at is None
        if pending and invitation.email.casefold() in pending_to_keep:
            # The person is already invited to the organization kept: one invitation waits.
            invitation.cancelled_at = timezone.now()
        invitation.organization = keep
        invitation.save(update_fields=["organization", "cancelled_at"])
        moved += 1
    return moved


_API_KEY_NAME_LENGTH = 100  # ApiKey.name's max_length


def _merge_api_keys(keep: Organization, merge: Organization) -> int:
    active_names = {
        name.casefold()
        for name in ApiKey.objects.filter(organization=keep, revoked_at__isnull=True).values_list(
            "name", flat=True
        )
    }
    moved = 0
    for key in ApiKey.objects.filter(organization=merge):
        if key.revoked_at is None and key.name.casefold() in active_names:
            # Names are unique among an organization's active keys: say where this one came from.
            suffix = f" ({merge.name})"
            key.name = key.name[: _API_KEY_NAME_LENGTH - len(suffix)] + suffix
        key.organization = keep
        key.save(update_fields=["organization", "name"])
        moved += 1
    return moved


def _merge_m2m_through(
    through: type[models.Model], field_name: str, other: str, keep: int, merge: int
) -> int:
    """Re-point the rows of an auto-created many-to-many table; a row the kept organization
    already has is dropped."""
    already = through._default_manager.filter(**{field_name: keep}).values(other)
    through._default_manager.filter(**{field_name: merge, f"{other}__in": already}).delete()
    return through._default_manager.filter(**{field_name: merge}).update(**{field_name: keep})


def _merge_generic(
    model: type[models.Model], field_name: str, keep: Organization, merge: Organization
) -> int:
    rows = model._default_manager.filter(**{field_name: merge})
    try:
        with transaction.atomic():
            return rows.update(**{field_name: keep})
    except IntegrityError as exc:
        raise ApplicationError(
            _(
                "The organizations cannot be merged: their %(things)s conflict (%(error)s). "
                "Resolve it by hand first."
            )
            % {"things": model._meta.verbose_name_plural, "error": exc}
        ) from exc


_SPECIAL_FOREIGN_KEYS: dict[type[models.Model], Any] = {
    EntryProvider: _merge_entry_providers,
    Membership: _merge_memberships,
    Invitation: _merge_invitations,
    ApiKey: _merge_api_keys,
}


def _log(
    *, object_id: int, object_repr: str, by: User, flag: int, message: list[dict[str, Any]]
) -> None:
    LogEntry.objects.create(
        user_id=by.pk,
        content_type=ContentType.objects.get_for_model(Organization),
        object_id=str(object_id),
        object_repr=object_repr[:200],
        action_flag=flag,
        change_message=json.dumps(message),
    )


@transaction.atomic
def organization_merge(*, keep: Organization, merge: Organization, by: User) -> MergeResult:
    """Make `merge` part of `keep` and delete it, in one transaction.

    Every row that points at `merge` (found through `Organization._meta.related_objects`, so a
    relation added later is not forgotten) points at `keep` afterwards; where `keep` already has
    the same row (an entry both provide, a person in both, an invitation to the same address,
    an API key of the same name) the two become one. Blank fields of `keep` take `merge`'s
    values. `merge`'s (source, external id) stays findable: moved to `keep` when it has none,
    otherwise written as an alias in the admin log (see `organization_for_alias`); its name,
    acronym and website become `OrganizationAlias`es of `keep` (its own aliases move with the
    other relations). So the next sync, by identifier or by the old spelling, does not create
    it again."""
    if keep.pk == merge.pk:
        raise ApplicationError(_("An organization cannot be merged into itself."))
    locked = Organization.objects.select_for_update().in_bulk([keep.pk, merge.pk])
    if len(locked) != 2:
        raise ApplicationError(_("One of the organizations no longer exists."))
    keep, merge = locked[keep.pk], locked[merge.pk]
    result = MergeResult(keep=keep)
    entry_ids = set(
        EntryProvider.objects.filter(organization__in=[keep, merge]).values_list(
            "entry_id", flat=True
        )
    ) | set(
        Entry.member_organizations.through.objects.filter(  # type: ignore[attr-defined]
            organization__in=[keep, merge]
        ).values_list("entry_id", flat=True)
    )

    for relation in Organization._meta.related_objects:
        related = relation.related_model
        assert isinstance(related, type)
        label = f"{related._meta.label}.{relation.field.name}"
        if relation.many_to_many:
            m2m = relation.field
            assert isinstance(m2m, models.ManyToManyField)
            through = m2m.remote_field.through
            assert isinstance(through, type)
            if not through._meta.auto_created:
                continue  # a model of its own (EntryProvider): handled as a foreign key below
            result.moved[label] = _merge_m2m_through(
                through,
                m2m.m2m_reverse_field_name(),
                m2m.m2m_field_name(),
                keep.pk,
                merge.pk,
            )
        elif related in _SPECIAL_FOREIGN_KEYS:
            result.moved[label] = _SPECIAL_FOREIGN_KEYS[related](keep, merge)
        else:
            result.moved[label] = _merge_generic(related, relation.field.name, keep, merge)

    changed = [name for name in _FILLED_FIELDS if not getattr(keep, name) and getattr(merge, name)]
    for name in changed:
        setattr(keep, name, getattr(merge, name))

    aliases = _aliases_of(merge)
    take_provenance = keep.source_id is None and merge.source_id is not None
    if merge.source_id is not None and merge.external_id and not take_provenance:
        aliases.append(_alias(merge.source_id, merge.external_id))
    merged_pk, merged_source, merged_external_id = merge.pk, merge.source_id, merge.external_id
    merged_description = f"{merge} (#{merge.pk})"
    merged_names = (merge.name, merge.acronym, merge.website, merge.country_id)

    log_entry_changes(entry_ids)
    merge.delete()
    if take_provenance:
        keep.source_id, keep.external_id = merged_source, merged_external_id
        changed += ["source", "external_id"]
    if changed:
        keep.save(update_fields=[*changed, "updated_at"])
    name, acronym, website, country_id = merged_names
    result.aliases = _add_merge_aliases(
        keep, name=name, acronym=acronym, website=website, country_id=country_id
    )

    message: list[dict[str, Any]] = [
        {"deleted": {"name": str(Organization._meta.verbose_name), "object": merged_description}}
    ]
    message += [{"merged_alias": alias} for alias in aliases]
    if result.aliases:
        message.append({"added_aliases": [alias.spelling for alias in result.aliases]})
    if changed:
        message.append({"changed": {"fields": changed}})
    _log(object_id=keep.pk, object_repr=str(keep), by=by, flag=CHANGE, message=message)
    _log(
        object_id=merged_pk,
        object_repr=merged_description,
        by=by,
        flag=DELETION,
        message=[{"merged_into": {"organization": keep.pk, "name": str(keep)}}],
    )
    return result
