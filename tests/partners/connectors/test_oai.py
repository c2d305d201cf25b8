"""The OAI-PMH client against a real repository built with the `oaipmh` library (PyPI) and a
replay of sickle's sample responses (tests/fixtures/partners/oai-pmh/, BSD)."""

import datetime
from collections.abc import Callable, Iterator

import pytest
from django.utils import timezone

from partners.connectors.base import Deletion, EntryRecord, OrganizationRecord
from partners.connectors.http import Fetcher
from partners.connectors.oai import OaiPmhConnector, OaiRecord
from partners.models import PartnerSource
from tests.partners.connectors.conftest import harvest
from tests.partners.servers import (
    LocalServer,
    Reply,
    Request,
    Stored,
    fixture,
    oai_library_routes,
    oai_replay_routes,
    sickle_records,
)

pytestmark = pytest.mark.django_db


def _more_records() -> list[Stored]:
    """Three more records in the shapes DSpace gives, to page through."""
    return [
        Stored(
            identifier=f"oai:repository.example.org:{n}",
            datestamp=datetime.datetime(2024, 3, n, 9, 30),  # noqa: DTZ001 (oaipmh: naive UTC)
            deleted=False,
            sets=["theses"] if n != 2 else [],
            fields={
                "title": [f"Rainwater harvesting in dry lands, part {n}"],
                "description": ["Lessons from community-managed rainwater harvesting."],
                "identifier": [f"https://repository.example.org/handle/1/{n}", f"urn:x:{n}"],
                "subject": ["Ecosystem management", "rainwater"],
                "coverage": ["Kenya", "Éthiopie"],  # an English and a French UN name
                "publisher": ["Kenya Forestry Research Institute"],
                "date": ["2024-03-01"],
                "language": ["eng"],
            },
        )
        for n in (1, 2, 3)
    ]


@pytest.fixture
def repository() -> Iterator[LocalServer]:
    with LocalServer(oai_library_routes(sickle_records() + _more_records(), batch_size=2)) as s:
        yield s


@pytest.fixture
def connector(make_source: Callable[..., PartnerSource], fetcher: Fetcher):
    def make(url: str, **mapping) -> OaiPmhConnector:
        return OaiPmhConnector(make_source("oai-pmh", url, **mapping), fetcher)

    return make


