from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.utils import translation

from catalog.models import Entry
from search.documents import entry_documents
from search.engine import SearchEngine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[SearchEngine]:
    """A writable index of its own, empty: tests index what they create with `build_index`.
    Its notices are in English, whatever language an earlier test left active."""
    engine = SearchEngine(tmp_path / "engine-index", writable=True)
    with translation.override("en"):
        yield engine
    engine.close()


@pytest.fixture
def build_index(engine: SearchEngine) -> Callable[..., SearchEngine]:
    """Index the given entries (all published ones when none are given) and commit."""

    def build(*entries: Entry) -> SearchEngine:
        engine.index_entries(entry_documents([e.pk for e in entries] if entries else None))
        engine.commit()
        return engine

    return build
