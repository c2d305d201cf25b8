from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import translation

from exchange.celery import app as celery_app
from matching.ranking import profiles
from search import store


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Every test database starts with the real reference data (countries, SDGs, themes...)."""
    with django_db_blocker.unblock():
        call_command("load_reference", verbosity=0)


@pytest.fixture(autouse=True)
def fresh_process_state() -> Iterator[None]:
    """What a process keeps between requests does not leak from one test into the next: the
    cache (Redis in the suite), the active language, the ranker's copy of the reference ids."""
    cache.clear()
    profiles.forget_reference()
    with translation.override("en"):
        yield
    profiles.forget_reference()


@pytest.fixture(autouse=True)
def search_index_dir(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Each test has its own copy of the search index, empty until it builds one: pages that
    search (the search page, "similar entries" on detail pages) never read or rebuild the
    developer's copy in var/."""
    settings.SEARCH_INDEX_DIR = tmp_path_factory.mktemp("search-index")
    yield settings.SEARCH_INDEX_DIR
    store.forget_readers()


@pytest.fixture(autouse=True)
def jobs_in_process(settings: Any) -> Iterator[None]:
    """Celery tasks run in-process, as in `make run`, unless a test starts a real worker and
    asks for `jobs_on_broker` (tests/search/test_tasks.py)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def jobs_on_broker(jobs_in_process: None, settings: Any) -> None:
    """Tasks go to the Redis broker, for a real worker to run."""
    celery_app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
