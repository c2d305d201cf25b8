"""Celery tasks of the saved-search digest; search/tasks.py imports them so that Celery's
autodiscovery (which reads only `tasks.py`) registers them. Beat runs `saved_search_digest_task`
daily."""

from celery import shared_task
from celery.app.task import Task

from search.digest import saved_search_digest_send, users_with_digest_due
from search.store import IndexUnavailable


@shared_task(acks_late=True)
def saved_search_digest_task() -> int:
    """Queue one digest per user with a saved search due; returns how many were queued."""
    user_ids = users_with_digest_due()
    for user_id in user_ids:
        saved_search_digest_user_task.delay(user_id)
    return len(user_ids)


@shared_task(bind=True, acks_late=True, max_retries=5)
def saved_search_digest_user_task(self: Task, user_id: int) -> bool:
    # Safe twice: the service locks and advances the user's due searches in one transaction,
    # so a redelivered message finds nothing due.
    try:
        return saved_search_digest_send(user_id=user_id)
    except IndexUnavailable as exc:
        # The store has scheduled a rebuild; the digest waits for it.
        raise self.retry(exc=exc, countdown=5 * 60 * 2**self.request.retries) from exc
