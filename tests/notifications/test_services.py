"""notify(): the inbox rows it stores and the e-mails it queues when the caller's transaction
commits (Celery runs in-process here; tests/notifications/test_worker.py uses a real worker)."""

import pytest
from django.core import mail
from django.db import transaction

from accounts.models import User
from notifications.models import Notification
from notifications.services import notify
from tests.factories import UserFactory

Kind = Notification.Kind


@pytest.mark.django_db
def test_notify_skips_inactive_users_and_stores_one_row_per_person() -> None:
    amina: User = UserFactory(email="amina@example.org")
    gone: User = UserFactory(email="gone@example.org", is_active=False)

    notifications = notify(
        recipients=[amina, gone, amina, User.objects.get(pk=amina.pk)],
        kind=Kind.PUBLISHED,
        subject="Your entry “Sand dams” is published",
        body="It now appears in search.",
        url="/technologies/12/",
    )

    assert [n.pk for n in notifications] == [Notification.objects.get().pk]
    assert list(
        Notification.objects.values_list("recipient__email", "kind", "subject", "body", "url")
    ) == [
        (
            "amina@example.org",
            "published",
            "Your entry “Sand dams” is published",
            "It now appears in search.",
            "/technologies/12/",
        )
    ]
    assert Notification.objects.get().read_at is None


@pytest.mark.django_db
def test_notify_cuts_a_long_subject_to_the_column() -> None:
    user: User = UserFactory()
    notify(recipients=[user], kind=Kind.REMINDER, subject="x" * 400)

    assert len(Notification.objects.get().subject) == 300


@pytest.mark.django_db(transaction=True)
def test_immediate_email_goes_out_once_the_transaction_commits() -> None:
    amina: User = UserFactory(email="amina@example.org")
    daily: User = UserFactory(
        email="daily@example.org", notification_mode=User.NotificationMode.DAILY
    )

    with transaction.atomic():
        notify(recipients=[amina, daily], kind=Kind.NEED_VALIDATED, subject="Need validated")
        assert mail.outbox == []  # not before the commit

    assert [message.to for message in mail.outbox] == [["amina@example.org"]]
    emailed = dict(Notification.objects.values_list("recipient__email", "emailed_at"))
    assert emailed["amina@example.org"] is not None
    assert emailed["daily@example.org"] is None  # waits for the digest


@pytest.mark.django_db(transaction=True)
def test_no_notification_and_no_email_when_the_transaction_rolls_back() -> None:
    amina: User = UserFactory(email="amina@example.org")

    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[amina], kind=Kind.RETURNED, subject="Returned with comments")
        raise RuntimeError("the change failed")

    assert mail.outbox == []
    assert not Notification.objects.exists()