def test_a_full_harvest_follows_resumption_tokens_of_a_real_repository(
    repository, connector
) -> None:
    result = harvest(connector(repository.url + "/oai"))
    assert result.failure is None and result.errors == []
    # Five records, two per page: three pages, the last without a token.
    assert [len(p.raw_records) for p in result.pages] == [2, 2, 1]
    assert [bool(p.checkpoint.get("token")) for p in result.pages] == [True, True, False]
    assert result.deletions == [Deletion("oai:test.example.com:1585310")]
    by_id = {e.external_id: e for e in result.entries}
    assert set(by_id) == {
        "oai:test.example.com:1585322",
        "oai:repository.example.org:1",
        "oai:repository.example.org:2",
        "oai:repository.example.org:3",
    }
    sample = by_id["oai:test.example.com:1585322"]
    assert sample.titles == {"en": "Sample Title"}
    assert sample.summaries["en"].startswith("Lorem ipsum dolor sit amet")
    assert sample.links == (("http://test.example.com/publication/1585322", ""),)
    assert sample.providers == (OrganizationRecord(name="Sample Publisher", role="lead"),)
    assert sample.starts_on is None  # dc:date "2010" is not a day
    assert sample.source_modified == datetime.datetime(2011, 1, 10, 10, 19, 23, tzinfo=datetime.UTC)
    mine = by_id["oai:repository.example.org:2"]
    assert mine.theme_slugs == ("ecosystem-management",)  # "rainwater" is not a theme
    assert mine.countries_iso3 == ("KEN", "ETH")
    assert mine.source_url == "https://repository.example.org/handle/1/2"
    assert mine.starts_on == datetime.date(2024, 3, 1)
    assert (mine.module, mine.kind) == ("experience", "case-study")
    requests = [r.query for r in repository.requests]
    assert requests[0] == {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
    assert requests[1]["verb"] == "ListRecords" and "resumptionToken" in requests[1]


def test_the_next_run_asks_from_the_repository_date_at_the_granularity_it_gives(
    repository, connector
) -> None:
    done = harvest(connector(repository.url + "/oai")).checkpoint
    assert set(done) == {"from"}
    assert done["from"].startswith(timezone.now().strftime("%Y-%m-%d"))
    again = harvest(connector(repository.url + "/oai"), done)
    # Nothing changed since: noRecordsMatch is an empty harvest, not an error.
    assert again.failure is None and again.records == []
    assert [p.checkpoint for p in again.pages] == [{"from": again.checkpoint_after(0)["from"]}]
    identify, listing = [r.query for r in repository.requests[-2:]]
    assert identify == {"verb": "Identify"}
    assert listing == {
        "verb": "ListRecords",
        "metadataPrefix": "oai_dc",
        "from": done["from"][:10],  # the repository counts in days
    }


def test_the_set_comes_from_the_source_mapping(repository, connector) -> None:
    result = harvest(connector(repository.url + "/oai", oai_set="theses"))
    assert [e.external_id for e in result.entries] == [
        "oai:repository.example.org:1",
        "oai:repository.example.org:3",
    ]
    assert repository.requests[0].query["set"] == "theses"


def test_a_kind_from_the_mapping_is_used(repository, connector) -> None:
    result = harvest(connector(repository.url + "/oai", kind="lessons-learned"))
    assert {e.kind for e in result.entries} == {"lessons-learned"}


def test_a_run_resumes_at_its_stored_token(repository, connector) -> None:
    first = harvest(connector(repository.url + "/oai"))
    resumed = harvest(connector(repository.url + "/oai"), first.checkpoint_after(0))
    assert [r.external_id for r in resumed.records] == [r.external_id for r in first.records[2:]]


def test_sickle_samples_token_chain_and_deleted_records(connector) -> None:
    with LocalServer(oai_replay_routes()) as server:
        result = harvest(connector(server.url))
    assert [p.checkpoint for p in result.pages] == [
        {"from": "", "token": "ListRecords2.xml", "next_from": "2013-02-27T09:10:56Z"},
        {"from": "", "token": "ListRecords3.xml", "next_from": "2013-02-27T09:10:56Z"},
        {"from": "", "token": "ListRecords4.xml", "next_from": "2013-02-27T09:10:56Z"},
        {"from": "2013-02-27T09:10:56Z"},
    ]
    assert len(result.deletions) == 3 and len(result.entries) == 4
    # The last sample's deleted record has neither identifier nor datestamp.
    assert [str(e) for e in result.errors] == [
        "An OAI-PMH record has no identifier in its header: skipped."
    ]
    # xml:lang="eng" on the description is English.
    assert set(result.entries[0].summaries) == {"en"}


def test_an_expired_token_restarts_the_list_when_resuming(connector) -> None:
    routes = oai_replay_routes(files={"expired": fixture("oai-pmh/badResumptionToken.xml")})
    with LocalServer(routes) as server:
        result = harvest(connector(server.url), {"from": "", "token": "expired"})
    assert result.failure is None and len(result.records) == 7 and len(result.errors) == 1
    assert [r.query.get("resumptionToken") for r in server.requests] == [
        "expired",
        None,
        "ListRecords2.xml",
        "ListRecords3.xml",
        "ListRecords4.xml",
    ]


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        ("badArgument.xml", "badArgument"),
        ("badResumptionToken.xml", "badResumptionToken: This resumptionToken is invalid"),
        ("cannotDisseminateFormat.xml", "cannotDisseminateFormat"),
        (
            "idDoesNotExist.xml",
            "idDoesNotExist: oai:lcoa1.loc.gov:loc.rbc/rbpe.00000111 has the structure of a "
            "valid LOC identifier, but it maps to no known item",
        ),
        (
            "noSetHierarchy.xml",
            "noSetHierarchy: This repository does not support sets",
        ),
        ("undefinedError.xml", "undefinedError"),
    ],
)
def test_every_protocol_error_fails_the_run_with_its_code_and_text(
    connector, sample: str, message: str
) -> None:
    # The first page is fine; the second answers with the error.
    routes = oai_replay_routes(files={"ListRecords2.xml": fixture(f"oai-pmh/{sample}")})
    with LocalServer(routes) as server:
        result = harvest(connector(server.url))
    assert len(result.pages) == 1 and len(result.records) == 2
    assert result.failure is not None and not result.failure.retryable
    assert str(result.failure) == f"The OAI-PMH repository refused ListRecords: {message}"


