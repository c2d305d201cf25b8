"""The inbox, opening a notification, "mark all read", the e-mail preference and the unread
count in the header, through the Django client: each for its owner, and refused to others."""

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import User
from notifications.models import Notification
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

INBOX = "/inbox/"
SETTINGS = "/inbox/settings/"
READ_ALL = "/inbox/read-all/"
NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def amina() -> User:
    return UserFactory(email="amina@example.org")


@pytest.fixture
def client_of(client: Client, amina: User) -> Client:
    client.force_login(amina)
    return client


def read_state() -> list[tuple[int, bool]]:
    """(pk, unread) of every notification."""
    return [
        (pk, read_at is None)
        for pk, read_at in Notification.objects.order_by("pk").values_list("pk", "read_at")
    ]


def subjects(html: str) -> list[str]:
    return re.findall(r'<h2 class="inbox-subject"><a href="[^"]+" dir="auto">([^<]*)</a>', html)


# Who may see what


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", INBOX), ("get", "/inbox/{pk}/"), ("post", READ_ALL), ("get", SETTINGS)],
)
def test_anonymous_visitors_are_sent_to_sign_in_and_change_nothing(
    client: Client, method: str, path: str
) -> None:
    notification = NotificationFactory()

    url = path.format(pk=notification.pk)
    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"
    assert read_state() == [(notification.pk, True)]


def test_anonymous_post_to_the_settings_changes_nothing(client: Client, amina: User) -> None:
    response = client.post(SETTINGS, {"notification_mode": "daily"})

    assert response.status_code == 302
    amina.refresh_from_db()
    assert amina.notification_mode == User.NotificationMode.IMMEDIATE


def test_someone_elses_notification_is_not_found_and_stays_unread(client_of: Client) -> None:
    theirs = NotificationFactory(recipient=UserFactory(), subject="Kofi's need was validated")

    response = client_of.get(f"/inbox/{theirs.pk}/")

    assert response.status_code == 404
    assert read_state() == [(theirs.pk, True)]
    assert "Kofi" not in client_of.get(INBOX).content.decode()


def test_mark_all_read_leaves_other_peoples_notifications_alone(
    client_of: Client, amina: User
) -> None:
    mine = NotificationFactory.create_batch(2, recipient=amina)
    theirs = NotificationFactory()

    response = client_of.post(READ_ALL)

    assert response.status_code == 302
    assert response["Location"] == INBOX
    assert read_state() == [(mine[0].pk, False), (mine[1].pk, False), (theirs.pk, True)]


def test_mark_all_read_refuses_a_get(client_of: Client, amina: User) -> None:
    notification = NotificationFactory(recipient=amina)

    assert client_of.get(READ_ALL).status_code == 405
    assert read_state() == [(notification.pk, True)]


# The inbox


def test_inbox_lists_the_users_notifications_newest_first_with_unread_marked(
    client_of: Client, amina: User
) -> None:
    with time_machine.travel(NOW - datetime.timedelta(days=2)):
        NotificationFactory(recipient=amina, subject="Older, read", read_at=timezone.now())
    with time_machine.travel(NOW - datetime.timedelta(days=1)):
        NotificationFactory(
            recipient=amina,
            kind=Notification.Kind.RETURNED,
            subject="Newer, <script>alert(1)</script>",
            body="Line one\nLine <i>two</i>",
        )
    NotificationFactory(subject="Someone else's")

    response = client_of.get(INBOX)

    assert response.status_code == 200
    html = response.content.decode()
    assert subjects(html) == ["Newer, &lt;script&gt;alert(1)&lt;/script&gt;", "Older, read"]
    assert html.count('class="inbox-item inbox-item-unread"') == 1
    assert html.count('<span class="badge badge-unread">Unread</span>') == 1
    assert '<span class="badge badge-kind">Returned with comments</span>' in html
    assert "Line one<br>Line &lt;i&gt;two&lt;/i&gt;" in html
    assert "<p>1 unread notification</p>" in html
    assert f'action="{READ_ALL}"' in html


def test_inbox_is_paginated_twenty_at_a_time(client_of: Client, amina: User) -> None:
    for number in range(25):
        with time_machine.travel(NOW + datetime.timedelta(minutes=number)):
            NotificationFactory(recipient=amina, subject=f"Notification {number}")

    first = subjects(client_of.get(INBOX).content.decode())
    second = subjects(client_of.get(INBOX, {"page": 2}).content.decode())
    beyond = subjects(client_of.get(INBOX, {"page": "x"}).content.decode())

    assert first == [f"Notification {n}" for n in range(24, 4, -1)]
    assert second == [f"Notification {n}" for n in range(4, -1, -1)]
    assert beyond == first


def test_empty_inbox_says_so_and_offers_no_mark_all(client_of: Client) -> None:
    html = client_of.get(INBOX).content.decode()

    assert "You have no notifications yet." in html
    assert f'action="{READ_ALL}"' not in html


