"""The search experience through the Django client: the search page with facets and htmx, bad
input, a missing index, the CSV export, detail-page extras (similar entries, JSON-LD), saved
searches and their daily digest. Every test searches a real tantivy index built from the test's
database by the indexer."""

import csv
import datetime
import io
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import User
from catalog.models import Entry, Organization, SdgTarget, Theme
from search import digest, export, indexer, store
from search.digest_tasks import saved_search_digest_task
from search.models import SavedSearch
from tests.factories import (
    EntryFactory,
    EventFactory,
    OrganizationFactory,
    UserFactory,
    country,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def index_dir(search_index_dir: Path, settings: Any) -> Path:
    """This test's own copy of the index (tests/conftest.py); readers look for new commits at
    every search."""
    settings.SEARCH_READER_RELOAD_SECONDS = 0
    return search_index_dir


def build_index() -> None:
    """Index the database as this test's transaction sees it."""
    indexer.index_rebuild()


@pytest.fixture
def kenyan_centre() -> Organization:
    return OrganizationFactory(name="Kenya Water Centre", country=country("KEN"))


@pytest.fixture
def catalogue(index_dir: Path, kenyan_centre: Organization) -> dict[str, Entry]:
    """Three published entries about rainwater in three modules, one that is not about it, and
    a draft that is; indexed."""
    thai_university = OrganizationFactory(
        name="Chulalongkorn University",
        country=country("THA"),
        type=Organization.Type.UNIVERSITY_RESEARCH,
    )
    norwegian_agency = OrganizationFactory(
        name="Norwegian Cooperation Agency",
        country=country("NOR"),
        type=Organization.Type.GOVERNMENT,
    )
    farms = EntryFactory(
        title="Rainwater harvesting for smallholder farms",
        summary="Roof catchments and storage tanks for dry-season irrigation.",
        body="",
        providers=[kenyan_centre],
        themes=[Theme.objects.get(code="ecosystem-management")],
    )
    farms.countries_applied.set([country("KEN"), country("UGA")])
    farms.sdg_targets.set([SdgTarget.objects.get(code="6.1")])
    schools = EntryFactory(
        module=Entry.Module.EXPERIENCE,
        kind=Entry.Kind.BEST_PRACTICE,
        title="Rainwater tanks for rural schools",
        summary="Schools in north-east Thailand collect rainwater for drinking.",
        body="",
        providers=[thai_university, norwegian_agency],
    )
    schools.countries_applied.set([country("THA")])
    workshop = EventFactory(
        title="Regional workshop on rainwater harvesting",
        summary="Practitioners from South-East Asia compare catchment designs.",
        body="",
        starts_on=timezone.localdate() + datetime.timedelta(days=30),
        ends_on=timezone.localdate() + datetime.timedelta(days=32),
    )
    workshop.countries_applied.set([country("THA")])
    pumps = EntryFactory(
        title="Solar water pumps",
        summary="Photovoltaic pumps for village water supply.",
        body="",
        providers=[kenyan_centre],
    )
    pumps.countries_applied.set([country("KEN")])
    EntryFactory(
        title="Rainwater draft", summary="Not yet published rainwater entry.", status="draft"
    )
    build_index()
    return {"farms": farms, "schools": schools, "workshop": workshop, "pumps": pumps}


def titles_on(html: str) -> list[str]:
    """Titles of the result cards, in order, without their <mark> highlighting."""
    found = re.findall(r'<h3 lang="\w+" dir="auto"><a href="[^"]+">(.*?)</a></h3>', html)
    return [re.sub(r"</?mark>", "", title) for title in found]


def facet_count(html: str, facet: str, value: str) -> int | None:
    """The count shown beside a facet value, or None when it is not listed."""
    match = re.search(
        rf'<label for="facet-{facet}-{value}">[^<]*<span class="count">\(([\d,]+)\)</span>', html
    )
    return int(match.group(1).replace(",", "")) if match else None


def is_checked(html: str, facet: str, value: str) -> bool:
    match = re.search(rf'<input type="checkbox" id="facet-{facet}-{value}"[^>]*>', html)
    assert match, f"no checkbox for {facet}={value}"
    return " checked" in match.group(0)


def notices_on(html: str) -> list[str]:
    block = re.search(r'<ul class="notices"[^>]*>(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1), re.S) if block else []


# The search page


def test_search_lists_published_matches_with_highlighted_titles_and_facet_counts(
    client: Client, catalogue: dict[str, Entry]
) -> None:
    response = client.get("/search/?q=rainwater")

    assert response.status_code == 200
    html = response.content.decode()
    assert sorted(titles_on(html)) == [
        "Rainwater harvesting for smallholder farms",
        "Rainwater tanks for rural schools",
        "Regional workshop on rainwater harvesting",
    ]
    assert re.search(r"<mark>Rainwater</mark> tanks for rural schools", html)
    assert '<h2 id="results-heading">3 entries found</h2>' in html
    assert facet_count(html, "module", "technology") == 1
    assert facet_count(html, "module", "experience") == 1
    assert facet_count(html, "module", "event") == 1
    assert facet_count(html, "country", "THA") == 2
    assert facet_count(html, "country", "KEN") == 1
    assert facet_count(html, "country", "UGA") == 1
    assert facet_count(html, "region", "002") == 1  # Africa
    assert facet_count(html, "region", "142") == 2  # Asia
    assert facet_count(html, "cooperation", "south-south") == 1
    assert facet_count(html, "cooperation", "triangular") == 1
    assert facet_count(html, "sdg_goal", "6") == 1
    assert facet_count(html, "theme", "ecosystem-management") == 1
    assert facet_count(html, "provider_type", "government") == 1
    # Localized labels: the M49 names and SDG short titles, not codes.
    assert '<label for="facet-region-002">Africa <span' in html
    assert re.search(r'<label for="facet-sdg_goal-6">6\. [^<]*water[^<]*<span', html, re.I)
    assert "Rainwater draft" not in html
    assert "Solar water pumps" not in html


def test_filters_in_the_url_narrow_results_check_their_boxes_and_can_be_removed(
    client: Client, catalogue: dict[str, Entry]
) -> None:
    response = client.get("/search/?q=rainwater&country=THA&module=event")

    assert response.status_code == 200
    html = response.content.decode()
    assert titles_on(html) == ["Regional workshop on rainwater harvesting"]
    assert is_checked(html, "country", "THA")
    assert is_checked(html, "module", "event")
    assert not is_checked(html, "module", "experience")
    # Counts are disjunctive: each facet counts with the other facets' filters.
    assert facet_count(html, "module", "experience") == 1
    assert facet_count(html, "module", "event") == 1
    assert facet_count(html, "country", "THA") == 1
    assert 'href="/search/?q=rainwater&amp;module=event"' in html  # remove Thailand
    assert 'href="/search/?q=rainwater&amp;country=THA"' in html  # remove Event


def test_module_parameter_searches_one_module_and_the_nav_and_header_lead_to_search(
    client: Client, catalogue: dict[str, Entry]
) -> None:
    response = client.get("/search/?module=technology")

    html = response.content.decode()
    assert sorted(titles_on(html)) == [
        "Rainwater harvesting for smallholder farms",
        "Solar water pumps",
    ]
    technologies = client.get("/technologies/").content.decode()
    assert '<a href="/search/?module=technology">Search in this module' in technologies
    home = client.get("/").content.decode()
    assert '<li><a href="/search/">Search</a></li>' in home
    assert '<form class="header-search" role="search"' in home
    assert 'action="/search/" method="get"' in home


def test_sort_by_newest_puts_the_latest_publication_first(
    client: Client, catalogue: dict[str, Entry]
) -> None:
    now = timezone.now()
    for days, entry in enumerate([catalogue["schools"], catalogue["farms"], catalogue["workshop"]]):
        Entry.objects.filter(pk=entry.pk).update(published_at=now - datetime.timedelta(days=days))
    build_index()

    html = client.get("/search/?q=rainwater&sort=newest").content.decode()

    assert titles_on(html) == [
        "Rainwater tanks for rural schools",
        "Rainwater harvesting for smallholder farms",
        "Regional workshop on rainwater harvesting",
    ]
    assert '<option value="newest" selected>' in html


def test_htmx_request_gets_the_results_region_only(
    client: Client, catalogue: dict[str, Entry]
) -> None:
    response = client.get("/search/?q=rainwater&country=KEN", headers={"HX-Request": "true"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="search-form"' not in html
    assert titles_on(html) == ["Rainwater harvesting for smallholder farms"]
    assert is_checked(html, "country", "KEN")
    assert "<title>rainwater · Search · South-South Exchange</title>" in html
    assert 'id="search-status" class="visually-hidden" role="status" hx-swap-oob="true"' in html
    assert "HX-Request" in response["Vary"]


def test_htmx_request_pushes_the_search_as_understood(
    client: Client, catalogue: dict[str, Entry]
) -> None:
    # What the form sends: empty dates, the default sort, an unknown country.
    response = client.get(
        "/search/?q=rainwater&country=KEN&country=XXX&event_from=&event_to=&sort=relevance",
        headers={"HX-Request": "true"},
    )

    assert response["HX-Push-Url"] == "/search/?q=rainwater&country=KEN"


def test_htmx_history_restore_gets_the_whole_page(
    client: Client, catalogue: dict[str, Entry]
) -> None:
    response = client.get(
        "/search/?q=rainwater",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )

    assert response.status_code == 200
    assert response.content.decode().startswith("<!doctype html>")


def test_page_works_without_javascript_as_a_plain_get_form(
    client: Client, catalogue: dict[str, Entry]
) -> None:
    html = client.get("/search/?q=rainwater").content.decode()

    # The search form is a real GET form with a submit button; the facets, dates and sort
    # order belong to it, so submitting it without htmx gives the same URL as htmx builds.
    assert re.search(r'<form id="search-form"[^>]*method="get" action="/search/"', html, re.S)
    assert '<button type="submit" form="search-form">Apply filters</button>' in html
    assert re.search(
        r'<input type="checkbox" id="facet-country-THA" name="country" value="THA" '
        r'form="search-form">\s*<label for="facet-country-THA">Thailand',
        html,
    )
    assert '<select id="search-sort" name="sort" form="search-form">' in html
    assert 'name="event_from" form="search-form"' in html
    # Keyboard and screen readers: each facet is a fieldset with a legend.
    assert re.search(r'<fieldset class="facet">\s*<legend>Country</legend>', html)
    # htmx is served by the portal itself.
    assert '<script src="/static/js/htmx.min.js" defer></script>' in html
    assert client.get("/static/js/htmx.min.js").status_code == 200


def test_pagination_links_keep_the_search_and_move_by_page(client: Client, index_dir: Path) -> None:
    for n in range(25):
        EntryFactory(title=f"Drip irrigation kit {n}", summary="Drip irrigation.", body="")
    build_index()

    first = client.get("/search/?q=drip&module=technology").content.decode()
    second = client.get("/search/?q=drip&module=technology&page=2").content.decode()

    assert len(titles_on(first)) == 20
    assert len(titles_on(second)) == 5
    assert 'href="/search/?q=drip&amp;module=technology&amp;page=2" rel="next"' in first
    assert 'href="/search/?q=drip&amp;module=technology" rel="prev"' in second
    assert "Page 2 of 2" in second


# Bad input: a normal page with a clear notice, never a 500, never an injected script


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ('q="rainwater', None),
        ("q=rainwater%22%20%22", None),
        ("q=AND%20OR%20NOT%20-", None),
        ("q=title:rainwater%20(", None),
        ("q=%27%3B%20DROP%20TABLE%20catalog_entry%3B%20--", None),
        ("q=" + "rainwater%20" * 1000, "Your search was longer than 500 characters"),
        ("q=rain%00water%07", "Control characters in your search were ignored."),
        ("q=%3Cscript%3Ealert(1)%3C/script%3E", None),
        (
            "q=rainwater&country=XXX",
            "&quot;XXX&quot; is not a known value of the filter “Country”, so that value was "
            "left out.",
        ),
        (
            "q=rainwater&country=%3Cscript%3Ealert(1)%3C/script%3E",
            "&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; is not a known value",
        ),
        ("q=rainwater&page=abc", "&quot;abc&quot; is not a page number; this is the first page."),
        ("q=rainwater&page=-3", "&quot;-3&quot; is not a page number"),
        ("q=rainwater&page=9999", "There is no page 9999; this is the last page, 1."),
        ("q=rainwater&page=99999999999999999999999", "There is no page"),
        ("q=rainwater&sort=%3Cscript%3E", "is not a way to sort results; they are sorted by"),
        (
            "q=rainwater&event_from=2026-13-45",
            "&quot;2026-13-45&quot; is not a date (write it as 2026-12-31), so the date “From” "
            "was left out.",
        ),
    ],
)
def test_bad_input_gets_a_normal_page_with_a_clear_notice(
    client: Client, catalogue: dict[str, Entry], query: str, notice: str | None
) -> None:
    response = client.get(f"/search/?{query}")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "<script" not in html.replace('<script src="/static/js/htmx.min.js" defer></script>', "")
    assert '<h2 id="results-heading">' in html
    if notice:
        assert any(notice in text for text in notices_on(html)), notices_on(html)


def test_script_in_the_query_is_shown_as_text(client: Client, catalogue: dict[str, Entry]) -> None:
    html = client.get("/search/?q=%3Cscript%3Ealert(1)%3C/script%3E").content.decode()

    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; · Search" in html


def test_known_filter_values_apply_beside_an_unknown_one(
    client: Client, catalogue: dict[str, Entry]
) -> None:
    html = client.get("/search/?q=rainwater&country=KEN&country=XXX").content.decode()

    assert titles_on(html) == ["Rainwater harvesting for smallholder farms"]
    assert is_checked(html, "country", "KEN")
    assert len(notices_on(html)) == 1


def test_page_past_the_end_shows_the_last_page(client: Client, index_dir: Path) -> None:
    for n in range(25):
        EntryFactory(title=f"Drip irrigation kit {n}", summary="Drip irrigation.", body="")
    build_index()

    html = client.get("/search/?q=drip&page=9999").content.decode()

    assert len(titles_on(html)) == 5
    assert "Page 2 of 2" in html
    assert notices_on(html) == ["There is no page 9999; this is the last page, 2."]


def test_dates_of_a_period_given_backwards_are_swapped(
    client: Client, catalogue: dict[str, Entry]
) -> None:
    later = timezone.localdate() + datetime.timedelta(days=60)
    sooner = timezone.localdate() + datetime.timedelta(days=20)

    html = client.get(f"/search/?event_from={later}&event_to={sooner}").content.decode()

    assert titles_on(html) == ["Regional workshop on rainwater harvesting"]
    assert notices_on(html) == ["The period ended before it began, so its dates were swapped."]
    assert f'value="{sooner}"' in html


def test_event_dates_keep_events_overlapping_the_period(
    client: Client, catalogue: dict[str, Entry]
) -> None:
    start = catalogue["workshop"].starts_on
    assert start is not None
    inside = client.get(f"/search/?event_from={start + datetime.timedelta(days=1)}")
    after = client.get(f"/search/?event_from={start + datetime.timedelta(days=10)}")

    assert titles_on(inside.content.decode()) == ["Regional workshop on rainwater harvesting"]
    assert titles_on(after.content.decode()) == []


def test_no_results_page_offers_to_remove_each_filter(
    client: Client, catalogue: dict[str, Entry]
) -> None:
    response = client.get("/search/?q=rainwater&country=PER&cooperation=triangular")

    assert response.status_code == 200
    html = response.content.decode()
    assert titles_on(html) == []
    assert "No published entry matches this search." in html
    assert (
        '<a href="/search/?q=rainwater&amp;cooperation=triangular">without the filter '
        "Country: Peru</a>" in html
    )
    assert (
        '<a href="/search/?q=rainwater&amp;country=PER">without the filter Cooperation: '
        "Triangular</a>" in html
    )
    assert '<a href="/search/?country=PER&amp;cooperation=triangular">without the words' in html


def test_misspelt_query_suggests_the_correction(
    client: Client, catalogue: dict[str, Entry]
) -> None:
    html = client.get("/search/?q=rainwatr&country=THA").content.decode()

    assert 'Did you mean: <a href="/search/?q=rainwater&amp;country=THA">' in html
    assert "<strong>rainwater</strong>" in html


# A missing or damaged index


def test_without_an_index_search_says_it_is_being_rebuilt_and_the_portal_keeps_working(
    client: Client, index_dir: Path, kenyan_centre: Organization
) -> None:
    entry = EntryFactory(title="Sand dams", providers=[kenyan_centre])
    EntryFactory(title="Sand dam manual", providers=[kenyan_centre])

    response = client.get("/search/?q=sand")

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    html = response.content.decode()
    assert '<h2 id="unavailable-heading">Search is being rebuilt</h2>' in html
    assert 'href="/technologies/"' in html  # browse by module meanwhile
    assert client.get("/").status_code == 200
    assert client.get("/technologies/").status_code == 200
    detail = client.get(f"/technologies/{entry.pk}/")
    assert detail.status_code == 200
    assert "Similar entries" not in detail.content.decode()
    assert "Sand dam manual" in detail.content.decode()  # same provider: from the database

    # The reader asked for a rebuild; without a broker it runs in a thread of this process.
    for _ in range(100):
        if store.index_copy().current_generation():
            break
        time.sleep(0.1)
    assert store.index_copy().current_generation() is not None


def test_damaged_index_says_search_is_being_rebuilt(
    client: Client, catalogue: dict[str, Entry], index_dir: Path
) -> None:
    copy = store.index_copy()
    generation = copy.current_generation()
    assert generation
    for path in copy.index_dir(generation).iterdir():
        path.write_bytes(b"not an index")
    store.forget_readers()

    response = client.get("/search/?q=rainwater", headers={"HX-Request": "true"})

    assert response.status_code == 503
    assert "Search is being rebuilt" in response.content.decode()
    assert client.get(f"/technologies/{catalogue['farms'].pk}/").status_code == 200


# CSV export


def test_csv_export_has_the_current_result_set(
    client: Client, catalogue: dict[str, Entry], kenyan_centre: Organization
) -> None:
    farms = catalogue["farms"]

    response = client.get("/search/export.csv?q=rainwater&country=KEN")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        [
            "id",
            "module",
            "title",
            "summary",
            "countries",
            "themes",
            "sdg_targets",
            "providers",
            "url",
        ],
        [
            str(farms.pk),
            "technology",
            "Rainwater harvesting for smallholder farms",
            "Roof catchments and storage tanks for dry-season irrigation.",
            "KEN; UGA",
            "ecosystem-management",
            "6.1",
            "Kenya Water Centre",
            f"http://testserver/technologies/{farms.pk}/",
        ],
    ]


def test_csv_export_is_capped_and_reads_the_engine_page_by_page(
    client: Client, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(7):
        EntryFactory(title=f"Drip irrigation kit {n}", summary="Drip irrigation.", body="")
    build_index()
    monkeypatch.setattr(export, "MAX_ROWS", 5)
    monkeypatch.setattr(export, "BATCH", 2)

    response = client.get("/search/export.csv?q=drip&sort=newest")

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1 + 5
    assert len({row[0] for row in rows[1:]}) == 5


def test_csv_export_defuses_spreadsheet_formulas(client: Client, index_dir: Path) -> None:
    EntryFactory(title='=HYPERLINK("http://evil.example") drip', summary="-2+3 drip", body="")
    build_index()

    response = client.get("/search/export.csv?q=drip")

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][2] == '\'=HYPERLINK("http://evil.example") drip'
    assert rows[1][3] == "'-2+3 drip"


def test_csv_export_without_an_index_is_a_being_rebuilt_page(
    client: Client, index_dir: Path
) -> None:
    response = client.get("/search/export.csv?q=drip")

    assert response.status_code == 503
    assert "Search is being rebuilt" in response.content.decode()


# Detail pages


def json_ld_of(html: str) -> dict[str, object]:
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(scripts) == 1
    data = json.loads(scripts[0])
    assert isinstance(data, dict)
    return data


def test_entry_detail_lists_similar_entries_and_other_entries_of_its_providers(
    client: Client, catalogue: dict[str, Entry]
) -> None:
    html = client.get(f"/technologies/{catalogue['farms'].pk}/").content.decode()

    start = html.index('id="similar-heading"')
    similar = html[start : html.index("</section>", start)]
    assert "Rainwater tanks for rural schools" in similar
    assert "Rainwater harvesting for smallholder farms" not in similar
    same_provider = html[html.index('id="provider-entries-heading"') :]
    pumps_url = f"/technologies/{catalogue['pumps'].pk}/"
    assert f'<a href="{pumps_url}" lang="en" dir="auto">Solar water pumps</a>' in same_provider


def test_entry_detail_carries_schema_org_json_ld(
    client: Client, catalogue: dict[str, Entry]
) -> None:
    farms = catalogue["farms"]

    data = json_ld_of(client.get(f"/technologies/{farms.pk}/").content.decode())

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "CreativeWork"
    assert data["name"] == "Rainwater harvesting for smallholder farms"
    assert data["description"] == "Roof catchments and storage tanks for dry-season irrigation."
    assert data["url"] == f"http://testserver/technologies/{farms.pk}/"
    assert data["inLanguage"] == "en"
    assert data["dateModified"] == farms.updated_at.isoformat()
    assert data["provider"] == [
        {
            "@type": "Organization",
            "name": "Kenya Water Centre",
            "url": f"http://testserver/organizations/{farms.providers.get().pk}/",
            "address": {"@type": "PostalAddress", "addressCountry": "KE"},
        }
    ]
    assert data["spatialCoverage"] == [
        {"@type": "Country", "name": "Kenya", "identifier": "KEN"},
        {"@type": "Country", "name": "Uganda", "identifier": "UGA"},
    ]
    about = data["about"]
    assert isinstance(about, list)
    assert [term["termCode"] for term in about] == ["6.1"]


def test_event_json_ld_is_an_event_with_dates_and_place(
    client: Client, catalogue: dict[str, Entry]
) -> None:
    workshop = catalogue["workshop"]

    data = json_ld_of(client.get(f"/events/{workshop.pk}/").content.decode())

    assert data["@type"] == "Event"
    assert data["name"] == "Regional workshop on rainwater harvesting"
    assert data["startDate"] == workshop.starts_on.isoformat()
    assert data["location"] == {
        "@type": "Place",
        "name": "Bangkok",
        "address": {"@type": "PostalAddress", "addressCountry": "TH"},
    }


def test_json_ld_cannot_be_closed_by_an_entry_title(client: Client, index_dir: Path) -> None:
    title = '</script><script>alert("x")</script> & <!-- more'
    entry = EntryFactory(title=title)

    html = client.get(f"/technologies/{entry.pk}/").content.decode()

    assert "<script>alert" not in html
    assert json_ld_of(html)["name"] == title


def test_organization_detail_carries_schema_org_json_ld(
    client: Client, index_dir: Path, kenyan_centre: Organization
) -> None:
    data = json_ld_of(client.get(f"/organizations/{kenyan_centre.pk}/").content.decode())

    assert data["@type"] == "Organization"
    assert data["name"] == "Kenya Water Centre"
    assert data["address"] == {"@type": "PostalAddress", "addressCountry": "KE"}


def test_network_json_ld_is_an_organization_with_its_members(
    client: Client, index_dir: Path, kenyan_centre: Organization
) -> None:
    network = EntryFactory(
        module=Entry.Module.NETWORK, kind=Entry.Kind.NETWORK, title="East African water network"
    )
    network.member_organizations.set([kenyan_centre])

    data = json_ld_of(client.get(f"/networks/{network.pk}/").content.decode())

    assert data["@type"] == "Organization"
    assert data["name"] == "East African water network"
    members = data["member"]
    assert isinstance(members, list)
    assert [member["name"] for member in members] == ["Kenya Water Centre"]


# Saved searches


@pytest.fixture
def user() -> User:
    return UserFactory(email="amina@example.org")


def test_anonymous_visitor_is_asked_to_sign_in_for_saved_searches(client: Client) -> None:
    response = client.get("/search/saved/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/search/saved/"


def test_sign_in_page_signs_in_and_returns_to_the_search(client: Client, user: User) -> None:
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    page = client.get("/accounts/login/?next=/search/%3Fq%3Dwater")
    response = client.post(
        "/accounts/login/",
        {
            "login": "amina@example.org",
            "password": "correct-horse-battery-staple",
            "next": "/search/?q=water",
        },
    )

    assert page.status_code == 200
    assert 'name="next" value="/search/?q=water"' in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == "/search/?q=water"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_search_page_offers_saving_to_signed_in_users_and_sign_in_to_others(
    client: Client, catalogue: dict[str, Entry], user: User
) -> None:
    anonymous = client.get("/search/?q=rainwater&country=THA").content.decode()
    client.force_login(user)
    signed_in = client.get("/search/?q=rainwater&country=THA").content.decode()

    assert (
        'href="/accounts/login/?next=/search/%3Fq%3Drainwater%26country%3DTHA">Sign in to save'
        in anonymous
    )
    assert '<form class="save-search" method="post" action="/search/saved/">' in signed_in
    assert '<input type="hidden" name="query_string" value="q=rainwater&amp;country=THA">' in (
        signed_in
    )
    assert 'name="csrfmiddlewaretoken"' in signed_in


def test_user_saves_the_current_search(client: Client, user: User) -> None:
    client.force_login(user)

    response = client.post(
        "/search/saved/",
        {
            "name": "Rainwater in Thailand",
            "query_string": "q=rainwater&country=THA&country=XXX&event_from=&sort=relevance",
            "email_digest": "on",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/search/saved/"
    saved = SavedSearch.objects.get()
    assert (saved.user, saved.name, saved.query_string, saved.email_digest) == (
        user,
        "Rainwater in Thailand",
        "q=rainwater&country=THA",
        True,
    )
    listing = client.get("/search/saved/").content.decode()
    assert "The search “Rainwater in Thailand” is saved." in listing
    assert '<a href="/search/?q=rainwater&amp;country=THA">Rainwater in Thailand</a>' in listing


def test_saving_without_a_name_is_refused_with_a_message(client: Client, user: User) -> None:
    client.force_login(user)

    response = client.post("/search/saved/", {"name": "  ", "query_string": "q=rainwater"})

    assert response.status_code == 400
    assert "Give the search a name" in response.content.decode()
    assert not SavedSearch.objects.exists()


def test_saving_a_second_search_under_the_same_name_is_refused(client: Client, user: User) -> None:
    SavedSearch.objects.create(user=user, name="Rainwater", query_string="q=rainwater")
    client.force_login(user)

    response = client.post("/search/saved/", {"name": "rainwater", "query_string": "q=tanks"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "You already have a saved search named “rainwater”. Choose another name." in html
    assert 'name="query_string" value="q=tanks"' in html  # kept for a second try
    assert list(SavedSearch.objects.values_list("query_string", flat=True)) == ["q=rainwater"]


def test_two_users_may_use_the_same_name(client: Client, user: User) -> None:
    SavedSearch.objects.create(user=UserFactory(), name="Rainwater", query_string="q=rain")
    client.force_login(user)

    response = client.post("/search/saved/", {"name": "Rainwater", "query_string": "q=tanks"})

    assert response.status_code == 302
    assert SavedSearch.objects.filter(name="Rainwater").count() == 2


def test_saving_needs_the_csrf_token(user: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/search/saved/", {"name": "Rainwater", "query_string": "q=rain"})

    assert response.status_code == 403
    assert not SavedSearch.objects.exists()


def test_user_deletes_a_saved_search(client: Client, user: User) -> None:
    saved = SavedSearch.objects.create(user=user, name="Rainwater", query_string="q=rain")
    client.force_login(user)

    response = client.post(f"/search/saved/{saved.pk}/delete/")

    assert response.status_code == 302
    assert not SavedSearch.objects.exists()


def test_user_cannot_see_or_delete_another_users_saved_search(client: Client, user: User) -> None:
    others = SavedSearch.objects.create(user=UserFactory(), name="Theirs", query_string="q=x")
    client.force_login(user)

    listing = client.get("/search/saved/")
    deleting = client.post(f"/search/saved/{others.pk}/delete/")

    assert listing.status_code == 200
    assert "Theirs" not in listing.content.decode()
    assert deleting.status_code == 404
    assert SavedSearch.objects.filter(pk=others.pk).exists()


def test_deleting_takes_a_post(client: Client, user: User) -> None:
    saved = SavedSearch.objects.create(user=user, name="Rainwater", query_string="q=rain")
    client.force_login(user)

    assert client.get(f"/search/saved/{saved.pk}/delete/").status_code == 405
    assert SavedSearch.objects.filter(pk=saved.pk).exists()


# The daily digest

NOW = datetime.datetime(2026, 12, 1, 6, 0, tzinfo=datetime.UTC)


def test_digest_mails_each_user_the_entries_published_since_the_last_one_once(
    index_dir: Path, user: User
) -> None:
    thai = SavedSearch.objects.create(
        user=user, name="Rainwater in Thailand", query_string="q=rainwater&country=THA"
    )
    everything = SavedSearch.objects.create(
        user=user, name="All rainwater", query_string="q=rainwater"
    )
    SavedSearch.objects.filter(pk__in=[thai.pk, everything.pk]).update(
        created_at=NOW - datetime.timedelta(days=3),
        last_sent_at=NOW - datetime.timedelta(days=1),
    )
    no_digest = SavedSearch.objects.create(
        user=UserFactory(email="no-mail@example.org"),
        name="Quiet",
        query_string="q=rainwater",
        email_digest=False,
    )
    SavedSearch.objects.filter(pk=no_digest.pk).update(created_at=NOW - datetime.timedelta(days=3))

    def published(title: str, hours_ago: float, iso3: str) -> Entry:
        entry = EntryFactory(
            title=title,
            summary="Rainwater storage.",
            body="",
            published_at=NOW - datetime.timedelta(hours=hours_ago),
        )
        entry.countries_applied.set([country(iso3)])
        return entry

    published("Old Thai rainwater jars", 30, "THA")  # before the last digest
    published("New Thai rainwater jars", 5, "THA")
    published("New Kenyan rainwater tanks", 4, "KEN")
    published("Thai rainwater published during the run", 0.05, "THA")  # after the cut-off
    build_index()

    with time_machine.travel(NOW, tick=False):
        queued = saved_search_digest_task()

    assert queued == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["amina@example.org"]
    assert message.subject == "New entries for your saved searches"
    text = message.body
    assert "== All rainwater ==\n2 new entries" in text
    assert "== Rainwater in Thailand ==\n1 new entry" in text
    assert text.index("New Kenyan rainwater tanks") < text.index("== Rainwater in Thailand")
    assert "Old Thai rainwater jars" not in text
    assert "published during the run" not in text
    assert "http://127.0.0.1:8000/search/saved/" in text
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert ">New Thai rainwater jars</a>" in str(html)
    cut_off = NOW - digest.INDEX_LAG
    assert set(SavedSearch.objects.filter(user=user).values_list("last_sent_at", flat=True)) == {
        cut_off
    }
    assert SavedSearch.objects.get(pk=no_digest.pk).last_sent_at is None

    # A second run (a redelivered task, a second beat) sends nothing.
    with time_machine.travel(NOW + datetime.timedelta(minutes=5), tick=False):
        assert saved_search_digest_task() == 0
    assert len(mail.outbox) == 1

    # The next day, the entry published during the first run comes in the next digest.
    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        saved_search_digest_task()
    assert len(mail.outbox) == 2
    assert "Thai rainwater published during the run" in mail.outbox[1].body
    assert "New Thai rainwater jars" not in mail.outbox[1].body


def test_digest_without_new_entries_sends_nothing_and_moves_on(index_dir: Path, user: User) -> None:
    saved = SavedSearch.objects.create(user=user, name="Sand dams", query_string="q=sand")
    SavedSearch.objects.filter(pk=saved.pk).update(created_at=NOW - datetime.timedelta(days=2))
    EntryFactory(title="Rainwater only", published_at=NOW - datetime.timedelta(hours=3))
    build_index()

    with time_machine.travel(NOW, tick=False):
        assert digest.saved_search_digest_send(user_id=user.pk) is False

    assert mail.outbox == []
    assert SavedSearch.objects.get().last_sent_at == NOW - digest.INDEX_LAG


def test_digest_is_written_in_the_users_language(index_dir: Path) -> None:
    user = UserFactory(email="awa@example.org", preferred_language="fr")
    saved = SavedSearch.objects.create(user=user, name="Eau", query_string="q=rainwater")
    SavedSearch.objects.filter(pk=saved.pk).update(created_at=NOW - datetime.timedelta(days=2))
    EntryFactory(title="Rainwater jars", published_at=NOW - datetime.timedelta(hours=3))
    build_index()

    with time_machine.travel(NOW, tick=False):
        digest.saved_search_digest_send(user_id=user.pk)

    assert mail.outbox[0].subject == "Nouvelles fiches pour vos recherches enregistrées"


# Languages


@pytest.mark.parametrize(
    ("language", "heading", "direction"),
    [
        ("fr", "Rechercher dans le catalogue", "ltr"),
        ("es", "Buscar en el catálogo", "ltr"),
        ("zh-hans", "搜索目录", "ltr"),
        ("ar", "البحث في الدليل", "rtl"),
        ("ru", "Поиск по каталогу", "ltr"),
    ],
)
def test_search_page_is_translated(
    client: Client, catalogue: dict[str, Entry], language: str, heading: str, direction: str
) -> None:
    client.post("/i18n/setlang/", {"language": language, "next": "/"})

    html = client.get("/search/?q=rainwater").content.decode()

    assert f'<html lang="{language}" dir="{direction}">' in html
    assert f"<h1>{heading}</h1>" in html


def test_facet_labels_follow_the_page_language(client: Client, catalogue: dict[str, Entry]) -> None:
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})

    html = client.get("/search/?q=rainwater").content.decode()

    assert '<label for="facet-region-002">Afrique <span' in html
    assert '<label for="facet-country-THA">Thaïlande <span' in html
    assert '<label for="facet-cooperation-triangular">Triangulaire <span' in html


def test_stale_entries_are_marked_in_search_results_and_module_lists(
    client: Client, index_dir: Path, kenyan_centre: Organization
) -> None:
    today = timezone.localdate()
    stale = EntryFactory(
        title="Rainwater cisterns, unconfirmed",
        providers=[kenyan_centre],
        last_confirmed_on=today - datetime.timedelta(days=settings.ENTRY_STALE_AFTER_DAYS + 1),
    )
    fresh = EntryFactory(title="Rainwater cisterns, confirmed", providers=[kenyan_centre])
    build_index()

    results = client.get("/search/?q=cisterns").content.decode()
    listing = client.get("/technologies/").content.decode()

    for html in (results, listing):
        cards = re.split(r'<article class="card entry-card', html)[1:]
        links = {entry.pk: f'href="/technologies/{entry.pk}/"' for entry in (stale, fresh)}
        by_pk = {pk: card for card in cards for pk, link in links.items() if link in card}
        assert set(by_pk) == {stale.pk, fresh.pk}
        assert 'class="badge badge-stale"' in by_pk[stale.pk]
        assert "badge-stale" not in by_pk[fresh.pk]
