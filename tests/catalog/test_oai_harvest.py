"""An independent harvester, Sickle (PyPI), harvests the OAI-PMH provider of a live server on
127.0.0.1: whole lists across resumption tokens, sets, incremental harvests with `from`,
deleted records, GET and POST, and each protocol error as Sickle reports it."""

import datetime
import time
from typing import Any

import pytest
from django.core.management import call_command
from pytest_django.live_server_helper import LiveServer
from sickle import Sickle, oaiexceptions
from sickle.iterator import OAIResponseIterator

from catalog.models import Country, Entry, Theme
from tests.factories import EntryFactory, OrganizationFactory, country


@pytest.fixture
def reference_data(transactional_db: None) -> None:
    """A transactional test starts from an empty database when another emptied it."""
    if not Country.objects.exists():
        call_command("load_reference", verbosity=0)


@pytest.fixture
def endpoint(live_server: LiveServer, reference_data: None, settings: Any) -> str:
    settings.OAI_PAGE_SIZE = 2
    settings.OAI_REPOSITORY_IDENTIFIER = "exchange.example.org"
    settings.SITE_URL = "https://exchange.example.org"
    return live_server.url + "/oai/"


def oai_id(entry: Any) -> str:
    return f"oai:exchange.example.org:entry/{entry.pk}"


@pytest.fixture
def catalogue() -> dict[str, Entry]:
    climate = Theme.objects.get(code="climate-change")
    ecosystems = Theme.objects.get(code="ecosystem-management")
    provider = OrganizationFactory(name="Asian Institute of Technology", country=country("THA"))
    entries = {
        "solar": EntryFactory(title="Solar pumps", themes=[climate], providers=[provider]),
        "mangroves": EntryFactory(
            module=Entry.Module.EXPERIENCE,
            kind=Entry.Kind.CASE_STUDY,
            title="Restauración de manglares",
            language="es",
            themes=[ecosystems, climate],
            countries_applied=[country("ECU")],
        ),
        "workshop": EntryFactory(
            module=Entry.Module.EVENT,
            kind=Entry.Kind.WORKSHOP,
            title="Early-warning workshop",
            starts_on=datetime.date(2027, 2, 1),
            venue_country=country("THA"),
        ),
    }
    for n in range(4):
        entries[f"technology-{n}"] = EntryFactory(title=f"Technology {n}")
    EntryFactory(status=Entry.Status.DRAFT, title="Draft, never harvested")
    return entries


def test_sickle_harvests_every_record_across_resumption_tokens(
    endpoint: str, catalogue: dict[str, Entry]
) -> None:
    for method in ("GET", "POST"):
        sickle = Sickle(endpoint, http_method=method)
        records = list(sickle.ListRecords(metadataPrefix="oai_dc"))

        assert sorted(r.header.identifier for r in records) == sorted(
            oai_id(e) for e in catalogue.values()
        )
        assert not any(r.header.deleted for r in records)
        by_id = {r.header.identifier: r for r in records}
        mangroves = by_id[oai_id(catalogue["mangroves"])]
        assert mangroves.metadata["title"] == ["Restauración de manglares"]
        assert mangroves.metadata["language"] == ["es"]
        assert mangroves.metadata["coverage"] == ["Ecuador"]
        assert mangroves.metadata["type"] == ["Experience", "Case study"]
        assert mangroves.header.setSpecs == [
            "module:experience",
            "theme:climate-change",
            "theme:ecosystem-management",
        ]
        solar = by_id[oai_id(catalogue["solar"])]
        assert solar.metadata["creator"] == ["Asian Institute of Technology"]
        assert solar.metadata["identifier"] == [
            f"https://exchange.example.org/technologies/{catalogue['solar'].pk}/"
        ]

    # Seven records, two a page: four responses, the last with an empty token.
    pages = list(
        Sickle(endpoint, iterator=OAIResponseIterator).ListIdentifiers(metadataPrefix="oai_dc")
    )
    assert len(pages) == 4
    last = pages[-1].xml.find(".//{http://www.openarchives.org/OAI/2.0/}resumptionToken")
    assert last is not None and not last.text
    assert last.get("completeListSize") == "7" and last.get("cursor") == "6"


def test_sickle_harvests_a_set(endpoint: str, catalogue: dict[str, Entry]) -> None:
    sickle = Sickle(endpoint)
    climate = [
        h.identifier
        for h in sickle.ListIdentifiers(metadataPrefix="oai_dc", set="theme:climate-change")
    ]
    assert sorted(climate) == sorted([oai_id(catalogue["solar"]), oai_id(catalogue["mangroves"])])
    technologies = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="module:technology"))
    assert len(technologies) == 5
    sets = {s.setSpec: s.setName for s in sickle.ListSets()}
    assert sets["module:event"] == "Event"
    assert sets["theme:ecosystem-management"] == "Ecosystem management"