def test_header_shows_the_unread_count_to_the_signed_in_user(
    client_of: Client, amina: User
) -> None:
    NotificationFactory.create_batch(3, recipient=amina)
    NotificationFactory(recipient=amina, read_at=timezone.now())
    NotificationFactory()

    html = client_of.get("/search/saved/").content.decode()

    assert (
        '<a href="/inbox/" class="inbox-link">Inbox <span class="inbox-count">3'
        '<span class="visually-hidden"> unread</span></span></a>'
    ) in html


def test_header_shows_no_count_without_unread_notifications(client_of: Client, amina: User) -> None:
    NotificationFactory(recipient=amina, read_at=timezone.now())

    html = client_of.get(INBOX).content.decode()

    assert '<a href="/inbox/" class="inbox-link">Inbox</a>' in html


def test_mark_all_read_marks_every_unread_notification_and_keeps_earlier_read_times(
    client_of: Client, amina: User
) -> None:
    earlier = NOW - datetime.timedelta(days=3)
    read = NotificationFactory(recipient=amina, read_at=earlier)
    unread = NotificationFactory.create_batch(2, recipient=amina)

    with time_machine.travel(NOW, tick=False):
        client_of.force_login(amina)  # a session of that day
        response = client_of.post(READ_ALL, follow=True)

    assert response.status_code == 200
    assert "All your notifications are marked read." in response.content.decode()
    assert dict(Notification.objects.values_list("pk", "read_at")) == {
        read.pk: earlier,
        unread[0].pk: NOW,
        unread[1].pk: NOW,
    }
    # Twice, as a double click: nothing more changes.
    client_of.post(READ_ALL)
    assert Notification.objects.get(pk=read.pk).read_at == earlier


# Opening a notification


def test_opening_a_notification_marks_it_read_and_follows_its_link(
    client_of: Client, amina: User
) -> None:
    notification = NotificationFactory(recipient=amina, url="/needs/12/?tab=matches#strong")

    with time_machine.travel(NOW, tick=False):
        client_of.force_login(amina)  # a session of that day
        response = client_of.get(f"/inbox/{notification.pk}/")
    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        again = client_of.get(f"/inbox/{notification.pk}/")
    assert again["Location"] == "/needs/12/?tab=matches#strong"

    assert response.status_code == 302
    assert response["Location"] == "/needs/12/?tab=matches#strong"
    assert Notification.objects.get().read_at == NOW  # the first time it was read


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example/phish",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/\t/evil.example",
        "needs/12/",
    ],
)
def test_opening_a_notification_never_follows_a_link_off_the_site(
    client_of: Client, amina: User, url: str
) -> None:
    notification = NotificationFactory(recipient=amina, url=url)

    response = client_of.get(f"/inbox/{notification.pk}/", follow=True)

    assert response.redirect_chain == [(INBOX, 302)]
    assert "This notification’s link does not lead to a page of the portal." in (
        response.content.decode()
    )
    assert read_state() == [(notification.pk, False)]


def test_opening_a_notification_without_a_link_shows_the_inbox(
    client_of: Client, amina: User
) -> None:
    notification = NotificationFactory(recipient=amina, url="")

    response = client_of.get(f"/inbox/{notification.pk}/")

    assert response["Location"] == INBOX
    assert read_state() == [(notification.pk, False)]


# E-mail preference


def test_settings_page_shows_the_current_choice(client_of: Client, amina: User) -> None:
    amina.notification_mode = User.NotificationMode.DAILY
    amina.save(update_fields=["notification_mode"])

    html = client_of.get(SETTINGS).content.decode()

    assert re.search(
        r'<input type="radio" name="notification_mode" value="daily"[^>]* checked', html
    )
    assert not re.search(r'value="immediate"[^>]* checked', html)


def test_choosing_the_daily_digest_saves_it(client_of: Client, amina: User) -> None:
    response = client_of.post(SETTINGS, {"notification_mode": "daily"}, follow=True)

    assert response.redirect_chain == [(SETTINGS, 302)]
    assert "Your e-mail preference is saved." in response.content.decode()
    amina.refresh_from_db()
    assert amina.notification_mode == User.NotificationMode.DAILY


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Choose how you want to receive e-mails."),
        (
            {"notification_mode": "hourly"},
            "Select a valid choice. hourly is not one of the available choices.",
        ),
    ],
)
def test_settings_reject_a_missing_or_unknown_choice(
    client_of: Client, amina: User, data: dict[str, str], error: str
) -> None:
    response = client_of.post(SETTINGS, data)

    assert response.status_code == 400
    assert f'<p class="error" id="notification_mode_error">{error}</p>' in response.content.decode()
    amina.refresh_from_db()
    assert amina.notification_mode == User.NotificationMode.IMMEDIATE
