"""The OAI-PMH provider at /oai/ through Django's test client: every verb, every error, and each
response valid against the OAI-PMH 2.0 schema (data/oai-pmh-2.0/OAI-PMH.xsd). A real harvester
reads it over HTTP in test_oai_harvest.py."""

import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import signing
from django.test import Client
from lxml import etree

from catalog.models import Entry, Organization, SdgGoal, Theme, Tombstone
from catalog.models.entries import EntryProvider
from catalog.oai import protocol
from tests.factories import EntryFactory, OrganizationFactory, country

pytestmark = pytest.mark.django_db

SCHEMA = etree.XMLSchema(
    etree.parse(str(Path(__file__).resolve().parents[2] / "data/oai-pmh-2.0/OAI-PMH.xsd"))
)
NS = {
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "id": "http://www.openarchives.org/OAI/2.0/oai-identifier",
}
DC_ELEMENTS = {
    "title", "creator", "subject", "description", "publisher", "contributor", "date", "type",
    "format", "identifier", "source", "language", "relation", "coverage", "rights",
}  # fmt: skip
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture(autouse=True)
def oai_settings(settings: Any) -> None:
    settings.OAI_REPOSITORY_IDENTIFIER = "exchange.example.org"
    settings.OAI_ADMIN_EMAIL = "oai-admin@example.org"
    settings.OAI_PAGE_SIZE = 3
    settings.SITE_URL = "https://exchange.example.org"


def oai(client: Client, method: str = "get", **args: str) -> etree._Element:
    response = getattr(client, method)("/oai/", args)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = etree.fromstring(response.content)
    SCHEMA.assertValid(root)
    return root


def error_code(root: etree._Element) -> str | None:
    errors = root.findall("oai:error", NS)
    return errors[0].get("code") if errors else None


def identifiers(root: etree._Element) -> list[str]:
    return [str(e.text) for e in root.iterfind(".//oai:header/oai:identifier", NS)]


def oai_id(entry: Any) -> str:
    return f"oai:exchange.example.org:entry/{entry.pk}"


@pytest.fixture
def water_entry() -> Entry:
    water = EntryFactory(
        title="Pompes solaires pour l'irrigation",
        summary="Des pompes solaires pour les petites exploitations.",
        body="",
        language="fr",
        providers=[OrganizationFactory(name="Centre solaire du Sénégal", country=country("SEN"))],
        themes=[Theme.objects.get(code="climate-change")],
        sdg_goals=[SdgGoal.objects.get(number=7)],
        countries_applied=[country("MLI"), country("SEN")],
    )
    funder = OrganizationFactory(name="Fonds vert", type=Organization.Type.INTERGOVERNMENTAL)
    EntryProvider.objects.create(entry=water, organization=funder, role=EntryProvider.Role.FUNDER)
    water.links.create(url="https://example.org/manuel.pdf", label="Manuel")
    return water


