import datetime
import io
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Manager

from catalog.demo import DEMO_FILE, DEMO_SOURCE_NAME, DemoContentError, demo_content_load
from catalog.models import Country, Entry, EntryProvider, Organization, RegionalOffice
from catalog.models.entries import EntryQuerySet
from matching.models import Need, NeedQuerySet
from partners.models import PartnerSource
from tests.factories import (
    EntryFactory,
    NeedFactory,
    OrganizationFactory,
    PartnerSourceFactory,
    country,
)

pytestmark = pytest.mark.django_db


def demo_entries() -> EntryQuerySet:
    return Entry.objects.filter(source__name="Demo content")


def demo_entry(title: str) -> Entry:
    return demo_entries().get(title=title)


def demo_needs() -> NeedQuerySet:
    return Need.objects.filter(source__name=DEMO_SOURCE_NAME)


def iso3s(countries: Manager[Country]) -> set[str]:
    return set(countries.values_list("iso3", flat=True))


def write_variant(tmp_path: Path, old: str, new: str, source: Path = DEMO_FILE) -> Path:
    """A copy of the demo file with one piece of text, found exactly once, replaced."""
    text = source.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "catalogue.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_the_file_covers_each_of_the_reports_eleven_activities() -> None:
    content = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    assert {entry["activity"] for entry in content["entries"]} == set(range(1, 12))


def test_loading_creates_published_entries_from_the_demo_source() -> None:
    result = demo_content_load()

    source = PartnerSource.objects.get(name="Demo content")
    assert source.connector == PartnerSource.Connector.DEMO
    assert result.entries.created == demo_entries().count() >= 11
    assert result.organizations.created == Organization.objects.filter(source=source).count()
    assert set(demo_entries().values_list("status", flat=True)) == {Entry.Status.PUBLISHED}
    assert not demo_entries().filter(published_at__isnull=True).exists()
    assert not demo_entries().filter(last_confirmed_on__isnull=True).exists()
    assert set(demo_entries().values_list("module", flat=True)) == set(Entry.Module.values)


def test_lake_tanganyika_entry_is_applied_in_the_four_countries_that_share_the_lake() -> None:
    demo_content_load()

    entry = demo_entry("Monitoring the shared waters of Lake Tanganyika")
    assert iso3s(entry.countries_applied) == {"BDI", "COD", "TZA", "ZMB"}
    assert iso3s(entry.countries_of_origin) == {"CHN"}
    assert set(entry.themes.values_list("code", flat=True)) == {"ecosystem-management"}
    assert set(entry.sdg_targets.values_list("code", flat=True)) == {"6.3", "6.5", "6.a"}
    assert set(entry.sdg_goals.values_list("number", flat=True)) == {6}
    assert {(p.organization.acronym, p.role) for p in entry.provider_links.all()} == {
        ("UNEP", EntryProvider.Role.LEAD),
        ("MOST", EntryProvider.Role.FUNDER),
    }


def test_africa_china_projects_are_south_south() -> None:
    demo_content_load()

    for title in (
        "Monitoring the shared waters of Lake Tanganyika",
        "Reuse of wastewater for forest plantations",
        "Drought early warning and adaptation systems",
        "Rainwater harvesting in Africa",
    ):
        assert demo_entry(title).cooperation == Entry.Cooperation.SOUTH_SOUTH, title
    assert iso3s(demo_entry("Rainwater harvesting in Africa").countries_applied) == {
        "BDI",
        "KEN",
        "MOZ",
        "RWA",
        "ZAF",
        "UGA",
        "TZA",
    }


def test_staff_exchange_with_norwegian_and_african_partners_is_triangular() -> None:
    demo_content_load()

    entry = demo_entries().get(kind=Entry.Kind.STAFF_EXCHANGE)
    assert entry.module == Entry.Module.OPPORTUNITY
    assert entry.cooperation == Entry.Cooperation.TRIANGULAR
    providers = {
        p.organization.acronym or p.organization.name: p for p in entry.provider_links.all()
    }
    assert providers["GRID-Arendal"].role == EntryProvider.Role.LEAD
    assert providers["FK Norway"].role == EntryProvider.Role.FUNDER
    assert {a for a, p in providers.items() if p.organization.is_southern} == {
        "UNEP",
        "SARDC",
        "NEMA",
        "ECZ",
        "EIS-Africa",
        "CEDARE",
    }


def test_organizations_have_their_real_country_and_type() -> None:
    demo_content_load()

    def org(acronym: str) -> Organization:
        return Organization.objects.get(source__name="Demo content", acronym=acronym)

    assert (org("ACE").country.iso3, org("ACE").type) == ("IDN", "intergovernmental")
    assert (org("AIT").country.iso3, org("AIT").type) == ("THA", "university-research")
    assert (org("ECLAC").country.iso3, org("ECLAC").type) == ("CHL", "un-entity")
    assert (org("UNEP").country.iso3, org("UNEP").type) == ("KEN", "un-entity")
    assert org("ICIMOD").country.iso3 == "NPL"
    assert org("CEDARE").country.iso3 == "EGY"
    assert org("URC").country.iso3 == "DNK" and not org("URC").is_southern
    assert org("JRC").country.iso3 == "ITA" and not org("JRC").is_southern
    assert org("SARDC").is_southern


