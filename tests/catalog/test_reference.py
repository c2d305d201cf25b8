import csv
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from catalog.models import Country, ReferenceSource, RegionalOffice, SdgGoal, SdgTarget, Theme
from catalog.reference import load_reference
from tests.factories import EntryFactory, OrganizationFactory, country

pytestmark = pytest.mark.django_db
DATA = Path(settings.BASE_DIR) / "data" / "reference"


def codes_in(filename: str) -> set[str]:
    with (DATA / filename).open(encoding="utf-8") as handle:
        return {row["Code"] for row in csv.DictReader(handle)}


def test_every_country_of_the_source_is_loaded_except_the_row_m49_does_not_list() -> None:
    with (DATA / "country-codes.csv").open(encoding="utf-8") as handle:
        source = {row["ISO3166-1-Alpha-3"] for row in csv.DictReader(handle)}
    assert len(source) == 249
    assert set(Country.objects.values_list("iso3", flat=True)) == source - {"TWN"}


def test_group_of_77_membership_matches_the_published_list() -> None:
    g77 = codes_in("g77.csv")
    assert len(g77) == 134
    assert set(Country.objects.filter(is_g77=True).values_list("iso3", flat=True)) == g77


def test_ldcs_are_the_published_list_less_sao_tome_and_principe_which_graduated() -> None:
    ldc = codes_in("ldc.csv")
    assert len(ldc) == 45
    loaded = set(Country.objects.filter(is_ldc=True).values_list("iso3", flat=True))
    assert loaded == ldc - {"STP"}
    assert not country("STP").is_ldc


def test_lldc_and_sids_flags_cover_the_published_lists() -> None:
    assert set(Country.objects.filter(is_lldc=True).values_list("iso3", flat=True)) == codes_in(
        "lldc.csv"
    )
    sids = set(Country.objects.filter(is_sids=True).values_list("iso3", flat=True))
    # M49 also flags the associate members of the regional commissions (e.g. Puerto Rico).
    assert codes_in("sids.csv") <= sids
    assert len(sids) == 53
    assert "PRI" in sids


def test_m49_regions_and_names_in_six_languages_are_loaded() -> None:
    kenya = country("KEN")
    assert (kenya.m49, kenya.region_name, kenya.subregion_name) == (
        "404",
        "Africa",
        "Sub-Saharan Africa",
    )
    assert kenya.intermediate_region_name == "Eastern Africa"
    assert (kenya.region_code, kenya.subregion_code, kenya.intermediate_region_code) == (
        "002",
        "202",
        "014",
    )
    china = country("CHN")
    assert (china.name_en, china.name_fr, china.name_zh, china.name_ru) == (
        "China",
        "Chine",
        "中国",
        "Китай",
    )
    # UNTERM's trailing articles and footnote marks are dropped from display names.
    assert country("PSE").name_en == "State of Palestine"
    assert country("GMB").name_fr == "Gambie"


@pytest.mark.parametrize(
    ("iso3", "southern"),
    [
        ("KEN", True),  # G77
        ("CHN", True),  # G77
        ("BRA", True),  # G77
        ("MEX", True),  # left the G77; independent state in a developing region
        ("KAZ", True),  # LLDC
        ("MDA", True),  # LLDC in Europe
        ("TUV", True),  # SIDS, not a G77 member
        ("NOR", False),
        ("JPN", False),
        ("AUS", False),
        ("USA", False),
        ("FRA", False),
        ("PRI", True),  # SIDS associate member
        ("GUF", False),  # French overseas department, not independent
    ],
)
def test_southern_rule_on_real_countries(iso3: str, southern: bool) -> None:
    assert country(iso3).is_southern is southern


