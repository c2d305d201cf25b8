"""Storing what a partner source's connector reads: one page at a time, each in one transaction.

A page's records, the run's counts and heartbeat, and the source's checkpoint are committed
together (`PageStore.store`), so a run killed at any moment resumes from the last committed page
(`sync_run_execute` starts `connector.fetch` at the source's checkpoint): a page is stored wholly
or not at all, and storing it again is an upsert, so nothing is lost or duplicated.

Rules (issue 7, "Sync semantics"):

- **Upsert** by (source, external id). A record whose content hash (of the mapped record, after
  the source's field mapping) equals the stored one is *unchanged*: only its sighting moves
  (`EntrySighting`, a narrow row: `Entry.last_seen_at` reads it), the entry's row is not written.
- **New** entries are *submitted* for moderation, or *published* when the source has
  `publish_directly`.
- **Field ownership**: fields named in an entry's `locally_edited_fields` (a person changed them
  here: catalog/services.py) keep our value; where the source's value differs a `SyncConflict`
  is recorded (one open conflict per entry and field, holding the source's latest value).
- **Deletions** archive the entry (never a hard delete: matches keep pointing at it); a full
  pass over a feed that completes also archives the source's entries it did not list
  (`archive_unseen`). A pass is full when it starts from an empty checkpoint, or always for a
  connector with `complete_listing = True` (one that lists every record at each fetch, e.g. an
  IATI file). An entry archived this way comes back when its record does.
- **Providers** are found by (source, external id), then by `partners.dedup.find_organization_ids`,
  and created otherwise; a provider without a country that matches nothing is left out with a
  warning.
- **Reference codes** (countries, themes, SDG goals and targets) are resolved from tables read
  once per run; an unknown code fails that record only (a `SyncRecordError`), as does any other
  `RecordError`.
- Bulk statements: one per table and page, whatever the page's size. Signals are not sent, so
  the search change log, tombstones (the API's deletions feed) and `updated_at` are written here.
"""

import dataclasses
import datetime
import functools
import hashlib
import io
import json
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DataError, IntegrityError, connection, models, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from catalog.models import (
    Country,
    Entry,
    EntryLink,
    EntryProvider,
    EntrySighting,
    EntryTranslation,
    Organization,
    SdgGoal,
    SdgTarget,
    Theme,
    Tombstone,
)
from catalog.models.entries import CONTENT_LANGUAGES, KINDS_BY_MODULE
from partners.connectors.base import (
    Connector,
    Deletion,
    EntryRecord,
    FeedError,
    OrganizationRecord,
    Page,
    RecordError,
)
from partners.models import PartnerSource, SyncConflict, SyncRecordError, SyncRun
from search.changelog import log_entry_changes, log_entry_changes_for

logger = logging.getLogger(__name__)

# Part of every content hash: when the way records are stored changes, raise it and the next
# run stores every record again.
ENGINE_VERSION = 1

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
_TITLE_MAX = Entry._meta.get_field("title").max_length or 300
_SUMMARY_MAX = 1000
_URL_MAX = 500
_LABEL_MAX = 200
_ORG_NAME_MAX = Organization._meta.get_field("name").max_length or 255


class RunLost(Exception):
    """The run is no longer running (the stale sweep failed it): its worker must stop."""


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
class _Reference:
    """The reference vocabularies by code, read once per run."""

    countries: dict[str, int]
    themes: dict[str, int]
    goals: dict[int, int]
    targets: dict[str, tuple[int, int]]  # code -> (id, goal number)

    @classmethod
    def load(cls) -> "_Reference":
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
class _Mapped:
    """An entry record turned into what is stored: column values and related ids."""

    external_id: str
    content_hash: str
    scalars: dict[str, Any]
    # Comparable values of each relation: sorted tuples of ids or of rows.
    relations: dict[str, tuple[Any, ...]]
    # (organization key, record, role) of each provider.
    providers: list[tuple[tuple[str, str, str], OrganizationRecord, str]]
    warnings: list[str] = field(default_factory=list)


_ROLE_RANK: dict[str, int] = {
    EntryProvider.Role.LEAD: 0,
    EntryProvider.Role.PARTNER: 1,
    EntryProvider.Role.FUNDER: 2,
}


def _clean_text(value: str | None, limit: int | None = None) -> str:
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


def _organization_key(record: OrganizationRecord) -> tuple[str, str, str]:
    return (
        _clean_text(record.external_id)[:255],
        normalized_name(_clean_text(record.name)),
        _clean_text(record.country_iso3).upper(),
    )


def _record_json(record: EntryRecord) -> str:
    values = dict(record.__dict__)
    values["providers"] = [dict(p.__dict__) for p in record.providers]
    return json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)


def content_hash(record: EntryRecord) -> str:
    return hashlib.sha256(f"{ENGINE_VERSION}:{_record_json(record)}".encode()).hexdigest()


