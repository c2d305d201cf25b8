"""Which records the OAI-PMH provider lists, and its sets.

A record is a catalogue entry: a published one, or one that left the public catalogue (a
tombstone written by catalog/tombstones.py, and not published now: archived, sent back to draft
or deleted), which is a deleted record. The repository keeps deletions for good ("persistent").

Its datestamp is the entry's `updated_at`, or for a deleted record its latest tombstone. Lists
are ordered by (datestamp, entry id) and a page starts right after the last (datestamp, id) of
the page before: an entry changed or removed while a harvester pages through gets a new, later
datestamp and so comes again further on, instead of shifting the pages under the harvester;
nothing is skipped and nothing is listed twice within one state of the catalogue.

Sets: `module:<module>` (e.g. `module:technology`) and `theme:<theme code>`, below the parent
sets `module` (every entry) and `theme` (entries with a theme). A deleted record still in the
database keeps its sets; one deleted from the database is reported in every set, since its sets
are no longer known (a harvester that never had it ignores the deletion).
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BooleanField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.utils.translation import gettext as _

from catalog.models import Entry, Theme, Tombstone

_FALSE = Value(False, output_field=BooleanField())
_TRUE = Value(True, output_field=BooleanField())
MODULE_SET = "module"
THEME_SET = "theme"


@dataclass(frozen=True)
class OaiSet:
    spec: str
    name: str


@dataclass(frozen=True)
class RecordFilter:
    """The selective-harvesting arguments: a set, and datestamps from `since` (inclusive) up to
    `before` (exclusive: the end of the `until` day or second)."""

    set_spec: str | None = None
    since: datetime.datetime | None = None
    before: datetime.datetime | None = None


@dataclass(frozen=True)
class Position:
    """Where a page of a list ended: the last record's exact datestamp and entry id."""

    datestamp: datetime.datetime
    entry_id: int


@dataclass(frozen=True)
class RecordRef:
    entry_id: int
    datestamp: datetime.datetime
    deleted: bool

    @property
    def position(self) -> Position:
        return Position(self.datestamp, self.entry_id)


def oai_sets() -> list[OaiSet]:
    sets = [OaiSet(MODULE_SET, _("Catalogue modules"))]
    sets += [OaiSet(f"{MODULE_SET}:{module}", str(label)) for module, label in Entry.Module.choices]
    sets.append(OaiSet(THEME_SET, _("Themes (UNEP subprogrammes)")))
    sets += [
        OaiSet(f"{THEME_SET}:{code}", name)
        for code, name in Theme.objects.order_by("position", "name").values_list("code", "name")
    ]
    return sets


def set_exists(spec: str) -> bool:
    if spec in (MODULE_SET, THEME_SET):
        return True
    kind, _sep, value = spec.partition(":")
    if kind == MODULE_SET:
        return value in Entry.Module.values
    if kind == THEME_SET:
        return Theme.objects.filter(code=value).exists()
    return False


def entry_set_specs(entry: Entry) -> list[str]:
    """The leaf sets of an entry (its themes prefetched or not)."""
    return [f"{MODULE_SET}:{entry.module}"] + [
        f"{THEME_SET}:{theme.code}" for theme in sorted(entry.themes.all(), key=lambda t: t.code)
    ]


def _in_set(spec: str) -> Q | Exists:
    """The condition on `Entry` rows for membership of the set `spec` (which exists)."""
    themes = Entry.themes.through.objects.filter(entry_id=OuterRef("pk"))
    if spec == MODULE_SET:
        return Q()
    if spec == THEME_SET:
        return Exists(themes)
    kind, _sep, value = spec.partition(":")
    if kind == MODULE_SET:
        return Q(module=value)
    return Exists(themes.filter(theme__code=value))


