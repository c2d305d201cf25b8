from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from partners.connectors.base import (
    Connector,
    Deletion,
    EntryRecord,
    FeedError,
    OrganizationRecord,
    Page,
    RecordError,
)
from partners.connectors.http import Fetcher, FetchLimits
from partners.models import PartnerSource
from tests.factories import PartnerSourceFactory


@dataclass
class Harvest:
    """What a run of a connector gave: its pages, the mapped records, the record errors, and
    the feed error that stopped it, if any."""

    pages: list[Page] = field(default_factory=list)
    records: list[EntryRecord | OrganizationRecord | Deletion] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    failure: FeedError | None = None

    @property
    def checkpoint(self) -> dict[str, Any]:
        """The last page's checkpoint: where the next run starts."""
        assert self.pages and self.pages[-1].checkpoint is not None
        return self.pages[-1].checkpoint

    def checkpoint_after(self, index: int) -> dict[str, Any]:
        checkpoint = self.pages[index].checkpoint
        assert checkpoint is not None
        return checkpoint

    @property
    def entries(self) -> list[EntryRecord]:
        return [r for r in self.records if isinstance(r, EntryRecord)]

    @property
    def deletions(self) -> list[Deletion]:
        return [r for r in self.records if isinstance(r, Deletion)]


def harvest(connector: Connector, checkpoint: dict[str, Any] | None = None) -> Harvest:
    """Run `connector` as the sync engine does, page by page, keeping what came before a
    FeedError."""
    result = Harvest()
    try:
        for page in connector.fetch(checkpoint or {}):
            result.pages.append(page)
            for raw in page.raw_records:
                try:
                    result.records.append(connector.map_record(raw))
                except RecordError as exc:
                    result.errors.append(exc)
    except FeedError as exc:
        result.failure = exc
    return result


@pytest.fixture
def limits() -> FetchLimits:
    """Small limits, so that hostile servers hit them quickly."""
    return FetchLimits(connect_timeout=2, read_timeout=2, total_seconds=5, max_bytes=1024 * 1024)


@pytest.fixture
def make_source() -> Callable[..., PartnerSource]:
    def make(connector: str, endpoint: str, **mapping: Any) -> PartnerSource:
        source: PartnerSource = PartnerSourceFactory.build(connector=connector, endpoint=endpoint)
        source.field_mapping = mapping
        return source

    return make


@pytest.fixture
def fetcher(limits: FetchLimits) -> Fetcher:
    return Fetcher(limits=limits)