def _find_organization_hook() -> Any:
    """`partners.dedup.find_organization_ids` (the rule for many records at once) when the
    de-duplication module is there."""
    try:
        from partners.dedup import find_organization_ids
    except ImportError:
        return None
    return find_organization_ids


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")


def _copy_value(value: Any) -> str:
    """A value in COPY's text format."""
    if type(value) is int:
        return str(value)
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE.search(value) else value
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value).translate(_COPY_ESCAPES)
    return str(value)


class _Rows:
    """Plain rows into a table: COPY on PostgreSQL (no model instances, no SQL to compile: the
    bulk of a harvest's time otherwise), `bulk_create` elsewhere. Rows skip the model's save()
    and signals, as `bulk_create` does."""

    def __init__(self) -> None:
        self.copy = connection.vendor == "postgresql"
        self._defaults: dict[type[models.Model], dict[str, Any]] = {}

    def reserve_ids(self, model: type[models.Model], count: int) -> list[int]:
        """Ids from the table's own sequence, so that rows others insert meanwhile never clash."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [connection.ops.quote_name(model._meta.db_table), count],
            )
            return [pk for (pk,) in cursor.fetchall()]

    def insert(
        self, model: type[models.Model], attnames: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        if not self.copy:
            model._default_manager.bulk_create(
                [model(**dict(zip(attnames, row, strict=True))) for row in rows]
            )
            return
        columns = {f.attname: f.column for f in model._meta.concrete_fields}
        data = "".join("\t".join(map(_copy_value, row)) + "\n" for row in rows)
        sql = "COPY {} ({}) FROM STDIN".format(
            connection.ops.quote_name(model._meta.db_table),
            ", ".join(connection.ops.quote_name(str(columns[name])) for name in attnames),
        )
        # The raw cursor's errors are psycopg2's: turned into Django's (DataError...) here.
        with connection.cursor() as cursor, connection.wrap_database_errors:
            cursor.cursor.copy_expert(sql, io.StringIO(data))  # type: ignore[attr-defined]

    def insert_dicts(
        self,
        model: type[models.Model],
        values: list[dict[str, Any]],
        ids: list[int],
        common: dict[str, Any],
    ) -> None:
        """Whole rows by COPY: every column, from `values` (the same keys in each), then
        `common` (the same for every row), then the field's default."""
        defaults = self._defaults.get(model)
        if defaults is None:
            defaults = {
                f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key
            }
            self._defaults[model] = defaults
        varying = list(values[0]) if values else []
        constant = {**defaults, **common}
        for name in varying:
            constant.pop(name, None)
        # The columns that are the same in every row are formatted once.
        tail = "\t".join(map(_copy_value, constant.values()))
        columns = {f.attname: f.column for f in model._meta.concrete_fields}
        data = "".join(
            "\t".join(map(_copy_value, v.values())) + f"\t{tail}\t{pk}\n"
            for v, pk in zip(values, ids, strict=True)
        )
        sql = "COPY {} ({}) FROM STDIN".format(
            connection.ops.quote_name(model._meta.db_table),
            ", ".join(
                connection.ops.quote_name(str(columns[name]))
                for name in [*varying, *constant, "id"]
            ),
        )
        # The raw cursor's errors are psycopg2's: turned into Django's (DataError...) here.
        with connection.cursor() as cursor, connection.wrap_database_errors:
            cursor.cursor.copy_expert(sql, io.StringIO(data))  # type: ignore[attr-defined]