def test_incremental_harvest_brings_changes_and_deletions(
    endpoint: str, catalogue: dict[str, Entry]
) -> None:
    # `from` is inclusive to the second: harvest in a second later than the catalogue's making,
    # so that the next harvest brings only what changes after this one (as a harvester would
    # also receive again what changed in the second of its last harvest).
    time.sleep(1.01 - time.time() % 1)
    sickle = Sickle(endpoint)
    first = sickle.ListRecords(metadataPrefix="oai_dc")
    harvested_at = first.oai_response.xml.findtext(
        "{http://www.openarchives.org/OAI/2.0/}responseDate"
    )
    assert len(list(first)) == 7

    archived, deleted, changed = (
        catalogue["workshop"],
        catalogue["technology-0"],
        catalogue["solar"],
    )
    archived.status = Entry.Status.ARCHIVED
    archived.save()
    deleted_id = oai_id(deleted)
    deleted.delete()
    changed.title = "Solar pumps, second edition"
    changed.save()

    later = list(sickle.ListRecords(metadataPrefix="oai_dc", **{"from": harvested_at}))
    by_id = {r.header.identifier: r for r in later}
    assert set(by_id) == {oai_id(archived), deleted_id, oai_id(changed)}
    assert by_id[oai_id(archived)].header.deleted
    assert by_id[deleted_id].header.deleted
    assert by_id[oai_id(changed)].metadata["title"] == ["Solar pumps, second edition"]
    # A harvester that skips deletions gets the change only.
    live = list(
        sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=True, **{"from": harvested_at})
    )
    assert [r.header.identifier for r in live] == [oai_id(changed)]
    # Deleted records stay (deletedRecord "persistent"). An archived entry stays in its sets; a
    # deleted one, whose sets are no longer known, is reported in every set.
    events = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="module:event"))
    assert {(h.identifier, h.deleted) for h in events} == {
        (oai_id(archived), True),
        (deleted_id, True),
    }
    climate = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="theme:climate-change"))
    assert {h.identifier for h in climate} == {
        oai_id(changed),
        oai_id(catalogue["mangroves"]),
        deleted_id,
    }
    record = sickle.GetRecord(identifier=deleted_id, metadataPrefix="oai_dc")
    assert record.header.deleted and not hasattr(record, "metadata")


def test_sickle_reads_identify_formats_and_one_record(
    endpoint: str, catalogue: dict[str, Entry]
) -> None:
    sickle = Sickle(endpoint)
    identify = sickle.Identify()
    assert identify.protocolVersion == "2.0"
    assert identify.deletedRecord == "persistent"
    assert identify.granularity == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.baseURL == endpoint
    assert [f.metadataPrefix for f in sickle.ListMetadataFormats()] == ["oai_dc"]
    record = sickle.GetRecord(identifier=oai_id(catalogue["mangroves"]), metadataPrefix="oai_dc")
    assert record.metadata["title"] == ["Restauración de manglares"]


def test_sickle_reports_each_protocol_error(endpoint: str, catalogue: dict[str, Entry]) -> None:
    sickle = Sickle(endpoint)
    with pytest.raises(oaiexceptions.BadArgument):
        list(sickle.ListRecords(metadataPrefix="oai_dc", **{"from": "last week"}))
    with pytest.raises(oaiexceptions.BadArgument):
        list(sickle.ListRecords())
    with pytest.raises(oaiexceptions.CannotDisseminateFormat):
        list(sickle.ListRecords(metadataPrefix="marc21"))
    with pytest.raises(oaiexceptions.IdDoesNotExist):
        sickle.GetRecord(
            identifier="oai:exchange.example.org:entry/987654321", metadataPrefix="oai_dc"
        )
    with pytest.raises(oaiexceptions.NoRecordsMatch):
        list(sickle.ListRecords(metadataPrefix="oai_dc", set="module:network"))
    with pytest.raises(oaiexceptions.NoRecordsMatch):
        list(sickle.ListRecords(metadataPrefix="oai_dc", **{"from": "2999-01-01"}))
    with pytest.raises(oaiexceptions.BadResumptionToken):
        list(sickle.ListRecords(resumptionToken="made-up"))
    # Sickle raises only for the verbs it knows; a bad verb comes back as an error element.
    response = sickle.harvest(verb="ListEverything")
    error = response.xml.find("{http://www.openarchives.org/OAI/2.0/}error")
    assert error is not None and error.get("code") == "badVerb"
    assert response.http_response.headers["Content-Type"] == "text/xml; charset=utf-8"
