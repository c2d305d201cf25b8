"""A real, independent client: plain `requests` against a live server mirrors the public
catalogue with `updated_since` and the deletions feed, and ends with an identical copy after
creates, updates, archiving, deletion and publication."""

import datetime
from typing import Any

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from catalog import services
from catalog.models import Country, Entry
from tests.factories import EntryFactory, OrganizationFactory, StaffUserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reference_data(transactional_db: None) -> None:
    if not Country.objects.exists():
        call_command("load_reference", verbosity=0)


class Mirror:
    """What a partner's script would do: keep a copy of every published entry by id."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.entries: dict[int, dict[str, Any]] = {}
        self.since: str | None = None

    def _walk(self, url: str, params: dict[str, str]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url:
            response = self.session.get(next_url, params=params, timeout=10)
            assert response.status_code == 200, response.text
            body = response.json()
            rows += body["results"]
            next_url, params = body["next"], {}
        return rows

    def sync(self) -> None:
        # Changes committed while this sync runs are fetched again next time: upserts are
        # idempotent, so starting a little early is safe, and a little late would lose some.
        started = (timezone.now() - datetime.timedelta(seconds=2)).isoformat()
        since = {"since": self.since} if self.since else {}
        for gone in self._walk(f"{self.base}/api/v1/deletions/", {"model": "entry", **since}):
            self.entries.pop(gone["id"], None)
        params = {"page_size": "2", **({"updated_since": self.since} if self.since else {})}
        for row in self._walk(f"{self.base}/api/v1/entries/", params):
            self.entries[row["id"]] = row
        self.since = started


def _fresh_copy(base: str) -> dict[int, dict[str, Any]]:
    mirror = Mirror(base)
    mirror.sync()
    return mirror.entries


def test_a_requests_client_mirrors_the_catalogue_exactly(live_server, reference_data):
    staff: User = StaffUserFactory()
    centre = OrganizationFactory(name="Centre")
    kept = EntryFactory(providers=[centre], title="Kept")
    renamed: Entry = EntryFactory(providers=[centre], title="Before")
    to_archive: Entry = EntryFactory(providers=[centre])
    to_delete = EntryFactory(providers=[centre])
    later: Entry = EntryFactory(
        providers=[centre], status=Entry.Status.DRAFT, title="Published later"
    )

    mirror = Mirror(live_server.url)
    mirror.sync()
    assert set(mirror.entries) == {kept.pk, renamed.pk, to_archive.pk, to_delete.pk}

    created = EntryFactory(providers=[centre], title="New")
    services.entry_update(entry=renamed, by=staff, data={"title": "After"})
    services.entry_archive(entry=to_archive, by=staff)
    to_delete.delete()
    services.entry_publish(entry=later, by=staff)

    mirror.sync()
    assert mirror.entries == _fresh_copy(live_server.url)
    assert set(mirror.entries) == {kept.pk, renamed.pk, created.pk, later.pk}
    assert mirror.entries[renamed.pk]["title"] == "After"
    published = set(Entry.objects.published().values_list("pk", flat=True))
    assert set(mirror.entries) == published

    # Republishing an archived entry brings it back; nothing else changes.
    services.entry_publish(entry=to_archive, by=staff)
    mirror.sync()
    assert mirror.entries == _fresh_copy(live_server.url)
    assert to_archive.pk in mirror.entries
