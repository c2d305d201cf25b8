"""Archiving what a source no longer lists: its deletions (`archive_entries`, called per page
by the store) and, after a full pass, the entries the pass did not see (`archive_unseen`)."""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog.models import Entry, Tombstone
from partners.models import PartnerSource
from partners.sync.records import Counts
from search.changelog import log_entry_changes


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
