"""Immediate e-mails through the real path: the commit queues the task on the Redis broker, a
real Celery worker on this run's test database sends the e-mail (to files this test reads)."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import transaction

from accounts.models import User
from notifications.models import Notification
from notifications.services import notify
from notifications.tasks import notification_email_task
from tests.factories import UserFactory
from tests.workers import celery_worker


def eventually(check: Callable[[], bool], *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def worker(
    transactional_db: None, jobs_on_broker: None, mail_dir: Path, tmp_path: Path
) -> Iterator[None]:
    """A real Celery worker process on this run's Redis and test database, writing e-mails to
    `mail_dir` (tests/notifications/worker_settings.py)."""
    with celery_worker(
        "notifications-test",
        {
            "DJANGO_SETTINGS_MODULE": "tests.notifications.worker_settings",
            "NOTIFICATIONS_TEST_MAIL_DIR": str(mail_dir),
        },
        tmp_path,
    ):
        yield


def sent(mail_dir: Path) -> list[str]:
    """The e-mails the worker wrote, one string each, in the order they were written."""
    if not mail_dir.exists():
        return []
    messages = []
    for path in sorted(mail_dir.iterdir(), key=lambda p: p.stat().st_mtime_ns):
        messages += [m for m in path.read_text().split("-" * 79 + "\n") if m.strip()]
    return messages


def emailed(notification: Notification) -> bool:
    return Notification.objects.filter(pk=notification.pk, emailed_at__isnull=False).exists()


def test_a_real_worker_emails_an_immediate_notification_once(worker: None, mail_dir: Path) -> None:
    amina: User = UserFactory(email="amina@example.org", first_name="Amina")

    with transaction.atomic():
        [validated] = notify(
            recipients=[amina],
            kind=Notification.Kind.NEED_VALIDATED,
            subject="Your need “Drought early warning” is validated",
            url="/needs/12/",
        )

    eventually(lambda: emailed(validated))
    [message] = sent(mail_dir)
    assert "To: amina@example.org" in message
    assert "Hello Amina," in message
    assert f"http://127.0.0.1:8000/inbox/{validated.pk}/" in message

    # The same task again (a redelivered message), then a new notification: the worker runs
    # them in order, so once the second is e-mailed the repeat has been handled, sending nothing.
    notification_email_task.delay(validated.pk)
    with transaction.atomic():
        [published] = notify(
            recipients=[amina], kind=Notification.Kind.PUBLISHED, subject="Entry published"
        )
    eventually(lambda: emailed(published))
    assert len(sent(mail_dir)) == 2
