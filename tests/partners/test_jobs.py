"""The jobs of partner sync, in-process (as `make run` runs them): a run killed half-way,
the lock, retries with backoff, the time limit, the stale sweep, failure e-mails, dispatch."""

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import TestCase
from django.utils import timezone

from accounts.models import User
from catalog.models import Entry
from exchange.errors import ApplicationError
from partners import services
from partners.connectors.base import FeedError
from partners.models import PartnerSource, SyncRun
from partners.tasks import dispatch_due_sources, sweep_stale_runs, sync_source_run
from tests.factories import PartnerSourceFactory, StaffUserFactory
from tests.partners.feed import REGISTERED, ListConnector, entry_record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def test_connectors(settings: Any) -> Iterator[None]:
    settings.PARTNER_SYNC_CONNECTOR_FACTORY = "tests.partners.feed.connector_for"
    settings.PARTNER_SYNC_RETRY_SECONDS = 60
    settings.PARTNER_SYNC_MAX_RETRIES = 3
    settings.PARTNER_SYNC_FAILURES_BEFORE_EMAIL = 3
    yield
    REGISTERED.clear()


@pytest.fixture
def source() -> PartnerSource:
    return PartnerSourceFactory(name="Partner feed", contact_email="data@partner.example")


def run_now(source: PartnerSource) -> SyncRun:
    """Request a run and run its task in this process, as the commit would (with what the
    task leaves for after its own commit: the failure e-mail)."""
    with TestCase.captureOnCommitCallbacks(execute=False):
        run = services.sync_run_request(source=source, trigger=SyncRun.Trigger.MANUAL)
    with TestCase.captureOnCommitCallbacks(execute=True):
        sync_source_run.apply(args=(run.pk,))
    run.refresh_from_db()
    source.refresh_from_db()
    return run


def eight_records() -> list[Any]:
    return [entry_record(f"R{n}") for n in range(8)]


def test_a_run_killed_half_way_resumes_without_duplicates_or_losses(
    source: PartnerSource,
) -> None:
    connector = ListConnector(eight_records(), page_size=2, fail_after_pages=2)
    REGISTERED[source.pk] = connector

    first = run_now(source)

    assert first.status == SyncRun.Status.FAILED
    assert "RuntimeError" in first.error and "The worker was killed." in first.error
    assert (first.pages, first.created) == (2, 4)
    assert source.checkpoint == {"offset": 4}
    assert Entry.objects.count() == 4  # what was stored stays

    second = run_now(source)

    assert second.status == SyncRun.Status.SUCCEEDED
    assert connector.fetches == [{}, {"offset": 4}]
    assert (second.fetched, second.created, second.unchanged) == (4, 4, 0)
    assert sorted(Entry.objects.values_list("external_id", flat=True)) == [
        f"R{n}" for n in range(8)
    ]
    assert source.checkpoint == {}
    assert (source.consecutive_failures, source.last_success_at is not None) == (0, True)


def test_a_second_run_of_a_source_is_refused_while_one_is_queued_or_running(
    source: PartnerSource,
) -> None:
    run = services.sync_run_request(source=source, trigger=SyncRun.Trigger.MANUAL)

    with pytest.raises(ApplicationError, match="already has a run queued"):
        services.sync_run_request(source=source, trigger=SyncRun.Trigger.SCHEDULE)
    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.RUNNING)
    with pytest.raises(ApplicationError, match="already has a run running"):
        services.sync_run_request(source=source, trigger=SyncRun.Trigger.MANUAL)
    # The database itself refuses it, whoever inserts.
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncRun.objects.create(source=source)
    assert SyncRun.objects.filter(source=source).count() == 1
    # Other sources are not held up.
    other: PartnerSource = PartnerSourceFactory()
    services.sync_run_request(source=other, trigger=SyncRun.Trigger.MANUAL)


def test_a_run_delivered_twice_runs_once(source: PartnerSource) -> None:
    REGISTERED[source.pk] = ListConnector(eight_records())
    run = services.sync_run_request(source=source, trigger=SyncRun.Trigger.MANUAL)

    assert sync_source_run.apply(args=(run.pk,)).get() == "succeeded"
    assert sync_source_run.apply(args=(run.pk,)).get() == "not claimed"

    run.refresh_from_db()
    assert (run.status, run.created) == (SyncRun.Status.SUCCEEDED, 8)


def test_a_disabled_source_cannot_be_run(source: PartnerSource) -> None:
    source.enabled = False
    source.save()

    with pytest.raises(ApplicationError, match="disabled"):
        services.sync_run_request(source=source, trigger=SyncRun.Trigger.MANUAL)


