"""The spreadsheet import through the real path: the confirmation queues the task on the Redis
broker, a real Celery worker on this run's test database and MEDIA_ROOT imports the needs, and
the status page, polled as the browser does, goes from "Importing…" to the result."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from matching import imports
from matching.models import Need
from matching.tasks import needs_import_task
from tests.factories import OfficerFactory
from tests.matching.test_needs_import import csv_file, done_url, need_row, token_of
from tests.search.indexing import ensure_reference_data
from tests.workers import celery_worker

ROOT = Path(settings.BASE_DIR)


def eventually(check: Callable[[], bool], *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def worker(
    transactional_db: None, jobs_on_broker: None, media_root: Path, tmp_path: Path
) -> Iterator[None]:
    """A real Celery worker process on this run's Redis and test database, reading the uploads
    from this test's MEDIA_ROOT."""
    ensure_reference_data()
    with celery_worker("imports-test", {"MEDIA_ROOT": str(media_root)}, tmp_path):
        yield


def test_a_real_worker_imports_a_confirmed_file_once(worker: None) -> None:
    officer: User = OfficerFactory()
    client = Client()
    client.force_login(officer)
    rows = [need_row(title=f"Need {i}", countries="KEN") for i in range(50)]
    token = token_of(client.post("/needs/import/", {"file": csv_file(rows)}))

    confirmed = client.post(f"/needs/import/{token}/confirm/", {"rows": "all"})
    assert confirmed.status_code == 302 and confirmed["Location"] == done_url(token)

    pages: list[str] = []

    def finished() -> bool:
        page = client.get(done_url(token))
        assert page.status_code == 200
        pages.append(page.content.decode())
        return "Importing…" not in pages[-1]

    eventually(finished)
    for page in pages[:-1]:  # while the worker was at it
        assert '<meta http-equiv="refresh" content="2">' in page
    result = pages[-1]
    assert "50 needs from “needs.csv” were saved as drafts." in result
    assert 'http-equiv="refresh"' not in result
    needs = list(Need.objects.order_by("pk"))
    assert [need.title for need in needs] == [f"Need {i}" for i in range(50)]
    assert all(n.status == Need.Status.DRAFT and n.created_by == officer for n in needs)
    assert [record.history_user for record in Need.history.all()] == [officer] * 50
    for need in needs:
        assert f'<a href="/needs/{need.pk}/" lang="en" dir="auto">{need.title}</a>' in result

    # The same task again (a redelivered message), then another file: the worker runs them in
    # order, so once the second file is imported the repeat has been handled, importing nothing.
    needs_import_task.delay(token)
    other = token_of(
        client.post(
            "/needs/import/", {"file": csv_file([need_row(title="Another", countries="GHA")])}
        )
    )
    client.post(f"/needs/import/{other}/confirm/", {"rows": "all"})
    eventually(lambda: Need.objects.filter(title="Another").exists())
    assert Need.objects.count() == 51
    stored = imports.upload_load(token, by=officer)
    assert stored is not None and stored.imported_ids == [need.pk for need in needs]
