"""Periodic jobs of the catalogue (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from catalog import services


@shared_task(acks_late=True)
def entries_remind_reconfirm_task() -> int:
    """Ask the owners of entries not confirmed for a year to reconfirm them. Safe to run twice,
    and beside itself: each entry is claimed once per period (`Entry.reconfirm_reminded_at`).
    Returns the number of entries whose owners were reminded."""
    return services.entries_remind_reconfirm()
