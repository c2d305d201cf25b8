"""Catching copies of the index up from the change log, rebuilding them, pruning the log."""

import datetime
import gc
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from catalog.models import Entry
from search import documents, store
from search.indexer import (
    change_log_prune,
    index_catch_up,
    index_catch_up_after_commit,
    index_rebuild,
)
from search.models import ChangeLogHorizon, EntryChange
from search.store import IndexCopy
from tests.factories import EntryFactory, OrganizationFactory, country
from tests.search.indexing import ensure_reference_data, indexed_ids, state, subprocess_env

ROOT = Path(settings.BASE_DIR)


@pytest.fixture(autouse=True)
def fresh_readers() -> Iterator[None]:
    store.forget_readers()
    yield
    store.forget_readers()


@pytest.fixture
def copy_dir(tmp_path: Path, settings: Any) -> Path:
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    return settings.SEARCH_INDEX_DIR


def published_ids() -> Counter[int]:
    return Counter(Entry.objects.published().values_list("pk", flat=True))


def archive(entry: Any) -> None:
    entry.status = Entry.Status.ARCHIVED
    entry.save(update_fields=["status", "updated_at"])


@pytest.mark.django_db
def test_first_catch_up_builds_the_index_of_the_published_entries(copy_dir: Path) -> None:
    published = [EntryFactory(), EntryFactory()]
    EntryFactory(status=Entry.Status.DRAFT)

    result = index_catch_up(copy_dir=copy_dir)

    assert result.rebuilt is not None
    assert result.rebuilt.reason == "there is no index yet"
    assert result.rebuilt.documents == 2
    assert indexed_ids(copy_dir) == Counter(e.pk for e in published)
    assert state(copy_dir).applied_id == EntryChange.objects.latest("id").id


@pytest.mark.django_db
def test_catch_up_applies_creates_updates_unpublishing_and_deletes(copy_dir: Path) -> None:
    kept, unpublished, deleted, draft = (
        EntryFactory(),
        EntryFactory(),
        EntryFactory(),
        EntryFactory(),
    )
    draft.status = Entry.Status.DRAFT
    draft.save()
    index_catch_up(copy_dir=copy_dir)
    assert indexed_ids(copy_dir) == Counter([kept.pk, unpublished.pk, deleted.pk])

    created = EntryFactory()
    kept.title = "Solar-powered cold storage"
    kept.save()
    archive(unpublished)
    deleted_id = deleted.pk
    deleted.delete()
    draft.status = Entry.Status.PUBLISHED
    draft.save()

    result = index_catch_up(copy_dir=copy_dir)

    assert result.rebuilt is None
    assert result.changes == 5
    assert result.entries == 5
    assert indexed_ids(copy_dir) == Counter([kept.pk, created.pk, draft.pk])
    assert deleted_id not in indexed_ids(copy_dir)
    assert state(copy_dir).applied_id == EntryChange.objects.latest("id").id
    # Nothing new: nothing applied.
    again = index_catch_up(copy_dir=copy_dir)
    assert (again.changes, again.entries, again.rebuilt) == (0, 0, None)


@pytest.mark.django_db
def test_catch_up_applies_the_log_in_batches_and_records_each(
    copy_dir: Path, settings: Any
) -> None:
    index_catch_up(copy_dir=copy_dir)
    settings.SEARCH_CATCH_UP_BATCH_SIZE = 3
    entries = [EntryFactory() for _ in range(7)]

    result = index_catch_up(copy_dir=copy_dir)

    assert result.changes == 7
    assert indexed_ids(copy_dir) == Counter(e.pk for e in entries)
    assert state(copy_dir).applied_id == EntryChange.objects.latest("id").id


@pytest.mark.django_db
def test_a_change_of_a_provider_organization_reaches_the_index(copy_dir: Path) -> None:
    """The document's cooperation follows the provider's country."""
    organization = OrganizationFactory(country=country("KEN"))
    entry = EntryFactory(providers=[organization])
    index_catch_up(copy_dir=copy_dir)
    before = state(copy_dir).applied_id

    organization.country = country("DEU")
    organization.save()
    result = index_catch_up(copy_dir=copy_dir)

    assert result.entries == 1
    assert state(copy_dir).applied_id > before
    assert indexed_ids(copy_dir) == Counter([entry.pk])


