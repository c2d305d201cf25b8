"""Sending a delivery to a real receiver on 127.0.0.1: the signed request, retries with backoff,
what counts as a failure, giving up, and disabling a webhook that keeps failing."""

import datetime
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from notifications.models import Notification
from tests.webhooks.conftest import Receiver
from webhooks import services, signatures, tasks
from webhooks.models import Delivery, Webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def ping(django_capture_on_commit_callbacks: Any) -> Callable[[Webhook], Delivery]:
    """Queue a ping and run what the commit queues (the first attempt)."""

    def send(webhook: Webhook) -> Delivery:
        with django_capture_on_commit_callbacks(execute=True):
            delivery = services.webhook_ping(webhook=webhook)
        delivery.refresh_from_db()
        return delivery

    return send


def test_a_delivery_is_signed_so_that_the_receiver_can_verify_it(
    make_webhook: Callable[..., Any], receiver: Receiver, ping: Callable[..., Delivery]
) -> None:
    webhook, secret = make_webhook(receiver.url)
    delivery = ping(webhook)

    assert delivery.status == Delivery.Status.SUCCEEDED
    assert (delivery.attempts, delivery.response_status) == (1, 200)
    assert delivery.response_excerpt == "ok"
    (call,) = receiver.received
    assert call.path == "/hooks/exchange"
    assert call.headers["Content-Type"] == "application/json"
    assert call.headers["Host"] == f"127.0.0.1:{receiver.port}"
    assert call.headers["X-Exchange-Event"] == "ping"
    assert call.headers["X-Exchange-Delivery"] == str(delivery.event_id)
    timestamp = call.headers["X-Exchange-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    # What a receiver does, with the secret shown at creation:
    assert signatures.verify(
        secret=secret,
        timestamp=timestamp,
        body=call.body,
        signature=call.headers["X-Exchange-Signature"],
        now=time.time(),
    )
    # The same computation written out, as in the README:
    import hashlib
    import hmac

    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + call.body, hashlib.sha256
    ).hexdigest()
    assert call.headers["X-Exchange-Signature"] == f"sha256={expected}"
    # A changed body, another secret or an old timestamp do not verify.
    assert not signatures.verify(
        secret=secret,
        timestamp=timestamp,
        body=call.body + b" ",
        signature=call.headers["X-Exchange-Signature"],
        now=time.time(),
    )
    assert not signatures.verify(
        secret="whsec_other",
        timestamp=timestamp,
        body=call.body,
        signature=call.headers["X-Exchange-Signature"],
        now=time.time(),
    )
    assert not signatures.verify(
        secret=secret,
        timestamp=timestamp,
        body=call.body,
        signature=call.headers["X-Exchange-Signature"],
        now=time.time() + 3600,
    )
    assert call.json() == {
        "event": "ping",
        "occurred_at": delivery.payload["occurred_at"],
        "webhook": {"id": webhook.pk, "events": ["entry.changed", "need.changed", "match.strong"]},
    }


def test_a_rotated_secret_signs_the_next_deliveries(
    make_webhook: Callable[..., Any], receiver: Receiver, ping: Callable[..., Delivery]
) -> None:
    webhook, old = make_webhook(receiver.url)
    webhook, new = services.webhook_rotate_secret(webhook=webhook)
    assert new != old and new.startswith("whsec_")
    ping(webhook)
    (call,) = receiver.received
    arguments: dict[str, Any] = {
        "timestamp": call.headers["X-Exchange-Timestamp"],
        "body": call.body,
        "signature": call.headers["X-Exchange-Signature"],
        "now": time.time(),
    }
    assert signatures.verify(secret=new, **arguments)
    assert not signatures.verify(secret=old, **arguments)


def test_a_server_error_is_retried_until_it_succeeds(
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    ping: Callable[..., Delivery],
    settings: Any,
) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0  # the retry is due at once (in-process jobs)
    receiver.answer((500, b"database down", 0), (200, b"thanks", 0))
    webhook, _secret = make_webhook(receiver.url)
    delivery = ping(webhook)

    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.attempts == 2
    assert (delivery.response_status, delivery.response_excerpt) == (200, "thanks")
    assert len(receiver.received) == 2
    ids = {call.headers["X-Exchange-Delivery"] for call in receiver.received}
    assert ids == {str(delivery.event_id)}  # the receiver can tell it is the same event
    webhook.refresh_from_db()
    assert webhook.consecutive_failures == 0


def test_after_a_failure_the_next_attempt_waits_with_backoff(
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    ping: Callable[..., Delivery],
    settings: Any,
) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    receiver.answer((503, b"busy", 0), (200, b"ok", 0))
    webhook, _secret = make_webhook(receiver.url)
    before = timezone.now()
    delivery = ping(webhook)

    assert delivery.status == Delivery.Status.PENDING
    assert delivery.attempts == 1
    assert delivery.last_error == "The receiver answered 503."
    assert delivery.response_excerpt == "busy"
    assert delivery.next_attempt_at is not None
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert 47 <= wait <= 73, wait  # a minute, give or take a fifth
    # Not due yet: a second message changes nothing.
    assert tasks.webhook_deliver_task.delay(delivery.pk).get() is None
    assert len(receiver.received) == 1
    with time_machine.travel(delivery.next_attempt_at + datetime.timedelta(seconds=1)):
        assert tasks.webhook_deliver_task.delay(delivery.pk).get() == "succeeded"
    assert len(receiver.received) == 2


def test_the_backoff_grows_five_times_with_each_attempt(settings: Any) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    for attempts, minutes in ((1, 1), (2, 5), (3, 25), (4, 125)):
        delays = [services.retry_delay(attempts) for _ in range(50)]
        assert all(minutes * 60 * 0.8 <= delay <= minutes * 60 * 1.2 for delay in delays)
        assert len(set(delays)) > 1  # jitter


