"""Organization aliases: a merge keeps the merged organization's name, acronym and website as
aliases of the one kept, and the next sync of a source that still uses them links to the one
kept instead of creating the duplicate again. Staff see and add aliases in the admin."""

from collections.abc import Sequence
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from catalog.models import Entry, Organization
from partners.connectors import connector_for
from partners.connectors.base import OrganizationRecord
from partners.connectors.http import Fetcher, FetchLimits
from partners.dedup import find_organization, organization_merge
from partners.models import OrganizationAlias, PartnerSource
from tests.factories import OrganizationFactory, PartnerSourceFactory, StaffUserFactory, country
from tests.partners.feed import ListConnector, entry_record
from tests.partners.runs import run_with
from tests.partners.servers import CkanReplay, LocalServer, hdx_packages
from tests.partners.test_field_ownership import _form_data, _formset_data

pytestmark = pytest.mark.django_db

LIBYA = "6a5aebc1-f5a9-4842-8183-b8118228e71e"  # an HDX dataset of "ACLED Conflict Data Project"


def _staff() -> User:
    staff: User = StaffUserFactory()
    return staff


def _sync_records(source: PartnerSource, providers: Sequence[OrganizationRecord]) -> None:
    """One entry per provider, "E0", "E1"..., each with that provider as its lead."""
    records = [
        entry_record(f"E{number}", providers=(provider,))
        for number, provider in enumerate(providers)
    ]
    run_with(source, ListConnector(records, page_size=10))


def _lead_of(source: PartnerSource, external_id: str) -> Organization:
    entry = Entry.objects.get(source=source, external_id=external_id)
    return entry.provider_links.get(role="lead").organization


@pytest.fixture
def agrhymet_merged() -> Organization:
    """ "Centre Régional AGRHYMET" (Niger) merged into the regional climate centre; returns the
    one kept."""
    merged: Organization = OrganizationFactory(
        name="Centre Régional AGRHYMET",
        acronym="AGRHYMET",
        website="https://agrhymet.cilss.int/",
        country=country("NER"),
    )
    kept: Organization = OrganizationFactory(
        name="Regional Climate Centre for West Africa and the Sahel",
        acronym="CCR-AOS",
        website="https://ccr-aos.org",
        country=country("NER"),
    )
    result = organization_merge(keep=kept, merge=merged, by=_staff())
    assert sorted((a.kind, a.normalized, a.spelling) for a in result.aliases) == [
        ("acronym", "agrhymet", "AGRHYMET"),
        ("name", "centre regional agrhymet", "Centre Régional AGRHYMET"),
        ("website", "agrhymet.cilss.int", "https://agrhymet.cilss.int/"),
    ]
    assert set(OrganizationAlias.objects.values_list("organization", "origin", "country")) == {
        (kept.pk, "merge", country("NER").pk)
    }
    return kept


def test_a_ckan_dataset_naming_the_merged_organization_links_to_the_one_kept() -> None:
    acled: Organization = OrganizationFactory(name="ACLED Conflict Data Project")
    kept: Organization = OrganizationFactory(
        name="Armed Conflict Location & Event Data Project", country=country("USA")
    )
    organization_merge(keep=kept, merge=acled, by=_staff())
    organizations = set(Organization.objects.values_list("pk", flat=True))

    limits = FetchLimits(connect_timeout=5, read_timeout=5, total_seconds=10, max_bytes=2**22)
    with LocalServer(CkanReplay(hdx_packages())) as server:
        source: PartnerSource = PartnerSourceFactory(connector="ckan", endpoint=server.url)
        run = run_with(source, connector_for(source, fetcher=Fetcher(limits=limits)))

    assert run.created == 11
    # HDX names its organization "ACLED Conflict Data Project", without a country.
    assert _lead_of(source, LIBYA) == kept
    assert set(Organization.objects.values_list("pk", flat=True)) == organizations


def test_records_naming_the_merged_organization_by_name_acronym_or_website_link_to_the_one_kept(
    agrhymet_merged: Organization,
) -> None:
    organizations = Organization.objects.count()
    source: PartnerSource = PartnerSourceFactory()

    _sync_records(
        source,
        [
            OrganizationRecord(name="Centre Regional Agrhymet", country_iso3="NER"),
            OrganizationRecord(name="AGRHYMET"),  # a one-word name in capitals: an acronym
            OrganizationRecord(name="Agrhymet Centre", acronym="AGRHYMET", country_iso3="NER"),
            OrganizationRecord(
                name="Centre for agro-meteorology", website="http://www.agrhymet.cilss.int/fr"
            ),
        ],
    )

    leads = [_lead_of(source, f"E{number}") for number in range(4)]
    assert leads == [agrhymet_merged] * 4
    assert Organization.objects.count() == organizations