def test_retryable_feed_errors_are_retried_with_exponential_backoff(
    source: PartnerSource,
) -> None:
    """In-process the retries run at once (nothing else would run them); the countdowns a
    worker waits are checked here and, for real, in test_jobs_worker.py."""
    REGISTERED[source.pk] = ListConnector(eight_records(), retryable_failures=2)

    run = run_now(source)

    assert (run.status, run.retries, run.created) == (SyncRun.Status.SUCCEEDED, 2, 8)
    assert [services.retry_countdown(n) for n in range(4)] == [60, 120, 240, 480]


def test_a_run_waiting_for_its_retry_is_queued_with_its_heartbeat_at_the_retry_time(
    source: PartnerSource,
) -> None:
    run = services.sync_run_request(source=source, trigger=SyncRun.Trigger.MANUAL)
    claimed = services.sync_run_claim(run_id=run.pk)
    assert claimed is not None

    with time_machine.travel(timezone.now(), tick=False):
        assert services.sync_run_requeue(run=claimed, message="retrying", countdown=120)
        run.refresh_from_db()
        assert run.status == SyncRun.Status.QUEUED
        assert run.heartbeat_at == timezone.now() + datetime.timedelta(seconds=120)
    assert (run.retries, run.error) == (1, "retrying")
    # The sweep leaves it alone meanwhile.
    assert services.sync_runs_sweep_stale() == []


def test_retries_stop_at_the_maximum_and_the_run_fails(source: PartnerSource) -> None:
    REGISTERED[source.pk] = ListConnector(eight_records(), retryable_failures=10)

    run = run_now(source)

    assert run.status == SyncRun.Status.FAILED
    assert run.retries == 3
    assert run.error == "Gave up after 3 retries: HTTP 503 from the partner's server"


def test_a_feed_error_that_is_not_retryable_fails_at_once(source: PartnerSource) -> None:
    REGISTERED[source.pk] = ListConnector(
        eight_records(), fail_after_pages=1, failure=FeedError("XML that does not parse")
    )

    run = run_now(source)

    assert (run.status, run.retries, run.error) == (
        SyncRun.Status.FAILED,
        0,
        "XML that does not parse",
    )
    assert Entry.objects.count() == 2


def test_the_time_limit_fails_the_run_and_keeps_the_checkpoint(source: PartnerSource) -> None:
    REGISTERED[source.pk] = ListConnector(
        eight_records(), fail_after_pages=3, failure=SoftTimeLimitExceeded()
    )

    run = run_now(source)

    assert run.status == SyncRun.Status.FAILED
    assert "time limit" in run.error and "resumes from the last stored page" in run.error
    assert source.checkpoint == {"offset": 6}
    assert Entry.objects.count() == 6


def test_missing_credentials_variable_fails_the_run_clearly(source: PartnerSource) -> None:
    source.credentials_env = "PARTNER_SYNC_TEST_NEVER_SET"
    source.save()
    REGISTERED[source.pk] = ListConnector(eight_records())

    run = run_now(source)

    assert run.status == SyncRun.Status.FAILED
    assert "PARTNER_SYNC_TEST_NEVER_SET" in run.error


def test_the_sweep_fails_runs_left_by_a_dead_worker(source: PartnerSource, settings: Any) -> None:
    settings.PARTNER_SYNC_STALE_SECONDS = 600
    now = timezone.now()
    dead = SyncRun.objects.create(
        source=source,
        status=SyncRun.Status.RUNNING,
        heartbeat_at=now - datetime.timedelta(minutes=11),
    )
    other = PartnerSourceFactory()
    alive = SyncRun.objects.create(
        source=other,
        status=SyncRun.Status.RUNNING,
        heartbeat_at=now - datetime.timedelta(minutes=9),
    )
    waiting_for_retry = SyncRun.objects.create(
        source=PartnerSourceFactory(),
        status=SyncRun.Status.QUEUED,
        heartbeat_at=now + datetime.timedelta(minutes=30),
    )

    assert sweep_stale_runs.apply().get() == [dead.pk]

    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.FAILED
    assert "worker probably died" in dead.error
    for run in (alive, waiting_for_retry):
        run.refresh_from_db()
        assert run.status in SyncRun.ACTIVE
    # The source can run again.
    services.sync_run_request(source=source, trigger=SyncRun.Trigger.MANUAL)


def test_a_worker_whose_run_was_swept_stores_nothing_more(source: PartnerSource) -> None:
    connector = ListConnector(eight_records(), page_size=2)
    run = services.sync_run_request(source=source, trigger=SyncRun.Trigger.MANUAL)
    claimed = services.sync_run_claim(run_id=run.pk)
    assert claimed is not None
    pages = connector.fetch({})
    from partners.sync import PageStore, RunLost

    store = PageStore(run=claimed, connector=connector)
    store.store(next(pages))
    services.sync_run_fail(run_id=run.pk, message="swept")

    with pytest.raises(RunLost):
        store.store(next(pages))

    assert Entry.objects.count() == 2
    source.refresh_from_db()
    assert source.checkpoint == {"offset": 2}


