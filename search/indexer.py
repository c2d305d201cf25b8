"""Keeping copies of the search index current from the change log, and rebuilding them.

The database is the source of truth; `search.changelog` appends an `EntryChange` row for each
entry changed, in the transaction of the change. Each copy of the index (`search.store`, one per
machine that serves searches) records in its generation's applied.json the last change id it
applied, written only after the index commit that applied it; `index_catch_up` re-indexes the
entries of the rows after that id, in id order and in batches. An indexer that dies after a
commit but before writing the id replays that batch: indexing the current state of an entry is
an upsert, so a replay neither loses nor duplicates anything. Copies catch up independently from
the same log; `change_log_prune` deletes rows past the retention, and a copy that had not applied
them yet rebuilds (`index_rebuild`).

Ids committed out of order. On PostgreSQL a transaction can take id 10, another id 11 and commit
first; a catch-up in between sees 11 and not 10. Skipping to 11 would lose 10 for good, and a
settle window (apply only rows older than a few seconds) would still lose the changes of a
transaction that runs longer than the window, such as a bulk import. So every id below the
applied one that a read did not see is kept as a gap, with the snapshot's `xmax` (the next
transaction id) taken after that read: any transaction that could still commit one of those ids
was already running then, so has an id below `xmax`. Gaps are re-read at each catch-up until
the oldest running transaction (`xmin`) has passed that `xmax`; after that read they are final
(their ids belonged to rolled-back transactions) and are dropped. This holds because a change's
log row is written after the change itself, so its transaction has an id when the row takes its
log id. SQLite has one writer at a time and reuses the ids of a rollback: ids become visible in
order there, and no gaps are kept.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import logging
import operator
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from catalog.models import Entry
from search import store
from search.models import ChangeLogHorizon, EntryChange
from search.schema import ID, SCHEMA_VERSION
from search.store import CopyState, CopyWriter, Gap, IndexCopy, IndexerBusy

logger = logging.getLogger(__name__)

# Gaps kept per copy; beyond this they are merged into one range (re-read as a whole).
MAX_GAPS = 1000
# Documents handed to the engine at a time during a rebuild (the progress bar's step).
REBUILD_CHUNK = 2000

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RebuildResult:
    copy_dir: str
    generation: str
    documents: int
    applied_id: int
    reason: str
    seconds: float

    def __str__(self) -> str:
        return (
            f"Built {self.generation} of {self.copy_dir} with {self.documents:,} entries "
            f"up to change {self.applied_id} ({self.reason}) in {self.seconds:.1f} s."
        )


@dataclass(frozen=True)
class CatchUpResult:
    copy_dir: str
    generation: str
    # Log rows read and distinct entries re-indexed or removed by this catch-up.
    changes: int
    entries: int
    applied_id: int
    gaps: int
    seconds: float
    rebuilt: RebuildResult | None = None

    def __str__(self) -> str:
        text = (
            f"Applied {self.changes:,} changes ({self.entries:,} entries) to {self.generation} "
            f"of {self.copy_dir}, now at change {self.applied_id}"
        )
        if self.gaps:
            text += f", {self.gaps} gaps to re-read"
        text += f", in {self.seconds:.2f} s."
        return f"{self.rebuilt}\n{text}" if self.rebuilt else text

    def as_dict(self) -> dict[str, Any]:
        return {
            "generation": self.generation,
            "changes": self.changes,
            "entries": self.entries,
            "applied_id": self.applied_id,
            "rebuilt": self.rebuilt is not None,
        }


# --- Services ------------------------------------------------------------------------------------


def index_catch_up(*, copy_dir: Path | str | None = None, wait: float = 0.0) -> CatchUpResult:
    """Apply the change log to a copy (by default this machine's), rebuilding it first when it
    has no usable index, a reader reported it damaged, or it missed pruned changes.

    Raises `IndexerBusy` at once (or after `wait` seconds) if another indexer holds the copy.
    """
    started = time.monotonic()
    with store.writer(copy_dir, wait=wait) as writer:
        copy = writer.copy
        rebuilt = None
        generation = copy.current_generation()
        state = copy.read_state(generation) if generation else None
        reason = _rebuild_reason(copy, generation, state)
        applied: tuple[int, int, CopyState] | None = None
        if generation is not None and state is not None and reason is None:
            if len(copy.generations()) > 1:
                copy.remove_generations(keep=generation)  # left by a build that crashed
            try:
                applied = _apply_log(writer, generation, state)
            except _Damaged as exc:
                reason = str(exc)
        if applied is None:
            rebuilt, state = _rebuild(writer, reason=reason or "", progress=None)
            generation = rebuilt.generation
            applied = _apply_log(writer, generation, state)
        changes, entries, state = applied
        assert generation is not None
        return CatchUpResult(
            copy_dir=str(copy.path),
            generation=generation,
            changes=changes,
            entries=entries,
            applied_id=state.applied_id,
            gaps=len(state.gaps),
            seconds=time.monotonic() - started,
            rebuilt=rebuilt,
        )


def index_rebuild(
    *,
    copy_dir: Path | str | None = None,
    progress: Progress | None = None,
    reason: str = "asked for",
) -> CatchUpResult:
    """Build a fresh generation of a copy from the database, swap it in, delete the old ones,
    then apply what changed during the build. Readers keep the old generation meanwhile.

    `progress(done, total)` is called as documents are indexed. Raises `IndexerBusy` at once if
    another indexer holds the copy.
    """
    started = time.monotonic()
    with store.writer(copy_dir) as writer:
        rebuilt, state = _rebuild(writer, reason=reason, progress=progress)
        changes, entries, state = _apply_log(writer, rebuilt.generation, state)
        return CatchUpResult(
            copy_dir=str(writer.copy.path),
            generation=rebuilt.generation,
            changes=changes,
            entries=entries,
            applied_id=state.applied_id,
            gaps=len(state.gaps),
            seconds=time.monotonic() - started,
            rebuilt=rebuilt,
        )


class _Damaged(Exception):
    """The copy's current generation cannot be opened for writing."""


def _engine(writer: CopyWriter, generation: str) -> Any:
    try:
        return writer.engine(generation)
    except Exception as exc:  # noqa: BLE001 - tantivy reports damage as several types
        if "LockBusy" in str(exc):
            # Not damage: a writer of this generation outside our lock (a leak). Fail loudly.
            raise
        raise _Damaged(f"its index cannot be opened ({type(exc).__name__}: {exc})") from exc


@dataclass(frozen=True)
class PruneResult:
    deleted: int
    pruned_through: int


@transaction.atomic
def change_log_prune(*, older_than: datetime.datetime) -> PruneResult:
    """Delete the change-log rows written before `older_than` (a datetime) and every row with
    a lower id, and raise the horizon to the highest id deleted: a copy that has not applied
    that id yet rebuilds at its next catch-up."""
    horizon = ChangeLogHorizon.objects.select_for_update().order_by("pk").first()
    if horizon is None:
        horizon = ChangeLogHorizon.objects.create()
    through = EntryChange.objects.filter(created_at__lt=older_than).aggregate(m=Max("id"))["m"]
    if through is None or through <= horizon.pruned_through:
        return PruneResult(deleted=0, pruned_through=horizon.pruned_through)
    deleted, _ = EntryChange.objects.filter(id__lte=through).delete()
    horizon.pruned_through = through
    horizon.save(update_fields=["pruned_through", "updated_at"])
    logger.info("Pruned %s change-log rows, through id %s", deleted, through)
    return PruneResult(deleted=deleted, pruned_through=through)


def index_catch_up_after_commit() -> None:
    """`transaction.on_commit` hook when there is no broker (`make run`): catch this machine's
    copy up in-process, waiting briefly for an indexer in another thread to finish first."""
    try:
        index_catch_up(wait=10.0)
    except IndexerBusy as exc:
        logger.info("%s", exc)


# --- Rebuilding ----------------------------------------------------------------------------------


def _rebuild_reason(copy: IndexCopy, generation: str | None, state: CopyState | None) -> str | None:
    if generation is None:
        return "there is no index yet"
    if copy.rebuild_requested(generation):
        return "a reader could not open it"
    if state is None:
        return "its change-log position is unreadable"
    if state.schema_version != SCHEMA_VERSION:
        return f"its schema is version {state.schema_version}, not {SCHEMA_VERSION}"
    horizon = _pruned_through()
    if state.applied_id < horizon or any(gap.first <= horizon for gap in state.gaps):
        return (
            f"it missed changes pruned from the log (applied {state.applied_id}, pruned {horizon})"
        )
    if state.applied_id > max(_last_change_id(), horizon):
        return "it is ahead of the change log: it was built from another database"
    return None


def _rebuild(
    writer: CopyWriter, *, reason: str, progress: Progress | None
) -> tuple[RebuildResult, CopyState]:
    from search.documents import entry_documents

    started = time.monotonic()
    copy = writer.copy
    old = copy.current_generation()
    copy.remove_generations(keep=old)  # leftovers of a build that crashed
    logger.info("Rebuilding the search index in %s: %s", copy.path, reason)
    # The log position first: everything up to it is in the database the build reads, except
    # the ids of transactions still running (the gaps, re-read by the next catch-ups).
    horizon = _pruned_through()
    applied_id = max(_last_change_id(), horizon)
    gaps = _log_gaps(after=horizon, through=applied_id)
    generation = copy.create_generation()
    engine = writer.engine(generation)
    total = Entry.objects.published().count()
    done = 0
    if progress:
        progress(0, total)
    documents = entry_documents(None, batch_size=settings.SEARCH_INDEX_BATCH_SIZE)
    for chunk in itertools.batched(documents, REBUILD_CHUNK):
        engine.index_entries(chunk, replace=False)  # a new, empty index
        done += len(chunk)
        if progress:
            progress(done, max(total, done))
    engine.commit()
    state = CopyState(applied_id=applied_id, gaps=gaps, schema_version=SCHEMA_VERSION)
    copy.write_state(generation, state)
    copy.publish(generation)
    copy.clear_rebuild_request()
    if old:
        writer.close(old)
    copy.remove_generations(keep=generation)
    result = RebuildResult(
        copy_dir=str(copy.path),
        generation=generation,
        documents=done,
        applied_id=applied_id,
        reason=reason,
        seconds=time.monotonic() - started,
    )
    logger.info("%s", result)
    return result, state


def _log_gaps(*, after: int, through: int) -> list[Gap]:
    """The ids in (after, through] with no visible log row (PostgreSQL only, see the module
    docstring), each range with the snapshot xmax taken after reading them."""
    if connection.vendor != "postgresql" or through <= after:
        return []
    table = connection.ops.quote_name(EntryChange._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT previous + 1, id - 1 FROM (
                SELECT id, COALESCE(LAG(id) OVER (ORDER BY id), %s) AS previous
                FROM {table} WHERE id > %s AND id <= %s
            ) AS ids WHERE id > previous + 1
            """,  # noqa: S608 - the table name is the model's, quoted
            [after, after, through],
        )
        ranges = cursor.fetchall()
        last_seen = EntryChange.objects.filter(id__gt=after, id__lte=through).aggregate(
            m=Max("id")
        )["m"]
    if last_seen is None:  # no row at all in the range
        ranges = [(after + 1, through)]
    elif last_seen < through:
        ranges.append((last_seen + 1, through))
    xmax = _snapshot()[1]
    return _capped([Gap(first, last, xmax) for first, last in ranges])


# --- Applying the log ----------------------------------------------------------------------------


def _apply_log(writer: CopyWriter, generation: str, state: CopyState) -> tuple[int, int, CopyState]:
    """Apply the gaps' rows, then the rows after the applied id, batch by batch; each batch is
    committed to the index before its position is written."""
    copy = writer.copy
    changes = entries = 0
    batch_size = settings.SEARCH_CATCH_UP_BATCH_SIZE
    if state.gaps:
        changes, entries, state = _apply_gaps(writer, generation, state, batch_size)
    while True:
        rows = list(
            EntryChange.objects.filter(id__gt=state.applied_id)
            .order_by("id")
            .values_list("id", "entry_id")[:batch_size]
        )
        if not rows:
            break
        # After the read: every transaction that may still commit an id in the gaps below
        # has a transaction id lower than this xmax.
        _, xmax = _snapshot()
        if _pruned_through() > state.applied_id:
            # Pruned while we read: rows may be missing. The next catch-up rebuilds.
            logger.warning("Change log pruned past %s during catch-up", state.applied_id)
            break
        new_gaps = _gaps_between(state.applied_id, [pk for pk, _ in rows], xmax) if xmax else []
        entries += _index(_engine(writer, generation), {entry_id for _, entry_id in rows})
        changes += len(rows)
        state = CopyState(
            applied_id=rows[-1][0],
            gaps=_capped(state.gaps + new_gaps),
            schema_version=state.schema_version,
        )
        copy.write_state(generation, state)
        if len(rows) < batch_size:
            break
    return changes, entries, state


def _apply_gaps(
    writer: CopyWriter, generation: str, state: CopyState, batch_size: int
) -> tuple[int, int, CopyState]:
    # xmin before the read: a gap whose transactions had all ended by then is read in full.
    xmin, _ = _snapshot()
    open_gaps = [g for g in state.gaps if _still_open(g, xmin)]
    in_gaps = functools.reduce(
        operator.or_, (Q(id__gte=g.first, id__lte=g.last) for g in state.gaps)
    )
    changes = entries = 0
    found_in_open: list[int] = []
    after = 0
    while True:
        rows = list(
            EntryChange.objects.filter(in_gaps, id__gt=after)
            .order_by("id")
            .values_list("id", "entry_id")[:batch_size]
        )
        if not rows:
            break
        entries += _index(_engine(writer, generation), {entry_id for _, entry_id in rows})
        changes += len(rows)
        found_in_open += [pk for pk, _ in rows if any(g.first <= pk <= g.last for g in open_gaps)]
        after = rows[-1][0]
        if len(rows) < batch_size:
            break
    remaining = _split(open_gaps, found_in_open)
    if remaining != state.gaps:
        state = CopyState(
            applied_id=state.applied_id, gaps=remaining, schema_version=state.schema_version
        )
        writer.copy.write_state(generation, state)
    return changes, entries, state


def _index(engine: Any, entry_ids: set[int]) -> int:
    """Index the current state of these entries: upsert the published ones, delete the others.
    Returns the number of entries."""
    from search.documents import entry_documents

    indexed: set[int] = set()

    def documents() -> Iterator[Mapping[str, Any]]:
        for document in entry_documents(
            sorted(entry_ids), batch_size=settings.SEARCH_INDEX_BATCH_SIZE
        ):
            indexed.add(int(document[ID]))
            yield document

    engine.index_entries(documents())
    gone = entry_ids - indexed
    if gone:
        engine.delete_entries(sorted(gone))
    engine.commit()
    return len(entry_ids)


# --- Log positions -------------------------------------------------------------------------------


def _pruned_through() -> int:
    return ChangeLogHorizon.objects.aggregate(m=Max("pruned_through"))["m"] or 0


def _last_change_id() -> int:
    return EntryChange.objects.aggregate(m=Max("id"))["m"] or 0


def _snapshot() -> tuple[int | None, int | None]:
    """PostgreSQL's (xmin, xmax) now: the oldest transaction still running, and the next
    transaction id to be assigned. (None, None) elsewhere."""
    if connection.vendor != "postgresql":
        return None, None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_snapshot_xmin(s)::text::bigint, pg_snapshot_xmax(s)::text::bigint "
            "FROM pg_current_snapshot() AS s"
        )
        xmin, xmax = cursor.fetchone()
    return xmin, xmax


def _still_open(gap: Gap, xmin: int | None) -> bool:
    """Whether a transaction that was running when the gap was seen may still be running."""
    return xmin is not None and gap.xmax is not None and xmin < gap.xmax


def _gaps_between(after: int, ids: Iterable[int], xmax: int | None) -> list[Gap]:
    """The ranges in (after, last of ids] missing from the ascending `ids`."""
    gaps = []
    previous = after
    for pk in ids:
        if pk > previous + 1:
            gaps.append(Gap(previous + 1, pk - 1, xmax))
        previous = pk
    return gaps


def _split(gaps: list[Gap], found: list[int]) -> list[Gap]:
    """The gaps without the ids found in them."""
    found_sorted = sorted(found)
    result = []
    for gap in gaps:
        inside = [pk for pk in found_sorted if gap.first <= pk <= gap.last]
        result += _gaps_between(gap.first - 1, [*inside, gap.last + 1], gap.xmax)
    return result


def _capped(gaps: list[Gap]) -> list[Gap]:
    if len(gaps) <= MAX_GAPS:
        return gaps
    xmaxes = [g.xmax for g in gaps]
    return [
        Gap(
            min(g.first for g in gaps),
            max(g.last for g in gaps),
            None if None in xmaxes else max(x for x in xmaxes if x is not None),
        )
    ]


def prune_cutoff() -> datetime.datetime:
    """Now minus the retention (`SEARCH_CHANGE_LOG_RETENTION_DAYS`)."""
    return timezone.now() - datetime.timedelta(days=settings.SEARCH_CHANGE_LOG_RETENTION_DAYS)
