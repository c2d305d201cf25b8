"""One real Chromium through the shell: home, a module list, an entry, the language switcher."""

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from catalog.models import Entry
from tests.browser.conftest import SCREENSHOTS
from tests.factories import EntryFactory, EventFactory, NeedFactory, OrganizationFactory, country

SCREENSHOT = SCREENSHOTS / "home.png"


@pytest.fixture
def catalogue(reference_data: None) -> Entry:
    """A few entries from the report's examples."""
    nanjing = OrganizationFactory(
        name="Nanjing Institute of Geography and Limnology", country=country("CHN")
    )
    ait = OrganizationFactory(name="Asian Institute of Technology", country=country("THA"))
    enda = OrganizationFactory(name="ENDA Energie", country=country("SEN"))
    riso = OrganizationFactory(name="UNEP Risø Centre", country=country("DNK"))
    rainwater = EntryFactory(
        title="Rainwater harvesting for smallholder farms",
        summary="Roof and ground catchments with storage tanks, tested in seven African countries.",
        providers=[nanjing],
    )
    rainwater.countries_of_origin.set([country("CHN")])
    rainwater.countries_applied.set(
        [country(iso3) for iso3 in ("BDI", "KEN", "MOZ", "RWA", "ZAF", "UGA", "TZA")]
    )
    monitoring = EntryFactory(
        title="Water-quality monitoring of Lake Tanganyika",
        summary="Shared monitoring of a transboundary lake, with laboratory training.",
        providers=[nanjing],
    )
    monitoring.countries_applied.set([country(iso3) for iso3 in ("BDI", "COD", "TZA", "ZMB")])
    network = EntryFactory(
        module=Entry.Module.NETWORK,
        kind=Entry.Kind.NETWORK,
        title="Network of climate-change focal points in South-East Asia",
        summary="Ten countries train each other on energy-efficiency audits, standards and labels.",
        providers=[ait],
    )
    network.countries_applied.set([country(iso3) for iso3 in ("KHM", "IDN", "LAO", "THA", "VNM")])
    workshop = EventFactory(
        title="Technology needs assessment regional workshop",
        summary="Countries prioritise climate technologies and draft technology action plans.",
        venue="Dakar",
        venue_country=country("SEN"),
        providers=[enda, riso],
    )
    workshop.countries_applied.set([country(iso3) for iso3 in ("SEN", "MLI", "GHA")])
    icimod = OrganizationFactory(
        name="International Centre for Integrated Mountain Development", country=country("NPL")
    )
    kailash = EntryFactory(
        module=Entry.Module.EXPERIENCE,
        kind=Entry.Kind.LESSONS_LEARNED,
        title="Kailash Sacred Landscape conservation",
        summary="China, India and Nepal manage a shared mountain landscape together.",
        providers=[icimod],
    )
    kailash.countries_applied.set([country(iso3) for iso3 in ("CHN", "IND", "NPL")])
    bariloche = OrganizationFactory(name="Fundación Bariloche", country=country("ARG"))
    roster = EntryFactory(
        module=Entry.Module.EXPERTISE,
        kind=Entry.Kind.INSTITUTIONAL_EXPERTISE,
        title="Energy and climate policy analysis",
        summary="A regional centre advising Latin American governments on climate technologies.",
        providers=[bariloche],
    )
    roster.countries_applied.set([country(iso3) for iso3 in ("ARG", "PER", "BOL")])
    fellowship = EntryFactory(
        module=Entry.Module.OPPORTUNITY,
        kind=Entry.Kind.FELLOWSHIP,
        title="Water-science fellowships for African researchers",
        summary="Six-month research fellowships at Chinese institutes.",
        providers=[nanjing],
    )
    fellowship.countries_applied.set([country("KEN"), country("ZMB")])
    NeedFactory.create_batch(2)
    assert isinstance(rainwater, Entry)
    return rainwater


@pytest.mark.browser
def test_visitor_browses_to_an_entry_and_switches_to_french(
    live_server: LiveServer, catalogue: Entry, chromium_page: Page
) -> None:
    page = chromium_page
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Solutions from the South, for the South"
    )
    # The stylesheet loaded: the header has the portal's green, not the browser's default.
    expect(page.locator(".site-header")).to_have_css("background-color", "rgb(11, 110, 79)")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Technologies"
    ).click()
    expect(page).to_have_url(live_server.url + "/technologies/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Technologies")
    expect(page.get_by_role("heading", name="Entries found: 2")).to_be_visible()

    page.get_by_role("link", name=catalogue.title).click()
    expect(page).to_have_url(f"{live_server.url}/technologies/{catalogue.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(catalogue.title)
    expect(page.locator(".badges .badge-south-south")).to_have_text("South-South")

    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change language").click()

    # Back on the same entry, now in French.
    expect(page).to_have_url(f"{live_server.url}/technologies/{catalogue.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Fournisseurs", exact=True)).to_be_visible()
    expect(page.locator(".badges .badge-south-south")).to_have_text("Sud-Sud")
    expect(
        page.get_by_role("navigation", name="Navigation principale").get_by_role(
            "link", name="Organisations"
        )
    ).to_be_visible()
    assert SCREENSHOT.stat().st_size > 10_000
