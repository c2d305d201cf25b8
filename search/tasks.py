"""Celery tasks of the search index. Each takes plain values and calls a service of
`search.indexer`; all are safe to run twice: the indexer of a copy holds its lock, so a second
catch-up or rebuild of the same copy returns at once, and catching up again applies nothing new.

A task works on the copy of the machine whose worker runs it (`copy_dir` None means that
machine's `SEARCH_INDEX_DIR`). See README, "Search", for which process keeps which copy current.
"""

import logging
from typing import Any

from celery import shared_task

# Celery's autodiscovery reads only `tasks.py`: the digest's tasks register through here.
from search.digest_tasks import saved_search_digest_task, saved_search_digest_user_task
from search.indexer import change_log_prune, index_catch_up, index_rebuild, prune_cutoff
from search.store import IndexerBusy

__all__ = [
    "saved_search_digest_task",
    "saved_search_digest_user_task",
    "search_catch_up_task",
    "search_prune_task",
    "search_rebuild_task",
]

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def search_catch_up_task(copy_dir: str | None = None) -> dict[str, Any]:
    """Apply the change log to the copy (rebuilding it first when it needs it)."""
    try:
        result = index_catch_up(copy_dir=copy_dir)
    except IndexerBusy as exc:
        logger.info("%s", exc)
        return {"busy": True}
    if result.changes or result.rebuilt:
        logger.info("%s", result)
    return result.as_dict()


# A million entries take minutes: longer limits than the global ones.
@shared_task(
    acks_late=True, ignore_result=True, soft_time_limit=3 * 3600, time_limit=3 * 3600 + 300
)
def search_rebuild_task(copy_dir: str | None = None, if_needed: bool = False) -> dict[str, Any]:
    """Rebuild the copy; with `if_needed`, only if it still needs it (no index, reported
    damaged, or behind the pruned log) and otherwise just catch it up, so that readers that
    all ask for a rebuild of the same damaged index get one."""
    try:
        result = (
            index_catch_up(copy_dir=copy_dir) if if_needed else index_rebuild(copy_dir=copy_dir)
        )
    except IndexerBusy as exc:
        logger.info("%s", exc)
        return {"busy": True}
    logger.info("%s", result)
    return result.as_dict()


@shared_task(acks_late=True, ignore_result=True)
def search_prune_task() -> dict[str, int]:
    """Delete change-log rows older than `SEARCH_CHANGE_LOG_RETENTION_DAYS` (daily, by beat)."""
    result = change_log_prune(older_than=prune_cutoff())
    return {"deleted": result.deleted, "pruned_through": result.pruned_through}
