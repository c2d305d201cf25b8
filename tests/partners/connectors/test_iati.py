"""The IATI connector against a real HTTP server replaying the standard's examples and real
publishers' files (tests/fixtures/partners/iati/, CC BY 4.0)."""

import datetime
import re
import tracemalloc
from collections.abc import Callable, Iterator

import pytest

from partners.connectors import iati
from partners.connectors.base import EntryRecord, OrganizationRecord
from partners.connectors.http import Fetcher, FetchLimits
from partners.connectors.iati import IatiConnector
from partners.models import PartnerSource
from tests.partners.connectors.conftest import harvest
from tests.partners.servers import LocalServer, Reply, endless, fixture, iati_file_routes

pytestmark = pytest.mark.django_db


@pytest.fixture
def files() -> dict[str, bytes]:
    return {}


@pytest.fixture
def server(files: dict[str, bytes]) -> Iterator[LocalServer]:
    with LocalServer(iati_file_routes(files)) as running:
        yield running


@pytest.fixture
def connector_for_file(
    server: LocalServer,
    files: dict[str, bytes],
    make_source: Callable[..., PartnerSource],
    fetcher: Fetcher,
) -> Callable[[bytes], IatiConnector]:
    def make(body: bytes, path: str = "/activities.xml") -> IatiConnector:
        files[path] = body
        return IatiConnector(make_source("iati", server.url + path), fetcher)

    return make


def test_the_annotated_standard_example_maps_every_field(connector_for_file) -> None:
    result = harvest(connector_for_file(fixture("iati/activity-standard-example-annotated.xml")))
    assert result.failure is None and result.errors == []
    (entry,) = result.records
    assert isinstance(entry, EntryRecord)
    assert entry.external_id == "AA-AAA-123456789-ABC123"
    assert (entry.module, entry.kind, entry.language) == ("experience", "case-study", "en")
    assert entry.titles == {
        "en": "Activity title",
        "fr": "Titre de l'activité",
        "es": "Título de la actividad",
    }
    assert entry.summaries["en"].startswith("General activity description text.")
    assert entry.summaries["fr"].startswith("Activité générale du texte de description.")
    # Objectives and target groups make the body; Spanish has no description: its title.
    assert entry.bodies["en"] == (
        "Objectives for the activity, for example from a logical framework.\n\n"
        "Statement of groups targeted to benefit from the activity."
    )
    assert entry.summaries["es"] == "Título de la actividad"
    # Roles: B funds (1), C is accountable (2), A extends (3); no implementing organisation.
    assert [(p.name, p.role, p.external_id, p.type) for p in entry.providers] == [
        ("Name of Agency B", "funder", "BB-BBB-123456789", "intergovernmental"),
        ("Name of Agency C", "lead", "CC-CCC-123456789", "government"),
        ("Name of Agency A", "lead", "AA-AAA-123456789", "ngo"),
    ]
    assert entry.countries_iso3 == ("AFG", "ATG")
    assert entry.region_m49 == ()  # region 489 is a DAC region (vocabulary 1), not M49
    assert entry.theme_slugs == ()  # sectors 111 and 112: education, no theme of ours
    assert (entry.starts_on, entry.ends_on) == (
        datetime.date(2012, 4, 28),  # actual start beats planned start
        datetime.date(2015, 12, 31),
    )
    assert entry.source_modified == datetime.datetime(2014, 9, 10, 7, 15, 37, tzinfo=datetime.UTC)
    # Its document links are written "http:www.example.org/..." (no "//"): not links.
    assert entry.links == ()


