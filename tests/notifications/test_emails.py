"""E-mails of notifications: immediate ones, the daily digest and the sweep, each sent once
however often its task runs. The mail server is the boundary: Django's in-memory outbox, or a
backend that refuses."""

import datetime
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from notifications import emails
from notifications.models import Notification
from notifications.tasks import (
    notification_digest_task,
    notification_email_sweep_task,
    notification_email_task,
)
from tests.factories import NotificationFactory, UserFactory

Kind = Notification.Kind
DAILY = User.NotificationMode.DAILY
NOW = datetime.datetime(2026, 12, 1, 6, 30, tzinfo=datetime.UTC)


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages: Any) -> int:
        raise ConnectionRefusedError("mail server down")


@pytest.fixture
def mail_server_down(settings: Any) -> None:
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingBackend"}}


def emailed_at(notification: Notification) -> datetime.datetime | None:
    return Notification.objects.values_list("emailed_at", flat=True).get(pk=notification.pk)


# Immediate e-mails


@pytest.mark.django_db
def test_immediate_email_has_the_notification_and_absolute_links() -> None:
    user: User = UserFactory(email="amina@example.org", first_name="Amina", last_name="Diallo")
    notification: Notification = NotificationFactory(
        recipient=user,
        kind=Kind.RETURNED,
        subject="Your need <b>Drought</b> was returned",
        body="Please name the countries.\nThen submit it again.",
        url="/needs/12/",
    )

    with time_machine.travel(NOW, tick=False):
        assert emails.notification_email_send(notification_id=notification.pk) is True

    [message] = mail.outbox
    assert message.to == ["amina@example.org"]
    assert message.subject == "[South-South Exchange] Your need <b>Drought</b> was returned"
    open_url = f"http://127.0.0.1:8000/inbox/{notification.pk}/"
    assert message.body == (
        "Hello Amina Diallo,\n\n"
        "Returned with comments: Your need <b>Drought</b> was returned\n\n"
        "Please name the countries.\nThen submit it again.\n\n"
        f"See it on South-South Exchange: {open_url}\n\n"
        "Your inbox: http://127.0.0.1:8000/inbox/\n"
        "Choose immediate e-mails or a daily digest: http://127.0.0.1:8000/inbox/settings/\n"
    )
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Your need &lt;b&gt;Drought&lt;/b&gt; was returned</h1>" in str(html)
    assert "Please name the countries.<br>Then submit it again." in str(html)
    assert f'<a href="{open_url}">See it on South-South Exchange</a>' in str(html)
    assert emailed_at(notification) == NOW


@pytest.mark.django_db
def test_immediate_email_task_run_twice_sends_one_email() -> None:
    notification: Notification = NotificationFactory()

    notification_email_task.apply(args=(notification.pk,))
    first = emailed_at(notification)
    notification_email_task.apply(args=(notification.pk,))

    assert len(mail.outbox) == 1
    assert first is not None
    assert emailed_at(notification) == first


@pytest.mark.django_db
def test_immediate_email_is_written_in_the_recipients_language() -> None:
    user: User = UserFactory(first_name="Awa", preferred_language="fr")
    notification: Notification = NotificationFactory(
        recipient=user, kind=Kind.PUBLISHED, subject="Publié !"
    )

    emails.notification_email_send(notification_id=notification.pk)

    [message] = mail.outbox
    assert message.subject == "[Échange Sud-Sud] Publié !"
    assert message.body.startswith("Bonjour Awa,\n\nPublié: Publié !\n")


@pytest.mark.django_db
def test_no_email_for_a_deactivated_recipient() -> None:
    notification: Notification = NotificationFactory(recipient=UserFactory(is_active=False))

    assert emails.notification_email_send(notification_id=notification.pk) is False

    assert mail.outbox == []
    assert emailed_at(notification) is None