def test_no_records_match_is_an_empty_success(connector) -> None:
    with LocalServer(oai_replay_routes("noRecordsMatch.xml")) as server:
        result = harvest(connector(server.url))
    assert result.failure is None and result.records == []
    assert len(result.pages) == 1


def test_the_same_token_twice_is_a_loop(connector) -> None:
    looping = fixture("oai-pmh/ListRecords2.xml").replace(b"ListRecords3.xml", b"ListRecords2.xml")
    with LocalServer(oai_replay_routes(files={"ListRecords2.xml": looping})) as server:
        result = harvest(connector(server.url))
    # The page that repeats the token is not stored: its checkpoint would loop.
    assert len(result.pages) == 1 and len(server.requests) == 2
    assert str(result.failure) == (
        "The OAI-PMH repository sent the resumption token 'ListRecords2.xml' twice: "
        "a loop, harvest stopped."
    )


def test_endless_fresh_tokens_stop_at_the_page_limit(connector, settings) -> None:
    settings.PARTNER_FETCH_MAX_PAGES = 5
    template = fixture("oai-pmh/ListRecords.xml")

    def endless_tokens(request: Request) -> Reply:
        token = request.query.get("resumptionToken", "t0")
        following = f"t{int(token[1:]) + 1}".encode()
        return Reply(200, template.replace(b"ListRecords2.xml", following), "text/xml")

    with LocalServer(endless_tokens) as server:
        result = harvest(connector(server.url))
    assert len(result.pages) == 4 and len(server.requests) == 5
    assert str(result.failure) == (
        "The OAI-PMH repository still sent a resumption token after 5 pages "
        "(PARTNER_FETCH_MAX_PAGES): harvest stopped as a loop."
    )


def test_a_broken_response_fails_the_run(connector) -> None:
    with LocalServer(oai_replay_routes("ListRecordsBroken.xml")) as server:
        result = harvest(connector(server.url))
    assert result.pages == []
    assert str(result.failure) == (
        f"The OAI-PMH response to ListRecords from {server.url} is not well-formed XML: "
        "Start tag expected, '<' not found, line 1, column 1. It does not start like an XML "
        "document."
    )


