"""What the factors need to know about needs and entries, loaded in batches.

A batch of entries costs two queries whatever its size: the rows, then the many-to-many tables,
the providers' countries and the entries' completed and declined matches together; a batch of
needs two. They are written in SQL: with the ORM, building IN lists of hundreds of ids
cost more than running the queries. The reference tables (countries, SDG goals and targets,
themes, support kinds) are read once per process and kept for REFERENCE_TTL seconds: they
change only when `load_reference` runs.
"""

# ruff: noqa: S608 - the SQL names tables and columns from the models; values are parameters

import datetime
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from catalog.models import (
    Country,
    Entry,
    EntryProvider,
    Organization,
    SdgGoal,
    SdgTarget,
    SupportKind,
    Theme,
)
from matching.models import Need
from matching.ranking.weights import table_ready

REFERENCE_TTL = 600.0
NOT_RELEVANT = "not-relevant"
COMPLETED = "completed"
DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    region: str
    region_name: str
    subregion: str
    subregion_name: str
    intermediate: str  # M49 intermediate region ("Eastern Africa"), where there is one
    intermediate_name: str
    groups: frozenset[str]  # "SIDS", "LDC", "LLDC"
    southern: bool


@dataclass(frozen=True)
class Reference:
    places: dict[int, Place]
    targets: dict[int, tuple[str, str]]  # id -> (code, goal number)
    goals: dict[int, str]  # id -> number
    themes: dict[int, str]  # id -> code
    theme_names: dict[str, str]  # code -> name
    support: dict[int, str]  # id -> code

    @classmethod
    def load(cls) -> "Reference":
        places = {}
        rows = Country.objects.values_list(
            "pk",
            "name_en",
            "region_code",
            "region_name",
            "subregion_code",
            "subregion_name",
            "intermediate_region_code",
            "intermediate_region_name",
            "is_sids",
            "is_ldc",
            "is_lldc",
            "is_southern",
        )
        for row in rows:
            pk, name, region, region_name, subregion, subregion_name = row[:6]
            intermediate, intermediate_name, sids, ldc, lldc, southern = row[6:]
            places[pk] = Place(
                name=name,
                region=region,
                region_name=region_name,
                subregion=subregion,
                subregion_name=subregion_name,
                intermediate=intermediate,
                intermediate_name=intermediate_name,
                groups=frozenset(
                    label for label, flag in (("SIDS", sids), ("LDC", ldc), ("LLDC", lldc)) if flag
                ),
                southern=southern,
            )
        themes = list(Theme.objects.values_list("pk", "code", "name"))
        return cls(
            places=places,
            targets={
                pk: (code, str(goal))
                for pk, code, goal in SdgTarget.objects.values_list("pk", "code", "goal__number")
            },
            goals={pk: str(number) for pk, number in SdgGoal.objects.values_list("pk", "number")},
            themes={pk: code for pk, code, _name in themes},
            theme_names={code: name for _pk, code, name in themes},
            support=dict(SupportKind.objects.values_list("pk", "code")),
        )


_reference: tuple[float, Reference] | None = None
_reference_lock = threading.Lock()


def reference() -> Reference:
    global _reference
    now = time.monotonic()
    with _reference_lock:
        if _reference is None or now - _reference[0] > REFERENCE_TTL or not _reference[1].places:
            _reference = (now, Reference.load())
        return _reference[1]


def forget_reference() -> None:
    """Read the reference tables again on next use (tests that change them)."""
    global _reference
    with _reference_lock:
        _reference = None


@dataclass(frozen=True)
class Places:
    """Where a need applies, or where an entry comes from and was applied: the M49 codes that
    the context factor compares (region "Africa", sub-region "Sub-Saharan Africa", intermediate
    region "Eastern Africa"), the country groups, and the names to show."""

    regions: frozenset[str] = frozenset()
    subregions: frozenset[str] = frozenset()
    intermediates: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    names: dict[str, str] = field(default_factory=dict)  # M49 code -> name

    @classmethod
    def of(cls, places: Iterable[Place]) -> "Places":
        places = list(places)
        names = {p.region: p.region_name for p in places if p.region}
        names.update({p.subregion: p.subregion_name for p in places if p.subregion})
        names.update({p.intermediate: p.intermediate_name for p in places if p.intermediate})
        return cls(
            regions=frozenset(p.region for p in places if p.region),
            subregions=frozenset(p.subregion for p in places if p.subregion),
            intermediates=frozenset(p.intermediate for p in places if p.intermediate),
            groups=frozenset(group for p in places for group in p.groups),
            names=names,
        )


@dataclass(frozen=True)
class Tags:
    """The tags of a need or an entry, as codes."""

    targets: frozenset[str] = frozenset()
    goals: frozenset[str] = frozenset()  # stated goals and the goals of the targets
    themes: frozenset[str] = frozenset()
    support: frozenset[str] = frozenset()