def test_every_demo_entry_passes_full_clean() -> None:
    demo_content_load()

    for entry in demo_entries():
        entry.full_clean()


def test_past_events_keep_the_report_venue_and_month() -> None:
    demo_content_load()

    workshop = demo_entries().get(module=Entry.Module.EVENT, venue="Chiang Mai")
    assert workshop.venue_country == country("THA")
    assert (workshop.starts_on.year, workshop.starts_on.month) == (2010, 5)
    assert not workshop.is_open
    tna_venues = demo_entries().filter(
        module=Entry.Module.EVENT, starts_on=datetime.date(2010, 9, 1)
    )
    assert {(e.venue, e.venue_country.iso3) for e in tna_venues} == {
        ("Dakar", "SEN"),
        ("Bangkok", "THA"),
        ("Lima", "PER"),
    }


def test_networks_list_their_member_organizations() -> None:
    demo_content_load()

    centres = demo_entry("Regional reference centres for monitoring and assessment under the UNCCD")
    members = set(centres.member_organizations.values_list("acronym", flat=True))
    assert {"OSS", "AGRHYMET", "ICPAC", "DRFN", "ACSAD", "ICRISAT", "CATIE", "ECLAC", "JRC"} <= (
        members
    )


def test_content_includes_french_and_spanish_entries_and_needs() -> None:
    demo_content_load()

    assert {"en", "fr", "es"} <= set(demo_entries().values_list("language", flat=True))
    assert {"en", "fr", "es"} <= set(demo_needs().values_list("language", flat=True))


def test_needs_belong_to_the_office_that_serves_their_countries() -> None:
    demo_content_load()

    needs = demo_needs()
    assert 6 <= needs.count() <= 10
    for need in needs:
        assert {c.regional_office_id for c in need.countries.all()} == {need.regional_office_id}
        assert need.support_kinds.exists()
    assert set(needs.values_list("regional_office__code", flat=True)) == {
        RegionalOffice.Code.AFRICA,
        RegionalOffice.Code.ASIA_PACIFIC,
        RegionalOffice.Code.WEST_ASIA,
        RegionalOffice.Code.LATIN_AMERICA_CARIBBEAN,
    }
    statuses = set(needs.values_list("status", flat=True))
    assert Need.Status.OPEN in statuses and {Need.Status.DRAFT, Need.Status.SUBMITTED} <= statuses
    sahel = needs.get(external_id="need-01")
    assert iso3s(sahel.countries) == {"NER", "MLI", "BFA"}
    assert sahel.origin == Need.Origin.NAP
    assert sahel.opened_at is not None
    assert needs.get(status=Need.Status.DRAFT).submitted_at is None


def test_running_twice_changes_nothing() -> None:
    demo_content_load()
    entries = dict(demo_entries().values_list("external_id", "updated_at"))
    entry_pks = dict(demo_entries().values_list("external_id", "pk"))
    organizations = dict(
        Organization.objects.filter(source__name="Demo content").values_list("external_id", "pk")
    )
    needs = dict(demo_needs().values_list("external_id", "updated_at"))
    need_pks = set(demo_needs().values_list("pk", flat=True))
    providers = set(EntryProvider.objects.values_list("pk", flat=True))

    again = demo_content_load()

    assert (again.organizations.created, again.organizations.updated) == (0, 0)
    assert (again.entries.created, again.entries.updated) == (0, 0)
    assert (again.needs.created, again.needs.updated) == (0, 0)
    assert dict(demo_entries().values_list("external_id", "pk")) == entry_pks
    assert dict(demo_entries().values_list("external_id", "updated_at")) == entries
    assert (
        dict(
            Organization.objects.filter(source__name="Demo content").values_list(
                "external_id", "pk"
            )
        )
        == organizations
    )
    assert set(demo_needs().values_list("pk", flat=True)) == need_pks
    assert dict(demo_needs().values_list("external_id", "updated_at")) == needs
    assert set(EntryProvider.objects.values_list("pk", flat=True)) == providers
    assert PartnerSource.objects.filter(name="Demo content").count() == 1


def test_rerun_restores_the_files_values_on_an_edited_demo_entry() -> None:
    demo_content_load()
    entry = demo_entry("Monitoring the shared waters of Lake Tanganyika")
    entry.title = "Edited"
    entry.save()
    entry.countries_applied.add(country("FRA"))
    entry.themes.clear()
    EntryProvider.objects.create(entry=entry, organization=OrganizationFactory())

    result = demo_content_load()

    entry.refresh_from_db()
    assert (result.entries.created, result.entries.updated) == (0, 1)
    assert entry.title == "Monitoring the shared waters of Lake Tanganyika"
    assert iso3s(entry.countries_applied) == {"BDI", "COD", "TZA", "ZMB"}
    assert entry.themes.count() == 1
    assert set(entry.providers.values_list("acronym", flat=True)) == {"UNEP", "MOST"}


