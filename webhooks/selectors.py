"""Whose webhooks a requester manages: the one place webhook views are scoped."""

from django.db.models import QuerySet

from accounts.models import ApiKey, Membership, User
from accounts.permissions import organizations_of
from catalog.models import Organization
from webhooks.models import Delivery, Webhook


def organizations_managed(*, user: User | None, key: ApiKey | None) -> QuerySet[Organization]:
    """An API key's own organization (the view checked its scope); the organizations a person
    administers ("organizations.manage"), all of them for programme staff."""
    if key is not None:
        return Organization.objects.filter(pk=key.organization_id)
    if user is None or not user.is_active:
        return Organization.objects.none()
    if user.is_staff:
        return Organization.objects.all()
    return organizations_of(user, role=Membership.Role.ADMINISTRATOR)


def webhooks_managed(*, user: User | None, key: ApiKey | None) -> QuerySet[Webhook]:
    return Webhook.objects.filter(
        organization__in=organizations_managed(user=user, key=key).values("pk")
    )


def recent_deliveries(webhook: Webhook, limit: int = 10) -> list[Delivery]:
    return list(webhook.deliveries.order_by("-created_at", "-pk")[:limit])
