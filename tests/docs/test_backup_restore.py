"""scripts/backup-restore-check, the procedure of docs/operations/backup.md: on a scratch copy
of a database holding the demo data, it backs up with pg_dump, wipes, restores with pg_restore
and finds everything back; it notices a difference; bad input stops it with a clear message."""

import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection, connections

from catalog.models import Entry, Organization
from matching.models import Need
from matching.ranking.profiles import forget_reference
from tests.docs.conftest import ROOT

SCRIPT = ROOT / "scripts" / "backup-restore-check"
PG_15 = Path("/usr/lib/postgresql/15/bin")


def server_url(database: str) -> str:
    params = connection.settings_dict
    user, password = params["USER"], params.get("PASSWORD") or ""
    credentials = f"{user}:{password}@" if password else f"{user}@"
    host, port = params["HOST"] or "127.0.0.1", params["PORT"] or 5432
    return f"postgres://{credentials}{host}:{port}/{database}"


def admin_execute(statement: str) -> None:
    admin = psycopg2.connect(server_url("postgres"))
    try:
        admin.autocommit = True  # CREATE and DROP DATABASE run outside a transaction
        with admin.cursor() as cursor:
            cursor.execute(statement)
    finally:
        admin.close()


def count(url: str, table: str) -> int:
    with psycopg2.connect(url) as scratch, scratch.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - our table names
        (rows,) = cursor.fetchone()
    scratch.close()
    return int(rows)


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if PG_15.is_dir():  # the client tools of the server's major version (CI has the same)
        env["PG_BIN"] = str(PG_15)
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def scratch_database(transactional_db: None, settings: Any, tmp_path: Path) -> Iterator[str]:
    """A scratch copy (CREATE DATABASE ... TEMPLATE) of the test database with the demo data."""
    if not Organization.objects.exists():
        call_command("load_reference", verbosity=0)
    forget_reference()
    call_command("load_demo", verbosity=0)
    name = f"backup_check_{uuid.uuid4().hex[:12]}"
    template = connection.settings_dict["NAME"]
    connections.close_all()  # a template must have no other session
    admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield server_url(name)
    finally:
        admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_backup_is_restored_identical_after_the_wipe(scratch_database: str) -> None:
    entries, needs = Entry.objects.count(), Need.objects.count()
    assert entries > 10 and needs > 3

    completed = run_script(scratch_database)

    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("before: ") and "wiped: 0 tables" in lines
    assert lines[-1].endswith("contents and sequences identical")
    before, restored = lines[0].split(": ")[1], lines[-1].split(": ")[1]
    assert restored.startswith(before)
    # Counted independently of the script: the restored copy holds the demo data.
    assert count(scratch_database, Entry._meta.db_table) == entries
    assert count(scratch_database, Need._meta.db_table) == needs


def load_script() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("backup_restore_check", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_the_comparison_notices_a_changed_row(scratch_database: str) -> None:
    script = load_script()
    before = script.snapshot(scratch_database)
    with psycopg2.connect(scratch_database) as scratch, scratch.cursor() as cursor:
        cursor.execute(
            f"UPDATE \"{Entry._meta.db_table}\" SET title = title || '.' "  # noqa: S608
            f'WHERE id = (SELECT min(id) FROM "{Entry._meta.db_table}")'
        )
    scratch.close()
    after = script.snapshot(scratch_database)
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {f"table {Entry._meta.db_table}"}
    assert before[f"table {Entry._meta.db_table}"][0] == after[f"table {Entry._meta.db_table}"][0]


def test_bad_input_stops_the_script_with_a_clear_message_and_wipes_nothing(
    scratch_database: str,
) -> None:
    entries = count(scratch_database, Entry._meta.db_table)
    missing = run_script(scratch_database.rsplit("/", 1)[0] + "/no_such_database_here")
    assert missing.returncode == 2
    assert "Cannot read the database no_such_database_here" in missing.stderr
    not_postgres = run_script("sqlite:///var/exchange.sqlite3")
    assert not_postgres.returncode != 0
    assert "Not a PostgreSQL URL" in not_postgres.stderr
    broken_tools = subprocess.run(  # noqa: S603
        [sys.executable, str(SCRIPT), scratch_database],
        env={**os.environ, "PG_BIN": "/nonexistent"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert broken_tools.returncode != 0
    assert "pg_dump not found" in broken_tools.stderr
    assert count(scratch_database, Entry._meta.db_table) == entries