def test_loading_leaves_user_data_untouched() -> None:
    other_source = PartnerSourceFactory()
    organization = OrganizationFactory(name="Kenya Water Institute")
    entry = EntryFactory(title="Sand dams", providers=[organization])
    synced = EntryFactory(title="Synced", source=other_source, external_id="demo-entry-01")
    need = NeedFactory(title="Solar pumps for irrigation", origin_reference="NAP 2024")
    before = {e.pk: e.updated_at for e in (entry, synced)}

    demo_content_load()
    demo_content_load()

    assert Organization.objects.get(pk=organization.pk).source is None
    for pk, updated_at in before.items():
        assert Entry.objects.get(pk=pk).updated_at == updated_at
    synced.refresh_from_db()
    assert (synced.title, synced.source) == ("Synced", other_source)
    assert list(entry.providers.all()) == [organization]
    need.refresh_from_db()
    assert (need.title, need.origin_reference) == ("Solar pumps for irrigation", "NAP 2024")
    assert iso3s(need.countries) == {"KEN"}


def test_an_unknown_code_stops_the_load_before_anything_is_written(tmp_path: Path) -> None:
    # The bad code is in the last record, so everything before it would have been written.
    path = write_variant(tmp_path, "countries: [GRD, LCA, VCT]", "countries: [GRD, XYZ, VCT]")
    organizations = Organization.objects.count()

    with pytest.raises(DemoContentError) as error:
        demo_content_load(path=path)

    assert "need need-09: unknown country code 'XYZ' in countries" in str(error.value)
    assert "nothing was loaded" in str(error.value)
    assert not PartnerSource.objects.filter(name="Demo content").exists()
    assert Organization.objects.count() == organizations
    assert not Entry.objects.exists()
    assert not Need.objects.exists()


def test_the_error_names_every_unknown_code_with_its_record(tmp_path: Path) -> None:
    path = write_variant(
        tmp_path,
        'themes: [ecosystem-management]\n    sdg_targets: ["6.3", "6.5", "6.a"]',
        'themes: [oceans]\n    sdg_targets: ["6.3", "6.5", "6.z"]',
    )
    path = write_variant(tmp_path, "country: NPL", "country: NEP", source=path)

    with pytest.raises(DemoContentError) as error:
        demo_content_load(path=path)

    message = str(error.value)
    assert "entry demo-entry-05: unknown theme code 'oceans' in themes" in message
    assert "entry demo-entry-05: unknown SDG target code '6.z' in sdg_targets" in message
    assert "organization demo-org-icimod: unknown country code 'NEP' in country" in message
    assert not Entry.objects.exists()


def test_a_need_for_a_country_of_another_office_is_rejected(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "countries: [JOR, LBN]", "countries: [JOR, KEN]")

    with pytest.raises(DemoContentError, match="country KEN is served by regional office 'africa'"):
        demo_content_load(path=path)

    assert not Need.objects.exists()


def test_an_entry_that_breaks_the_module_rules_is_rejected(tmp_path: Path) -> None:
    path = write_variant(
        tmp_path, "venue: Chiang Mai\n    venue_country: THA\n", "venue: Chiang Mai\n"
    )

    with pytest.raises(DemoContentError, match="entry demo-entry-02: venue_country"):
        demo_content_load(path=path)

    assert not Entry.objects.exists()


def test_command_prints_what_it_created_then_that_nothing_changed() -> None:
    first, second = io.StringIO(), io.StringIO()

    call_command("load_demo", stdout=first)
    call_command("load_demo", stdout=second)

    entries = demo_entries().count()
    assert f"entries: {entries} created, 0 updated, 0 unchanged" in first.getvalue()
    assert f"entries: 0 created, 0 updated, {entries} unchanged" in second.getvalue()
    assert "needs: 0 created, 0 updated" in second.getvalue()


def test_command_reports_a_bad_file_as_a_command_error(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "countries: [BTN, NPL]", "countries: [BTN, XXX]")

    with pytest.raises(CommandError, match="need need-08: unknown country code 'XXX'"):
        call_command("load_demo", "--file", str(path), stdout=io.StringIO())


def test_a_date_written_as_text_is_loaded_once_and_then_left_alone(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "confirmed_on: 2026-11-26", 'confirmed_on: "2026-11-26"')

    demo_content_load(path=path)
    again = demo_content_load(path=path)

    assert (again.entries.created, again.entries.updated) == (0, 0)
    assert set(demo_entries().values_list("last_confirmed_on", flat=True)) == {
        datetime.date(2026, 11, 26)
    }


def test_a_need_with_an_unknown_regional_office_is_rejected(tmp_path: Path) -> None:
    path = write_variant(
        tmp_path,
        "regional_office: west-asia\n    origin: government-request",
        "regional_office: middle-east\n    origin: government-request",
    )

    with pytest.raises(
        DemoContentError, match="need need-04: unknown regional office code 'middle-east'"
    ):
        demo_content_load(path=path)
