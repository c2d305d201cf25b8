"""A copy's files, its one writer, and the readers of web processes."""

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from search import store
from search.engine import SearchRequest
from search.indexer import index_catch_up, index_rebuild
from search.store import IndexCopy, IndexerBusy, IndexUnavailable
from tests.factories import EntryFactory
from tests.search.indexing import indexed_ids, state, subprocess_env

ROOT = Path(settings.BASE_DIR)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_readers() -> Iterator[None]:
    store.forget_readers()
    yield
    store.forget_readers()


@pytest.fixture
def copy_dir(tmp_path: Path, settings: Any) -> Path:
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    return settings.SEARCH_INDEX_DIR


@contextmanager
def rebuild_left_to_the_indexer(copy_dir: Path) -> Iterator[None]:
    """Hold the copy's lock while a reader asks for a rebuild: the in-process rebuild thread
    (jobs run in-process in tests) finds the lock held and leaves the rebuild to the test."""
    with store.writer(copy_dir):
        yield
        for thread in threading.enumerate():
            if thread.name == "search-rebuild":
                thread.join(timeout=30)


def found(copy_dir: Path, text: str) -> list[int]:
    result = store.reader(copy_dir).search(SearchRequest(text=text, facets=()))
    return [hit.entry_id for hit in result.hits]


def test_without_an_index_the_reader_says_it_is_being_rebuilt_and_asks_for_it(
    copy_dir: Path,
) -> None:
    entry = EntryFactory(title="Biogas digesters for schools")

    with rebuild_left_to_the_indexer(copy_dir), pytest.raises(IndexUnavailable) as unavailable:
        store.reader(copy_dir)

    assert "being rebuilt" in unavailable.value.message
    assert unavailable.value.reason == "no index has been built yet"
    assert IndexCopy(copy_dir).rebuild_requested(None)

    index_catch_up(copy_dir=copy_dir)  # what this machine's indexer does next

    assert found(copy_dir, "biogas") == [entry.pk]
    assert not (copy_dir / "REBUILD").exists()


def test_a_corrupt_index_makes_the_reader_fail_clearly_and_a_rebuild_repairs_it(
    copy_dir: Path,
) -> None:
    entry = EntryFactory(title="Community seed banks")
    index_catch_up(copy_dir=copy_dir)
    copy = IndexCopy(copy_dir)
    broken = copy.current_generation()
    assert broken
    for path in copy.index_dir(broken).iterdir():
        path.write_bytes(os.urandom(256))

    with rebuild_left_to_the_indexer(copy_dir), pytest.raises(IndexUnavailable) as unavailable:
        store.reader(copy_dir)

    assert broken in unavailable.value.reason
    assert copy.rebuild_requested(broken)
    # The reader reported it: the indexer rebuilds even though no change is pending.
    result = index_catch_up(copy_dir=copy_dir)
    assert result.rebuilt is not None
    assert result.rebuilt.reason == "a reader could not open it"
    assert copy.current_generation() != broken
    assert copy.generations() == [copy.current_generation()]
    assert found(copy_dir, "seed banks") == [entry.pk]


@pytest.mark.parametrize(
    "damage",
    ["CURRENT", "applied.json", "missing generation"],
)
def test_damaged_copy_files_make_the_indexer_rebuild(copy_dir: Path, damage: str) -> None:
    entry = EntryFactory()
    index_catch_up(copy_dir=copy_dir)
    copy = IndexCopy(copy_dir)
    generation = copy.current_generation()
    assert generation
    if damage == "CURRENT":
        (copy_dir / "CURRENT").write_bytes(b"\xff\xfe garbage")
    elif damage == "applied.json":
        (copy_dir / generation / "applied.json").write_text("{not json")
    else:
        (copy_dir / "CURRENT").write_text("gen-999999\n")

    result = index_catch_up(copy_dir=copy_dir)

    assert result.rebuilt is not None
    assert indexed_ids(copy_dir) == Counter([entry.pk])
    assert found(copy_dir, "rainwater") == [entry.pk]