@pytest.mark.parametrize(
    ("iso3", "office"),
    [
        ("EGY", RegionalOffice.Code.AFRICA),
        ("ZAF", RegionalOffice.Code.AFRICA),
        ("JOR", RegionalOffice.Code.WEST_ASIA),
        ("PSE", RegionalOffice.Code.WEST_ASIA),
        ("ISR", RegionalOffice.Code.EUROPE),
        ("TUR", RegionalOffice.Code.EUROPE),
        ("KAZ", RegionalOffice.Code.EUROPE),
        ("IRN", RegionalOffice.Code.ASIA_PACIFIC),
        ("FJI", RegionalOffice.Code.ASIA_PACIFIC),
        ("CUB", RegionalOffice.Code.LATIN_AMERICA_CARIBBEAN),
        ("CAN", RegionalOffice.Code.NORTH_AMERICA),
    ],
)
def test_regional_office_rule_on_real_countries(iso3: str, office: str) -> None:
    assert country(iso3).regional_office is not None
    assert country(iso3).regional_office.code == office


def test_every_country_but_antarctica_has_a_regional_office() -> None:
    assert list(
        Country.objects.filter(regional_office__isnull=True).values_list("iso3", flat=True)
    ) == ["ATA"]
    assert Country.objects.filter(regional_office__code=RegionalOffice.Code.WEST_ASIA).count() == 12


@pytest.mark.parametrize("suffix", ["en", "fr", "es", "ar", "ru", "zh"])
def test_all_goals_and_169_targets_have_text_in_each_un_language(suffix: str) -> None:
    assert SdgGoal.objects.count() == 17
    assert SdgTarget.objects.count() == 169
    assert not SdgGoal.objects.filter(**{f"title_{suffix}": ""}).exists()
    assert not SdgGoal.objects.filter(**{f"short_{suffix}": ""}).exists()
    assert not SdgTarget.objects.filter(**{f"title_{suffix}": ""}).exists()


def test_sdg_target_text_is_the_source_text() -> None:
    source = yaml.safe_load((DATA / "sdg" / "fr" / "global_targets.yml").read_text("utf-8"))
    target = SdgTarget.objects.get(code="13.2")
    assert target.goal.number == 13
    assert target.title_fr == source["13-2-title"].strip()
    assert SdgTarget.objects.get(code="14.c").goal.number == 14
    assert SdgGoal.objects.get(number=17).targets.count() == 19


def test_themes_are_unep_subprogrammes() -> None:
    assert list(Theme.objects.values_list("code", flat=True)) == [
        "climate-change",
        "disasters-conflicts",
        "ecosystem-management",
        "environmental-governance",
        "chemicals-waste",
        "resource-efficiency",
    ]


def test_each_source_file_is_recorded_with_its_checksum() -> None:
    sources = {source.key: source for source in ReferenceSource.objects.all()}
    assert set(sources) == {"country-codes", "g77", "sdg", "unep-subprogrammes"}
    assert sources["country-codes"].rows == 248
    assert len(sources["g77"].sha256) == 64


def test_loading_twice_changes_nothing() -> None:
    before = list(Country.objects.order_by("pk").values())
    loaded_at = ReferenceSource.objects.get(key="sdg").loaded_at
    stats = load_reference()
    assert sum(stats.created.values()) == 0
    assert sum(stats.updated.values()) == 0
    assert list(Country.objects.order_by("pk").values()) == before
    assert ReferenceSource.objects.get(key="sdg").loaded_at == loaded_at


def test_loading_on_a_database_with_user_data_deletes_nothing() -> None:
    organization = OrganizationFactory(country=country("SEN"))
    entry = EntryFactory(providers=[organization])
    entry.sdg_targets.add(SdgTarget.objects.get(code="6.4"))
    load_reference()
    entry.refresh_from_db()
    assert entry.providers.get() == organization
    assert list(entry.sdg_targets.values_list("code", flat=True)) == ["6.4"]


def test_southern_also_setting_adds_countries_by_code(settings) -> None:  # type: ignore[no-untyped-def]
    assert not country("UKR").is_southern
    settings.SOUTHERN_ALSO_ISO3 = ["ukr"]
    load_reference()
    assert country("UKR").is_southern
