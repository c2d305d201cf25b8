"""The formats beside JSON (catalog/api/renderers.py): CSV for every list, schema.org JSON-LD for
an entry, DCAT-AP for the catalogue and each published entry (catalog/linked_data.py), read back
with rdflib and checked with SPARQL."""

import csv
import datetime
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rdflib import Graph, URIRef
from rdflib import namespace as vocab

from catalog.linked_data import HYDRA
from catalog.models import (
    EntryLink,
    EntryProvider,
    Organization,
    SdgGoal,
    SdgTarget,
    SupportKind,
    Theme,
)
from matching.models import Match
from tests.factories import (
    EntryFactory,
    MatchFactory,
    NeedFactory,
    OrganizationFactory,
    StaffUserFactory,
    country,
)

pytestmark = pytest.mark.django_db


def api_time(moment: datetime.datetime) -> str:
    """A time as the API writes it: ISO 8601, in UTC, with a Z."""
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())
    header, *rows = _csv_lines(response)
    return [dict(zip(header, row, strict=True)) for row in rows]


def _header(response: Any) -> list[str]:
    return _csv_lines(response)[0]


def _csv_lines(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def _next_link(response: Any) -> str | None:
    found = re.search(r'<([^>]+)>; rel="next"', response.get("Link", ""))
    return found.group(1) if found else None


@pytest.fixture
def water() -> Any:
    lead, partner = OrganizationFactory(name="Centre for Water"), OrganizationFactory(name="Ally")
    entry = EntryFactory(
        title="Rainwater ponds",
        providers=[lead],
        countries_of_origin=[country("KEN")],
        countries_applied=[country("ETH"), country("KEN")],
        themes=list(Theme.objects.order_by("position")[:2]),
        sdg_goals=[SdgGoal.objects.get(number=6)],
        sdg_targets=[SdgTarget.objects.get(code="6.4")],
    )
    EntryProvider.objects.create(entry=entry, organization=partner, role=EntryProvider.Role.PARTNER)
    return entry


@pytest.fixture
def water_row(water: Any) -> dict[str, str]:
    """`water` given a value in most columns, and its CSV row for an anonymous client: every
    column in its order, each cell written from the data given to the entry."""
    lead, partner = (Organization.objects.get(name=name) for name in ("Centre for Water", "Ally"))
    EntryLink.objects.create(entry=water, url="https://ponds.example/guide", label="Building guide")
    water.support_kinds.set(SupportKind.objects.filter(code__in=["training", "funding"]))
    water.member_organizations.set([partner])
    water.contact_name, water.contact_email = "Wanjiru Kamau", "wanjiru@water.example"
    water.is_verified = True
    water.save()
    water.refresh_from_db()
    return {
        "id": str(water.pk),
        "url": f"http://testserver/technologies/{water.pk}/",
        "module": "technology",
        "kind": "technology",
        "status": "published",
        "title": "Rainwater ponds",
        "summary": "Low-cost rainwater harvesting for smallholder farms.",
        "body": "Collecting and storing rain for dry-season irrigation.",
        "language": "en",
        "countries_of_origin": "KEN",
        "countries_applied": "ETH;KEN",  # Ethiopia, then Kenya: by name
        "themes": ";".join(theme.code for theme in Theme.objects.order_by("position")[:2]),
        "sdg_goals": "6",
        "sdg_targets": "6.4",
        "support_kinds": "funding;training",  # by code
        # A list of objects: a column per field, the values of the objects joined.
        "providers.organization": f"{lead.pk};{partner.pk}",
        "providers.name": "Centre for Water;Ally",
        "providers.role": "lead;partner",
        "member_organizations": str(partner.pk),
        "links.url": "https://ponds.example/guide",
        "links.label": "Building guide",
        "contact_name": "",  # personal data, as in the JSON for anonymous clients
        "contact_email": "",
        "starts_on": "",
        "ends_on": "",
        "deadline": "",
        "venue": "",
        "venue_country": "",
        "is_online": "false",
        "is_verified": "true",
        "published_at": api_time(water.published_at),
        "last_confirmed_on": water.last_confirmed_on.isoformat(),
        "created_at": api_time(water.created_at),
        "updated_at": api_time(water.updated_at),
    }


# CSV ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", [{"format": "csv"}, {"HTTP_ACCEPT": "text/csv"}])
def test_entries_list_as_csv_has_the_json_fields_as_columns(api, water_row, how):
    params = {"format": "csv"} if "format" in how else {}
    headers = {k: v for k, v in how.items() if k != "format"}
    response = api.get("/api/v1/entries/", params, **headers)
    assert _header(response) == list(water_row)
    assert _csv(response) == [water_row]
    assert "Accept" in response["Vary"]


def test_a_signed_in_client_reads_the_contact_columns(api, water_row):
    api.force_login(StaffUserFactory())
    [row] = _csv(api.get("/api/v1/entries/?format=csv"))
    assert (row["contact_name"], row["contact_email"]) == ("Wanjiru Kamau", "wanjiru@water.example")


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(api):
    entry = EntryFactory(title='=HYPERLINK("http://evil")', summary="-2+3", body="@SUM(A1)")
    EntryFactory(title="+cmd", summary="\tx")
    rows = {row["id"]: row for row in _csv(api.get("/api/v1/entries/?format=csv"))}
    row = rows[str(entry.pk)]
    assert row["title"] == '\'=HYPERLINK("http://evil")'
    assert row["summary"] == "'-2+3"
    assert row["body"] == "'@SUM(A1)"
    assert {r["title"] for r in rows.values()} == {'\'=HYPERLINK("http://evil")', "'+cmd"}
    assert row["id"] == str(entry.pk)  # numbers are not touched


def test_csv_pages_follow_the_link_header_like_the_json_cursor(api):
    organization = OrganizationFactory()
    published = [EntryFactory(providers=[organization]) for _ in range(5)]
    EntryFactory(status="draft")
    json_ids: list[int] = []
    url: str | None = "/api/v1/entries/?page_size=2"
    while url:
        body = api.get(url).json()
        json_ids += [e["id"] for e in body["results"]]
        url = body["next"]
    csv_ids: list[int] = []
    url = "/api/v1/entries/?page_size=2&format=csv"
    pages = 0
    while url:
        response = api.get(url)
        csv_ids += [int(row["id"]) for row in _csv(response)]
        url = _next_link(response)
        pages += 1
    assert pages == 3
    assert csv_ids == json_ids
    assert sorted(csv_ids) == sorted(e.pk for e in published)


def test_csv_keeps_the_filters_of_the_list(api, water):
    EntryFactory(module="expertise", kind="institutional-expertise")
    rows = _csv(api.get("/api/v1/entries/", {"format": "csv", "module": "technology"}))
    assert [row["id"] for row in rows] == [str(water.pk)]
    type(water).objects.filter(pk=water.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=2)
    )
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    rows = _csv(api.get("/api/v1/entries/", {"format": "csv", "updated_since": since}))
    as_json = api.get("/api/v1/entries/", {"updated_since": since}).json()["results"]
    assert [row["id"] for row in rows] == [str(e["id"]) for e in as_json]
    assert str(water.pk) not in {row["id"] for row in rows}
    assert len(rows) == 1