def test_the_contact_is_mailed_once_after_repeated_failures_and_never_on_success(
    source: PartnerSource,
) -> None:
    def failing() -> ListConnector:
        return ListConnector(
            eight_records(), fail_after_pages=0, failure=FeedError("HTTP 404 Not Found")
        )

    REGISTERED[source.pk] = ListConnector(eight_records())
    run_now(source)
    assert mail.outbox == []  # no "success" e-mail

    for attempt in range(1, 6):
        REGISTERED[source.pk] = failing()
        run = run_now(source)
        assert run.status == SyncRun.Status.FAILED
        assert source.consecutive_failures == attempt
        assert len(mail.outbox) == (0 if attempt < 3 else 1)

    message = mail.outbox[0]
    assert message.to == ["data@partner.example"]
    assert "“Partner feed” failed 3 times in a row" in message.subject
    assert "HTTP 404 Not Found" in message.body
    assert f"/admin/partners/partnersource/{source.pk}/change/" in message.body

    # A success ends the streak; the next streak mails again, once.
    REGISTERED[source.pk] = ListConnector(eight_records())
    assert run_now(source).status == SyncRun.Status.SUCCEEDED
    assert source.consecutive_failures == 0
    assert len(mail.outbox) == 1
    for _ in range(3):
        REGISTERED[source.pk] = failing()
        run_now(source)
    assert len(mail.outbox) == 2


def test_no_email_without_a_contact(source: PartnerSource) -> None:
    source.contact_email = ""
    source.save()
    for _ in range(3):
        REGISTERED[source.pk] = ListConnector([], fail_after_pages=0, failure=FeedError("down"))
        run_now(source)
    assert mail.outbox == []


def test_dispatch_queues_each_due_source_once() -> None:
    with time_machine.travel(datetime.datetime(2026, 11, 26, 10, 30, tzinfo=datetime.UTC)):
        hourly = PartnerSourceFactory(schedule=PartnerSource.Schedule.HOURLY)
        daily = PartnerSourceFactory(
            schedule=PartnerSource.Schedule.DAILY, schedule_offset_minutes=150
        )
        off = PartnerSourceFactory(schedule=PartnerSource.Schedule.OFF)
        disabled = PartnerSourceFactory(schedule=PartnerSource.Schedule.HOURLY, enabled=False)

    # 10:31: both are due (their latest slots, 10:00 and 02:30, had no run).
    with time_machine.travel(datetime.datetime(2026, 11, 26, 10, 31, tzinfo=datetime.UTC)):
        queued = dispatch_due_sources.apply().get()
    runs = SyncRun.objects.filter(pk__in=queued)
    assert sorted(r.source_id for r in runs) == sorted([hourly.pk, daily.pk])
    assert {r.trigger for r in runs} == {SyncRun.Trigger.SCHEDULE}
    assert not SyncRun.objects.filter(source__in=[off, disabled]).exists()

    # A minute later nothing more, though the runs are still queued.
    with time_machine.travel(datetime.datetime(2026, 11, 26, 10, 32, tzinfo=datetime.UTC)):
        assert dispatch_due_sources.apply().get() == []
    SyncRun.objects.update(status=SyncRun.Status.SUCCEEDED)

    # 11:00 the hourly one is due again, the daily one not before tomorrow 02:30.
    with time_machine.travel(datetime.datetime(2026, 11, 26, 11, 0, 5, tzinfo=datetime.UTC)):
        queued = dispatch_due_sources.apply().get()
    assert [SyncRun.objects.get(pk=pk).source_id for pk in queued] == [hourly.pk]


def test_schedule_slots() -> None:
    source = PartnerSource(schedule=PartnerSource.Schedule.WEEKLY, schedule_offset_minutes=60)
    now = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=datetime.UTC)  # a Thursday
    assert source.last_due_at(now) == datetime.datetime(2026, 11, 23, 1, 0, tzinfo=datetime.UTC)
    source.schedule = PartnerSource.Schedule.EVERY_6_HOURS
    assert source.last_due_at(now) == datetime.datetime(2026, 11, 26, 7, 0, tzinfo=datetime.UTC)
    source.schedule = PartnerSource.Schedule.OFF
    assert source.last_due_at(now) is None


def test_only_staff_resolve_conflicts(source: PartnerSource) -> None:
    from partners.models import SyncConflict
    from tests.factories import EntryFactory, UserFactory

    conflict = SyncConflict.objects.create(
        entry=EntryFactory(source=source, external_id="A"), field="title", source_value="x"
    )
    someone: User = UserFactory()
    staff: User = StaffUserFactory()
    with pytest.raises(ApplicationError):
        services.sync_conflict_resolve(conflict=conflict, keep="ours", by=someone)
    services.sync_conflict_resolve(conflict=conflict, keep="ours", by=staff)
    with pytest.raises(ApplicationError, match="already resolved"):
        services.sync_conflict_resolve(conflict=conflict, keep="ours", by=staff)
