"""Deliveries through the real path: the commit of an entry queues the delivery on the Redis
broker; a real Celery worker on this run's test database sends it to the receiver, retries
after the receiver's 500 (a countdown through the broker) and records the success."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from catalog.models import Organization
from tests.factories import EntryFactory
from tests.webhooks.conftest import Receiver
from tests.workers import celery_worker
from webhooks.models import Delivery


def eventually(check: Callable[[], bool], *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.fixture
def worker(reference_data: None, jobs_on_broker: None, tmp_path: Path) -> Iterator[None]:
    with celery_worker(
        "webhooks-test",
        {
            "WEBHOOK_ALLOW_HTTP": "1",
            "WEBHOOK_ALLOWED_PRIVATE_NETWORKS": "127.0.0.1/32",
            "WEBHOOK_RETRY_BASE_SECONDS": "1",
        },
        tmp_path,
    ):
        yield


def test_a_real_worker_delivers_an_entry_change_and_retries_through_the_broker(
    reference_data: None,
    worker: None,
    make_webhook: Callable[..., Any],
    receiver: Receiver,
    organization: Organization,
) -> None:
    webhook, _secret = make_webhook(receiver.url, "entry.changed")
    receiver.answer((500, b"try again", 0), (200, b"ok", 0))
    with transaction.atomic():
        entry = EntryFactory(title="Solar dryers", providers=[organization])

    eventually(lambda: Delivery.objects.filter(webhook=webhook, status="succeeded").exists())
    delivery = Delivery.objects.get(webhook=webhook)
    assert delivery.attempts == 2
    assert delivery.response_status == 200
    first, second = receiver.received
    assert first.body == second.body
    assert second.json()["entry"]["id"] == entry.pk
    assert second.json()["entry"]["title"] == "Solar dryers"
    assert second.headers["X-Exchange-Delivery"] == str(delivery.event_id)
