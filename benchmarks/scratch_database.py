"""The throwaway PostgreSQL database each benchmark creates beside DATABASE_URL and drops."""

import os
import sys
from dataclasses import dataclass
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
