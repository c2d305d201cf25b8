"""Storing one page of a source's records in one transaction (`PageStore`): the hash check,
new and changed entries with their relations, providers, conflicts with local edits,
deletions."""

import dataclasses
import datetime
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import DataError, IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import (
    Entry,
    EntryLink,
    EntryProvider,
    EntrySighting,
    EntryTranslation,
    Organization,
)
from partners.connectors.base import (
    Connector,
    Deletion,
    EntryRecord,
    FeedError,
    OrganizationRecord,
    Page,
    RecordError,
)
from partners.dedup import find_organization_ids
from partners.models import PartnerSource, SyncConflict, SyncRecordError, SyncRun
from partners.sync.archive import archive_entries
from partners.sync.records import (
    _ORG_NAME_MAX,
    _URL_MAX,
    M2M_FIELDS,
    RELATION_FIELDS,
    ROLE_RANK,
    SCALAR_FIELDS,
    Counts,
    Mapped,
    Read,
    Reference,
    clean_text,
    content_hash,
    map_entry,
    organization_key,
    overridden,
)
from partners.sync.rows import Rows
from search.changelog import log_entry_changes, log_entry_changes_for

logger = logging.getLogger(__name__)


class RunLost(Exception):
    """The run is no longer running (the stale sweep failed it): its worker must stop."""


# The hash check of a page's entry records: sights the unchanged entries and returns the
# stored rows of the listed ones (with `unchanged`). One probe of the unique index on (source,
# external_id) per record (the explicit `<> ''` lets PostgreSQL use that partial index; LIMIT
# keeps the probes: as a join, or with `external_id IN (...)`, PostgreSQL reads all the
# source's entries, at every page, once they are more than a few thousand).
_COMPARE_HASHES_SQL = f"""
WITH listed (external_id, content_hash) AS (
    SELECT * FROM unnest(%s::text[], %s::text[])
), stored AS (
    SELECT entry.*, entry.content_hash = listed.content_hash AS unchanged
    FROM listed CROSS JOIN LATERAL (
        SELECT id, external_id, content_hash, status, archived_by_id, locally_edited_fields
        FROM {Entry._meta.db_table} AS entry
        WHERE entry.source_id = %s AND entry.external_id = listed.external_id
            AND entry.external_id <> ''
        LIMIT 1
    ) AS entry
), sighted AS (
    INSERT INTO {EntrySighting._meta.db_table} (entry_id, seen_at)
    SELECT id, %s FROM stored WHERE unchanged ORDER BY id
    ON CONFLICT (entry_id) DO UPDATE SET seen_at = EXCLUDED.seen_at
)
SELECT id, external_id, content_hash, status, archived_by_id,
    CASE WHEN unchanged THEN NULL ELSE locally_edited_fields END, unchanged
FROM stored
"""  # noqa: S608 - table names from the models


