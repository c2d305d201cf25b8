"""The throwaway PostgreSQL database each benchmark creates beside DATABASE_URL and drops."""

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg2
from psycopg2 import sql


@dataclass(frozen=True)
class PostgresServer:
    url: str  # DATABASE_URL as given: its database is used for CREATE/DROP only
    maintenance_db: str
    connect: dict[str, Any]

    def url_for(self, name: str) -> str:
        return self.url.rsplit("/", 1)[0] + "/" + name


def server_from_env() -> PostgresServer:
    """The PostgreSQL server of DATABASE_URL; exits with a clear message for anything else."""
    url = os.environ.get("DATABASE_URL", "")
    config = dj_database_url.parse(url) if url else {}
    if config.get("ENGINE") != "django.db.backends.postgresql":
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1/postgres"
        )
    return PostgresServer(
        url=url,
        maintenance_db=config.get("NAME") or "postgres",
        connect={
            "host": config.get("HOST") or None,
            "port": config.get("PORT") or None,
            "user": config.get("USER") or None,
            "password": config.get("PASSWORD") or None,
        },
    )


def recreate_database(server: PostgresServer, name: str, *, drop_only: bool = False) -> None:
    connection = psycopg2.connect(dbname=server.maintenance_db, **server.connect)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()


@contextmanager
def scratch_run(
    server: PostgresServer, name: str, *, prefix: str, keep: bool = False
) -> Iterator[tuple[str, Path]]:
    """A fresh database `name` on `server` and a temporary folder for index copies, as
    (database URL, folder); both are dropped afterwards, also when the run fails, unless `keep`."""
    index_root = Path(tempfile.mkdtemp(prefix=prefix))
    recreate_database(server, name)
    try:
        yield server.url_for(name), index_root
    finally:
        if not keep:
            close_django_connections()
            recreate_database(server, name, drop_only=True)
            shutil.rmtree(index_root, ignore_errors=True)
            print(f"Dropped database {name} and {index_root}.", flush=True)


def setup_django() -> None:
    """Django with the development defaults (no SECRET_KEY needed); the benchmarks run the
    search indexer themselves, so nothing catches the index up on commit behind their back."""
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
    os.environ["SEARCH_CATCH_UP_ON_COMMIT"] = "0"
    import django

    django.setup()


def close_django_connections() -> None:
    """Close Django's connections (if Django was set up), so that the database can be dropped."""
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()