@dataclass(frozen=True)
class NeedProfile:
    pk: int
    title: str
    description: str
    language: str
    tags: Tags
    places: Places
    # Suggested from the need's words (matching.tagging) and not confirmed: they count less.
    inferred: Tags = field(default_factory=Tags)

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.description}"


@dataclass(frozen=True)
class EntryProfile:
    pk: int
    module: str
    kind: str
    title: str
    language: str
    tags: Tags
    places: Places
    cooperation: str  # Entry.Cooperation value
    is_verified: bool
    deadline: datetime.date | None
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    last_confirmed_on: datetime.date | None
    completed_matches: int = 0
    # Needs for which a match of the entry was declined as not relevant.
    declined_needs: tuple[int, ...] = ()


@dataclass(frozen=True)
class Decline:
    """A match declined as not relevant: the entry, the need, and the need's tags."""

    entry_id: int
    need_id: int
    targets: frozenset[str]
    themes: frozenset[str]


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _in(ids: Sequence[int]) -> str:
    """A condition on a list of ids, taking `_ids(ids)` as its parameters: one array on
    PostgreSQL (a thousand placeholders cost more to send and plan than the scans they ask
    for), a list of placeholders elsewhere (SQLite)."""
    if connection.vendor == "postgresql":
        return "= ANY(%s)"
    return "IN (" + ", ".join(["%s"] * len(ids)) + ")"


def _ids(ids: Sequence[int]) -> list[Any]:
    return [list(ids)] if connection.vendor == "postgresql" else list(ids)


def _links(
    owner: type[Model],
    names: Sequence[str],
    ids: list[int],
    extra: Sequence[tuple[str, str, list[Any]]] = (),
) -> dict[str, dict[int, list[int]]]:
    """The rows of several many-to-many tables of `owner` for these owners, in one query:
    {field name: {owner id: [other ids]}}. `extra` adds (name, SQL, parameters) parts that
    select (owner id, integer) pairs."""
    parts, params = [], []
    for name in names:
        relation = owner._meta.get_field(name)
        through = relation.remote_field.through  # type: ignore[union-attr]
        source = relation.m2m_column_name()  # type: ignore[union-attr]
        target = relation.m2m_reverse_name()  # type: ignore[union-attr]
        parts.append(f"SELECT {source}, {target} FROM {_table(through)} WHERE {source} {_in(ids)}")
        params.append(_ids(ids))
    for _name, sql, values in extra:
        parts.append(sql)
        params.append(values)
    labels = [*names, *(name for name, _sql, _values in extra)]
    sql = " UNION ALL ".join(
        f"SELECT {position}, * FROM ({part}) AS part{position}"
        for position, part in enumerate(parts)
    )
    links: dict[str, dict[int, list[int]]] = {label: defaultdict(list) for label in labels}
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # PostgreSQL plans a parallel append of the index scans: starting the workers
            # takes three times as long as the scans themselves (measured at a million
            # entries). Until the transaction ends (the caller's, when it has one).
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(sql, [value for values in params for value in values])
        for position, owner_id, other_id in cursor.fetchall():
            links[labels[position]][owner_id].append(int(other_id))
    return links


def _tags(
    ref: Reference,
    pk: int,
    targets: dict[int, list[int]],
    goals: dict[int, list[int]],
    themes: dict[int, list[int]],
    support: dict[int, list[int]],
) -> Tags:
    target_rows = [ref.targets[t] for t in targets.get(pk, ()) if t in ref.targets]
    return Tags(
        targets=frozenset(code for code, _goal in target_rows),
        goals=frozenset(ref.goals[g] for g in goals.get(pk, ()) if g in ref.goals)
        | frozenset(goal for _code, goal in target_rows),
        themes=frozenset(ref.themes[t] for t in themes.get(pk, ()) if t in ref.themes),
        support=frozenset(ref.support[s] for s in support.get(pk, ()) if s in ref.support),
    )


_ENTRY_LINKS = (
    "countries_of_origin",
    "countries_applied",
    "themes",
    "sdg_goals",
    "sdg_targets",
    "support_kinds",
)
_NEED_LINKS = ("countries", "themes", "sdg_goals", "sdg_targets", "support_kinds")