def test_a_second_indexer_on_the_same_copy_returns_at_once(copy_dir: Path) -> None:
    EntryFactory()
    index_catch_up(copy_dir=copy_dir)
    with store.writer(copy_dir):
        started = time.monotonic()
        with pytest.raises(IndexerBusy):
            index_catch_up(copy_dir=copy_dir)
        with pytest.raises(IndexerBusy):
            index_rebuild(copy_dir=copy_dir)
        assert time.monotonic() - started < 0.5

        # Another process: the command says so and succeeds (nothing to do for it).
        started = time.monotonic()
        other = subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, "manage.py", "search_catch_up", "--copy-dir", str(copy_dir)],
            cwd=ROOT,
            env=subprocess_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert other.returncode == 0, other.stderr
        assert "Another indexer is already working on the search index" in other.stdout
    # Released: the next one works.
    assert index_catch_up(copy_dir=copy_dir).rebuilt is None


def test_another_copy_is_not_blocked_by_this_copys_indexer(tmp_path: Path) -> None:
    EntryFactory()
    with store.writer(tmp_path / "web1"):
        assert index_catch_up(copy_dir=tmp_path / "web2").rebuilt is not None


def test_readers_see_a_commit_within_the_reload_interval(copy_dir: Path, settings: Any) -> None:
    settings.SEARCH_READER_RELOAD_SECONDS = 1
    EntryFactory(title="Geothermal greenhouse heating")
    index_catch_up(copy_dir=copy_dir)
    assert found(copy_dir, "wetland") == []

    wetland = EntryFactory(title="Constructed wetland for wastewater")
    index_catch_up(copy_dir=copy_dir)
    committed = time.monotonic()
    while not found(copy_dir, "wetland"):
        assert time.monotonic() - committed < 5, "not visible 5 s after the commit"
        time.sleep(0.05)

    assert found(copy_dir, "wetland") == [wetland.pk]
    assert time.monotonic() - committed <= 1.5


def test_readers_move_to_the_new_generation_after_a_rebuild(copy_dir: Path, settings: Any) -> None:
    settings.SEARCH_READER_RELOAD_SECONDS = 0
    entry = EntryFactory(title="Mangrove nurseries")
    index_catch_up(copy_dir=copy_dir)
    assert found(copy_dir, "mangrove") == [entry.pk]
    old = IndexCopy(copy_dir).current_generation()

    index_rebuild(copy_dir=copy_dir)

    assert IndexCopy(copy_dir).current_generation() != old
    assert not (copy_dir / str(old)).exists()
    assert found(copy_dir, "mangrove") == [entry.pk]


def test_the_position_is_written_atomically_beside_its_generation(copy_dir: Path) -> None:
    EntryFactory()
    index_catch_up(copy_dir=copy_dir)
    copy = IndexCopy(copy_dir)
    generation = copy.current_generation()
    assert generation
    assert (copy_dir / "CURRENT").read_text() == generation + "\n"
    assert (copy_dir / generation / "applied.json").exists()
    assert state(copy_dir).applied_id > 0
    # No temporary files left behind.
    assert not [p for p in copy_dir.rglob("*.tmp")]


def test_a_one_off_write_through_the_writer_takes_the_lock_and_commits(copy_dir: Path) -> None:
    """What the engine module's `index_entries`/`delete_entries` do on this machine's copy."""
    from search.documents import entry_documents

    kept, removed = EntryFactory(), EntryFactory()
    index_catch_up(copy_dir=copy_dir)
    kept.title = "Retitled"
    kept.save()

    assert store.writer(copy_dir).index_entries(entry_documents([kept.pk])) == 1
    store.writer(copy_dir).delete_entries([removed.pk])

    assert indexed_ids(copy_dir) == Counter([kept.pk])
    with store.writer(copy_dir), pytest.raises(IndexerBusy):
        store.writer(copy_dir).delete_entries([kept.pk])