@pytest.mark.django_db
def test_a_batch_that_fails_midway_is_replayed_whole_next_time(
    copy_dir: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_catch_up(copy_dir=copy_dir)
    start = state(copy_dir).applied_id
    settings.SEARCH_CATCH_UP_BATCH_SIZE = 3
    entries = [EntryFactory() for _ in range(6)]
    first_batch_end = EntryChange.objects.filter(id__gt=start).order_by("id")[2].id

    # The second batch dies while its documents are being indexed, after some were handed over.
    real = documents.entry_documents
    calls = []

    def failing_documents(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        calls.append(args)
        for n, document in enumerate(real(*args, **kwargs)):
            if len(calls) == 2 and n == 1:
                raise ConnectionError("the database went away")
            yield document

    monkeypatch.setattr(documents, "entry_documents", failing_documents)
    with pytest.raises(ConnectionError):
        index_catch_up(copy_dir=copy_dir)
    gc.collect()  # the traceback held the engine, and with it tantivy's writer

    assert state(copy_dir).applied_id == first_batch_end
    assert indexed_ids(copy_dir) == Counter(e.pk for e in entries[:3])

    monkeypatch.setattr(documents, "entry_documents", real)
    result = index_catch_up(copy_dir=copy_dir)

    assert result.rebuilt is None
    assert result.changes == 3
    assert indexed_ids(copy_dir) == Counter(e.pk for e in entries)
    assert state(copy_dir).applied_id == EntryChange.objects.latest("id").id


CRASH_AFTER_INDEX_COMMIT = """
import os, sys
import django
django.setup()
from search import store
from search.indexer import index_catch_up

write_state = store.IndexCopy.write_state

def die(self, generation, state):
    if state.applied_id > int(sys.argv[2]):
        # The batch is committed to the index; the process dies before recording that.
        os._exit(17)
    write_state(self, generation, state)  # e.g. dropping old gaps

store.IndexCopy.write_state = die
index_catch_up(copy_dir=sys.argv[1])
"""


@pytest.mark.django_db(transaction=True)
def test_an_indexer_killed_between_index_commit_and_position_loses_and_duplicates_nothing(
    copy_dir: Path,
) -> None:
    ensure_reference_data()
    updated, unpublished, untouched = EntryFactory(), EntryFactory(), EntryFactory()
    index_catch_up(copy_dir=copy_dir)
    before = state(copy_dir).applied_id

    updated.title = "Mangrove restoration by coastal communities"
    updated.save()
    archive(unpublished)
    created = EntryFactory()

    crashed = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", CRASH_AFTER_INDEX_COMMIT, str(copy_dir), str(before)],
        cwd=ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert crashed.returncode == 17, crashed.stderr
    # The index holds the batch; the position does not say so.
    assert indexed_ids(copy_dir) == Counter([updated.pk, untouched.pk, created.pk])
    assert state(copy_dir).applied_id == before

    result = index_catch_up(copy_dir=copy_dir)

    assert result.rebuilt is None
    assert result.changes == 3  # replayed
    assert indexed_ids(copy_dir) == Counter([updated.pk, untouched.pk, created.pk])
    assert state(copy_dir).applied_id == EntryChange.objects.latest("id").id


@pytest.mark.django_db
def test_two_copies_catch_up_independently_from_the_same_log(tmp_path: Path) -> None:
    web1, web2 = tmp_path / "web1", tmp_path / "web2"
    first = EntryFactory()
    index_catch_up(copy_dir=web1)
    index_catch_up(copy_dir=web2)

    second = EntryFactory()
    index_catch_up(copy_dir=web1)
    assert indexed_ids(web1) == Counter([first.pk, second.pk])
    assert indexed_ids(web2) == Counter([first.pk])  # behind
    assert state(web1).applied_id > state(web2).applied_id

    archive(first)
    third = EntryFactory()
    result = index_catch_up(copy_dir=web2)  # applies both rounds
    assert result.changes == 3
    assert indexed_ids(web2) == Counter([second.pk, third.pk])
    assert indexed_ids(web1) == Counter([first.pk, second.pk])

    index_catch_up(copy_dir=web1)
    assert indexed_ids(web1) == indexed_ids(web2)
    assert state(web1).applied_id == state(web2).applied_id


@pytest.mark.django_db
def test_prune_deletes_rows_past_the_retention_and_raises_the_horizon() -> None:
    with time_machine.travel(timezone.now() - datetime.timedelta(days=10), tick=False):
        old = [EntryFactory(), EntryFactory()]
    recent = EntryFactory()
    old_ids = list(
        EntryChange.objects.filter(entry_id__in=[e.pk for e in old]).values_list("id", flat=True)
    )

    result = change_log_prune(older_than=timezone.now() - datetime.timedelta(days=7))

    assert result.pruned_through == max(old_ids)
    assert result.deleted >= len(old_ids)
    assert not EntryChange.objects.filter(id__lte=max(old_ids)).exists()
    assert EntryChange.objects.filter(entry_id=recent.pk).exists()
    assert ChangeLogHorizon.objects.get().pruned_through == max(old_ids)
    # Twice: nothing more to do.
    again = change_log_prune(older_than=timezone.now() - datetime.timedelta(days=7))
    assert (again.deleted, again.pruned_through) == (0, max(old_ids))


def catch_up_until_no_gaps(copy_dir: Path) -> None:
    """Gaps left by rolled-back transactions are dropped once every transaction that was running
    when they were seen has ended (on a shared server, another database's may take a moment)."""
    deadline = time.monotonic() + 20
    index_catch_up(copy_dir=copy_dir)
    while state(copy_dir).gaps and time.monotonic() < deadline:
        time.sleep(0.2)
        index_catch_up(copy_dir=copy_dir)
    assert state(copy_dir).gaps == []


# Committed for real: inside a test's transaction, the gaps of earlier tests' rollbacks would
# stay open (that transaction is still running), and a gap below the horizon means rebuild.
@pytest.mark.django_db(transaction=True)
def test_a_copy_that_missed_pruned_changes_rebuilds_and_a_current_one_does_not(
    tmp_path: Path,
) -> None:
    ensure_reference_data()
    behind, current = tmp_path / "behind", tmp_path / "current"
    first = EntryFactory()
    index_catch_up(copy_dir=behind)
    second = EntryFactory()
    archive(first)
    catch_up_until_no_gaps(current)

    change_log_prune(older_than=timezone.now() + datetime.timedelta(seconds=1))
    assert not EntryChange.objects.exists()

    behind_result = index_catch_up(copy_dir=behind)
    current_result = index_catch_up(copy_dir=current)

    assert behind_result.rebuilt is not None
    assert "pruned" in behind_result.rebuilt.reason
    assert indexed_ids(behind) == Counter([second.pk])
    assert state(behind).applied_id == ChangeLogHorizon.objects.get().pruned_through
    assert current_result.rebuilt is None
    assert indexed_ids(current) == Counter([second.pk])


@pytest.mark.django_db
def test_a_copy_ahead_of_the_log_is_rebuilt(copy_dir: Path) -> None:
    """An index left from another database (say, after deleting the SQLite file)."""
    entry = EntryFactory()
    index_catch_up(copy_dir=copy_dir)
    copy = IndexCopy(copy_dir)
    generation = copy.current_generation()
    assert generation
    far = state(copy_dir)
    far.applied_id += 1_000_000
    copy.write_state(generation, far)

    result = index_catch_up(copy_dir=copy_dir)

    assert result.rebuilt is not None
    assert "another database" in result.rebuilt.reason
    assert indexed_ids(copy_dir) == Counter([entry.pk])


@pytest.mark.django_db
def test_rebuild_swaps_in_a_new_generation_and_applies_what_changed_during_the_build(
    copy_dir: Path,
) -> None:
    changed, unpublished = EntryFactory(), EntryFactory()
    index_catch_up(copy_dir=copy_dir)
    copy = IndexCopy(copy_dir)
    old_generation = copy.current_generation()
    added: list[Any] = []
    reports: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        reports.append((done, total))
        if done == total and not added:  # every entry has been read by the build
            archive(unpublished)
            changed.title = "Changed during the rebuild"
            changed.save()
            added.append(EntryFactory())

    result = index_rebuild(copy_dir=copy_dir, progress=progress)

    assert result.rebuilt is not None
    assert result.rebuilt.documents == 2
    assert reports[0] == (0, 2) and reports[-1] == (2, 2)
    assert result.changes == 3  # applied after the swap
    assert copy.current_generation() != old_generation
    assert copy.generations() == [copy.current_generation()]
    assert indexed_ids(copy_dir) == Counter([changed.pk, added[0].pk])
    assert state(copy_dir).applied_id == EntryChange.objects.latest("id").id


@pytest.mark.django_db(transaction=True)
def test_a_lower_id_committed_after_a_higher_one_is_applied_when_it_commits(
    copy_dir: Path,
) -> None:
    """PostgreSQL hands out ids at insert and shows rows at commit: 11 can be visible before 10."""
    ensure_reference_data()
    index_catch_up(copy_dir=copy_dir)
    logged, release = threading.Event(), threading.Event()
    late: list[Any] = []

    def slow_transaction() -> None:
        try:
            with transaction.atomic():
                late.append(EntryFactory(title="Committed late"))
                logged.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_transaction)
    thread.start()
    try:
        assert logged.wait(30)
        early = EntryFactory(title="Committed early")  # a higher change id, committed first
        # The slow transaction logged one change just before: the id below, not yet visible.
        late_change = EntryChange.objects.get(entry_id=early.pk).id - 1
        assert not EntryChange.objects.filter(id=late_change).exists()

        index_catch_up(copy_dir=copy_dir)

        assert indexed_ids(copy_dir) == Counter([early.pk])
        gaps = state(copy_dir).gaps
        assert any(gap.first <= late_change <= gap.last for gap in gaps)
    finally:
        release.set()
        thread.join()

    index_catch_up(copy_dir=copy_dir)

    assert indexed_ids(copy_dir) == Counter([early.pk, late[0].pk])
    assert not any(gap.first <= late_change <= gap.last for gap in state(copy_dir).gaps)


@pytest.mark.django_db(transaction=True)
def test_the_gap_of_a_rolled_back_transaction_is_dropped_once_it_has_ended(
    copy_dir: Path,
) -> None:
    ensure_reference_data()
    index_catch_up(copy_dir=copy_dir)
    logged, release = threading.Event(), threading.Event()

    def rolled_back_transaction() -> None:
        try:
            with pytest.raises(RuntimeError), transaction.atomic():
                EntryFactory(title="Never committed")
                logged.set()
                release.wait(30)
                raise RuntimeError("roll back")
        finally:
            connection.close()

    thread = threading.Thread(target=rolled_back_transaction)
    thread.start()
    try:
        assert logged.wait(30)
        early = EntryFactory()
        index_catch_up(copy_dir=copy_dir)
        assert state(copy_dir).gaps
    finally:
        release.set()
        thread.join()

    catch_up_until_no_gaps(copy_dir)
    assert indexed_ids(copy_dir) == Counter([early.pk])


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_a_commit_brings_the_index_up_to_date_in_process(
    copy_dir: Path, settings: Any
) -> None:
    """`make run`: no indexer process; the transaction's on-commit hook catches up, once."""
    ensure_reference_data()
    settings.SEARCH_CATCH_UP_ON_COMMIT = True
    index_catch_up(copy_dir=copy_dir)

    with transaction.atomic():
        entry = EntryFactory()
        entry.countries_applied.add(country("KEN"), country("TZA"))
        EntryFactory(status=Entry.Status.DRAFT)
        hooks = [f for _, f, _ in connection.run_on_commit if f is index_catch_up_after_commit]
        assert len(hooks) == 1
        assert entry.pk not in indexed_ids(copy_dir)

    assert indexed_ids(copy_dir) == Counter([entry.pk])
    assert state(copy_dir).applied_id == EntryChange.objects.latest("id").id