def test_identify_describes_the_repository(client: Client) -> None:
    with time_machine.travel(datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC)):
        EntryFactory()
    root = oai(client, verb="Identify")

    identify = root.find("oai:Identify", NS)
    assert identify is not None
    assert identify.findtext("oai:baseURL", namespaces=NS) == "http://testserver/oai/"
    assert identify.findtext("oai:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("oai:adminEmail", namespaces=NS) == "oai-admin@example.org"
    assert identify.findtext("oai:earliestDatestamp", namespaces=NS) == "2026-03-01T08:00:00Z"
    assert identify.findtext("oai:deletedRecord", namespaces=NS) == "persistent"
    assert identify.findtext("oai:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    description = identify.find("oai:description/id:oai-identifier", NS)
    assert description is not None
    assert description.findtext("id:repositoryIdentifier", namespaces=NS) == "exchange.example.org"
    assert description.findtext("id:sampleIdentifier", namespaces=NS) == (
        "oai:exchange.example.org:entry/1"
    )
    request = root.find("oai:request", NS)
    assert request is not None and request.attrib == {"verb": "Identify"}


def test_identify_leaves_out_the_oai_identifier_description_without_a_domain_name(
    client: Client, settings: Any
) -> None:
    settings.OAI_REPOSITORY_IDENTIFIER = "127.0.0.1"
    root = oai(client, verb="Identify")
    assert root.find("oai:Identify/oai:description", NS) is None


def test_list_metadata_formats_offers_oai_dc(client: Client, water_entry: Entry) -> None:
    for args in ({}, {"identifier": oai_id(water_entry)}):
        root = oai(client, verb="ListMetadataFormats", **args)
        formats = root.findall("oai:ListMetadataFormats/oai:metadataFormat", NS)
        assert [f.findtext("oai:metadataPrefix", namespaces=NS) for f in formats] == ["oai_dc"]
        assert formats[0].findtext("oai:metadataNamespace", namespaces=NS) == NS["oai_dc"]

    unknown = oai(client, verb="ListMetadataFormats", identifier="oai:exchange.example.org:entry/0")
    assert error_code(unknown) == "idDoesNotExist"


def test_list_sets_has_a_set_per_module_and_per_theme(client: Client) -> None:
    root = oai(client, verb="ListSets")
    sets = {
        s.findtext("oai:setSpec", namespaces=NS): s.findtext("oai:setName", namespaces=NS)
        for s in root.iterfind("oai:ListSets/oai:set", NS)
    }
    assert sets["module:technology"] == "Technology"
    assert sets["module:event"] == "Event"
    assert sets["theme:climate-change"] == "Climate change"
    assert {"module", "theme"} <= set(sets)
    assert len(sets) == 2 + 6 + Theme.objects.count()


def test_get_record_gives_the_entry_in_dublin_core(client: Client, water_entry: Entry) -> None:
    root = oai(client, verb="GetRecord", identifier=oai_id(water_entry), metadataPrefix="oai_dc")

    record = root.find("oai:GetRecord/oai:record", NS)
    assert record is not None
    header = record.find("oai:header", NS)
    assert header is not None and header.get("status") is None
    assert header.findtext("oai:identifier", namespaces=NS) == oai_id(water_entry)
    assert [s.text for s in header.iterfind("oai:setSpec", NS)] == [
        "module:technology",
        "theme:climate-change",
    ]
    dc = record.find("oai:metadata/oai_dc:dc", NS)
    assert dc is not None
    assert {etree.QName(child).localname for child in dc} <= DC_ELEMENTS
    assert all(etree.QName(child).namespace == NS["dc"] for child in dc)

    def values(name: str) -> list[tuple[str | None, str | None]]:
        return [(e.text, e.get(XML_LANG)) for e in dc.iterfind(f"dc:{name}", NS)]

    assert values("title") == [("Pompes solaires pour l'irrigation", "fr")]
    assert values("description") == [("Des pompes solaires pour les petites exploitations.", "fr")]
    assert values("creator") == [("Centre solaire du Sénégal", None)]
    assert values("publisher") == [("Centre solaire du Sénégal", None)]
    assert values("contributor") == [("Fonds vert", None)]
    assert values("subject") == [
        ("Climate change", "en"),
        ("SDG 7: Affordable and clean energy", "en"),
    ]
    assert values("coverage") == [("Mali", "en"), ("Senegal", "en")]
    assert values("language") == [("fr", None)]
    assert values("type") == [("Technology", "en"), ("Technology", "en")]
    assert values("identifier") == [
        (f"https://exchange.example.org/technologies/{water_entry.pk}/", None)
    ]
    assert values("relation") == [("https://example.org/manuel.pdf", None)]
    assert values("date") == [(water_entry.published_at.date().isoformat(), None)]


def test_get_record_errors(client: Client, water_entry: Entry) -> None:
    draft = EntryFactory(status=Entry.Status.DRAFT)
    cases = {
        (oai_id(water_entry), "marc21"): "cannotDisseminateFormat",
        (oai_id(draft), "oai_dc"): "idDoesNotExist",
        ("oai:exchange.example.org:entry/999999999", "oai_dc"): "idDoesNotExist",
        (f"oai:other.example.org:entry/{water_entry.pk}", "oai_dc"): "idDoesNotExist",
        ("oai:exchange.example.org:entry/01", "oai_dc"): "idDoesNotExist",
        ("not an identifier", "oai_dc"): "idDoesNotExist",
        (f"oai:exchange.example.org:entry/{water_entry.pk}\x01", "oai_dc"): "idDoesNotExist",
    }
    for (identifier, prefix), code in cases.items():
        root = oai(client, verb="GetRecord", identifier=identifier, metadataPrefix=prefix)
        assert error_code(root) == code, identifier
        assert root.find("oai:GetRecord", NS) is None
        # The request element echoes the valid arguments.
        request = root.find("oai:request", NS)
        assert request is not None
        assert request.get("identifier") == identifier.replace("\x01", "")


def test_archived_and_deleted_entries_are_deleted_records(
    client: Client, water_entry: Entry
) -> None:
    gone = EntryFactory()
    gone_id = gone.pk
    water_entry.status = Entry.Status.ARCHIVED
    water_entry.save()
    gone.delete()
    never_published = EntryFactory(status=Entry.Status.DRAFT)
    never_published.delete()

    root = oai(client, verb="GetRecord", identifier=oai_id(water_entry), metadataPrefix="oai_dc")
    record = root.find("oai:GetRecord/oai:record", NS)
    assert record is not None and record.find("oai:metadata", NS) is None
    header = record.find("oai:header", NS)
    assert header is not None and header.get("status") == "deleted"
    # An archived entry keeps its sets; a deleted one has none to report.
    assert "module:technology" in [s.text for s in header.iterfind("oai:setSpec", NS)]

    listed = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    headers = {
        h.findtext("oai:identifier", namespaces=NS): h.get("status")
        for h in listed.iterfind("oai:ListIdentifiers/oai:header", NS)
    }
    assert headers == {
        oai_id(water_entry): "deleted",
        f"oai:exchange.example.org:entry/{gone_id}": "deleted",
    }
    # Published again: a live record once more.
    water_entry.status = Entry.Status.PUBLISHED
    water_entry.save()
    again = oai(client, verb="GetRecord", identifier=oai_id(water_entry), metadataPrefix="oai_dc")
    assert again.find("oai:GetRecord/oai:record/oai:header", NS).get("status") is None
    assert again.find("oai:GetRecord/oai:record/oai:metadata", NS) is not None


def test_list_records_pages_with_resumption_tokens(client: Client) -> None:
    entries = [EntryFactory() for _ in range(7)]
    expected = [oai_id(entry) for entry in sorted(entries, key=lambda e: (e.updated_at, e.pk))]

    seen: list[str] = []
    page = oai(client, verb="ListRecords", metadataPrefix="oai_dc")
    cursors = []
    while True:
        seen += identifiers(page)
        token = page.find("oai:ListRecords/oai:resumptionToken", NS)
        assert token is not None
        assert token.get("completeListSize") == "7"
        cursors.append(token.get("cursor"))
        if not token.text:
            assert token.get("expirationDate") is None
            break
        assert token.get("expirationDate")
        page = oai(client, "post", verb="ListRecords", resumptionToken=token.text)
        request = page.find("oai:request", NS)
        assert request is not None and request.attrib == {
            "verb": "ListRecords",
            "resumptionToken": token.text,
        }

    assert seen == expected
    assert cursors == ["0", "3", "6"]


def test_a_list_that_fits_one_page_has_no_resumption_token(client: Client) -> None:
    EntryFactory()
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert len(identifiers(root)) == 1
    assert root.find(".//oai:resumptionToken", NS) is None


def test_changes_while_paging_skip_nothing(client: Client) -> None:
    entries = [EntryFactory() for _ in range(6)]
    first = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = first.findtext("oai:ListIdentifiers/oai:resumptionToken", namespaces=NS)
    # Meanwhile one entry of the first page and one of the next change, and one is archived.
    entries[0].title = "Changed after the first page"
    entries[0].save()
    entries[4].title = "Changed before its page"
    entries[4].save()
    entries[5].status = Entry.Status.ARCHIVED
    entries[5].save()

    seen = identifiers(first)
    sizes = [first.find(".//oai:resumptionToken", NS).get("completeListSize")]
    while token:
        page = oai(client, verb="ListIdentifiers", resumptionToken=token)
        seen += identifiers(page)
        token = page.findtext("oai:ListIdentifiers/oai:resumptionToken", namespaces=NS)
        sizes.append(page.find(".//oai:resumptionToken", NS).get("completeListSize"))

    assert seen == [oai_id(entry) for entry in entries[:4]] + [
        oai_id(entries[0]),
        oai_id(entries[4]),
        oai_id(entries[5]),
    ]
    # Counted when the list started, then grown as the changed entries came again.
    assert sizes == ["6", "7", "7"]
    assert set(seen) == {oai_id(entry) for entry in entries}
    # The changed ones come again with their new datestamps, the others once.
    assert seen.count(oai_id(entries[0])) == 2
    assert seen.count(oai_id(entries[1])) == 1
    assert seen[-3:] == [oai_id(entries[0]), oai_id(entries[4]), oai_id(entries[5])]


def test_sets_select_records(client: Client, water_entry: Entry) -> None:
    event = EntryFactory(
        module=Entry.Module.EVENT,
        kind=Entry.Kind.WORKSHOP,
        starts_on=datetime.date(2027, 1, 10),
        venue_country=country("THA"),
        themes=[Theme.objects.get(code="disasters-conflicts")],
    )
    EntryFactory()  # technology without a theme

    def listed(spec: str) -> set[str]:
        root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set=spec)
        assert error_code(root) is None, spec
        return set(identifiers(root))

    assert listed("module:event") == {oai_id(event)}
    assert listed("theme:climate-change") == {oai_id(water_entry)}
    assert listed("theme") == {oai_id(water_entry), oai_id(event)}
    assert len(listed("module")) == 3
    empty = oai(client, verb="ListRecords", metadataPrefix="oai_dc", set="module:network")
    assert error_code(empty) == "noRecordsMatch"
    unknown = oai(client, verb="ListRecords", metadataPrefix="oai_dc", set="theme:cooking")
    assert error_code(unknown) == "noRecordsMatch"


def test_from_and_until_select_by_datestamp(client: Client) -> None:
    with time_machine.travel(datetime.datetime(2026, 5, 1, 10, 0, 0, 500000, tzinfo=datetime.UTC)):
        may = EntryFactory()
    with time_machine.travel(datetime.datetime(2026, 6, 1, 10, 0, 0, tzinfo=datetime.UTC)):
        june = EntryFactory()
    with time_machine.travel(datetime.datetime(2026, 6, 2, 12, 0, 0, tzinfo=datetime.UTC)):
        june.status = Entry.Status.ARCHIVED
        june.save()

    def listed(**args: str) -> set[str]:
        root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **args)
        return set(identifiers(root)) if error_code(root) is None else set()

    assert listed(**{"from": "2026-05-02"}) == {oai_id(june)}
    assert listed(until="2026-05-01") == {oai_id(may)}
    # Second granularity: a datestamp shown as 10:00:00 is within until=10:00:00.
    assert listed(until="2026-05-01T10:00:00Z") == {oai_id(may)}
    assert listed(until="2026-05-01T09:59:59Z") == set()
    assert listed(**{"from": "2026-05-01T10:00:00Z", "until": "2026-05-01T10:00:00Z"}) == {
        oai_id(may)
    }
    # The deleted record's datestamp is when it left.
    assert listed(**{"from": "2026-06-02T00:00:00Z"}) == {oai_id(june)}
    assert listed(**{"from": "2026-06-01", "until": "2026-06-01"}) == set()
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2027-01-01"})
    assert error_code(root) == "noRecordsMatch"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Harvest"}, "badVerb"),
        ({"verb": "identify"}, "badVerb"),
        ({"verb": "Identify", "set": "module"}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-13-01"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2026-01-01T10:00:00"},
            "badArgument",
        ),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2026-01-01",
                "until": "2026-02-01T00:00:00Z",
            },
            "badArgument",
        ),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2026-02-01",
                "until": "2026-01-01",
            },
            "badArgument",
        ),
        (
            {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "resumptionToken": "abc"},
            "badArgument",
        ),
        ({"verb": "ListRecords", "metadataPrefix": "mods"}, "cannotDisseminateFormat"),
        ({"verb": "ListIdentifiers", "resumptionToken": "abc"}, "badResumptionToken"),
        ({"verb": "ListSets", "resumptionToken": "abc"}, "badResumptionToken"),
        ({"verb": "GetRecord", "identifier": "oai:exchange.example.org:entry/1"}, "badArgument"),
        ({"verb": "ListMetadataFormats", "identifier": "oai:x:entry/1"}, "idDoesNotExist"),
    ],
)
def test_protocol_errors(client: Client, args: dict[str, str], code: str) -> None:
    EntryFactory()
    for method in ("get", "post"):
        root = oai(client, method, **args)
        assert error_code(root) == code, args
        request = root.find("oai:request", NS)
        assert request is not None
        # A badVerb or badArgument echoes only the base URL.
        if code in ("badVerb", "badArgument"):
            assert request.attrib == {}
        assert request.text == "http://testserver/oai/"