def test_a_real_african_development_bank_activity_in_english_and_french(
    connector_for_file,
) -> None:
    result = harvest(connector_for_file(fixture("iati/multiple_locales_descriptions.xml")))
    assert result.errors == [] and result.failure is None
    (entry,) = result.entries
    assert entry.external_id == "46002-P-DZ-IZ0-002"
    assert set(entry.titles) == {"en", "fr"}
    assert entry.titles["fr"].startswith("Algérie - Aide Humanitaire d’Urgence")
    assert entry.countries_iso3 == ("DZA",)
    # Funding (1) and implementing (4) only: the implementer leads.
    assert [(p.name, p.role) for p in entry.providers] == [
        ("Special Relief Funds", "funder"),
        ("Ministry of the Interior", "lead"),
    ]
    assert entry.links == (
        ("https://projectsportal.afdb.org/dataportal/VProject/show/P-DZ-IZ0-002", "Activity"),
    )
    assert (entry.starts_on, entry.ends_on) == (
        datetime.date(2002, 5, 21),
        datetime.date(2002, 12, 31),
    )


def test_sectors_and_sdg_tags_become_themes_goals_and_targets(connector_for_file) -> None:
    activity = (
        fixture("iati/activity-standard-example-annotated.xml")
        .replace(
            b'<sector vocabulary="2" code="111" percentage="50" />',
            b'<sector vocabulary="1" code="41030" percentage="25" />'
            b'<sector vocabulary="2" code="232" percentage="25" />',
        )
        .replace(
            b'<tag vocabulary="99"',
            b'<tag vocabulary="2" code="13"/><tag vocabulary="3" code="6.1"/>'
            b'<tag vocabulary="3" code="99.9"/><tag vocabulary="99"',
        )
    )
    (entry,) = harvest(connector_for_file(activity)).entries
    assert entry.theme_slugs == ("ecosystem-management", "climate-change")
    assert entry.sdg_goals == (6, 13)
    assert entry.sdg_targets == ("6.1",)


def test_schema_errors_are_reported_per_activity_and_valid_ones_imported(
    connector_for_file,
) -> None:
    valid = _activity(fixture("iati/activity-standard-example-annotated.xml"))
    # A real publisher's activity without a description, which 2.03 requires.
    invalid = _activity(fixture("iati/localised-org-names.xml"))
    # The standard's own failing example, with an identifier so the error can name it.
    no_title = _activity(fixture("iati/22-missing-title-narrative.xml")).replace(
        b"<iati-identifier></iati-identifier>", b"<iati-identifier>XX-NO-TITLE</iati-identifier>"
    )
    document = (
        b'<iati-activities version="2.03">' + invalid + valid + no_title + b"</iati-activities>"
    )
    result = harvest(connector_for_file(document))

    def line_of(text: bytes) -> int:
        return document[: document.index(text)].count(b"\n") + 1

    assert result.failure is None
    assert [e.external_id for e in result.entries] == ["AA-AAA-123456789-ABC123"]
    assert [(e.external_id, str(e)) for e in result.errors] == [
        (
            "DE-1-198966376",
            "IATI iati-activity DE-1-198966376 is not valid against the 2.03 schema: Element "
            "'participating-org': This element is not expected. Expected is ( description ). "
            f"(line {line_of(b'<participating-org ref="DE-1"')} of the file).",
        ),
        (
            "XX-NO-TITLE",
            "IATI iati-activity XX-NO-TITLE is not valid against the 2.03 schema: Element "
            "'title': Missing child element(s). Expected is ( narrative ). "
            f"(line {line_of(b'<title> <!-- 1 and only 1-->')} of the file).",
        ),
    ]


def test_an_activity_without_identifier_is_skipped(connector_for_file) -> None:
    result = harvest(connector_for_file(fixture("iati/22-participating-org.xml")))
    assert result.records == [] and result.failure is None
    assert [str(e) for e in result.errors] == [
        "IATI iati-activity number 1 in the file has no identifier: skipped."
    ]


def test_an_empty_activity_fails_the_schema_with_its_position(connector_for_file) -> None:
    result = harvest(connector_for_file(fixture("iati/01-empty-activity.xml")))
    assert result.records == [] and result.failure is None
    assert [(e.external_id, str(e)) for e in result.errors] == [
        (
            "",
            "IATI iati-activity number 1 in the file is not valid against the 2.03 schema: "
            "Element 'iati-activity': Missing child element(s). Expected is ( iati-identifier ). "
            "(line 7 of the file).",
        )
    ]


