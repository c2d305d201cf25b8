"""Storing what a partner source's connector reads: one page at a time, each in one transaction.

Modules: `records` (what a record becomes: mapping, content hash), `store` (one page in one
transaction), `rows` (COPY), `archive` (deletions and unseen entries), `run` (a whole run).

A page's records, the run's counts and heartbeat, and the source's checkpoint are committed
together (`PageStore.store`), so a run killed at any moment resumes from the last committed page
(`sync_run_execute` starts `connector.fetch` at the source's checkpoint): a page is stored wholly
or not at all, and storing it again is an upsert, so nothing is lost or duplicated.

Rules (issue 7, "Sync semantics"):

- **Upsert** by (source, external id). A record whose content hash (of the mapped record, after
  the source's field mapping) equals the stored one is *unchanged*: only its sighting moves
  (`EntrySighting`, a narrow row: `Entry.last_seen_at` reads it), the entry's row is not written.
- **New** entries are *submitted* for moderation, or *published* when the source has
  `publish_directly`.
- **Field ownership**: fields named in an entry's `locally_edited_fields` (a person changed them
  here: catalog/services.py) keep our value; where the source's value differs a `SyncConflict`
  is recorded (one open conflict per entry and field, holding the source's latest value).
- **Deletions** archive the entry (never a hard delete: matches keep pointing at it); a full
  pass over a feed that completes also archives the source's entries it did not list
  (`archive_unseen`). A pass is full when it starts from an empty checkpoint, or always for a
  connector with `complete_listing = True` (one that lists every record at each fetch, e.g. an
  IATI file). An entry archived this way comes back when its record does.
- **Providers** are found by (source, external id), then by `partners.dedup.find_organization_ids`,
  and created otherwise; a provider without a country that matches nothing is left out with a
  warning.
- **Reference codes** (countries, themes, SDG goals and targets) are resolved from tables read
  once per run; an unknown code fails that record only (a `SyncRecordError`), as does any other
  `RecordError`.
- Bulk statements: one per table and page, whatever the page's size. Signals are not sent, so
  the search change log, tombstones (the API's deletions feed) and `updated_at` are written here.

Speed (benchmarks/sync.py): an unchanged record costs its mapping, its hash and its share of one
statement per page (`_COMPARE_HASHES_SQL`, which also sights it); new and changed records go in
by COPY. For network feeds the next page is fetched while the current one is stored
(`read_ahead`), and the garbage collector runs less often during a run (`_FewerCollections`).
"""

from partners.sync.archive import archive_entries, archive_unseen
from partners.sync.records import (
    ENGINE_VERSION,
    M2M_FIELDS,
    RELATION_FIELDS,
    SCALAR_FIELDS,
    Counts,
    content_hash,
    normalized_name,
)
from partners.sync.run import READ_AHEAD, read_ahead, sync_run_execute
from partners.sync.store import PageStore, RunLost, _through

__all__ = [
    "ENGINE_VERSION",
    "M2M_FIELDS",
    "READ_AHEAD",
    "RELATION_FIELDS",
    "SCALAR_FIELDS",
    "Counts",
    "PageStore",
    "RunLost",
    "_through",
    "archive_entries",
    "archive_unseen",
    "content_hash",
    "normalized_name",
    "read_ahead",
    "sync_run_execute",
]