class PageStore:
    """Stores the pages of one run of one source; keeps what it learns across pages (the
    reference vocabularies, the organizations found)."""

    def __init__(self, *, run: SyncRun, connector: Connector) -> None:
        self.run = run
        self.source: PartnerSource = run.source
        self.connector = connector
        self.mapping: dict[str, Any] = self.source.field_mapping or {}
        self.reference = Reference.load()
        self.new_status = (
            Entry.Status.PUBLISHED if self.source.publish_directly else Entry.Status.SUBMITTED
        )
        # Organization ids by record key, of committed pages only.
        self._organizations: dict[tuple[str, str, str], int | None] = {}
        self.rows = Rows()

    # --- One page ------------------------------------------------------------------------------

    def store(self, page: Page) -> Counts:
        """Map and store one page with the run's counts and the source's checkpoint, in one
        transaction. Raises `RunLost` (rolling the page back) if the run was failed meanwhile.

        Should the database refuse the page (a value no check here foresaw), the page is stored
        again record by record, each in a savepoint, and the records it refuses are skipped
        with the database's message: one bad record never blocks the source."""
        read = self.read(page.raw_records)
        now = timezone.now()
        found: dict[tuple[str, str, str], int | None] = {}
        try:
            with transaction.atomic():
                counts = Counts(fetched=len(page.raw_records))
                errors: list[SyncRecordError] = []
                self._store_records(read, found, now, counts, errors)
                self._finish_page(page, counts, errors, now)
        except (IntegrityError, DataError) as exc:
            logger.warning("Run %s: storing records one by one after: %s", self.run.pk, exc)
            found = {}
            with transaction.atomic():
                counts = Counts(fetched=len(page.raw_records))
                errors = []
                for record in read:
                    one, one_found = Counts(), dict(found)
                    one_errors: list[SyncRecordError] = []
                    try:
                        with transaction.atomic():
                            self._store_records([record], one_found, now, one, one_errors)
                    except (IntegrityError, DataError) as record_exc:
                        counts.failed += 1
                        errors.append(
                            SyncRecordError(
                                run=self.run,
                                external_id=clean_text(record.external_id)[:255],
                                message=clean_text(
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

    # --- Reading: the connector's mapping, the source's field mapping, the content hash --------

    def read(self, raw_records: Sequence[Any]) -> list[Read]:
        """The page's raw records mapped by the connector, with the source's field mapping
        applied and their content hashes. Raises `FeedError` (the feed as a whole is bad)."""
        return [self._read_one(raw) for raw in raw_records]

    def _read_one(self, raw: Any) -> Read:
        try:
            item = self.connector.map_record(raw)
            external_id = clean_text(getattr(item, "external_id", ""))
            if not external_id and not isinstance(item, OrganizationRecord):
                raise RecordError("The record has no identifier.")
            if len(external_id) > 255:
                raise RecordError("The record's identifier is longer than 255 characters.")
        except FeedError:
            raise
        except RecordError as exc:
            return Read(None, exc.external_id, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - one bad record must not stop the run
            return Read(None, error=f"The record could not be read ({type(exc).__name__}: {exc}).")
        if external_id != getattr(item, "external_id", external_id):
            item = dataclasses.replace(item, external_id=external_id)
        if isinstance(item, EntryRecord):
            item = overridden(item, self.mapping)
            return Read(item, external_id, digest=content_hash(item))
        return Read(item, external_id)

    # --- Storing -------------------------------------------------------------------------------

    def _store_records(
        self,
        read: list[Read],
        found: dict[tuple[str, str, str], int | None],
        now: datetime.datetime,
        counts: Counts,
        errors: list[SyncRecordError],
    ) -> None:
        """Store read records, adding to `counts` and `errors` (all but `fetched`)."""

        def fail(external_id: str, message: str) -> None:
            errors.append(
                SyncRecordError(
                    run=self.run,
                    external_id=clean_text(external_id)[:255],
                    message=clean_text(message),
                )
            )

        # The last record of each external id (a feed may list one twice).
        latest: dict[str, Read] = {}
        failed_ids: set[str] = set()
        for one in read:
            if one.item is None:
                counts.failed += 1
                fail(one.external_id, one.error)
                if clean_text(one.external_id):
                    failed_ids.add(clean_text(one.external_id)[:255])
                continue
            key = one.external_id or f"organization:{id(one)}"
            if key in latest:
                counts.unchanged += 1  # superseded by a later copy in the same page
            latest[key] = one

        records: list[Read] = []
        deletions: list[str] = []
        organizations: list[OrganizationRecord] = []
        for one in latest.values():
            if isinstance(one.item, EntryRecord):
                records.append(one)
            elif isinstance(one.item, Deletion):
                deletions.append(one.external_id)
            elif isinstance(one.item, OrganizationRecord):
                organizations.append(one.item)

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

        # The hash first: an unchanged record (most of them, after the first run) costs its
        # share of one statement and no mapping.
        existing, unchanged = self._compare_hashes(records, now)
        counts.unchanged += len(unchanged)
        mapped: list[Mapped] = []
        for one in records:
            if one.external_id in unchanged:
                continue
            try:
                mapped.append(map_entry(one.item, one.digest, self.reference))  # type: ignore[arg-type]
            except RecordError as exc:
                counts.failed += 1
                fail(one.external_id, str(exc))
                failed_ids.add(one.external_id)

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

    def _compare_hashes(
        self, records: list[Read], now: datetime.datetime
    ) -> tuple[dict[str, tuple[Any, ...]], set[str]]:
        """The stored rows (pk, external id, content hash, status, archived_by_id, locally
        edited fields) of the records whose hash differs, by external id, and the external ids
        of the unchanged ones. These are sighted (`EntrySighting`: a narrow row, not a new
        version of the wide entry row). One statement."""
        if not records:
            return {}, set()
        if connection.vendor != "postgresql":
            return self._compare_hashes_orm(records, now)
        with connection.cursor() as cursor:
            cursor.execute(
                _COMPARE_HASHES_SQL,
                [
                    [one.external_id for one in records],
                    [one.digest for one in records],
                    self.source.pk,
                    now,
                ],
            )
            rows = cursor.fetchall()
        existing: dict[str, tuple[Any, ...]] = {}
        unchanged: set[str] = set()
        for pk, external_id, digest, status, archived_by_id, edited, same in rows:
            if same:
                unchanged.add(external_id)
            else:
                if isinstance(edited, str):
                    edited = json.loads(edited)
                existing[external_id] = (pk, external_id, digest, status, archived_by_id, edited)
        return existing, unchanged

    def _compare_hashes_orm(
        self, records: list[Read], now: datetime.datetime
    ) -> tuple[dict[str, tuple[Any, ...]], set[str]]:
        """`_compare_hashes` with the ORM, for databases other than PostgreSQL."""
        digests = {one.external_id: one.digest for one in records}
        existing: dict[str, tuple[Any, ...]] = {}
        unchanged: set[str] = set()
        sighted: list[int] = []
        for row in self._entries(digests).values_list(
            "pk", "external_id", "content_hash", "status", "archived_by_id",
            "locally_edited_fields",
        ):  # fmt: skip
            if row[2] == digests[row[1]]:
                unchanged.add(row[1])
                sighted.append(row[0])
            else:
                existing[row[1]] = row
        EntrySighting.objects.bulk_create(
            [EntrySighting(entry_id=pk, seen_at=now) for pk in sighted],
            update_conflicts=True,
            unique_fields=["entry"],
            update_fields=["seen_at"],
        )
        return existing, unchanged

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

    # --- Organizations -------------------------------------------------------------------------

    def _resolve_providers(
        self,
        mapped: list[Mapped],
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
                elif pk not in links or ROLE_RANK[role] < ROLE_RANK[links[pk]]:
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
        if remaining:
            ids = find_organization_ids(list(remaining.values()), source=self.source)
            for key, pk in zip(list(remaining), ids, strict=True):
                if pk is not None:
                    result[key] = pk
                    del remaining[key]
        to_create: list[tuple[tuple[str, str, str], Organization]] = []
        used_external_ids: set[str] = set()
        for key, record in remaining.items():
            country_id = self.reference.countries.get(record.country_iso3.upper())
            name = clean_text(record.name, _ORG_NAME_MAX)
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
        website = clean_text(record.website)
        return Organization(
            name=clean_text(record.name, _ORG_NAME_MAX),
            acronym=clean_text(record.acronym, 40),
            type=record.type if record.type in Organization.Type.values else "other",
            country_id=country_id,
            website=website if len(website) <= _URL_MAX else "",
            description=clean_text(record.description),
            source=self.source,
            external_id=external_id,
        )

    def _upsert_organization(
        self, record: OrganizationRecord, found: dict[tuple[str, str, str], int | None]
    ) -> bool | None:
        """An organization record (an IATI organisation file): True created, False updated,
        None unchanged. Saved one by one: they are few, and the signals log the changes of
        their entries' search documents."""
        name = clean_text(record.name, _ORG_NAME_MAX)
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
            key = organization_key(record)
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
        mapped: list[Mapped],
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
        new: list[Mapped] = []
        changed: list[tuple[Mapped, tuple[Any, ...]]] = []
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

    def _create(self, new: list[Mapped], now: datetime.datetime) -> list[int]:
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
        self, changed: list[tuple[Mapped, tuple[Any, ...]]], now: datetime.datetime
    ) -> list[int]:
        today = timezone.localdate(now)
        # Fields a person owns, by entry, and what we hold for them (to record conflicts).
        owned = {row[0]: set(row[5] or ()) for _item, row in changed}
        ours = self._current_values({pk: names for pk, names in owned.items() if names})
        conflicts: list[SyncConflict] = []
        groups: dict[tuple[str, ...], list[Entry]] = defaultdict(list)
        relation_pairs: dict[str, list[tuple[int, Mapped]]] = defaultdict(list)
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
        """Our values of the locally edited fields, comparable with `Mapped` values."""
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

    def _insert_relations(self, pairs: list[tuple[int, Mapped]], names: Iterable[str]) -> None:
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