def test_iati_1_0x_files_are_read_without_the_2_03_schema(connector_for_file) -> None:
    result = harvest(connector_for_file(fixture("iati/missing_dates.xml")))
    assert result.failure is None and result.errors == []
    assert len(result.entries) == 49
    first = result.entries[0]
    assert first.external_id == "GB-CHC-272465-680"
    assert first.titles == {"en": "Malawi - Local Development Support Programme"}
    assert first.countries_iso3 == ("MWI",)
    assert first.theme_slugs == ("ecosystem-management",)  # 31120 agricultural development
    assert [(p.name, p.role, p.country_iso3) for p in first.providers] == [
        ("Irish Aid", "funder", ""),
        ("Concern Universal", "lead", "GBR"),  # implementing, no one accountable
    ]
    assert (first.starts_on, first.ends_on) == (
        datetime.date(2010, 7, 1),
        datetime.date(2015, 6, 30),
    )


def test_an_organisation_file_gives_organizations(connector_for_file) -> None:
    result = harvest(
        connector_for_file(fixture("iati/organisation-standard-example-annotated.xml"))
    )
    assert result.errors == [] and result.failure is None
    assert result.records == [
        OrganizationRecord(
            name="Organisation name",
            external_id="AA-AAA-123456789",
            type="intergovernmental",
            role="lead",
        )
    ]


def test_pages_resume_after_the_last_committed_activity(connector_for_file, monkeypatch) -> None:
    monkeypatch.setattr(iati, "PAGE_SIZE", 20)
    connector = connector_for_file(fixture("iati/missing_dates.xml"))
    first = harvest(connector)
    assert [len(p.raw_records) for p in first.pages] == [20, 20, 9]
    etag = first.checkpoint_after(0)["etag"]
    assert [p.checkpoint for p in first.pages] == [
        {
            "etag": etag,
            "last_modified": "Sun, 01 Nov 2026 12:00:00 GMT",
            "next_index": n,
            "complete": c,
        }
        for n, c in ((20, False), (40, False), (0, True))
    ]
    # A run killed after its first page starts at activity 21.
    resumed = harvest(connector, first.checkpoint_after(0))
    assert [e.external_id for e in resumed.entries] == [e.external_id for e in first.entries[20:]]


def test_a_changed_file_is_read_from_its_start_when_resuming(connector_for_file, files) -> None:
    connector = connector_for_file(fixture("iati/missing_dates.xml"))
    checkpoint = {
        "etag": '"an older version"',
        "last_modified": "",
        "next_index": 30,
        "complete": False,
    }
    assert len(harvest(connector, checkpoint).entries) == 49


def test_an_unchanged_file_gives_no_page(connector_for_file, server) -> None:
    connector = connector_for_file(fixture("iati/missing_dates.xml"))
    done = harvest(connector).checkpoint
    again = harvest(connector, done)
    assert again.pages == [] and again.failure is None
    assert server.requests[-1].headers["if-none-match"] == done["etag"]


