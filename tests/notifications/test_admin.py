"""Notifications in the admin: programme staff look them up; nobody writes one there."""

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from notifications.models import Notification
from tests.factories import NotificationFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/notifications/notification/"


def listed(response: object) -> set[int]:
    assert response.status_code == 200  # type: ignore[attr-defined]
    return {obj.pk for obj in response.context["cl"].result_list}  # type: ignore[attr-defined]


def test_changelist_filters_by_kind_read_and_emailed(admin_client: Client) -> None:
    unread = NotificationFactory(kind=Notification.Kind.PUBLISHED)
    read = NotificationFactory(kind=Notification.Kind.REMINDER, read_at=timezone.now())
    emailed = NotificationFactory(kind=Notification.Kind.PUBLISHED, emailed_at=timezone.now())

    assert listed(admin_client.get(CHANGELIST)) == {unread.pk, read.pk, emailed.pk}
    assert listed(admin_client.get(CHANGELIST, {"kind": "reminder"})) == {read.pk}
    assert listed(admin_client.get(CHANGELIST, {"read": "yes"})) == {read.pk}
    assert listed(admin_client.get(CHANGELIST, {"read": "no"})) == {unread.pk, emailed.pk}
    assert listed(admin_client.get(CHANGELIST, {"emailed": "yes"})) == {emailed.pk}
    assert listed(admin_client.get(CHANGELIST, {"emailed": "no"})) == {unread.pk, read.pk}


def test_nobody_adds_or_edits_a_notification_in_the_admin(admin_client: Client) -> None:
    notification = NotificationFactory(subject="Published")

    page = admin_client.get(f"{CHANGELIST}{notification.pk}/change/")
    assert page.status_code == 200
    assert '<div class="readonly">Published</div>' in page.content.decode()
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    response = admin_client.post(
        f"{CHANGELIST}{notification.pk}/change/", {"subject": "Changed", "kind": "reminder"}
    )

    assert response.status_code == 403
    assert Notification.objects.get().subject == "Published"


def test_staff_without_the_permission_cannot_see_notifications(client: Client) -> None:
    NotificationFactory()
    staff: User = StaffUserFactory()
    client.force_login(staff)

    assert client.get(CHANGELIST).status_code == 403