def load_entries(entry_ids: Iterable[int]) -> dict[int, EntryProfile]:
    """Profiles of the published entries among `entry_ids`, by id."""
    ids = sorted(set(entry_ids))
    if not ids:
        return {}
    ref = reference()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, module, kind, title, language, is_verified, deadline, starts_on, ends_on, "
            f"last_confirmed_on FROM {_table(Entry)} WHERE id {_in(ids)} AND status = %s",
            [*_ids(ids), Entry.Status.PUBLISHED],
        )
        rows = cursor.fetchall()
    ids = [row[0] for row in rows]
    if not ids:
        return {}
    # The rule of `Entry.cooperation`: UN entities facilitate rather than provide.
    extra = [
        (
            "providers",
            f"SELECT p.entry_id, CASE WHEN c.is_southern THEN 1 ELSE 0 END "
            f"FROM {_table(EntryProvider)} p "
            f"JOIN {_table(Organization)} o ON o.id = p.organization_id "
            f"LEFT JOIN {_table(Country)} c ON c.id = o.country_id "
            f"WHERE p.entry_id {_in(ids)} AND o.type <> %s",
            [*_ids(ids), Organization.Type.UN_ENTITY],
        )
    ]
    match = _match_model()
    if match is not None:
        table = _table(match)
        extra += [
            (
                "completed",
                f"SELECT entry_id, id FROM {table} WHERE entry_id {_in(ids)} AND status = %s",
                [*_ids(ids), COMPLETED],
            ),
            (
                "declined",
                f"SELECT entry_id, need_id FROM {table} WHERE entry_id {_in(ids)} "
                "AND status = %s AND decline_reason = %s",
                [*_ids(ids), DECLINED, NOT_RELEVANT],
            ),
        ]
    links = _links(Entry, _ENTRY_LINKS, ids, extra)
    origins, applied = links["countries_of_origin"], links["countries_applied"]
    themes, goals = links["themes"], links["sdg_goals"]
    targets, support = links["sdg_targets"], links["support_kinds"]
    providers, completed = links["providers"], links.get("completed", {})
    declined = links.get("declined", {})
    profiles = {}
    for pk, module, kind, title, language, verified, deadline, starts, ends, confirmed in rows:
        places = Places.of(
            ref.places[c] for c in (*origins.get(pk, ()), *applied.get(pk, ())) if c in ref.places
        )
        profiles[pk] = EntryProfile(
            pk=pk,
            module=module,
            kind=kind,
            title=title,
            language=language,
            tags=_tags(ref, pk, targets, goals, themes, support),
            places=places,
            cooperation=_cooperation({bool(flag) for flag in providers.get(pk, ())}),
            is_verified=verified,
            deadline=deadline,
            starts_on=starts,
            ends_on=ends,
            last_confirmed_on=confirmed,
            completed_matches=len(completed.get(pk, ())),
            declined_needs=tuple(sorted(declined.get(pk, ()))),
        )
    return profiles


def _cooperation(flags: set[bool]) -> str:
    if not flags:
        return Entry.Cooperation.UNKNOWN.value
    if flags == {True}:
        return Entry.Cooperation.SOUTH_SOUTH.value
    if flags == {False}:
        return Entry.Cooperation.NORTHERN.value
    return Entry.Cooperation.TRIANGULAR.value


def load_needs(need_ids: Iterable[int]) -> dict[int, NeedProfile]:
    """Profiles of the needs among `need_ids`, whatever their status, by id."""
    ids = sorted(set(need_ids))
    if not ids:
        return {}
    ref = reference()
    rows = list(
        Need.objects.filter(pk__in=ids).values_list("pk", "title", "description", "language")
    )
    ids = [row[0] for row in rows]
    if not ids:
        return {}
    links = _links(Need, _NEED_LINKS, ids)
    countries, themes, goals = links["countries"], links["themes"], links["sdg_goals"]
    targets, support = links["sdg_targets"], links["support_kinds"]
    return {
        pk: NeedProfile(
            pk=pk,
            title=title,
            description=description,
            language=language,
            tags=_tags(ref, pk, targets, goals, themes, support),
            places=Places.of(ref.places[c] for c in countries.get(pk, ()) if c in ref.places),
        )
        for pk, title, description, language in rows
    }


def _match_model() -> Any:
    return table_ready("matching", "Match")


def not_relevant_declines(entries: Iterable[EntryProfile]) -> list[Decline]:
    """The entries' matches declined as not relevant, with the needs' tags (one query, and
    only when there are some)."""
    pairs = sorted({(e.pk, need_id) for e in entries for need_id in e.declined_needs})
    if not pairs:
        return []
    ref = reference()
    need_ids = sorted({need_id for _entry_id, need_id in pairs})
    links = _links(Need, ("sdg_targets", "themes"), need_ids)
    targets, themes = links["sdg_targets"], links["themes"]
    return [
        Decline(
            entry_id=entry_id,
            need_id=need_id,
            targets=frozenset(
                ref.targets[t][0] for t in targets.get(need_id, ()) if t in ref.targets
            ),
            themes=frozenset(ref.themes[t] for t in themes.get(need_id, ()) if t in ref.themes),
        )
        for entry_id, need_id in pairs
    ]
