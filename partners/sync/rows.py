"""Plain rows into a table by COPY: the bulk of a harvest's writes."""

import datetime
import io
import json
import re
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")


def _copy_value(value: Any) -> str:
    """A value in COPY's text format."""
    if type(value) is int:
        return str(value)
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE.search(value) else value
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value).translate(_COPY_ESCAPES)
    return str(value)


class Rows:
    """Plain rows into a table: COPY on PostgreSQL (no model instances, no SQL to compile: the
    bulk of a harvest's time otherwise), `bulk_create` elsewhere. Rows skip the model's save()
    and signals, as `bulk_create` does."""

    def __init__(self) -> None:
        self.copy = connection.vendor == "postgresql"
        self._defaults: dict[type[models.Model], dict[str, Any]] = {}

    def reserve_ids(self, model: type[models.Model], count: int) -> list[int]:
        """Ids from the table's own sequence, so that rows others insert meanwhile never clash."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [connection.ops.quote_name(model._meta.db_table), count],
            )
            return [pk for (pk,) in cursor.fetchall()]

    def insert(
        self, model: type[models.Model], attnames: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        if not self.copy:
            model._default_manager.bulk_create(
                [model(**dict(zip(attnames, row, strict=True))) for row in rows]
            )
            return
        columns = {f.attname: f.column for f in model._meta.concrete_fields}
        data = "".join("\t".join(map(_copy_value, row)) + "\n" for row in rows)
        sql = "COPY {} ({}) FROM STDIN".format(
            connection.ops.quote_name(model._meta.db_table),
            ", ".join(connection.ops.quote_name(str(columns[name])) for name in attnames),
        )
        # The raw cursor's errors are psycopg2's: turned into Django's (DataError...) here.
        with connection.cursor() as cursor, connection.wrap_database_errors:
            cursor.cursor.copy_expert(sql, io.StringIO(data))  # type: ignore[attr-defined]

    def insert_dicts(
        self,
        model: type[models.Model],
        values: list[dict[str, Any]],
        ids: list[int],
        common: dict[str, Any],
    ) -> None:
        """Whole rows by COPY: every column, from `values` (the same keys in each), then
        `common` (the same for every row), then the field's default."""
        defaults = self._defaults.get(model)
        if defaults is None:
            defaults = {
                f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key
            }
            self._defaults[model] = defaults
        varying = list(values[0]) if values else []
        constant = {**defaults, **common}
        for name in varying:
            constant.pop(name, None)
        # The columns that are the same in every row are formatted once.
        tail = "\t".join(map(_copy_value, constant.values()))
        columns = {f.attname: f.column for f in model._meta.concrete_fields}
        data = "".join(
            "\t".join(map(_copy_value, v.values())) + f"\t{tail}\t{pk}\n"
            for v, pk in zip(values, ids, strict=True)
        )
        sql = "COPY {} ({}) FROM STDIN".format(
            connection.ops.quote_name(model._meta.db_table),
            ", ".join(
                connection.ops.quote_name(str(columns[name]))
                for name in [*varying, *constant, "id"]
            ),
        )
        # The raw cursor's errors are psycopg2's: turned into Django's (DataError...) here.
        with connection.cursor() as cursor, connection.wrap_database_errors:
            cursor.cursor.copy_expert(sql, io.StringIO(data))  # type: ignore[attr-defined]