def test_an_empty_csv_page_still_has_its_header(api, water_row):
    response = api.get("/api/v1/entries/", {"format": "csv", "module": "event"})
    assert _csv(response) == []
    assert _header(response) == list(water_row)


def test_a_search_as_csv_says_its_total(api, water, search_index_dir, settings):
    from search import indexer

    settings.SEARCH_READER_RELOAD_SECONDS = 0
    indexer.index_rebuild()
    response = api.get("/api/v1/entries/", {"q": "rainwater", "format": "csv", "facets": "all"})
    assert [row["id"] for row in _csv(response)] == [str(water.pk)]
    assert response["X-Total-Count"] == "1"


@pytest.mark.parametrize(
    ("path", "columns"),
    [
        ("/api/v1/organizations/", ["id", "url", "name", "acronym", "type", "country"]),
        ("/api/v1/deletions/", ["model", "id", "deleted_at"]),
        ("/api/v1/countries/", ["iso3", "iso2", "m49", "names.en", "names.fr", "names.es"]),
        ("/api/v1/regions/", ["code", "name", "level", "parent", "countries"]),
        ("/api/v1/themes/", ["code", "name", "position"]),
        ("/api/v1/sdg-goals/", ["number", "short_names.en", "short_names.fr"]),
        ("/api/v1/sdg-targets/", ["code", "goal", "titles.en"]),
        ("/api/v1/support-kinds/", ["code", "name"]),
    ],
)
def test_every_public_list_comes_as_csv(api, water, path, columns):
    response = api.get(path, {"format": "csv"})
    rows = _csv(response)
    assert _header(response)[: len(columns)] == columns
    as_json = api.get(path).json()
    assert len(rows) == len(as_json["results"] if isinstance(as_json, dict) else as_json)


