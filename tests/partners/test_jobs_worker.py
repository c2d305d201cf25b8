"""Partner sync end to end: a real Celery worker on the real Redis broker and the test database,
harvesting a JSON feed from a real HTTP server on 127.0.0.1."""

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from catalog.models import Entry
from partners import services
from partners.models import PartnerSource, SyncRun
from search import store
from search.engine import SearchRequest
from search.indexer import index_catch_up
from tests.factories import PartnerSourceFactory
from tests.partners.feed import FeedServer, write_feed
from tests.search.indexing import ensure_reference_data
from tests.workers import celery_worker

WORKER_ENV = {
    "PARTNER_SYNC_CONNECTOR_FACTORY": "tests.partners.feed.connector_for",
    "PARTNER_SYNC_RETRY_SECONDS": "1",
    "PARTNER_SYNC_MAX_RETRIES": "3",
}


def feed_records(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"act-{n}",
            "titles": {"en": f"Solar irrigation pilot {n}", "fr": f"Irrigation solaire {n}"},
            "summaries": {"en": "Farmers share solar pumps."},
            "countries": ["SEN", "MLI"],
            "targets": ["7.1"],
            "providers": [{"name": "Sahel Energy Centre", "country_iso3": "SEN"}],
        }
        for n in range(count)
    ]


def wait_for(check: Callable[[], bool], *, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def finished(run: SyncRun) -> bool:
    run.refresh_from_db()
    return run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.FAILED)


@pytest.fixture
def worker_env(transactional_db: None, jobs_on_broker: None, settings: Any) -> dict[str, str]:
    ensure_reference_data()
    settings.SEARCH_READER_RELOAD_SECONDS = 0
    return WORKER_ENV


@pytest.fixture
def source() -> PartnerSource:
    return PartnerSourceFactory(name="Sahel feed", publish_directly=True)


def test_a_real_worker_harvests_a_feed_with_retries_and_backoff(
    worker_env: dict[str, str], source: PartnerSource, tmp_path: Path, settings: Any
) -> None:
    with (
        FeedServer(write_feed(tmp_path / "feed.jsonl", feed_records(25)), fail_first=2) as feed,
        celery_worker("partners-test", worker_env, tmp_path),
    ):
        source.endpoint = feed.url
        source.save()
        # Page size 1000: one page after two 503s.
        run = services.sync_run_request(source=source, trigger=SyncRun.Trigger.MANUAL)
        wait_for(lambda: finished(run))

        assert (run.status, run.retries, run.created, run.failed) == (
            SyncRun.Status.SUCCEEDED,
            2,
            25,
            0,
        )
        # Backoff: the retries came 1 s and then 2 s after the failures.
        first, second, third = feed.request_times[:3]
        assert second - first >= 1.0
        assert third - second >= 2.0
        assert feed.requests == 3

        # A second run finds nothing changed.
        again = services.sync_run_request(source=source, trigger=SyncRun.Trigger.SCHEDULE)
        wait_for(lambda: finished(again))
        assert (again.status, again.unchanged, again.created) == (SyncRun.Status.SUCCEEDED, 25, 0)

    assert Entry.objects.filter(source=source, status=Entry.Status.PUBLISHED).count() == 25
    # The synced entries reach the search index through the change log.
    index_catch_up()
    hits = store.reader().search(SearchRequest(text="solar irrigation pilot 7", facets=()))
    assert Entry.objects.get(external_id="act-7").pk in [hit.entry_id for hit in hits.hits]


def children_named(part: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ppid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid")))
        if ppid == os.getpid() and part in cmdline:
            pids.append(int(proc.name))
    return pids


@pytest.fixture
def feed_file(tmp_path: Path) -> Iterator[Path]:
    yield write_feed(tmp_path / "feed.jsonl", feed_records(40))


def test_a_worker_killed_half_way_is_swept_and_the_next_run_resumes(
    worker_env: dict[str, str],
    source: PartnerSource,
    feed_file: Path,
    tmp_path: Path,
    settings: Any,
) -> None:
    env = worker_env
    with FeedServer(feed_file, delay=0.7) as feed:
        source.endpoint = feed.url + "?page_size=10"
        source.save()
        with celery_worker("partners-kill", env, tmp_path):
            run = services.sync_run_request(source=source, trigger=SyncRun.Trigger.MANUAL)
            wait_for(lambda: SyncRun.objects.get(pk=run.pk).pages >= 2)
            # A solo worker answers no control command while it runs a task: find it as this
            # process's child by its name.
            pids = children_named("partners-kill-")
            assert len(pids) == 1
            os.kill(pids[0], signal.SIGKILL)  # the worker this test started
            time.sleep(1)

        run.refresh_from_db()
        assert run.status == SyncRun.Status.RUNNING
        stored = Entry.objects.filter(source=source).count()
        assert 20 <= stored < 40
        source.refresh_from_db()
        assert source.checkpoint == {"offset": stored}

        # The sweep finds the silent run; the source can run again and resumes.
        settings.PARTNER_SYNC_STALE_SECONDS = 1
        time.sleep(1.5)
        assert services.sync_runs_sweep_stale() == [run.pk]
        with celery_worker("partners-resume", env, tmp_path):
            rerun = services.sync_run_request(source=source, trigger=SyncRun.Trigger.MANUAL)
            wait_for(lambda: finished(rerun))

    assert rerun.status == SyncRun.Status.SUCCEEDED
    assert rerun.created == 40 - stored
    assert Entry.objects.filter(source=source).count() == 40
    assert sorted(Entry.objects.values_list("external_id", flat=True)) == sorted(
        f"act-{n}" for n in range(40)
    )
    run.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED and run.finished_at <= timezone.now()