@pytest.mark.django_db
def test_a_failed_send_leaves_the_notification_for_the_sweep(
    mail_server_down: None, settings: Any
) -> None:
    user: User = UserFactory(email="amina@example.org")
    with time_machine.travel(NOW - datetime.timedelta(minutes=30)):
        notification: Notification = NotificationFactory(recipient=user)
        with pytest.raises(ConnectionRefusedError):
            emails.notification_email_send(notification_id=notification.pk)
    assert emailed_at(notification) is None

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    with time_machine.travel(NOW, tick=False):
        assert notification_email_sweep_task() == 1
        assert notification_email_sweep_task() == 0

    assert [message.to for message in mail.outbox] == [["amina@example.org"]]
    assert emailed_at(notification) == NOW


@pytest.mark.django_db
def test_sweep_leaves_recent_old_and_digest_notifications_alone() -> None:
    with time_machine.travel(NOW - datetime.timedelta(minutes=2)):
        NotificationFactory()  # its task may still be on its way
    with time_machine.travel(NOW - datetime.timedelta(days=4)):
        NotificationFactory()  # too old to e-mail now: it stays in the inbox
    with time_machine.travel(NOW - datetime.timedelta(hours=2)):
        NotificationFactory(recipient=UserFactory(notification_mode=DAILY))
        NotificationFactory(recipient=UserFactory(is_active=False))
        NotificationFactory(emailed_at=NOW - datetime.timedelta(hours=2))

    with time_machine.travel(NOW, tick=False):
        assert notification_email_sweep_task() == 0

    assert mail.outbox == []


