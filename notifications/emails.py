"""Notifications by e-mail: one at a time for users who chose "immediate", a daily digest for
the others (`User.notification_mode`).

A notification is e-mailed at most once. Sending claims it inside a transaction with a
conditional UPDATE (`emailed_at IS NULL`) and commits only after the mail is handed over: a
second run, a redelivered task or a second worker finds it claimed (waiting for the first to
commit, or skipping its locked rows) and sends nothing; a failed send or a worker that dies rolls
the claim back, and the task's retry, the sweep or the next digest sends it. The one window left is
a crash between the hand-over and the commit, which means a duplicate rather than a lost e-mail.
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from accounts.models import User
from notifications.models import Notification

logger = logging.getLogger(__name__)

# A digest lists this many notifications, oldest first; the inbox has them all.
DIGEST_LISTED = 50
# The sweep re-sends immediate notifications whose e-mail has not gone out after this delay
# (a lost task, retries exhausted)...
SWEEP_AFTER = datetime.timedelta(minutes=10)
# ...and gives up on those older than this: they stay in the inbox.
SWEEP_WITHIN = datetime.timedelta(days=3)
SWEEP_BATCH = 500


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _language_of(user: User) -> str:
    languages = {code for code, _name in settings.LANGUAGES}
    return user.preferred_language if user.preferred_language in languages else "en"


def _one_line(text: str) -> str:
    # A line break in a subject header would make every attempt to send fail.
    return " ".join(text.split())


def _links() -> dict[str, str]:
    return {
        "site_url": _site_url("/"),
        "inbox_url": _site_url(reverse("notifications:inbox")),
        "settings_url": _site_url(reverse("notifications:settings")),
    }


def _open_url(notification: Notification) -> str:
    # Through the inbox, which marks it read and follows only a path on this site.
    return _site_url(reverse("notifications:open", kwargs={"pk": notification.pk}))


def _send(*, user: User, subject: str, template: str, context: dict[str, object]) -> None:
    message = EmailMultiAlternatives(
        subject=_one_line(subject),
        body=render_to_string(f"emails/{template}.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    message.send()


def notification_email_send(*, notification_id: int) -> bool:
    """E-mail one notification to its recipient unless it has been e-mailed already (or its
    recipient is no longer active); True when an e-mail went out. Errors of the mail server
    propagate, and the notification stays to send."""
    with transaction.atomic():
        # The claim, on this table alone so that PostgreSQL checks `emailed_at` again after
        # waiting: a concurrent run waits on the row, then finds it e-mailed.
        if not Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        ):
            return False
        notification = Notification.objects.select_related("recipient").get(pk=notification_id)
        user = notification.recipient
        if not user.is_active:
            transaction.set_rollback(True)
            return False
        with translation.override(_language_of(user)):
            _send(
                user=user,
                subject=f"[{gettext('South-South Exchange')}] {notification.subject}",
                template="notification",
                context={
                    "user": user,
                    "notification": notification,
                    "open_url": _open_url(notification),
                    **_links(),
                },
            )
    logger.info("Notification %s e-mailed to user %s", notification_id, user.pk)
    return True


def users_with_digest_due() -> list[int]:
    """Active users who chose the daily digest and have notifications not yet e-mailed."""
    return sorted(
        set(
            Notification.objects.not_emailed()
            .filter(
                recipient__is_active=True,
                recipient__notification_mode=User.NotificationMode.DAILY,
            )
            .values_list("recipient_id", flat=True)
        )
    )


def notification_digest_send(*, user_id: int, now: datetime.datetime | None = None) -> int:
    """E-mail the user one digest of their notifications not yet e-mailed, created up to `now`;
    returns how many it carried (0: nothing was sent)."""
    now = now or timezone.now()
    with transaction.atomic():
        # Rows another run holds are in its digest: skip them rather than wait and send them again.
        notifications = list(
            Notification.objects.not_emailed()
            .filter(recipient_id=user_id, recipient__is_active=True, created_at__lte=now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .order_by("created_at", "pk")
        )
        if not notifications:
            return 0
        Notification.objects.filter(
            pk__in=[n.pk for n in notifications], emailed_at__isnull=True
        ).update(emailed_at=now)
        user = notifications[0].recipient
        with translation.override(_language_of(user)):
            count = len(notifications)
            _send(
                user=user,
                subject=ngettext(
                    "%(count)d new notification on South-South Exchange",
                    "%(count)d new notifications on South-South Exchange",
                    count,
                )
                % {"count": count},
                template="notification_digest",
                context={
                    "user": user,
                    "items": [(n, _open_url(n)) for n in notifications[:DIGEST_LISTED]],
                    "total": count,
                    "more": max(0, count - DIGEST_LISTED),
                    **_links(),
                },
            )
    logger.info("Notification digest for user %s: %s notifications", user_id, count)
    return count


def notifications_to_sweep(*, now: datetime.datetime | None = None) -> list[int]:
    """Notifications of users who chose immediate e-mails whose e-mail has not gone out."""
    now = now or timezone.now()
    return list(
        Notification.objects.not_emailed()
        .filter(
            recipient__is_active=True,
            recipient__notification_mode=User.NotificationMode.IMMEDIATE,
            created_at__lte=now - SWEEP_AFTER,
            created_at__gt=now - SWEEP_WITHIN,
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
