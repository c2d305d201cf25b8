"""Celery tasks that e-mail notifications. Each is safe to run twice: a notification is claimed
in the transaction that e-mails it (notifications/emails.py), so a second run sends nothing.
Beat runs the daily digest and, every few minutes, the sweep of immediate e-mails that did not go
out (a lost message, a mail server down longer than the retries)."""

import smtplib

from celery import shared_task
from celery.app.task import Task

from notifications.emails import (
    notification_digest_send,
    notification_email_send,
    notifications_to_sweep,
    users_with_digest_due,
)

# What a mail server that is down or refusing raises; anything else is a bug, not retried.
MAIL_ERRORS = (smtplib.SMTPException, OSError)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=5)
def notification_email_task(self: Task, notification_id: int) -> bool:
    try:
        return notification_email_send(notification_id=notification_id)
    except MAIL_ERRORS as exc:
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task(acks_late=True, ignore_result=True)
def notification_email_sweep_task() -> int:
    """Queue again the immediate e-mails that have not gone out; returns how many."""
    ids = notifications_to_sweep()
    for notification_id in ids:
        notification_email_task.delay(notification_id)
    return len(ids)


@shared_task(acks_late=True, ignore_result=True)
def notification_digest_task() -> int:
    """Queue one digest per user who chose the daily digest and has something to read."""
    user_ids = users_with_digest_due()
    for user_id in user_ids:
        notification_digest_user_task.delay(user_id)
    return len(user_ids)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=5)
def notification_digest_user_task(self: Task, user_id: int) -> int:
    try:
        return notification_digest_send(user_id=user_id)
    except MAIL_ERRORS as exc:
        # Whatever is still not e-mailed after the retries goes into tomorrow's digest.
        raise self.retry(exc=exc, countdown=5 * 60 * 2**self.request.retries) from exc
