"""What a partner record becomes here: its content hash, and the values and related ids it is
stored as (`map_entry`), with the source's field mapping applied (`overridden`)."""

import dataclasses
import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from catalog.models import Country, Entry, EntryProvider, Organization, SdgGoal, SdgTarget, Theme
from catalog.models.entries import CONTENT_LANGUAGES, KINDS_BY_MODULE
from partners.connectors.base import Deletion, EntryRecord, OrganizationRecord, RecordError

# Part of every content hash: when the way records are stored changes, raise it and the next
# run stores every record again.
ENGINE_VERSION = 2

SCALAR_FIELDS = (
    "module",
    "kind",
    "title",
    "summary",
    "body",
    "language",
    "starts_on",
    "ends_on",
    "source_url",
)
# Relations, by the names the contribution forms use (catalog/services.py marks them as
# locally edited under these names), plus providers and translations.
M2M_FIELDS = ("countries_applied", "countries_of_origin", "themes", "sdg_goals", "sdg_targets")
RELATION_FIELDS = (*M2M_FIELDS, "providers", "links", "translations")
DATED_MODULES = (Entry.Module.OPPORTUNITY, Entry.Module.EVENT)
_LANGUAGES = {code for code, _label in CONTENT_LANGUAGES}
_MODULES = frozenset(Entry.Module.values)
_TITLE_MAX = Entry._meta.get_field("title").max_length or 300
_SUMMARY_MAX = 1000
_URL_MAX = 500
_LABEL_MAX = 200
_ORG_NAME_MAX = Organization._meta.get_field("name").max_length or 255