class PageStore:
    """Stores the pages of one run of one source; keeps what it learns across pages (the
    reference vocabularies, the organizations found)."""

    def __init__(self, *, run: SyncRun, connector: Connector) -> None:
        self.run = run
        self.source: PartnerSource = run.source
        self.connector = connector
        self.mapping: dict[str, Any] = self.source.field_mapping or {}
        self.reference = _Reference.load()
        self.new_status = (
            Entry.Status.PUBLISHED if self.source.publish_directly else Entry.Status.SUBMITTED
        )
        # Organization ids by record key, of committed pages only.
        self._organizations: dict[tuple[str, str, str], int | None] = {}
        self._find_organization = _find_organization_hook()
        self.rows = _Rows()

    # --- One page ------------------------------------------------------------------------------

    def store(self, page: Page) -> Counts:
        """Map and store one page with the run's counts and the source's checkpoint, in one
        transaction. Raises `RunLost` (rolling the page back) if the run was failed meanwhile.

        Should the database refuse the page (a value no check here foresaw), the page is stored
        again record by record, each in a savepoint, and the records it refuses are skipped
        with the database's message: one bad record never blocks the source."""
        now = timezone.now()
        found: dict[tuple[str, str, str], int | None] = {}
        try:
            with transaction.atomic():
                counts = Counts(fetched=len(page.raw_records))
                errors: list[SyncRecordError] = []
                self._store_records(page.raw_records, found, now, counts, errors)
                self._finish_page(page, counts, errors, now)
        except (IntegrityError, DataError) as exc:
            logger.warning("Run %s: storing records one by one after: %s", self.run.pk, exc)
            found = {}
            with transaction.atomic():
                counts = Counts(fetched=len(page.raw_records))
                errors = []
                for raw in page.raw_records:
                    one, one_found = Counts(), dict(found)
                    one_errors: list[SyncRecordError] = []
                    try:
                        with transaction.atomic():
                            self._store_records([raw], one_found, now, one, one_errors)
                    except (IntegrityError, DataError) as record_exc:
                        counts.failed += 1
                        errors.append(
                            SyncRecordError(
                                run=self.run,
                                external_id=_clean_text(getattr(raw, "external_id", ""))[:255],
                                message=_clean_text(
                                    f"The record could not be stored: {record_exc}".strip()
                                ),
                            )
                        )
                    else:
                        counts.add(one)
                        errors += one_errors
                        found = one_found
                self._finish_page(page, counts, errors, now)
        self._organizations.update(found)
        return counts

    def _store_records(
        self,
        raw_records: list[Any],
        found: dict[tuple[str, str, str], int | None],
        now: datetime.datetime,
        counts: Counts,
        errors: list[SyncRecordError],
    ) -> None:
        """Map and store records, adding to `counts` and `errors` (all but `fetched`)."""

        def fail(external_id: str, message: str) -> None:
            errors.append(
                SyncRecordError(
                    run=self.run,
                    external_id=_clean_text(external_id)[:255],
                    message=_clean_text(message),
                )
            )

        # Map, keeping the last record of each external id (a feed may list one twice).
        latest: dict[str, EntryRecord | Deletion | OrganizationRecord] = {}
        failed_ids: set[str] = set()
        for raw in raw_records:
            try:
                item = self.connector.map_record(raw)
                external_id = _clean_text(getattr(item, "external_id", ""))
                if not external_id and not isinstance(item, OrganizationRecord):
                    raise RecordError("The record has no identifier.")
                if len(external_id) > 255:
                    raise RecordError("The record's identifier is longer than 255 characters.")
            except FeedError:
                raise
            except RecordError as exc:
                counts.failed += 1
                fail(exc.external_id, str(exc))
                if _clean_text(exc.external_id):
                    failed_ids.add(_clean_text(exc.external_id)[:255])
                continue
            except Exception as exc:  # noqa: BLE001 - one bad record must not stop the run
                counts.failed += 1
                fail("", f"The record could not be read ({type(exc).__name__}: {exc}).")
                continue
            if external_id != getattr(item, "external_id", external_id):
                item = dataclasses.replace(item, external_id=external_id)
            key = external_id or f"organization:{id(item)}"
            if key in latest:
                counts.unchanged += 1  # superseded by a later copy in the same page
            latest[key] = item

        records: list[EntryRecord] = []
        deletions: list[str] = []
        organizations: list[OrganizationRecord] = []
        for item in latest.values():
            if isinstance(item, EntryRecord):
                records.append(item)
            elif isinstance(item, Deletion):
                deletions.append(item.external_id)
            else:
                organizations.append(item)

        for organization in organizations:
            try:
                created = self._upsert_organization(organization, found)
            except RecordError as exc:
                counts.failed += 1
                fail(organization.external_id, str(exc))
            else:
                if created is None:
                    counts.unchanged += 1
                elif created:
                    counts.created += 1
                else:
                    counts.updated += 1

        # The hash first: an unchanged record (most of them, after the first run) costs a
        # lookup and no mapping.
        hashed = [(record, content_hash(record)) for record in map(self._overridden, records)]
        existing = {
            row[1]: row
            for row in self._entries(record.external_id for record, _h in hashed).values_list(
                "pk", "external_id", "content_hash", "status", "archived_by_id",
                "locally_edited_fields",
            )
        }  # fmt: skip
        unchanged_ids: list[int] = []
        mapped: list[_Mapped] = []
        for record, digest in hashed:
            row = existing.get(record.external_id)
            if row is not None and row[2] == digest:
                unchanged_ids.append(row[0])
                continue
            try:
                mapped.append(self._map(record, digest))
            except RecordError as exc:
                counts.failed += 1
                fail(record.external_id, str(exc))
                failed_ids.add(record.external_id)
        counts.unchanged += len(unchanged_ids)
        self._sighted(unchanged_ids, now)

        changed_ids = self._upsert_entries(mapped, existing, counts, now, found, errors)
        changed_ids += self._archive(deletions, counts, now)
        if failed_ids:
            # Still listed by the source: a completing pass must not archive them.
            self._entries(failed_ids).update(stored_last_seen_at=now)
        if len(changed_ids) > 100:
            # One INSERT ... SELECT rather than a row object per entry.
            log_entry_changes_for(Entry.objects.filter(pk__in=changed_ids))
        elif changed_ids:
            log_entry_changes(changed_ids)

    def _sighted(self, pks: list[int], now: datetime.datetime) -> None:
        """Unchanged entries listed again: one narrow row each (`EntrySighting`), not a new
        version of the wide entry row."""
        if not pks:
            return
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {EntrySighting._meta.db_table} (entry_id, seen_at) "
                    "SELECT unnest(%s::bigint[]), %s "
                    "ON CONFLICT (entry_id) DO UPDATE SET seen_at = EXCLUDED.seen_at",
                    [sorted(pks), now],
                )
            return
        EntrySighting.objects.bulk_create(
            [EntrySighting(entry_id=pk, seen_at=now) for pk in pks],
            update_conflicts=True,
            unique_fields=["entry"],
            update_fields=["seen_at"],
        )

    def _finish_page(
        self, page: Page, counts: Counts, errors: list[SyncRecordError], now: datetime.datetime
    ) -> None:
        """The page's record errors, the run's counts and heartbeat, the source's checkpoint."""
        if errors:
            SyncRecordError.objects.bulk_create(errors)
        claimed = SyncRun.objects.filter(pk=self.run.pk, status=SyncRun.Status.RUNNING).update(
            fetched=F("fetched") + counts.fetched,
            created=F("created") + counts.created,
            updated=F("updated") + counts.updated,
            unchanged=F("unchanged") + counts.unchanged,
            archived=F("archived") + counts.archived,
            failed=F("failed") + counts.failed,
            pages=F("pages") + 1,
            heartbeat_at=now,
        )
        if not claimed:
            raise RunLost(f"Run {self.run.pk} is no longer running; its page was not stored.")
        checkpoint = page.checkpoint if page.checkpoint is not None else {}
        PartnerSource.objects.filter(pk=self.source.pk).update(checkpoint=checkpoint)
        self.source.checkpoint = checkpoint

    def _entries(self, external_ids: Iterable[str]) -> models.QuerySet[Entry]:
        # The explicit `external_id <> ''` lets PostgreSQL use the partial unique index on
        # (source, external_id): it cannot prove that from an IN list of over 100 values.
        return (
            Entry.objects.filter(source=self.source, external_id__in=list(external_ids))
            .exclude(external_id="")
            .order_by()
        )

    # --- Mapping -------------------------------------------------------------------------------

    def _renamed(self, vocabulary: str, codes: Iterable[str]) -> list[str]:
        renames = self.mapping.get(vocabulary) or {}
        return [renames.get(code, code) for code in codes]

    def _overridden(self, record: EntryRecord) -> EntryRecord:
        """The record with the source's field mapping applied (module, kind, code renames)."""
        changes: dict[str, Any] = {}
        if self.mapping.get("module"):
            changes["module"] = self.mapping["module"]
        if self.mapping.get("kind"):
            changes["kind"] = self.mapping["kind"]
        if self.mapping.get("themes"):
            changes["theme_slugs"] = tuple(self._renamed("themes", record.theme_slugs))
        if self.mapping.get("countries"):
            changes["countries_iso3"] = tuple(self._renamed("countries", record.countries_iso3))
            changes["origin_countries_iso3"] = tuple(
                self._renamed("countries", record.origin_countries_iso3)
            )
        if self.mapping.get("sdg_targets"):
            changes["sdg_targets"] = tuple(self._renamed("sdg_targets", record.sdg_targets))
        return dataclasses.replace(record, **changes) if changes else record

    def _map(self, record: EntryRecord, digest: str) -> _Mapped:
        """The record (with the source's field mapping applied) as it is stored."""
        reference = self.reference
        module, kind = record.module, record.kind
        if module not in Entry.Module.values:
            raise RecordError(f"Unknown module “{module}”.", external_id=record.external_id)
        if kind not in KINDS_BY_MODULE[module]:
            raise RecordError(
                f"The kind “{kind}” does not belong to the module “{module}”; set the source's "
                "field mapping.",
                external_id=record.external_id,
            )
        language = record.language if record.language in _LANGUAGES else ""
        if not _clean_text(record.titles.get(language)):
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
        source_url = _clean_text(record.source_url)
        scalars = {
            "module": module,
            "kind": kind,
            "title": _clean_text(record.titles[language], _TITLE_MAX),
            "summary": _clean_text(record.summaries.get(language), _SUMMARY_MAX),
            "body": _clean_text(record.bodies.get(language)),
            "language": language,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "source_url": source_url if len(source_url) <= _URL_MAX else "",
        }
        translations = tuple(
            sorted(
                (
                    code,
                    _clean_text(title, _TITLE_MAX),
                    _clean_text(record.summaries.get(code)),
                    _clean_text(record.bodies.get(code)),
                )
                for code, title in record.titles.items()
                if code != language and code in _LANGUAGES and _clean_text(title)
            )
        )
        links: dict[str, str] = {}
        for url, label in record.links:
            url = _clean_text(url)
            if url and len(url) <= _URL_MAX and url not in links:
                links[url] = _clean_text(label, _LABEL_MAX)
        providers: dict[tuple[str, str, str], tuple[OrganizationRecord, str]] = {}
        for provider in record.providers:
            role = provider.role if provider.role in _ROLE_RANK else EntryProvider.Role.PARTNER
            key = _organization_key(provider)
            if not key[1] and not key[0]:
                continue
            if key not in providers or _ROLE_RANK[role] < _ROLE_RANK[providers[key][1]]:
                providers[key] = (provider, role)
        return _Mapped(
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

    # --- Organizations -------------------------------------------------------------------------

    def _resolve_providers(
        self,
        mapped: list[_Mapped],
        found: dict[tuple[str, str, str], int | None],
        errors: list[SyncRecordError],
    ) -> None:
        """Set `relations["providers"]` of each mapped record to ((organization id, role), ...),
        creating the organizations found nowhere."""
        wanted: dict[tuple[str, str, str], OrganizationRecord] = {}
        for item in mapped:
            for key, record, _role in item.providers:
                if key not in self._organizations and key not in found:
                    wanted.setdefault(key, record)
        if wanted:
            found.update(self._find_organizations(wanted)[0])
        for item in mapped:
            links: dict[int, str] = {}
            for key, record, role in item.providers:
                pk = self._organizations.get(key) if key in self._organizations else found.get(key)
                if pk is None:
                    errors.append(
                        SyncRecordError(
                            run=self.run,
                            external_id=item.external_id,
                            is_warning=True,
                            message=(
                                f"Provider “{record.name}” left out: it matches no organization "
                                "here and the source gives no known country to create it with."
                            ),
                        )
                    )
                elif pk not in links or _ROLE_RANK[role] < _ROLE_RANK[links[pk]]:
                    links[pk] = role
            item.relations["providers"] = tuple(sorted(links.items()))

    def _find_organizations(
        self, wanted: dict[tuple[str, str, str], OrganizationRecord]
    ) -> tuple[dict[tuple[str, str, str], int | None], set[tuple[str, str, str]]]:
        """Organization ids by record key (None: not found and not creatable), and the keys of
        the organizations created."""
        result: dict[tuple[str, str, str], int | None] = {}
        by_external_id = dict(
            Organization.objects.filter(
                source=self.source, external_id__in=[k[0] for k in wanted if k[0]]
            )
            .exclude(external_id="")
            .values_list("external_id", "pk")
        )
        remaining: dict[tuple[str, str, str], OrganizationRecord] = {}
        for key, record in wanted.items():
            if key[0] and key[0] in by_external_id:
                result[key] = by_external_id[key[0]]
            else:
                remaining[key] = record
        if remaining and self._find_organization is not None:
            ids = self._find_organization(list(remaining.values()), source=self.source)
            for key, pk in zip(list(remaining), ids, strict=True):
                if pk is not None:
                    result[key] = pk
                    del remaining[key]
        elif remaining:
            result.update(self._match_by_name(remaining))
            remaining = {k: r for k, r in remaining.items() if k not in result}
        to_create: list[tuple[tuple[str, str, str], Organization]] = []
        used_external_ids: set[str] = set()
        for key, record in remaining.items():
            country_id = self.reference.countries.get(record.country_iso3.upper())
            name = _clean_text(record.name, _ORG_NAME_MAX)
            if country_id is None or not name:
                result[key] = None
                continue
            external_id = key[0] if key[0] not in used_external_ids else ""
            used_external_ids.add(external_id)
            to_create.append((key, self._new_organization(record, country_id, external_id)))
        created = Organization.objects.bulk_create([o for _k, o in to_create])
        for (key, _o), organization in zip(to_create, created, strict=True):
            result[key] = organization.pk
        return result, {key for key, _o in to_create}

    def _new_organization(
        self, record: OrganizationRecord, country_id: int, external_id: str
    ) -> Organization:
        website = _clean_text(record.website)
        return Organization(
            name=_clean_text(record.name, _ORG_NAME_MAX),
            acronym=_clean_text(record.acronym, 40),
            type=record.type if record.type in Organization.Type.values else "other",
            country_id=country_id,
            website=website if len(website) <= _URL_MAX else "",
            description=_clean_text(record.description),
            source=self.source,
            external_id=external_id,
        )

    def _match_by_name(
        self, remaining: dict[tuple[str, str, str], OrganizationRecord]
    ) -> dict[tuple[str, str, str], int]:
        """The simple rule when partners/dedup.py is absent: the same normalised name and the
        same country (without a country: the only organization with that name)."""
        lowered = {record.name.strip().lower() for record in remaining.values()}
        candidates: dict[str, list[tuple[int, str]]] = defaultdict(list)
        rows = (
            Organization.objects.annotate(lowered=Lower("name"))
            .filter(lowered__in=lowered)
            .values_list("pk", "name", "country__iso3")
        )
        for pk, name, iso3 in rows:
            candidates[normalized_name(name)].append((pk, iso3))
        result: dict[tuple[str, str, str], int] = {}
        for key, _record in remaining.items():
            options = candidates.get(key[1], [])
            if key[2]:
                options = [option for option in options if option[1] == key[2]]
            if len(options) == 1:
                result[key] = options[0][0]
        return result

    def _upsert_organization(
        self, record: OrganizationRecord, found: dict[tuple[str, str, str], int | None]
    ) -> bool | None:
        """An organization record (an IATI organisation file): True created, False updated,
        None unchanged. Saved one by one: they are few, and the signals log the changes of
        their entries' search documents."""
        name = _clean_text(record.name, _ORG_NAME_MAX)
        if not name:
            raise RecordError("The organization has no name.", external_id=record.external_id)
        country_id = self.reference.countries.get(record.country_iso3.upper())
        if record.country_iso3 and country_id is None:
            raise RecordError(
                f"Unknown codes: country “{record.country_iso3}”.", external_id=record.external_id
            )
        existing = None
        if record.external_id:
            existing = Organization.objects.filter(
                source=self.source, external_id=record.external_id
            ).first()
        if existing is None:
            key = _organization_key(record)
            ids, created = self._find_organizations({key: record})
            if ids.get(key) is None:
                raise RecordError(
                    f"The organization “{name}” has no known country; it cannot be created.",
                    external_id=record.external_id,
                )
            found[key] = ids[key]
            # Created, or found among another source's (or people's) organizations: those are
            # not this source's to change.
            return True if key in created else None
        template = self._new_organization(record, country_id or existing.country_id, "")
        changes = {
            name: getattr(template, name)
            for name in ("name", "acronym", "website", "description", "country_id")
            if getattr(template, name) and getattr(template, name) != getattr(existing, name)
        }
        if record.type in Organization.Type.values and record.type != existing.type:
            changes["type"] = record.type
        if not changes:
            return None
        for name, value in changes.items():
            setattr(existing, name, value)
        existing.save(update_fields=[*changes, "updated_at"])
        return False

    # --- Entries -------------------------------------------------------------------------------

    def _upsert_entries(
        self,
        mapped: list[_Mapped],
        existing: dict[str, tuple[Any, ...]],
        counts: Counts,
        now: datetime.datetime,
        found: dict[tuple[str, str, str], int | None],
        errors: list[SyncRecordError],
    ) -> list[int]:
        """Create the new entries and update the changed ones (`existing`: the stored rows by
        external id)."""
        if not mapped:
            return []
        new: list[_Mapped] = []
        changed: list[tuple[_Mapped, tuple[Any, ...]]] = []
        for item in mapped:
            row = existing.get(item.external_id)
            if row is None:
                new.append(item)
            else:
                changed.append((item, row))
        self._resolve_providers([*new, *(item for item, _row in changed)], found, errors)

        changed_ids: list[int] = []
        if new:
            changed_ids += self._create(new, now)
            counts.created += len(new)
            counts.catalogue_changed |= self.new_status == Entry.Status.PUBLISHED
        if changed:
            changed_ids += self._update(changed, now)
            counts.updated += len(changed)
            counts.catalogue_changed = True
        return changed_ids

    def _create(self, new: list[_Mapped], now: datetime.datetime) -> list[int]:
        status = self.new_status
        published = status == Entry.Status.PUBLISHED
        common = {
            "status": status,
            "published_at": now if published else None,
            "submitted_at": None if published else now,
            "last_confirmed_on": timezone.localdate(now),
            "source_id": self.source.pk,
            "stored_last_seen_at": now,
            "created_at": now,
            "updated_at": now,
        }
        values = [
            {**item.scalars, "external_id": item.external_id, "content_hash": item.content_hash}
            for item in new
        ]
        if self.rows.copy:
            ids = self.rows.reserve_ids(Entry, len(values))
            self.rows.insert_dicts(Entry, values, ids, common)
        else:
            created = Entry.objects.bulk_create([Entry(**common, **v) for v in values])
            ids = [entry.pk for entry in created]
        pairs = list(zip(ids, new, strict=True))
        self._insert_relations(pairs, RELATION_FIELDS)
        return ids

    def _update(
        self, changed: list[tuple[_Mapped, tuple[Any, ...]]], now: datetime.datetime
    ) -> list[int]:
        today = timezone.localdate(now)
        # Fields a person owns, by entry, and what we hold for them (to record conflicts).
        owned = {row[0]: set(row[5] or ()) for _item, row in changed}
        ours = self._current_values({pk: names for pk, names in owned.items() if names})
        conflicts: list[SyncConflict] = []
        groups: dict[tuple[str, ...], list[Entry]] = defaultdict(list)
        relation_pairs: dict[str, list[tuple[int, _Mapped]]] = defaultdict(list)
        for item, row in changed:
            pk, status, archived_by_id = row[0], row[3], row[4]
            names = owned[pk]
            values: dict[str, Any] = {
                "content_hash": item.content_hash,
                "stored_last_seen_at": now,
                "updated_at": now,
                "last_confirmed_on": today,
            }
            for name, value in item.scalars.items():
                if name not in names:
                    values[name] = value
                elif ours[pk].get(name) != value:
                    conflicts.append(self._conflict(pk, name, ours[pk].get(name), value))
            if status == Entry.Status.ARCHIVED and archived_by_id is None:
                # Archived because the source had deleted it: the record is back.
                values["status"] = self.new_status
                if self.new_status == Entry.Status.PUBLISHED:
                    values["published_at"] = now
                else:
                    values["submitted_at"] = now
            for name in RELATION_FIELDS:
                if name not in names:
                    relation_pairs[name].append((pk, item))
                elif ours[pk].get(name) != item.relations[name]:
                    conflicts.append(
                        self._conflict(pk, name, ours[pk].get(name), item.relations[name])
                    )
            groups[tuple(sorted(values))].append(Entry(pk=pk, **values))
        for fields, entries in groups.items():
            Entry.objects.bulk_update(entries, list(fields))
        for name, pairs in relation_pairs.items():
            self._delete_relation(name, [pk for pk, _item in pairs])
            self._insert_relations(pairs, (name,))
        self._record_conflicts(conflicts)
        return [row[0] for _item, row in changed]

    def _conflict(self, pk: int, name: str, ours: Any, theirs: Any) -> SyncConflict:
        return SyncConflict(
            entry_id=pk,
            field=name,
            our_value=_json_value(ours),
            source_value=_json_value(theirs),
            run=self.run,
        )

    def _record_conflicts(self, conflicts: list[SyncConflict]) -> None:
        """Upsert the open conflict of each (entry, field) with the source's latest value."""
        if not conflicts:
            return
        open_ = {
            (c.entry_id, c.field): c
            for c in SyncConflict.objects.filter(
                resolved=False, entry_id__in={c.entry_id for c in conflicts}
            )
        }
        to_update: list[SyncConflict] = []
        to_create: list[SyncConflict] = []
        for conflict in conflicts:
            current = open_.get((conflict.entry_id, conflict.field))
            if current is None:
                to_create.append(conflict)
            else:
                current.our_value = conflict.our_value
                current.source_value = conflict.source_value
                current.run = self.run
                current.updated_at = timezone.now()
                to_update.append(current)
        SyncConflict.objects.bulk_create(to_create)
        SyncConflict.objects.bulk_update(
            to_update, ["our_value", "source_value", "run", "updated_at"]
        )

    def _current_values(self, owned: dict[int, set[str]]) -> dict[int, dict[str, Any]]:
        """Our values of the locally edited fields, comparable with `_Mapped` values."""
        values: dict[int, dict[str, Any]] = defaultdict(dict)
        if not owned:
            return values
        pks = list(owned)
        names = set().union(*owned.values())
        scalar_names = [n for n in SCALAR_FIELDS if n in names]
        if scalar_names:
            for row in Entry.objects.filter(pk__in=pks).values("pk", *scalar_names):
                values[row.pop("pk")].update(row)
        related: dict[str, dict[int, list[Any]]] = {n: defaultdict(list) for n in names}
        for name in M2M_FIELDS:
            if name in names:
                through, column = _through(name)
                for pk, target in through.objects.filter(entry_id__in=pks).values_list(
                    "entry_id", column
                ):
                    related[name][pk].append(target)
        if "providers" in names:
            for pk, organization_id, role in EntryProvider.objects.filter(
                entry_id__in=pks
            ).values_list("entry_id", "organization_id", "role"):
                related["providers"][pk].append((organization_id, role))
        if "links" in names:
            for pk, url, label in EntryLink.objects.filter(entry_id__in=pks).values_list(
                "entry_id", "url", "label"
            ):
                related["links"][pk].append((url, label))
        if "translations" in names:
            for pk, *row in EntryTranslation.objects.filter(entry_id__in=pks).values_list(
                "entry_id", "language", "title", "summary", "body"
            ):
                related["translations"][pk].append(tuple(row))
        for name in RELATION_FIELDS:
            if name in names:
                for pk in pks:
                    found = related[name].get(pk, [])
                    values[pk][name] = tuple(found if name == "links" else sorted(found))
        return values

    def _delete_relation(self, name: str, pks: list[int]) -> None:
        model: type[models.Model]
        if name in M2M_FIELDS:
            model = _through(name)[0]
        else:
            model = {
                "providers": EntryProvider,
                "links": EntryLink,
                "translations": EntryTranslation,
            }[name]
        # A plain DELETE: the search log is written for these entries by the caller.
        model.objects.filter(entry_id__in=pks)._raw_delete(model.objects.db)  # type: ignore[attr-defined]

    def _insert_relations(self, pairs: list[tuple[int, _Mapped]], names: Iterable[str]) -> None:
        insert = self.rows.insert
        for name in names:
            if name in M2M_FIELDS:
                through, column = _through(name)
                insert(
                    through,
                    ("entry_id", f"{column}_id" if not column.endswith("_id") else column),
                    [(pk, target) for pk, item in pairs for target in item.relations[name]],
                )
            elif name == "providers":
                insert(
                    EntryProvider,
                    ("entry_id", "organization_id", "role"),
                    [(pk, org, role) for pk, item in pairs for org, role in item.relations[name]],
                )
            elif name == "links":
                insert(
                    EntryLink,
                    ("entry_id", "url", "label"),
                    [(pk, url, label) for pk, item in pairs for url, label in item.relations[name]],
                )
            elif name == "translations":
                insert(
                    EntryTranslation,
                    ("entry_id", "language", "title", "summary", "body"),
                    [(pk, *row) for pk, item in pairs for row in item.relations[name]],
                )

    # --- Deletions -----------------------------------------------------------------------------

    def _archive(
        self, external_ids: list[str], counts: Counts, now: datetime.datetime
    ) -> list[int]:
        if not external_ids:
            return []
        rows = list(
            self._entries(external_ids)
            .exclude(status=Entry.Status.ARCHIVED)
            .values_list("pk", "status")
        )
        counts.unchanged += len(external_ids) - len(rows)  # unknown here, or archived already
        archived = archive_entries(rows, now)
        counts.archived += len(archived)
        counts.catalogue_changed |= any(s == Entry.Status.PUBLISHED for _pk, s in rows)
        return archived


def _through(name: str) -> tuple[Any, str]:
    """The through model of an entry many-to-many field and the column of its target."""
    field = Entry._meta.get_field(name)
    assert isinstance(field, models.ManyToManyField)
    through = field.remote_field.through
    return through, field.m2m_reverse_name()


def _json_value(value: Any) -> Any:
    """A value as JSON can hold it: dates as ISO text, tuples as lists."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


def archive_entries(rows: list[tuple[int, str]], now: datetime.datetime) -> list[int]:
    """Archive entries (pk, status) for their source: status archived, `archived_by` empty (so
    the record's return brings the entry back), content hash cleared; a tombstone for each one
    that was published. The caller logs the search changes."""
    if not rows:
        return []
    pks = [pk for pk, _status in rows]
    Entry.objects.filter(pk__in=pks).update(
        status=Entry.Status.ARCHIVED,
        archived_at=now,
        archived_by=None,
        content_hash="",
        updated_at=now,
    )
    Tombstone.objects.bulk_create(
        Tombstone(model=Tombstone.Kind.ENTRY, object_id=pk)
        for pk, status in rows
        if status == Entry.Status.PUBLISHED
    )
    return pks


# --- A whole run ---------------------------------------------------------------------------------


def sync_run_execute(*, run: SyncRun, connector: Connector) -> Counts:
    """Fetch from the source's checkpoint and store every page; raises what the connector
    raises (`FeedError`) with the pages before it committed. Returns the run's counts; the
    caller marks the run succeeded (`partners.services.sync_run_succeed`)."""
    source = run.source
    checkpoint = dict(source.checkpoint or {})
    if source.pass_started_at is None and (
        not checkpoint or getattr(connector, "complete_listing", False)
    ):
        # A full pass begins: from the start of the feed, or with a connector that lists every
        # record each time (an IATI file read again). It ends with the run that completes it.
        source.pass_started_at = run.started_at or timezone.now()
        PartnerSource.objects.filter(pk=source.pk).update(pass_started_at=source.pass_started_at)
    store = PageStore(run=run, connector=connector)
    total = Counts()
    pages: Iterator[Page] = connector.fetch(checkpoint)
    try:
        for page in pages:
            total.add(store.store(page))
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()
    return total


def archive_unseen(*, source: PartnerSource, since: datetime.datetime) -> Counts:
    """After a full pass over the feed: archive the source's entries the pass did not list
    (last seen before it started). In batches, each with its own transaction. A pass that saw
    none of the source's entries archives nothing: a feed that suddenly lists nothing (or an
    unchanged file that was not read again) is no reason to empty the catalogue."""
    counts = Counts()
    # Seen: the entry's row written during the pass, or its record listed unchanged.
    seen = Q(stored_last_seen_at__gte=since) | Q(sighting__seen_at__gte=since)
    if not Entry.objects.filter(seen, source=source).exists():
        return counts
    unseen = (
        Entry.objects.filter(source=source)
        .exclude(external_id="")
        .exclude(status=Entry.Status.ARCHIVED)
        .exclude(seen)
        .order_by("pk")
    )
    while True:
        with transaction.atomic():
            rows = list(unseen.values_list("pk", "status")[:5000])
            if not rows:
                return counts
            now = timezone.now()
            log_entry_changes(archive_entries(rows, now))
        counts.archived += len(rows)
        counts.catalogue_changed |= any(s == Entry.Status.PUBLISHED for _pk, s in rows)
