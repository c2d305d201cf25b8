"""What every connector gives the sync engine (partners/sync/): pages of mapped records.

A connector knows one protocol (IATI XML, OAI-PMH, CKAN, another portal's API, a spreadsheet).
`fetch(checkpoint)` reads the source's changes since a checkpoint and yields them a page at a
time, each page with the checkpoint to resume from after it, so that a run killed half-way
starts again at the last committed page and memory stays flat whatever the feed's size.
`map_record` turns one raw record into what the engine stores, or raises `RecordError`.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol


class FeedError(Exception):
    """The feed as a whole cannot be read: the run fails with this message. `retryable` errors
    (a network error, a timeout, HTTP 5xx or 429) are retried with backoff; the others (HTTP 4xx,
    XML that does not parse, a protocol error, a size limit) fail the run at once."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class RecordError(Exception):
    """One record is unusable; the run skips it, records the message and goes on."""

    def __init__(self, message: str, *, external_id: str = "") -> None:
        super().__init__(message)
        self.external_id = external_id


@dataclass(frozen=True)
class OrganizationRecord:
    """An organization as the source describes it. `role` is its role in an entry
    (catalog.EntryProvider.Role values) when it comes inside an EntryRecord."""

    name: str
    external_id: str = ""  # e.g. an IATI organisation identifier, a CKAN organization id
    acronym: str = ""
    country_iso3: str = ""
    website: str = ""
    type: str = ""  # catalog.Organization.Type value, "" when unknown
    description: str = ""
    role: str = "lead"


@dataclass(frozen=True)
class EntryRecord:
    """A catalogue entry as the source describes it. Texts are per language code (one of the
    portal's content languages where the source gives one); the engine stores the source's
    main language in the entry and the others as translations."""

    external_id: str
    module: str  # catalog.Module value
    kind: str  # catalog.Kind value
    titles: dict[str, str]
    summaries: dict[str, str]
    language: str  # the main language of titles/summaries
    bodies: dict[str, str] = field(default_factory=dict)
    countries_iso3: tuple[str, ...] = ()  # where it was applied / the recipient countries
    origin_countries_iso3: tuple[str, ...] = ()
    region_m49: tuple[str, ...] = ()
    theme_slugs: tuple[str, ...] = ()
    sdg_goals: tuple[int, ...] = ()
    sdg_targets: tuple[str, ...] = ()  # "6.1"
    providers: tuple[OrganizationRecord, ...] = ()
    links: tuple[tuple[str, str], ...] = ()  # (url, label)
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None
    source_modified: datetime.datetime | None = None
    source_url: str = ""  # where a person can see the record at the source


@dataclass(frozen=True)
class Deletion:
    """The source deleted (or withdrew) this record: the engine archives the entry."""

    external_id: str


@dataclass
class Page:
    """Raw records in the order read, and where to resume after they are stored. `checkpoint`
    is JSON-serialisable; None means the feed is exhausted."""

    raw_records: list[Any]
    checkpoint: dict[str, Any] | None


class Connector(Protocol):
    def fetch(self, checkpoint: dict[str, Any]) -> Iterator[Page]: ...

    def map_record(self, raw: Any) -> EntryRecord | OrganizationRecord | Deletion: ...