@dataclass
class Counts:
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    failed: int = 0
    # Published entries were created, changed or archived: the needs' suggestions may change.
    catalogue_changed: bool = False

    def add(self, other: "Counts") -> None:
        for name in ("fetched", "created", "updated", "unchanged", "archived", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.catalogue_changed = self.catalogue_changed or other.catalogue_changed


@dataclass
class Reference:
    """The reference vocabularies by code, read once per run."""

    countries: dict[str, int]
    themes: dict[str, int]
    goals: dict[int, int]
    targets: dict[str, tuple[int, int]]  # code -> (id, goal number)

    @classmethod
    def load(cls) -> "Reference":
        return cls(
            countries=dict(Country.objects.values_list("iso3", "pk")),
            themes=dict(Theme.objects.values_list("code", "pk")),
            goals=dict(SdgGoal.objects.values_list("number", "pk")),
            targets={
                code: (pk, number)
                for code, pk, number in SdgTarget.objects.values_list("code", "pk", "goal__number")
            },
        )


@dataclass
class Mapped:
    """An entry record turned into what is stored: column values and related ids."""

    external_id: str
    content_hash: str
    scalars: dict[str, Any]
    # Comparable values of each relation: sorted tuples of ids or of rows.
    relations: dict[str, tuple[Any, ...]]
    # (organization key, record, role) of each provider.
    providers: list[tuple[tuple[str, str, str], OrganizationRecord, str]]
    warnings: list[str] = field(default_factory=list)


@dataclass
class Read:
    """One raw record as the connector mapped it, or why it could not be."""

    item: EntryRecord | Deletion | OrganizationRecord | None
    external_id: str = ""
    digest: str = ""  # an EntryRecord's content hash, after the source's field mapping
    error: str = ""  # why `item` is None


ROLE_RANK: dict[str, int] = {
    EntryProvider.Role.LEAD: 0,
    EntryProvider.Role.PARTNER: 1,
    EntryProvider.Role.FUNDER: 2,
}


def clean_text(value: str | None, limit: int | None = None) -> str:
    """Text as PostgreSQL stores it (no NUL characters), stripped, cut to `limit`."""
    text = (value or "").replace("\x00", "").strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


@functools.lru_cache(maxsize=100_000)
def normalized_name(name: str) -> str:
    """Case-folded, accents and punctuation removed: "Centre Régional, AGRHYMET" ->
    "centre regional agrhymet"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def organization_key(record: OrganizationRecord) -> tuple[str, str, str]:
    return (
        clean_text(record.external_id)[:255],
        normalized_name(clean_text(record.name)),
        clean_text(record.country_iso3).upper(),
    )


def _record_values(record: EntryRecord) -> list[Any]:
    """The record's fields in their declared order, texts by language in code order: the same
    record always gives the same list."""
    values: list[Any] = []
    for name, value in record.__dict__.items():
        if type(value) is dict:
            values.append(sorted(value.items()))
        elif name == "providers":
            values.append([list(provider.__dict__.values()) for provider in value])
        else:
            values.append(value)
    return values


def content_hash(record: EntryRecord) -> str:
    """A digest of everything the record says (a quarter of the time `json.dumps(...,
    sort_keys=True)` of its dict took: hashing is the main cost of an unchanged record)."""
    text = json.dumps(_record_values(record), ensure_ascii=False, default=str)
    return hashlib.blake2b(
        f"{ENGINE_VERSION}:{text}".encode(errors="surrogatepass"), digest_size=32
    ).hexdigest()


def _renamed(mapping: dict[str, Any], vocabulary: str, codes: Iterable[str]) -> list[str]:
    renames = mapping.get(vocabulary) or {}
    return [renames.get(code, code) for code in codes]


def overridden(record: EntryRecord, mapping: dict[str, Any]) -> EntryRecord:
    """The record with the source's field mapping applied (module, kind, code renames)."""
    changes: dict[str, Any] = {}
    if mapping.get("module"):
        changes["module"] = mapping["module"]
    if mapping.get("kind"):
        changes["kind"] = mapping["kind"]
    if mapping.get("themes"):
        changes["theme_slugs"] = tuple(_renamed(mapping, "themes", record.theme_slugs))
    if mapping.get("countries"):
        changes["countries_iso3"] = tuple(_renamed(mapping, "countries", record.countries_iso3))
        changes["origin_countries_iso3"] = tuple(
            _renamed(mapping, "countries", record.origin_countries_iso3)
        )
    if mapping.get("sdg_targets"):
        changes["sdg_targets"] = tuple(_renamed(mapping, "sdg_targets", record.sdg_targets))
    return dataclasses.replace(record, **changes) if changes else record


def map_entry(record: EntryRecord, digest: str, reference: Reference) -> Mapped:
    """The record (with the source's field mapping applied) as it is stored."""
    module, kind = record.module, record.kind
    if module not in _MODULES:
        raise RecordError(f"Unknown module “{module}”.", external_id=record.external_id)
    if kind not in KINDS_BY_MODULE[module]:
        raise RecordError(
            f"The kind “{kind}” does not belong to the module “{module}”; set the source's "
            "field mapping.",
            external_id=record.external_id,
        )
    language = record.language if record.language in _LANGUAGES else ""
    if not clean_text(record.titles.get(language)):
        language = next(
            (code for code, t in record.titles.items() if code in _LANGUAGES and t.strip()), ""
        )
    if not language:
        raise RecordError(
            "The record has no title in a language the portal stores "
            f"({', '.join(sorted(_LANGUAGES))}).",
            external_id=record.external_id,
        )

    unknown: list[str] = []

    def ids(codes: Iterable[Any], table: dict[Any, int], what: str) -> tuple[int, ...]:
        found: set[int] = set()
        for code in codes:
            pk = table.get(code)
            if pk is None:
                unknown.append(f"{what} “{code}”")
            else:
                found.add(pk)
        return tuple(sorted(found))

    countries_applied = ids(
        (c.upper() for c in record.countries_iso3), reference.countries, "country"
    )
    countries_of_origin = ids(
        (c.upper() for c in record.origin_countries_iso3), reference.countries, "country"
    )
    themes = ids(record.theme_slugs, reference.themes, "theme")
    target_ids: set[int] = set()
    goal_numbers = set(record.sdg_goals)
    for code in record.sdg_targets:
        target = reference.targets.get(code)
        if target is None:
            unknown.append(f"SDG target “{code}”")
        else:
            target_ids.add(target[0])
            goal_numbers.add(target[1])  # a target implies its goal
    goals = ids(sorted(goal_numbers), reference.goals, "SDG goal")
    if unknown:
        raise RecordError(
            f"Unknown codes: {', '.join(unknown)}. Add them to the source's field mapping.",
            external_id=record.external_id,
        )

    starts_on, ends_on = (
        (record.starts_on, record.ends_on) if module in DATED_MODULES else (None, None)
    )
    if starts_on and ends_on and ends_on < starts_on:
        raise RecordError(
            f"The record ends ({ends_on}) before it starts ({starts_on}).",
            external_id=record.external_id,
        )
    source_url = clean_text(record.source_url)
    scalars = {
        "module": module,
        "kind": kind,
        "title": clean_text(record.titles[language], _TITLE_MAX),
        "summary": clean_text(record.summaries.get(language), _SUMMARY_MAX),
        "body": clean_text(record.bodies.get(language)),
        "language": language,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "source_url": source_url if len(source_url) <= _URL_MAX else "",
    }
    translations = tuple(
        sorted(
            (
                code,
                clean_text(title, _TITLE_MAX),
                clean_text(record.summaries.get(code)),
                clean_text(record.bodies.get(code)),
            )
            for code, title in record.titles.items()
            if code != language and code in _LANGUAGES and clean_text(title)
        )
    )
    links: dict[str, str] = {}
    for url, label in record.links:
        url = clean_text(url)
        if url and len(url) <= _URL_MAX and url not in links:
            links[url] = clean_text(label, _LABEL_MAX)
    providers: dict[tuple[str, str, str], tuple[OrganizationRecord, str]] = {}
    for provider in record.providers:
        role = provider.role if provider.role in ROLE_RANK else EntryProvider.Role.PARTNER
        key = organization_key(provider)
        if not key[1] and not key[0]:
            continue
        if key not in providers or ROLE_RANK[role] < ROLE_RANK[providers[key][1]]:
            providers[key] = (provider, role)
    return Mapped(
        external_id=record.external_id,
        content_hash=digest,
        scalars=scalars,
        relations={
            "countries_applied": countries_applied,
            "countries_of_origin": countries_of_origin,
            "themes": themes,
            "sdg_goals": goals,
            "sdg_targets": tuple(sorted(target_ids)),
            "links": tuple(links.items()),
            "translations": translations,
        },
        providers=[(key, record, role) for key, (record, role) in providers.items()],
    )
