"""Agreed and completed matches as IATI activities at /exports/iati/activities.xml: valid against
the IATI 2.03 schema, with what each activity says, for whom, and streamed."""

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from lxml import etree

from accounts import api_keys
from accounts.models import ApiKey, Membership, User
from catalog.models import Entry, EntryProvider, Organization, RegionalOffice, SdgTarget, Theme
from matching.iati_export import iati_activities_xml, matches_for_export
from matching.models import Match, Need
from tests.factories import (
    EntryFactory,
    MatchFactory,
    MembershipFactory,
    NeedFactory,
    OfficerFactory,
    OrganizationFactory,
    StaffUserFactory,
    country,
)

pytestmark = pytest.mark.django_db

URL = "/exports/iati/activities.xml"
ROOT = Path(__file__).resolve().parents[2]
# The schema files as the IATI connector keeps them, or as shared/ holds them beside the clone.
SCHEMA_DIRS = [
    ROOT / "partners/connectors/data/iati-schema-2.03",
    ROOT.parent / "shared/data/samples/iati/schema-2.03",
]
SCHEMA = etree.XMLSchema(
    etree.parse(str(next(d for d in SCHEMA_DIRS if d.exists()) / "iati-activities-schema.xsd"))
)
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture(autouse=True)
def iati_settings(settings: Any) -> None:
    settings.IATI_REPORTING_ORG_REF = "XM-DAC-41116"
    settings.IATI_IDENTIFIER_PREFIX = "XM-DAC-41116-SSE-MATCH"
    settings.SITE_URL = "https://exchange.example.org"


@pytest.fixture
def provider() -> Organization:
    return OrganizationFactory(name="Centro Andino de Energía Solar", country=country("PER"))


@pytest.fixture
def exchanges(provider: Organization) -> dict[str, Match]:
    """A completed exchange in three countries, an agreed one and one in implementation, and
    matches the export leaves out (suggested, declined)."""
    solar = EntryFactory(
        title="Bombas solares para riego",
        summary="Bombeo solar para pequeñas fincas.",
        language="es",
        providers=[provider],
        themes=[Theme.objects.get(code="ecosystem-management")],
    )
    funder = OrganizationFactory(name="Green Fund", type=Organization.Type.INTERGOVERNMENTAL)
    EntryProvider.objects.create(entry=solar, organization=funder, role=EntryProvider.Role.FUNDER)
    irrigation = NeedFactory(
        title="Irrigation solaire pour les petits exploitants",
        description="Former les techniciens à l'irrigation solaire.",
        language="fr",
        countries=[country("KEN"), country("TZA"), country("UGA")],
    )
    irrigation.themes.set(Theme.objects.filter(code__in=["climate-change", "resource-efficiency"]))
    irrigation.sdg_targets.set(SdgTarget.objects.filter(code__in=["7.2", "2.4"]))
    agreed_at = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    started_at = datetime.datetime(2026, 4, 1, 9, 0, tzinfo=datetime.UTC)
    completed_at = datetime.datetime(2026, 10, 15, 9, 0, tzinfo=datetime.UTC)
    other_entry = EntryFactory(title="Drip irrigation kits", providers=[provider])
    return {
        "completed": MatchFactory(
            need=irrigation,
            entry=solar,
            status=Match.Status.COMPLETED,
            agreed_at=agreed_at,
            implementation_started_at=started_at,
            completed_at=completed_at,
            results="Twelve technicians trained; 40 pumps installed.",
            beneficiaries="300 smallholder households.",
            lessons_learned="Train local repairers first.",
        ),
        "agreed": MatchFactory(entry=solar, status=Match.Status.AGREED, agreed_at=agreed_at),
        "ongoing": MatchFactory(
            entry=other_entry,
            status=Match.Status.IN_IMPLEMENTATION,
            agreed_at=agreed_at,
            implementation_started_at=started_at,
        ),
        "suggested": MatchFactory(entry=solar),
        "declined": MatchFactory(
            entry=other_entry, status=Match.Status.DECLINED, decline_reason="not-relevant"
        ),
    }


def staff_user() -> User:
    return StaffUserFactory()


