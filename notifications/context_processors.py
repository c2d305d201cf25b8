from collections.abc import Callable
from functools import cache

from django.http import HttpRequest

from accounts.models import User
from notifications import selectors


def inbox(request: HttpRequest) -> dict[str, Callable[[], int]]:
    """`inbox_unread_count` for the header: counted once, and only when a template shows it."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_active:
        return {}
    return {"inbox_unread_count": cache(lambda: selectors.notification_unread_count(user))}