def test_country_names_come_in_a_column_per_language(api):
    rows = {row["iso3"]: row for row in _csv(api.get("/api/v1/countries/?format=csv"))}
    assert rows["KEN"]["names.en"] == "Kenya"
    assert rows["KEN"]["names.fr"] == "Kenya"
    assert rows["CHN"]["names.zh"] == "中国"
    assert rows["KEN"]["groups"] == ""


def test_a_vocabulary_unchanged_since_is_an_empty_csv_with_its_header(api):
    response = api.get("/api/v1/themes/", {"format": "csv", "updated_since": timezone.now()})
    assert _csv(response) == []
    assert _header(response) == ["code", "name", "position"]


def test_needs_and_a_needs_matches_come_as_csv(api):
    staff = StaffUserFactory()
    need = NeedFactory(title="Drought warning")
    match = MatchFactory(need=need, entry=EntryFactory(title="Early warning"), score=0.8)
    api.force_login(staff)
    needs = _csv(api.get("/api/v1/needs/?format=csv"))
    assert [(row["id"], row["title"], row["countries"]) for row in needs] == [
        (str(need.pk), "Drought warning", "KEN")
    ]
    response = api.get(f"/api/v1/needs/{need.pk}/matches/", HTTP_ACCEPT="text/csv")
    [row] = _csv(response)
    header = _header(response)
    assert header[:4] == ["id", "url", "need", "entry.id"]
    assert "breakdown.factors.name" in header
    assert (row["id"], row["entry.title"], row["score"]) == (str(match.pk), "Early warning", "0.8")
    assert row["status"] == Match.Status.SUGGESTED


def test_the_needs_an_entry_could_serve_come_as_csv(api, water, search_index_dir, settings):
    from search import indexer

    settings.SEARCH_READER_RELOAD_SECONDS = 0
    NeedFactory(title="Rainwater ponds for dry villages").sdg_targets.set(
        [SdgTarget.objects.get(code="6.4")]
    )
    indexer.index_rebuild()
    response = api.get(f"/api/v1/entries/{water.pk}/needs/?format=csv")
    [row] = _csv(response)
    assert _header(response)[:3] == ["need.id", "need.url", "need.title"]
    assert row["need.title"] == "Rainwater ponds for dry villages"


def test_errors_stay_problem_details_in_json_when_csv_is_asked(api):
    response = api.get("/api/v1/entries/?format=csv&page_size=0")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content)["code"] == "invalid_page_size"
    assert api.get("/api/v1/needs/?format=csv").status_code == 401


