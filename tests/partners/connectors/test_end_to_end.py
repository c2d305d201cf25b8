"""Each connector's records go through the sync engine (partners/sync/) into the catalogue:
real feeds on 127.0.0.1, the real engine, PostgreSQL."""

from collections.abc import Callable

import pytest

from catalog.models import Entry
from partners.models import PartnerSource, SyncRecordError
from tests.factories import PartnerSourceFactory
from tests.partners.runs import run_source
from tests.partners.servers import (
    CkanReplay,
    LocalServer,
    fixture,
    hdx_packages,
    iati_file_routes,
    oai_replay_routes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def source_at() -> Callable[..., PartnerSource]:
    def make(connector: str, url: str) -> PartnerSource:
        return PartnerSourceFactory(connector=connector, endpoint=url)

    return make


def test_an_iati_file_is_stored_with_its_schema_errors(source_at, fetcher) -> None:
    valid = fixture("iati/multiple_locales_descriptions.xml")
    invalid = fixture("iati/localised-org-names.xml")
    body = valid.replace(
        b"</iati-activities>",
        invalid[invalid.index(b"<iati-activity ") : invalid.index(b"</iati-activities>")]
        + b"</iati-activities>",
    )
    with LocalServer(iati_file_routes({"/afdb.xml": body})) as server:
        source = source_at("iati", server.url + "/afdb.xml")
        run = run_source(source, fetcher)
        again = run_source(source, fetcher)
    entry = Entry.objects.get(source=source, external_id="46002-P-DZ-IZ0-002")
    assert entry.title.startswith("Algeria - Emergency Humanitarian Assistance")
    assert list(entry.countries_applied.values_list("iso3", flat=True)) == ["DZA"]
    assert (run.created, run.failed) == (1, 1)
    errors = SyncRecordError.objects.filter(run=run).order_by("pk")
    assert list(errors.values_list("external_id", "message")) == [
        (
            "DE-1-198966376",
            "IATI iati-activity DE-1-198966376 is not valid against the 2.03 schema: Element "
            "'participating-org': This element is not expected. Expected is ( description ). "
            "(line 180 of the file).",
        ),
        # An AfDB fund ("XM-DAC-SRF"): no country to create it with, as the engine requires.
        (
            "46002-P-DZ-IZ0-002",
            "Provider “Special Relief Funds” left out: it matches no organization here and the "
            "source gives no known country to create it with.",
        ),
    ]
    # The ministry without identifier is Algeria's, the one recipient country.
    providers = entry.provider_links.select_related("organization__country")
    assert [(p.organization.name, p.organization.country.iso3, p.role) for p in providers] == [
        ("Ministry of the Interior", "DZA", "lead")
    ]
    # The file did not change: a conditional GET, nothing read again.
    assert (again.fetched, again.created, again.updated) == (0, 0, 0)


def test_oai_records_and_deletions_are_stored(source_at, fetcher) -> None:
    with LocalServer(oai_replay_routes()) as server:
        source = source_at("oai-pmh", server.url)
        run = run_source(source, fetcher)
    stored = Entry.objects.get(source=source, external_id="oai:test.example.com:1585322")
    assert stored.title == "Sample Title" and stored.module == "experience"
    assert run.created == 1 and run.failed == 1  # the record without identifier


def test_ckan_datasets_are_stored_with_their_organization(source_at, fetcher) -> None:
    with LocalServer(CkanReplay(hdx_packages())) as server:
        source = source_at("ckan", server.url)
        run = run_source(source, fetcher)
    assert run.created == 11 and run.failed == 0
    libya = Entry.objects.get(source=source, external_id="6a5aebc1-f5a9-4842-8183-b8118228e71e")
    assert list(libya.countries_applied.values_list("iso3", flat=True)) == ["LBY"]
