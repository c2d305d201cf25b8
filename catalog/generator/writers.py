"""Storing generated rows in one transaction: COPY on PostgreSQL, `bulk_create` elsewhere."""

import datetime
import io
import itertools
import re
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.utils import timezone

from catalog.generator.entries import (
    ENTRY_COLUMNS,
    ENTRY_REFERENCE_LINKS,
    GeneratedEntry,
    iter_entries,
)
from catalog.generator.errors import GeneratorError
from catalog.generator.needs import NEED_COLUMNS, NEED_LINKS, GeneratedNeed, iter_needs
from catalog.generator.organizations import (
    ORGANIZATION_COLUMNS,
    GeneratedOrganization,
    generate_organizations,
    organization_count,
)
from catalog.generator.reference import reference_load
from catalog.models import Entry, EntryProvider, Organization
from matching.models import Need
from partners.models import PartnerSource
from search.changelog import log_entry_changes_for


def source_name(seed: int) -> str:
    return f"Synthetic data (seed {seed})"


@dataclass
class GenerationReport:
    seed: int
    method: str  # "copy" or "bulk_create"
    rows: dict[str, int]  # table name -> rows inserted
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


Progress = Callable[[str], None]


def catalogue_generate(
    *,
    entries: int,
    needs: int,
    seed: int,
    batch_size: int = 20_000,
    today: datetime.date | None = None,
    use_copy: bool | None = None,
    progress: Progress | None = None,
) -> GenerationReport:
    """Generate and store organizations, entries and needs for `seed`, in one transaction.

    `use_copy` defaults to COPY on PostgreSQL and `bulk_create` elsewhere. Refuses a seed that
    is already loaded: its rows would otherwise be stored twice. The time reported includes the
    commit, where PostgreSQL checks deferred constraints.
    """
    started = time.perf_counter()
    with transaction.atomic():
        method, rows = _generate(
            entries=entries,
            needs=needs,
            seed=seed,
            batch_size=batch_size,
            today=today,
            use_copy=use_copy,
            progress=progress,
        )
    return GenerationReport(
        seed=seed, method=method, rows=rows, seconds=time.perf_counter() - started
    )


def _generate(
    *,
    entries: int,
    needs: int,
    seed: int,
    batch_size: int,
    today: datetime.date | None,
    use_copy: bool | None,
    progress: Progress | None,
) -> tuple[str, dict[str, int]]:
    started = time.perf_counter()
    say = progress or (lambda message: None)
    if PartnerSource.objects.filter(name=source_name(seed)).exists():
        raise GeneratorError(
            f"Synthetic data for seed {seed} is already loaded (partner source "
            f"“{source_name(seed)}”). Use another --seed, or delete that source's rows first."
        )
    reference = reference_load()
    today = today or timezone.localdate()
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    source = PartnerSource.objects.create(
        name=source_name(seed), connector=PartnerSource.Connector.DEMO, enabled=False
    )
    writer: _Writer = (
        _CopyWriter(source.pk, batch_size, say)
        if use_copy
        else _OrmWriter(source.pk, batch_size, say)
    )
    organizations = generate_organizations(
        reference, seed=seed, count=organization_count(entries), today=today
    )
    writer.organizations(organizations)
    say(f"organizations: {len(organizations):,} ({time.perf_counter() - started:.1f} s)")
    writer.entries(
        iter_entries(reference, organizations, seed=seed, count=entries, today=today), entries
    )
    writer.needs(iter_needs(reference, seed=seed, count=needs, today=today), needs)
    writer.finish()
    # COPY bypasses the signals that log changes for the search index; log them in one
    # INSERT ... SELECT inside this transaction so every index copy catches up.
    log_entry_changes_for(Entry.objects.filter(source_id=source.pk))
    return ("copy" if use_copy else "bulk_create"), dict(writer.rows)


def _links(model: type[models.Model], name: str) -> tuple[type[models.Model], str, str]:
    """The through model of a many-to-many field and its two id columns."""
    m2m = model._meta.get_field(name)
    assert isinstance(m2m, models.ManyToManyField)
    through = m2m.remote_field.through
    assert through is not None and not isinstance(through, str)
    return through, m2m.m2m_column_name(), m2m.m2m_reverse_name()