def test_entity_tricks_in_a_response_are_refused(connector) -> None:
    hostile = (
        fixture("oai-pmh/ListRecords.xml")
        .replace(
            b'<?xml version="1.0" encoding="UTF-8"?>',
            b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<!DOCTYPE OAI-PMH [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        )
        .replace(b"Sample Title", b"&xxe;")
    )
    with LocalServer(oai_replay_routes(files={"ListRecords.xml": hostile})) as server:
        result = harvest(connector(server.url))
    assert result.records == []
    assert "declares a DTD (<!DOCTYPE>)" in str(result.failure)


def test_json_instead_of_oai_pmh_fails_the_run(connector) -> None:
    reply = Reply(200, b'{"error": "use our JSON API"}', "application/json")
    with LocalServer(lambda request: reply) as server:
        result = harvest(connector(server.url))
    assert str(result.failure) == (
        f"{server.url}?verb=ListRecords&metadataPrefix=oai_dc sent JSON (application/json) "
        "where XML was expected."
    )


def test_records_without_identifier_or_metadata_are_skipped(repository, connector) -> None:
    oai = connector(repository.url + "/oai")
    record = fixture("oai-pmh/GetRecord.xml")
    start, end = record.index(b"<record>"), record.index(b"</record>") + len(b"</record>")
    with pytest.raises(Exception) as missing_id:
        oai.map_record(OaiRecord("", "2011-01-01", False, record[start:end]))
    assert str(missing_id.value) == "An OAI-PMH record has no identifier in its header: skipped."
    no_metadata = b'<record xmlns="http://www.openarchives.org/OAI/2.0/"><header/></record>'
    with pytest.raises(Exception) as empty:
        oai.map_record(OaiRecord("oai:x:1", "2011-01-01", False, no_metadata))
    assert str(empty.value) == "OAI-PMH record oai:x:1 has no oai_dc metadata."


def test_an_identifier_less_record_in_a_listing_is_a_record_error(connector) -> None:
    # sickle's ListRecords4.xml: a deleted record whose header has no identifier.
    with LocalServer(oai_replay_routes("ListRecords4.xml")) as server:
        result = harvest(connector(server.url))
    assert result.failure is None
    assert [str(e) for e in result.errors] == [
        "An OAI-PMH record has no identifier in its header: skipped."
    ]
    assert [r.external_id for r in result.entries] == ["oai:test.example.com:1585322"]


def test_the_utf8_sample_keeps_its_characters(repository, connector) -> None:
    record = fixture("oai-pmh/GetRecord_utf8test.xml")
    start, end = record.index(b"<record>"), record.index(b"</record>") + len(b"</record>")
    body = record[start:end].replace(
        b"<record>", b'<record xmlns="http://www.openarchives.org/OAI/2.0/">'
    )
    mapped = connector(repository.url).map_record(
        OaiRecord("oai:test.example.com:1996652", "2011-09-05T12:51:52Z", False, body)
    )
    assert isinstance(mapped, EntryRecord)
    assert mapped.titles == {"en": "Sample Title"}


def test_a_server_error_mid_chain_keeps_the_pages_before_and_is_retried(connector) -> None:
    replay = oai_replay_routes()

    def failing_second_page(request: Request) -> Reply:
        if request.query.get("resumptionToken") == "ListRecords2.xml":
            return Reply(503, b"<html>maintenance</html>", "text/html")
        return replay(request)

    with LocalServer(failing_second_page) as server:
        result = harvest(connector(server.url))
    assert len(result.pages) == 1 and len(result.records) == 2
    assert result.failure is not None and result.failure.retryable
    assert str(result.failure) == (
        f"HTTP 503 Service Unavailable from {server.url}?verb=ListRecords&"
        "resumptionToken=ListRecords2.xml."
    )
    # Retrying starts where the committed page left off.
    with LocalServer(replay) as server:
        retried = harvest(connector(server.url), result.checkpoint)
    assert server.requests[0].query == {
        "verb": "ListRecords",
        "resumptionToken": "ListRecords2.xml",
    }
    assert len(retried.pages) == 3


def test_a_response_in_another_encoding_than_declared_fails_the_run(connector) -> None:
    # A Spanish title sent in Latin-1 by a response that declares UTF-8.
    sample = fixture("oai-pmh/ListRecords.xml").decode().replace("Sample Title", "Título")
    latin = sample.encode("latin-1")
    with LocalServer(oai_replay_routes(files={"ListRecords.xml": latin})) as server:
        result = harvest(connector(server.url))
    assert result.records == [] and result.failure is not None
    assert str(result.failure).startswith(
        f"The OAI-PMH response to ListRecords from {server.url} is not well-formed XML: "
    )
    assert str(result.failure).endswith("Its bytes do not match the encoding it declares.")
