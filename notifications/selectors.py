from accounts.models import User
from notifications.models import Notification, NotificationQuerySet


def notifications_of(user: User) -> NotificationQuerySet:
    """The user's inbox, newest first: the one place that scopes notifications to a person."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def notification_unread_count(user: User) -> int:
    return notifications_of(user).unread().count()