def test_an_alias_does_not_match_a_record_of_another_country(
    agrhymet_merged: Organization,
) -> None:
    source: PartnerSource = PartnerSourceFactory()

    _sync_records(source, [OrganizationRecord(name="Centre Régional AGRHYMET", country_iso3="KEN")])

    lead = _lead_of(source, "E0")
    assert lead != agrhymet_merged
    assert (lead.name, lead.country.iso3) == ("Centre Régional AGRHYMET", "KEN")


def test_aliases_follow_a_second_merge_and_are_never_taken_from_another_organization(
    agrhymet_merged: Organization,
) -> None:
    other: Organization = OrganizationFactory(name="CILSS", country=country("BFA"))
    OrganizationAlias.objects.create(
        organization=other, kind="website", normalized="ccr-aos.org", spelling="ccr-aos.org"
    )
    third: Organization = OrganizationFactory(
        name="Regional Climate Centre (WMO)",
        acronym="RCC-WA",
        website="https://rcc-wa.org",
        country=country("NER"),
    )

    result = organization_merge(keep=third, merge=agrhymet_merged, by=_staff())

    # The older aliases move; of the merged one's own keys, its website is already CILSS's.
    assert sorted((a.kind, a.spelling) for a in result.aliases) == [
        ("acronym", "CCR-AOS"),
        ("name", "Regional Climate Centre for West Africa and the Sahel"),
    ]
    assert sorted(
        OrganizationAlias.objects.filter(organization=third).values_list("kind", "normalized")
    ) == [
        ("acronym", "agrhymet"),
        ("acronym", "ccraos"),
        ("name", "centre regional agrhymet"),
        ("name", "regional climate centre for west africa and the sahel"),
        ("website", "agrhymet.cilss.int"),
    ]
    assert OrganizationAlias.objects.get(normalized="ccr-aos.org").organization == other
    assert find_organization(OrganizationRecord(name="Centre Régional AGRHYMET")) == third
    assert find_organization(OrganizationRecord(name="x", website="ccr-aos.org")) == other


def _organization_form(client: Client, organization: Organization) -> tuple[str, dict[str, Any]]:
    url = reverse("admin:catalog_organization_change", args=[organization.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = _form_data(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        data |= _formset_data(inline.formset)
    return url, data


def test_staff_see_the_aliases_and_add_one_by_hand(
    admin_client: Client, agrhymet_merged: Organization
) -> None:
    url, data = _organization_form(admin_client, agrhymet_merged)
    assert "Centre Régional AGRHYMET" in admin_client.get(url).content.decode()

    response = admin_client.post(
        url,
        data
        | {
            "aliases-TOTAL_FORMS": "4",
            "aliases-3-kind": "name",
            "aliases-3-spelling": "AGRHYMET Regional Centre",
            "aliases-3-country": "",
        },
    )

    assert response.status_code == 302
    added = OrganizationAlias.objects.get(origin="manual")
    assert (added.organization, added.kind, added.normalized) == (
        agrhymet_merged,
        "name",
        "agrhymet regional centre",
    )
    assert find_organization(OrganizationRecord(name="Agrhymet regional centre")) == (
        agrhymet_merged
    )


def test_the_admin_refuses_an_alias_another_organization_has(
    admin_client: Client, agrhymet_merged: Organization
) -> None:
    other: Organization = OrganizationFactory(name="CILSS", country=country("BFA"))
    url, data = _organization_form(admin_client, other)

    response = admin_client.post(
        url,
        data
        | {
            "aliases-TOTAL_FORMS": "1",
            "aliases-0-kind": "acronym",
            "aliases-0-spelling": "Agrhymet",
            "aliases-0-country": "",
        },
    )

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert errors == [{"spelling": [f"“AGRHYMET” is already an alias of {agrhymet_merged}."]}]
    assert not OrganizationAlias.objects.filter(organization=other).exists()