def test_a_csv_list_answers_304_to_its_etag(api, water):
    first = api.get("/api/v1/entries/?format=csv")
    again = api.get("/api/v1/entries/?format=csv", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert api.get("/api/v1/entries/")["ETag"] != first["ETag"]


def test_csv_is_not_offered_for_one_object(api, water):
    assert api.get(f"/api/v1/entries/{water.pk}/?format=csv").status_code == 404
    response = api.get(f"/api/v1/entries/{water.pk}/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 406


# schema.org JSON-LD ---------------------------------------------------------------------------


@pytest.mark.parametrize("how", [{"format": "jsonld"}, {"HTTP_ACCEPT": "application/ld+json"}])
def test_an_entry_as_schema_org_json_ld_is_its_pages_data(api, water, how):
    params = {"format": "jsonld"} if "format" in how else {}
    headers = {k: v for k, v in how.items() if k != "format"}
    response = api.get(f"/api/v1/entries/{water.pk}/", params, **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    data = response.json()
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "CreativeWork"
    assert data["name"] == "Rainwater ponds"
    assert data["url"] == f"http://testserver/technologies/{water.pk}/"
    assert [p["name"] for p in data["provider"]] == ["Centre for Water", "Ally"]
    # The same statements the page embeds (tests/catalog cover that), as RDF: read offline with
    # the schema.org vocabulary instead of fetching its remote context.
    data["@context"] = {"@vocab": "https://schema.org/"}
    graph = Graph().parse(data=json.dumps(data), format="json-ld")
    subject = URIRef(data["@id"])
    assert (subject, vocab.RDF.type, URIRef("https://schema.org/CreativeWork")) in graph
    assert str(graph.value(subject, URIRef("https://schema.org/name"))) == "Rainwater ponds"


def test_json_ld_of_a_draft_is_a_404_to_others(api):
    draft = EntryFactory(status="draft")
    response = api.get(f"/api/v1/entries/{draft.pk}/", HTTP_ACCEPT="application/ld+json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


# DCAT-AP --------------------------------------------------------------------------------------

FORMATS = {
    "ttl": ("text/turtle", "turtle"),
    "rdf": ("application/rdf+xml", "xml"),
    "jsonld": ("application/ld+json", "json-ld"),
}

MANDATORY = """
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
ASK {
  ?catalog a dcat:Catalog ;
    dct:title ?title ; dct:description ?description ;
    dct:publisher [ a foaf:Agent ; foaf:name ?publisher ] .
  FILTER (lang(?title) = "en" && lang(?description) = "en")
}
"""
DATASETS_LACKING_TITLE_OR_DESCRIPTION = """
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?dataset WHERE {
  ?dataset a dcat:Dataset .
  FILTER NOT EXISTS { ?dataset dct:title ?t ; dct:description ?d }
}
"""
DATASETS_OF_THE_CATALOG = """
PREFIX dcat: <http://www.w3.org/ns/dcat#>
SELECT ?dataset WHERE { ?catalog a dcat:Catalog ; dcat:dataset ?dataset . ?dataset a dcat:Dataset }
"""


def _graph(response: Any, syntax: str) -> Graph:
    assert response.status_code == 200, response.content[:500]
    return Graph().parse(data=response.content, format=syntax)


def _next_page(graph: Graph) -> str | None:
    """ckanext-dcat's RDFParser.next_page: the hydra:PagedCollection's hydra:next or nextPage."""
    for page in graph.subjects(vocab.RDF.type, HYDRA.PagedCollection):
        for predicate in (HYDRA.next, HYDRA.nextPage):
            for target in graph.objects(page, predicate):
                return str(target)
    return None


def _harvest(api: Any, first: str, fmt: str) -> Iterator[Graph]:
    media_type, syntax = FORMATS[fmt]
    url: str | None = first
    while url:
        graph = _graph(api.get(url, HTTP_ACCEPT=media_type), syntax)
        yield graph
        url = _next_page(graph)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_harvester_walks_the_catalogue_to_the_end_in_each_syntax(api, fmt):
    organization = OrganizationFactory()
    published = {EntryFactory(providers=[organization]).pk for _ in range(5)}
    EntryFactory(status="draft", providers=[organization])
    EntryFactory(status="archived")
    seen: list[str] = []
    pages = 0
    for graph in _harvest(api, "/api/v1/catalog/?page_size=2", fmt):
        pages += 1
        assert graph.query(MANDATORY).askAnswer
        assert list(graph.query(DATASETS_LACKING_TITLE_OR_DESCRIPTION)) == []
        seen += [str(row.dataset) for row in graph.query(DATASETS_OF_THE_CATALOG)]
    assert pages == 3
    assert sorted(seen) == sorted(f"http://testserver/api/v1/catalog/{pk}/" for pk in published)


def test_the_catalogue_is_turtle_by_default_and_by_format_parameter(api):
    EntryFactory()
    default = api.get("/api/v1/catalog/")
    assert default["Content-Type"] == "text/turtle; charset=utf-8"
    by_parameter = api.get("/api/v1/catalog/?format=rdf")
    assert by_parameter["Content-Type"] == "application/rdf+xml; charset=utf-8"
    assert len(_graph(by_parameter, "xml").query(DATASETS_OF_THE_CATALOG)) == 1


def test_a_dataset_has_the_dcat_ap_properties(api, water):
    graph = _graph(api.get(f"/api/v1/catalog/{water.pk}/", HTTP_ACCEPT="text/turtle"), "turtle")
    dataset = URIRef(f"http://testserver/api/v1/catalog/{water.pk}/")
    assert (dataset, vocab.RDF.type, vocab.DCAT.Dataset) in graph
    assert str(graph.value(dataset, vocab.DCTERMS.title)) == "Rainwater ponds"
    assert graph.value(dataset, vocab.DCTERMS.title).language == "en"
    publisher = graph.value(dataset, vocab.DCTERMS.publisher)
    assert (publisher, vocab.RDF.type, vocab.FOAF.Agent) in graph
    assert str(graph.value(publisher, vocab.FOAF.name)) == "Centre for Water"
    assert {str(o) for o in graph.objects(dataset, vocab.DCTERMS.spatial)} == {
        "http://publications.europa.eu/resource/authority/country/ETH",
        "http://publications.europa.eu/resource/authority/country/KEN",
    }
    themes = {str(o) for o in graph.objects(dataset, vocab.DCAT.theme)}
    assert {"http://metadata.un.org/sdg/6", "http://metadata.un.org/sdg/6.4"} <= themes
    assert len([t for t in themes if t.startswith("http://testserver/api/v1/themes/")]) == 2
    assert len(list(graph.objects(dataset, vocab.DCAT.keyword))) == 2
    assert str(graph.value(dataset, vocab.DCAT.landingPage)) == (
        f"http://testserver/technologies/{water.pk}/"
    )
    assert graph.value(dataset, vocab.DCTERMS.issued) is not None
    assert graph.value(dataset, vocab.DCTERMS.modified) is not None
    access = {
        str(graph.value(d, vocab.DCAT.accessURL))
        for d in graph.objects(dataset, vocab.DCAT.distribution)
    }
    assert access == {
        f"http://testserver/api/v1/entries/{water.pk}/",
        f"http://testserver/technologies/{water.pk}/",
    }
    assert "contact" not in api.get(f"/api/v1/catalog/{water.pk}/").content.decode().lower()


def test_drafts_are_not_in_the_catalogue(api, make_key, organization):
    draft = EntryFactory(status="draft", providers=[organization])
    _key, secret = make_key("read")
    response = api.get(f"/api/v1/catalog/{draft.pk}/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_the_catalogue_harvests_what_changed_since(api):
    with_old = timezone.now() - datetime.timedelta(days=2)
    old = EntryFactory()
    type(old).objects.filter(pk=old.pk).update(updated_at=with_old)
    new = EntryFactory()
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    graph = _graph(api.get("/api/v1/catalog/", {"updated_since": since}), "turtle")
    assert [str(r.dataset) for r in graph.query(DATASETS_OF_THE_CATALOG)] == [
        f"http://testserver/api/v1/catalog/{new.pk}/"
    ]
    bad = api.get("/api/v1/catalog/", {"updated_since": "yesterday"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_updated_since"


def test_the_catalogue_refuses_formats_it_does_not_have(api):
    response = api.get("/api/v1/catalog/", HTTP_ACCEPT="application/json")
    assert response.status_code == 406
    assert response["Content-Type"] == "application/problem+json"
    assert api.get("/api/v1/catalog/?cursor=%%%").status_code == 400


def test_the_home_page_links_the_catalogue(client):
    response = client.get("/")
    assert (
        b'<link rel="alternate" type="text/turtle" title="DCAT-AP" '
        b'href="/api/v1/catalog/">' in response.content
    )


# Queries per list request ---------------------------------------------------------------------


def _queries(api: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "path", ["/api/v1/catalog/", "/api/v1/entries/?format=csv", "/api/v1/deletions/"]
)
def test_queries_per_page_do_not_grow_with_the_page_size(api, path):
    organizations = [OrganizationFactory() for _ in range(3)]
    for position in range(12):
        entry = EntryFactory(
            providers=organizations[: 1 + position % 3],
            themes=list(Theme.objects.all()[:2]),
            countries_applied=[country("KEN"), country("ETH")],
            sdg_targets=[SdgTarget.objects.get(code="6.4")],
        )
        if position % 2:
            entry.status = "archived"
            entry.save()
    separator = "&" if "?" in path else "?"
    small = _queries(api, f"{path}{separator}page_size=2")
    assert small == _queries(api, f"{path}{separator}page_size=12")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/themes/", "/api/v1/sdg-goals/", "/api/v1/sdg-targets/", "/api/v1/countries/"],
)
def test_queries_per_vocabulary_list_do_not_grow_with_its_length(api, path):
    api.get(path)  # the first request may warm caches
    before = _queries(api, path)
    goal = SdgGoal.objects.create(number=99, short_en="Test goal", title_en="A test goal")
    for code in ("99.1", "99.2", "99.3"):
        SdgTarget.objects.create(code=code, goal=goal, title_en=f"Target {code}")
    for position in range(3):
        Theme.objects.create(code=f"test-theme-{position}", name=f"Test theme {position}")
    assert _queries(api, path) == before


def test_queries_of_the_needs_an_entry_could_serve_do_not_grow_with_the_limit(
    api, water, search_index_dir, settings
):
    from search import indexer

    settings.SEARCH_READER_RELOAD_SECONDS = 0
    for position in range(6):
        NeedFactory(
            title=f"Rainwater ponds {position}", countries=[country("KEN"), country("ETH")]
        ).sdg_targets.set([SdgTarget.objects.get(code="6.4")])
    indexer.index_rebuild()
    path = f"/api/v1/entries/{water.pk}/needs/"
    api.get(path)  # warms the reference data the reasons are worded with
    assert len(api.get(f"{path}?limit=6").json()) == 6

    def cold_and_warm(limit: int) -> tuple[int, int]:
        cache.clear()  # the ranking is cached per entry and limit
        return _queries(api, f"{path}?limit={limit}"), _queries(api, f"{path}?limit={limit}")

    assert cold_and_warm(1) == cold_and_warm(6)