def export(client: Client, **headers: str) -> etree._Element:
    response = client.get(URL, headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response.streaming
    root = etree.fromstring(b"".join(response.streaming_content))
    SCHEMA.assertValid(root)
    return root


def activity_ids(root: etree._Element) -> list[str]:
    return [str(a.findtext("iati-identifier")) for a in root.iterfind("iati-activity")]


def iati_id(match: Any) -> str:
    return f"XM-DAC-41116-SSE-MATCH-{match.pk}"


def test_staff_export_the_engaged_matches_as_valid_iati_activities(
    client: Client, exchanges: dict[str, Match]
) -> None:
    client.force_login(staff_user())
    root = export(client)

    assert root.get("version") == "2.03"
    assert activity_ids(root) == [
        iati_id(exchanges["completed"]),
        iati_id(exchanges["agreed"]),
        iati_id(exchanges["ongoing"]),
    ]
    statuses = [a.find("activity-status").get("code") for a in root.iterfind("iati-activity")]
    assert statuses == ["4", "2", "2"]


def test_an_activity_says_who_did_what_where_and_with_which_results(
    client: Client, exchanges: dict[str, Match], provider: Organization
) -> None:
    client.force_login(staff_user())
    activity = export(client).find("iati-activity")
    assert activity is not None

    assert activity.get(XML_LANG) == "fr"
    reporting = activity.find("reporting-org")
    assert reporting is not None
    assert (reporting.get("ref"), reporting.get("type")) == ("XM-DAC-41116", "40")
    assert reporting.findtext("narrative") == "United Nations Environment Programme"

    def narratives(element: etree._Element | None) -> list[tuple[str | None, str | None]]:
        assert element is not None
        return [(n.get(XML_LANG), n.text) for n in element.iterfind("narrative")]

    # The need in its language (the activity's), the entry in its own.
    assert narratives(activity.find("title")) == [
        (None, "Irrigation solaire pour les petits exploitants"),
        ("es", "Bombas solares para riego"),
    ]
    assert narratives(activity.find("description[@type='1']")) == [
        ("es", "Bombeo solar para pequeñas fincas.")
    ]
    assert narratives(activity.find("description[@type='2']")) == [
        (None, "Former les techniciens à l'irrigation solaire.")
    ]
    participants = [
        (p.get("role"), p.get("type"), p.findtext("narrative"))
        for p in activity.iterfind("participating-org")
    ]
    assert participants == [
        ("4", "80", "Centro Andino de Energía Solar"),
        ("1", "40", "Green Fund"),
        ("2", "40", "UNEP Regional Office for Africa"),
    ]
    dates = [(d.get("type"), d.get("iso-date")) for d in activity.iterfind("activity-date")]
    assert dates == [("2", "2026-04-01"), ("4", "2026-10-15")]

    countries = [
        (c.get("code"), c.get("percentage")) for c in activity.iterfind("recipient-country")
    ]
    assert countries == [("KE", "33.33"), ("TZ", "33.33"), ("UG", "33.34")]
    assert sum(Decimal(str(share)) for _code, share in countries) == 100
    sectors = [
        (s.get("vocabulary"), s.get("code"), s.get("percentage"), s.findtext("narrative"))
        for s in activity.iterfind("sector")
    ]
    assert sectors == [
        ("99", "climate-change", "50", "Climate change"),
        (
            "99",
            "resource-efficiency",
            "50",
            "Resource efficiency (sustainable consumption and production)",
        ),
    ]
    tags = [(t.get("vocabulary"), t.get("code")) for t in activity.iterfind("tag")]
    assert tags == [("2", "2"), ("2", "7"), ("3", "2.4"), ("3", "7.2")]

    result = activity.find("result")
    assert result is not None and result.get("type") == "2"
    assert result.findtext("description/narrative") == (
        "Twelve technicians trained; 40 pumps installed."
    )
    indicators = [
        (i.get("measure"), i.findtext("title/narrative"), i.findtext("description/narrative"))
        for i in result.iterfind("indicator")
    ]
    assert indicators == [
        ("5", "Beneficiaries", "300 smallholder households."),
        ("5", "Lessons learned", "Train local repairers first."),
    ]


def test_an_entry_stands_in_for_a_need_without_themes_and_an_agreed_match_has_no_end(
    client: Client, exchanges: dict[str, Match]
) -> None:
    client.force_login(staff_user())
    agreed = export(client).findall("iati-activity")[1]
    assert [s.get("code") for s in agreed.iterfind("sector")] == ["ecosystem-management"]
    assert agreed.find("sector").get("percentage") == "100"
    assert [(d.get("type"), d.get("iso-date")) for d in agreed.iterfind("activity-date")] == [
        ("2", "2026-03-02")
    ]
    assert agreed.find("result") is None
    assert agreed.find("recipient-country").get("percentage") == "100"


def test_a_partner_exports_only_the_followed_matches_of_its_entries(
    client: Client, exchanges: dict[str, Match], provider: Organization
) -> None:
    membership: Membership = MembershipFactory(organization=provider)
    client.force_login(membership.user)
    assert activity_ids(export(client)) == [
        iati_id(exchanges["completed"]),
        iati_id(exchanges["agreed"]),
        iati_id(exchanges["ongoing"]),
    ]
    stranger: Membership = MembershipFactory()
    client.force_login(stranger.user)
    response = client.get(URL)
    assert response.status_code == 404


def test_an_officer_exports_the_matches_of_the_office_only(
    client: Client, exchanges: dict[str, Match]
) -> None:
    asia_need = NeedFactory(
        regional_office=RegionalOffice.objects.get(code=RegionalOffice.Code.ASIA_PACIFIC),
        countries=[country("NPL")],
    )
    asia_match = MatchFactory(need=asia_need, status=Match.Status.AGREED)
    officer: User = OfficerFactory(regional_office=asia_need.regional_office)
    client.force_login(officer)
    assert activity_ids(export(client)) == [iati_id(asia_match)]


def _key(organization: Any, scopes: list[str]) -> str:
    admin = staff_user()
    _key, secret = api_keys.api_key_create(
        organization=organization, by=admin, name=f"IATI {scopes}", scopes=scopes
    )
    return secret


def test_an_api_key_exports_its_organizations_matches(
    client: Client, exchanges: dict[str, Match], provider: Organization
) -> None:
    secret = _key(provider, [ApiKey.Scope.READ])
    root = export(client, authorization=f"Bearer {secret}")
    assert len(activity_ids(root)) == 3

    other = _key(OrganizationFactory(), [ApiKey.Scope.READ])
    assert client.get(URL, headers={"authorization": f"Bearer {other}"}).status_code == 404


def test_keys_without_read_scope_or_invalid_are_refused(
    client: Client, exchanges: dict[str, Match], provider: Organization
) -> None:
    writer = _key(provider, [ApiKey.Scope.WRITE_ENTRIES])
    assert client.get(URL, headers={"authorization": f"Bearer {writer}"}).status_code == 403
    response = client.get(URL, headers={"authorization": "Bearer sse_nothing_here"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    reader = _key(provider, [ApiKey.Scope.READ])
    ApiKey.objects.filter(organization=provider).update(revoked_at=timezone.now())
    assert client.get(URL, headers={"authorization": f"Bearer {reader}"}).status_code == 401


def test_anonymous_visitors_are_sent_to_sign_in(
    client: Client, exchanges: dict[str, Match]
) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.post(URL).status_code == 405


def test_a_large_export_streams_one_activity_at_a_time_in_a_bounded_number_of_queries(
    exchanges: dict[str, Match], django_assert_max_num_queries: Any
) -> None:
    entry = exchanges["agreed"].entry
    need_countries = [country("KEN"), country("ETH")]
    for n in range(40):
        need: Need = NeedFactory(countries=need_countries, title=f"Need {n}")
        MatchFactory(need=need, entry=entry, status=Match.Status.AGREED)
    staff: User = StaffUserFactory()

    with django_assert_max_num_queries(20):
        chunks = list(iati_activities_xml(matches_for_export(user=staff)))

    # The declaration and root, one piece per activity, then the closing tag.
    assert len(chunks) == 43 + 2
    root = etree.fromstring(b"".join(chunks))
    SCHEMA.assertValid(root)
    assert len(root.findall("iati-activity")) == 43


def test_text_that_xml_cannot_carry_is_dropped_not_fatal(
    client: Client, exchanges: dict[str, Match]
) -> None:
    Entry.objects.filter(pk=exchanges["agreed"].entry_id).update(title="Bombas\x0b solares")
    client.force_login(staff_user())
    root = export(client)
    title = root.findall("iati-activity")[1].find("title")
    assert [n.text for n in title.iterfind("narrative") if n.get(XML_LANG) == "es"] == [
        "Bombas solares"
    ]
