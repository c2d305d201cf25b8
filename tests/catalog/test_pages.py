"""The browser shell: home counts, module lists with filters, detail pages, languages."""

import datetime
import re

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from accounts.models import User
from catalog.models import Entry, EntryLink, EntryProvider, Organization, SdgTarget, Theme
from partners.models import PartnerSource
from tests.factories import (
    EntryFactory,
    EventFactory,
    NeedFactory,
    OrganizationFactory,
    PartnerSourceFactory,
    UserFactory,
    country,
)

pytestmark = pytest.mark.django_db


def titles_on(html: str) -> list[str]:
    """Titles of the entry cards on a list page, in order."""
    return re.findall(r'<h3[^>]*><a href="[^"]+">([^<]+)</a></h3>', html)


def card_of(html: str, title: str) -> str:
    """The HTML of the entry card with this title."""
    for card in re.findall(r'<article class="card entry-card">.*?</article>', html, re.S):
        if f">{title}</a></h3>" in card:
            return str(card)
    raise AssertionError(f"No card titled {title!r}")


@pytest.fixture
def kenyan_centre() -> Organization:
    organization = OrganizationFactory(name="Kenya Water Centre", country=country("KEN"))
    assert isinstance(organization, Organization)
    return organization


@pytest.fixture
def norwegian_agency() -> Organization:
    organization = OrganizationFactory(name="Norwegian Cooperation Agency", country=country("NOR"))
    assert isinstance(organization, Organization)
    return organization


# Home page


def test_home_counts_published_entries_per_module_office_and_region(client: Client) -> None:
    both_african = EntryFactory(title="Sand dams")
    both_african.countries_of_origin.set([country("KEN")])
    both_african.countries_applied.set([country("KEN"), country("UGA")])
    from_africa_to_asia = EntryFactory(title="Solar dryers")
    from_africa_to_asia.countries_of_origin.set([country("KEN")])
    from_africa_to_asia.countries_applied.set([country("THA")])
    latin_event = EventFactory(title="Lima workshop")
    latin_event.countries_applied.set([country("PER")])
    draft = EntryFactory(status=Entry.Status.DRAFT)
    draft.countries_applied.set([country("KEN")])
    EntryFactory(module=Entry.Module.NETWORK, kind=Entry.Kind.NETWORK, status=Entry.Status.ARCHIVED)

    response = client.get("/")

    assert response.status_code == 200
    counts = response.context["counts"]
    assert counts.entries == 3
    assert {row.page.module: row.count for row in counts.by_module} == {
        "technology": 2,
        "expertise": 0,
        "experience": 0,
        "opportunity": 0,
        "network": 0,
        "event": 1,
    }
    # Applied in Kenya and Uganda, the sand dams count once for the Africa office.
    assert {row.label: row.count for row in counts.by_office} == {
        "Africa": 1,
        "Asia and the Pacific": 1,
        "West Asia": 0,
        "Latin America and the Caribbean": 1,
        "Europe": 0,
        "North America": 0,
    }
    # Regions count origin and application: the solar dryers count for Africa and Asia.
    by_region = {row.label: row.count for row in counts.by_region}
    assert by_region["Africa"] == 2
    assert by_region["Asia"] == 1
    assert by_region["Americas"] == 1
    assert by_region["Europe"] == 0
    html = response.content.decode()
    assert 'href="/technologies/"' in html
    assert re.search(
        r'<span class="count">2</span>\s*<span class="module-title">Technologies', html
    )


def test_home_counts_southern_and_other_organizations_and_open_needs(
    client: Client, kenyan_centre: Organization, norwegian_agency: Organization
) -> None:
    OrganizationFactory(country=country("BRA"))
    NeedFactory.create_batch(2)
    NeedFactory(status="draft")

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<td class="num" id="count-organizations-southern">2</td>' in html
    assert '<td class="num" id="count-organizations-other">1</td>' in html
    assert '<td class="num" id="count-open-needs">2</td>' in html


