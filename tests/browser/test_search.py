"""Searching in a real Chromium: the header search box, two facets applied with htmx (one by
keyboard), a result opened, and the back button bringing the narrowed search back."""

import datetime
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from catalog.models import Entry, Organization
from search import indexer
from tests.browser.conftest import SCREENSHOTS
from tests.factories import EntryFactory, EventFactory, OrganizationFactory, country

SCREENSHOT = SCREENSHOTS / "search.png"


@pytest.fixture
def indexed_catalogue(reference_data: None, settings: Any) -> Entry:
    """Entries about rainwater in Africa and Asia, indexed; returns the Thai workshop."""
    # One explicit build below rather than a catch-up after every row written.
    settings.SEARCH_CATCH_UP_ON_COMMIT = False
    settings.SEARCH_READER_RELOAD_SECONDS = 0
    kenyan_centre = OrganizationFactory(name="Kenya Water Centre", country=country("KEN"))
    thai_university = OrganizationFactory(
        name="Chulalongkorn University",
        country=country("THA"),
        type=Organization.Type.UNIVERSITY_RESEARCH,
    )
    farms = EntryFactory(
        title="Rainwater harvesting for smallholder farms",
        summary="Roof catchments and storage tanks for dry-season irrigation.",
        body="",
        providers=[kenyan_centre],
    )
    farms.countries_applied.set([country("KEN"), country("UGA")])
    schools = EntryFactory(
        module=Entry.Module.EXPERIENCE,
        kind=Entry.Kind.BEST_PRACTICE,
        title="Rainwater tanks for rural schools",
        summary="Schools in north-east Thailand collect rainwater for drinking.",
        body="",
        providers=[thai_university],
    )
    schools.countries_applied.set([country("THA")])
    workshop = EventFactory(
        title="Regional workshop on rainwater harvesting",
        summary="Practitioners from South-East Asia compare rainwater catchment designs.",
        body="",
        starts_on=timezone.localdate() + datetime.timedelta(days=30),
        ends_on=timezone.localdate() + datetime.timedelta(days=32),
        providers=[thai_university],
    )
    workshop.countries_applied.set([country("THA")])
    for n in range(3):
        EntryFactory(
            title=f"Rainwater jar design {n}",
            summary="Ferrocement jars that store rainwater.",
            body="",
            providers=[kenyan_centre],
        ).countries_applied.set([country("KEN")])
    indexer.index_rebuild()
    assert isinstance(workshop, Entry)
    return workshop


@pytest.mark.browser
def test_visitor_narrows_a_search_with_two_facets_opens_a_result_and_comes_back(
    live_server: LiveServer, indexed_catalogue: Entry, chromium_page: Page
) -> None:
    page = chromium_page
    workshop = indexed_catalogue
    page.goto(live_server.url + "/")

    search_box = page.get_by_role("searchbox", name="Search the catalogue")
    search_box.fill("rainwater")
    search_box.press("Enter")

    expect(page).to_have_url(live_server.url + "/search/?q=rainwater")
    expect(page.get_by_role("heading", level=2, name="6 entries found")).to_be_visible()
    expect(page.locator(".search-hit mark").first).to_have_text(re.compile("rainwater", re.I))
    # From here on the page must not reload: htmx swaps the results region only.
    page.evaluate("window.sameDocument = true")

    page.get_by_role("group", name="Country").get_by_role(
        "checkbox", name=re.compile(r"^Thailand")
    ).check()
    expect(page.get_by_role("heading", level=2, name="2 entries found")).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]country=THA(&|$)"))

    # The second facet by keyboard: a real checkbox takes focus and toggles with Space.
    event = page.get_by_role("group", name="Module").get_by_role(
        "checkbox", name=re.compile(r"^Event")
    )
    event.focus()
    page.keyboard.press("Space")
    expect(page.get_by_role("heading", level=2, name="1 entry found")).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]module=event(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]country=THA(&|$)"))
    assert page.evaluate("window.sameDocument") is True
    narrowed_url = page.url
    expect(page.get_by_role("link", name="Remove Country: Thailand")).to_be_visible()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.get_by_role("link", name="Regional workshop on rainwater harvesting").click()
    expect(page).to_have_url(f"{live_server.url}/events/{workshop.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Regional workshop on rainwater harvesting"
    )

    page.go_back()

    expect(page).to_have_url(narrowed_url)
    expect(page.get_by_role("heading", level=2, name="1 entry found")).to_be_visible()
    expect(page.get_by_role("checkbox", name=re.compile(r"^Thailand"))).to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile(r"^Event"))).to_be_checked()
    expect(page.get_by_role("searchbox", name="Search for")).to_have_value("rainwater")

    # One more step back: Thailand only, as before the keyboard.
    page.go_back()

    expect(page).to_have_url(re.compile(r"[?&]country=THA(&|$)"))
    expect(page).not_to_have_url(re.compile(r"module=event"))
    expect(page.get_by_role("heading", level=2, name="2 entries found")).to_be_visible()
    expect(page.get_by_role("checkbox", name=re.compile(r"^Event"))).not_to_be_checked()
    assert SCREENSHOT.stat().st_size > 10_000