def _live(record_filter: RecordFilter, after: Position | None) -> QuerySet[Any, Any]:
    entries = Entry.objects.filter(status=Entry.Status.PUBLISHED)
    if record_filter.set_spec:
        entries = entries.filter(_in_set(record_filter.set_spec))
    if record_filter.since:
        entries = entries.filter(updated_at__gte=record_filter.since)
    if record_filter.before:
        entries = entries.filter(updated_at__lt=record_filter.before)
    if after:
        entries = entries.filter(
            Q(updated_at__gt=after.datestamp) | Q(updated_at=after.datestamp, pk__gt=after.entry_id)
        )
    return (
        entries.order_by()
        .annotate(entry_id=F("pk"), stamp=F("updated_at"), gone=_FALSE)
        .values_list("entry_id", "stamp", "gone")
    )


def _gone(record_filter: RecordFilter, after: Position | None) -> QuerySet[Any, Any]:
    same_entry = Entry.objects.filter(pk=OuterRef("object_id"))
    tombstones = Tombstone.objects.filter(model=Tombstone.Kind.ENTRY).exclude(
        Exists(same_entry.filter(status=Entry.Status.PUBLISHED))
    )
    if record_filter.set_spec:
        tombstones = tombstones.filter(
            Exists(same_entry.filter(_in_set(record_filter.set_spec))) | ~Exists(same_entry)
        )
    gone = tombstones.order_by().values("object_id").annotate(stamp=Max("deleted_at"))
    if record_filter.since:
        gone = gone.filter(stamp__gte=record_filter.since)
    if record_filter.before:
        gone = gone.filter(stamp__lt=record_filter.before)
    if after:
        gone = gone.filter(
            Q(stamp__gt=after.datestamp) | Q(stamp=after.datestamp, object_id__gt=after.entry_id)
        )
    return gone.annotate(entry_id=F("object_id"), gone=_TRUE).values_list(
        "entry_id", "stamp", "gone"
    )


def record_refs(
    record_filter: RecordFilter, *, after: Position | None = None, limit: int
) -> list[RecordRef]:
    """The next `limit` records of the list after `after`, in (datestamp, entry id) order."""
    # Each part is cut to `limit` first, so that the database reads the first rows of each (a
    # top-N sort, or an index when one fits) instead of sorting both whole lists.
    order = ("stamp", "entry_id")
    live = _live(record_filter, after).order_by(*order)[:limit]
    gone = _gone(record_filter, after).order_by(*order)[:limit]
    union: Any = live.union(gone, all=True)
    rows: list[tuple[int, datetime.datetime, bool]] = list(union.order_by(*order)[:limit])
    return [RecordRef(entry_id=pk, datestamp=stamp, deleted=gone) for pk, stamp, gone in rows]


def record_count(record_filter: RecordFilter) -> int:
    return _live(record_filter, None).count() + _gone(record_filter, None).count()


def record_ref(entry_id: int) -> RecordRef | None:
    """The record of one entry, or None when it was never public."""
    entry = Entry.objects.filter(pk=entry_id).values("status", "updated_at").first()
    if entry is not None and entry["status"] == Entry.Status.PUBLISHED:
        return RecordRef(entry_id=entry_id, datestamp=entry["updated_at"], deleted=False)
    last_gone = Tombstone.objects.filter(model=Tombstone.Kind.ENTRY, object_id=entry_id).aggregate(
        at=Max("deleted_at")
    )["at"]
    if last_gone is None:
        return None
    return RecordRef(entry_id=entry_id, datestamp=last_gone, deleted=True)


def earliest_datestamp() -> datetime.datetime | None:
    live = Entry.objects.filter(status=Entry.Status.PUBLISHED).aggregate(at=Min("updated_at"))
    gone = Tombstone.objects.filter(model=Tombstone.Kind.ENTRY).aggregate(at=Min("deleted_at"))
    stamps = [stamp for stamp in (live["at"], gone["at"]) if stamp is not None]
    return min(stamps) if stamps else None


def entries_by_id(ids: list[int], *, with_metadata: bool) -> dict[int, Entry]:
    """The entries of a page, with what their headers (and metadata) show."""
    entries = Entry.objects.filter(pk__in=ids).prefetch_related("themes")
    if with_metadata:
        entries = entries.select_related("venue_country").prefetch_related(
            "provider_links__organization",
            "sdg_goals",
            "countries_applied",
            "countries_of_origin",
            "links",
        )
    return {entry.pk: entry for entry in entries}