class _Writer:
    def __init__(self, source_id: int, batch_size: int, say: Progress) -> None:
        self.source_id = source_id
        self.batch_size = max(1, batch_size)
        self.say = say
        self.rows: dict[str, int] = {}
        self.organization_ids: list[int] = []
        self.started = time.perf_counter()

    def count(self, model: type[models.Model], rows: int) -> None:
        table = model._meta.db_table
        self.rows[table] = self.rows.get(table, 0) + rows

    def report(self, what: str, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self.started
        self.say(f"{what}: {done:,}/{total:,} ({elapsed:.1f} s)")

    def organizations(self, rows: Sequence[GeneratedOrganization]) -> None:
        raise NotImplementedError

    def entries(self, rows: Iterator[GeneratedEntry], count: int) -> None:
        raise NotImplementedError

    def needs(self, rows: Iterator[GeneratedNeed], count: int) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        pass


class _OrmWriter(_Writer):
    """`bulk_create` in batches, for SQLite. `auto_now` fields get the time of the load."""

    def organizations(self, rows: Sequence[GeneratedOrganization]) -> None:
        objects = [
            Organization(
                source_id=self.source_id, **{c: getattr(o, c) for c in ORGANIZATION_COLUMNS}
            )
            for o in rows
        ]
        Organization.objects.bulk_create(objects, batch_size=self.batch_size)
        self.organization_ids = [o.pk for o in objects]
        self.count(Organization, len(objects))

    def entries(self, rows: Iterator[GeneratedEntry], count: int) -> None:
        done = 0
        while batch := list(itertools.islice(rows, self.batch_size)):
            objects = Entry.objects.bulk_create(
                [Entry(source_id=self.source_id, **row.model_fields()) for row in batch]
            )
            self.count(Entry, len(objects))
            for name in (*ENTRY_REFERENCE_LINKS, "member_organizations"):
                ids = self.organization_ids if name == "member_organizations" else None
                self._links(
                    Entry,
                    name,
                    [(o.pk, getattr(r, name)) for o, r in zip(objects, batch, strict=True)],
                    ids,
                )
            providers = [
                EntryProvider(entry_id=o.pk, organization_id=self.organization_ids[i], role=role)
                for o, r in zip(objects, batch, strict=True)
                for i, role in r.providers
            ]
            EntryProvider.objects.bulk_create(providers, batch_size=self.batch_size)
            self.count(EntryProvider, len(providers))
            done += len(batch)
            self.report("entries", done, count)

    def needs(self, rows: Iterator[GeneratedNeed], count: int) -> None:
        done = 0
        while batch := list(itertools.islice(rows, self.batch_size)):
            objects = Need.objects.bulk_create(
                [Need(source_id=self.source_id, **row.model_fields()) for row in batch]
            )
            self.count(Need, len(objects))
            for name in NEED_LINKS:
                self._links(
                    Need,
                    name,
                    [(o.pk, getattr(r, name)) for o, r in zip(objects, batch, strict=True)],
                )
            done += len(batch)
            self.report("needs", done, count)

    def _links(
        self,
        model: type[models.Model],
        name: str,
        pairs: list[tuple[int, list[int]]],
        target_ids: list[int] | None = None,
    ) -> None:
        through, column, reverse = _links(model, name)
        objects = [
            through(**{column: pk, reverse: t if target_ids is None else target_ids[t]})
            for pk, targets in pairs
            for t in targets
        ]
        through.objects.bulk_create(objects, batch_size=self.batch_size)  # type: ignore[attr-defined]
        self.count(through, len(objects))


# COPY's text format: tab-separated, \N for NULL, backslash escapes.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# psycopg2 reads the buffer in pieces of this size; large pieces keep the GIL hand-offs with the
# rendering thread rare.
_COPY_READ_SIZE = 8 * 1024 * 1024


_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")


def _copy_value(value: object) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE.search(value) else value
    if isinstance(value, datetime.date):  # and datetime
        return value.isoformat()
    return str(value)


_Rendered = list[tuple[str, Sequence[str], bytes, int]]  # (table, columns, data, rows)


class _CopyWriter(_Writer):
    """COPY FROM STDIN into every table, ids reserved from the tables' sequences.

    Rendering the next batch (pure Python) runs in a worker thread while PostgreSQL ingests the
    current one, so both cores are busy.
    """

    def __init__(self, source_id: int, batch_size: int, say: Progress) -> None:
        super().__init__(source_id, batch_size, say)
        self.cursor = connection.cursor()
        self.raw = self.cursor.cursor  # psycopg2's cursor, for copy_expert
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: at this scale the deferred
        # checks would pile up as millions of queued trigger events, all run at COMMIT. Checked
        # at the end of each COPY instead, they run while the next batch renders.
        self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def finish(self) -> None:
        # Fresh statistics so that the first queries on a million rows plan well.
        for table in self.rows:
            self.cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        self.cursor.close()

    def reserve_ids(self, model: type[models.Model], count: int) -> list[int]:
        """Ids from the table's own sequence, so rows inserted meanwhile by others never clash."""
        self.cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [connection.ops.quote_name(model._meta.db_table), count],
        )
        return [pk for (pk,) in self.cursor.fetchall()]

    def copy(self, rendered: _Rendered) -> None:
        for table, columns, data, rows in rendered:
            if not rows:
                continue
            sql = "COPY {} ({}) FROM STDIN".format(
                connection.ops.quote_name(table),
                ", ".join(connection.ops.quote_name(c) for c in columns),
            )
            self.raw.copy_expert(sql, io.BytesIO(data), size=_COPY_READ_SIZE)
            self.rows[table] = self.rows.get(table, 0) + rows

    def pipeline(
        self,
        model: type[models.Model],
        what: str,
        count: int,
        render: Callable[[list[int]], _Rendered],
    ) -> None:
        done = 0
        pending: Future[_Rendered] | None = None
        pending_size = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="generate") as pool:
            for start in range(0, count, self.batch_size):
                size = min(self.batch_size, count - start)
                future = pool.submit(render, self.reserve_ids(model, size))
                if pending is not None:
                    self.copy(pending.result())
                    done += pending_size
                    self.report(what, done, count)
                pending, pending_size = future, size
            if pending is not None:
                self.copy(pending.result())
                done += pending_size
                self.report(what, done, count)

    def organizations(self, rows: Sequence[GeneratedOrganization]) -> None:
        self.organization_ids = self.reserve_ids(Organization, len(rows))
        lines = [
            _line([*(getattr(o, c) for c in ORGANIZATION_COLUMNS), self.source_id, pk])
            for o, pk in zip(rows, self.organization_ids, strict=True)
        ]
        self.copy([_rendered(Organization, [*ORGANIZATION_COLUMNS, "source_id", "id"], lines)])

    def entries(self, rows: Iterator[GeneratedEntry], count: int) -> None:
        org_ids = self.organization_ids
        source_id = self.source_id
        links = {
            name: _links(Entry, name) for name in (*ENTRY_REFERENCE_LINKS, "member_organizations")
        }

        def render(ids: list[int]) -> _Rendered:
            batch = list(itertools.islice(rows, len(ids)))
            entry_lines = [
                _line([*(getattr(r, c) for c in ENTRY_COLUMNS), source_id, pk])
                for r, pk in zip(batch, ids, strict=True)
            ]
            rendered = [_rendered(Entry, [*ENTRY_COLUMNS, "source_id", "id"], entry_lines)]
            for name, (through, column, reverse) in links.items():
                if name == "member_organizations":
                    pairs = [
                        f"{pk}\t{org_ids[t]}\n"
                        for r, pk in zip(batch, ids, strict=True)
                        for t in r.member_organizations
                    ]
                else:
                    pairs = [
                        f"{pk}\t{t}\n"
                        for r, pk in zip(batch, ids, strict=True)
                        for t in getattr(r, name)
                    ]
                rendered.append(_rendered(through, [column, reverse], pairs))
            providers = [
                f"{pk}\t{org_ids[i]}\t{role}\n"
                for r, pk in zip(batch, ids, strict=True)
                for i, role in r.providers
            ]
            rendered.append(
                _rendered(EntryProvider, ["entry_id", "organization_id", "role"], providers)
            )
            return rendered

        self.pipeline(Entry, "entries", count, render)

    def needs(self, rows: Iterator[GeneratedNeed], count: int) -> None:
        links = {name: _links(Need, name) for name in NEED_LINKS}
        source_id = self.source_id

        def render(ids: list[int]) -> _Rendered:
            batch = list(itertools.islice(rows, len(ids)))
            need_lines = [
                _line([*(getattr(r, c) for c in NEED_COLUMNS), source_id, pk])
                for r, pk in zip(batch, ids, strict=True)
            ]
            rendered = [_rendered(Need, [*NEED_COLUMNS, "source_id", "id"], need_lines)]
            for name, (through, column, reverse) in links.items():
                pairs = [
                    f"{pk}\t{t}\n"
                    for r, pk in zip(batch, ids, strict=True)
                    for t in getattr(r, name)
                ]
                rendered.append(_rendered(through, [column, reverse], pairs))
            return rendered

        self.pipeline(Need, "needs", count, render)


def _line(values: Sequence[object]) -> str:
    return "\t".join(map(_copy_value, values)) + "\n"


def _rendered(
    model: type[models.Model], columns: Sequence[str], lines: list[str]
) -> tuple[str, Sequence[str], bytes, int]:
    return model._meta.db_table, columns, "".join(lines).encode(), len(lines)