def in_thread(target: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """Run `target` on its own database connection; its result lands in the list."""
    results: list[object] = []

    def run() -> None:
        try:
            results.append(target())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, results


def wait_for_a_backend_waiting_on_a_lock() -> None:
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # fresh activity inside a transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, "the second run never waited"
            time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_a_run_that_waits_for_another_ones_claim_sends_nothing() -> None:
    notification: Notification = NotificationFactory()

    with transaction.atomic():
        # Another worker has claimed it and is sending it.
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        thread, results = in_thread(
            lambda: emails.notification_email_send(notification_id=notification.pk)
        )
        wait_for_a_backend_waiting_on_a_lock()
    thread.join(10)

    assert results == [False]
    assert mail.outbox == []


# The daily digest


@pytest.mark.django_db
def test_digest_sends_each_daily_user_one_email_of_their_notifications() -> None:
    amina: User = UserFactory(
        email="amina@example.org", first_name="Amina", notification_mode=DAILY
    )
    kofi: User = UserFactory(email="kofi@example.org", notification_mode=DAILY)
    immediate: User = UserFactory(email="immediate@example.org")
    with time_machine.travel(NOW - datetime.timedelta(hours=20)):
        first = NotificationFactory(recipient=amina, kind=Kind.PUBLISHED, subject="Published")
    with time_machine.travel(NOW - datetime.timedelta(hours=3)):
        second = NotificationFactory(recipient=amina, kind=Kind.STRONG_MATCH, subject="A match")
        NotificationFactory(recipient=kofi, kind=Kind.REMINDER, subject="Reconfirm your entry")
        NotificationFactory(recipient=immediate)
        NotificationFactory(
            recipient=amina, subject="Sent yesterday", emailed_at=NOW - datetime.timedelta(days=1)
        )

    with time_machine.travel(NOW, tick=False):
        assert notification_digest_task() == 2

    messages = {tuple(message.to): message for message in mail.outbox}
    assert set(messages) == {("amina@example.org",), ("kofi@example.org",)}
    message = messages[("amina@example.org",)]
    assert message.subject == "2 new notifications on South-South Exchange"
    assert message.body == (
        "Hello Amina,\n\n"
        "You have 2 new notifications on South-South Exchange.\n\n"
        f"- Published: Published\n  http://127.0.0.1:8000/inbox/{first.pk}/\n\n"
        f"- New strong match: A match\n  http://127.0.0.1:8000/inbox/{second.pk}/\n\n"
        "Your inbox: http://127.0.0.1:8000/inbox/\n"
        "Choose immediate e-mails or a daily digest: http://127.0.0.1:8000/inbox/settings/\n"
    )
    assert messages[("kofi@example.org",)].subject == "1 new notification on South-South Exchange"
    assert set(
        Notification.objects.filter(recipient=amina).values_list("subject", "emailed_at")
    ) == {
        ("Published", NOW),
        ("A match", NOW),
        ("Sent yesterday", NOW - datetime.timedelta(days=1)),
    }
    assert Notification.objects.get(recipient=immediate).emailed_at is None


@pytest.mark.django_db
def test_digest_run_twice_sends_once_and_new_notifications_wait_for_the_next_one() -> None:
    amina: User = UserFactory(email="amina@example.org", notification_mode=DAILY)
    with time_machine.travel(NOW - datetime.timedelta(hours=3)):
        NotificationFactory(recipient=amina, subject="Before the digest")

    with time_machine.travel(NOW, tick=False):
        assert notification_digest_task() == 1
    with time_machine.travel(NOW + datetime.timedelta(minutes=5), tick=False):
        assert notification_digest_task() == 0
    assert len(mail.outbox) == 1

    with time_machine.travel(NOW + datetime.timedelta(hours=2)):
        NotificationFactory(recipient=amina, subject="After the digest")
    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        notification_digest_task()

    assert len(mail.outbox) == 2
    assert "After the digest" in mail.outbox[1].body
    assert "Before the digest" not in mail.outbox[1].body


@pytest.mark.django_db
def test_digest_is_written_in_the_users_language() -> None:
    awa: User = UserFactory(first_name="Awa", preferred_language="fr", notification_mode=DAILY)
    NotificationFactory(recipient=awa, kind=Kind.PUBLISHED, subject="Fiche publiée")

    assert emails.notification_digest_send(user_id=awa.pk) == 1

    [message] = mail.outbox
    assert message.body.startswith("Bonjour Awa,\n\n")
    assert "- Publié: Fiche publiée\n" in message.body


@pytest.mark.django_db
def test_digest_lists_the_first_fifty_and_counts_the_rest() -> None:
    amina: User = UserFactory(notification_mode=DAILY)
    NotificationFactory.create_batch(53, recipient=amina)

    assert emails.notification_digest_send(user_id=amina.pk) == 53

    body = mail.outbox[0].body
    assert body.count("\n- Published: ") == 50
    assert "And 3 more in your inbox." in body
    assert not Notification.objects.not_emailed().exists()


@pytest.mark.django_db
def test_a_failed_digest_is_sent_on_the_next_attempt(mail_server_down: None, settings: Any) -> None:
    amina: User = UserFactory(notification_mode=DAILY)
    NotificationFactory(recipient=amina)

    with pytest.raises(ConnectionRefusedError):
        emails.notification_digest_send(user_id=amina.pk)
    assert Notification.objects.get().emailed_at is None

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    assert emails.notification_digest_send(user_id=amina.pk) == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_digest_skips_notifications_another_run_is_sending() -> None:
    amina: User = UserFactory(notification_mode=DAILY)
    NotificationFactory(recipient=amina)

    with transaction.atomic():
        # Another worker holds the rows while it sends them.
        list(Notification.objects.select_for_update())
        thread, results = in_thread(lambda: emails.notification_digest_send(user_id=amina.pk))
        thread.join(10)
        assert results == [0]

    assert mail.outbox == []
    assert emails.notification_digest_send(user_id=amina.pk) == 1


def test_beat_runs_the_digest_daily_and_the_sweep_every_quarter_hour(settings: Any) -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["notifications-daily-digest"]["task"] == notification_digest_task.name
    assert schedule["notifications-email-sweep"]["task"] == notification_email_sweep_task.name
