"""The registry of connectors and the DAC sector → theme table."""

import csv

import pytest
from lxml import etree

from catalog.models import Theme
from partners.connectors import connector_for
from partners.connectors.ckan import CkanConnector
from partners.connectors.exchange import ExchangeConnector
from partners.connectors.iati import ORGANISATION_TYPES, IatiConnector
from partners.connectors.oai import OaiPmhConnector
from partners.connectors.spreadsheet import SpreadsheetConnector
from partners.connectors.vocabulary import (
    DATA_DIR,
    Vocabulary,
    content_language,
    dac_theme_table,
    themes_for_dac,
)
from partners.models import PartnerSource
from tests.factories import PartnerSourceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("iati", IatiConnector),
        ("oai-pmh", OaiPmhConnector),
        ("ckan", CkanConnector),
        ("exchange", ExchangeConnector),
        ("spreadsheet", SpreadsheetConnector),
    ],
)
def test_each_protocol_has_its_connector(kind, expected) -> None:
    source = PartnerSourceFactory.build(connector=kind, endpoint="http://127.0.0.1:1/")
    assert type(connector_for(source)) is expected


@pytest.mark.parametrize("kind", ["demo"])
def test_demo_content_has_no_connector(kind) -> None:
    source = PartnerSourceFactory.build(connector=kind)
    with pytest.raises(LookupError) as caught:
        connector_for(source)
    assert str(caught.value) == f"No connector harvests sources of type {kind!r}."


def test_credentials_go_into_the_requests_headers() -> None:
    ckan = PartnerSourceFactory.build(connector=PartnerSource.Connector.CKAN, endpoint="http://x")
    portal = PartnerSourceFactory.build(connector="exchange", endpoint="http://x")
    assert connector_for(ckan, credentials="k1").fetcher.headers == {"Authorization": "k1"}
    assert connector_for(portal, credentials="k2").fetcher.headers == {"Authorization": "Bearer k2"}
    assert connector_for(portal).fetcher.headers == {}


def _codes(name: str) -> set[str]:
    tree = etree.parse(str(DATA_DIR / "iati-codelists" / f"{name}.xml"))
    return {str(c) for c in tree.xpath("//codelist-item/code/text()")}


def test_every_row_of_the_sector_table_names_a_real_code_and_our_themes() -> None:
    with (DATA_DIR / "dac-sector-themes.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    codes = _codes("SectorCategory") | _codes("Sector")
    themes = set(Theme.objects.values_list("code", flat=True))
    assert len(themes) == 6
    for row in rows:
        assert row["code"] in codes, row
        assert set(row["themes"].split()) <= themes, row
        assert row["why"], row
    assert len(dac_theme_table()) == len(rows)
    # Every theme is reachable from some sector.
    assert {t for row in rows for t in row["themes"].split()} == themes


def test_a_sector_takes_its_own_row_else_its_category() -> None:
    assert themes_for_dac("41030") == ("ecosystem-management",)  # own row
    assert themes_for_dac("41081") == ("environmental-governance",)  # category 410
    assert themes_for_dac("410") == ("environmental-governance",)
    assert themes_for_dac("11110") == ()  # education: no theme of ours
    assert themes_for_dac("A1") == ()


def test_organisation_types_are_codes_of_the_iati_codelist() -> None:
    assert set(ORGANISATION_TYPES) == _codes("OrganisationType")


def test_countries_are_found_by_code_and_by_name_in_un_languages() -> None:
    vocabulary = Vocabulary()
    assert vocabulary.country("KE") == vocabulary.country("ken") == "KEN"
    assert vocabulary.country("Kenya") == "KEN"
    assert vocabulary.country("Éthiopie") == vocabulary.country("ethiopie") == "ETH"
    assert vocabulary.country("Atlantis") == ""
    assert vocabulary.theme("Climate change") == vocabulary.theme("climate-change")
    assert vocabulary.sdg_target("6.1") == "6.1" and vocabulary.sdg_target("99.9") == ""


def test_languages_are_reduced_to_content_languages() -> None:
    assert [content_language(c) for c in ("eng", "fr-CA", "zh-Hans", "por", "de", "", None)] == [
        "en",
        "fr",
        "zh",
        "pt",
        "",
        "",
        "",
    ]