def test_home_page_has_landmarks_skip_link_and_language_switcher(client: Client) -> None:
    response = client.get("/")

    html = response.content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert '<a class="skip-link" href="#main">Skip to main content</a>' in html
    for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
        assert landmark in html
    assert '<form class="language-switcher" action="/i18n/setlang/" method="post">' in html
    assert '<label for="language-select">Language</label>' in html
    assert 'href="/admin/"' in html
    assert 'href="/help/"' in html
    assert "Version 0.1.0" in html


def test_stylesheet_is_served_by_the_portal_and_pages_load_nothing_from_other_hosts(
    client: Client,
) -> None:
    EntryFactory()

    stylesheet = client.get("/static/css/portal.css")
    home = client.get("/").content.decode()

    assert stylesheet.status_code == 200
    assert stylesheet["Content-Type"].startswith("text/css")
    css = b"".join(stylesheet.streaming_content).decode()
    assert ".skip-link" in css
    assert "@import" not in css
    assert "url(http" not in css
    assert '<link rel="stylesheet" href="/static/css/portal.css">' in home
    assert not re.search(r'(src|href)="(https?:)?//', home)


# Module lists


def test_module_list_shows_published_entries_of_that_module_only(client: Client) -> None:
    EntryFactory(title="Published technology")
    EntryFactory(title="Draft technology", status=Entry.Status.DRAFT)
    EntryFactory(title="Submitted technology", status=Entry.Status.SUBMITTED)
    EntryFactory(title="Archived technology", status=Entry.Status.ARCHIVED)
    EventFactory(title="Published event")

    response = client.get("/technologies/")

    assert response.status_code == 200
    assert titles_on(response.content.decode()) == ["Published technology"]
    assert response.context["page_obj"].paginator.count == 1


