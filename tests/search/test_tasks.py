"""The Celery tasks, in-process and on a real worker (Redis broker, the test database)."""

import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from exchange.celery import app
from search import store
from search.engine import SearchRequest
from search.indexer import index_catch_up
from search.models import EntryChange
from search.store import IndexCopy, IndexUnavailable
from search.tasks import search_catch_up_task, search_prune_task, search_rebuild_task
from tests.factories import EntryFactory
from tests.search.indexing import ensure_reference_data, indexed_ids, state
from tests.workers import celery_worker


@pytest.fixture(autouse=True)
def fresh_readers() -> Iterator[None]:
    store.forget_readers()
    yield
    store.forget_readers()


@pytest.fixture
def copy_dir(tmp_path: Path, settings: Any) -> Path:
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    settings.SEARCH_READER_RELOAD_SECONDS = 0
    return settings.SEARCH_INDEX_DIR


def found(copy_dir: Path, text: str) -> list[int]:
    result = store.reader(copy_dir).search(SearchRequest(text=text, facets=()))
    return [hit.entry_id for hit in result.hits]


def eventually(check: Callable[[], bool], *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except IndexUnavailable:
            pass
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.mark.django_db
def test_catch_up_task_run_twice_applies_once(copy_dir: Path) -> None:
    entry = EntryFactory()

    first = search_catch_up_task.apply(kwargs={"copy_dir": str(copy_dir)}).get()
    second = search_catch_up_task.apply(kwargs={"copy_dir": str(copy_dir)}).get()

    assert first["rebuilt"] is True
    assert (second["rebuilt"], second["changes"]) == (False, 0)
    assert indexed_ids(copy_dir) == Counter([entry.pk])


@pytest.mark.django_db
def test_tasks_return_at_once_while_another_indexer_holds_the_copy(copy_dir: Path) -> None:
    EntryFactory()
    with store.writer(copy_dir):
        assert search_catch_up_task.apply(kwargs={"copy_dir": str(copy_dir)}).get() == {
            "busy": True
        }
        assert search_rebuild_task.apply(kwargs={"copy_dir": str(copy_dir)}).get() == {"busy": True}
    assert not IndexCopy(copy_dir).generations()


@pytest.mark.django_db
def test_rebuild_task_if_needed_only_catches_up_a_healthy_copy(copy_dir: Path) -> None:
    EntryFactory()
    index_catch_up(copy_dir=copy_dir)
    generation = IndexCopy(copy_dir).current_generation()

    result = search_rebuild_task.apply(kwargs={"copy_dir": str(copy_dir), "if_needed": True}).get()
    assert result["rebuilt"] is False
    assert IndexCopy(copy_dir).current_generation() == generation

    result = search_rebuild_task.apply(kwargs={"copy_dir": str(copy_dir)}).get()
    assert result["rebuilt"] is True
    assert IndexCopy(copy_dir).current_generation() != generation


@pytest.mark.django_db
def test_prune_task_keeps_the_retention(settings: Any) -> None:
    settings.SEARCH_CHANGE_LOG_RETENTION_DAYS = 7
    entry = EntryFactory()

    result = search_prune_task.apply().get()

    assert result["deleted"] == 0
    assert EntryChange.objects.filter(entry_id=entry.pk).exists()


def test_beat_runs_the_catch_up_every_few_seconds_and_the_prune_daily() -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["search-catch-up"]["task"] == search_catch_up_task.name
    assert schedule["search-catch-up"]["schedule"] == 5.0
    assert schedule["search-change-log-prune"]["task"] == search_prune_task.name
    assert search_catch_up_task.name in app.tasks


@pytest.fixture
def worker(
    transactional_db: None, jobs_on_broker: None, copy_dir: Path, tmp_path: Path
) -> Iterator[None]:
    """A real Celery worker process on this run's Redis and test database, whose machine's copy
    (`SEARCH_INDEX_DIR`) is `copy_dir`."""
    ensure_reference_data()
    with celery_worker("search-test", {"SEARCH_INDEX_DIR": str(copy_dir)}, tmp_path):
        yield


def test_a_real_worker_catches_the_copy_up_and_new_entries_become_searchable(
    worker: None, copy_dir: Path
) -> None:
    agroforestry = EntryFactory(title="Agroforestry for cocoa farms")

    search_catch_up_task.delay()  # the worker's own copy, as beat sends it

    eventually(lambda: found(copy_dir, "agroforestry") == [agroforestry.pk])
    biochar = EntryFactory(title="Biochar kilns for rice husks")
    search_catch_up_task.delay()
    eventually(lambda: found(copy_dir, "biochar") == [biochar.pk])
    assert indexed_ids(copy_dir) == Counter([agroforestry.pk, biochar.pk])
    assert state(copy_dir).applied_id == EntryChange.objects.latest("id").id


def test_a_reader_that_finds_the_index_damaged_gets_it_rebuilt_by_the_worker(
    worker: None, copy_dir: Path
) -> None:
    entry = EntryFactory(title="Fog harvesting nets")
    index_catch_up(copy_dir=copy_dir)
    copy = IndexCopy(copy_dir)
    broken = copy.current_generation()
    assert broken
    (copy.index_dir(broken) / "meta.json").write_text("garbage")

    with pytest.raises(IndexUnavailable):
        store.reader(copy_dir)  # queues search_rebuild_task

    eventually(lambda: found(copy_dir, "fog") == [entry.pk])
    assert copy.current_generation() != broken
