"""Celery tasks of webhooks: one attempt of a delivery, and the sweep (webhooks/services.py).

`webhook_deliver_task` is safe to run twice: an attempt claims its delivery with a conditional
UPDATE (pending, due, not held by another worker), so a redelivered message or a retry queued
twice makes one attempt. A retry is queued with a countdown; the sweep queues again what is
overdue (a message lost with the broker) and prunes the log.
"""

from celery import shared_task

from webhooks import services


@shared_task(acks_late=True, ignore_result=True)
def webhook_deliver_task(delivery_id: int) -> str | None:
    """Make the attempt due for delivery `delivery_id`; returns its status afterwards (None:
    nothing to do)."""
    delivery = services.delivery_attempt(delivery_id=delivery_id)
    return delivery.status if delivery else None


@shared_task(acks_late=True, ignore_result=True)
def webhooks_sweep() -> dict[str, int]:
    """Beat, every few minutes: queue overdue deliveries again; prune old ones."""
    return {
        "requeued": services.deliveries_requeue_due(),
        "pruned": services.deliveries_prune(),
    }