def test_repeated_arguments_are_bad(client: Client) -> None:
    response = client.get("/oai/?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc")
    assert error_code(etree.fromstring(response.content)) == "badArgument"
    response = client.get("/oai/?verb=Identify&verb=Identify")
    assert error_code(etree.fromstring(response.content)) == "badVerb"


def test_tampered_expired_and_foreign_tokens_are_refused(client: Client) -> None:
    for _ in range(5):
        EntryFactory()
    first = oai(client, verb="ListRecords", metadataPrefix="oai_dc")
    token = first.findtext("oai:ListRecords/oai:resumptionToken", namespaces=NS)
    assert token

    def code(verb: str, value: str) -> str | None:
        return error_code(oai(client, verb=verb, resumptionToken=value))

    assert code("ListRecords", token) is None
    # Changing a character of the signed part or the signature.
    for position in (2, len(token) - 2):
        tampered = (
            token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]
        )
        assert code("ListRecords", tampered) == "badResumptionToken"
    # A token of ListRecords is not one of ListIdentifiers.
    assert code("ListIdentifiers", token) == "badResumptionToken"
    # Signed with the right key but another salt, or with another key.
    payload = signing.loads(token, salt=protocol.TOKEN_SALT)
    assert code("ListRecords", signing.dumps(payload, salt="other")) == "badResumptionToken"
    forged = signing.dumps(payload, key="not-the-secret-key", salt=protocol.TOKEN_SALT)
    assert code("ListRecords", forged) == "badResumptionToken"
    # A day later it has expired.
    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(hours=25)):
        assert code("ListRecords", token) == "badResumptionToken"


def test_wrong_http_method_is_refused(client: Client) -> None:
    assert client.put("/oai/?verb=Identify").status_code == 405
    head = client.head("/oai/?verb=Identify")
    assert head.status_code == 200 and head["Content-Type"] == "text/xml; charset=utf-8"


def test_text_that_xml_cannot_carry_does_not_break_a_page(client: Client) -> None:
    broken = EntryFactory(title="Solar\x0b pumps\x1f", summary="Bell \x07 here")
    root = oai(client, verb="GetRecord", identifier=oai_id(broken), metadataPrefix="oai_dc")
    assert root.findtext(".//dc:title", namespaces=NS) == "Solar pumps"
    assert Entry.objects.get(pk=broken.pk).title == "Solar\x0b pumps\x1f"


def test_tombstones_of_organizations_are_not_records(client: Client) -> None:
    Tombstone.objects.create(model=Tombstone.Kind.ORGANIZATION, object_id=12345)
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert error_code(root) == "noRecordsMatch"