def test_a_truncated_file_fails_after_the_pages_before_the_break(
    connector_for_file, monkeypatch
) -> None:
    monkeypatch.setattr(iati, "PAGE_SIZE", 10)
    body = fixture("iati/missing_dates.xml")
    cut = body[: body.index(b"GB-CHC-272465-530")]  # in the middle of the 25th activity
    result = harvest(connector_for_file(cut))
    assert len(result.entries) == 20  # two full pages, then the break
    assert result.failure is not None and not result.failure.retryable
    assert re.fullmatch(
        r"The IATI file http://127\.0\.0\.1:[0-9]+/activities\.xml is not well-formed XML: "
        r"Premature end of data in tag .*\. "
        r"The document ends before it is complete \(truncated\?\)\.",
        str(result.failure),
    )


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE iati-activities [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<iati-activities version="2.03"><iati-activity><iati-identifier>&lol9;</iati-identifier>
</iati-activity></iati-activities>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE iati-activities [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<iati-activities version="2.03"><iati-activity><iati-identifier>&xxe;</iati-identifier>
<title><narrative>&xxe;</narrative></title></iati-activity></iati-activities>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_documents_with_a_dtd_are_refused_unexpanded(connector_for_file, document) -> None:
    result = harvest(connector_for_file(document))
    assert result.pages == [] and result.records == [] and result.errors == []
    assert result.failure is not None
    assert str(result.failure).endswith(
        "/activities.xml declares a DTD (<!DOCTYPE>), which a partner feed may not use: "
        "entities are never expanded and the document is refused."
    )
    assert "root:" not in str(result.failure)


def test_bytes_that_contradict_the_declared_encoding_fail_clearly(connector_for_file) -> None:
    # The AfDB file re-encoded in Latin-1 while still declaring UTF-8.
    latin = fixture("iati/multiple_locales_descriptions.xml").decode().encode("latin-1", "replace")
    result = harvest(connector_for_file(latin))
    assert result.records == [] and result.failure is not None
    assert "is not well-formed XML: " in str(result.failure)
    assert str(result.failure).endswith("Its bytes do not match the encoding it declares.")


def test_a_file_that_is_not_iati_is_refused(connector_for_file) -> None:
    result = harvest(connector_for_file(fixture("oai-pmh/Identify.xml")))
    assert result.failure is not None
    assert str(result.failure).endswith(
        "/activities.xml is not an IATI activity or organisation file: its root element is "
        "<OAI-PMH>."
    )


def test_a_gigantic_file_is_stopped_at_the_size_limit(server, files, make_source, fetcher) -> None:
    activity = _activity(fixture("iati/activity-standard-example-annotated.xml"))
    stream = endless(activity, times=2000)  # about 35 MB, limit 1 MB

    def huge(request):
        return Reply(200, iter([b'<iati-activities version="2.03">', *stream]))

    with LocalServer(huge) as big:
        result = harvest(IatiConnector(make_source("iati", big.url + "/all.xml"), fetcher))
    assert result.pages == [] and result.failure is not None
    assert "is larger than the limit of 1048576 bytes (PARTNER_FETCH_MAX_BYTES)" in str(
        result.failure
    )


def _activity(document: bytes) -> bytes:
    start = document.index(b"<iati-activity")
    end = document.index(b"</iati-activity>") + len(b"</iati-activity>")
    return document[start:end]


def test_memory_stays_flat_in_the_size_of_the_file(server, files, make_source, settings) -> None:
    """A file of over 12 MB: the body goes to a temporary file and the parser frees each
    activity once read, so Python's memory peaks at one page of activities (about 4 MB here,
    whatever the file's size; 25 MB gave the same peak)."""
    activity = _activity(fixture("iati/activity-standard-example-annotated.xml"))
    copies = [
        activity.replace(b"AA-AAA-123456789-ABC123", f"AA-AAA-123456789-{n}".encode())
        for n in range(800)
    ]
    files["/big.xml"] = (
        b'<iati-activities version="2.03">' + b"".join(copies) + b"</iati-activities>"
    )
    size = len(files["/big.xml"])
    del copies
    assert size > 12_000_000
    fetcher = Fetcher(limits=FetchLimits(5, 30, 120, 64 * 1024 * 1024))
    connector = IatiConnector(make_source("iati", server.url + "/big.xml"), fetcher)
    tracemalloc.start()
    try:
        read = 0
        for page in connector.fetch({}):
            read += len(page.raw_records)
            for raw in page.raw_records[:1]:
                assert isinstance(connector.map_record(raw), EntryRecord)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read == 800
    assert peak < 6_000_000, f"peak {peak} bytes for a file of {size} bytes"


def test_absurdly_deep_nesting_is_refused(connector_for_file) -> None:
    deep = (
        b'<iati-activities version="2.03">' + b"<a>" * 5000 + b"</a>" * 5000 + b"</iati-activities>"
    )
    result = harvest(connector_for_file(deep))
    assert result.records == [] and result.failure is not None
    assert (
        "is not well-formed XML: Excessive depth in document: 256, use XML_PARSE_HUGE option"
        in str(result.failure)
    )