def test_a_gone_receiver_fails_without_retry(
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    ping: Callable[..., Delivery],
    settings: Any,
) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    receiver.answer((410, b"gone", 0), (200, b"ok", 0))
    webhook, _secret = make_webhook(receiver.url)
    delivery = ping(webhook)

    assert delivery.status == Delivery.Status.FAILED
    assert (delivery.attempts, delivery.response_status) == (1, 410)
    assert delivery.next_attempt_at is None
    assert len(receiver.received) == 1


@pytest.mark.parametrize("status", [408, 429])
def test_timeout_and_rate_limit_answers_are_retried(
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    ping: Callable[..., Delivery],
    settings: Any,
    status: int,
) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    receiver.answer((status, b"later", 0), (204, b"", 0))
    webhook, _secret = make_webhook(receiver.url)
    delivery = ping(webhook)
    assert (delivery.status, delivery.attempts, delivery.response_status) == (
        Delivery.Status.SUCCEEDED,
        2,
        204,
    )


def test_a_slow_receiver_times_out_and_is_retried_later(
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    ping: Callable[..., Delivery],
    settings: Any,
) -> None:
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    receiver.answer((200, b"too late", 3))
    webhook, _secret = make_webhook(receiver.url)
    started = time.monotonic()
    delivery = ping(webhook)

    assert time.monotonic() - started < 2.5
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.attempts == 1
    assert delivery.response_status is None
    assert delivery.last_error == "No answer within 1 s."


def test_only_the_start_of_a_long_answer_is_read(
    make_webhook: Callable[..., Any], receiver: Receiver, ping: Callable[..., Delivery]
) -> None:
    receiver.answer((200, b"x" * 500_000, 0))
    webhook, _secret = make_webhook(receiver.url)
    delivery = ping(webhook)
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.response_excerpt == "x" * services.EXCERPT_STORED


def test_a_redirect_is_not_followed(
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    ping: Callable[..., Delivery],
    settings: Any,
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.answer((302, b"", 0))
    webhook, _secret = make_webhook(receiver.url)
    delivery = ping(webhook)
    assert delivery.status == Delivery.Status.GAVE_UP
    assert delivery.response_status == 302
    assert len(receiver.received) == 1


def test_a_delivery_gives_up_after_the_last_attempt(
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    ping: Callable[..., Delivery],
    settings: Any,
) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.answer((500, b"broken", 0))
    webhook, _secret = make_webhook(receiver.url)
    delivery = ping(webhook)

    assert delivery.status == Delivery.Status.GAVE_UP
    assert delivery.attempts == 3
    assert delivery.next_attempt_at is None
    assert len(receiver.received) == 3
    # A message for it arriving late does nothing.
    assert tasks.webhook_deliver_task.delay(delivery.pk).get() is None
    assert len(receiver.received) == 3


def test_a_webhook_that_keeps_failing_is_disabled_and_its_administrators_told(
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    ping: Callable[..., Delivery],
    settings: Any,
    admin: User,
    other_admin: User,
) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 5
    receiver.answer((500, b"broken", 0))
    webhook, _secret = make_webhook(receiver.url)

    ping(webhook)
    ping(webhook)
    webhook.refresh_from_db()
    assert webhook.is_active and webhook.consecutive_failures == 4
    assert not Notification.objects.exists()
    ping(webhook)  # its first attempt is the fifth failure in a row

    webhook.refresh_from_db()
    assert not webhook.is_active
    assert webhook.disabled_at is not None
    assert webhook.disabled_reason == "Disabled after 5 failed attempts in a row."
    (told,) = Notification.objects.all()
    assert told.recipient == admin  # not the other organization's administrator
    assert told.subject == "A webhook of Centre for Water Solutions was disabled"
    assert told.url == f"/accounts/organizations/{webhook.organization_id}/webhooks/"
    assert len(receiver.received) == 5
    # The retry of the last delivery is not sent to a disabled webhook.
    last = Delivery.objects.order_by("-pk").first()
    assert last is not None and last.status == Delivery.Status.FAILED
    assert last.last_error == "The webhook is disabled."

    # Enabled again, it starts afresh.
    services.webhook_update(webhook=webhook, changes={"is_active": True})
    webhook.refresh_from_db()
    assert webhook.is_active and webhook.consecutive_failures == 0
    assert webhook.disabled_at is None


def test_a_success_resets_the_count_of_failures(
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    ping: Callable[..., Delivery],
    settings: Any,
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.answer((500, b"", 0), (500, b"", 0), (200, b"", 0))
    webhook, _secret = make_webhook(receiver.url)
    ping(webhook)
    ping(webhook)
    webhook.refresh_from_db()
    assert webhook.consecutive_failures == 2
    ping(webhook)
    webhook.refresh_from_db()
    assert webhook.consecutive_failures == 0


def test_the_sweep_requeues_lost_deliveries_and_prunes_old_ones(
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 30
    webhook, _secret = make_webhook(receiver.url)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=31)):
        old = Delivery.objects.create(
            webhook=webhook, event_type="ping", payload={"event": "ping"}, status="succeeded"
        )
    # Queued ten minutes ago, its message lost.
    lost = Delivery.objects.create(
        webhook=webhook,
        event_type="ping",
        payload={"event": "ping", "n": 2},
        next_attempt_at=timezone.now() - datetime.timedelta(minutes=10),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.webhooks_sweep.delay().get() == {"requeued": 1, "pruned": 1}
    assert not Delivery.objects.filter(pk=old.pk).exists()
    lost.refresh_from_db()
    assert lost.status == Delivery.Status.SUCCEEDED
    assert json.loads(receiver.received[0].body) == {"event": "ping", "n": 2}
