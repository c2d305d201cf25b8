"""The connector to another South-South Exchange portal, against a real copy of our API served
by Django's live server."""

import datetime
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from catalog import services
from catalog.models import Country, Entry, SdgGoal, Theme, Tombstone
from partners.connectors.base import Deletion, EntryRecord, OrganizationRecord
from partners.connectors.exchange import ExchangeConnector
from partners.connectors.http import Fetcher
from partners.models import PartnerSource
from tests.factories import EntryFactory, OrganizationFactory, StaffUserFactory
from tests.partners.connectors.conftest import harvest
from tests.partners.servers import LocalServer, Reply

# Only the tests against the live server need the database (and a real commit for it to see).
live = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reference_data(transactional_db: None) -> None:
    if not Country.objects.exists():
        call_command("load_reference", verbosity=0)


@pytest.fixture
def connector(make_source: Callable[..., PartnerSource], fetcher: Fetcher):
    def make(url: str, credentials: str = "") -> ExchangeConnector:
        return ExchangeConnector(make_source("exchange", url), fetcher, credentials=credentials)

    return make


def _an_hour_ago() -> None:
    """What exists now was changed long before the next run starts."""
    earlier = timezone.now() - datetime.timedelta(hours=1)
    Entry.objects.update(updated_at=earlier)
    Tombstone.objects.update(deleted_at=earlier)


@live
def test_another_portal_is_mirrored_with_its_changes_and_deletions(
    live_server, reference_data, connector, monkeypatch
) -> None:
    monkeypatch.setattr("partners.connectors.exchange.PAGE_SIZE", 2)
    staff: User = StaffUserFactory()
    centre = OrganizationFactory(name="Centre for Water Solutions")
    water = EntryFactory(
        providers=[centre],
        title="Fog nets",
        themes=[Theme.objects.get(code="ecosystem-management")],
        countries_applied=[Country.objects.get(iso3="PER")],
        countries_of_origin=[Country.objects.get(iso3="CHL")],
        sdg_goals=[SdgGoal.objects.get(number=6)],
    )
    others: list[Entry] = [EntryFactory(providers=[centre]) for _ in range(3)]
    EntryFactory(status=Entry.Status.DRAFT, title="Not published")
    _an_hour_ago()

    first = harvest(connector(live_server.url))
    assert first.failure is None and first.errors == []
    assert sorted(e.external_id for e in first.entries) == sorted(
        str(e.pk) for e in [water, *others]
    )
    # Deletions first (none yet), then two pages of two entries.
    assert [first.checkpoint_after(i)["phase"] for i in range(len(first.pages) - 1)] == [
        "entries",
        "entries",
    ]
    mapped = next(e for e in first.entries if e.external_id == str(water.pk))
    assert mapped == EntryRecord(
        external_id=str(water.pk),
        module="technology",
        kind="technology",
        titles={"en": "Fog nets"},
        summaries={"en": "Low-cost rainwater harvesting for smallholder farms."},
        bodies={"en": "Collecting and storing rain for dry-season irrigation."},
        language="en",
        countries_iso3=("PER",),
        origin_countries_iso3=("CHL",),
        theme_slugs=("ecosystem-management",),
        sdg_goals=(6,),
        providers=(
            OrganizationRecord(
                name="Centre for Water Solutions", external_id=str(centre.pk), role="lead"
            ),
        ),
        starts_on=None,
        source_modified=mapped.source_modified,
        source_url=live_server.url
        + reverse("catalog:entry_detail", kwargs={"module": "technology", "pk": water.pk}),
    )
    assert mapped.source_modified is not None
    since = first.checkpoint["since"]
    assert set(first.checkpoint) == {"since"}

    # On the other portal: one renamed, one archived, one deleted.
    services.entry_update(entry=others[0], by=staff, data={"title": "Renamed"})
    services.entry_archive(entry=others[1], by=staff)
    gone = others[2].pk
    others[2].delete()

    second = harvest(connector(live_server.url), {"since": since})
    assert second.failure is None
    assert set(second.deletions) == {Deletion(str(others[1].pk)), Deletion(str(gone))}
    assert [(e.external_id, e.titles) for e in second.entries] == [
        (str(others[0].pk), {"en": "Renamed"})
    ]
    # Deletions are read before changes, as the API asks of mirrors.
    kinds = [type(r).__name__ for r in second.records]
    assert kinds == ["Deletion", "Deletion", "EntryRecord"]


@live
def test_a_run_resumes_at_its_cursor(live_server, reference_data, connector, monkeypatch) -> None:
    monkeypatch.setattr("partners.connectors.exchange.PAGE_SIZE", 2)
    entries = [EntryFactory() for _ in range(5)]
    first = harvest(connector(live_server.url))
    assert [len(p.raw_records) for p in first.pages] == [0, 2, 2, 1]
    resumed = harvest(connector(live_server.url), first.checkpoint_after(1))
    assert [e.external_id for e in resumed.entries] == [str(e.pk) for e in entries[2:]]


def test_an_api_key_goes_as_a_bearer_token(connector) -> None:
    empty = Reply(200, b'{"next": null, "previous": null, "results": []}', "application/json")
    with LocalServer(lambda request: empty) as server:
        result = harvest(connector(server.url + "/api/v1/", credentials="key-123"))
    assert result.failure is None
    assert [r.path for r in server.requests] == ["/api/v1/deletions/", "/api/v1/entries/"]
    assert {r.headers["authorization"] for r in server.requests} == {"Bearer key-123"}


def test_a_next_link_to_another_host_is_refused(connector) -> None:
    body = b'{"next": "http://localhost:9/api/v1/deletions/?cursor=x", "results": []}'
    with LocalServer(lambda request: Reply(200, body, "application/json")) as server:
        result = harvest(connector(server.url))
    assert len(result.pages) == 1
    assert str(result.failure) == (
        "The portal's next page 'http://localhost:9/api/v1/deletions/?cursor=x' is on another "
        "host: refused."
    )


def test_a_server_that_is_not_a_portal_fails_the_run(connector) -> None:
    with LocalServer(lambda request: Reply(200, b'{"hello": 1}', "application/json")) as server:
        result = harvest(connector(server.url))
    assert str(result.failure) == (
        f"{server.url}/api/v1/deletions/?model=entry&page_size=100 did not answer as a "
        "South-South Exchange API list."
    )


def test_records_without_id_or_text_are_skipped(connector) -> None:
    exchange = connector("http://127.0.0.1:1")
    with pytest.raises(Exception) as no_id:
        exchange.map_record({"_feed": "entries", "title": "x"})
    assert str(no_id.value) == "A record from the portal has no id: skipped."
    with pytest.raises(Exception) as no_title:
        exchange.map_record({"_feed": "entries", "id": 7, "summary": "x"})
    assert str(no_title.value) == "Entry 7 from the portal has no title or summary."
