"""The automatic rule the sync engine applies to each organization it reads
(`partners.dedup` lists its steps): aliases, the steps and the per-page index of candidates."""

import datetime
import json
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Max, Q

from catalog.models import Organization
from partners.connectors.base import OrganizationRecord
from partners.dedup.keys import OrganizationKeys, organization_keys
from partners.models import OrganizationAlias, PartnerSource


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
