"""Celery tasks of needs registration and matching.

The import of a confirmed spreadsheet runs here rather than in the web request: 2,000 rows take
about 20 seconds. The task is safe to run twice (a redelivered message, a stalled import queued
again): `upload_import` imports only a queued upload, and needs it already created are found by
their creation tokens, so a second run imports nothing.

Suggestions are refreshed after the commit of what changed them (`enqueue_need_refresh`,
`enqueue_entry_refresh`): a need opened or closed, an entry published or changed. Each refresh
recomputes a need's whole list and upserts it, so running it twice, or after a newer one, leaves
the same rows.
"""

from celery import shared_task
from django.conf import settings
from django.db import OperationalError, transaction

from catalog.models import Entry
from matching import services
from matching.imports import upload_import
from matching.models import Match, Need
from matching.ranking import rank_needs_for_entry
from search.store import IndexUnavailable


@shared_task(acks_late=True, ignore_result=True)
def needs_import_task(token: str) -> str | None:
    """Import the confirmed upload `token`; returns its status afterwards (None: it expired)."""
    upload = upload_import(token=token)
    return upload.status if upload else None


# A lost connection or a deadlock with a concurrent write is worth another try, and so is a
# search index being rebuilt; a ranking error is not (it would fail again): the worker logs it.
RETRIED = (OperationalError, IndexUnavailable)


@shared_task(
    autoretry_for=RETRIED, max_retries=3, retry_backoff=30, acks_late=True, ignore_result=True
)
def refresh_need_suggestions(need_id: int) -> int:
    """Recompute the suggested matches of need `need_id`; returns how many rows changed."""
    need = Need.objects.filter(pk=need_id).first()
    if need is None:
        return 0
    result = services.need_suggestions_refresh(need=need)
    return result.created + result.updated + result.deleted


@shared_task(
    autoretry_for=RETRIED, max_retries=3, retry_backoff=30, acks_late=True, ignore_result=True
)
def refresh_entry_suggestions(entry_id: int) -> int:
    """Refresh the needs an entry could now serve (the open needs `rank_needs_for_entry`
    finds) and those that have it among their suggestions (it may have left them, e.g.
    archived); each need is its own task. Returns the number of needs queued."""
    need_ids = set(
        Match.objects.suggested().filter(entry_id=entry_id).values_list("need_id", flat=True)
    )
    entry = Entry.objects.filter(pk=entry_id, status=Entry.Status.PUBLISHED).first()
    if entry is not None:
        ranked = rank_needs_for_entry(entry, limit=settings.MATCH_REFRESH_NEEDS_PER_ENTRY)
        need_ids.update(item.need_id for item in ranked)
    for need_id in sorted(need_ids):
        refresh_need_suggestions.delay(need_id)
    return len(need_ids)


@shared_task(
    autoretry_for=RETRIED, max_retries=3, retry_backoff=30, acks_late=True, ignore_result=True
)
def refresh_open_needs() -> int:
    """Queue a refresh of every open or matched need, e.g. after a bulk import of entries."""
    need_ids = list(
        Need.objects.filter(status__in=(Need.Status.OPEN, Need.Status.MATCHED))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for need_id in need_ids:
        refresh_need_suggestions.delay(need_id)
    return len(need_ids)


@shared_task(acks_late=True, ignore_result=True)
def notify_strong_matches() -> int:
    """Beat, daily: the strong-match digest (matching/services.py `matches_notify_strong`)."""
    return services.matches_notify_strong()


def enqueue_need_refresh(need_id: int) -> None:
    """Refresh the need's suggestions once the current transaction commits. Robust: a broker
    that is down must not fail the change that was just committed."""
    transaction.on_commit(lambda: refresh_need_suggestions.delay(need_id), robust=True)


def enqueue_entry_refresh(entry_id: int) -> None:
    """Refresh the suggestions an entry's change may affect, after the commit."""
    transaction.on_commit(lambda: refresh_entry_suggestions.delay(entry_id), robust=True)
