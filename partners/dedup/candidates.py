"""The groups of likely duplicate organizations shown to staff."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from catalog.models import Organization
from partners.dedup.lookup import _Candidate, _candidates

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
