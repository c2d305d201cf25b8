"""Helpers for the tests of the index upkeep: what a copy holds, read with tantivy directly
(not through the engine under test), and the test database for other processes."""

import os
from collections import Counter
from pathlib import Path

import tantivy
from django.core.management import call_command
from django.db import connection

from catalog.models import Country
from search.store import CopyState, IndexCopy


def indexed_ids(copy_dir: Path) -> Counter[int]:
    """How many documents the copy's current generation holds per entry id."""
    copy = IndexCopy(copy_dir)
    generation = copy.current_generation()
    assert generation is not None, f"no index in {copy_dir}"
    index = tantivy.Index.open(str(copy.index_dir(generation)))
    searcher = index.searcher()
    if not searcher.num_docs:
        return Counter()
    hits = searcher.search(tantivy.Query.all_query(), limit=searcher.num_docs).hits
    ids = searcher.fast_field_values("id", [address for _, address in hits])
    return Counter(int(pk) for pk in ids if pk is not None)


def state(copy_dir: Path) -> CopyState:
    copy = IndexCopy(copy_dir)
    generation = copy.current_generation()
    assert generation is not None
    found = copy.read_state(generation)
    assert found is not None
    return found


def ensure_reference_data() -> None:
    """A transactional test empties the database when it ends; load the reference data again."""
    if not Country.objects.exists():
        call_command("load_reference", verbosity=0)


def subprocess_env() -> dict[str, str]:
    """The environment for a subprocess that must use this test run's database."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    url = f"postgres://{db['USER']}{password}@{host}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
