"""Telling people what happened to their needs, entries and matches."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from exchange.errors import ApplicationError
from notifications.models import Notification
from notifications.tasks import notification_email_task


@transaction.atomic
def notify(
    *, recipients: Iterable[User], kind: str, subject: str, body: str = "", url: str = ""
) -> list[Notification]:
    """Put a notification in each recipient's inbox; the e-mail follows their preference.

    Inactive users and duplicates are skipped. Call it inside the transaction of the change it
    reports: the notification is stored with it, or not at all, and the e-mails of those who
    want them at once are queued when that transaction commits.
    """
    unique = {user.pk: user for user in recipients if user.is_active}
    notifications = Notification.objects.bulk_create(
        Notification(recipient=user, kind=kind, subject=subject[:300], body=body, url=url)
        for user in unique.values()
    )
    for notification in notifications:
        if unique[notification.recipient_id].notification_mode == User.NotificationMode.IMMEDIATE:
            # Robust: a broker that is down must not fail the change that was just committed;
            # the sweep sends the e-mail later.
            transaction.on_commit(
                lambda pk=notification.pk: notification_email_task.delay(pk),  # type: ignore[misc]
                robust=True,
            )
    return notifications


def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark it read, keeping the time it was first read."""
    if notification.read_at is None:
        now = timezone.now()
        if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=now
        ):
            notification.read_at = now
    return notification


def notification_mark_all_read(*, user: User) -> int:
    """Mark all the user's unread notifications read; returns how many."""
    return Notification.objects.filter(recipient=user).unread().update(read_at=timezone.now())


@transaction.atomic
def notification_mode_update(*, user: User, mode: str) -> User:
    """Switch between immediate e-mails and the daily digest. Notifications not yet e-mailed
    follow the new choice: the next digest, or the sweep of immediate e-mails."""
    if mode not in User.NotificationMode.values:
        raise ApplicationError("Choose immediate e-mails or a daily digest.")
    user.notification_mode = mode
    user.save(update_fields=["notification_mode"])
    return user
