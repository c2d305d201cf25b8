"""Index documents for catalogue entries, read from the database in batches.

A batch costs seven or eight queries whatever its size: the entries, then one per many-to-many
table (countries of origin, countries of application, themes, goals, targets, providers), and
the type and country of the provider organizations not met in an earlier batch. Reference tables
are read once per call into dicts.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from catalog.models import Country, Entry, EntryProvider, Organization, SdgGoal, SdgTarget, Theme
from search import schema
from search.analysis import language_key, prepare

_ENTRY_COLUMNS = (
    "id",
    "module",
    "kind",
    "title",
    "summary",
    "body",
    "language",
    "published_at",
    "deadline",
    "starts_on",
    "ends_on",
)


@dataclass(frozen=True, slots=True)
class _Place:
    iso3: str
    region: str
    subregion: str
    groups: tuple[str, ...]


@dataclass(frozen=True)
class _Reference:
    places: dict[int, _Place]
    themes: dict[int, str]
    goals: dict[int, str]
    targets: dict[int, tuple[str, str]]  # id -> (code, goal number)
    # id -> (type, Southern), filled as providers are met.
    organizations: dict[int, tuple[str, bool]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "_Reference":
        places = {
            pk: _Place(
                iso3=iso3,
                region=region,
                subregion=subregion,
                groups=tuple(
                    name for name, flag in (("ldc", ldc), ("lldc", lldc), ("sids", sids)) if flag
                ),
            )
            for pk, iso3, region, subregion, ldc, lldc, sids in Country.objects.values_list(
                "pk", "iso3", "region_code", "subregion_code", "is_ldc", "is_lldc", "is_sids"
            )
        }
        return cls(
            places=places,
            themes=dict(Theme.objects.values_list("pk", "code")),
            goals={pk: str(number) for pk, number in SdgGoal.objects.values_list("pk", "number")},
            targets={
                pk: (code, str(goal))
                for pk, code, goal in SdgTarget.objects.values_list("pk", "code", "goal__number")
            },
        )


def entry_documents(
    entry_ids: Iterable[int] | None = None, *, batch_size: int = 2000
) -> Iterator[dict[str, Any]]:
    """Documents for the published entries among `entry_ids` (all published ones for None).

    Ids of entries that are not published, or no longer exist, yield nothing: the indexer
    deletes those. Each document is a dict of index field names (`search.schema`) to values that
    `tantivy.Document.from_dict` accepts.
    """
    reference = _Reference.load()
    for batch in _batches(entry_ids, batch_size):
        yield from _batch_documents(batch, reference)


def _batches(entry_ids: Iterable[int] | None, batch_size: int) -> Iterator[list[tuple[Any, ...]]]:
    published = Entry.objects.published().order_by("id")
    if entry_ids is None:
        last_id = 0
        while rows := list(
            published.filter(id__gt=last_id).values_list(*_ENTRY_COLUMNS)[:batch_size]
        ):
            yield rows
            last_id = rows[-1][0]
        return
    ids = sorted(set(entry_ids))
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        if rows := list(published.filter(id__in=chunk).values_list(*_ENTRY_COLUMNS)):
            yield rows


def _of_entries(ids: list[int]) -> dict[str, Any]:
    """A filter on the rows of these entries (sorted ids). A range when the ids are dense, as
    in a full rebuild: an IN list of thousands of ids costs more in Django than in SQL, and the
    rows of other entries in the range are ignored."""
    if ids[-1] - ids[0] < 4 * len(ids):
        return {"entry_id__gte": ids[0], "entry_id__lte": ids[-1]}
    return {"entry_id__in": ids}


def _links(through: type[Model], ids: list[int], column: str) -> dict[int, list[int]]:
    links: dict[int, list[int]] = defaultdict(list)
    rows = through._default_manager.filter(**_of_entries(ids)).values_list("entry_id", column)
    for entry_id, other_id in rows:
        links[entry_id].append(other_id)
    return links


def _provider_links(ids: list[int], reference: _Reference) -> list[tuple[int, int]]:
    """(entry, organization) pairs. The organizations' type and country are read once per call
    of `entry_documents`, for those not met yet: joining them in would hash the whole
    organization table for every batch."""
    links = list(
        EntryProvider.objects.filter(**_of_entries(ids)).values_list("entry_id", "organization_id")
    )
    if missing := {pk for _, pk in links} - reference.organizations.keys():
        reference.organizations.update(
            (pk, (org_type, southern))
            for pk, org_type, southern in Organization.objects.filter(pk__in=missing).values_list(
                "pk", "type", "country__is_southern"
            )
        )
    return links


def _batch_documents(rows: list[tuple[Any, ...]], reference: _Reference) -> Iterator[dict]:
    ids = [row[0] for row in rows]
    origins = _links(Entry.countries_of_origin.through, ids, "country_id")
    applied = _links(Entry.countries_applied.through, ids, "country_id")
    themes = _links(Entry.themes.through, ids, "theme_id")
    goals = _links(Entry.sdg_goals.through, ids, "sdggoal_id")
    targets = _links(Entry.sdg_targets.through, ids, "sdgtarget_id")
    providers: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    for entry_id, organization_id in _provider_links(ids, reference):
        providers[entry_id].append(reference.organizations[organization_id])

    for row in rows:
        entry_id = row[0]
        places = [reference.places[pk] for pk in (*origins[entry_id], *applied[entry_id])]
        entry_targets = [reference.targets[pk] for pk in targets[entry_id]]
        document = _text_fields(row)
        document.update(
            {
                "module": [row[1]],
                "kind": [row[2]],
                "language": [row[6]],
                "theme": [reference.themes[pk] for pk in themes[entry_id]],
                "sdg_goal": sorted(
                    {reference.goals[pk] for pk in goals[entry_id]}
                    | {goal for _, goal in entry_targets}
                ),
                "sdg_target": [code for code, _ in entry_targets],
                "region": sorted({p.region for p in places if p.region}),
                "subregion": sorted({p.subregion for p in places if p.subregion}),
                "country": sorted({p.iso3 for p in places}),
                "country_group": sorted({group for p in places for group in p.groups}),
                "provider_type": sorted({org_type for org_type, _ in providers[entry_id]}),
                "cooperation": [_cooperation(providers[entry_id])],
            }
        )
        document.update(_date_fields(row))
        yield document


def _text_fields(row: tuple[Any, ...]) -> dict[str, Any]:
    entry_id, title, summary, body, language = row[0], *row[3:7]
    key = language_key(language)
    title_text = prepare(title)
    summary_text = prepare(summary)
    return {
        schema.ID: entry_id,
        schema.title_field(key): title_text,
        schema.body_field(key): f"{summary_text}\n{prepare(body)}",
        # Titles and summaries give the vocabulary for spelling suggestions; descriptions would
        # add 15% to the indexing time for few words of their own.
        schema.SPELLING: f"{title_text}\n{summary_text}",
    }


def _cooperation(providers: list[tuple[str, bool]]) -> str:
    # The rule of `Entry.cooperation`: UN entities facilitate rather than provide.
    flags = {southern for org_type, southern in providers if org_type != _UN_ENTITY}
    if not flags:
        return Entry.Cooperation.UNKNOWN.value
    if flags == {True}:
        return Entry.Cooperation.SOUTH_SOUTH.value
    if flags == {False}:
        return Entry.Cooperation.NORTHERN.value
    return Entry.Cooperation.TRIANGULAR.value


_UN_ENTITY = Organization.Type.UN_ENTITY.value


def _midnight(day: datetime.date | None) -> datetime.datetime | None:
    if day is None:
        return None
    return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC)


def _date_fields(row: tuple[Any, ...]) -> dict[str, Any]:
    module, published_at, deadline, starts_on, ends_on = row[1], *row[7:11]
    fields: dict[str, Any] = {}
    if published_at is not None:
        fields[schema.PUBLISHED_AT] = published_at
    if deadline is not None:
        fields[schema.DEADLINE] = _midnight(deadline)
    if module == Entry.Module.EVENT and starts_on is not None:
        fields[schema.EVENT_START] = _midnight(starts_on)
        fields[schema.EVENT_END] = _midnight(ends_on or starts_on)
    return fields