def test_every_module_has_a_list_page(client: Client) -> None:
    for path, heading in [
        ("/technologies/", "Technologies"),
        ("/expertise/", "Expertise"),
        ("/experiences/", "Experiences"),
        ("/opportunities/", "Opportunities"),
        ("/networks/", "Networks"),
        ("/events/", "Events"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert f"<h1>{heading}</h1>" in response.content.decode()
    assert client.get("/technology/").status_code == 404


def test_list_card_shows_kind_providers_countries_and_cooperation_badge(
    client: Client, kenyan_centre: Organization, norwegian_agency: Organization
) -> None:
    southern = EntryFactory(title="Sand dams", providers=[kenyan_centre])
    southern.countries_of_origin.set([country("KEN")])
    southern.countries_applied.set([country("UGA"), country("TZA")])
    EntryFactory(title="Joint monitoring", providers=[kenyan_centre, norwegian_agency])

    response = client.get("/technologies/")

    html = response.content.decode()
    sand_dams = card_of(html, "Sand dams")
    assert '<span class="badge badge-south-south">South-South</span>' in sand_dams
    assert "<dd>Technology</dd>" in sand_dams
    assert "<dd>Kenya Water Centre</dd>" in sand_dams
    assert "<dd>Kenya</dd>" in sand_dams
    assert "<dd>Uganda, United Republic of Tanzania</dd>" in sand_dams
    joint = card_of(html, "Joint monitoring")
    assert '<span class="badge badge-triangular">Triangular</span>' in joint


def test_module_list_is_paginated_by_25(client: Client) -> None:
    EntryFactory.create_batch(26)

    first = client.get("/technologies/")
    second = client.get("/technologies/?page=2")

    assert len(titles_on(first.content.decode())) == 25
    assert "Page 1 of 2" in first.content.decode()
    assert 'href="?page=2" rel="next"' in first.content.decode()
    assert len(titles_on(second.content.decode())) == 1


def test_filter_by_region_keeps_entries_from_or_applied_in_the_region(client: Client) -> None:
    from_kenya = EntryFactory(title="From Kenya")
    from_kenya.countries_of_origin.set([country("KEN")])
    applied_in_ghana = EntryFactory(title="Applied in Ghana")
    applied_in_ghana.countries_applied.set([country("GHA"), country("NGA")])
    in_asia = EntryFactory(title="Applied in Thailand")
    in_asia.countries_applied.set([country("THA")])

    africa = country("KEN").region_code

    response = client.get(f"/technologies/?region={africa}")

    assert response.status_code == 200
    assert sorted(titles_on(response.content.decode())) == ["Applied in Ghana", "From Kenya"]


def test_filter_by_country_uses_iso3(client: Client) -> None:
    in_ghana = EntryFactory(title="Applied in Ghana")
    in_ghana.countries_applied.set([country("GHA"), country("NGA")])
    from_ghana = EntryFactory(title="From Ghana")
    from_ghana.countries_of_origin.set([country("GHA")])
    in_kenya = EntryFactory(title="Applied in Kenya")
    in_kenya.countries_applied.set([country("KEN")])

    response = client.get("/technologies/?country=GHA")

    assert sorted(titles_on(response.content.decode())) == ["Applied in Ghana", "From Ghana"]


def test_filter_by_theme_uses_its_code(client: Client) -> None:
    climate = Theme.objects.get(code="climate-change")
    EntryFactory(title="Climate entry", themes=[climate])
    EntryFactory(title="Other entry")

    response = client.get("/technologies/?theme=climate-change")

    assert titles_on(response.content.decode()) == ["Climate entry"]


def test_filter_by_cooperation_separates_south_south_from_triangular(
    client: Client, kenyan_centre: Organization, norwegian_agency: Organization
) -> None:
    EntryFactory(title="All Southern", providers=[kenyan_centre])
    EntryFactory(title="With a Northern partner", providers=[kenyan_centre, norwegian_agency])
    EntryFactory(title="Northern only", providers=[norwegian_agency])
    EntryFactory(title="No provider")

    south_south = client.get("/technologies/?cooperation=south-south")
    triangular = client.get("/technologies/?cooperation=triangular")

    assert titles_on(south_south.content.decode()) == ["All Southern"]
    assert titles_on(triangular.content.decode()) == ["With a Northern partner"]


def test_unknown_filter_value_is_reported_and_not_applied(client: Client) -> None:
    EntryFactory(title="Any entry")

    response = client.get("/technologies/?country=XXX")

    assert response.status_code == 200
    html = response.content.decode()
    assert titles_on(html) == ["Any entry"]
    assert "This value is not known, so it was not applied." in html


def test_filters_are_kept_in_pagination_links(client: Client) -> None:
    for _ in range(26):
        EntryFactory().countries_applied.set([country("KEN")])

    response = client.get("/technologies/?country=KEN")

    assert 'href="?country=KEN&amp;page=2"' in response.content.decode()


# Entry detail


def test_entry_detail_shows_every_field(
    client: Client, kenyan_centre: Organization, norwegian_agency: Organization
) -> None:
    source = PartnerSourceFactory(name="IATI Registry", connector=PartnerSource.Connector.IATI)
    entry = EntryFactory(
        title="Rainwater harvesting for schools",
        summary="Roof catchment and storage tanks.",
        body="First paragraph.\n\nSecond paragraph.",
        providers=[kenyan_centre, norwegian_agency],
        themes=[Theme.objects.get(code="climate-change")],
        contact_name="Amina Odhiambo",
        contact_email="amina@example.org",
        last_confirmed_on=datetime.date(2026, 3, 14),
        source=source,
        external_id="KE-123",
        is_verified=True,
    )
    entry.countries_of_origin.set([country("KEN")])
    entry.countries_applied.set([country("RWA")])
    entry.sdg_targets.set([SdgTarget.objects.get(code="6.4")])
    EntryLink.objects.create(entry=entry, url="https://example.org/guide", label="Guide")
    EntryProvider.objects.create(
        entry=entry,
        organization=OrganizationFactory(name="African Development Fund", country=country("CIV")),
        role=EntryProvider.Role.FUNDER,
    )

    # Signed in: the contact person is shown only to signed-in users (test_contacts_privacy.py).
    user: User = UserFactory()
    client.force_login(user)
    response = client.get(f"/technologies/{entry.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 lang="en" dir="auto">Rainwater harvesting for schools</h1>' in html
    assert '<span class="badge badge-triangular">Triangular</span>' in html
    assert "Verified by programme staff" in html
    assert "<p>First paragraph.</p>" in html
    assert "Roof catchment and storage tanks." in html
    assert "<dd>Climate change</dd>" in html
    assert "<dd>Kenya</dd>" in html
    assert "<dd>Rwanda</dd>" in html
    assert "<strong>6.4</strong> By 2030, substantially increase water-use efficiency" in html
    assert f'href="/organizations/{kenyan_centre.pk}/">Kenya Water Centre</a>' in html
    assert '<span class="badge badge-south">Southern</span>' in html
    assert '<span class="badge badge-north">Northern</span>' in html
    assert "<td>Norway</td>" in html
    # Lead providers come before funders, whatever their names.
    assert html.index("Kenya Water Centre") < html.index("African Development Fund")
    assert '<a href="https://example.org/guide" rel="noopener">Guide</a>' in html
    assert '<a href="mailto:amina@example.org">amina@example.org</a>' in html
    assert "Amina Odhiambo" in html
    assert '<time datetime="2026-03-14">March 14, 2026</time>' in html
    assert "IATI Registry (IATI activity XML), identifier KE-123" in html


def test_event_detail_shows_dates_and_venue(client: Client) -> None:
    event = EventFactory(
        title="Lake Tanganyika monitoring workshop",
        starts_on=datetime.date(2026, 9, 7),
        ends_on=datetime.date(2026, 9, 9),
        venue="Bujumbura",
        venue_country=country("BDI"),
    )

    response = client.get(f"/events/{event.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<time datetime="2026-09-07">Sept. 7, 2026</time>' in html
    assert '<time datetime="2026-09-09">Sept. 9, 2026</time>' in html
    assert "<dd>Bujumbura, Burundi</dd>" in html


def test_entry_detail_of_an_unpublished_entry_is_404(client: Client) -> None:
    for status in (Entry.Status.DRAFT, Entry.Status.SUBMITTED, Entry.Status.ARCHIVED):
        entry = EntryFactory(status=status)
        assert client.get(f"/technologies/{entry.pk}/").status_code == 404, status


def test_entry_detail_under_another_module_slug_is_404(client: Client) -> None:
    technology = EntryFactory()

    assert client.get(f"/technologies/{technology.pk}/").status_code == 200
    assert client.get(f"/events/{technology.pk}/").status_code == 404


def test_sdg_target_titles_follow_the_page_language(client: Client) -> None:
    target = SdgTarget.objects.get(code="6.4")
    entry = EntryFactory()
    entry.sdg_targets.set([target])

    response = client.get(f"/technologies/{entry.pk}/", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 200
    assert target.title_fr
    assert f"<strong>6.4</strong> {target.title_fr}" in response.content.decode()


# Organizations


def test_organization_list_flags_southern_organizations(
    client: Client, kenyan_centre: Organization, norwegian_agency: Organization
) -> None:
    EntryFactory(providers=[kenyan_centre])
    EntryFactory(providers=[kenyan_centre], status=Entry.Status.DRAFT)

    response = client.get("/organizations/")

    assert response.status_code == 200
    html = response.content.decode()
    kenyan_row = html[
        html.index("Kenya Water Centre") : html.index("</tr>", html.index("Kenya Water Centre"))
    ]
    assert '<span class="badge badge-south">Southern</span>' in kenyan_row
    assert '<td class="num">1</td>' in kenyan_row
    norwegian_row = html[html.index("Norwegian Cooperation Agency") :]
    assert '<span class="badge badge-north">Northern</span>' in norwegian_row


def test_organization_list_filters_by_country(
    client: Client, kenyan_centre: Organization, norwegian_agency: Organization
) -> None:
    response = client.get("/organizations/?country=NOR")

    html = response.content.decode()
    assert "Norwegian Cooperation Agency" in html
    assert "Kenya Water Centre" not in html


def test_organization_detail_lists_its_published_entries(
    client: Client, kenyan_centre: Organization
) -> None:
    EntryFactory(title="Published sand dams", providers=[kenyan_centre])
    EventFactory(title="Published workshop", providers=[kenyan_centre])
    EntryFactory(title="Draft sand dams", providers=[kenyan_centre], status=Entry.Status.DRAFT)
    EntryFactory(title="Someone else's entry")

    response = client.get(f"/organizations/{kenyan_centre.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Kenya Water Centre</h1>" in html
    assert sorted(titles_on(html)) == ["Published sand dams", "Published workshop"]
    assert "Event · Workshop" in html


def test_organization_detail_of_unknown_organization_is_404(client: Client) -> None:
    assert client.get("/organizations/999999/").status_code == 404


# Languages


def test_switching_to_french_with_the_language_form_shows_french_labels(client: Client) -> None:
    EntryFactory(title="Sand dams")

    switched = client.post("/i18n/setlang/", {"language": "fr", "next": "/technologies/"})
    response = client.get("/technologies/")

    assert switched.status_code == 302
    assert switched["Location"] == "/technologies/"
    html = response.content.decode()
    assert '<html lang="fr" dir="ltr">' in html
    assert "Filtrer la liste" in html
    assert '<a class="skip-link" href="#main">Aller au contenu principal</a>' in html
    assert "Organisations" in html
    assert "Sud-Sud" in html


def test_arabic_pages_are_right_to_left(client: Client) -> None:
    client.post("/i18n/setlang/", {"language": "ar", "next": "/"})

    response = client.get("/")

    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl">' in response.content.decode()


@pytest.mark.parametrize(
    ("language", "skip_link"),
    [
        ("es", "Ir al contenido principal"),
        ("ru", "Перейти к основному содержанию"),
        ("zh-hans", "跳到主要内容"),
        ("ar", "انتقل إلى المحتوى الرئيسي"),
    ],
)
def test_shell_is_translated_into_every_un_language(
    client: Client, language: str, skip_link: str
) -> None:
    client.post("/i18n/setlang/", {"language": language, "next": "/"})

    response = client.get("/")

    assert f'<html lang="{language}"' in response.content.decode()
    assert skip_link in response.content.decode()


# Query counts


def _catalogue_with_relations(count: int) -> None:
    providers = [
        OrganizationFactory(country=country("KEN")),
        OrganizationFactory(country=country("NOR")),
    ]
    for _ in range(count):
        entry = EntryFactory(providers=providers)
        entry.countries_of_origin.set([country("KEN"), country("GHA")])
        entry.countries_applied.set([country("THA"), country("VNM")])


def test_list_page_query_count_does_not_grow_with_entries(
    client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    _catalogue_with_relations(30)

    # Count, page, providers, two country lists, and the filter form's three choice lists.
    with django_assert_max_num_queries(8):
        response = client.get("/technologies/")

    assert len(titles_on(response.content.decode())) == 25


def test_home_page_query_count_is_bounded(
    client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    _catalogue_with_relations(5)

    with django_assert_max_num_queries(6):
        assert client.get("/").status_code == 200


def test_detail_pages_query_count_is_bounded(
    client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    _catalogue_with_relations(30)
    entry = Entry.objects.first()
    assert entry is not None
    organization = entry.providers.first()
    assert organization is not None

    # The entry and its relations, other entries of its providers, and similar entries when
    # there is a search index (this test has none); the first view also ranks the open needs the
    # entry could serve (a fixed number of queries, however many needs), then caches the ranking.
    with django_assert_max_num_queries(26):
        assert client.get(f"/technologies/{entry.pk}/").status_code == 200
    with django_assert_max_num_queries(13):
        assert client.get(f"/technologies/{entry.pk}/").status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get(f"/organizations/{organization.pk}/").status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get("/organizations/").status_code == 200
